"""Pure text helpers: Atlassian Document Format (ADF) to plain text, and references found in text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Block nodes end with a line break; list items get a bullet. Everything else is inline.
_BLOCKS = {
    "paragraph", "heading", "blockquote", "codeBlock", "panel", "rule", "mediaSingle", "table", "tableRow",
    "expand", "nestedExpand", "decisionList", "taskList", "bulletList", "orderedList",
}  # fmt: skip
_ITEMS = {"listItem", "taskItem", "decisionItem"}
_CELLS = {"tableCell", "tableHeader"}

URL = re.compile(r"https?://[^\s<>\"'`]+")
ISSUE_KEY = re.compile(r"(?<![\w/#-])([A-Z][A-Z0-9_]{1,9}-[1-9]\d*)\b")
GITHUB_REF = re.compile(r"(?<![\w/])([\w.-]+/[\w.-]+#[1-9]\d*)\b")
_TRAILING = ".,;:!?)]}'\""


def adf_to_text(node: Any) -> str:
    """Plain text of an ADF document: paragraphs on their own lines, list items as ``- item``, links
    as their text followed by the URL when the text does not show it, cards and mentions as their text."""
    return re.sub(r"\n{3,}", "\n\n", "".join(_render(node))).strip()


def _render(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for child in node:
            yield from _render(child)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    raw = node.get("attrs")
    attrs: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if kind == "text":
        yield from _text_node(node)
    elif kind == "hardBreak":
        yield "\n"
    elif kind in ("mention", "emoji", "status"):
        yield str(attrs.get("text") or attrs.get("shortName") or "")
    elif kind in ("inlineCard", "blockCard", "embedCard"):
        yield str(attrs.get("url") or "")
    elif kind == "date":
        yield str(attrs.get("timestamp") or "")
    elif kind in _ITEMS:
        yield "- "
        yield "".join(_render(node.get("content"))).strip() + "\n"
    elif kind in _CELLS:
        yield "".join(_render(node.get("content"))).strip() + " | "
    else:
        yield from _render(node.get("content"))
        if kind in _BLOCKS:
            yield "\n\n" if kind != "tableRow" else "\n"


def _text_node(node: dict[str, Any]) -> Iterator[str]:
    text = str(node.get("text") or "")
    yield text
    for mark in node.get("marks") or []:
        if isinstance(mark, dict) and mark.get("type") == "link":
            href = (mark.get("attrs") or {}).get("href")
            if href and href not in text:
                yield f" ({href})"


def references(text: str, own_key: str) -> list[str]:
    """Store references (``url:…``, ``key:…``) to other items that ``text`` mentions, in order, once each:
    URLs, issue keys of Jira or Linear (``ENG-42``) and GitHub references (``acme/app#12``)."""
    found: list[str] = []
    for match in URL.finditer(text):
        found.append("url:" + match.group(0).rstrip(_TRAILING))
    without_urls = URL.sub(" ", text)
    for match in GITHUB_REF.finditer(without_urls):
        found.append("key:" + match.group(1))
    for match in ISSUE_KEY.finditer(GITHUB_REF.sub(" ", without_urls)):
        if match.group(1) != own_key:
            found.append("key:" + match.group(1))
    return list(dict.fromkeys(found))
