"""Live: what the check-as-you-type endpoint answers, and readability for text not yet valid.

The page's script posts the form after a pause in typing; the server checks the data as `check`
would and answers `check_answer(...)` as JSON. The readability figures are measured on the text
as typed, even when the leaflet does not pass check yet (a missing date must not hide them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from build_leaflets import markup
from build_leaflets.editor.fields import input_for
from build_leaflets.model import STANDARD_SECTIONS
from build_leaflets.readability import Readability, measure


class FieldMessage(Protocol):
    """A message about one field: check's `Problem`, or a `Message` of the server's own."""

    @property
    def field(self) -> str: ...

    @property
    def message(self) -> str: ...


def reading_text(data: Mapping[str, Any]) -> str:
    """What a patient reads, as plain text, one block a line: title, summary, then each
    section's heading and words. The same text as `Source.reading_text` for a valid leaflet;
    values of the wrong type are skipped, as check will report them."""
    blocks = [_text(data.get("title")), _text(data.get("summary"))]
    for key, question in STANDARD_SECTIONS.items():
        section = data.get(key)
        if isinstance(section, dict):
            body = _text(section.get("body"))
            if body:
                blocks += [_text(section.get("heading")) or question, markup.plain_text(body)]
        elif isinstance(section, str) and section:
            blocks += [question, markup.plain_text(section)]
    extras = data.get("extra_sections")
    for extra in extras if isinstance(extras, list) else []:
        if isinstance(extra, dict) and _text(extra.get("body")):
            blocks += [_text(extra.get("heading")), markup.plain_text(_text(extra.get("body")))]
    return "\n".join(block for block in blocks if block)


def readability_of(data: Mapping[str, Any]) -> Readability:
    """Readability of the text as typed (see `reading_text`)."""
    return measure(reading_text(data))


def readability_json(readability: Readability | None) -> dict[str, float | int] | None:
    """The figures the page shows, rounded as shown."""
    if readability is None:
        return None
    return {
        "reading_ease": round(readability.flesch_reading_ease, 1),
        "grade": round(readability.flesch_kincaid_grade, 1),
        "smog": round(readability.smog, 1),
        "words": readability.words,
    }


def check_answer(
    problems: Iterable[FieldMessage], readability: Readability | None
) -> dict[str, Any]:
    """The check endpoint's JSON answer:

    {"problems": [{"field": "risks", "input": "risks.body", "message": "..."}],
     "readability": {"reading_ease": 71.2, "grade": 5.1, "smog": 8.0, "words": 812}}

    `field` is check's, `input` the name of the input it is shown beside ("" for the error
    summary only); `readability` is null when there is nothing to measure yet.
    """
    return {
        "problems": [
            {"field": p.field, "input": input_for(p.field), "message": p.message} for p in problems
        ],
        "readability": readability_json(readability),
    }


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
