"""The web page: semantic, in the leaflet's language, with the same governance fields."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import yaml

from build_leaflets.model import STANDARD_SECTIONS
from tests.conftest import SAMPLES


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.current: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.current.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.current and self.current[-1] == tag:
            self.current.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)


def _outline(path: Path) -> _Outline:
    parser = _Outline()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_each_page_is_semantic(built: Path) -> None:
    for source in SAMPLES:
        data = yaml.safe_load(source.read_text())
        page = _outline(built / f"{data['reference']}.html")
        html_attrs = next(attrs for tag, attrs in page.tags if tag == "html")
        assert html_attrs["lang"] == "en-GB"
        assert page.count("h1") == 1
        assert page.count("main") == 1
        assert page.count("footer") == 1
        sections = [key for key in STANDARD_SECTIONS if key in data]
        extras = len(data.get("extra_sections", []))
        changes = 1 if data.get("changes") else 0
        # one h2 per section, plus "Contact us" and (when there are changes) the history
        assert page.count("h2") == len(sections) + extras + 1 + changes


def test_footer_carries_the_governance_fields(built: Path) -> None:
    page = (built / "PSY-0102.html").read_text()
    footer = page[page.index('<footer class="governance">') :]
    for expected in (
        "<dt>Leaflet reference</dt><dd>PSY-0102</dd>",
        "<dt>Version</dt><dd>2</dd>",
        '<dt>Date last updated</dt><dd><time datetime="2026-12-01">1 December 2026</time>',
        '<dt>Archive date</dt><dd><time datetime="2029-12-01">1 December 2029</time>',
    ):
        assert expected in footer


def test_catalogue_lists_every_leaflet(built: Path) -> None:
    index = (built / "index.html").read_text()
    for source in SAMPLES:
        data = yaml.safe_load(source.read_text())
        ref = data["reference"]
        assert f'href="{ref}.html"' in index
        assert f'href="pdf/{ref}/{ref}-v{data["version"]}.pdf"' in index
