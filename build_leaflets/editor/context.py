"""Context: what the server tells the editing page to show (`FormContext`), and its parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from build_leaflets.editor.live import FieldMessage
from build_leaflets.editor.parse import PictureChoice
from build_leaflets.readability import Readability

STATIC_URL = "/__editor"  # where the server serves the files of editor/static/


@dataclass(frozen=True)
class Message:
    """A message of the server's own about one input (e.g. "raise_version"), shown as
    check's are."""

    field: str
    message: str


@dataclass(frozen=True)
class Conflict:
    """The file changed on disk after the form was opened: both versions, as YAML text."""

    file_now: str
    your_edits: str


@dataclass(frozen=True)
class FormContext:
    """Everything the editing page shows.

    `data` is the leaflet as plain data (as `yaml.safe_load` or `parse_form` gives it).
    `reference` is the leaflet being edited, or None for a new leaflet (its reference is then
    typed in the form). `base_sha256` is the checksum of the file the edits started from (for
    a conflict: of the file as it is now, so that saving again replaces it knowingly).
    """

    data: Mapping[str, Any]
    action: str  # where the form posts: /edit/PSY-0101, /new
    check_url: str
    csrf_token: str
    base_sha256: str = ""
    reference: str | None = None
    preview_url: str | None = None
    new_url: str = "/new"
    catalogue_url: str = "/"
    static_url: str = STATIC_URL
    #: check's `Problem`s (or anything with `field` and `message`, or (field, message) pairs)
    problems: Sequence[FieldMessage | tuple[str, str]] = ()
    #: a `Readability`, or the check endpoint's figures {"reading_ease": 71.2, ...}
    readability: Readability | Mapping[str, float] | None = None
    min_reading_ease: float = 60.0
    images: Sequence[str] = ()  # "images/room.jpg", relative to the leaflets folder
    conflict: Conflict | tuple[str, str] | None = None  # (the file now, your edits)
    published_version: int | None = None
    raise_version: bool = False
    new_change_summary: str = ""
    pictures: Mapping[str, PictureChoice] = field(default_factory=dict)
    notice: str | None = None  # e.g. "Saved.", shown as a status message at the top
    font_css_url: str | None = None  # a stylesheet with @font-face rules, if the server has one
