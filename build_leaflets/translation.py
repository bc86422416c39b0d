"""Translation: a leaflet in another language, as its own file beside its source.

A translation is `leaflets/psy-0101.cy.yaml`: the reference in lower case, a BCP 47 language
tag, `.yaml`. It holds the translated title, summary and sections, and what it was made from:
`translation_of` (the source version), `translated_on`, and `source_hashes`, the short hash of
the source text of each part when it was translated. Governance (owner, approval, archive
date, contact) follows the source unless the translation sets its own.

Tools that track translations by *string* (gettext, po4a) mark a changed string fuzzy; a
leaflet is read and revised by section, so staleness is tracked per section: when the source's
text of a section no longer has the hash the translation recorded, exactly that section is
out of date, whatever else changed in the source (a new date does not make a translation
stale; a changed sentence in "What are the risks?" does, and only there).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from build_leaflets.model import (
    HASH_PATTERN,
    LANGUAGE_PATTERN,
    MAX_ITEMS,
    MAX_VERSION,
    REFERENCE_PATTERN,
    STANDARD_SECTIONS,
    Change,
    Contact,
    Day,
    ExtraSection,
    Leaflet,
    Paragraph,
    Section,
    Text,
    Translation,
    _section_input,
)

#: leaflets/psy-0101.cy.yaml: a reference, a dot, a language tag (any case), .yaml or .yml.
FILE_NAME = re.compile(r"^(?P<reference>[A-Za-z0-9-]+)\.(?P<language>[A-Za-z0-9-]+)\.ya?ml$")

#: The parts a translation translates, besides the sections.
TEXT_PARTS = ("title", "summary")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TranslationFile(_Strict):
    """A translation file as written: the translated text and what it was translated from."""

    reference: Annotated[StrictStr, Field(pattern=REFERENCE_PATTERN)]
    language: Annotated[
        StrictStr,
        Field(pattern=LANGUAGE_PATTERN, description="BCP 47 tag of this translation, e.g. cy."),
    ]
    version: Annotated[
        StrictInt,
        Field(
            ge=1,
            le=MAX_VERSION,
            description="This translation's own version, raised whenever it changes.",
        ),
    ]
    translation_of: Annotated[
        StrictInt,
        Field(ge=1, le=MAX_VERSION, description="The source version it was translated from."),
    ]
    translated_on: Day
    translator: Text | None = None
    checked_by: Text | None = Field(
        None, description="The professional translator who checked it; printed if absent."
    )

    title: Text
    summary: Paragraph | None = None
    what: Section | None = None
    who: Section | None = None
    preparation: Section | None = None
    first_appointment: Section | None = None
    involves: Section | None = None
    duration: Section | None = None
    benefits: Section | None = None
    risks: Section | None = None
    alternatives: Section | None = None
    referral: Section | None = None
    copies_of_letters: Section | None = None
    extra_sections: Annotated[list[ExtraSection], Field(max_length=MAX_ITEMS)] = []

    # Governance: the source's, unless the translation sets its own.
    archive_date: Day | None = None
    status: Literal["draft", "approved"] | None = None
    owner: Text | None = None
    approved_by: Text | None = None
    approved_on: Day | None = None
    contact: Contact | None = None
    changes: Annotated[list[Change], Field(max_length=MAX_ITEMS)] = []

    source_hashes: dict[str, Annotated[StrictStr, Field(pattern=HASH_PATTERN)]] = Field(
        description="Written by `translate`: the hash of the source text of each part."
    )

    _sections = field_validator(
        *STANDARD_SECTIONS, mode="before", json_schema_input_type=str | Section
    )(_section_input)


def short_hash(value: Any) -> str:
    """Eight hex digits of SHA-256 over a canonical JSON form: short enough to sit in a file a
    translator edits, long enough that a changed section never keeps its hash by chance
    (one in four billion)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Part:
    """One translatable part of a source leaflet: its key in `source_hashes`, the heading a
    reader knows it by, and its text (heading as written, or None for the standard one)."""

    key: str
    label: str
    heading: str | None
    text: str

    @property
    def hash(self) -> str:
        return short_hash([self.heading, self.text])


