"""The editing form: generated from the model, rendered, posted back, and checked as you type.

Most tests read the rendered HTML back as a browser would submit it (every control that counts,
in order) and parse it again, so a render -> post -> parse round trip gives the leaflet back.
The browser tests open the page in Debian's Chromium over http://127.0.0.1 (with a strict
Content-Security-Policy), run axe-core and the Nu Html Checker on it, type into it with and
without JavaScript, and save a screenshot in the test's folder. As in test_browser.py, a missing
tool skips those tests, except under CI=true, where it fails them.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import yaml
from pydantic import create_model

from build_leaflets.config import load_project
from build_leaflets.editor import (
    STATIC,
    ActionProblem,
    Conflict,
    FormContext,
    FormError,
    Message,
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
    readability_of,
    reading_text,
    render_form,
)
from build_leaflets.editor import fields as form_fields
from build_leaflets.errors import Problem
from build_leaflets.load import load_file
from build_leaflets.model import (
    STANDARD_SECTIONS,
    Change,
    Contact,
    ExtraSection,
    Leaflet,
    Section,
)
from tests.conftest import ROOT, copy_project

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:
    sync_playwright = None

SAMPLES = sorted((ROOT / "leaflets").glob("psy-010[1-4].yaml"))
IMAGES = ("images/therapy-room.jpg", "images/therapy-steps.svg")
TODAY = dt.date(2026, 12, 1)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"]  # fmt: skip
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
WAIT_MS = 10_000
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; font-src data:; form-action 'self'; base-uri 'none'"
)


def _sample(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _context(data: dict[str, Any], **changes: Any) -> FormContext:
    values: dict[str, Any] = {
        "data": data,
        "action": f"/edit/{data.get('reference', '')}",
        "check_url": "/check",
        "csrf_token": "token-123",
        "base_sha256": "a" * 64,
        "reference": data.get("reference"),
        "preview_url": f"/{data.get('reference')}.html",
        "images": IMAGES,
    }
    values.update(changes)
    return FormContext(**values)


# ---- reading a rendered form back as a browser submits it -------------------------------------


@dataclass
class Control:
    tag: str
    name: str
    type: str
    value: str
    attrs: dict[str, str]
    text: str = ""  # a button's or textarea's content
    options: list[tuple[str, bool]] = field(default_factory=list)  # a select's (value, selected)


class _FormReader(HTMLParser):
    """Every named control in document order, as the HTML standard's form submission sees it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[Control] = []
        self._open: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in found:
            kind = found.get("type", "text")
            default = "on" if kind in ("checkbox", "radio") else ""
            self.controls.append(
                Control(tag, found["name"], kind, found.get("value", default), found)
            )
        elif tag in ("textarea", "select", "button") and "name" in found:
            self._open = Control(
                tag, found["name"], found.get("type", ""), found.get("value", ""), found
            )
            self.controls.append(self._open)
        elif tag == "option" and self._open is not None and self._open.tag == "select":
            self._open.options.append((found.get("value", ""), "selected" in found))

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open.tag:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and self._open.tag in ("textarea", "button"):
            self._open.text += data


def _controls(page: str) -> list[Control]:
    reader = _FormReader()
    reader.feed(page)
    return reader.controls


