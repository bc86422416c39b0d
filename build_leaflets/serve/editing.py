"""Editing: the preview's forms for people who do not write YAML.

`/edit/REFERENCE` shows a leaflet as a form (`build_leaflets.editor`), `/new` starts a new one.
What a form posts is checked exactly as `check` checks a file (the same loader, so the same
messages, beside their fields), and saving is refused while anything is wrong. A save changes
only the lines that changed (`yamledit`), replaces the file atomically, and is refused if the
file changed on disk since the form was opened (another editor, a `git pull`): both versions are
then shown. A version already published never changes: its file is saved only with its version
raised, which the form offers together with the version-history entry. The watcher then
rebuilds the preview and its PDF, as for any save.

Safety on a shared PC: the preview answers only this computer (the `Host` check in `server`);
every POST must carry this session's CSRF token (tied to a cookie only this browser holds) and
an `Origin` of the preview itself, else 403; only files directly inside `leaflets/` are written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import yaml

from build_leaflets import build, yamledit
from build_leaflets.config import Project
from build_leaflets.editor import form
from build_leaflets.files import write_atomic
from build_leaflets.load import load_file
from build_leaflets.model import REFERENCE_PATTERN, Leaflet
from build_leaflets.register import ARCHIVAL

EDIT_PREFIX = "/edit/"
CHECK_PREFIX = "/check/"
NEW_PATH = "/new"
STATIC_PREFIX = "/__editor/"
COOKIE = "build_leaflets_session"
MAX_FORM_BYTES = 2_000_000  # a leaflet file may be 1 MB; its form, escaped, a little more
FONTS = "fonts.css"
_STATIC = {"form.js": "text/javascript; charset=utf-8", "form.css": "text/css; charset=utf-8"}


def post_route(path: str) -> tuple[str, str | None] | None:
    """What a POST to `path` is: ("edit", REF), ("new", None), ("check", REF or None)."""
    if path == NEW_PATH:
        return "new", None
    for prefix, what in ((EDIT_PREFIX, "edit"), (CHECK_PREFIX, "check")):
        if path.startswith(prefix):
            reference = path[len(prefix) :]
            if what == "check" and reference == "new":
                return what, None
            return (what, reference) if re.fullmatch(REFERENCE_PATTERN, reference) else None
    return None


@dataclass(frozen=True)
class Answer:
    """What the server sends back: status, content type, body and extra headers."""

    status: int
    kind: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class Forbidden(Exception):
    """A POST without this session's token, or from another origin."""


