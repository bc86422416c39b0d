"""Model: what a leaflet is, as data. No I/O here, so every stage can trust a `Leaflet`.

The field names are the YAML keys clinic staff type; the JSON Schema that editors use for
completion is generated from these classes, so the schema and the checks never disagree.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

#: The standard patient-leaflet sections, in the order they are printed, with the question each
#: one answers. A leaflet may replace a heading with its own question.
STANDARD_SECTIONS: dict[str, str] = {
    "what": "What is it?",
    "who": "Who is it for?",
    "preparation": "What preparation is needed?",
    "first_appointment": "What happens at the first appointment?",
    "involves": "What does it involve?",
    "duration": "How long does it last?",
    "benefits": "What are the benefits?",
    "risks": "What are the risks?",
    "alternatives": "What are the alternatives?",
    "referral": "How can I be referred?",
    "copies_of_letters": "Copies of letters and reports",
}
REQUIRED_SECTIONS = ("what", "who", "preparation", "risks", "alternatives")

REFERENCE_PATTERN = r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$"
#: A BCP 47 tag as leaflets use them: a language, then optionally a script and a region, e.g.
#: cy, en-GB, zh-Hans, pa-Guru, ur-PK.
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"
HASH_PATTERN = r"^[0-9a-f]{8}$"

#: Limits on every value, so no input can make a file name too long, a register row that no
#: spreadsheet opens, or a leaflet no one would read. The README lists them.
MAX_REFERENCE = 40
MAX_LINE = 200  # a title, a heading, a name
MAX_PARAGRAPH = 1_000  # a summary, an address, a change's summary, a source
MAX_BODY = 20_000  # one section's Markdown
MAX_ITEMS = 50  # extra sections, changes, sources
MAX_VERSION = 9_999
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2199, 12, 31)

Text = Annotated[StrictStr, Field(min_length=1, max_length=MAX_LINE)]
Paragraph = Annotated[StrictStr, Field(min_length=1, max_length=MAX_PARAGRAPH)]
Markdown = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=MAX_BODY,
        description="Markdown (CommonMark); raw HTML is not allowed.",
    ),
]
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]


class _Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently drop a paragraph."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Section(_Strict):
    """A section body under its default question heading, or under a heading of its own."""

    heading: Text | None = Field(None, description="Replaces the default question heading.")
    body: Markdown


class ExtraSection(_Strict):
    """A section beyond the standard ones; printed after them, in the order written."""

    heading: Text
    body: Markdown


class Contact(_Strict):
    """How a patient reaches the service; each part falls back to the site's default."""

    phone: Text | None = None
    email: Text | None = None
    address: Paragraph | None = None
    hours: Text | None = Field(None, description="When the phone line is answered.")


class Change(_Strict):
    """One row of the version history printed at the end of the leaflet."""

    version: Annotated[StrictInt, Field(ge=1, le=MAX_VERSION)]
    date: Day
    summary: Paragraph


class Translation(_Strict):
    """What a translated leaflet says of its origin; set by the loader, never written in a
    source file. `source_hashes` holds, for each part translated (title, summary, each section),
    the short hash of the source text it was translated from, so a later change to that text
    names exactly the parts to translate again."""

    translation_of: int
    translated_on: dt.date
    translator: str | None = None
    checked_by: str | None = None
    source_language: str
    source_hashes: dict[str, str]


def _section_input(value: Any) -> Any:
    """Let a section be written as plain text: `what: |` followed by the body."""
    return {"body": value} if isinstance(value, str) else value


