"""Diff: what changed between two versions of a leaflet, field by field, for its approval group.

The group signs off each new version and needs to see exactly what changed since the version it
last approved. Comparing two PDFs by eye misses things, comparing rendered HTML mangles lists
(a new list item shows as half of one item deleted and two inserted), and comparing pixels says
nothing about words. So the comparison works on the leaflet's data, in the order it is printed:
the title, the summary, each section under its heading (the heading compared too), the extra
sections matched by heading, the contact details, the governance fields and the version history.

Within a section body the BLOCKS (paragraphs, list items, headings, table rows) are matched
first, as whole blocks, with `difflib.SequenceMatcher`: an added list item is one inserted
block, and a paragraph split in two or a list put in another order is recognised as such. Then
the WORDS of each pair of matched blocks that differ are compared (words, numbers and each
punctuation mark are tokens, so "hard." to "hard" is a change of punctuation only). Short
unchanged words caught between two changes are folded into them, so "12 to 16 weeks" becoming
"3 to 4 months" reads as that, not as "12" to "3", "to", "16 weeks" to "4 months".

Changes of whitespace, punctuation or emphasis only (and a paragraph split or joined with the
same words) are hidden unless `minor=True`: they are shown as unchanged text, as it is now.
Every number that changed in what a patient reads (digits: "12 to 16", 9am, a phone number,
2.5 mg) is listed in `Comparison.numbers`, for a clinician to check.

Pure: data in, data out; no file is read and nothing is written (see `review` for that).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from build_leaflets.model import STANDARD_SECTIONS
from build_leaflets.render import uk_date

State = Literal["unchanged", "changed", "added", "removed"]
Kind = Literal["equal", "inserted", "deleted"]
BlockKind = Literal["paragraph", "item", "heading", "row", "code", "rule", "line", "value"]
Group = Literal["text", "section", "contact", "governance", "history", "sources"]

#: The governance fields, in the order they are compared, with what people call them.
GOVERNANCE: dict[str, str] = {
    "version": "Version",
    "status": "Status",
    "last_updated": "Date last updated",
    "archive_date": "Archive date",
    "owner": "Service (owner)",
    "approved_by": "Approved by",
    "approved_on": "Approved on",
}
_DATES = ("last_updated", "archive_date", "approved_on")
#: Contact details, in the order the leaflet prints them.
CONTACT: dict[str, str] = {
    "phone": "Phone",
    "hours": "Opening hours",
    "email": "Email",
    "address": "Address",
}


# --- what a comparison is ---------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of text that is in both versions (equal), only in the new one (inserted) or only
    in the old one (deleted). `style` is the emphasis it is printed with: "", "strong", "em",
    "code" or several of them, space-separated."""

    kind: Kind
    text: str
    style: str = ""


@dataclass(frozen=True)
class Block:
    """One paragraph, list item, heading or table row (or one value of a field) as it reads
    in the new version, with what changed in it.

    `level` is a list item's depth (0 at the top) or a heading's Markdown level; `ordered`
    says a list item is numbered. `note` names a change that is no change of words, shown only
    with minor changes: "split" (a new paragraph or item begins here), "joined" (two became
    one), "formatting" (a paragraph became a list item, say); and "moved" for a block that was
    removed in one place and added, the same, in another.
    """

    kind: BlockKind
    state: State
    segments: tuple[Segment, ...]
    level: int = 0
    ordered: bool = False
    note: str = ""

    @property
    def text(self) -> str:
        """The block as it reads in the new version."""
        return _read(s.text for s in self.segments if s.kind != "deleted")

    @property
    def old_text(self) -> str:
        """The block as it read in the old version (any minor change hidden read as now)."""
        return _read(s.text for s in self.segments if s.kind != "inserted")

    def runs(self, kind: Kind) -> list[str]:
        """The text of each run of inserted (or deleted) segments, whatever their emphasis."""
        return _runs(self.segments, kind)


@dataclass(frozen=True)
class Field:
    """One part of the leaflet: its state, and its blocks as the new version has them (with
    the removed ones where they were). A section's heading is compared as a block of its own."""

    key: str  # title, summary, what, extra_sections.0, contact, version, changes...
    label: str  # what people call it: "Title", the section's heading, "Version"
    group: Group
    state: State
    blocks: tuple[Block, ...]
    heading: Block | None = None

    @property
    def all_blocks(self) -> tuple[Block, ...]:
        return (self.heading, *self.blocks) if self.heading is not None else self.blocks

    @property
    def inserted(self) -> list[str]:
        """Every inserted run of text, heading first, in reading order."""
        return [text for block in self.all_blocks for text in block.runs("inserted")]

    @property
    def deleted(self) -> list[str]:
        return [text for block in self.all_blocks for text in block.runs("deleted")]

    @property
    def insertions(self) -> int:
        """How many insertions: runs of inserted text (a new list item counts once)."""
        return len(self.inserted)

    @property
    def deletions(self) -> int:
        return len(self.deleted)

    @property
    def moves(self) -> int:
        """How many blocks were moved (each is also one insertion and one deletion)."""
        return sum(block.note == "moved" and block.state == "added" for block in self.blocks)


