"""Fields: the editing form's inputs, generated from the leaflet model, in the model's order.

Every input is named by its path in the YAML file (`title`, `risks.body`, `contact.phone`,
`extra_sections.0.heading`), so check's messages, which name the same paths, land beside the
input they are about. Nothing here lists the leaflet's fields by hand: they come from the
model's JSON Schema, so a field added to the model appears in the form. Only the words a writer
reads (labels and hints) and where a field sits on the page are chosen here.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from build_leaflets.model import MAX_PARAGRAPH, STANDARD_SECTIONS, Leaflet

Kind = Literal["text", "paragraph", "markdown", "lines", "number", "date", "select", "email", "tel"]
Part = Literal[
    "content", "sections", "extra_sections", "contact", "governance", "changes", "sources"
]

#: The parts of the page, in the order a writer meets them: the words first, the paperwork after.
PARTS: tuple[Part, ...] = (
    "content",
    "sections",
    "extra_sections",
    "contact",
    "governance",
    "changes",
    "sources",
)
PART_TITLES: dict[Part, str] = {
    "content": "Title and summary",
    "sections": "Sections",
    "extra_sections": "Extra sections",
    "contact": "Contact details",
    "governance": "About this leaflet",
    "changes": "Version history",
    "sources": "Sources",
}
#: Top-level text printed at the head of the leaflet; every other plain field is paperwork.
_CONTENT = ("title", "summary")

#: Names of the form's own controls: not leaflet fields, so never part of the data.
CSRF_TOKEN = "csrf_token"
BASE_SHA256 = "base_sha256"
ACTION = "action"
RAISE_VERSION = "raise_version"
NEW_CHANGE_SUMMARY = "new_change.summary"
PICTURE_FILE, PICTURE_ALT, PICTURE_CAPTION = "picture-file", "picture-alt", "picture-caption"
CONTROLS = (CSRF_TOKEN, BASE_SHA256, ACTION, RAISE_VERSION, NEW_CHANGE_SUMMARY)
PICTURE_PARTS = (PICTURE_FILE, PICTURE_ALT, PICTURE_CAPTION)

#: Labels where the schema's title would read oddly ("Last Updated").
_LABELS = {
    "reference": "Reference",
    "version": "Version",
    "title": "Title",
    "summary": "Summary",
    "last_updated": "Last updated",
    "archive_date": "Archive date",
    "status": "Status",
    "owner": "Owner",
    "approved_by": "Approved by",
    "approved_on": "Approved on",
    "language": "Language",
    "sources": "Sources",
    "contact.phone": "Phone",
    "contact.email": "Email",
    "contact.address": "Address",
    "contact.hours": "Opening hours",
    "extra_sections.*.heading": "Heading",
    "extra_sections.*.body": "Text",
    "changes.*.version": "Version",
    "changes.*.date": "Date",
    "changes.*.summary": "What changed",
    "*.heading": "Reword the heading",
    "*.body": "Text",
}
#: Plain-English hints; a field without one here shows its description from the model.
_HINTS = {
    "title": "What the treatment or service is called, as a patient would say it.",
    "summary": "One or two sentences printed under the title.",
    "version": "A whole number. It goes up by one each time the leaflet is changed.",
    "last_updated": "The day the text was last changed.",
    "archive_date": (
        "The day the leaflet comes off the shelves unless it has been reviewed. Leave empty "
        "to use the last updated date plus the usual review period."
    ),
    "status": "A draft is not published. An approved leaflet needs who approved it and when.",
    "owner": "The team responsible for the leaflet.",
    "approved_by": "The person or group who approved the text.",
    "language": "A language tag, like en-GB or cy. Leave empty for English (en-GB).",
    "sources": "The evidence the leaflet rests on, one per line. Sources are not printed.",
    "contact.address": "On one line, with commas between the parts.",
    "contact.hours": "When the phone line is answered, like Monday to Friday, 9am to 5pm.",
}
_REFERENCE_HINTS = {
    True: "Letters, digits and hyphens, like PSY-0042. It becomes part of the file names and "
    "cannot be changed later.",
    False: "The reference is part of the leaflet's file names, so it cannot be changed here.",
}
STATUS_LABELS = {"draft": "Draft", "approved": "Approved"}


@dataclass(frozen=True)
class FieldSpec:
    """One input of the form. In a list's fields the item's number is written `*`:
    `extra_sections.*.heading` is `extra_sections.0.heading`, `extra_sections.1.heading`..."""

    path: str
    label: str
    hint: str
    kind: Kind
    required: bool
    part: Part
    options: tuple[str, ...] = ()  # a select's values
    max_length: int | None = None

    @property
    def top(self) -> str:
        """The model field this input belongs to (`risks` for `risks.body`)."""
        return self.path.split(".", 1)[0]


@dataclass(frozen=True)
class Group:
    """The inputs of one model field: a value, a section, the contact details, or a list."""

    name: str  # the model field: title, risks, contact, extra_sections...
    kind: Literal["value", "section", "object", "list", "lines"]
    part: Part
    title: str  # a section's question, or the field's label
    required: bool
    fields: tuple[FieldSpec, ...]


@functools.cache
def groups() -> tuple[Group, ...]:
    """Every model field the form edits, in the model's order, with its inputs."""
    schema = Leaflet.model_json_schema(mode="validation")
    defs: dict[str, Any] = schema.get("$defs", {})
    found: list[Group] = []
    for name, info in Leaflet.model_fields.items():
        if info.exclude:  # set by the loader (a translation's origin), never written by hand
            continue
        prop = schema["properties"][name]
        found.append(_group(name, prop, defs, info.is_required()))
    return tuple(found)