class Leaflet(_Strict):
    """One patient-information leaflet: its text and the governance fields that travel with it."""

    reference: Annotated[
        StrictStr,
        Field(
            pattern=REFERENCE_PATTERN,
            max_length=MAX_REFERENCE,
            description="Letters, digits and hyphens, e.g. PSY-0042.",
        ),
    ]
    version: Annotated[
        StrictInt,
        Field(ge=1, le=MAX_VERSION, description="Whole number, raised on every change."),
    ]
    title: Text
    summary: Paragraph | None = Field(
        None, description="One or two sentences printed under the title."
    )
    last_updated: Day
    archive_date: Day | None = Field(
        None, description="Default: last_updated plus the site's review period."
    )
    status: Literal["draft", "approved"] = "draft"
    owner: Text | None = None
    approved_by: Text | None = None
    approved_on: Day | None = None
    contact: Contact = Contact()
    language: Annotated[StrictStr, Field(pattern=LANGUAGE_PATTERN)] = "en-GB"

    what: Section
    who: Section
    preparation: Section
    first_appointment: Section | None = None
    involves: Section | None = None
    duration: Section | None = None
    benefits: Section | None = None
    risks: Section
    alternatives: Section
    referral: Section | None = None
    copies_of_letters: Section | None = None
    extra_sections: Annotated[list[ExtraSection], Field(max_length=MAX_ITEMS)] = []

    changes: Annotated[list[Change], Field(max_length=MAX_ITEMS)] = []
    sources: Annotated[list[Paragraph], Field(max_length=MAX_ITEMS)] = Field(
        [], description="Evidence the leaflet rests on; not printed."
    )
    translation: Translation | None = Field(
        None, exclude=True, description="Set for a translation; not written in a leaflet file."
    )

    _sections = field_validator(
        *STANDARD_SECTIONS, mode="before", json_schema_input_type=str | Section
    )(_section_input)

    def sections(self) -> Iterator[RenderedSection]:
        """Every section present, in print order, with the heading to print."""
        for key, default_heading in STANDARD_SECTIONS.items():
            section: Section | None = getattr(self, key)
            if section is not None:
                yield RenderedSection(key, section.heading or default_heading, section.body)
        for index, extra in enumerate(self.extra_sections):
            yield RenderedSection(f"extra_sections.{index}.body", extra.heading, extra.body)

    def with_defaults(self, review_months: int, contact: Contact) -> Leaflet:
        """Fill what the site decides: the archive date and any contact detail not given."""
        merged = contact.model_copy(update=self.contact.model_dump(exclude_none=True))
        archive = self.archive_date or add_months(self.last_updated, review_months)
        return self.model_copy(update={"archive_date": archive, "contact": merged})

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def slug(self) -> str:
        """The reference as used in file names: lower case, so no two files differ by case."""
        return self.reference.lower()

    @property
    def is_translation(self) -> bool:
        return self.translation is not None

    @property
    def name(self) -> str:
        """What the leaflet is called in messages, the catalogue and web page names: its
        reference, and for a translation the reference and language (PSY-0101.cy)."""
        return f"{self.reference}.{self.language}" if self.translation else self.reference

    @property
    def key(self) -> tuple[str, str]:
        """The leaflet's identity: (reference, language), ignoring case as file names do."""
        return (self.reference.lower(), self.language.lower())

    @property
    def file_suffix(self) -> str:
        """What a translation's published file names add after the version: -cy."""
        return f"-{self.language}" if self.translation else ""


@dataclass(frozen=True)
class RenderedSection:
    """A section ready to print; `field` names where its body came from, for error messages."""

    field: str
    heading: str
    body: str


def governance_problems(leaflet: Leaflet) -> list[tuple[str, str]]:
    """Rules that span fields, as (field, message) pairs; checked once each field is valid."""
    problems: list[tuple[str, str]] = []
    if leaflet.archive_date is not None and leaflet.archive_date <= leaflet.last_updated:
        problems.append(
            ("archive_date", f"must be after last_updated ({leaflet.last_updated.isoformat()})")
        )
    if leaflet.status == "approved":
        for field in ("approved_by", "approved_on"):
            if getattr(leaflet, field) is None:
                problems.append(
                    (
                        field,
                        "is required for an approved leaflet: say who approved it and when, "
                        "or set status: draft",
                    )
                )
    versions = [change.version for change in leaflet.changes]
    if leaflet.version > 1 and leaflet.version not in versions and leaflet.translation is None:
        problems.append(
            (
                "version",
                f"is {leaflet.version}, but changes has no entry for version {leaflet.version}: "
                f"add one at the top of changes (version: {leaflet.version}, date: "
                f"{leaflet.last_updated.isoformat()}, summary: what changed), for the version "
                "history printed on the leaflet",
            )
        )
    for index, change in enumerate(leaflet.changes):
        if change.version > leaflet.version:
            problems.append(
                (
                    f"changes.{index}.version",
                    f"is {change.version}, higher than the leaflet's version ({leaflet.version})",
                )
            )
    return problems


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the 31st becomes the month's last day where it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def is_valid_reference(value: str) -> bool:
    return _REFERENCE.fullmatch(value) is not None


_REFERENCE = re.compile(REFERENCE_PATTERN)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a leaflet file, for editors (VS Code's YAML extension) and tools."""
    schema = Leaflet.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Patient information leaflet"
    for key, heading in STANDARD_SECTIONS.items():
        schema["properties"][key]["description"] = f"Section: {heading}"
    return schema
