"""Blocks: the one shape every format is read into, and the Markdown escaping they share.

A Word file, a web page and a text file differ in everything but this: a document is a run of
headings, paragraphs, list items, tables and pictures, each with a few formatting facts (bold,
size, style). Readers produce `Block`s and nothing else, so finding headings, governance lines
and sections is written once, for every format.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["paragraph", "heading", "item", "table", "picture"]


@dataclass(frozen=True)
class Picture:
    """A picture found in a document: its bytes when the format carries them, and its alt text."""

    name: str  # as the document names it, for the report
    data: bytes | None  # None when the picture is a separate file we may not read
    kind: str  # "png", "jpeg", or what else it is (reported, not imported)
    alt: str


@dataclass
class Block:
    """One block of a document, with the facts that say what it is.

    `text` is inline Markdown (bold, italic and links kept, everything else escaped); `plain`
    is the same words without markup, for matching. For a heading, `level` is its level (1 is
    the highest); for a list item, its nesting depth (0 is the outermost).
    """

    kind: Kind
    text: str = ""
    plain: str = ""
    level: int = 0
    ordered: bool = False
    number: str = ""  # a typed list item's own number or letter ("3", "b")
    style: str = ""  # why this is a heading or a list: 'style "Heading 2"', "<h2>", "# heading"
    title: bool = False  # the document says this is its title (Title style, front matter)
    bold: bool = False  # every letter is bold
    caps: bool = False  # every letter is shown in capitals (Word's "All caps" formatting)
    size: float | None = None  # font size in points, where the format has one
    standalone: bool = False  # plain text: a line with blank lines (or nothing) around it
    indent: int = 0  # plain text and typed lists: how far the line is indented
    rows: list[list[str]] = field(default_factory=list)  # a table's cells, as inline Markdown
    plain_rows: list[list[str]] = field(default_factory=list)  # the same cells as plain text
    picture: Picture | None = None
    how: str = ""  # set by `structure`: how this heading was recognised, for the report

    @property
    def words(self) -> int:
        return len(self.plain.split())


@dataclass
class Document:
    """What a reader found in one file."""

    blocks: list[Block]
    margins: list[Block] = field(default_factory=list)  # page headers and footers
    baseline: Counter[str] = field(default_factory=Counter)  # every word of the body text
    notes: list[str] = field(default_factory=list)  # what the reader could not take
    title: str = ""  # a title from outside the body (front matter, <title>)
    summary: str = ""  # a summary from outside the body (front matter)
    fallback_title: str = ""  # a title to use when the text has none (a web page's <title>)


_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> Counter[str]:
    """The words of `text`, counted, in a form that survives Markdown escapes and markup:
    letters and digits only, case folded (a heading may be written in capitals)."""
    return Counter(word.casefold() for word in _WORD.findall(text))


_INLINE_SPECIAL = re.compile(r"([\\`*\[\]<>|])")
_LONE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^(\s*)([#>+=~-]|\d{1,9}[.)](?=\s|$))")


def escape(text: str) -> str:
    """Text as inline Markdown that shows exactly that text: no stray emphasis, links, raw HTML
    (which `check` refuses) or entities. Line starts are `guard_lines`'s job, done once the
    runs of a paragraph are joined."""
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _LONE_UNDERSCORE.sub(r"\\_", text)
    return _ENTITY.sub("&amp;", text)


def guard_lines(markdown: str) -> str:
    """A paragraph's Markdown with each line trimmed (four spaces would make code) and any
    list, heading, quote or rule marker at a line's start escaped, so it stays a paragraph.
    A line break the document made (an address, a verse) stays one: a backslash at the end
    of a line is CommonMark's hard break."""
    lines = [_escape_line_start(line.strip()) for line in markdown.split("\n")]
    return "\\\n".join(line for line in lines if line)


def _escape_line_start(line: str) -> str:
    match = _LINE_START.match(line)
    if not match:
        return line
    marker = match.group(2)
    cut = match.end(1) + len(marker) - 1  # escape the marker's last character ("1." -> "1\.")
    return line[:cut] + "\\" + line[cut:]


def clean(text: str) -> str:
    """Text without what no leaflet may hold: control characters (Word's vertical tab, the
    bell), zero-width characters and soft hyphens; runs of spaces become one. Tabs stay until
    the end (`flatten`): they separate a typed bullet from its text and the fields of a footer.
    """
    text = text.replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", " ", text)
    return re.sub(r"[ \u00a0]{2,}", " ", text)


def flatten(text: str) -> str:
    """Tabs and runs of spaces as one space, for text that is finished."""
    return re.sub(r"[ \t\u00a0]*\t[ \t\u00a0]*|[ \u00a0]{2,}", " ", text)


def emphasis(text: str, *, bold: bool, italic: bool) -> str:
    """Already-escaped `text` wrapped in Markdown emphasis, with the spaces kept outside the
    markers (CommonMark ignores `** bold**`)."""
    if not (bold or italic) or not text.strip():
        return text
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    marker = ("**" if bold else "") + ("*" if italic else "")
    return f"{text[:start]}{marker}{text[start:end]}{marker[::-1]}{text[end:]}"


def join_runs(parts: list[tuple[str, bool, bool, str]]) -> tuple[str, str]:
    """Inline Markdown and plain text from runs of (text, bold, italic, link): neighbouring runs
    with the same formatting are merged first, so Word's habit of splitting a word into many
    runs does not give `**ri****ver**`."""
    merged: list[list[object]] = []
    for text, bold, italic, link in parts:
        if not text:
            continue
        same = merged and merged[-1][1:] == [bold, italic, link]
        blank = not text.strip()
        if same:
            merged[-1][0] = str(merged[-1][0]) + text
        elif blank and merged and not link:
            merged[-1][0] = str(merged[-1][0]) + text  # a space takes its neighbour's looks
        else:
            merged.append([text, bold, italic, link])
    markdown: list[str] = []
    plain: list[str] = []
    for piece, strong, slanted, target in merged:
        shown = emphasis(escape(clean(str(piece))), bold=bool(strong), italic=bool(slanted))
        if target:
            shown = f"[{shown.strip()}]({_link_target(str(target))})" if shown.strip() else shown
        markdown.append(shown)
        plain.append(clean(str(piece)))
    return guard_lines("".join(markdown).strip()), "".join(plain).strip()


def _link_target(url: str) -> str:
    """A URL as a Markdown link destination: spaces and brackets percent-encoded."""
    return url.strip().replace(" ", "%20").replace("(", "%28").replace(")", "%29")