@dataclass
class Editor:
    """The editing side of one preview: its secret, and one save at a time."""

    project: Project
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    saving: threading.Lock = field(default_factory=threading.Lock)

    # --- sessions ------------------------------------------------------------------------------

    def session(self, cookie_header: str | None) -> tuple[str, bool]:
        """This browser's session id (from its cookie), and whether it is new (to be set)."""
        cookie = SimpleCookie()
        try:
            cookie.load(cookie_header or "")
        except Exception:  # a malformed cookie header is no session
            cookie = SimpleCookie()
        morsel = cookie.get(COOKIE)
        if morsel is not None and re.fullmatch(r"[A-Za-z0-9_-]{43}", morsel.value):
            return morsel.value, False
        return secrets.token_urlsafe(32), True

    def token(self, session: str) -> str:
        """The CSRF token of a session: a MAC of it, so no page can guess it without the
        cookie, and nothing needs storing."""
        return hmac.new(self.secret, session.encode(), hashlib.sha256).hexdigest()

    def cookie_header(self, session: str) -> tuple[str, str]:
        return (
            "Set-Cookie",
            f"{COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict",
        )

    def check_post(
        self, session: str, given_token: str | None, origin: str | None, allowed: set[str]
    ) -> None:
        """Raise Forbidden unless the POST carries this session's token and comes from the
        preview's own origin."""
        if origin is None or origin.rstrip("/").lower() not in allowed:
            raise Forbidden("this form can only be sent from the preview's own pages")
        if not given_token or not hmac.compare_digest(given_token, self.token(session)):
            raise Forbidden(
                "the form's security token is missing or out of date: reload the page and try again"
            )

    # --- pages ---------------------------------------------------------------------------------

    def static(self, name: str) -> Answer | None:
        """The form's script and stylesheet, and its fonts (the leaflets' own typeface)."""
        if name == FONTS:
            return Answer(200, "text/css; charset=utf-8", form.font_css().encode())
        kind = _STATIC.get(name)
        if kind is None:
            return None
        return Answer(200, kind, (form.STATIC / name).read_bytes())

    def edit_page(self, reference: str, session: str, *, saved: bool = False) -> Answer:
        path = self.file_of(reference)
        if path is None:
            return _not_found(f"No leaflet has the reference {reference}.")
        text = path.read_bytes()
        data = _plain(text)
        _, problems = load_file(self.project, path)
        notice = "Saved. The preview and its PDF are being rebuilt." if saved else None
        return self._form(reference, data, problems, session, base=_sha(text), notice=notice)

    def new_page(self, session: str) -> Answer:
        data = form.new_leaflet_data("", dt.date.today())
        return self._form(None, data, [], session, base="")

    # --- posts ---------------------------------------------------------------------------------

    def post_edit(self, reference: str, pairs: Sequence[tuple[str, str]], session: str) -> Answer:
        path = self.file_of(reference)
        if path is None:
            return _not_found(f"No leaflet has the reference {reference}.")
        try:
            posted = form.parse_form(pairs)
        except form.FormError as error:
            return _bad_request(str(error))
        data = dict(posted.data)
        kept = _Kept.of(posted)
        if posted.action != "save":
            return self._act(reference, data, posted, pairs, session, kept)
        with self.saving:
            current = path.read_bytes()
            on_disk = _plain(current)
            problems = _reference_problems(reference, data)
            published = self._published_version(reference, on_disk)
            if published is not None and posted.raise_version:
                data = form.new_version(
                    data, published + 1, posted.new_change_summary, dt.date.today()
                )
                if not posted.new_change_summary.strip():
                    problems.append(
                        form.Message(
                            "new_change.summary",
                            "say what changed in this version, for the version history",
                        )
                    )
            text = _updated(current, data)
            if _sha(current) != posted.base_sha256:
                return self._form(
                    reference,
                    data,
                    [],
                    session,
                    base=_sha(current),  # a save from here on is made over the file as it is
                    conflict=(current.decode("utf-8", "replace"), text),
                    kept=kept,
                )
            _, found = load_file(self.project, path, given=text.encode("utf-8"))
            problems = [*problems, *found]
            problems += self._version_problems(data, published, text, current)
            if problems:
                return self._form(
                    reference,
                    data,
                    problems,
                    session,
                    base=posted.base_sha256,
                    refused=True,
                    kept=kept,
                )
            if text.encode("utf-8") != current:
                write_atomic(path, text.encode("utf-8"))
        return _saved(reference)

    def post_new(self, pairs: Sequence[tuple[str, str]], session: str) -> Answer:
        try:
            posted = form.parse_form(pairs)
        except form.FormError as error:
            return _bad_request(str(error))
        data = dict(posted.data)
        kept = _Kept.of(posted)
        if posted.action != "save":
            return self._act(None, data, posted, pairs, session, kept)
        reference = str(data.get("reference") or "")
        problems: list[form.FieldMessage] = []
        if not re.fullmatch(REFERENCE_PATTERN, reference):
            problems.append(
                form.Message(
                    "reference",
                    "must be letters, digits and hyphens only, like PSY-0042; it becomes part "
                    "of file names",
                )
            )
        elif self.file_of(reference) is not None:
            problems.append(
                form.Message("reference", f"{reference} is already used by another leaflet")
            )
        if problems:
            return self._form(None, data, problems, session, base="", refused=True, kept=kept)
        path = self.project.leaflets / f"{reference.lower()}.yaml"
        text = _new_text(data)
        _, found = load_file(self.project, path, given=text.encode("utf-8"))
        if found:
            return self._form(None, data, found, session, base="", refused=True, kept=kept)
        with self.saving:
            if path.exists():  # made meanwhile, by someone else
                taken = [form.Message("reference", f"{reference} is already used")]
                return self._form(None, data, taken, session, base="", refused=True, kept=kept)
            write_atomic(path, text.encode("utf-8"))
        return _saved(reference)

    def post_check(
        self, reference: str | None, pairs: Sequence[tuple[str, str]], session: str
    ) -> Answer:
        """The same checks as `check`, on the form as it is now, as JSON for the page's script.
        Nothing is written."""
        try:
            posted = form.parse_form(pairs)
        except form.FormError as error:
            return _bad_request(str(error))
        data = dict(posted.data)
        path = self.file_of(reference) if reference else None
        problems: list[Any] = []
        if path is not None and reference is not None:
            text = _updated(path.read_bytes(), data)
            problems += _reference_problems(reference, data)
        else:
            ref = str(data.get("reference") or "new")
            if not re.fullmatch(REFERENCE_PATTERN, ref):
                ref = "new"
            path = self.project.leaflets / f"{ref.lower()}.yaml"
            text = _new_text(data)
        _, found = load_file(self.project, path, given=text.encode("utf-8"))
        answer = form.check_answer([*problems, *found], form.readability_of(data))
        return Answer(200, "application/json", json.dumps(answer).encode())

    # --- helpers -------------------------------------------------------------------------------

    def file_of(self, reference: str) -> Path | None:
        """The leaflet file of a reference: named after it, directly inside leaflets/ (never a
        path a request could steer elsewhere)."""
        if not re.fullmatch(REFERENCE_PATTERN, reference):
            return None
        folder = self.project.leaflets.resolve()
        for suffix in (".yaml", ".yml"):
            path = folder / f"{reference.lower()}{suffix}"
            if path.is_file() and path.resolve().parent == folder:
                return path
        return None

    def _act(
        self,
        reference: str | None,
        data: dict[str, Any],
        posted: form.ParsedForm,
        pairs: Sequence[tuple[str, str]],
        session: str,
        kept: _Kept,
    ) -> Answer:
        """A button that changes the form, not the file (add a section, insert a picture)."""
        try:
            data = form.apply_action(data, posted.action, pairs, images=self._images())
        except form.ActionProblem as problem:
            return self._form(
                reference, data, [problem], session, base=posted.base_sha256, kept=kept
            )
        return self._form(reference, data, [], session, base=posted.base_sha256, kept=kept)

    def _images(self) -> list[str]:
        folder = self.project.leaflets / "images"
        return sorted(
            f"images/{p.name}"
            for p in folder.glob("*")
            if p.is_file() and p.suffix.lower() in (".png", ".jpg", ".jpeg", ".svg")
        )

    def _published_version(self, reference: str, data: Mapping[str, Any]) -> int | None:
        """The file's version, if it is in the register (then its text never changes)."""
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            return None
        language = str(data.get("language") or "en-GB")
        register = build.register_of(self.project)
        row = register.find(reference, version, ARCHIVAL, language)
        return version if row is not None else None

    def _version_problems(
        self, data: Mapping[str, Any], published: int | None, text: str, current: bytes
    ) -> list[form.FieldMessage]:
        if published is None or text.encode("utf-8") == current:
            return []
        if data.get("version") != published:
            return []
        return [
            form.Message(
                "version",
                f"version {published} is published, and a published version never changes: "
                f"choose to raise the version to {published + 1} and say what changed",
            )
        ]

    def _form(
        self,
        reference: str | None,
        data: Mapping[str, Any],
        problems: Sequence[Any],
        session: str,
        *,
        base: str,
        notice: str | None = None,
        conflict: tuple[str, str] | None = None,
        refused: bool = False,
        kept: _Kept | None = None,
    ) -> Answer:
        published = None
        if reference is not None:
            published = self._published_version(reference, _plain_file(self, reference))
        context = form.FormContext(
            data=data,
            action=f"{EDIT_PREFIX}{reference}" if reference else NEW_PATH,
            check_url=f"{CHECK_PREFIX}{reference}" if reference else f"{CHECK_PREFIX}new",
            csrf_token=self.token(session),
            base_sha256=base,
            reference=reference,
            preview_url=f"/drafts/{reference}.html" if reference else None,
            catalogue_url="/index.html",
            problems=list(problems),
            readability=form.readability_of(data),
            min_reading_ease=self.project.site.min_reading_ease,
            images=self._images(),
            conflict=conflict,
            published_version=published,
            raise_version=kept.raise_version if kept else False,
            new_change_summary=kept.new_change_summary if kept else "",
            pictures=kept.pictures if kept else {},
            notice=notice,
            font_css_url=f"{STATIC_PREFIX}{FONTS}",
        )
        status = 409 if conflict else 422 if refused else 200
        return Answer(status, "text/html; charset=utf-8", form.render_form(context).encode())


