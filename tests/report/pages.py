"""Reading generated pages the way a browser's parser does (``html.parser``), for assertions on elements
rather than on substrings."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def cells(self) -> list[str]:
        """The text of each ``<td>`` of a row."""
        return [c.text for c in self.children if c.tag == "td"]


class Page(HTMLParser):
    """Every element with its attributes and its whole text (its descendants' text included)."""

    VOID = frozenset({"meta", "link", "img", "br", "input", "hr", "circle", "rect", "line", "polyline"})

    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(path.read_text(encoding="utf-8"))
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if self._open:
            self._open[-1].children.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if self._open:
            self._open[-1].children.append(element)

    def handle_endtag(self, tag: str) -> None:
        for n in range(len(self._open) - 1, -1, -1):
            if self._open[n].tag == tag:
                del self._open[n:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            el
            for el in self.elements
            if el.tag == tag and all(el.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.find(tag, **attrs)
        assert len(found) == 1, f"{self.path.name}: {len(found)} <{tag} {attrs}>"
        return found[0]

    def rows(self, table_id: str | None = None, css: str | None = None) -> list[Element]:
        """The body rows (``<tbody><tr>``) of the table with this id or class."""
        in_table = in_body = False
        out = []
        for el in self.elements:
            if el.tag == "table":
                in_table = (table_id is not None and el.attrs.get("id") == table_id) or (
                    css is not None and el.attrs.get("class") == css
                )
                in_body = False
            elif el.tag in ("thead", "tbody"):
                in_body = el.tag == "tbody"
            elif el.tag == "tr" and in_table and in_body:
                out.append(el)
        return out


def all_pages(site: Path) -> list[Page]:
    return [Page(p) for p in sorted(site.rglob("*.html"))]