@dataclass(frozen=True)
class NumberChange:
    """A number that changed in what a patient reads: the words around it, before and after
    ("16 sessions" -> "12 to 16 sessions"); either is "" when the number was only added or only
    removed."""

    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Comparison:
    """Two versions of one leaflet compared, field by field in print order."""

    reference: str
    old_version: int | None
    new_version: int | None
    minor: bool
    fields: tuple[Field, ...]
    numbers: tuple[NumberChange, ...]

    @property
    def changed(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.state != "unchanged")

    def field(self, key: str) -> Field:
        for found in self.fields:
            if found.key == key:
                return found
        raise KeyError(key)

    def numbers_in(self, key: str) -> list[NumberChange]:
        return [number for number in self.numbers if number.field == key]


# --- comparing two leaflets -------------------------------------------------------------------


def compare(old: Mapping[str, Any], new: Mapping[str, Any], *, minor: bool = False) -> Comparison:
    """Compare two versions of a leaflet's data (as its YAML loads, or as `Leaflet.model_dump`
    gives it), field by field in the leaflet's print order.

    Unknown keys are ignored and missing ones are absent, so a version written for an older
    model still compares. `minor` shows changes of whitespace, punctuation and emphasis only,
    which are otherwise shown as the text is now.
    """
    fields: list[Field] = []
    numbers: list[NumberChange] = []

    def add(found: Field | None, found_numbers: Iterable[NumberChange] = ()) -> None:
        if found is not None:
            fields.append(found)
            numbers.extend(found_numbers)

    for key, label in (("title", "Title"), ("summary", "Summary")):
        add(*_compare_text(key, label, _lines(old.get(key)), _lines(new.get(key)), minor))
    for key, default in STANDARD_SECTIONS.items():
        add(*_compare_section(key, default, old.get(key), new.get(key), minor))
    for key, old_extra, new_extra in _match_extras(
        _extras(old.get("extra_sections")), _extras(new.get("extra_sections"))
    ):
        add(*_compare_section(key, "", old_extra, new_extra, minor))
    add(
        *_compare_lines(
            "contact", "Contact us", "contact", _contact(old), _contact(new), minor, clinical=True
        )
    )
    for key, label in GOVERNANCE.items():
        add(_compare_value(key, label, _value(key, old.get(key)), _value(key, new.get(key))))
    add(
        *_compare_lines(
            "changes",
            "Changes to this leaflet",
            "history",
            _history(old.get("changes")),
            _history(new.get("changes")),
            minor,
            clinical=False,
        )
    )
    add(
        *_compare_lines(
            "sources",
            "Sources (not printed)",
            "sources",
            _lines(old.get("sources")),
            _lines(new.get("sources")),
            minor,
            clinical=False,
        )
    )
    return Comparison(
        reference=str(new.get("reference") or old.get("reference") or ""),
        old_version=_version(old),
        new_version=_version(new),
        minor=minor,
        fields=tuple(fields),
        numbers=tuple(dict.fromkeys(numbers)),
    )


def _version(data: Mapping[str, Any]) -> int | None:
    value = data.get("version")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text_of(value: Any) -> str:
    """A scalar as the leaflet prints it: dates written out (1 October 2026)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return uk_date(value)
    return str(value).strip()


def _lines(value: Any) -> list[_Block]:
    """A plain-text field (or a list of them, like sources) as blocks of one line each."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [_line(_text_of(item)) for item in values if _text_of(item)]


def _line(text: str, kind: BlockKind = "line") -> _Block:
    return _Block(kind, _tokens([(text, "")]))


