"""The web pages in a real browser and against the HTML standard.

Headless Chromium (Debian's, driven by Playwright) opens the catalogue and every leaflet page
over http://127.0.0.1: axe-core must find no serious or critical accessibility violation, the
catalogue's state filter must work with and without JavaScript, its search box must appear only
with JavaScript and work, and full-page screenshots are kept in the test's folder (and written to
docs/ when UPDATE_SCREENSHOTS=1). The Nu Html Checker (vnu) must find no error in any page.

The tools come from the set-up: Chromium at /usr/bin/chromium, the Python package playwright
(never its own browser download), Java, and `npm ci` for node_modules/axe-core and
node_modules/vnu-jar. Where one is missing the tests are skipped with the reason, except when
CI=true: then they fail, so a broken CI set-up is noticed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from build_leaflets.build import build
from build_leaflets.config import load_project
from tests.conftest import ROOT

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # the `browser` fixture skips (or, in CI, fails) with the reason
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
VIEWPORT = {"width": 1024, "height": 768}
WAIT_MS = 10_000  # the longest any browser step may wait
SCREENSHOT_LEAFLET = "PSY-0102"  # the page pictured in the README


def _missing(what: str) -> None:
    """Skip for want of a tool, or fail under CI, where the set-up must have installed it."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the CI set-up must install it)", pytrace=False)
    pytest.skip(what)


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for this module."""
    if sync_playwright is None:
        _missing("the Python package playwright is not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        # Playwright gives the browser a new empty profile (--user-data-dir) of its own.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def _serving(folder: Path) -> Iterator[str]:
    """`folder` served over http on a free port of 127.0.0.1."""

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(built: Path) -> Iterator[str]:
    """The built output folder served over http on a free port of 127.0.0.1."""
    with _serving(built) as url:
        yield url


#: The self-contained pages `single_file` keeps: the English page and the Urdu draft.
SINGLE_FILE_PAGES = ("PSY-0101.html", "drafts/PSY-0101.ur.html")


@pytest.fixture(scope="module")
def single_file(samples_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PSY-0101's pages built with --single-file (from a copy of the built samples), each
    copied alone into a folder of its own: a page as an email attachment has nothing beside
    it."""
    root = tmp_path_factory.mktemp("single") / "project"
    shutil.copytree(samples_project, root)
    result = build(load_project(root), ["PSY-0101"], single_file=True)
    assert result.ok, result.failures
    alone = tmp_path_factory.mktemp("alone")
    for name in SINGLE_FILE_PAGES:
        shutil.copyfile(root / "output" / name, alone / Path(name).name)
    return alone


def _leaflet_pages(built: Path) -> list[Path]:
    """The published leaflet pages: <REF>.html directly in the output folder."""
    pages = sorted(
        p for p in built.glob("*.html") if p.name not in ("index.html", "governance.html")
    )
    assert pages, f"no leaflet pages in {built}"
    return pages