@dataclass(frozen=True)
class _Kept:
    """What the user typed beyond the leaflet's data, given back when the form is shown again."""

    raise_version: bool
    new_change_summary: str
    pictures: Mapping[str, Any]

    @classmethod
    def of(cls, posted: form.ParsedForm) -> _Kept:
        return cls(posted.raise_version, posted.new_change_summary, posted.pictures)


def _plain_file(editor: Editor, reference: str | None) -> dict[str, Any]:
    path = editor.file_of(reference) if reference else None
    return _plain(path.read_bytes()) if path is not None else {}


def _reference_problems(reference: str, data: Mapping[str, Any]) -> list[form.FieldMessage]:
    """An edit may not change the reference: that would be another leaflet."""
    if str(data.get("reference") or "") == reference:
        return []
    return [
        form.Message(
            "reference",
            f"is {reference} and cannot change here: a new reference is a new leaflet "
            "(use New leaflet)",
        )
    ]


def _saved(reference: str) -> Answer:
    """After a save, the form again (POST, redirect, GET), saying it was saved."""
    location = f"{EDIT_PREFIX}{reference}?saved=1"
    return Answer(303, "text/plain; charset=utf-8", b"", (("Location", location),))


def _bad_request(message: str) -> Answer:
    return Answer(400, "text/plain; charset=utf-8", f"{message}\n".encode())


_ORDER = list(Leaflet.model_fields)


def _plain(data: bytes) -> dict[str, Any]:
    """A leaflet file as plain data for the form (dates as dates); {} if it is not YAML."""
    try:
        loaded = yaml.safe_load(data)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _updated(current: bytes, data: Mapping[str, Any]) -> str:
    text = current.decode("utf-8")
    return yamledit.update_yaml(text, data, order=_ORDER)


def _new_text(data: Mapping[str, Any]) -> str:
    """A new leaflet file, written as a saved edit of an empty one: the same style (blocks for
    text, dates as dates, the model's order) as every later save."""
    start = f"reference: {json.dumps(str(data.get('reference') or 'NEW'))}\n"
    return yamledit.update_yaml(start, data, order=_ORDER)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _not_found(message: str) -> Answer:
    message = html.escape(message)
    body = (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>Not found</title>"
        f"</head><body><h1>Not found</h1><p>{message}</p>"
        "<p><a href='/index.html'>See every leaflet</a></p></body></html>"
    )
    return Answer(404, "text/html; charset=utf-8", body.encode())