def _submitted(page: str, action: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser posts when the form is submitted with the button
    whose value is `action` (none: implicit submission, as pressing Enter does)."""
    pairs: list[tuple[str, str]] = []
    for control in _controls(page):
        if control.tag == "button":
            if action is not None and control.value == action:
                pairs.append((control.name, control.value))
                action = None
            continue
        if control.tag == "textarea":
            text = control.text[1:] if control.text.startswith("\n") else control.text
            # Browsers post a textarea's line breaks as CRLF.
            pairs.append((control.name, text.replace("\n", "\r\n")))
        elif control.tag == "select":
            chosen = [value for value, selected in control.options if selected]
            pairs.append((control.name, (chosen or [control.options[0][0]])[0]))
        elif control.type in ("checkbox", "radio"):
            if "checked" in control.attrs:
                pairs.append((control.name, control.value))
        else:
            pairs.append((control.name, control.value))
    assert action is None, f"no button {action!r} in the form"
    return pairs


def _expected(data: dict[str, Any]) -> dict[str, Any]:
    """A leaflet as the form gives it back: a section without a heading of its own is its
    text alone."""
    result = dict(data)
    for key in STANDARD_SECTIONS:
        section = result.get(key)
        if isinstance(section, dict) and section.get("heading") is None:
            result[key] = section["body"]
    return result


def _error_text(page: str, name: str) -> str:
    """The messages shown beside one input, as text."""
    match = re.search(
        rf'<div class="error-message" id="{re.escape(input_id(name))}-error"[^>]*>(.*?)</div>',
        page,
        re.S,
    )
    assert match, f"no message box for {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match[1])).replace("Error: ", "").strip()


def _summary(page: str) -> list[tuple[str, str]]:
    """The error summary's entries: (link target or "", text)."""
    match = re.search(r'<div class="error-summary".*?<ul[^>]*>(.*?)</ul>', page, re.S)
    assert match, "no error summary"
    entries = []
    for item in re.findall(r"<li>(.*?)</li>", match[1], re.S):
        link = re.match(r'<a href="#([^"]+)">', item)
        entries.append((link[1] if link else "", html.unescape(re.sub(r"<[^>]+>", "", item))))
    return entries


# ---- fields follow the model ---------------------------------------------------------------


def test_fields_follow_the_model() -> None:
    """One group of inputs per field of the model, in the model's order, with the nested
    models' own fields: nothing is listed by hand."""
    written = [name for name, info in Leaflet.model_fields.items() if not info.exclude]
    assert [group.name for group in form_fields.groups()] == written
    paths = [spec.path for spec in field_specs()]
    for key in STANDARD_SECTIONS:
        assert [p for p in paths if p.startswith(f"{key}.")] == [
            f"{key}.{sub}" for sub in Section.model_fields
        ]
    assert [p for p in paths if p.startswith("contact.")] == [
        f"contact.{sub}" for sub in Contact.model_fields
    ]
    assert [p for p in paths if p.startswith("extra_sections.")] == [
        f"extra_sections.*.{sub}" for sub in ExtraSection.model_fields
    ]
    assert [p for p in paths if p.startswith("changes.")] == [
        f"changes.*.{sub}" for sub in Change.model_fields
    ]
    kinds = {spec.path: spec.kind for spec in field_specs()}
    assert kinds["risks.body"] == kinds["extra_sections.*.body"] == "markdown"
    assert kinds["last_updated"] == kinds["approved_on"] == kinds["changes.*.date"] == "date"
    assert kinds["version"] == kinds["changes.*.version"] == "number"
    assert kinds["status"] == "select" and kinds["sources"] == "lines"
    required = {spec.path for spec in field_specs() if spec.required}
    assert {"reference", "version", "title", "last_updated", "risks.body"} <= required
    assert not {"summary", "risks.heading", "benefits.body", "contact.phone"} & required


@pytest.fixture
def bigger_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The model with one more field, as a future version of it might have."""
    bigger = create_model(
        "BiggerLeaflet",
        __base__=Leaflet,
        reading_age=(int | None, None),
        audience=(str | None, None),
    )
    monkeypatch.setattr(form_fields, "Leaflet", bigger)
    form_fields.groups.cache_clear()
    yield
    form_fields.groups.cache_clear()


@pytest.mark.usefixtures("bigger_model")
def test_a_field_added_to_the_model_appears_in_the_form() -> None:
    specs = {spec.path: spec for spec in field_specs()}
    assert specs["reading_age"].kind == "number" and specs["audience"].kind == "text"
    data = {**_sample(SAMPLES[0]), "reading_age": 9, "audience": "Adults"}
    page = render_form(_context(data))
    assert 'name="reading_age"' in page and 'name="audience"' in page
    assert parse_form(_submitted(page)).data["reading_age"] == 9


def _walks(schema: dict[str, Any], node: dict[str, Any], parts: list[str]) -> bool:
    """Whether `parts` is a path into a value the schema describes."""
    if "$ref" in node:
        return _walks(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[1]], parts)
    if "anyOf" in node:
        return any(_walks(schema, choice, parts) for choice in node["anyOf"])
    if not parts:
        return node.get("type") != "object"  # an input holds a value, not a mapping
    head, rest = parts[0], parts[1:]
    if head.isdigit():
        return node.get("type") == "array" and _walks(schema, node.get("items", {}), rest)
    properties = node.get("properties", {})
    return head in properties and _walks(schema, properties[head], rest)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_every_input_is_named_by_its_path_in_the_yaml(sample: Path) -> None:
    page = render_form(_context(_sample(sample)))
    schema = Leaflet.model_json_schema(mode="validation")
    controls = {c.name for c in _controls(page)}
    own = {*form_fields.CONTROLS}
    pictures = {n for n in controls if n.split(":", 1)[0] in form_fields.PICTURE_PARTS}
    for name in pictures:
        assert _walks(schema, schema, name.split(":", 1)[1].split(".")), name
    leaflet_names = controls - own - pictures
    assert {"title", "risks.body", "risks.heading", "contact.phone", "changes.0.date",
            "extra_sections.0.heading", "sources", "approved_on"} <= leaflet_names  # fmt: skip
    wrong = [name for name in leaflet_names if not _walks(schema, schema, name.split("."))]
    assert not wrong, wrong
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids must be unique"


# ---- render -> post -> parse --------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_round_trip_gives_the_leaflet_back(sample: Path) -> None:
    data = _sample(sample)
    parsed = parse_form(_submitted(render_form(_context(data))))
    assert parsed.data == _expected(data)
    order = list(Leaflet.model_fields)
    keys = list(parsed.data)
    assert keys == sorted(keys, key=order.index), "keys in the model's order"
    assert isinstance(parsed.data["last_updated"], dt.date)
    assert parsed.action == "save"
    assert parsed.csrf_token == "token-123" and parsed.base_sha256 == "a" * 64
    assert parsed.raise_version is False and parsed.new_change_summary == ""


def test_parse_normalises_what_browsers_post() -> None:
    pairs = [
        ("csrf_token", "t"),
        ("base_sha256", "b" * 64),
        ("reference", "PSY-0900"),
        ("version", " 3 "),
        ("title", "  A title  "),
        ("summary", "One line\r\nand the next."),
        ("last_updated", "2026-10-01"),
        ("archive_date", "2026-02-30"),  # not a real date: kept, for check to say so
        ("approved_on", "01/10/2026"),
        ("status", "draft"),
        ("owner", ""),
        ("contact.phone", ""),
        ("contact.email", ""),
        ("what.heading", ""),
        ("what.body", "\r\n\r\nFirst paragraph.\r\n\r\n- a bullet\r\n\r\n\r\n"),
        ("who.heading", "Who can come?"),
        ("who.body", ""),
        ("risks.body", "Text\rwith an old Mac line break"),
        ("extra_sections.1.heading", "Second"),
        ("extra_sections.1.body", "Body two"),
        ("extra_sections.0.heading", "First"),
        ("extra_sections.0.body", "Body one"),
        ("extra_sections.2.heading", ""),
        ("extra_sections.2.body", ""),
        ("changes.0.version", "abc"),
        ("changes.0.date", "2026-10-01"),
        ("changes.0.summary", "First published."),
        ("sources", "  One source \r\n\r\nTwo\r\n"),
        ("translation_of", "1"),  # not an input of the form: ignored
        ("title", "a second title is not the form's"),
        ("raise_version", "yes"),
        ("new_change.summary", "Added\r\nthe phone number. "),
        ("picture-file:what.body", "images/therapy-room.jpg"),
        ("picture-alt:what.body", "A room"),
        ("picture-caption:what.body", ""),
        ("picture-alt:nowhere", "ignored"),
    ]
    parsed = parse_form(pairs)
    assert parsed.data == {
        "reference": "PSY-0900",
        "version": 3,
        "title": "A title",
        "summary": "One line and the next.",
        "last_updated": dt.date(2026, 10, 1),
        "archive_date": "2026-02-30",
        "status": "draft",
        "approved_on": "01/10/2026",
        "what": "First paragraph.\n\n- a bullet\n",
        "who": {"heading": "Who can come?"},
        "risks": "Text\nwith an old Mac line break\n",
        "extra_sections": [
            {"heading": "First", "body": "Body one\n"},
            {"heading": "Second", "body": "Body two\n"},
        ],
        "changes": [
            {"version": "abc", "date": dt.date(2026, 10, 1), "summary": "First published."}
        ],
        "sources": ["One source", "Two"],
    }
    assert list(parsed.data) == [k for k in Leaflet.model_fields if k in parsed.data]
    assert parsed.raise_version is True
    assert parsed.new_change_summary == "Added the phone number."
    assert parsed.base_sha256 == "b" * 64 and parsed.csrf_token == "t"
    assert set(parsed.pictures) == {"what.body"}
    assert parsed.pictures["what.body"].alt == "A room"


def test_check_reports_what_the_form_posts_in_its_own_words(tmp_path: Path) -> None:
    """Values kept as typed reach check, which names them as it would in a file."""
    data = parse_form(
        [
            ("reference", "PSY-0900"),
            ("version", "two"),
            ("title", "T"),
            ("last_updated", "2026-02-30"),
            ("what.body", "a"),
            ("who.body", "b"),
            ("preparation.body", "c"),
            ("risks.heading", "Any risks?"),
            ("alternatives.body", "e"),
        ]
    ).data
    root = copy_project(tmp_path, ("psy-0900.yaml", yaml.safe_dump(data, sort_keys=False)))
    _, problems = load_file(load_project(root), root / "leaflets" / "psy-0900.yaml")
    found = {(p.field, p.message) for p in problems}
    assert ("version", "must be a whole number, like 2 (found 'two')") in found
    assert (
        "last_updated",
        "is not a real date (found '2026-02-30'); check the day and month",
    ) in found
    assert ("risks.body", "required field is missing: add 'body: |'") in found
    for problem in problems:
        assert input_for(problem.field) in {"version", "last_updated", "risks.body"}


def test_actions_on_extra_sections() -> None:
    data = _sample(SAMPLES[3])  # psy-0104: several extra sections
    page = render_form(_context(data))
    headings = [e["heading"] for e in data["extra_sections"]]
    assert len(headings) >= 3

    def after(action: str) -> dict[str, Any]:
        pairs = _submitted(page, action)
        parsed = parse_form(pairs)
        assert parsed.action == action
        return apply_action(parsed.data, parsed.action, pairs)

    added = after("add-extra")
    assert added["extra_sections"][-1] == {}
    assert [e.get("heading") for e in added["extra_sections"][:-1]] == headings
    shown = render_form(_context(added))
    blank = len(headings)
    assert f'name="extra_sections.{blank}.heading"' in shown
    # Saved as it is, the blank section is left out.
    assert parse_form(_submitted(shown)).data["extra_sections"] == data["extra_sections"]

    removed = after("remove-extra:1")
    assert [e["heading"] for e in removed["extra_sections"]] == headings[:1] + headings[2:]
    up = after("up-extra:1")
    assert [e["heading"] for e in up["extra_sections"]][:2] == [headings[1], headings[0]]
    down = after("down-extra:0")
    assert [e["heading"] for e in down["extra_sections"]][:2] == [headings[1], headings[0]]
    # Moving the last down or the first up (posted by hand: there is no such button) does nothing.
    pairs = _submitted(page)
    for action in (f"down-extra:{len(headings) - 1}", "up-extra:0", "remove-extra:99"):
        moved = apply_action(parse_form(pairs).data, action, pairs)
        assert moved["extra_sections"] == data["extra_sections"]
    # The first has no Move up, the last no Move down.
    buttons = {c.value for c in _controls(page) if c.tag == "button"}
    assert "up-extra:0" not in buttons and f"down-extra:{len(headings) - 1}" not in buttons
    assert {"up-extra:1", "down-extra:0", "remove-extra:0", "add-extra"} <= buttons


def test_actions_on_the_version_history() -> None:
    data = _sample(SAMPLES[0])
    page = render_form(_context(data))
    pairs = _submitted(page, "add-change")
    added = apply_action(parse_form(pairs).data, "add-change", pairs)
    assert added["changes"][0] == {} and added["changes"][1:] == data["changes"]
    shown = render_form(_context(added))
    assert 'name="changes.0.version" aria-describedby' in shown

    # Removing an item counts the blank one just added, as the page showed it.
    pairs = _submitted(shown, "remove-change:1")
    removed = apply_action(parse_form(pairs).data, "remove-change:1", pairs)
    assert removed["changes"] == [{}, *data["changes"][1:]]
    assert "changes" not in apply_action(
        {}, "remove-change:0", [("changes.0.version", "1"), ("changes.0.date", "")]
    )


def test_insert_picture_without_scripts() -> None:
    data = _sample(SAMPLES[1])
    page = render_form(_context(data))
    chosen = {
        "picture-file:risks.body": "images/therapy-room.jpg",
        "picture-alt:risks.body": 'A calm [room] "here"',
        "picture-caption:risks.body": 'Our "quiet" room',
    }
    pairs = [(n, chosen.get(n, v)) for n, v in _submitted(page, "insert-picture:risks.body")]
    parsed = parse_form(pairs)
    assert parsed.action == "insert-picture:risks.body"
    result = apply_action(parsed.data, parsed.action, pairs, images=IMAGES)
    body = result["risks"]["body"]
    picture = '![A calm \\[room\\] "here"](images/therapy-room.jpg "Our \\"quiet\\" room")'
    assert body == data["risks"]["body"].rstrip() + "\n\n" + picture + "\n"
    assert {k: v for k, v in result.items() if k != "risks"} == {
        k: v for k, v in _expected(data).items() if k != "risks"
    }

    # The picture as Markdown renders as a picture with that alt text and caption.
    from build_leaflets import markup  # noqa: PLC0415

    rendered = markup.to_html(picture)
    assert '<img src="images/therapy-room.jpg" alt="A calm [room] &quot;here&quot;"' in rendered
    assert "quiet" in rendered and "<figcaption>" in rendered

    # Into an extra section, and into a section not written yet.
    with pytest.raises(FormError):  # the form has no such section, so no such button
        apply_action(
            {},
            "insert-picture:extra_sections.3.body",
            [("picture-file:extra_sections.3.body", IMAGES[1]),
             ("picture-alt:extra_sections.3.body", "Steps")],
        )  # fmt: skip
    extra = apply_action(
        {},
        "insert-picture:extra_sections.0.body",
        [
            ("extra_sections.0.heading", "Steps"),
            ("picture-file:extra_sections.0.body", IMAGES[1]),
            ("picture-alt:extra_sections.0.body", "Steps"),
        ],
    )
    assert extra == {"extra_sections": [{"heading": "Steps", "body": f"![Steps]({IMAGES[1]})\n"}]}
    assert apply_action(
        {"duration": "Ten weeks.\n"},
        "insert-picture:duration.body",
        [("picture-file:duration.body", "images/a b (1).png"), ("picture-alt:duration.body", "x")],
    ) == {"duration": "Ten weeks.\n\n![x](<images/a b (1).png>)\n"}


def test_insert_picture_refused_says_why() -> None:
    pairs = [("picture-file:risks.body", IMAGES[0]), ("picture-alt:risks.body", "  ")]
    with pytest.raises(ActionProblem) as refused:
        apply_action({}, "insert-picture:risks.body", pairs)
    assert refused.value.field == "picture-alt:risks.body"
    assert refused.value.message == "Say what the picture shows, for people who cannot see it."
    with pytest.raises(ActionProblem) as refused:
        apply_action({}, "insert-picture:risks.body", [("picture-alt:risks.body", "x")])
    assert refused.value.field == "picture-file:risks.body"
    for file in ("images/other.png", "../secret.png", "https://example.org/x.png"):
        with pytest.raises(ActionProblem):
            apply_action(
                {},
                "insert-picture:risks.body",
                [("picture-file:risks.body", file), ("picture-alt:risks.body", "x")],
                images=IMAGES,
            )
    # The refusal is shown beside the chooser, which keeps what was chosen and stays open.
    ctx = _context(
        _sample(SAMPLES[0]),
        problems=[Message(refused.value.field, refused.value.message)],
        pictures=parse_form(
            [("picture-file:risks.body", IMAGES[0]), ("picture-caption:risks.body", "Cap")]
        ).pictures,
    )
    page = render_form(ctx)
    assert _error_text(page, "picture-file:risks.body") == refused.value.message
    chooser = re.search(
        r'<details class="chooser" id="chooser-f-picture-file-risks-body"[^>]*>', page
    )
    assert chooser and " open" in chooser[0]
    assert 'value="Cap"' in page


@pytest.mark.parametrize(
    "action",
    [
        "delete-everything",
        "remove-extra:x",
        "insert-picture:title",
        "insert-picture:risks",
        "remove-extra:99999",
    ],
)
def test_unknown_actions_are_refused(action: str) -> None:
    with pytest.raises(FormError):
        parse_form([("action", action)])
    with pytest.raises(FormError):
        apply_action({}, action, [])


def test_picture_markdown_matches_the_script() -> None:
    """The script builds the same Markdown (see form.js): the same escapes, the same form."""
    assert picture_markdown(IMAGES[0], "A room", "") == f"![A room]({IMAGES[0]})"
    assert picture_markdown(IMAGES[0], "a\\b <c>\n d", 'say "hi"') == (
        f'![a\\\\b \\<c> d]({IMAGES[0]} "say \\"hi\\"")'
    )
    script = (STATIC / "form.js").read_text(encoding="utf-8")
    assert r'replace(/([\\\[\]<])/g, "\\$1")' in script
    assert r"/[\s()]/.test(file)" in script


# ---- messages -------------------------------------------------------------------------------


def _check(tmp_path: Path, text: str) -> list[Problem]:
    root = copy_project(tmp_path, ("psy-0900.yaml", text))
    source, problems = load_file(load_project(root), root / "leaflets" / "psy-0900.yaml")
    assert source is None and problems
    return problems


class _TextDates(yaml.SafeLoader):
    """Dates stay as typed, as the server reads a file for the form (2026-02-30 is no date)."""


_TextDates.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


@pytest.mark.parametrize(
    "change",
    [
        # Problems pydantic finds: a missing section, a bad date, an unknown field, HTML.
        lambda text: (
            re.sub(r"\nrisks:\n  heading: .*?\n  body: \|\n(    .*\n|\n)*", "\n", text)
            .replace("last_updated: 2026-11-23", "last_updated: 23/11/2026")
            .replace("\nowner:", "\ncolour: blue\nowner:")
            .replace("  body: |\n    Integrated", "  body: |\n    <b>Integrated</b>")
        ),
        # Problems of the rules that span fields.
        lambda text: (
            text.replace("approved_by: Patient Information Group\n", "")
            .replace(
                "last_updated: 2026-11-23", "last_updated: 2026-11-23\narchive_date: 2026-01-01"
            )
            .replace("  - version: 1\n", "  - version: 7\n")
        ),
    ],
    ids=["fields", "governance"],
)
def test_checks_messages_are_shown_beside_their_inputs_and_in_the_summary(
    tmp_path: Path, change: Callable[[str], str]
) -> None:
    text = change(SAMPLES[0].read_text(encoding="utf-8"))
    problems = _check(tmp_path, text)
    data = yaml.load(text, Loader=_TextDates)
    page = render_form(_context(data, problems=problems))

    summary = _summary(page)
    assert len(summary) == len(problems)
    assert re.search(
        r'<div class="error-summary" id="error-summary" tabindex="-1" role="alert" autofocus>',
        page,
    )
    assert (
        '<h2 class="error-summary-title" id="error-summary-title">There is a problem</h2>' in page
    )
    assert "<title>Error: " in page
    for problem in problems:
        name = input_for(problem.field)
        if name:
            assert problem.message in _error_text(page, name).split("\n"), problem
            control = next(c for c in _controls(page) if c.name == name)
            assert control.attrs.get("aria-invalid") == "true"
            assert f"{input_id(name)}-error" in control.attrs["aria-describedby"].split()
            assert any(
                target == input_id(name) and text.endswith(problem.message)
                for target, text in summary
            ), problem
        else:
            assert any(text.endswith(problem.message) for _, text in summary), problem
    for target, _ in summary:
        assert not target or f'id="{target}"' in page
    fields_shown = {p.field for p in problems}
    if "risks" in fields_shown:
        assert any(t == "" and s.startswith("colour: unknown field") for t, s in summary)
        assert "&lt;b&gt;Integrated" in page  # the HTML written is shown as text, not run
    # The summary follows the page's order.
    order = [t for t, _ in summary if t]
    positions = [page.index(f'id="{t}"') for t in order]
    assert positions == sorted(positions)


def test_the_context_takes_what_the_check_endpoint_has() -> None:
    """Messages as (field, message) pairs, figures as the endpoint's JSON, a conflict as a pair
    of texts, and a refused action itself: each is shown as the richer form would be."""
    data = _sample(SAMPLES[0])
    refused = ActionProblem("picture-alt:what.body", "Say what the picture shows.")
    page = render_form(
        _context(
            data,
            problems=[("risks", "is empty"), refused],
            readability={"reading_ease": 71.25, "grade": 5.1, "smog": 8.0, "words": 1812},
            conflict=("a: 1\n", "a: 2\n"),
            notice=None,
        )
    )
    assert _error_text(page, "risks.body") == "is empty"
    assert _error_text(page, "picture-alt:what.body") == "Say what the picture shows."
    assert 'data-readability="reading_ease">71.2<' in page
    assert 'data-readability="words">1,812<' in page
    assert "<mark>a: 1</mark>" in page and "<mark>a: 2</mark>" in page
    assert 'class="notice"' not in page


def test_a_page_without_problems_has_a_hidden_summary() -> None:
    page = render_form(_context(_sample(SAMPLES[0])))
    assert re.search(r'<div class="error-summary"[^>]* hidden>', page)
    assert 'role="alert"' not in page and "<title>Edit PSY-0101" in page
    assert not re.search(r'aria-invalid="true"', page)
    for control in _controls(page):
        for ref in control.attrs.get("aria-describedby", "").split():
            assert f'id="{ref}"' in page, ref


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("risks", "risks.body"),
        ("risks.body", "risks.body"),
        ("risks.heading", "risks.heading"),
        ("what", "what.body"),
        ("contact", "contact.phone"),
        ("contact.email", "contact.email"),
        ("extra_sections", "extra_sections.0.heading"),
        ("extra_sections.2", "extra_sections.2.heading"),
        ("extra_sections.2.body", "extra_sections.2.body"),
        ("changes.1.date", "changes.1.date"),
        ("changes", "changes.0.version"),
        ("sources.3", "sources"),
        ("last_updated", "last_updated"),
        ("", ""),
        ("colour", ""),
        ("translation_of", ""),
        ("raise_version", "raise_version"),
        ("new_change.summary", "new_change.summary"),
        ("picture-alt:risks.body", "picture-alt:risks.body"),
    ],
)
def test_input_for(field: str, name: str) -> None:
    assert input_for(field) == name


def test_the_check_endpoints_answer() -> None:
    data = _sample(SAMPLES[0])
    answer = check_answer([Problem("x.yaml", 3, 1, "risks", "is empty")], readability_of(data))
    assert answer["problems"] == [{"field": "risks", "input": "risks.body", "message": "is empty"}]
    figures = answer["readability"]
    assert set(figures) == {"reading_ease", "grade", "smog", "words"}
    assert isinstance(figures["words"], int) and figures["words"] > 500
    assert json.loads(json.dumps(answer)) == answer
    assert check_answer([], None) == {"problems": [], "readability": None}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_readability_is_measured_on_the_text_check_measures(sample: Path) -> None:
    source, problems = load_file(load_project(ROOT), sample)
    assert source is not None and not problems
    assert reading_text(_sample(sample)) == source.reading_text


def test_readability_figures_are_shown() -> None:
    data = _sample(SAMPLES[0])
    figures = readability_of(data)
    page = render_form(_context(data, readability=figures))
    assert f'data-readability="reading_ease">{figures.flesch_reading_ease:.1f}<' in page
    assert f'data-readability="words">{figures.words:,}<' in page
    assert 'data-readability="smog">\u2013<' in render_form(_context(data))


# ---- the page's parts ------------------------------------------------------------------------


def test_the_page_has_what_the_server_needs() -> None:
    page = render_form(_context(_sample(SAMPLES[0])))
    assert page.startswith("<!DOCTYPE html>\n") and '<html lang="en-GB">' in page
    buttons = [c for c in _controls(page) if c.tag == "button"]
    saves = [b for b in buttons if b.value == "save"]
    assert [b.text for b in saves] == ["Save", "Save"]  # the default for Enter, and the visible one
    assert saves[0].attrs.get("aria-hidden") == "true" and saves[0].attrs["tabindex"] == "-1"
    assert buttons[0] is saves[0], "Enter must save, not press another button"
    hidden = {c.name: c.value for c in _controls(page) if c.type == "hidden"}
    assert hidden == {"csrf_token": "token-123", "base_sha256": "a" * 64}
    assert '<a href="/PSY-0101.html">Back to the preview</a>' in page
    assert '<a href="/new">New leaflet</a>' in page
    assert 'action="/edit/PSY-0101"' in page and 'data-check-url="/check"' in page
    reference = next(c for c in _controls(page) if c.name == "reference")
    assert "readonly" in reference.attrs
    # Every input has a visible label.
    for control in _controls(page):
        if control.tag != "button" and control.type != "hidden":
            assert re.search(rf'<label[^>]* for="{re.escape(control.attrs["id"])}"', page)
    # With no pictures in the images folder, the writer is told how to add one.
    bare = render_form(_context(_sample(SAMPLES[0]), images=()))
    assert "picture-file:" not in bare and "insert-picture:" not in bare
    assert (
        bare.count("first put the file (PNG, JPEG or SVG) in the leaflets\u2019 images folder")
        == 12
    )
    # CSP-friendly: no inline script, style or event handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"\s(on[a-z]+|style)=", page) and "<style" not in page


def test_markdown_bodies_explain_markdown() -> None:
    page = render_form(_context(_sample(SAMPLES[0])))
    hint = re.search(r'<div class="hint markdown-hint" id="markdown-hint">(.*?)</div>', page, re.S)
    assert hint
    words = html.unescape(re.sub(r"<[^>]+>", "", hint[1]))
    for told in ("blank line", "- ", "1. ", "**", "[link text](https://", "HTML is not allowed"):
        assert told in words
    body = next(c for c in _controls(page) if c.name == "risks.body")
    assert body.attrs["aria-describedby"].split()[0] == "markdown-hint"


def test_published_version_fieldset() -> None:
    data = _sample(SAMPLES[0])
    assert "raise_version" not in render_form(_context(data))
    page = render_form(
        _context(data, published_version=2, raise_version=True, new_change_summary="New phone.")
    )
    fieldset = re.search(r'<fieldset class="published".*?</fieldset>', page, re.S)
    assert fieldset
    text = html.unescape(re.sub(r"<[^>]+>", " ", fieldset[0]))
    assert "Version 2 is published" in text and "never changes" in text
    assert "Raise the version to 3" in text
    assert "What changed (for the version history)" in text
    box = next(c for c in _controls(page) if c.name == "raise_version")
    assert box.type == "checkbox" and "checked" in box.attrs
    parsed = parse_form(_submitted(page))
    assert parsed.raise_version is True and parsed.new_change_summary == "New phone."
    unticked = render_form(_context(data, published_version=2))
    assert parse_form(_submitted(unticked)).raise_version is False
    refused = render_form(
        _context(data, published_version=2, problems=[Message("raise_version", "Tick it.")])
    )
    assert _error_text(refused, "raise_version") == "Tick it."
    assert _summary(refused) == [("f-raise_version", "Raise the version: Tick it.")]


def test_a_new_version_goes_into_the_history() -> None:
    data = _expected(_sample(SAMPLES[0]))
    raised = new_version(data, 3, "Added the new phone number.", TODAY)
    assert raised["version"] == 3 and raised["last_updated"] == TODAY
    assert raised["changes"] == [
        {"version": 3, "date": TODAY, "summary": "Added the new phone number."},
        *data["changes"],
    ]
    assert list(raised) == [k for k in Leaflet.model_fields if k in raised]
    assert new_version(raised, 3, "Again.", TODAY)["changes"] == raised["changes"]
    assert new_version({"changes": "odd"}, 2, "x", TODAY)["changes"][0]["version"] == 2


def test_conflict_shows_both_versions_and_keeps_the_edits() -> None:
    data = _sample(SAMPLES[0])
    file_now = SAMPLES[0].read_text(encoding="utf-8").replace("version: 2", "version: 3")
    edits = {**data, "title": "My <new> title"}
    your_yaml = yaml.safe_dump(edits, sort_keys=False, allow_unicode=True)
    page = render_form(_context(edits, conflict=Conflict(file_now, your_yaml)))
    section = re.search(r'<section class="conflict".*?</section>\n</div>', page, re.S)
    assert section
    pres = re.findall(r"<pre tabindex=\"0\">(.*?)</pre>", section[0], re.S)
    assert len(pres) == 2
    now, yours = (html.unescape(re.sub(r"</?mark>", "", p)) for p in pres)
    assert now == file_now.rstrip("\n") and yours == your_yaml.rstrip("\n")
    assert (
        "<mark>version: 3</mark>" in pres[0]
        and "<mark>title: My &lt;new&gt; title</mark>" in pres[1]
    )
    assert "The file now" in section[0] and "Your edits" in section[0]
    assert parse_form(_submitted(page)).data["title"] == "My <new> title"


def test_new_leaflet_passes_check_and_has_an_editable_reference(tmp_path: Path) -> None:
    data = new_leaflet_data("PSY-0900", TODAY)
    assert data["status"] == "draft" and data["version"] == 1 and data["last_updated"] == TODAY
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    root = copy_project(tmp_path, ("psy-0900.yaml", text))
    source, problems = load_file(load_project(root), root / "leaflets" / "psy-0900.yaml")
    assert problems == [] and source is not None
    assert source.leaflet.reference == "PSY-0900" and source.leaflet.is_draft

    page = render_form(_context(data, reference=None, preview_url=None, action="/new"))
    assert "<h1>New leaflet</h1>" in page and "Back to the preview" not in page
    reference = next(c for c in _controls(page) if c.name == "reference")
    assert "readonly" not in reference.attrs and reference.value == "PSY-0900"
    inputs = [c.name for c in _controls(page) if c.type != "hidden" and c.tag != "button"]
    assert inputs[:2] == ["reference", "title"]
    assert '<h2 id="part-content-title">Reference, title and summary</h2>' in page
    assert parse_form(_submitted(page)).data == data
    blank = render_form(_context(new_leaflet_data("", TODAY), reference=None, action="/new"))
    assert "reference" not in parse_form(_submitted(blank)).data


def test_values_of_the_wrong_kind_are_shown_to_be_corrected() -> None:
    data = {**_sample(SAMPLES[0]), "last_updated": "23/11/2026", "status": "published",
            "version": "two", "sources": ["a", "b"]}  # fmt: skip
    page = render_form(_context(data))
    updated = next(c for c in _controls(page) if c.name == "last_updated")
    assert updated.type == "text" and updated.value == "23/11/2026"
    assert parse_form(_submitted(page)).data == {**_expected(data)}


# ---- in a browser ------------------------------------------------------------------------------


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the CI set-up must install it)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _missing("the Python package playwright is not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@dataclass
class Site:
    """Pages of the form on http://127.0.0.1, the editor's static files at /__editor/, and a
    check endpoint that really checks (as the preview's will)."""

    url: str
    pages: dict[str, str]
    posts: list[tuple[str, dict[str, str], list[tuple[str, str]]]]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = copy_project(tmp_path_factory.mktemp("editor"))
    project = load_project(root)
    lock = threading.Lock()
    pages: dict[str, str] = {}
    posts: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = []

    def check(pairs: list[tuple[str, str]]) -> dict[str, Any]:
        data = parse_form(pairs).data
        path = root / "leaflets" / "psy-0101.yaml"
        with lock:
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
            _, problems = load_file(project, path)
        return check_answer(problems, readability_of(data))

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/__editor/fonts.css":
                self._send(200, "text/css", font_css().encode())
                return
            if self.path == "/favicon.ico":
                self._send(204, "image/x-icon", b"")
                return
            if self.path.startswith("/__editor/"):
                name = self.path.rsplit("/", 1)[1]
                kinds = {".css": "text/css", ".js": "text/javascript"}
                file = STATIC / name
                if file.is_file() and file.suffix in kinds:
                    self._send(200, kinds[file.suffix], file.read_bytes())
                    return
            page = pages.get(self.path)
            if page is None:
                self._send(404, "text/plain", b"not found")
            else:
                self._send(200, "text/html; charset=utf-8", page.encode())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            pairs = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
            posts.append((self.path, dict(self.headers), pairs))
            if self.path == "/check":
                self._send(200, "application/json", json.dumps(check(pairs)).encode())
            else:
                self._send(200, "text/html; charset=utf-8", pages["/posted"].encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    pages["/posted"] = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Posted</title></head>'
        "<body><main><h1>Posted</h1></main></body></html>"
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", pages, posts)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _open(
    browser: Browser, site: Site, path: str, page_html: str, *, javascript: bool = True
) -> Page:
    """The page, loaded in a new context; a script error, a failed request or a refusal by the
    Content-Security-Policy fails the test."""
    site.pages[path] = page_html
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on(
        "response",
        lambda answer: (
            problems.append(f"HTTP {answer.status}: {answer.url}") if answer.status >= 400 else None
        ),
    )
    response = page.goto(site.url + path, wait_until="load")
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    assert not problems, problems
    page.problems = problems  # type: ignore[attr-defined]
    return page


def _axe(page: Page) -> list[dict[str, Any]]:
    if not AXE.is_file():
        _missing(f"axe-core is not installed ({AXE.relative_to(ROOT)}): run npm ci")
    # The page's CSP refuses inline scripts, so axe comes in through the browser's own channel.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def _vnu(files: list[Path]) -> list[dict[str, Any]]:
    java = shutil.which("java")
    if java is None:
        _missing("Java is not installed (apt-get install default-jre-headless)")
    if not VNU.is_file():
        _missing(f"the Nu Html Checker is not installed ({VNU.relative_to(ROOT)}): run npm ci")
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stderr or result.stdout)
    return [m for m in report["messages"] if m["type"] in ("error", "non-document-error")]


def _pages() -> dict[str, str]:
    """The page in each state worth checking: problems, a conflict, a published version."""
    data = _sample(SAMPLES[0])
    problems = [
        Problem("x", 1, 1, "risks", 'is empty; write the text that answers "What are the risks?"'),
        Problem("x", 1, 1, "changes.1.date", "must be a date written as YYYY-MM-DD"),
        Problem("x", 1, 1, "colour", "unknown field; did you mean 'contact'?"),
        Problem("x", 1, 1, "", "YAML syntax error: found a tab"),
        Message("picture-alt:what.body", "Say what the picture shows."),
        Message("new_change.summary", "Say what changed."),
    ]
    file_now = SAMPLES[0].read_text(encoding="utf-8")
    return {
        "problems": render_form(
            _context(
                data,
                problems=problems,
                readability=readability_of(data),
                font_css_url="/__editor/fonts.css",
            )
        ),
        "conflict-published": render_form(
            _context(
                {**data, "title": "Edited title"},
                conflict=Conflict(file_now, file_now.replace("Integrated", "Edited")),
                published_version=2,
                readability=readability_of(data),
                notice="Saved.",
                problems=[
                    Message("raise_version", "Tick the box to save your edits as version 3.")
                ],
            )
        ),
        "new": render_form(_context(new_leaflet_data("", TODAY), reference=None, preview_url=None)),
        "extras": render_form(_context(_sample(SAMPLES[3]))),
    }


def test_pages_pass_the_nu_html_checker(tmp_path: Path) -> None:
    files = []
    for name, page in _pages().items():
        file = tmp_path / f"{name}.html"
        file.write_text(page, encoding="utf-8")
        files.append(file)
    messages = _vnu(files)
    assert not messages, "\n".join(
        f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m['message']}" for m in messages
    )


