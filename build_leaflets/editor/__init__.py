"""Editor: the form in which clinic staff edit a leaflet without touching YAML.

The form's inputs are generated from the leaflet model (`fields`); the page is worked out
(`page`) from what the server gives it (`context`) and rendered as one accessible page
(`form`); what it posts comes back as plain data (`parse`); a small script checks as you type
against the server (`live`). A new leaflet starts from a skeleton that passes check
(`skeleton`). The routes that serve the page and save the file live with the preview server;
`form` holds the whole API they use.
"""

from __future__ import annotations

from build_leaflets.editor.fields import FieldSpec
from build_leaflets.editor.form import (
    STATIC,
    STATIC_URL,
    ActionProblem,
    Conflict,
    FieldMessage,
    FormContext,
    FormError,
    Message,
    ParsedForm,
    PictureChoice,
    apply_action,
    check_answer,
    field_specs,
    font_css,
    input_for,
    input_id,
    new_leaflet_data,
    new_version,
    parse_form,
    picture_markdown,
    readability_json,
    readability_of,
    reading_text,
    render_form,
)

__all__ = [
    "STATIC",
    "STATIC_URL",
    "ActionProblem",
    "Conflict",
    "FieldMessage",
    "FieldSpec",
    "FormContext",
    "FormError",
    "Message",
    "ParsedForm",
    "PictureChoice",
    "apply_action",
    "check_answer",
    "field_specs",
    "font_css",
    "input_for",
    "input_id",
    "new_leaflet_data",
    "new_version",
    "parse_form",
    "picture_markdown",
    "readability_json",
    "readability_of",
    "reading_text",
    "render_form",
]
