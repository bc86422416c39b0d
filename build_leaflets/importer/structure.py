"""Structure: headings, lists and the title of documents that were formatted by hand.

Few real leaflets use Word's heading and list styles. Most make a heading by typing a short
line and making it bold or bigger, and a list by typing "•" and a tab. This module finds
those, so that every format reaches `sections` with real headings and list items:

- **typed lists**: a paragraph starting with •, ·, ▪, an en dash, -, * (or Word's "o" and a
  tab for a second level) is a bullet item; one starting with 1. 1) or (1) is a numbered
  item, and one starting with a) keeps its letter in a bullet item (Markdown numbers only with
  digits). How far it is indented gives its depth;
- **manual headings**: a short paragraph (at most 15 words, not ending in . , ; or :) that is
  all bold, larger than the body text, all in capitals, or a single question ending in "?".
  In plain text, where there is no formatting, a short line standing alone and followed by
  text is a heading too;
- **the title**: the Title style, else the first Heading 1 or large first line that is not
  itself one of the standard questions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from build_leaflets.importer.blocks import Block, words
from build_leaflets.importer.sections import choose_section_level, match_heading, subjects_of

MAX_HEADING_WORDS = 15
MAX_HEADING_CHARS = 120
SUBHEADING = 9  # a level below any section

_BULLET = re.compile(r"^\s*(?:[•·▪●◦○■□➢➤►✓\uf0b7\uf0a7]|[-*\u2013\u2014](?=\s)|o(?=\t))\s*")
_BULLET_MARKDOWN = re.compile(r"^\s*(?:[•·▪●◦○■□➢➤►✓\uf0b7\uf0a7]|\\?[-*\u2013\u2014]|o(?=\t))\s*")
_NUMBER = re.compile(r"^\s*\(?(\d{1,2})[.)]\)?(?=\s)\s*")
_NUMBER_MARKDOWN = re.compile(r"^\s*\\?\(?\d{1,2}\\?[.)]\\?\)?\s*")
_LETTER = re.compile(r"^\s*\(?[a-z][.)]\)?\s+")


@dataclass
class Shape:
    """A document's title and blocks, its manual headings found and its lists typed."""

    title: Block | None
    blocks: list[Block]
    section_level: int
    body_size: float | None
    markers: Counter[str]  # typed bullets that are letters ("o"): not words of the text


def _typed_item(block: Block, *, numbers: bool) -> bool:
    """Make a paragraph that starts with a typed bullet (or, if `numbers`, a typed number or
    letter) a list item."""
    plain = block.plain
    if bullet := _BULLET.match(plain):
        block.kind, block.style = "item", "a typed bullet"
        block.number = bullet.group(0).strip()  # the marker, for the word count
        block.plain = plain[bullet.end() :]
        block.text = _BULLET_MARKDOWN.sub("", block.text, count=1)
        return True
    if not numbers:
        return False
    if number := _NUMBER.match(plain):
        block.kind, block.ordered, block.number = "item", True, number.group(1)
        block.style = "a typed number"
        block.plain = plain[number.end() :]
        block.text = _NUMBER_MARKDOWN.sub("", block.text, count=1)
        return True
    if _LETTER.match(plain):
        block.kind, block.style = "item", "a typed letter"
        return True
    return False


def _typed_depths(blocks: list[Block]) -> None:
    """Depths of typed items from their indentation, within each run of neighbouring items."""
    run: list[Block] = []
    for block in [*blocks, Block("paragraph")]:
        if block.kind == "item" and block.style.startswith("a typed"):
            run.append(block)
            continue
        indents = sorted({b.indent for b in run})
        for item in run:
            item.level = indents.index(item.indent)
        run = []


_WEAK = ("a question", "a short line on its own")


