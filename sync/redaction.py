"""Secrets out of text: one filter for log records, daemon metrics and anything else that keeps a message.

Not presentation: the daemon's ``/metrics`` stores errors redacted by the same rule the log lines follow.
"""

from __future__ import annotations

import logging
import os
import re

SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*)(\S+(?:\s+\S+)?)"),
    re.compile(r"(?i)((?:token|api_key|password|secret)=)([^&\s]+)"),
    re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)(?=@)"),  # a URL's password (user:pw@host)
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
        record.msg, record.args = self.redact(record.getMessage()), None
        fields = getattr(record, "fields", None)  # an event's data (sync/events.py)
        if isinstance(fields, dict):
            record.fields = {k: self.redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        return True

    def redact(self, message: str) -> str:
        for value in self.values:
            message = message.replace(value, "***")
        for pattern in SECRET_PATTERNS:
            message = pattern.sub(lambda m: m.group(1) + "***", message)
        return message


def redact(text: str) -> str:
    """The log filter's redaction (secret values from the environment, credential-shaped fragments)."""
    record = logging.makeLogRecord({"msg": text})
    RedactingFilter().filter(record)
    return str(record.msg)
