"""Contact: phone, email, address and opening hours from a leaflet's "Contact us" block.

Only lines that are nothing but a contact detail (with at most a label such as "Tel:" or
"Email us at") are taken out of the text into `contact`; a sentence that mentions a number
("Call us on 0113 496 0123 if you are worried") gives `contact.phone` its value and stays in
the text, so no word is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from build_leaflets.importer.blocks import Block, escape, flatten
from build_leaflets.model import MAX_LINE, MAX_PARAGRAPH

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<!\d)(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_DAY = re.compile(
    r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?s?\b|\bweekdays?\b", re.I
)
_TIME = re.compile(r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)\b|\b\d{1,2}[:.]\d{2}\b|24 hours", re.I)
_LABEL_WORDS = re.compile(
    r"\b(?:tel|telephone|phone|call(?:\s+us)?(?:\s+on)?|ring(?:\s+us)?(?:\s+on)?|switchboard|"
    r"direct\s+line|mobile|text(?:phone)?|e-?mail(?:\s+us)?(?:\s+at|\s+on)?|write\s+to(?:\s+us)?"
    r"(?:\s+at)?|address|opening\s+hours|hours|open)\b|[:.,;()\-\u2013]",
    re.I,
)
_HOURS_LABEL = re.compile(r"^\s*(?:opening\s+hours|hours|open|we\s+are\s+open)\s*:?\s*", re.I)
_ADDRESS_LABEL = re.compile(r"^\s*(?:address|write\s+to(?:\s+us)?(?:\s+at)?)\s*:?\s*", re.I)


@dataclass
class Contact:
    """Contact details found, the lines each came from, and the lines taken out of the text."""

    fields: dict[str, str] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)
    used: list[tuple[str, str]] = field(default_factory=list)

    def take(self, name: str, value: str, line: str, limit: int = MAX_LINE) -> None:
        if name not in self.fields and 0 < len(value) <= limit:
            self.fields[name] = value
            self.lines[name] = line


def extract(blocks: list[Block], where: str, found: Contact) -> list[Block]:
    """Contact details from these blocks; the blocks that are left (some lines may be gone)."""
    lines: list[tuple[int, str]] = []
    for index, block in enumerate(blocks):
        if block.kind in ("paragraph", "item"):
            lines += [(index, flatten(x).strip()) for x in block.plain.split("\n") if x.strip()]
    used: set[int] = set()
    for number, (_, line) in enumerate(lines):
        if _detail(line, found):
            used.add(number)
    for number, (_, line) in enumerate(lines):
        if number in used or not _POSTCODE.search(line) or len(line) > 100:
            continue
        start = number
        while (
            start > 0
            and number - start < 5
            and start - 1 not in used
            and len(lines[start - 1][1]) <= 60
            and not lines[start - 1][1].endswith((".", ":", "?", "!"))
        ):
            start -= 1
        written = [x for _, x in lines[start : number + 1]]
        parts = [_ADDRESS_LABEL.sub("", x).strip().rstrip(",") for x in written]
        if "address" not in found.fields:
            value = ", ".join(p for p in parts if p)
            found.take("address", value, " / ".join(written), MAX_PARAGRAPH)
            used.update(range(start, number + 1))
    for number in sorted(used):
        found.used.append((where, lines[number][1]))
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        mine = [(n, x) for n, (i, x) in enumerate(lines) if i == index]
        left = [x for n, x in mine if n not in used]
        if len(left) == len(mine):
            kept.append(block)
        elif left:
            kept.append(Block(block.kind, "\\\n".join(escape(x) for x in left), "\n".join(left)))
    return kept


def _detail(line: str, found: Contact) -> bool:
    """Take the contact details in a line; whether the line is nothing else (and so can be
    taken out of the text)."""
    email = _EMAIL.search(line)
    phone = _PHONE.search(line)
    if email:
        found.take("email", email.group(0), line)
    if phone:
        found.take("phone", " ".join(phone.group(0).split()), line)
    if email or phone:
        rest = _LABEL_WORDS.sub(" ", _PHONE.sub(" ", _EMAIL.sub(" ", line)))
        given = [name for name, hit in (("email", email), ("phone", phone)) if hit]
        # Only a line whose detail was taken leaves the text: a second number stays there.
        return not rest.strip() and all(found.lines.get(name) == line for name in given)
    if _DAY.search(line) and _TIME.search(line) and "hours" not in found.fields:
        found.take("hours", _HOURS_LABEL.sub("", line).strip(), line)
        return found.lines.get("hours") == line
    return False