def test_pages_pass_axe(browser: Browser, site: Site, tmp_path: Path) -> None:
    found = []
    for name, html_text in _pages().items():
        page = _open(browser, site, f"/{name}", html_text)
        try:
            if name == "problems":  # the error summary takes the focus when there are problems
                expect(page.locator("#error-summary")).to_be_focused()
            page.locator("details.chooser").first.evaluate("d => d.open = true")
            found += [
                f"{name}: {v['id']} ({v['impact']}): {v['help']} at "
                + ", ".join(" ".join(n["target"]) for n in v["nodes"])
                for v in _axe(page)
            ]
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        finally:
            page.context.close()
    assert not found, "axe-core found violations:\n" + "\n".join(found)
    shot = (tmp_path / "problems.png").read_bytes()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", shot[16:24])
    assert width == 1280 and height > 3000


def test_keyboard_order_follows_the_page(browser: Browser, site: Site) -> None:
    data = _sample(SAMPLES[0])
    page_html = render_form(_context(data, published_version=2))
    page = _open(browser, site, "/keyboard", page_html)
    try:
        reached: list[str] = []
        for _ in range(200):
            page.keyboard.press("Tab")
            what = page.evaluate(
                """() => { const e = document.activeElement;
                   return e.name ? e.name + (e.tagName === 'BUTTON' ? '=' + e.value : '')
                        : e.tagName === 'SUMMARY' ? '<summary>' : (e.textContent || '').trim(); }"""
            )
            reached.append(what)
            if what == "action=save":
                break
        assert reached[:4] == ["Skip to the form", "Back to the preview", "All leaflets",
                               "New leaflet"]  # fmt: skip
        # A date input takes several presses (day, month, year): count each input once.
        names = [
            r
            for n, r in enumerate(reached)
            if r and not r.startswith("action=") and r != "<summary>" and r != reached[n - 1]
        ]
        expected = [
            c.name
            for c in _controls(page_html)
            if c.tag != "button" and c.type != "hidden" and not c.name.startswith("picture-")
        ]
        assert names[4:] == expected
        assert expected[:4] == ["raise_version", "new_change.summary", "title", "summary"]
        assert reached[-1] == "action=save"
        assert reached.count("action=save") == 1, "the hidden default button is never reached"
    finally:
        page.context.close()