def parts(leaflet: Leaflet) -> Iterator[Part]:
    """Every translatable part of a leaflet, in print order."""
    yield Part("title", "Title", None, leaflet.title)
    if leaflet.summary:
        yield Part("summary", "Summary", None, leaflet.summary)
    for key, default in STANDARD_SECTIONS.items():
        section: Section | None = getattr(leaflet, key)
        if section is not None:
            yield Part(key, section.heading or default, section.heading, section.body)
    for index, extra in enumerate(leaflet.extra_sections):
        yield Part(f"extra_sections.{index}", extra.heading, extra.heading, extra.body)


def translated_keys(file: TranslationFile) -> list[str]:
    """The parts a translation file translates, as `source_hashes` names them."""
    keys = ["title"] + (["summary"] if file.summary else [])
    keys += [key for key in STANDARD_SECTIONS if getattr(file, key) is not None]
    keys += [f"extra_sections.{index}" for index in range(len(file.extra_sections))]
    return keys


def hashes(leaflet: Leaflet) -> dict[str, str]:
    return {part.key: part.hash for part in parts(leaflet)}


@dataclass(frozen=True)
class Stale:
    """A part whose source text moved on since it was translated."""

    key: str
    label: str
    kind: Literal["changed", "new", "removed"]

    def __str__(self) -> str:
        what = {
            "changed": "changed in the source since it was translated",
            "new": "added to the source since the translation was made",
            "removed": "removed from the source since the translation was made",
        }[self.kind]
        return f'{self.key} ("{self.label}"): {what}'


def stale_parts(translation: Translation, source: Leaflet) -> list[Stale]:
    """The parts of the source whose text is not the one translated, in print order."""
    current = {part.key: part for part in parts(source)}
    found: list[Stale] = []
    for key, part in current.items():
        recorded = translation.source_hashes.get(key)
        if recorded is None:
            found.append(Stale(key, part.label, "new"))
        elif recorded != part.hash:
            found.append(Stale(key, part.label, "changed"))
    for key in translation.source_hashes:
        if key not in current:
            found.append(Stale(key, _label_of(key), "removed"))
    return found


def _label_of(key: str) -> str:
    return STANDARD_SECTIONS.get(key, key)


def merge(file: TranslationFile, source: Leaflet) -> dict[str, Any]:
    """The printed leaflet of a translation, as input for `Leaflet`: the translated text, and
    the source's governance wherever the translation sets none of its own."""
    own = file.model_dump(exclude_none=True, exclude={"source_hashes"})
    contact = source.contact.model_dump(exclude_none=True)
    if file.contact is not None:
        contact |= file.contact.model_dump(exclude_none=True)
    data: dict[str, Any] = {
        "reference": source.reference,
        "version": file.version,
        "language": file.language,
        "last_updated": file.translated_on,
        "archive_date": file.archive_date or source.archive_date,
        "status": file.status or source.status,
        "owner": file.owner or source.owner,
        "approved_by": file.approved_by or source.approved_by,
        "approved_on": file.approved_on or source.approved_on,
        "contact": contact,
        "title": file.title,
        "changes": own.get("changes", []),
        "translation": Translation(
            translation_of=file.translation_of,
            translated_on=file.translated_on,
            translator=file.translator,
            checked_by=file.checked_by,
            source_language=source.language,
            source_hashes=dict(file.source_hashes),
        ),
    }
    if file.summary:
        data["summary"] = file.summary
    for key in STANDARD_SECTIONS:
        if key in own:
            data[key] = own[key]
    data["extra_sections"] = own.get("extra_sections", [])
    return data


def inherited(leaflet: Leaflet) -> bytes:
    """The values a translation's PDF prints that its own file may not hold (they follow the
    source): part of its source checksum, and embedded in its archival PDF, so a change to
    them in the source is a change to what was published."""
    values = leaflet.model_dump(
        mode="json",
        include={"archive_date", "status", "owner", "approved_by", "approved_on", "contact"},
    )
    return (json.dumps(values, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


INHERITED_NAME = "inherited-from-source.json"


def file_name(reference: str, language: str) -> str:
    return f"{reference.lower()}.{language}.yaml"


def is_translation_file(path: Path) -> bool:
    return FILE_NAME.match(path.name) is not None


def file_language(path: Path) -> str | None:
    found = FILE_NAME.match(path.name)
    return found.group("language") if found else None
