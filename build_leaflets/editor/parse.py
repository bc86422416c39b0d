"""Parse: what the editing form posts, back to a leaflet as plain data, and the form's actions.

The data is what `yaml.safe_load` would give for the same leaflet written by hand, in the
model's order: text as text, whole numbers as numbers, valid YYYY-MM-DD dates as dates. A value
that is not a number or a date is kept as typed, so check reports it in its own words. Empty
fields are left out (as if the line were not in the file), a section without a heading of its
own is its text alone, and a section's text ends with one newline, as a YAML block's does.

Only names of the form's inputs are read: anything else posted is ignored, so a post cannot add
a field the form does not show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from build_leaflets.editor import fields
from build_leaflets.editor.fields import FieldSpec, Group
from build_leaflets.model import Leaflet

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\d{1,9}$")
_ITEM = re.compile(r"^(?P<list>[a-z_]+)\.(?P<index>\d{1,4})\.(?P<key>[a-z_]+)$")
_LIST_ACTION = re.compile(r"^(?P<verb>remove|up|down)-(?P<list>extra|change):(?P<index>\d{1,4})$")
_LISTS = {"extra": "extra_sections", "change": "changes"}
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


class FormError(ValueError):
    """The post is not one the form makes (an unknown action): answer 400 Bad Request."""


class ActionProblem(ValueError):
    """An action could not be done (a picture without alt text): show `message` beside the
    input `field` and render the form again; nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PictureChoice:
    """What a picture chooser held when the form was posted."""

    file: str = ""
    alt: str = ""
    caption: str = ""


@dataclass(frozen=True)
class ParsedForm:
    """A posted form: the leaflet's data, and what the form's own controls said."""

    data: dict[str, Any]
    #: save, add-extra, remove-extra:N, up-extra:N, down-extra:N, add-change, remove-change:N,
    #: insert-picture:PATH (PATH is a text input's name, like risks.body).
    action: str
    base_sha256: str
    csrf_token: str
    raise_version: bool
    new_change_summary: str
    #: Each picture chooser's fields, by the name of the text it inserts into (risks.body).
    pictures: dict[str, PictureChoice] = field(default_factory=dict)


def parse_form(pairs: Sequence[tuple[str, str]]) -> ParsedForm:
    """The posted (name, value) pairs, in the order posted, as a `ParsedForm`.

    Raises `FormError` for an action the form never posts.
    """
    values = _first_values(pairs)
    action = values.get(fields.ACTION, "").strip() or "save"
    if not _valid_action(action):
        raise FormError(f"unknown action {action[:60]!r}")
    return ParsedForm(
        data=_assemble(values, keep_blank=False),
        action=action,
        base_sha256=values.get(fields.BASE_SHA256, "").strip(),
        csrf_token=values.get(fields.CSRF_TOKEN, ""),
        raise_version=bool(values.get(fields.RAISE_VERSION, "")),
        new_change_summary=_one_line(values.get(fields.NEW_CHANGE_SUMMARY, "")),
        pictures=_pictures(values),
    )