def field_specs() -> tuple[FieldSpec, ...]:
    """Every input of the form, in the model's order (a list's inputs with `*` for the item)."""
    return tuple(spec for group in groups() for spec in group.fields)


def group_of(name: str) -> Group | None:
    return next((group for group in groups() if group.name == name), None)


def _group(name: str, prop: dict[str, Any], defs: dict[str, Any], required: bool) -> Group:
    target = _resolve(prop, defs)
    if target.get("type") == "object" and name in STANDARD_SECTIONS:
        question = STANDARD_SECTIONS[name]
        fields = tuple(
            _leaf(f"{name}.{key}", sub, defs, key in target.get("required", ()) and required)
            for key, sub in target["properties"].items()
        )
        hints = {"heading": f"Leave empty to print the usual heading: {question}"}
        fields = tuple(_with_hint(spec, hints.get(spec.path.rsplit(".", 1)[1])) for spec in fields)
        return Group(name, "section", "sections", question, required, fields)
    if target.get("type") == "object":
        fields = tuple(
            _leaf(f"{name}.{key}", sub, defs, key in target.get("required", ()))
            for key, sub in target["properties"].items()
        )
        return Group(name, "object", _part_of(name), _label(name, prop), required, fields)
    if target.get("type") == "array":
        items = _resolve(target.get("items", {}), defs)
        if items.get("type") == "object":
            fields = tuple(
                _leaf(f"{name}.*.{key}", sub, defs, key in items.get("required", ()))
                for key, sub in items["properties"].items()
            )
            return Group(name, "list", _part_of(name), _label(name, prop), required, fields)
        spec = _leaf(name, prop, defs, required, kind="lines")
        return Group(name, "lines", _part_of(name), spec.label, required, (spec,))
    spec = _leaf(name, prop, defs, required)
    return Group(name, "value", _part_of(name), spec.label, required, (spec,))


def _part_of(top: str) -> Part:
    """Where on the page a model field goes; a field of no known part is paperwork."""
    if top in STANDARD_SECTIONS:
        return "sections"
    if top in _CONTENT:
        return "content"
    for part in PARTS:
        if part == top:
            return part
    return "governance"


def _leaf(
    path: str, prop: dict[str, Any], defs: dict[str, Any], required: bool, kind: Kind | None = None
) -> FieldSpec:
    target = _resolve(prop, defs)
    options = tuple(str(value) for value in target.get("enum", ()))
    return FieldSpec(
        path=path,
        label=_label(path, prop),
        hint=_hint(path, prop),
        kind=kind or _kind(path, target),
        required=required,
        part=_part_of(path.split(".", 1)[0]),
        options=options,
        max_length=target.get("maxLength"),
    )


