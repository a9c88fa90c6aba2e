"""References to issues of any connected tracker, found in ticket text and in a link field.

Each mention becomes refs the store resolves after a pull: ``url:<url>`` (against items.url) and
``key:<key>`` (against items.key). Recognised by default:

* Jira      ``https://<host>[/<context>]/browse/KEY-1``          → ``url:`` (query and fragment dropped)
* Linear    ``https://<host>/<workspace>/issue/KEY-1[/<slug>]``  → ``url:`` as written, and without the slug
* GitHub    ``https://<host>/<owner>/<repo>/issues/<n>``         → ``url:`` and ``key:owner/repo#n``
* bare keys ``KEY-123`` and ``owner/repo#12`` outside URLs       → ``key:``

A Jira or Linear URL names its tracker, but its key may not: Jira projects and Linear teams often share
prefixes (ENG-12 in both), and the store resolves a ``key:`` to the first item with that key. So such URLs
give ``key:`` refs only when ``url_keys`` is on (for a tracker reached under another host than the one its
connection uses); GitHub's ``owner/repo#n`` cannot be confused with another tracker's key.

Configured ``link_patterns`` add regexes: a named group ``key`` (or ``owner``, ``repo``, ``n``) gives a
``key:`` ref, otherwise the whole match is a ``url:`` ref.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_HOST = r"https?://[^\s/<>\"'()\[\]]+"
_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}|\\^`]+")
_JIRA_URL = re.compile(_HOST + r"(?:/[\w.~-]+)*?/browse/(?P<key>[A-Z][A-Z0-9_]+-\d+)(?![\w-])")
_GITHUB_URL = re.compile(_HOST + r"/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/issues/(?P<n>\d+)(?![\w-])")
_LINEAR_URL = re.compile(_HOST + r"/(?P<ws>[\w.-]+)/issue/(?P<key>[A-Z][A-Z0-9_]+-\d+)(?:/[\w.%-]*)?")
# A key not preceded by [\w/#.-]; the check comes after the first letter (a lookbehind over both) so
# that the pattern starts with a character class, which the regex engine scans for fast.
_BARE_KEY = re.compile(r"(?P<key>[A-Z](?<![\w/#.-][A-Z])[A-Z0-9_]{1,9}-\d+)(?![\w-])")
_KEY_HINT = re.compile(r"-\d")  # what every bare key holds; a literal-led pattern, so a fast scan
_BARE_GITHUB = re.compile(r"(?<![\w/.#-])(?P<owner>[A-Za-z0-9][\w.-]*)/(?P<repo>[\w.-]+)#(?P<n>\d+)(?!\w)")
# Words shaped like issue keys that are not (encodings, standards, hashes).
NOT_KEYS = frozenset(
    {
        "UTF",
        "ISO",
        "SHA",
        "RFC",
        "CVE",
        "COVID",
        "TLS",
        "SSL",
        "HTTP",
        "MD",
        "IPV",
        "WIN",
        "GPT",
        "AES",
        "RSA",
        "PCI",
        "SOC",
        "GDPR",
        "ES",
        "EN",
        "DE",
        "FR",
        "MP",
    }
)


@dataclass(frozen=True)
class Mention:
    """One reference and how it was written (``url`` or ``key``)."""

    ref: str
    form: str


@dataclass
class MentionFinder:
    patterns: list[str] = field(default_factory=list)
    key_prefixes: list[str] = field(default_factory=list)
    url_keys: bool = False

    def __post_init__(self) -> None:
        self._extra = [re.compile(p) for p in self.patterns]
        self._prefixes = tuple(self.key_prefixes)

    def find(self, texts: Iterable[str]) -> list[Mention]:
        """Mentions in order of first appearance, without repeats."""
        seen: dict[str, Mention] = {}
        for text in texts:
            for mention in self._in_text(text or ""):
                seen.setdefault(mention.ref, mention)
        return list(seen.values())

    def find_value(self, value: object) -> list[Mention]:
        """References held in a link field: URLs, keys, or one bare value taken as a key."""
        if value is None or value == "":
            return []
        text = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        found = self.find([text])
        if not found and text.strip() and " " not in text.strip():
            found = [Mention(f"key:{text.strip()}", "key")]
        return found

    def _in_text(self, text: str) -> list[Mention]:
        # Each pattern runs only where text can match it (a URL needs "://", a GitHub key "#", a key "-"
        # then a digit): most ticket text mentions nothing, and these checks are far cheaper than a scan.
        found = self._custom(text) if self._extra else []
        rest = text
        if "://" in text:
            for match in _URL.finditer(text):
                url = match.group(0).rstrip(".,;:!?")
                found.extend(self._url(url))
                rest = rest.replace(match.group(0), " ", 1)
        if "#" in rest:
            for match in _BARE_GITHUB.finditer(rest):
                found.append(Mention(f"key:{match['owner']}/{match['repo']}#{match['n']}", "key"))
        if _KEY_HINT.search(rest):
            for match in _BARE_KEY.finditer(rest):
                key = match["key"]
                if self._is_key(key):
                    found.append(Mention(f"key:{key}", "key"))
        return found

    def _url(self, url: str) -> Iterable[Mention]:
        # Each pattern is tried only on URLs holding its path word ("/browse/", "/issue/", "/issues/"):
        # a failing match backtracks over every way to split the path, which costs far more than this.
        match = _JIRA_URL.match(url) if "/browse/" in url else None
        if match:
            yield Mention(f"url:{match.group(0)}", "url")
            if self.url_keys:
                yield Mention(f"key:{match['key']}", "url")
            return
        match = _LINEAR_URL.match(url) if "/issue/" in url else None
        if match:
            yield Mention(f"url:{match.group(0).rstrip('/')}", "url")
            yield Mention(f"url:{match.group(0)[: match.end('key')]}", "url")
            if self.url_keys:
                yield Mention(f"key:{match['key']}", "url")
            return
        match = _GITHUB_URL.match(url) if "/issues/" in url else None
        if match:
            yield Mention(f"url:{match.group(0)}", "url")
            yield Mention(f"key:{match['owner']}/{match['repo']}#{match['n']}", "url")

    def _custom(self, text: str) -> list[Mention]:
        found = []
        for pattern in self._extra:
            for match in pattern.finditer(text):
                groups = match.groupdict()
                if groups.get("key"):
                    found.append(Mention(f"key:{groups['key']}", "key"))
                elif groups.get("owner") and groups.get("repo") and groups.get("n"):
                    found.append(Mention(f"key:{groups['owner']}/{groups['repo']}#{groups['n']}", "key"))
                else:
                    found.append(Mention(f"url:{match.group(0)}", "url"))
        return found

    def _is_key(self, key: str) -> bool:
        prefix = key.rsplit("-", 1)[0]
        if self._prefixes:
            return prefix in self._prefixes
        return prefix not in NOT_KEYS
