"""Page: the editing page's contents, worked out in the page's order for the template.

Each input gets its label, hint, value and messages; the error summary links to them in the
order they appear; the picture choosers, the version history, the conflict view and the
readability figures are made ready to lay out. Nothing here writes HTML but the marked lines
of the conflict view.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from build_leaflets.editor import fields
from build_leaflets.editor.context import Conflict, FormContext
from build_leaflets.editor.fields import FieldSpec, Group, input_for, input_id
from build_leaflets.editor.live import readability_json
from build_leaflets.editor.parse import PictureChoice
from build_leaflets.readability import Readability

MARKDOWN_HINT_ID = "markdown-hint"
DASH = "\u2013"  # an en dash, between a question and what is wrong with it


@dataclass
class Input:
    """One input as the page shows it."""

    name: str
    label: str
    kind: str  # a FieldSpec kind, or "checkbox"
    value: str = ""
    hint: str = ""
    summary_label: str = ""  # how the error summary names it
    required: bool = False
    show_optional: bool = True
    readonly: bool = False
    options: tuple[tuple[str, str], ...] = ()
    rows: int = 0
    width: str = ""  # "", "narrow", "medium"
    shared_hint: str = ""  # the id of a hint shared by several inputs
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return input_id(self.name)

    @property
    def describedby(self) -> str:
        ids = [self.shared_hint, f"{self.id}-hint" if self.hint else "", f"{self.id}-error"]
        return " ".join(i for i in ids if i)


@dataclass
class Chooser:
    """A picture chooser under one text."""

    path: str
    file: Input
    alt: Input
    caption: Input
    context: str  # what the text is, for the chooser's hidden words ("What are the risks?")

    @property
    def open(self) -> bool:
        parts = (self.file, self.alt, self.caption)
        return any(i.errors or (i.value and i is not self.file) for i in parts)


@dataclass
class SectionView:
    name: str
    title: str
    required: bool
    inputs: list[Input]
    chooser: Chooser | None = None
    index: int = 0
    count: int = 0

    @property
    def id(self) -> str:
        return f"section-{self.name.replace('.', '-')}"


@dataclass
class Line:
    text: str
    changed: bool


class Page:
    """The page's contents, worked out in page order, with every message in its place."""

    def __init__(self, ctx: FormContext) -> None:
        self.ctx = ctx
        self.data = ctx.data
        self.new = ctx.reference is None
        self.inputs: list[Input] = []  # in page order
        self.anchors: dict[str, str] = {}  # model field -> id of its part of the page

    def values(self) -> dict[str, Any]:
        ctx = self.ctx
        published = self._published()
        parts = {part: self._part(part) for part in fields.PARTS}
        summary = self._attach_problems()
        title = _text(self.data.get("title"))
        heading = f"Edit {ctx.reference}" if ctx.reference else "New leaflet"
        return {
            "ctx": ctx,
            "new": self.new,
            "page_title": f"{'Error: ' if summary else ''}{heading} {DASH} Leaflet editor",
            "heading": heading,
            "leaflet_title": title,
            "summary": summary,
            "published": published,
            "parts": parts,
            "part_titles": {
                **fields.PART_TITLES,
                **({"content": "Reference, title and summary"} if self.new else {}),
            },
            "conflict": self._conflict(),
            "readability": self._readability(),
            "min_reading_ease": f"{ctx.min_reading_ease:g}",
            "markdown_hint_id": MARKDOWN_HINT_ID,
            "images": ctx.images,
        }

    # ---- the parts of the page -------------------------------------------------------------

    def _part(self, part: str) -> list[Any]:
        """The groups of one part of the page, each turned into what the template shows."""
        shown: list[Any] = []
        for group in fields.groups():
            # A new leaflet's reference is asked for first: it names the file.
            where = "content" if self.new and group.name == "reference" else group.part
            if where != part:
                continue
            self.anchors[group.name] = f"part-{part}"
            if group.kind == "section":
                shown.append(self._section(group))
            elif group.kind == "list":
                shown.append(self._list(group))
            elif group.kind == "object":
                value = self.data.get(group.name)
                mapping = value if isinstance(value, dict) else {}
                shown.append(
                    [
                        self._input(
                            spec,
                            spec.path,
                            mapping.get(spec.path.rsplit(".", 1)[1]),
                            f"{group.title} {spec.label.lower()}",
                        )
                        for spec in group.fields
                    ]
                )
            else:
                spec = group.fields[0]
                shown.append([self._input(spec, spec.path, self.data.get(group.name))])
        return shown

    def _section(self, group: Group) -> SectionView:
        value = self.data.get(group.name)
        mapping = value if isinstance(value, dict) else {"body": value}
        inputs = []
        for spec in group.fields:
            key = spec.path.rsplit(".", 1)[1]
            label = group.title if key == "body" else f"{group.title} {DASH} {spec.label.lower()}"
            made = self._input(spec, spec.path, mapping.get(key), label)
            made.show_optional = key != "body"
            inputs.append(made)
        view = SectionView(group.name, group.title, group.required, inputs)
        view.chooser = self._chooser(f"{group.name}.body", group.title)
        return view

    def _list(self, group: Group) -> list[SectionView]:
        value = self.data.get(group.name)
        items = value if isinstance(value, list) else []
        noun = "Extra section" if group.name == "extra_sections" else "Entry"
        views = []
        for index, item in enumerate(items):
            mapping = item if isinstance(item, dict) else {}
            number = index + 1
            inputs = []
            for spec in group.fields:
                key = spec.path.rsplit(".", 1)[1]
                name = f"{group.name}.{index}.{key}"
                where = (
                    f"{noun} {number}"
                    if noun != "Entry"
                    else f"{fields.PART_TITLES[group.part]}, entry {number}"
                )
                made = self._input(
                    spec, name, mapping.get(key), f"{where} {DASH} {spec.label.lower()}"
                )
                made.show_optional = False
                inputs.append(made)
            view = SectionView(
                f"{group.name}.{index}",
                f"{noun} {number}",
                True,
                inputs,
                index=index,
                count=len(items),
            )
            body = next((i for i in inputs if i.kind == "markdown"), None)
            if body is not None:
                view.chooser = self._chooser(body.name, f"{noun} {number}")
            views.append(view)
        return views

    def _input(self, spec: FieldSpec, name: str, value: Any, summary_label: str = "") -> Input:
        kind: str = spec.kind
        hint = spec.hint
        text = _text(value)
        if spec.kind == "markdown" and text.endswith("\n"):
            text = text[:-1]  # the newline a YAML block ends with; saving puts it back
        elif spec.kind == "lines":
            text = "\n".join(_text(v) for v in value) if isinstance(value, list) else text
        elif spec.kind == "date" and text and not _is_date(text):
            kind = "text"  # a date input cannot show what was typed: show it to be corrected
            hint = (hint + " " if hint else "") + "Write the date as YYYY-MM-DD, like 2026-10-01."
        options: tuple[tuple[str, str], ...] = ()
        if spec.kind == "select":
            options = tuple((o, fields.STATUS_LABELS.get(o, o.capitalize())) for o in spec.options)
            if text and text not in spec.options:
                options += ((text, text),)  # shown as it is, for check to report
        readonly = False
        if spec.path == "reference":
            hint = fields.reference_hint(self.new)
            readonly = not self.new
        made = Input(
            name=name,
            label=spec.label,
            kind=kind,
            value=text,
            hint=hint,
            summary_label=summary_label or spec.label,
            required=spec.required,
            readonly=readonly,
            options=options,
            rows=_rows(spec.kind, text),
            width=_width(spec),
            shared_hint=MARKDOWN_HINT_ID if spec.kind == "markdown" else "",
        )
        self.inputs.append(made)
        return made

    def _chooser(self, path: str, context: str) -> Chooser | None:
        if not self.ctx.images:
            return None
        choice = self.ctx.pictures.get(path, PictureChoice())
        options = (("", "Choose a picture"), *((name, name) for name in self.ctx.images))
        if choice.file and choice.file not in self.ctx.images:
            options += ((choice.file, choice.file),)

        def control(part: str, label: str, kind: str, value: str, hint: str = "") -> Input:
            made = Input(
                name=f"{part}:{path}",
                label=label,
                kind=kind,
                value=value,
                hint=hint,
                summary_label=f"{label} of the picture in “{context}”",
                required=part != fields.PICTURE_CAPTION,
                options=options if kind == "select" else (),
            )
            self.inputs.append(made)
            return made

        return Chooser(
            path,
            control(fields.PICTURE_FILE, "Picture", "select", choice.file),
            control(
                fields.PICTURE_ALT,
                "Alt text",
                "text",
                choice.alt,
                "What the picture shows, for people who cannot see it.",
            ),
            control(
                fields.PICTURE_CAPTION,
                "Caption",
                "text",
                choice.caption,
                "Printed under the picture.",
            ),
            context,
        )

    def _published(self) -> dict[str, Any] | None:
        ctx = self.ctx
        if ctx.published_version is None:
            return None
        after = ctx.published_version + 1
        checkbox = Input(
            name=fields.RAISE_VERSION,
            label=f"Raise the version to {after}",
            kind="checkbox",
            value="yes" if ctx.raise_version else "",
            summary_label="Raise the version",
            required=True,
        )
        summary = Input(
            name=fields.NEW_CHANGE_SUMMARY,
            label="What changed (for the version history)",
            kind="paragraph",
            value=ctx.new_change_summary,
            hint="One sentence a reader would understand, like: Added the new phone number.",
            summary_label="What changed",
            required=True,
            rows=2,
        )
        self.inputs += [checkbox, summary]
        return {"version": ctx.published_version, "next": after, "inputs": [checkbox, summary]}

    # ---- messages --------------------------------------------------------------------------

    def _attach_problems(self) -> list[dict[str, str]]:
        """Put each message beside its input; return the error summary's entries, in the order
        of the page (messages about the file as a whole first)."""
        by_name = {i.name: i for i in self.inputs}
        order = {i.name: n for n, i in enumerate(self.inputs)}
        entries: list[tuple[int, dict[str, str]]] = []
        for problem in self.ctx.problems:
            where, message = (
                problem if isinstance(problem, tuple) else (problem.field, problem.message)
            )
            name = input_for(where)
            target = by_name.get(name)
            if target is not None:
                target.errors.append(message)
                entry = {"href": f"#{target.id}", "label": target.summary_label, "message": message}
                entries.append((order[name] + 1, entry))
                continue
            anchor = self.anchors.get(where.split(".", 1)[0], "")
            entry = {"href": f"#{anchor}" if anchor else "", "label": where, "message": message}
            entries.append((0, entry))
        entries.sort(key=lambda pair: pair[0])
        return [entry for _, entry in entries]

    # ---- the rest ----------------------------------------------------------------------------

    def _conflict(self) -> dict[str, Markup] | None:
        conflict = self.ctx.conflict
        if conflict is None:
            return None
        if isinstance(conflict, tuple):
            conflict = Conflict(*conflict)
        theirs, yours = conflict.file_now.splitlines(), conflict.your_edits.splitlines()
        left = [Line(text, False) for text in theirs]
        right = [Line(text, False) for text in yours]
        matcher = difflib.SequenceMatcher(None, theirs, yours, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                for line in left[i1:i2]:
                    line.changed = True
                for line in right[j1:j2]:
                    line.changed = True
        return {"file_now": _pre_text(left), "your_edits": _pre_text(right)}

    def _readability(self) -> dict[str, str]:
        given = self.ctx.readability
        figures: Mapping[str, float] = (
            (readability_json(given) or {}) if isinstance(given, Readability) else given or {}
        )
        shown = dict.fromkeys(("reading_ease", "grade", "smog", "words"), DASH)
        for key in shown:
            value = figures.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                shown[key] = f"{value:,}" if key == "words" else f"{value:.1f}"
        return shown


def _pre_text(lines: list[Line]) -> Markup:
    """Lines for a <pre>, those that differ from the other version marked."""
    shown = [
        Markup("<mark>{}</mark>").format(line.text) if line.changed else escape(line.text)
        for line in lines
    ]
    return Markup("\n").join(shown)


def _text(value: Any) -> str:
    """A value as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _rows(kind: str, text: str) -> int:
    """Enough rows to show the text (about 70 characters fit a line), within limits."""
    lines = sum(max(1, -(-len(line) // 70)) for line in text.split("\n"))
    if kind == "markdown":
        return max(5, min(lines + 1, 20))
    if kind == "lines":
        return max(3, min(lines + 1, 12))
    if kind == "paragraph":
        return 3
    return 0


def _width(spec: FieldSpec) -> str:
    if spec.kind in ("number", "date"):
        return "narrow"
    if spec.kind == "select" or (spec.max_length is not None and spec.max_length <= 40):
        return "medium"
    if spec.path in ("language",):
        return "medium"
    return ""