def _open(browser: Browser, url: str, *, javascript: bool = True) -> Page:
    """A page in a new context, loaded, that fails the test on a script error or a failed
    request (the pages are self-contained: nothing they load may be missing)."""
    context = browser.new_context(java_script_enabled=javascript, viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    try:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        assert not problems, f"{url}: " + "; ".join(problems)
    except BaseException:
        context.close()
        raise
    return page


# ---- fonts and shared files ---------------------------------------------------------------------


def _loaded_fonts(page: Page) -> set[str]:
    """The font faces the page has loaded, as "family weight style"."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    return set(
        page.evaluate(
            "() => [...document.fonts].filter(f => f.status === 'loaded')"
            ".map(f => `${f.family.replace(/\"/g, '')} ${f.weight} ${f.style}`)"
        )
    )


def test_pages_load_their_stylesheet_and_fonts_from_assets(browser, site: str) -> None:
    """The fonts a page draws with come from assets/ (no other font is used), and its
    stylesheet applies: the masthead has leaflet.css's colours."""
    for name, family in (
        ("PSY-0102.html", "Atkinson Hyperlegible"),
        ("drafts/PSY-0101.ur.html", "Noto Sans Arabic"),
        ("drafts/PSY-0101.cy.html", "Noto Sans"),
    ):
        page = _open(browser, f"{site}/{name}")
        try:
            loaded = _loaded_fonts(page)
            assert {f"{family} normal normal", f"{family} 100 900 normal"} & loaded, (name, loaded)
            fetched = page.evaluate(
                "() => performance.getEntriesByType('resource').map(e => e.name)"
            )
            woff2 = [url for url in fetched if url.endswith(".woff2")]
            assert woff2 and all("/assets/" in url for url in woff2), fetched
            assert any(re.search(r"/assets/leaflet\.[0-9a-f]{16}\.css$", u) for u in fetched)
            assert page.evaluate("() => document.styleSheets.length") >= 2
            colour = page.evaluate(
                "() => getComputedStyle(document.querySelector('main h1')).color"
            )
            assert colour != "rgb(0, 0, 0)", "leaflet.css did not apply"
        finally:
            page.context.close()


def test_a_single_file_page_needs_nothing_beside_it(browser, single_file: Path) -> None:
    """A --single-file page alone in a folder: nothing but the page itself is fetched (its
    stylesheet, fonts and pictures are data: URLs), it draws with its own fonts, shows its
    pictures, and axe finds nothing serious."""
    with _serving(single_file) as url:
        for name in (Path(n).name for n in SINGLE_FILE_PAGES):
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(WAIT_MS)
            page = context.new_page()
            asked: list[str] = []
            page.on("request", lambda request, asked=asked: asked.append(request.url))
            try:
                response = page.goto(f"{url}/{name}", wait_until="load")
                assert response is not None and response.ok
                loaded = _loaded_fonts(page)
                assert "Atkinson Hyperlegible normal normal" in loaded, loaded
                if ".ur." in name:
                    assert "Noto Sans Arabic normal normal" in loaded, loaded
                assert page.evaluate("() => document.fonts.check('16px \"Atkinson Hyperlegible\"')")
                fetched = [u for u in asked if not u.startswith("data:")]
                assert fetched == [f"{url}/{name}"], asked
                pictures = page.evaluate(
                    "() => [...document.images].map(i => [i.complete, i.naturalWidth])"
                )
                assert len(pictures) >= 3 and all(ok and width > 0 for ok, width in pictures)
                assert not _serious(name, _axe(page))
            finally:
                context.close()


# ---- axe-core ---------------------------------------------------------------------------------


def _axe(page: Page) -> list[dict]:
    """axe-core's violations in the page as it is now."""
    if not AXE.is_file():
        _missing(f"axe-core is not installed ({AXE.relative_to(ROOT)}): run npm ci")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return result["violations"]


def _serious(where: str, violations: list[dict]) -> list[str]:
    """One line per serious or critical violation: rule, help text and the elements."""
    return [
        f"{where}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_serious_violations(browser) -> None:
    """The check itself can fail: a page with an image without a text alternative and no
    language is reported."""
    page = browser.new_page()
    try:
        page.set_content(
            "<!DOCTYPE html><html><head><title>Bad</title></head><body><main>"
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="no-alt"></main></body>'
            "</html>"
        )
        found = _serious("bad", _axe(page))
    finally:
        page.close()
    rules = {line.split(": ")[1].split(" ")[0] for line in found}
    assert {"image-alt", "html-has-lang"} <= rules, found
    assert any("#no-alt" in line for line in found), found


def test_pages_have_no_serious_accessibility_violations(browser, site: str, built: Path) -> None:
    names = ["index.html"] + [p.name for p in _leaflet_pages(built)]
    names += [f"drafts/{p.name}" for p in sorted(built.glob("drafts/*.html"))]  # translations
    found: list[str] = []
    for name in names:
        page = _open(browser, f"{site}/{name}")
        try:
            found += _serious(name, _axe(page))
        finally:
            page.context.close()
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)


# ---- the catalogue's filter and search --------------------------------------------------------


def _states(page: Page) -> dict[str, tuple[str, int]]:
    """Each filter choice's name ("All", "Current", ...) -> (radio id, count in its label)."""
    states: dict[str, tuple[str, int]] = {}
    for label in page.locator(".filters fieldset").first.locator("label").all():
        match = re.fullmatch(r"(.+) \((\d+)\)", label.inner_text().strip())
        assert match, f"filter label without a count: {label.inner_text()!r}"
        states[match[1]] = (label.get_attribute("for") or "", int(match[2]))
    return states


def _choose(page: Page, name: str, radio: str) -> None:
    """Click the label, as a reader would; the radio button must follow."""
    page.locator(f'.filters label[for="{radio}"]').click()
    expect(page.locator(f"#{radio}")).to_be_checked(timeout=WAIT_MS)


def _visible_rows(page: Page):
    return page.locator("tbody tr").filter(visible=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_catalogue_state_filter(browser, site: str, built: Path, javascript: bool) -> None:
    page = _open(browser, f"{site}/index.html", javascript=javascript)
    try:
        rows = page.locator("tbody tr")
        total = rows.count()
        pages = [*_leaflet_pages(built), *built.glob("drafts/*.html")]
        assert total == len(pages), "one row per leaflet page"
        expect(_visible_rows(page)).to_have_count(total, timeout=WAIT_MS)
        states = _states(page)
        assert states["All"] == ("show-all", total)
        # the samples are all current on the build day; their translations are drafts
        current = len(_leaflet_pages(built))
        assert states["Current"][1] == current, states
        assert states["Draft"][1] == total - current, states
        empty = [name for name, (_radio, count) in states.items() if count == 0]
        assert "Expired" in empty, states

        for name, (radio, count) in states.items():
            _choose(page, name, radio)
            visible = _visible_rows(page)
            expect(visible).to_have_count(count, timeout=WAIT_MS)
            if name != "All":
                for row in visible.all():
                    classes = (row.get_attribute("class") or "").split()
                    assert radio.replace("show-", "state-") in classes, name
                    assert row.locator(".state").inner_text() == name

        # a state with no leaflet hides every row, and All shows them all again
        _choose(page, "Expired", states["Expired"][0])
        expect(_visible_rows(page)).to_have_count(0, timeout=WAIT_MS)
        _choose(page, "All", "show-all")
        expect(_visible_rows(page)).to_have_count(total, timeout=WAIT_MS)
        _choose(page, "Current", states["Current"][0])
        expect(_visible_rows(page)).to_have_count(current, timeout=WAIT_MS)
    finally:
        page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_catalogue_language_filter(browser, site: str, javascript: bool) -> None:
    """Each language shows only its leaflets, together with the state filter; works without
    scripts (radio buttons and CSS)."""
    page = _open(browser, f"{site}/index.html", javascript=javascript)
    try:
        total = page.locator("tbody tr").count()
        languages = page.locator(".filters fieldset").nth(1)
        expect(languages.locator("legend")).to_have_text("Language")
        _choose(page, "Urdu", "language-ur")
        visible = _visible_rows(page)
        expect(visible).to_have_count(1, timeout=WAIT_MS)
        assert "language-ur" in (visible.first.get_attribute("class") or "").split()
        expect(visible.first.locator("td").first).to_have_attribute("dir", "rtl")
        _choose(page, "Welsh", "language-cy")
        expect(_visible_rows(page)).to_have_count(1, timeout=WAIT_MS)
        _choose(page, "Current", "show-current")  # the Welsh sample is a draft
        expect(_visible_rows(page)).to_have_count(0, timeout=WAIT_MS)
        _choose(page, "All", "show-all")
        _choose(page, "All languages", "language-all")
        expect(_visible_rows(page)).to_have_count(total, timeout=WAIT_MS)
    finally:
        page.context.close()


def test_catalogue_search_is_hidden_without_javascript(browser, site: str) -> None:
    page = _open(browser, f"{site}/index.html", javascript=False)
    try:
        assert page.locator(".search").count() == 1
        expect(page.locator(".search")).to_be_hidden(timeout=WAIT_MS)
        expect(page.locator("#search")).to_be_hidden(timeout=WAIT_MS)
        expect(page.locator(".no-match")).to_be_hidden(timeout=WAIT_MS)
        expect(_visible_rows(page)).to_have_count(page.locator("tbody tr").count())
    finally:
        page.context.close()


def test_catalogue_search_with_javascript(browser, site: str) -> None:
    page = _open(browser, f"{site}/index.html")
    try:
        box = page.get_by_label("Search by title or reference")
        expect(box).to_be_visible(timeout=WAIT_MS)
        rows = page.locator("tbody tr")
        titles = [row.locator("td").nth(0).inner_text() for row in rows.all()]
        references = [row.locator("td").nth(1).inner_text() for row in rows.all()]
        total = len(titles)
        assert total >= 2, "the search needs at least two leaflets to tell apart"

        def shown() -> list[str]:
            return [row.locator("td").nth(0).inner_text() for row in _visible_rows(page).all()]

        # part of a title that some leaflets have and others do not, typed in capitals
        words = {w for title in titles for w in re.findall(r"[a-z]{4,}", title.lower())}
        word = next(
            w
            for w in sorted(words)
            if 0 < sum(w in t.lower() for t in titles) < total
            and not any(w in r.lower() for r in references)
        )
        part = word[1:]
        expected = [t for t in titles if part in t.lower()]
        box.fill(part.upper())
        expect(_visible_rows(page)).to_have_count(len(expected), timeout=WAIT_MS)
        assert shown() == expected
        expect(page.locator(".no-match")).to_be_hidden()

        # a reference finds its one leaflet
        box.fill(references[-1])
        expect(_visible_rows(page)).to_have_count(1, timeout=WAIT_MS)
        assert shown() == [titles[-1]]

        # nonsense: no row, and the message says so
        box.fill("qqxz no such leaflet")
        expect(_visible_rows(page)).to_have_count(0, timeout=WAIT_MS)
        expect(page.locator(".no-match")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator(".no-match")).to_contain_text("No leaflet matches")

        # cleared: everything again
        box.fill("")
        expect(_visible_rows(page)).to_have_count(total, timeout=WAIT_MS)
        expect(page.locator(".no-match")).to_be_hidden()
    finally:
        page.context.close()


def test_catalogue_visually_hidden_text_is_hidden(browser, site: str) -> None:
    """The links "PDF of <title>" read well to screen readers and stay short on screen: the
    extra words are in the accessibility tree but take no room on the page."""
    page = _open(browser, f"{site}/index.html")
    try:
        hidden = page.locator(".catalogue-table .visually-hidden")
        assert hidden.count() > 0
        for span in hidden.all():
            box = span.bounding_box()
            assert box is not None and box["width"] <= 1 and box["height"] <= 1, (
                f"{span.inner_text()!r} takes {box}"
            )
        expect(page.get_by_role("link", name=re.compile(r"^PDF of "))).not_to_have_count(0)
    finally:
        page.context.close()


# ---- screenshots ------------------------------------------------------------------------------


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshots(browser, site: str, built: Path, tmp_path: Path) -> None:
    """Full-page pictures of the catalogue and a leaflet, kept in the test's folder for a look
    when something fails; UPDATE_SCREENSHOTS=1 also writes them to docs/ for the README."""
    leaflet = f"{SCREENSHOT_LEAFLET}.html"
    if not (built / leaflet).is_file():
        leaflet = _leaflet_pages(built)[0].name
    shots = {"catalogue-web.png": "index.html", "leaflet-web.png": leaflet}
    for picture, name in shots.items():
        page = _open(browser, f"{site}/{name}")
        try:
            page.evaluate("() => document.fonts.ready.then(() => true)")
            height = page.evaluate("() => document.documentElement.scrollHeight")
            path = tmp_path / picture
            page.screenshot(path=str(path), full_page=True, timeout=WAIT_MS)
        finally:
            page.context.close()
        assert path.stat().st_size > 10_000, f"{path}: only {path.stat().st_size} bytes"
        assert _png_size(path) == (VIEWPORT["width"], max(height, VIEWPORT["height"])), path
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(path, ROOT / "docs" / picture)


# ---- the Nu Html Checker ----------------------------------------------------------------------


def _vnu(files: list[Path]) -> list[dict]:
    """vnu's errors (and documents it could not read) for the files."""
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
    messages = [m for m in report["messages"] if m["type"] in ("error", "non-document-error")]
    assert (result.returncode == 0) == (not messages), result.stderr[-2000:]
    return messages


def _describe(messages: list[dict]) -> str:
    return "\n".join(
        f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}:{m.get('firstColumn', '?')}: "
        f"{m['message']}"
        for m in messages
    )


def test_vnu_reports_errors(tmp_path: Path) -> None:
    """The check itself can fail: a broken page gives errors with their lines."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html>\n<html lang="en">\n<head><title>Bad</title></head>\n<body>\n'
        '<p><div>a</p>\n<img src="a.png">\n</body>\n</html>\n',
        encoding="utf-8",
    )
    messages = _vnu([bad])
    found = {(m["lastLine"], m["message"]) for m in messages}
    assert any(line == 5 and "“p”" in text for line, text in found), _describe(messages)
    assert any(line == 6 and "“alt”" in text for line, text in found), _describe(messages)


def test_html_is_valid(built: Path, single_file: Path) -> None:
    files = [built / "index.html", built / "governance.html", *_leaflet_pages(built)]
    files += [*sorted(built.glob("drafts/*.html")), *sorted(single_file.glob("*.html"))]
    messages = _vnu(files)
    assert not messages, "the Nu Html Checker found errors:\n" + _describe(messages)