def _fill_picture_by_keyboard(page: Page, path: str, alt: str) -> None:
    """Open a picture chooser, choose the first picture and write its alt text, by keyboard."""
    chooser = page.locator(f'[data-picture-for="{path}"]').locator("xpath=..")
    chooser.locator("select").evaluate("s => { s.value = ''; }")
    chooser.locator("summary").focus()
    if not chooser.evaluate("d => d.open"):
        page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the first picture
    page.keyboard.press("Tab")
    page.keyboard.type(alt)
    page.keyboard.press("Tab")  # the caption, left empty
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == f"insert-picture:{path}"


def test_checks_as_you_type(browser: Browser, site: Site) -> None:
    data = _sample(SAMPLES[0])
    page = _open(browser, site, "/live", render_form(_context(data, readability=None)))
    try:
        before = len(site.posts)
        body = page.locator('textarea[name="risks.body"]')
        body.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.type("<b>Careful</b>")
        message = page.locator("#f-risks-body-error")
        expect(message).to_contain_text("raw HTML is not allowed", timeout=WAIT_MS)
        assert page.evaluate("document.activeElement.name") == "risks.body", "focus kept"
        expect(page.locator("#error-summary")).to_be_visible()
        link = page.locator('#error-summary a[href="#f-risks-body"]')
        expect(link).to_have_text(
            re.compile(r"^What are the risks\? \u2013 raw HTML is not allowed")
        )
        expect(page.locator("#check-status")).to_have_text("1 problem found.")
        assert page.locator("#error-summary").get_attribute("role") is None, "updates are polite"
        assert body.get_attribute("aria-invalid") == "true"
        words = page.locator('[data-readability="words"]')
        assert words.inner_text() != "\u2013"
        assert page.title().startswith("Error: ")

        path, headers, pairs = site.posts[before]
        assert path == "/check"
        assert headers["X-CSRF-Token"] == "token-123"
        assert headers["Content-Type"].startswith("application/x-www-form-urlencoded")
        assert ("csrf_token", "token-123") in pairs and not any(n == "action" for n, _ in pairs)

        page.keyboard.press("Control+A")
        page.keyboard.type("Nothing worse than a bad day.")
        expect(page.locator("#check-status")).to_have_text("No problems found.", timeout=WAIT_MS)
        expect(page.locator("#error-summary")).to_be_hidden()
        expect(message).to_be_hidden()
        assert body.get_attribute("aria-invalid") is None
        assert not page.title().startswith("Error: ")
        assert not page.problems  # type: ignore[attr-defined]

        # The page as the script left it is as accessible as the page the server sent.
        page.keyboard.press("Control+A")
        page.keyboard.type("")
        page.keyboard.press("Delete")
        expect(page.locator("#check-status")).to_have_text("1 problem found.", timeout=WAIT_MS)
        expect(message).to_contain_text("required field is missing")
        violations = _axe(page)
        assert not violations, [v["id"] for v in violations]
    finally:
        page.context.close()