def apply_action(
    data: Mapping[str, Any],
    action: str,
    pairs: Sequence[tuple[str, str]],
    *,
    images: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The data after one of the form's actions (for a browser without scripts), in the
    model's order; `data` is `parse_form(pairs).data`, which is not changed.

    - add-extra: a blank extra section at the end; add-change: a blank entry at the top of
      the version history (newest first);
    - remove-extra:N, remove-change:N: that item gone; up-extra:N, down-extra:N: that extra
      section swapped with the one before or after it;
    - insert-picture:PATH: the chosen picture, as Markdown, added as a paragraph at the end
      of the text PATH (with scripts, the picture goes in where the cursor is instead).
      The picture must be one of `images` when they are given. Raises `ActionProblem` when
      no picture is chosen or it has no alt text;
    - save: the data unchanged.

    Lists keep their blank items here (an item just added is blank), so that N means what it
    meant on the page the action was posted from; saving leaves blank items out.
    """
    if not _valid_action(action):
        raise FormError(f"unknown action {action[:60]!r}")
    result = dict(data)
    values = _first_values(pairs)
    if action == "save":
        return result
    lists = _assemble(values, keep_blank=True)
    for name in _LISTS.values():
        if lists.get(name):
            result[name] = lists[name]
    if action == "add-extra":
        result["extra_sections"] = [*result.get("extra_sections", []), {}]
    elif action == "add-change":
        result["changes"] = [{}, *result.get("changes", [])]
    elif action.startswith("insert-picture:"):
        path = action.split(":", 1)[1]
        choice = _pictures(values).get(path, PictureChoice())
        _insert_picture(result, path, choice, None if images is None else set(images))
    else:
        match = _LIST_ACTION.match(action)
        assert match is not None  # _valid_action said so
        name, index = _LISTS[match["list"]], int(match["index"])
        items = list(result.get(name, []))
        if index < len(items):
            if match["verb"] == "remove":
                del items[index]
            elif match["verb"] == "up" and index > 0:
                items[index - 1], items[index] = items[index], items[index - 1]
            elif match["verb"] == "down" and index + 1 < len(items):
                items[index], items[index + 1] = items[index + 1], items[index]
        result[name] = items
    return in_model_order({k: v for k, v in result.items() if v != []})


def new_version(
    data: Mapping[str, Any], version: int, summary: str, today: dt.date
) -> dict[str, Any]:
    """The data saved as a new version (the published one never changes): `version`, last
    updated `today`, and the change at the top of the version history (newest first), unless
    the history already has an entry for that version."""
    written = data.get("changes")
    changes = [c for c in written if isinstance(c, dict)] if isinstance(written, list) else []
    if not any(c.get("version") == version for c in changes):
        changes.insert(0, {"version": version, "date": today, "summary": summary})
    result = {**data, "version": version, "last_updated": today, "changes": changes}
    return in_model_order(result)


def picture_markdown(file: str, alt: str, caption: str = "") -> str:
    """`![alt](images/x.jpg "caption")`, with what would break the syntax escaped."""
    text = re.sub(r"([\\\[\]<])", r"\\\1", _one_line(alt))
    target = f"<{file}>" if re.search(r"[\s()]", file) else file
    title = _one_line(caption).replace("\\", "\\\\").replace('"', '\\"')
    return f"![{text}]({target}{f' {chr(34)}{title}{chr(34)}' if title else ''})"


def in_model_order(data: Mapping[str, Any]) -> dict[str, Any]:
    """The same data with its keys in the model's order (unknown keys last, as they were)."""
    order = {name: index for index, name in enumerate(Leaflet.model_fields)}
    return dict(sorted(data.items(), key=lambda item: order.get(item[0], len(order))))


# ---- from the posted values to data --------------------------------------------------------


def _first_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Each name's first value: a name posted twice was not posted by this form."""
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


def _valid_action(action: str) -> bool:
    if action in ("save", "add-extra", "add-change") or _LIST_ACTION.match(action):
        return True
    if action.startswith("insert-picture:"):
        spec = fields.spec_for(action.split(":", 1)[1])
        return spec is not None and spec.kind == "markdown"
    return False


def _assemble(values: Mapping[str, str], keep_blank: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for group in fields.groups():
        value = _group_value(group, values, keep_blank)
        if value is not None:
            data[group.name] = value
    return data


def _group_value(group: Group, values: Mapping[str, str], keep_blank: bool) -> Any:
    if group.kind in ("value", "lines"):
        spec = group.fields[0]
        return _convert(spec, values.get(spec.path, ""))
    if group.kind == "section":
        parts = _item(group.fields, group.name, values)
        if "heading" in parts:
            return parts
        return parts.get("body")
    if group.kind == "object":
        return _item(group.fields, group.name, values) or None
    indexes = sorted(
        {
            int(match["index"])
            for name in values
            if (match := _ITEM.match(name)) and match["list"] == group.name
        }
    )
    items = [_item(group.fields, f"{group.name}.{index}", values) for index in indexes]
    items = [item for item in items if item or keep_blank]
    return items or None


def _item(specs: tuple[FieldSpec, ...], prefix: str, values: Mapping[str, str]) -> dict[str, Any]:
    """The non-empty fields of one mapping (a section, the contact details, a list item)."""
    item: dict[str, Any] = {}
    for spec in specs:
        key = spec.path.rsplit(".", 1)[1]
        value = _convert(spec, values.get(f"{prefix}.{key}", ""))
        if value is not None:
            item[key] = value
    return item


def _convert(spec: FieldSpec, raw: str) -> Any:
    """One input's value as YAML would give it, or None when it is empty."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    value: Any
    if spec.kind == "markdown":
        text = _LEADING_BLANK_LINES.sub("", text).rstrip()
        value = text + "\n" if text else None
    elif spec.kind == "lines":
        value = [line.strip() for line in text.split("\n") if line.strip()] or None
    else:
        text = _one_line(text)
        if spec.kind == "number" and _NUMBER.match(text):
            value = int(text)
        elif spec.kind == "date" and _DATE.match(text):
            value = _date(text)
        else:
            value = text or None
    return value


def _date(text: str) -> dt.date | str:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text  # 2026-02-30: check says it is not a real date


def _one_line(text: str) -> str:
    """A value of one line: line breaks (a summary typed over several lines) become spaces."""
    return re.sub(r"[ \t]*(?:\r\n|\r|\n)[ \t]*", " ", text).strip()


def _pictures(values: Mapping[str, str]) -> dict[str, PictureChoice]:
    found: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        part, _, path = name.partition(":")
        if part in fields.PICTURE_PARTS and path:
            found.setdefault(path, {})[part] = value
    return {
        path: PictureChoice(
            parts.get(fields.PICTURE_FILE, "").strip(),
            parts.get(fields.PICTURE_ALT, ""),
            parts.get(fields.PICTURE_CAPTION, ""),
        )
        for path, parts in found.items()
        if (spec := fields.spec_for(path)) is not None and spec.kind == "markdown"
    }


# ---- pictures ------------------------------------------------------------------------------

_IMAGE_NAME = re.compile(r"^images/[^<>\\\n\r\t]+$")


def _insert_picture(
    data: dict[str, Any], path: str, choice: PictureChoice, images: set[str] | None
) -> None:
    if not choice.file:
        raise ActionProblem(f"{fields.PICTURE_FILE}:{path}", "Choose a picture to insert.")
    if not _IMAGE_NAME.match(choice.file) or (images is not None and choice.file not in images):
        raise ActionProblem(
            f"{fields.PICTURE_FILE}:{path}",
            "Choose one of the pictures in the list; to add a new one, put it in the "
            "leaflets' images folder first.",
        )
    if not _one_line(choice.alt):
        raise ActionProblem(
            f"{fields.PICTURE_ALT}:{path}",
            "Say what the picture shows, for people who cannot see it.",
        )
    markdown = picture_markdown(choice.file, choice.alt, choice.caption)
    parts = path.split(".")
    if parts[0] == "extra_sections":
        items = list(data.get("extra_sections", []))
        index = int(parts[1])
        if index >= len(items):
            raise FormError(f"there is no extra section {index + 1}")
        item = dict(items[index])
        item["body"] = _appended(item.get("body"), markdown)
        items[index] = item
        data["extra_sections"] = items
        return
    section = data.get(parts[0])
    if isinstance(section, dict):
        data[parts[0]] = {**section, "body": _appended(section.get("body"), markdown)}
    else:
        data[parts[0]] = _appended(section, markdown)


def _appended(body: Any, markdown: str) -> str:
    text = body.rstrip() if isinstance(body, str) else ""
    return f"{text}\n\n{markdown}\n" if text else f"{markdown}\n"