def _kind(path: str, target: dict[str, Any]) -> Kind:
    key = path.rsplit(".", 1)[-1]
    if target.get("enum"):
        return "select"
    if target.get("type") == "integer":
        return "number"
    if target.get("format") == "date":
        return "date"
    if "Markdown" in str(target.get("description", "")):
        return "markdown"
    if key == "phone":
        return "tel"
    if key == "email":
        return "email"
    if "." not in path and target.get("maxLength") == MAX_PARAGRAPH:
        return "paragraph"
    return "text"


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema a value must meet: past `null` alternatives and `$ref`s (a section written
    as text or as a mapping resolves to the mapping, which the form edits)."""
    choices = [c for c in prop.get("anyOf", [prop]) if c.get("type") != "null"]
    refs = [c for c in choices if "$ref" in c]
    chosen = refs[0] if refs else choices[0] if choices else prop
    if "$ref" in chosen:
        resolved: dict[str, Any] = defs[chosen["$ref"].rsplit("/", 1)[-1]]
        return resolved
    merged = dict(chosen)
    if "description" in prop and "description" not in merged:
        merged["description"] = prop["description"]
    return merged


def _star(path: str) -> str:
    return re.sub(r"\.\d+\.", ".*.", path)


def _label(path: str, prop: dict[str, Any]) -> str:
    general = "*." + path.rsplit(".", 1)[-1] if path.split(".", 1)[0] in STANDARD_SECTIONS else ""
    label = _LABELS.get(_star(path)) or _LABELS.get(general)
    if label:
        return label
    title = str(prop.get("title") or path.rsplit(".", 1)[-1].replace("_", " "))
    return title[:1].upper() + title[1:].lower()


def _hint(path: str, prop: dict[str, Any]) -> str:
    hint = _HINTS.get(_star(path))
    if hint is not None:
        return hint
    if path.rsplit(".", 1)[-1] == "body":
        return ""  # bodies share the page's one explanation of Markdown
    return str(prop.get("description") or "")


def _with_hint(spec: FieldSpec, hint: str | None) -> FieldSpec:
    return spec if hint is None else dataclasses.replace(spec, hint=hint)


def reference_hint(new: bool) -> str:
    return _REFERENCE_HINTS[new]


def input_id(name: str) -> str:
    """The HTML id of an input: its name with dots and colons as hyphens (`f-risks-body`)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def spec_for(name: str) -> FieldSpec | None:
    """The spec of a concrete input name (`extra_sections.2.body`), if it is a leaflet field."""
    starred = _star(name)
    return next((spec for spec in field_specs() if spec.path == starred), None)


def input_for(field: str) -> str:
    """The input a message of check's about `field` belongs beside, or "" for the summary only.

    A plain-text section (`risks`) and a missing section are shown at its text (`risks.body`);
    the contact details as a whole at the phone; a list as a whole at its first item; a list
    item at its first input; a source line at the sources; the form's own controls (the
    version fieldset, a picture chooser) at themselves. A field the form does not edit (an
    unknown key, a translation's field) and "" (the file as a whole) go in the summary only.
    """
    if field in CONTROLS or field.split(":", 1)[0] in PICTURE_PARTS:
        return field
    parts = field.split(".")
    group = group_of(parts[0])
    if group is None:
        return ""
    keys = [spec.path.rsplit(".", 1)[-1] for spec in group.fields]
    if group.kind == "section":
        return f"{group.name}.{parts[1] if len(parts) > 1 and parts[1] in keys else 'body'}"
    if group.kind == "object":
        return f"{group.name}.{parts[1] if len(parts) > 1 and parts[1] in keys else keys[0]}"
    if group.kind == "list":
        index = parts[1] if len(parts) > 1 and parts[1].isdigit() else "0"
        key = parts[2] if len(parts) > 2 and parts[2] in keys else keys[0]
        return f"{group.name}.{int(index)}.{key}"
    return group.name
