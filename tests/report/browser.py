"""Headless Chromium from the distribution's packages (``chromium``, ``chromium-driver``), driven through
Selenium's WebDriver over chromedriver: no browser download, no network-hungry defaults, a fresh profile.

Without the packages the browser tests skip with the reason, unless ``RANKBRIDGE_REQUIRE_BROWSER`` is set
(CI sets it; ``make test`` installs the packages when it can)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--window-size=1280,900",
)


def _missing() -> str | None:
    for program in ("chromium", "chromedriver"):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A WebDriver session of headless Chromium with a fresh profile in ``profile``."""
    reason = _missing()
    if reason:
        if os.environ.get("RANKBRIDGE_REQUIRE_BROWSER"):
            pytest.fail(f"RANKBRIDGE_REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[str]:
    """The page's console errors so far (a blocked script or stylesheet shows here as a CSP violation)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