def _value(key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if key in _DATES and isinstance(value, str):
        try:
            return uk_date(dt.date.fromisoformat(value.strip()))
        except ValueError:
            return value.strip()
    return _text_of(value)


def _contact(data: Mapping[str, Any]) -> list[_Block]:
    contact = data.get("contact")
    if not isinstance(contact, Mapping):
        return []
    return [
        _line(f"{label}: {_text_of(contact[key])}")
        for key, label in CONTACT.items()
        if contact.get(key) not in (None, "")
    ]


def _history(value: Any) -> list[_Block]:
    """The version history, one line a change: "Version 2, 1 December 2026: Said that..."."""
    if not isinstance(value, list):
        return []
    found = []
    for change in value:
        if isinstance(change, Mapping):
            day = change.get("date")
            when = f", {_value('last_updated', day)}" if day not in (None, "") else ""
            summary = _text_of(change.get("summary") or "")
            found.append(_line(f"Version {change.get('version')}{when}: {summary}"))
    return found


@dataclass(frozen=True)
class _Section:
    heading: str
    body: str


def _section(value: Any, default: str) -> _Section | None:
    """A section as written (plain text, or a heading and a body) with the heading it prints."""
    if value is None or isinstance(value, _Section):
        return value
    if isinstance(value, str):
        return _Section(default, value)
    if isinstance(value, Mapping):
        heading = value.get("heading")
        return _Section(str(heading) if heading else default, str(value.get("body") or ""))
    return _Section(default, str(value))


def _extras(value: Any) -> list[_Section]:
    if not isinstance(value, list):
        return []
    return [s for item in value if (s := _section(item, "")) is not None]


def _match_extras(
    old: list[_Section], new: list[_Section]
) -> Iterator[tuple[str, _Section | None, _Section | None]]:
    """Extra sections paired by heading: the same heading first, then a similar heading or a
    similar body, in order. The new ones in their order, each removed one after them."""
    paired: dict[int, int] = {}  # new index -> old index
    taken: set[int] = set()
    for j, section in enumerate(new):
        for i, earlier in enumerate(old):
            if i not in taken and earlier.heading.strip() == section.heading.strip():
                paired[j] = i
                taken.add(i)
                break
    for j, section in enumerate(new):
        if j in paired:
            continue
        for i, earlier in enumerate(old):
            if i in taken:
                continue
            if (
                _ratio(earlier.heading, section.heading) >= 0.6
                or _ratio(earlier.body, section.body) >= 0.5
            ):
                paired[j] = i
                taken.add(i)
                break
    for j, section in enumerate(new):
        yield f"extra_sections.{j}", old[paired[j]] if j in paired else None, section
    for i, earlier in enumerate(old):
        if i not in taken:
            yield f"extra_sections.removed.{i}", earlier, None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _words(a), _words(b), autojunk=False).ratio()


def _words(text: str) -> list[str]:
    return [t.text for t in _tokens([(text, "")]) if not t.punctuation]


# --- comparing fields -------------------------------------------------------------------------


def _compare_section(
    key: str, default: str, old_value: Any, new_value: Any, minor: bool
) -> tuple[Field | None, list[NumberChange]]:
    old, new = _section(old_value, default), _section(new_value, default)
    if old is None and new is None:
        return None, []
    label = new.heading if new else old.heading if old else ""
    numbers: list[NumberChange] = []
    heading = _compare_one(
        _line(old.heading, "heading") if old else None,
        _line(new.heading, "heading") if new else None,
        minor,
        key,
        label,
        numbers,
    )
    blocks = _compare_blocks(
        _blocks(old.body) if old else [],
        _blocks(new.body) if new else [],
        minor,
        key,
        label,
        numbers,
    )
    if old is None:
        state: State = "added"
    elif new is None:
        state = "removed"
    else:
        parts = (heading, *blocks)
        state = "changed" if any(b.state != "unchanged" for b in parts) else "unchanged"
    return Field(key, label, "section", state, tuple(blocks), heading), numbers


def _compare_one(
    old: _Block | None,
    new: _Block | None,
    minor: bool,
    key: str,
    label: str,
    numbers: list[NumberChange] | None,
) -> Block:
    """One value compared word by word however much it changed (a title, a heading)."""
    step = _Step((old,) if old else (), (new,) if new else ())
    if numbers is not None:
        numbers.extend(_numbers_of(step, minor, key, label))
    if old is None:
        assert new is not None
        return _one_sided(new, "inserted", "")
    if new is None:
        return _one_sided(old, "deleted", "")
    return _changed(step, minor)[0]


def _compare_text(
    key: str, label: str, old: list[_Block], new: list[_Block], minor: bool
) -> tuple[Field | None, list[NumberChange]]:
    """The title or the summary: one value, compared word by word."""
    if not old and not new:
        return None, []
    numbers: list[NumberChange] = []
    block = _compare_one(
        old[0] if old else None, new[0] if new else None, minor, key, label, numbers
    )
    return Field(key, label, "text", _state_of(old, new, [block]), (block,)), numbers


def _compare_lines(
    key: str,
    label: str,
    group: Group,
    old: list[_Block],
    new: list[_Block],
    minor: bool,
    *,
    clinical: bool = True,
) -> tuple[Field | None, list[NumberChange]]:
    if not old and not new:
        return None, []
    numbers: list[NumberChange] = []
    blocks = _compare_blocks(old, new, minor, key, label, numbers if clinical else None)
    return Field(key, label, group, _state_of(old, new, blocks), tuple(blocks)), numbers


