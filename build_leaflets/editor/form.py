"""Form: the editing page of one leaflet (or of a new one), as HTML, and the editing API.

`render_form` turns a `FormContext` (the leaflet as plain data, check's messages, readability
and the state of a save) into one accessible page: `page` works out what it shows, the Jinja
templates (autoescaped) lay it out, and the page's script and stylesheet are served from
`STATIC`. The rest of the editing API is here too, so that the server needs one import:
`parse_form` and `apply_action` for what the page posts, `check_answer` for the checks as you
type, `new_leaflet_data` for a new leaflet.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from build_leaflets import fonts
from build_leaflets.editor.context import STATIC_URL, Conflict, FormContext, Message
from build_leaflets.editor.fields import field_specs, input_for, input_id
from build_leaflets.editor.live import (
    FieldMessage,
    check_answer,
    readability_json,
    readability_of,
    reading_text,
)
from build_leaflets.editor.page import Page
from build_leaflets.editor.parse import (
    ActionProblem,
    FormError,
    ParsedForm,
    PictureChoice,
    apply_action,
    new_version,
    parse_form,
    picture_markdown,
)
from build_leaflets.editor.skeleton import new_leaflet_data

__all__ = [
    "STATIC",
    "STATIC_URL",
    "ActionProblem",
    "Conflict",
    "FieldMessage",
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

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"  # form.js and form.css, served at STATIC_URL


def render_form(ctx: FormContext) -> str:
    """The whole editing page (HTML5, lang en-GB), for a browser with or without scripts."""
    return _environment().get_template("form.html.j2").render(Page(ctx).values())


@functools.cache
def font_css() -> str:
    """@font-face rules for Atkinson Hyperlegible (as data: URLs, about 300 kB), for a server
    that serves them as a stylesheet and names it in `FormContext.font_css_url` (its
    Content-Security-Policy then needs `font-src data:`). Without them the page falls back
    to Noto Sans or the system's sans-serif."""
    return fonts.font_face_css(inline=True, text="")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