def test_pictures_with_a_script_go_in_at_the_cursor(browser: Browser, site: Site) -> None:
    data = _sample(SAMPLES[0])
    page = _open(browser, site, "/pictures", render_form(_context(data)))
    try:
        before = len(site.posts)
        body = page.locator('textarea[name="risks.body"]')
        body.evaluate("t => { t.focus(); t.setSelectionRange(0, 0); }")
        chooser = page.locator('[data-picture-for="risks.body"]')
        chooser.locator("xpath=..").locator("summary").click()
        chooser.locator("button").click()  # no picture chosen
        expect(page.locator("#f-picture-file-risks-body-error")).to_have_text(
            "Error: Choose a picture to insert."
        )
        chooser.locator("select").select_option(IMAGES[0])
        chooser.locator("button").click()  # no alt text
        expect(page.locator("#f-picture-alt-risks-body-error")).to_contain_text("Say what")
        assert page.evaluate("document.activeElement.name") == "picture-alt:risks.body"

        _fill_picture_by_keyboard(page, "risks.body", "A [quiet] room")
        page.keyboard.press("Enter")
        value = body.input_value()
        assert value.startswith(f"![A \\[quiet\\] room]({IMAGES[0]})\n\nTalking about")
        assert page.evaluate("document.activeElement.name") == "risks.body"
        expect(page.locator("#check-status")).to_contain_text("Picture inserted")
        page.wait_for_timeout(100)
        assert all(p[0] == "/check" for p in site.posts[before:]), "nothing was submitted"
    finally:
        page.context.close()


