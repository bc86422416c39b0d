"""Governance: the reference, version and dates, from wherever a trust put them.

Trusts write them as lines at the end of the text ("Leaflet reference: PSY-0101"), in a small
two-column table, or in the page footer, often several to a line separated by tabs
("Ref: PSY-0101<tab>Version 2<tab>Review date: 03/2027"). A line is used only when it *starts*
with a label and every value in it can be read; then it is taken out of the text (the YAML
records it in a comment, so no word is lost). A label whose value cannot be read stays in the
text and the report says so: nothing is guessed silently.

Dates are read in the forms trusts use, day first as in the UK: 14/03/2024, 14.03.24,
14 March 2024, March 2024 (taken as the 1st, and reported), 03/2024, and 2024-03-14.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from build_leaflets.importer.blocks import Block, flatten
from build_leaflets.model import FIRST_DAY, LAST_DAY, MAX_LINE, MAX_REFERENCE, MAX_VERSION

DATE_FIELDS = ("last_updated", "archive_date", "approved_on")

#: Labels, most specific first: "Date approved" must not be read as "Date", nor "Date last
#: reviewed" as "Review date".
_LABELS: list[tuple[str, str]] = [
    ("approved_on", r"date\s+approved|date\s+of\s+approval|approval\s+date|approved\s+on"),
    ("approved_by", r"approved\s+by|ratified\s+by"),
    (
        "last_updated",
        r"date\s+last\s+(?:updated|reviewed|revised)"
        r"|(?:page\s+)?last\s+(?:updated|reviewed|revised)(?:\s+on)?"
        r"|(?:date\s+)?(?:updated|revised)(?:\s+on)?|date\s+of\s+(?:publication|issue)"
        r"|(?:publication|issue|published)\s+date|published(?:\s+on)?|date\s+produced"
        r"|date\s+of\s+production",
    ),
    (
        "archive_date",
        r"archive\s+date|date\s+(?:of|for)\s+(?:next\s+)?review|(?:next\s+)?review\s+date"
        r"|next\s+review(?:\s+due)?|due\s+for\s+review(?:\s+on|\s+by)?|review\s+due(?:\s+by)?"
        r"|review\s+by|expiry\s+date|expires(?:\s+on)?",
    ),
    (
        "reference",
        r"(?:patient\s+information\s+)?(?:leaflet|document|publication|pil|information)\s+"
        r"(?:reference|ref\.?|number|no\.?|code|id)(?:\s+(?:number|no\.?))?"
        r"|reference(?:\s+(?:number|no\.?|code))?|ref\.?(?:\s+no\.?)?",
    ),
    ("version", r"version(?:\s+(?:number|no\.?))?|ver\.?|issue\s+(?:number|no\.?)"),
    (
        "owner",
        r"(?:leaflet\s+|document\s+|information\s+)?owner|authors?|author\(s\)"
        r"|produced\s+by|written\s+by|prepared\s+by",
    ),
]
_LABEL = re.compile(
    "|".join(f"(?P<{name}>(?<![\\w-])(?:{pattern}))" for name, pattern in _LABELS),
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*(?:[:=\-\u2013\u2014]\s*)?")
_NEEDS_COLON = {"owner", "approved_by"}
_SEGMENTS = re.compile(r"\t|\s*\|\s*|\s{3,}|\s+[\u2013\u2014]\s+")

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})")
_MONTH_YEAR_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{4})")
_NAMED = re.compile(
    r"(?:[a-z]+day,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{4})", re.I
)
_NAMED_US = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.I)
_MONTH_YEAR = re.compile(r"([a-z]+)\.?,?\s+(\d{4})", re.I)


def parse_date(text: str) -> tuple[dt.date, str] | str:
    """A date as trusts write it, with any assumption made; or why it cannot be read."""
    value = text.strip().rstrip(".").strip()
    day: int | None = None
    assumption = ""
    if match := _ISO.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _NUMERIC.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
        if year < 100:
            year += 2000
            assumption = f'"{value}" read as day/month/year, in {year}'
    elif match := _MONTH_YEAR_NUMERIC.fullmatch(value):
        month, year = int(match.group(1)), int(match.group(2))
    elif (match := _NAMED.fullmatch(value)) and match.group(2).lower() in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], int(match[3])
    elif (match := _NAMED_US.fullmatch(value)) and match.group(1).lower() in _MONTHS:
        month, day, year = _MONTHS[match.group(1).lower()], int(match.group(2)), int(match[3])
    elif (match := _MONTH_YEAR.fullmatch(value)) and match.group(1).lower() in _MONTHS:
        month, year = _MONTHS[match.group(1).lower()], int(match.group(2))
    else:
        return f'"{value}" is not a date the importer can read (write it as 14/03/2024)'
    if day is None:
        day = 1
        assumption = f'"{value}" gives no day: taken as the 1st of the month'
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return f'"{value}" is not a real date'
    if not FIRST_DAY <= found <= LAST_DAY:
        return f'"{value}" is outside {FIRST_DAY.year} to {LAST_DAY.year}'
    return found, assumption


@dataclass(frozen=True)
class Found:
    """One governance field: its value, the line it was read from, and where that line was."""

    field: str
    value: str | int | dt.date
    line: str
    where: str
    note: str = ""


@dataclass
class Governance:
    """Every field found, the lines used for them, and what could not be used."""

    fields: dict[str, Found] = field(default_factory=dict)
    used: list[tuple[str, str]] = field(default_factory=list)  # (where, line) taken out
    notes: list[str] = field(default_factory=list)
    unused_margins: list[str] = field(default_factory=list)  # header/footer lines not used


def extract(
    blocks: list[Block], margins: list[Block], margin_where: str = "the page header or footer"
) -> tuple[list[Block], Governance]:
    """The blocks with their governance lines taken out, and what those lines said."""
    found = Governance()
    kept = _scan(blocks, "the text", found, keep_unused=True)
    for block in _scan(margins, margin_where, found, keep_unused=False):
        if block.plain.strip():
            found.unused_margins.append(flatten(block.plain.strip()))
    return kept, found


def _scan(blocks: list[Block], where: str, found: Governance, *, keep_unused: bool) -> list[Block]:
    kept: list[Block] = []
    skip_next = False
    for index, block in enumerate(blocks):
        if skip_next:
            skip_next = False
            continue
        if block.kind == "table":
            remaining = _table(block, where, found)
            if remaining is not None:
                kept.append(remaining)
            continue
        if block.kind not in ("paragraph", "item", "heading"):
            kept.append(block)
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        used, skip_next = _line(block.plain, following, where, found)
        if not used:
            kept.append(block)
    return kept if keep_unused else [b for b in kept if b.kind != "picture"]


def _table(block: Block, where: str, found: Governance) -> Block | None:
    """Rows of a table that are governance fields are used; the rest of the table stays."""
    rows, plain_rows = [], []
    for row, plain in zip(block.rows, block.plain_rows, strict=False):
        cells = [c for c in plain if c.strip()]
        line = f"{cells[0]}: {cells[1]}" if len(cells) == 2 else "\t".join(cells)
        if cells and _line(line, None, f"a table in {where}", found)[0]:
            continue
        rows.append(row)
        plain_rows.append(plain)
    if not rows:
        return None
    if len(rows) == len(block.rows):
        return block
    return Block("table", rows=rows, plain_rows=plain_rows, plain=block.plain)


def _line(text: str, following: Block | None, where: str, found: Governance) -> tuple[bool, bool]:
    """Use one line if it is made of governance fields: (used, the next block was its value)."""
    text = text.strip()
    if not text or len(text) > 300 or "\n" in text:
        return False, False
    pairs: list[tuple[str, str, str]] = []
    for segment in filter(None, (s.strip() for s in _SEGMENTS.split(text))):
        parsed = _segment(segment)
        if parsed is None:
            return False, False
        pairs.extend(parsed)
    next_used = False
    if pairs and not pairs[-1][2] and following is not None and following.kind == "paragraph":
        name = pairs[-1][0]
        candidate = following.plain.strip()
        if _value(name, candidate, checking=True) is not None:
            pairs[-1] = (name, pairs[-1][1], candidate)
            next_used = True
    values: list[tuple[str, str | int | dt.date, str]] = []
    for name, label, raw in pairs:
        if not raw:
            found.notes.append(f'{where}: "{label}" is there, but with nothing after it')
            continue
        read = _value(name, raw, checking=False)
        if read is None:
            return False, False
        if isinstance(read, _Unreadable):
            found.notes.append(f'{where}: "{label}": {read.reason}; it is left in the text')
            return False, False
        parsed_value, note = read
        values.append((name, parsed_value, note))
    shown = flatten(text)
    for name, value, note in values:
        line = shown if not next_used else f"{shown} {following.plain.strip()}"  # type: ignore[union-attr]
        if name in found.fields and found.fields[name].value != value:
            earlier = found.fields[name]
            found.notes.append(
                f"{name}: {where} says {_shown(value)}, but {earlier.where} said "
                f"{_shown(earlier.value)}; the first was used"
            )
        elif name not in found.fields:
            found.fields[name] = Found(name, value, line, where, note)
    found.used.append((where, shown))
    if next_used and following is not None:
        found.used.append((where, following.plain.strip()))
    return True, next_used


def _segment(segment: str) -> list[tuple[str, str, str]] | None:
    """A segment as (field, label, value) triples, if it starts with a label."""
    match = _LABEL.match(segment.lstrip("•*-\u2013 "))
    if match is None:
        return None
    segment = segment.lstrip("•*-\u2013 ")
    labels = [m for m in _LABEL.finditer(segment) if _is_label_start(segment, m)]
    if not labels or labels[0].start() != 0:
        return None
    triples: list[tuple[str, str, str]] = []
    for index, label in enumerate(labels):
        end = labels[index + 1].start() if index + 1 < len(labels) else len(segment)
        rest = segment[label.end() : end]
        name = label.lastgroup or ""
        separator = _SEPARATOR.match(rest)
        gap = separator.group(0) if separator else ""
        if rest and not gap and rest[0].isalnum():
            return None  # "Referral" is not "Ref" followed by "erral"
        if name in _NEEDS_COLON and ":" not in gap and rest.strip():
            return None
        triples.append((name, label.group(0), rest[len(gap) :].strip().rstrip(",;")))
    return triples


def _is_label_start(segment: str, match: re.Match[str]) -> bool:
    """A label in the middle of a segment only counts after a value: "Version 2 Review date:
    03/2027", not "Produced by the review date team"."""
    return match.start() == 0 or segment[match.start() - 1] in " \t,;"


