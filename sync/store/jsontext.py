"""JSON text on the pull's hot path (raw payload copies, stored labels and fields, content hashes).

orjson encodes several times faster than the standard library, which matters at one encoding per pulled
record; what orjson refuses (integers beyond 64 bits, non-string keys, lone surrogates) goes through the
standard encoder instead, so every value that encoded before still does. The output is compact UTF-8;
the same value always gives the same text, so hashes of it are stable.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps_bytes(value: Any, sort_keys: bool = False) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except orjson.JSONEncodeError:
        text = json.dumps(value, sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8", "surrogatepass")


def dumps(value: Any, sort_keys: bool = False) -> str:
    """``value`` as compact JSON text (a lone surrogate is kept as it is, for the caller to clean)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value, sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":"))


def unicode_text(value: Any) -> str | None:
    """``value`` as compact JSON text, or None when a string in it holds a lone surrogate (text that cannot
    be stored as UTF-8). orjson refuses such strings itself, so only its refusals are checked again."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text