def _compare_value(key: str, label: str, old: str | None, new: str | None) -> Field | None:
    """A governance value, compared whole: a version or a date is replaced, not edited."""
    if old is None and new is None:
        return None
    if old == new:
        assert new is not None
        return Field(key, label, "governance", "unchanged", (_whole("equal", new, "unchanged"),))
    if old is None:
        assert new is not None
        return Field(key, label, "governance", "added", (_whole("inserted", new, "added"),))
    if new is None:
        return Field(key, label, "governance", "removed", (_whole("deleted", old, "removed"),))
    segments = (Segment("deleted", old), Segment("inserted", new))
    return Field(key, label, "governance", "changed", (Block("value", "changed", segments),))


def _whole(kind: Kind, text: str, state: State) -> Block:
    return Block("value", state, (Segment(kind, text),))


def _state_of(old: Sequence[_Block], new: Sequence[_Block], blocks: Sequence[Block]) -> State:
    if not old:
        return "added"
    if not new:
        return "removed"
    return "changed" if any(b.state != "unchanged" for b in blocks) else "unchanged"


# --- tokens: words, numbers and punctuation ---------------------------------------------------

#: A number with any letters written onto it (2.5, 9:30, 1,000, 9am, 5mg), a word (with its
#: apostrophes: don't, don\u2019t), a run of whitespace, or any other single character.
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*[^\W\d_]*|[^\W\d_]+(?:['\u2019][^\W\d_]+)*|\s+|.", re.S)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    style: str = ""
    space: bool = False  # whitespace follows it

    @property
    def punctuation(self) -> bool:
        return all(unicodedata.category(c).startswith("P") for c in self.text)

    @property
    def digits(self) -> bool:
        return any(c.isdigit() for c in self.text)

    @property
    def word(self) -> bool:
        return not self.digits and any(c.isalpha() for c in self.text)


def _tokens(runs: Iterable[tuple[str, str]]) -> tuple[_Token, ...]:
    """Text runs (text, emphasis) as tokens: words, numbers (2.5, 9:30, 1,000) and each other
    character, each knowing whether whitespace follows it."""
    found: list[_Token] = []
    for text, style in runs:
        for match in _TOKEN.finditer(text):
            piece = match.group()
            if piece.isspace():
                if found:
                    found[-1] = _Token(found[-1].text, found[-1].style, True)
            elif (
                found
                and not found[-1].space
                and found[-1].style == style
                and unicodedata.category(piece[0]).startswith("M")
            ):  # a combining mark belongs to the word before it
                found[-1] = _Token(found[-1].text + piece, style, False)
            else:
                found.append(_Token(piece, style))
    if found and found[-1].space:
        found[-1] = _Token(found[-1].text, found[-1].style, False)
    return tuple(found)


# --- blocks: a Markdown body as paragraphs, list items, headings, rows --------------------------


@dataclass(frozen=True)
class _Block:
    kind: BlockKind
    tokens: tuple[_Token, ...]
    level: int = 0
    ordered: bool = False

    def key(self, minor: bool) -> tuple[object, ...]:
        """What makes two blocks the same block: with `minor`, everything shown; without, the
        kind of block and its words (punctuation, spacing and emphasis aside)."""
        if minor:
            return (self.kind, self.level, self.ordered, self.tokens)
        return (self.kind, "".join(t.text for t in self.tokens if not t.punctuation))


@functools.cache
def _markdown() -> MarkdownIt:
    # As the leaflet renders it (see markup): typographic quotes and dashes, pipe tables.
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["replacements", "smartquotes", "table"])
    return md


def _blocks(body: str) -> list[_Block]:
    """A Markdown body as the blocks a reader meets, in order: a list item's text is one block
    (its own paragraphs joined), and each item of a list inside it another, one level deeper."""
    blocks: list[_Block] = []
    lists: list[bool] = []  # the open lists, numbered or not
    items: list[list[tuple[str, str]] | None] = []  # open items' text; None once written
    heading = 0
    cells: list[list[tuple[str, str]]] | None = None

    def write_item() -> None:
        if items and items[-1] is not None:
            runs = items[-1]
            if runs:
                blocks.append(_Block("item", _tokens(runs), len(lists) - 1, lists[-1]))
            items[-1] = None

    for token in _markdown().parse(body):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            write_item()
            lists.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            items.append([])
        elif kind == "list_item_close":
            write_item()
            items.pop()
        elif kind == "heading_open":
            heading = int(token.tag[1])
        elif kind == "heading_close":
            heading = 0
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close" and cells is not None:
            runs = [run for cell in _joined(cells, "  |  ") for run in cell]
            blocks.append(_Block("row", _tokens(runs)))
            cells = None
        elif kind in ("fence", "code_block"):
            blocks.append(_Block("code", _tokens([(token.content, "code")])))
        elif kind == "hr":
            blocks.append(_Block("rule", ()))
        elif kind == "inline":
            runs = _inline(token.children or [])
            if cells is not None:
                cells.append(runs)
            elif heading:
                blocks.append(_Block("heading", _tokens(runs), heading))
            elif items and items[-1] is not None:
                current = items[-1]
                current.extend([(" ", "")] if current else [])
                current.extend(runs)
            else:
                blocks.append(_Block("paragraph", _tokens(runs)))
    return blocks


def _joined(cells: list[list[tuple[str, str]]], separator: str) -> list[list[tuple[str, str]]]:
    joined: list[list[tuple[str, str]]] = []
    for index, cell in enumerate(cells):
        joined.append(([(separator, "")] if index else []) + cell)
    return joined


def _inline(children: Sequence[Token]) -> list[tuple[str, str]]:
    """An inline token's text as (text, emphasis) runs. A link whose address is not its text
    is followed by the address, and a picture is named with its text alternative, so a
    changed address or picture shows."""
    runs: list[tuple[str, str]] = []
    emphasis: list[str] = []
    links: list[tuple[str, int]] = []

    def style(*extra: str) -> str:
        return " ".join(sorted({*emphasis, *extra}))

    for child in children:
        kind = child.type
        if kind == "text":
            runs.append((child.content, style()))
        elif kind in ("softbreak", "hardbreak"):
            runs.append((" ", style()))
        elif kind == "code_inline":
            runs.append((child.content, style("code")))
        elif kind in ("strong_open", "em_open"):
            emphasis.append(kind.removesuffix("_open"))
        elif kind in ("strong_close", "em_close"):
            name = kind.removesuffix("_close")
            if name in emphasis:
                emphasis.reverse()
                emphasis.remove(name)
                emphasis.reverse()
        elif kind == "link_open":
            links.append((str(child.attrGet("href") or ""), len(runs)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            shown = re.sub(r"^(mailto|tel):", "", href)
            text = "".join(text for text, _style in runs[start:])
            if re.sub(r"\s", "", shown) != re.sub(r"\s", "", text):
                runs.append((f" ({shown})", ""))
        elif kind == "image":
            source = str(child.attrGet("src") or "")
            runs.append((f"[Picture: {child.content} ({source})]", style()))
    return runs


# --- matching blocks --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """Old blocks and the new blocks they became: one and one, one and several (split),
    several and one (joined), none and one (added) or one and none (removed)."""

    old: tuple[_Block, ...]
    new: tuple[_Block, ...]


#: Pairing two blocks that differ needs this much in common (difflib's ratio of their words).
SIMILAR = 0.5
#: Largest replaced stretch (old blocks x new blocks) searched for splits and joins.
_MAX_GROUPED = 400


def _steps(old: Sequence[_Block], new: Sequence[_Block], minor: bool) -> list[_Step]:
    """Old blocks matched with new ones, in reading order (a removed block where it was)."""
    matcher = difflib.SequenceMatcher(
        None, [b.key(minor) for b in old], [b.key(minor) for b in new], autojunk=False
    )
    steps: list[_Step] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            steps += [_Step((a,), (b,)) for a, b in zip(old[i1:i2], new[j1:j2], strict=True)]
        else:
            steps += _align(old[i1:i2], new[j1:j2])
    return steps


def _align(old: Sequence[_Block], new: Sequence[_Block]) -> list[_Step]:
    """The best pairing of a stretch of blocks that differ, keeping their order: as many words
    as possible matched, each pair similar enough, one block to up to three (a split or a
    join) where every one of the three keeps most of its words."""
    n, m = len(old), len(new)
    shapes = [(1, 1)]
    if n * m <= _MAX_GROUPED:
        shapes += [(1, 2), (1, 3), (2, 1), (3, 1)]
    # best[i][j]: the score of the best pairing of old[i:] and new[j:], and its first step
    best: list[list[tuple[float, tuple[int, int]]]] = [
        [(0.0, (0, 0))] * (m + 1) for _ in range(n + 1)
    ]
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            if i == n and j == m:
                continue
            options: list[tuple[float, tuple[int, int]]] = []
            if i < n:
                options.append((best[i + 1][j][0], (1, 0)))
            if j < m:
                options.append((best[i][j + 1][0], (0, 1)))
            for a, b in shapes:
                if i + a <= n and j + b <= m:
                    score = _pair_score(tuple(old[i : i + a]), tuple(new[j : j + b]))
                    if score is not None:
                        options.append((score + best[i + a][j + b][0], (a, b)))
            best[i][j] = max(options, key=lambda option: option[0])  # first of equals wins
    steps: list[_Step] = []
    i = j = 0
    while i < n or j < m:
        a, b = best[i][j][1]
        steps.append(_Step(tuple(old[i : i + a]), tuple(new[j : j + b])))
        i, j = i + a, j + b
    return steps


def _pair_score(old: tuple[_Block, ...], new: tuple[_Block, ...]) -> float | None:
    """The number of words two groups of blocks have in common, if they are similar enough
    to be one block changed (less a little for a split or join, so one block is preferred to
    a group whose extra block adds nothing); None if not."""
    a = [t.text for block in old for t in block.tokens if not t.punctuation]
    b = [t.text for block in new for t in block.tokens if not t.punctuation]
    if not a or not b:
        return None
    matched = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    common = sum(size for _a, _b, size in matched)
    if 2 * common / (len(a) + len(b)) < SIMILAR:
        return None
    for group, side in ((old, 0), (new, 1)):
        if len(group) == 1:
            continue
        owner = [k for k, block in enumerate(group) for t in block.tokens if not t.punctuation]
        kept = [0] * len(group)
        for match in matched:
            for offset in range(match.size):
                kept[owner[match[side] + offset]] += 1
        sizes = [owner.count(k) for k in range(len(group))]
        if any(size == 0 or kept[k] < SIMILAR * size for k, size in enumerate(sizes)):
            return None
    return common - 0.5 * (len(old) + len(new) - 2)


# --- comparing blocks -------------------------------------------------------------------------


def _compare_blocks(
    old: Sequence[_Block],
    new: Sequence[_Block],
    minor: bool,
    key: str,
    label: str,
    numbers: list[NumberChange] | None,
) -> list[Block]:
    """The blocks of a field, each with its segments; the numbers that changed are added to
    `numbers` (None: the field is not read by patients, its numbers are not listed)."""
    steps = _steps(old, new, minor)
    moved = _moved(steps, minor)
    found: list[Block] = []
    for index, step in enumerate(steps):
        if not step.new:
            (block,) = step.old
            found.append(_one_sided(block, "deleted", "moved" if index in moved else ""))
        elif not step.old:
            (block,) = step.new
            found.append(_one_sided(block, "inserted", "moved" if index in moved else ""))
        else:
            found.extend(_changed(step, minor))
        if numbers is not None and index not in moved:
            numbers.extend(_numbers_of(step, minor, key, label))
    return found


def _moved(steps: Sequence[_Step], minor: bool) -> set[int]:
    """The steps that remove a block and add the same block elsewhere: a move."""
    removed: dict[tuple[object, ...], list[int]] = {}
    for index, step in enumerate(steps):
        if not step.new:
            removed.setdefault(step.old[0].key(minor), []).append(index)
    moved: set[int] = set()
    for index, step in enumerate(steps):
        if not step.old:
            earlier = removed.get(step.new[0].key(minor))
            if earlier:
                moved.update((earlier.pop(0), index))
    return moved


def _one_sided(block: _Block, kind: Kind, note: str) -> Block:
    state: State = "added" if kind == "inserted" else "removed"
    segments = _segments([_Part(kind, token) for token in block.tokens])
    return Block(block.kind, state, segments, block.level, block.ordered, note)


@dataclass(frozen=True)
class _Op:
    """A stretch of the two token lists: the same (equal) or not; `hidden` for a change of
    punctuation only, shown as the text is now."""

    equal: bool
    i1: int
    i2: int
    j1: int
    j2: int
    hidden: bool = False


def _token_ops(old: Sequence[_Token], new: Sequence[_Token], minor: bool) -> list[_Op]:
    """The word-level differences, with minor ones hidden and short equal stretches caught
    between two changes folded into them."""

    def key(token: _Token) -> object:
        return (token.text, token.style) if minor else token.text

    matcher = difflib.SequenceMatcher(
        None, [key(t) for t in old], [key(t) for t in new], autojunk=False
    )
    ops: list[_Op] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(_Op(True, i1, i2, j1, j2))
        else:
            hidden = not minor and _is_minor(old[i1:i2], new[j1:j2])
            ops.append(_Op(hidden, i1, i2, j1, j2, hidden))
    return _fold(ops, old, new)


def _is_minor(old: Sequence[_Token], new: Sequence[_Token]) -> bool:
    """A change of punctuation only ("hard." to "hard"), or of spacing only ("can not" to
    "cannot"); never one that touches a number ("2.5" to "2 .5" is shown)."""
    tokens = (*old, *new)
    if all(t.punctuation for t in tokens):
        return True
    same = "".join(t.text for t in old) == "".join(t.text for t in new)
    return same and not any(t.digits for t in tokens)


#: The longest unchanged stretch (in characters) folded into the changes either side of it:
#: "to", "and", "a", "or"; a word that says something ("from", "weeks") stays unchanged.
_FOLDED = 3


def _fold(ops: list[_Op], old: Sequence[_Token], new: Sequence[_Token]) -> list[_Op]:
    """Merge neighbouring changes, and fold into them a short equal stretch between two
    changes that is no longer than the larger side of either (much as diff-match-patch's
    semantic clean-up does): "12 to 16 weeks" -> "3 to 4 months" is one change, not three."""

    def size(tokens: Sequence[_Token]) -> int:
        return sum(len(t.text) for t in tokens)

    def merged(found: list[_Op]) -> list[_Op]:
        out: list[_Op] = []
        for op in found:
            if op.i1 == op.i2 and op.j1 == op.j2:
                continue
            if out and not out[-1].equal and not op.equal:
                last = out.pop()
                op = _Op(False, last.i1, op.i2, last.j1, op.j2)
            elif out and out[-1].equal and op.equal:
                last = out.pop()
                op = _Op(True, last.i1, op.i2, last.j1, op.j2, last.hidden or op.hidden)
            out.append(op)
        return out

    ops = merged(ops)
    folded = True
    while folded:
        folded = False
        for index in range(1, len(ops) - 1):
            left, middle, right = ops[index - 1 : index + 2]
            if not middle.equal or left.equal or right.equal:
                continue
            length = max(size(old[middle.i1 : middle.i2]), size(new[middle.j1 : middle.j2]))
            left_size = max(size(old[left.i1 : left.i2]), size(new[left.j1 : left.j2]))
            right_size = max(size(old[right.i1 : right.i2]), size(new[right.j1 : right.j2]))
            if length <= min(left_size, right_size, _FOLDED):
                ops[index] = _Op(False, middle.i1, middle.i2, middle.j1, middle.j2)
                ops = merged(ops)
                folded = True
                break
    return ops


def _changed(step: _Step, minor: bool) -> list[Block]:
    """The new blocks of a step that pairs old and new blocks, with their word changes. In a
    split, deleted words go with the new block of the words after them."""
    old = [t for block in step.old for t in block.tokens]
    new = [t for block in step.new for t in block.tokens]
    owner = [k for k, block in enumerate(step.new) for _t in block.tokens]
    parts: list[list[_Part]] = [[] for _ in step.new]

    def place(j: int) -> int:
        return owner[j] if j < len(owner) else len(step.new) - 1

    for op in _token_ops(old, new, minor):
        if op.equal and op.hidden:  # a minor change, shown as it is now
            for j in range(op.j1, op.j2):
                parts[owner[j]].append(_Part("equal", new[j]))
        elif op.equal:
            for i, j in zip(range(op.i1, op.i2), range(op.j1, op.j2), strict=True):
                spacing = new[j].space - old[i].space if minor else 0
                parts[owner[j]].append(_Part("equal", new[j], spacing))
        else:
            for i in range(op.i1, op.i2):
                parts[place(op.j1)].append(_Part("deleted", old[i]))
            for j in range(op.j1, op.j2):
                parts[owner[j]].append(_Part("inserted", new[j]))

    found = []
    for k, block in enumerate(step.new):
        segments = _segments(parts[k])
        note = ""
        if minor and k > 0:
            note = "split"
        elif minor and len(step.old) > 1:
            note = "joined"
        elif minor and len(step.old) == 1:
            before = step.old[0]
            if (before.kind, before.level, before.ordered) != (
                block.kind,
                block.level,
                block.ordered,
            ):
                note = "formatting"
        changed = note or any(s.kind != "equal" for s in segments)
        state: State = "changed" if changed else "unchanged"
        found.append(Block(block.kind, state, segments, block.level, block.ordered, note))
    return found


@dataclass(frozen=True, slots=True)
class _Part:
    """A token as shown; `spacing` +1 or -1 when (with minor changes shown) a space after
    an unchanged word was added or removed."""

    kind: Kind
    token: _Token
    spacing: int = 0


def _segments(parts: Sequence[_Part]) -> tuple[Segment, ...]:
    """Tokens as segments: consecutive tokens of one kind and emphasis as one run, and the
    space between two runs of different kinds in an equal run of its own (an inserted "12 to"
    is those words, not the space after them). A space added or removed after an unchanged
    word (shown only with minor changes) is an inserted or deleted " "."""
    found: list[Segment] = []

    def add(kind: Kind, text: str, style: str) -> None:
        if found and found[-1].kind == kind and found[-1].style == style:
            found[-1] = Segment(kind, found[-1].text + text, style)
        else:
            found.append(Segment(kind, text, style))

    for index, part in enumerate(parts):
        token = part.token
        add(part.kind, token.text, token.style)
        if index == len(parts) - 1:
            break
        following = parts[index + 1]
        if part.spacing > 0:
            add("inserted", " ", "")
        elif part.spacing < 0:
            add("deleted", " ", "")
        elif token.space and following.kind == part.kind:
            add(part.kind, " ", token.style if following.token.style == token.style else "")
        elif token.space:
            add("equal", " ", "")
    return tuple(found)


def _read(texts: Iterable[str]) -> str:
    """Segments' text as a reader meets it: the spaces either side of a change are one."""
    return re.sub(r" {2,}", " ", "".join(texts)).strip()


def _runs(segments: Sequence[Segment], kind: Kind) -> list[str]:
    """The text of each run of `kind`: neighbouring segments that differ only in emphasis are
    one run (an inserted run is not split by its styles)."""
    runs: list[str] = []
    joining = False
    for segment in segments:
        if segment.kind == kind:
            if joining:
                runs[-1] += segment.text
            else:
                runs.append(segment.text)
            joining = True
        else:
            joining = False
    return [run.strip() or run for run in runs]


# --- numbers that changed ---------------------------------------------------------------------

#: Words and marks that join the parts of one number: 12 to 16, 9-5, 0113 496 0000, (0)20.
_JOINERS = {"to", "and", "or", "-", "\u2013", "\u2014", "/", ":", ".", ",", "(", ")", "x", "\u00d7"}
_PREFIXES = {"+", "£", "$", "€", "(", "#", "<", ">", "≤", "≥", "~"}
#: Change stretches longer than this many tokens list each of their numbers on its own.
_SHORT = 8


def _numbers_of(step: _Step, minor: bool, key: str, label: str) -> list[NumberChange]:
    old = [t for block in step.old for t in block.tokens]
    new = [t for block in step.new for t in block.tokens]
    if not step.old or not step.new:
        ops = [_Op(False, 0, len(old), 0, len(new))]
    else:
        ops = _token_ops(old, new, minor)
    found: list[NumberChange] = []
    for op in ops:
        if op.equal:
            continue
        if not any(t.digits for t in (*old[op.i1 : op.i2], *new[op.j1 : op.j2])):
            continue
        i1, i2 = _widen(old, op.i1, op.i2)
        j1, j2 = _widen(new, op.j1, op.j2)
        if i2 - i1 <= _SHORT and j2 - j1 <= _SHORT:
            found.append(
                NumberChange(key, label, _joined_text(old[i1:i2]), _joined_text(new[j1:j2]))
            )
            continue
        earlier = [_joined_text(old[s:e]) for s, e in _phrases(old, i1, i2)]
        later = [_joined_text(new[s:e]) for s, e in _phrases(new, j1, j2)]
        for was, now in itertools.zip_longest(earlier, later, fillvalue=""):
            if was != now:
                found.append(NumberChange(key, label, was, now))
    return found


def _joined_text(tokens: Sequence[_Token]) -> str:
    return "".join(t.text + (" " if t.space else "") for t in tokens).strip()


def _phrase(tokens: Sequence[_Token], index: int) -> tuple[int, int]:
    """The whole number a digit token is part of, with what it counts (its unit): "12 to 16
    weeks", "0113 496 0000", "9am to 5pm", "2.5 mg"."""

    def unit(k: int) -> bool:  # a word written onto the number before it: the am of 9am
        return (
            0 < k < len(tokens)
            and tokens[k].word
            and tokens[k - 1].digits
            and not tokens[k - 1].space
        )

    start, end = index, index + 1
    while True:  # onwards: more digits, next to it or after a unit and a joining word or mark
        k = end + unit(end)
        skipped = 0
        while k < len(tokens) and skipped < 2 and tokens[k].text.lower() in _JOINERS:
            k, skipped = k + 1, skipped + 1
        if k < len(tokens) and tokens[k].digits:
            end = k + 1
        else:
            break
    while True:  # backwards, the same
        k, skipped = start - 1, 0
        while k >= 0 and skipped < 2 and tokens[k].text.lower() in _JOINERS:
            k, skipped = k - 1, skipped + 1
        k -= unit(k)
        if k >= 0 and tokens[k].digits:
            start = k
        else:
            break
    if start > 0 and tokens[start - 1].text in _PREFIXES and not tokens[start - 1].space:
        start -= 1
    groups = sum(t.digits for t in tokens[start:end])
    if end < len(tokens) and (
        tokens[end].text == "%" or unit(end) or (tokens[end].word and groups < 3)
    ):
        end += 1  # what it counts; a phone number (three groups or more) has no unit
    return start, end


def _phrases(tokens: Sequence[_Token], start: int, end: int) -> list[tuple[int, int]]:
    """The numbers (as `_phrase`) with a digit between `start` and `end`."""
    found: list[tuple[int, int]] = []
    for index in range(start, end):
        if tokens[index].digits and not (found and found[-1][0] <= index < found[-1][1]):
            found.append(_phrase(tokens, index))
    return found


def _widen(tokens: Sequence[_Token], start: int, end: int) -> tuple[int, int]:
    """A changed stretch widened to the whole numbers it touches: an insertion of "12 to"
    before "16 sessions" reads "12 to 16 sessions"."""
    for index in range(max(start - 1, 0), min(end + 1, len(tokens))):
        if not tokens[index].digits:
            continue
        first, last = _phrase(tokens, index)
        touches = first < end and last > start if end > start else first <= start <= last
        if touches or (start <= index < end):
            start, end = min(start, first), max(end, last)
    # the numbers at the new edges may reach further still
    for index in (start, end - 1):
        if 0 <= index < len(tokens) and tokens[index].digits:
            first, last = _phrase(tokens, index)
            start, end = min(start, first), max(end, last)
    return start, end