def shape(blocks: list[Block], *, plain_text: bool, title_hint: str = "") -> Shape:
    """Find typed lists, manual headings and the title; choose the level that splits sections.

    A typed bullet is always a list item; a typed number is a heading when it is set like one
    ("1. Introduction" in bold 14 pt), and a list item otherwise.
    """
    body = _body_size(blocks)
    for index, block in enumerate(blocks):
        if block.kind != "paragraph" or _typed_item(block, numbers=False):
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        signals = _signals(block, body, plain_text, following)
        visual = [s for s in signals if s not in _WEAK]
        if not visual and _typed_item(block, numbers=True):
            continue
        if signals:
            block.kind, block.how = "heading", "manual formatting: " + ", ".join(signals)
            block.level = 0  # decided below
    _typed_depths(blocks)
    for block in blocks:
        if block.kind == "heading" and not block.how:
            block.how = block.style or "heading"
    title = _title(blocks, body, title_hint)
    if title is not None:
        blocks = [b for b in blocks if b is not title]
    subjects = subjects_of(title.plain if title else title_hint)
    _manual_levels(blocks, subjects)
    markers: Counter[str] = Counter()
    for block in blocks:
        if block.style == "a typed bullet":
            markers.update(words(block.number))
            block.number = ""
    return Shape(title, blocks, choose_section_level(blocks, subjects), body, markers)


def _body_size(blocks: list[Block]) -> float | None:
    """The body text's size: the size most words are set in."""
    sizes: Counter[float] = Counter()
    for block in blocks:
        if block.kind in ("paragraph", "item") and block.size:
            sizes[block.size] += block.words
    return sizes.most_common(1)[0][0] if sizes else None


def _signals(
    block: Block, body: float | None, plain_text: bool, following: Block | None
) -> list[str]:
    """Why a paragraph looks like a heading, if it does."""
    text = block.plain.strip()
    if (
        not text
        or "\n" in text
        or len(text) > MAX_HEADING_CHARS
        or block.words > MAX_HEADING_WORDS
        or text[-1] in ".,;:"
        or not (text[0].isalnum() or text[0] in "'\"\u2018\u201c(")
    ):
        return []
    signals: list[str] = []
    if block.bold:
        signals.append("bold")
    if block.size and body and block.size >= body + 1:
        signals.append(f"{block.size:g} pt")
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 4 and (block.caps or all(c.isupper() for c in letters)):
        signals.append("all capitals")
    if text.endswith("?") and text.count("?") == 1 and not re.search(r"[.!]\s", text):
        signals.append("a question")
    if (
        not signals
        and plain_text
        and block.standalone
        and block.words <= 10
        and text[0].isupper()
        and text[-1] != "!"
        and following is not None
        and following.kind in ("paragraph", "item", "table")
        and (following.kind != "paragraph" or following.words > block.words)
    ):
        signals.append("a short line on its own")
    return signals


def _title(blocks: list[Block], body: float | None, hint: str) -> Block | None:
    """The document's title block, if it has one: never a standard question."""
    for block in blocks:
        if block.title:
            return block
    if hint:
        return None
    for block in blocks[:6]:
        if block.kind == "paragraph" and block.words > 25:
            break
        if block.kind != "heading" or block.level > 1:
            continue
        if match_heading(block.plain).key is not None or block.plain.rstrip().endswith("?"):
            break
        if block.size is None or body is None or block.size >= body:
            return block
    return None


def _manual_levels(blocks: list[Block], subjects: tuple[str, ...]) -> None:
    """Levels for manual headings: as prominent as the section headings of the document (or as
    its most common kind of manual heading), or a subheading when smaller, unless it asks one
    of the standard questions ("HOW TO BE REFERRED" in capitals at the text's size)."""
    styled = [b for b in blocks if b.kind == "heading" and b.style and b.level > 0]
    manual = [b for b in blocks if b.kind == "heading" and not b.style]
    if not manual:
        return
    if styled:
        top = min(b.level for b in styled)
        sizes = Counter(b.size for b in styled if b.level == top and b.size)
        reference = sizes.most_common(1)[0][0] if sizes else None
    else:
        top = 2
        sizes = Counter(b.size for b in manual if b.size)
        reference = sizes.most_common(1)[0][0] if sizes else None
    for block in manual:
        same = reference is None or (block.size or 0) >= reference
        asks = match_heading(block.plain, subjects).key is not None
        block.level = top if same or asks else SUBHEADING