def test_removing_an_extra_section_asks_first(browser: Browser, site: Site) -> None:
    page = _open(browser, site, "/remove", render_form(_context(_sample(SAMPLES[3]))))
    try:
        asked: list[str] = []

        def answer(dialog: Any) -> None:
            asked.append(dialog.message)
            if len(asked) == 1:
                dialog.dismiss()
            else:
                dialog.accept()

        page.on("dialog", answer)
        heading = page.locator('input[name="extra_sections.0.heading"]').input_value()
        button = page.locator('button[value="remove-extra:0"]')
        before = len(site.posts)
        button.click()
        page.wait_for_timeout(200)
        assert len(site.posts) == before and asked == [
            f"Remove the section “{heading}”? Its heading and text will be deleted."
        ]
        with page.expect_navigation():
            button.click()
        path, _, pairs = site.posts[-1]
        assert path == "/edit/PSY-0104" and ("action", "remove-extra:0") in pairs
    finally:
        page.context.close()


def test_without_scripts_the_buttons_post_the_form(browser: Browser, site: Site) -> None:
    data = _sample(SAMPLES[0])
    page_html = render_form(_context(data))
    page = _open(browser, site, "/plain", page_html, javascript=False)
    try:
        page.locator('[data-picture-for="what.body"]').locator("xpath=..").locator(
            "summary"
        ).click()
        page.locator('select[name="picture-file:what.body"]').select_option(IMAGES[1])
        page.locator('input[name="picture-alt:what.body"]').fill("The steps of therapy")
        with page.expect_navigation():
            page.locator('button[value="insert-picture:what.body"]').click()
        _, _, pairs = site.posts[-1]
        parsed = parse_form(pairs)
        assert parsed.action == "insert-picture:what.body"
        # What Chromium posted is the leaflet itself, CRLF line breaks and all.
        assert parsed.data == _expected(data)
        result = apply_action(parsed.data, parsed.action, pairs, images=IMAGES)
        assert result["what"]["body"].endswith(f"\n\n![The steps of therapy]({IMAGES[1]})\n")

        # The error summary takes the focus without a script too.
        problem = Problem("x", 1, 1, "risks", "is empty")
        site.pages["/plain-problem"] = render_form(_context(data, problems=[problem]))
        page.goto(site.url + "/plain-problem")
        expect(page.locator("#error-summary")).to_be_focused()

        # Enter in a text input saves (the form's first button is Save).
        page.goto(site.url + "/plain")
        page.locator('input[name="title"]').press("Enter")
        page.wait_for_url(site.url + "/edit/PSY-0101")
        assert ("action", "save") in site.posts[-1][2]
    finally:
        page.context.close()