class _Unreadable:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _value(
    name: str, raw: str, *, checking: bool
) -> tuple[str | int | dt.date, str] | _Unreadable | None:
    """A field's value from its text; None when the text is not that kind of value at all."""
    raw = raw.strip()
    if name in DATE_FIELDS:
        parsed = parse_date(raw)
        if isinstance(parsed, str):
            return None if checking or not re.search(r"\d", raw) else _Unreadable(parsed)
        return parsed
    if name == "version":
        match = re.fullmatch(r"v?(\d{1,4})(?:\.(\d+))*", raw, re.IGNORECASE)
        if match is None:
            return None
        number = int(match.group(1))
        if not 1 <= number <= MAX_VERSION:
            return _Unreadable(f"{raw} is not a version from 1 to {MAX_VERSION}")
        note = f"version {raw} taken as {number} (versions here are whole numbers)"
        return number, note if raw.lstrip("vV") != str(number) else ""
    if name == "reference":
        if not re.fullmatch(r"[A-Za-z0-9]+(?:[-/_. ][A-Za-z0-9]+){0,5}", raw):
            return None
        reference = re.sub(r"[-/_. ]+", "-", raw)
        if len(reference) > MAX_REFERENCE:
            return _Unreadable(f"{raw} is longer than {MAX_REFERENCE} characters")
        return reference, "" if reference == raw else f'"{raw}" written as {reference}'
    if len(raw) > MAX_LINE or checking:
        return None
    return raw, ""


def _shown(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)
