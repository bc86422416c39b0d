"""The editor in the preview, used as its users use it: in Chromium, through the real server.

Open a leaflet's form, change a section, save, and see the preview and its PDF change; an
impossible date refused beside its field; a file changed on disk meanwhile; a new leaflet that
passes check; a save of a published version only with its version raised; the minimal diff;
CSRF and Origin refusals; axe on the live form.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from build_leaflets.cli import cli
from tests import test_browser, test_serve
from tests.conftest import ROOT, SAMPLES
from tests.test_browser import WAIT_MS, _axe, _serious
from tests.test_serve import Preview

# The fixtures of the browser and preview tests, shared.
browser = test_browser.browser
start_preview = test_serve.start_preview

expect = pytest.importorskip("playwright.sync_api").expect

SOURCE = next(p for p in SAMPLES if p.name == "psy-0104.yaml")
RISKS_LINE = "Therapy is not right for everyone, or at every time in your life."
ADDED = " If you are unsure, talk to your therapist first."


def _open_form(browser, preview: Preview, path: str, *, bypass_csp: bool = False):
    """The form in a fresh browser context (a session of its own); script errors fail."""
    context = browser.new_context(bypass_csp=bypass_csp)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(preview.url + path.lstrip("/"))
    assert not errors, errors
    return page


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_change_a_section_save_and_see_the_preview_and_pdf_update(browser, start_preview):
    preview = start_preview(SOURCE)
    _git(preview.root, "init", "-q")
    _git(preview.root, "add", "leaflets")
    _git(preview.root, "commit", "-q", "-m", "start")
    builds = preview.builds()
    page = _open_form(browser, preview, "/edit/PSY-0104")
    try:
        body = page.locator('textarea[name="risks.body"]')
        expect(body).to_have_value(re.compile(re.escape(RISKS_LINE)), timeout=WAIT_MS)
        text = body.input_value()
        body.fill(text.replace(RISKS_LINE, RISKS_LINE + ADDED))
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Saved.")).to_be_visible(timeout=WAIT_MS)
    finally:
        page.context.close()
    # Only that section's lines changed in the file, as git sees it.
    diff = _git(preview.root, "diff", "--unified=0", "leaflets/psy-0104.yaml")
    changed = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [f"-    {RISKS_LINE}", f"+    {RISKS_LINE}{ADDED}"], diff
    # The watcher rebuilt the page and the PDF.
    preview.wait_for("the rebuilt page", lambda: preview.builds() > builds)
    preview.wait_for(
        "the edit on the page", lambda: ADDED.strip() in preview.page("/drafts/PSY-0104.html")
    )
    pdf = preview.root / "output" / "preview" / "drafts" / "PSY-0104-v1-draft.pdf"
    preview.wait_for("the edit in the PDF", lambda: ADDED.strip() in _pdf_text(pdf))


def test_an_impossible_date_is_shown_beside_its_field_and_save_is_refused(browser, start_preview):
    preview = start_preview(SOURCE)
    before = (preview.root / "leaflets" / "psy-0104.yaml").read_bytes()
    page = _open_form(browser, preview, "/edit/PSY-0104")
    try:
        page.locator('input[name="archive_date"]').fill("2020-01-01")
        page.get_by_role("button", name="Save", exact=True).click()
        message = "must be after last_updated (2026-10-01)"
        summary = page.get_by_role("alert").filter(has_text="There is a problem")
        expect(summary).to_contain_text(message, timeout=WAIT_MS)
        field = page.locator('input[name="archive_date"]')
        described = (field.get_attribute("aria-describedby") or "").split()
        shown = " ".join(page.locator(f"#{name}").inner_text() for name in described)
        assert message in shown
        # The same wording as `check` gives for the file.
        assert field.input_value() == "2020-01-01"  # the user's input is kept
    finally:
        page.context.close()
    assert (preview.root / "leaflets" / "psy-0104.yaml").read_bytes() == before


def test_a_file_changed_on_disk_since_the_form_opened_is_not_overwritten(browser, start_preview):
    preview = start_preview(SOURCE)
    path = preview.root / "leaflets" / "psy-0104.yaml"
    page = _open_form(browser, preview, "/edit/PSY-0104")
    try:
        expect(page.locator('input[name="title"]')).to_be_visible(timeout=WAIT_MS)
        theirs = path.read_text(encoding="utf-8").replace(
            "title: Your relationship with your therapist", "title: Working with your therapist"
        )
        path.write_text(theirs, encoding="utf-8")  # another editor, or a git pull
        body = page.locator('textarea[name="risks.body"]')
        body.fill(body.input_value().replace(RISKS_LINE, RISKS_LINE + ADDED))
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Working with your therapist").first).to_be_visible(timeout=WAIT_MS)
        content = page.content()
        assert ADDED.strip() in content  # both versions are shown, and the edits kept
        assert "Working with your therapist" in content
    finally:
        page.context.close()
    assert path.read_text(encoding="utf-8") == theirs


def test_a_new_leaflet_from_the_form_passes_check(browser, start_preview, runner):
    preview = start_preview(SOURCE)
    page = _open_form(browser, preview, "/new")
    try:
        page.locator('input[name="reference"]').fill("PSY-0199")
        page.locator('input[name="title"]').fill("Coming to the clinic")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Saved.")).to_be_visible(timeout=WAIT_MS)
        assert page.url.endswith("/edit/PSY-0199?saved=1")
    finally:
        page.context.close()
    made = preview.root / "leaflets" / "psy-0199.yaml"
    assert yaml.safe_load(made.read_text(encoding="utf-8"))["title"] == "Coming to the clinic"
    checked = runner.invoke(cli, ["check", str(made)])
    assert checked.exit_code == 0, checked.output


def test_a_published_version_is_saved_only_with_its_version_raised(browser, start_preview):
    preview = start_preview(SOURCE)
    (preview.root / "leaflets" / "register.csv").write_bytes(
        (ROOT / "leaflets" / "register.csv").read_bytes()
    )
    path = preview.root / "leaflets" / "psy-0104.yaml"
    before = path.read_bytes()
    page = _open_form(browser, preview, "/edit/PSY-0104")
    try:
        body = page.locator('textarea[name="risks.body"]')
        body.fill(body.input_value().replace(RISKS_LINE, RISKS_LINE + ADDED))
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text(
            "version 1 is published", timeout=WAIT_MS
        )
        assert path.read_bytes() == before
        page.locator('input[name="raise_version"]').check()
        page.locator('[name="new_change.summary"]').fill("Added advice for people unsure.")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Saved.")).to_be_visible(timeout=WAIT_MS)
    finally:
        page.context.close()
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert saved["version"] == 2
    newest = saved["changes"][0]  # the version history lists the newest first
    assert (newest["version"], newest["summary"]) == (2, "Added advice for people unsure.")
    assert saved["last_updated"] == dt.date.today()


def _post(preview: Preview, path: str, fields: dict[str, str], headers: dict[str, str]):
    import http.client  # noqa: PLC0415

    address = urllib.parse.urlsplit(preview.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        body = urllib.parse.urlencode(fields)
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def test_posts_need_the_session_token_and_the_preview_origin(start_preview):
    preview = start_preview(SOURCE)
    path = preview.root / "leaflets" / "psy-0104.yaml"
    before = path.read_bytes()
    origin = preview.url.rstrip("/")
    # A session: the form's page sets the cookie and carries the token.
    import http.client  # noqa: PLC0415

    address = urllib.parse.urlsplit(preview.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", "/edit/PSY-0104")
    answer = connection.getresponse()
    cookie = answer.headers["Set-Cookie"].split(";")[0]
    page = answer.read().decode()
    connection.close()
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert token, "the form carries its token"
    fields = {"csrf_token": token[1], "title": "Hijacked", "action": "save"}
    refusals = [
        ({"Cookie": cookie}, "no Origin"),
        ({"Cookie": cookie, "Origin": "http://evil.example"}, "another origin"),
        ({"Origin": origin}, "no session cookie"),
        ({"Cookie": cookie.replace(cookie[-5:], "AAAAA"), "Origin": origin}, "another session"),
    ]
    for headers, why in refusals:
        status, text = _post(preview, "/edit/PSY-0104", fields, headers)
        assert status == 403, why
        assert "Hijacked" not in text
    no_token = {k: v for k, v in fields.items() if k != "csrf_token"}
    status, _ = _post(preview, "/edit/PSY-0104", no_token, {"Cookie": cookie, "Origin": origin})
    assert status == 403
    assert path.read_bytes() == before
    # With both, the check endpoint answers (nothing is saved by a check).
    status, text = _post(
        preview, "/check/PSY-0104", {"csrf_token": token[1]}, {"Cookie": cookie, "Origin": origin}
    )
    assert status == 200 and '"problems"' in text
    assert path.read_bytes() == before


def test_only_leaflet_files_can_be_reached(start_preview):
    preview = start_preview(SOURCE)
    for path in ("/edit/..%2Fpyproject", "/edit/PSY-0104%2F..%2F..%2Fx", "/edit/nope"):
        status, _ = preview.get(path)
        assert status == 404, path


def test_every_preview_page_has_an_edit_link(start_preview):
    preview = start_preview(SOURCE)
    page = preview.page("/drafts/PSY-0104.html")
    assert '<a href="/edit/PSY-0104">Edit this leaflet</a>' in page
    assert '<a href="/new">New leaflet</a>' in preview.page("/index.html")


def test_the_live_forms_have_no_accessibility_violations(browser, start_preview):
    """axe-core finds nothing at all (not only nothing serious) on the forms, also with
    messages shown. (Its script is added to the page, so the page's own CSP is bypassed.)"""
    preview = start_preview(SOURCE)
    for path in ("/edit/PSY-0104", "/new"):
        page = _open_form(browser, preview, path, bypass_csp=True)
        try:
            expect(page.locator('input[name="title"]')).to_be_visible(timeout=WAIT_MS)
            if path == "/new":
                page.get_by_role("button", name="Save", exact=True).click()  # no reference
                expect(page.get_by_role("alert").first).to_be_visible(timeout=WAIT_MS)
            violations = _axe(page)
            assert not violations, _serious(path, [v | {"impact": "serious"} for v in violations])
        finally:
            page.context.close()


def test_an_impossible_calendar_date_typed_without_a_date_picker_is_refused(browser, start_preview):
    """A browser without a date picker sends what was typed: 30 February is refused with
    check's own words, beside the field, and nothing is written."""
    preview = start_preview(SOURCE)
    path = preview.root / "leaflets" / "psy-0104.yaml"
    before = path.read_bytes()
    page = _open_form(browser, preview, "/edit/PSY-0104")
    try:
        field = page.locator('input[name="last_updated"]')
        field.evaluate("input => { input.type = 'text'; }")  # as a browser without a picker
        field.fill("2026-02-30")
        page.get_by_role("button", name="Save", exact=True).click()
        message = "is not a real date (found '2026-02-30'); check the day and month"
        summary = page.get_by_role("alert").filter(has_text="There is a problem")
        expect(summary).to_contain_text(message, timeout=WAIT_MS)
        field = page.locator('input[name="last_updated"]')
        described = (field.get_attribute("aria-describedby") or "").split()
        assert message in " ".join(page.locator(f"#{name}").inner_text() for name in described)
    finally:
        page.context.close()
    assert path.read_bytes() == before


def test_the_form_is_saved_by_keyboard_alone(browser, start_preview):
    preview = start_preview(SOURCE)
    page = _open_form(browser, preview, "/edit/PSY-0104")
    try:
        title = page.locator('input[name="title"]')
        title.focus()
        page.keyboard.press("End")
        page.keyboard.type(" and you")
        for _ in range(400):  # Tab on until the visible Save button has the focus
            page.keyboard.press("Tab")
            if page.evaluate(
                "() => document.activeElement.textContent.trim() === 'Save' && "
                "document.activeElement.getAttribute('aria-hidden') !== 'true'"
            ):
                break
        else:
            pytest.fail("Save cannot be reached with Tab")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Saved.")).to_be_visible(timeout=WAIT_MS)
    finally:
        page.context.close()
    saved = yaml.safe_load((preview.root / "leaflets" / "psy-0104.yaml").read_text("utf-8"))
    assert saved["title"] == "Your relationship with your therapist and you"
