"""What the daemon's HTTP endpoint checks and serves besides ``/healthz`` and ``/metrics``: who may ask
(a bearer token, or basic auth against a hashed password; both compared in constant time), and the HTML
report's files under ``/report/``, read-only.

The endpoint listens on the loopback interface by default. Another address requires a credential
(:func:`require_credential`): without one the daemon refuses to start. With a credential configured every
request must carry it (``/healthz`` and ``/metrics`` too: a scraper sends it like any client), else 401.

Passwords are stored as ``pbkdf2_sha256$<iterations>$<salt>$<digest>`` (base64, from
``rankbridge hash-password``), never in clear. A verified ``Authorization`` header is remembered (as an
HMAC under a key made at start-up, never the header itself) so that a page's stylesheet and script do not
each pay the key derivation again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from sync.errors import UsageError

REPORT_PREFIX = "/report/"
# The report's pages allow nothing but their own stylesheet and script: no inline code, nothing from
# another origin, no framing (only a header can say frame-ancestors; the pages repeat the rest in <meta>).
REPORT_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; object-src 'none'"
)
REPORT_HEADERS = {
    "Content-Security-Policy": REPORT_POLICY + "; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
HASH_SCHEME = "pbkdf2_sha256"
HASH_ITERATIONS = 600_000  # OWASP's figure for PBKDF2-HMAC-SHA256
REMEMBERED = 64  # verified headers kept


class RefusedBinding(UsageError):
    """The endpoint would listen beyond the loopback interface without a credential."""


def hash_password(password: str, iterations: int = HASH_ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    encode = base64.b64encode
    return f"{HASH_SCHEME}${iterations}${encode(salt).decode()}${encode(digest).decode()}"


def parse_hash(encoded: str) -> tuple[int, bytes, bytes]:
    """(iterations, salt, digest) of a stored hash; ValueError naming what is wrong."""
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != HASH_SCHEME:
        raise ValueError(
            f"not a {HASH_SCHEME}$<iterations>$<salt>$<digest> hash (make one with hash-password)"
        )
    try:
        iterations = int(parts[1])
        salt, digest = base64.b64decode(parts[2], validate=True), base64.b64decode(parts[3], validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("the hash's iterations, salt or digest cannot be read") from None
    if iterations < 100_000 or len(salt) < 8 or len(digest) != 32:
        raise ValueError("the hash is too weak (at least 100,000 iterations and an 8-byte salt)")
    return iterations, salt, digest


def verify_password(password: str, encoded: str) -> bool:
    iterations, salt, digest = parse_hash(encoded)
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(candidate, digest)


@dataclass
class Credential:
    """What a request must carry: a bearer token, or basic auth (user and hashed password), or both."""

    token: str | None = None
    user: str | None = None
    password_hash: str | None = None
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _verified: set[bytes] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def configured(self) -> bool:
        return bool(self.token) or bool(self.user and self.password_hash)

    def allows(self, header: str | None) -> bool:
        """Whether an ``Authorization`` header carries the credential (always True when none is set)."""
        if not self.configured:
            return True
        if not header:
            return False
        remembered = hmac.new(self._key, header.encode(), hashlib.sha256).digest()
        with self._lock:
            if remembered in self._verified:
                return True
        if not self._check(header):
            return False
        with self._lock:
            if len(self._verified) >= REMEMBERED:
                self._verified.clear()
            self._verified.add(remembered)
        return True

    def _check(self, header: str) -> bool:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self.token:
            # Equal-length digests compared in constant time: the token's length leaks nothing either.
            given = hashlib.sha256(value.encode()).digest()
            return hmac.compare_digest(given, hashlib.sha256(self.token.encode()).digest())
        if scheme.lower() == "basic" and self.user and self.password_hash:
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return False
            same_user = hmac.compare_digest(user.encode(), self.user.encode())
            return verify_password(password, self.password_hash) and same_user
        return False

    def challenge(self) -> str:
        return 'Basic realm="rankbridge"' if self.user else 'Bearer realm="rankbridge"'


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to any interface


def require_credential(host: str, port: int, credential: Credential) -> None:
    if is_loopback(host) or credential.configured:
        return
    raise RefusedBinding(
        f"refusing to serve on {host}:{port} without a credential: anyone who can reach that address could "
        "read the report and the metrics. Set [daemon] auth_token (a bearer token, e.g. "
        '"${RANKBRIDGE_DAEMON_TOKEN}") or basic_user and basic_password_hash (from '
        "`rankbridge hash-password`), or listen on 127.0.0.1."
    )


class ReportFiles:
    """The report directory's files, by URL path under :data:`REPORT_PREFIX` (nothing outside it, no
    directory listing, no hidden file, only the report's own file types)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def find(self, url_path: str) -> Path | None:
        relative = unquote(url_path.removeprefix(REPORT_PREFIX)) or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        parts = relative.split("/")
        if any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
            return None
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or path.suffix not in CONTENT_TYPES or not path.is_file():
            return None
        return path
