"""Logging: human-readable lines by default, JSON lines with ``--log-format json``; secrets redacted."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*)(\S+(?:\s+\S+)?)"),
    re.compile(r"(?i)((?:token|api_key|password|secret)=)([^&\s]+)"),
]


class RedactingFilter(logging.Filter):
    """Replaces known secret values (from ``*_TOKEN``/``*_KEY``/``*_SECRET``/``*_PASSWORD`` environment
    variables) and credential-shaped fragments in every log record."""

    def __init__(self) -> None:
        super().__init__()
        suffixes = ("TOKEN", "KEY", "SECRET", "PASSWORD")
        self.values = sorted(
            {v for k, v in os.environ.items() if k.upper().endswith(suffixes) and len(v) >= 6},
            key=len,
            reverse=True,
        )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for value in self.values:
            message = message.replace(value, "***")
        for pattern in SECRET_PATTERNS:
            message = pattern.sub(lambda m: m.group(1) + "***", message)
        record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(verbosity: int = 0, fmt: str = "text") -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("urllib3", "httpx", "httpcore", "github"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
