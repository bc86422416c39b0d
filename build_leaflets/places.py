"""Places: where each key and value of a leaflet file was written, and pydantic's findings
turned into sentences a clinic administrator can act on, each pointing at its line.

Kept apart from loading so that every message can be read (and tested) in one place.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from build_leaflets.errors import Problem
from build_leaflets.model import (
    STANDARD_SECTIONS,
    Change,
    Contact,
    ExtraSection,
    Leaflet,
    Section,
)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Place:
    """Where a key and its value were written (1-based); `text_line` is the value's first
    line of text (the line after `|` for a block of text)."""

    line: int
    column: int
    value_line: int
    value_column: int
    text_line: int
    text_column: int


# --- turning pydantic's errors into sentences a clinic administrator can act on -------------

_EXAMPLES = {
    "reference": "PSY-0042",
    "version": "1",
    "title": "Interpersonal psychotherapy",
    "last_updated": "2026-10-01",
    "heading": "Your question?",
    "body": "|",
    "summary": "One line",
    "date": "2026-10-01",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def pydantic_problems(
    display: str, error: ValidationError, places: dict[Path_, Place]
) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc: Path_ = tuple(item["loc"])
        kind = item["type"]
        if kind == "missing":
            line, col = key_place(places, loc[:-1])
            problems.append(Problem(display, line, col, join(loc), _missing_message(loc)))
            continue
        known = known_prefix(places, loc)
        if kind == "extra_forbidden":
            line, col = key_place(places, loc)
            problems.append(Problem(display, line, col, join(loc), _unknown_message(loc)))
            continue
        line, col = value_place(places, known)
        message = _value_message(kind, known or loc, item.get("input"), item)
        problems.append(Problem(display, line, col, join(known or loc), message))
    return problems


def _missing_message(loc: Path_) -> str:
    name = str(loc[-1])
    if len(loc) == 1 and name in STANDARD_SECTIONS:
        return (
            f"required section is missing: add '{name}: |' followed by the text that answers "
            f'"{STANDARD_SECTIONS[name]}"'
        )
    example = _EXAMPLES.get(name)
    hint = f": add '{name}: {example}'" if example else ""
    return f"required field is missing{hint}"


def _unknown_message(loc: Path_) -> str:
    name = str(loc[-1])
    allowed = list(_model_at(loc[:-1]).model_fields)
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown field; did you mean '{close[0]}'?"
    return "unknown field; allowed here: " + ", ".join(allowed)


def _value_message(kind: str, loc: Path_, value: Any, item: Any) -> str:
    name = str(loc[-1])
    got = _describe(value)
    if value is None:
        if len(loc) == 1 and name in STANDARD_SECTIONS:
            return f'is empty; write the text that answers "{STANDARD_SECTIONS[name]}"'
        return "is empty; write a value or remove the line"
    if kind == "string_type":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return 'must be text, not a number; put quotes around it, e.g. "0113 496 0000"'
        return f"must be text (found {got})"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, like 2 (found {got})"
    if kind == "greater_than_equal":
        if _ISO_DATE.match(str(item["ctx"]["ge"])):
            return f"must be {item['ctx']['ge']} or later (found {got})"
        return f"must be {item['ctx']['ge']} or more (found {got})"
    if kind == "less_than_equal":
        if _ISO_DATE.match(str(item["ctx"]["le"])):
            return f"must be {item['ctx']['le']} or earlier (found {got})"
        return f"must be {item['ctx']['le']} or less (found {got})"
    if kind == "string_too_long":
        limit = item["ctx"]["max_length"]
        return f"is {len(value):,} characters long; the most is {limit:,}: shorten it"
    if kind == "too_long":
        limit = item["ctx"]["max_length"]
        return f"has {len(value)} items; the most is {limit}"
    if kind in (
        "date_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
    ):
        if isinstance(value, str) and _ISO_DATE.match(value):
            return f"is not a real date (found {got}); check the day and month"
        return f"must be a date written as YYYY-MM-DD, like 2026-10-01 (found {got})"
    if kind == "string_pattern_mismatch":
        if name == "reference":
            return (
                f"must be letters, digits and hyphens only, like PSY-0042 (found {got}); "
                "it becomes part of file names"
            )
        return f"must be a language tag like en-GB or cy-GB (found {got})"
    if kind == "string_too_short":
        return "is empty; write some text or remove the line"
    if kind == "literal_error":
        return f"must be one of: {item['ctx']['expected'].replace(chr(39), '')} (found {got})"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        if len(loc) == 1 and name in STANDARD_SECTIONS:
            return f"must be text, or a mapping with 'heading' and 'body' (found {got})"
        return f"must be a mapping of fields, one 'name: value' per line (found {got})"
    if kind == "list_type":
        return f"must be a list, one item per line starting with '- ' (found {got})"
    return str(item["msg"])


def _model_at(loc: Path_) -> type[BaseModel]:
    """The model that describes the mapping at `loc`, to list the fields allowed there."""
    names = [part for part in loc if isinstance(part, str)]
    if not names:
        return Leaflet
    top = names[0]
    if top == "contact":
        return Contact
    if top == "extra_sections":
        return ExtraSection
    if top == "changes":
        return Change
    if top in STANDARD_SECTIONS:
        return Section
    return Leaflet


def known_prefix(places: Mapping[Path_, Place], loc: Path_) -> Path_:
    """The longest part of `loc` written in the file (a plain-text section has no `body`)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in places:
            return loc[:end]
    return loc


def key_place(places: Mapping[Path_, Place], loc: Path_) -> tuple[int, int]:
    place = places.get(known_prefix(places, loc)) if loc else None
    return (place.line, place.column) if place else (1, 1)


def value_place(places: Mapping[Path_, Place], loc: Path_) -> tuple[int, int]:
    place = places.get(known_prefix(places, loc)) if loc else None
    return (place.value_line, place.value_column) if place else (1, 1)


def join(loc: Path_) -> str:
    return ".".join(str(part) for part in loc)


def split(name: str) -> Path_:
    return tuple(int(part) if part.isdigit() else part for part in name.split("."))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()}, a yes/no value"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return repr(short)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
