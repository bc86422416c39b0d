"""Web pages and their shared assets: files named by their checksum, every link leading to one,
light pages, a self-contained page on request (--single-file), and rebuilds that rewrite
nothing unchanged. Pages are read back from the output folder as a browser would fetch them."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from build_leaflets import fonts
from build_leaflets.build import build
from build_leaflets.cli import cli
from build_leaflets.config import load_project

PAGE_LIMIT = 60_000  # bytes of a page itself, without what it links to
NAME = re.compile(r"([a-z0-9]+(?:-[a-z0-9]+)*)\.([0-9a-f]{16})\.(css|woff2|jpg|png|svg)")


class _Resources(HTMLParser):
    """What a page loads: stylesheets, pictures, scripts and CSS url()s (not its links)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))
        if tag in ("img", "script", "source") and found.get("src"):
            self.urls.append(str(found["src"]))
        self._style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.urls += re.findall(r"""url\(["']?([^"')]+)["']?\)""", data)


def resources(page: Path) -> list[str]:
    parser = _Resources()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.urls


def web_pages(out: Path) -> list[Path]:
    return sorted([*out.glob("*.html"), *out.glob("drafts/*.html")])


def leaflet_pages(out: Path) -> list[Path]:
    return [p for p in web_pages(out) if p.name not in ("index.html", "governance.html")]


@pytest.fixture(scope="module")
def single_file(samples_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built samples, with PSY-0101 (and its translations) built again with
    --single-file."""
    root = tmp_path_factory.mktemp("single") / "project"
    shutil.copytree(samples_project, root)
    result = build(load_project(root), ["PSY-0101"], single_file=True)
    assert result.ok, result.failures
    return root


# ---- names and links ----------------------------------------------------------------------------


def test_asset_names_are_their_checksums(built: Path) -> None:
    files = sorted((built / "assets").iterdir())
    kinds = {NAME.fullmatch(f.name)[3] for f in files if NAME.fullmatch(f.name)}
    assert {"css", "woff2", "jpg", "svg"} <= kinds, kinds
    for file in files:
        found = NAME.fullmatch(file.name)
        assert found, f"{file.name} is not named stem.<16 hex digits>.suffix"
        assert found[2] == hashlib.sha256(file.read_bytes()).hexdigest()[:16], file.name
    assert not [f.name for f in files if f.name.startswith(".")], "a temporary file was left"


def test_every_page_loads_only_assets_that_are_there(built: Path) -> None:
    for page in web_pages(built):
        urls = resources(page)
        assert urls, f"{page.name} loads nothing"
        for url in urls:
            prefix = "../assets/" if page.parent.name == "drafts" else "assets/"
            assert url.startswith(prefix), f"{page.name}: {url[:60]}"
            path = (page.parent / url).resolve()
            assert path.parent == (built / "assets").resolve(), url
            found = NAME.fullmatch(path.name)
            assert found and path.is_file(), f"{page.name}: {url} is missing"
            assert found[2] == hashlib.sha256(path.read_bytes()).hexdigest()[:16], url


def test_pages_share_one_stylesheet_and_one_set_of_latin_fonts(built: Path) -> None:
    sheets = {
        url
        for page in leaflet_pages(built)
        for url in resources(page)
        if url.rsplit("/", 1)[-1].startswith("leaflet.")
    }
    css = (built.parent / "layouts" / "leaflet.css").read_bytes()
    assert {url.rsplit("/", 1)[-1] for url in sheets} == {
        f"leaflet.{hashlib.sha256(css).hexdigest()[:16]}.css"
    }
    atkinson = [
        {u.rsplit("/", 1)[-1] for u in resources(page) if "atkinson-hyperlegible" in u}
        for page in web_pages(built)
    ]
    assert len(atkinson[0]) == 4 and all(faces == atkinson[0] for faces in atkinson)


def test_pages_are_light(built: Path) -> None:
    sizes = {page.name: page.stat().st_size for page in web_pages(built)}
    assert all(size < PAGE_LIMIT for size in sizes.values()), sizes
    for page in web_pages(built):
        text = page.read_text(encoding="utf-8")
        assert "base64," not in text, f"{page.name} inlines a file"


def test_each_script_gets_its_own_fonts_only_where_used(built: Path) -> None:
    def fonts_of(page: str) -> set[str]:
        return {
            NAME.fullmatch(url.rsplit("/", 1)[-1])[1]  # type: ignore[index]
            for url in resources(built / page)
            if url.endswith(".woff2")
        }

    english = fonts_of("PSY-0102.html")
    assert english == {
        "atkinson-hyperlegible-regular",
        "atkinson-hyperlegible-bold",
        "atkinson-hyperlegible-italic",
        "atkinson-hyperlegible-bold-italic",
    }
    urdu = fonts_of("drafts/PSY-0101.ur.html")
    assert {"noto-sans-arabic-regular", "noto-sans-arabic-bold"} <= urdu
    welsh = fonts_of("drafts/PSY-0101.cy.html")
    assert "noto-sans-latin" in welsh and not any("arabic" in name for name in welsh)


# ---- fonts in stable subsets --------------------------------------------------------------------


def test_latin_font_files_do_not_depend_on_the_words() -> None:
    one = fonts.web_faces("A leaflet about sleep. Café, naïve, ŵ.", "cy")
    other = fonts.web_faces("Another leaflet, other words: zebra, quartz, ŷ.", "cy")
    assert [(f.hint, f.data) for f in one] == [(f.hint, f.data) for f in other]


def test_every_character_of_noto_sans_is_in_one_block() -> None:
    fallback = fonts.bundled_fonts()[1]
    blocks = fonts._noto_blocks(fallback)
    seen: set[int] = set()
    for _name, points in blocks:
        assert not seen & points
        seen |= points
    assert seen == set(fonts._family_cmap(fallback))


def test_a_character_beyond_the_latin_block_brings_its_block() -> None:
    english = {face.hint for face in fonts.web_faces("Plain English text.", "en-GB")}
    assert not any(hint.startswith("noto-sans") for hint in english)
    faces = fonts.web_faces("Ask for \u041b\u0435\u043d\u0430 at reception.", "en-GB")
    cyrillic = [face for face in faces if face.hint.endswith("-cyrillic.woff2")]
    assert len(cyrillic) == 2  # upright and italic
    ranges = re.findall(r"U\+([0-9A-F]+)(?:-([0-9A-F]+))?", cyrillic[0].unicode_range)
    el = 0x041B  # CYRILLIC CAPITAL LETTER EL, of the name above
    assert any(int(low, 16) <= el <= int(high or low, 16) for low, high in ranges)


# ---- --single-file ------------------------------------------------------------------------------


def test_single_file_pages_are_self_contained(single_file: Path) -> None:
    out = single_file / "output"
    for page in [out / "PSY-0101.html", *out.glob("drafts/PSY-0101.*.html")]:
        text = page.read_text(encoding="utf-8")
        assert "assets/" not in text, page.name
        assert '<link rel="stylesheet"' not in text
        urls = resources(page)
        assert urls and all(url.startswith("data:") for url in urls), page.name
        kinds = {url.split(";")[0] for url in urls}
        assert {"data:font/woff2", "data:image/jpeg", "data:image/svg+xml"} <= kinds, kinds
        assert "@page" in text and ".masthead" in text  # leaflet.css inlined
    # the other leaflets keep their links
    assert "assets/leaflet." in (out / "PSY-0102.html").read_text(encoding="utf-8")


def test_single_file_then_linked_then_single_file(single_file: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(single_file, root)
    project = load_project(root)
    page = root / "output" / "PSY-0101.html"

    again = build(project, ["PSY-0101"], single_file=True)
    assert again.ok and page.name not in " ".join(w for d in again.done for w in d.written)
    assert "assets/" not in page.read_text(encoding="utf-8")

    linked = build(project, ["PSY-0101"])
    assert linked.ok
    assert "output/PSY-0101.html" in [w for d in linked.done for w in d.written]
    text = page.read_text(encoding="utf-8")
    assert "base64," not in text and '<link rel="stylesheet" href="assets/leaflet.' in text
    assert page.stat().st_size < PAGE_LIMIT


def test_build_single_file_on_the_command_line(
    runner, samples_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helped = runner.invoke(cli, ["build", "--help"])
    assert helped.exit_code == 0
    assert "--single-file" in helped.output
    assert "self-contained" in " ".join(helped.output.split())
    root = tmp_path / "project"
    shutil.copytree(samples_project, root)
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["build", "PSY-0102", "--single-file"])
    assert result.exit_code == 0, result.output
    assert "each one file to send as it is: output/PSY-0102.html" in result.output
    page = (root / "output" / "PSY-0102.html").read_text(encoding="utf-8")
    assert "assets/" not in page and "data:font/woff2;base64," in page


# ---- rebuilds -----------------------------------------------------------------------------------


def _stamps(out: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(out)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in [*web_pages(out), *(out / "assets").iterdir()]
    }


def test_a_rebuild_rewrites_no_page_and_no_asset(samples_project: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(samples_project, root)
    before = _stamps(root / "output")
    result = build(load_project(root))
    assert result.ok and result.rendered == 0
    after = _stamps(root / "output")
    # The catalogue pages are written when their bytes change (the build day); nothing else.
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == [], changed


def test_missing_assets_are_made_again(samples_project: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(samples_project, root)
    out = root / "output"
    names = sorted(p.name for p in (out / "assets").iterdir())
    shutil.rmtree(out / "assets")
    result = build(load_project(root))
    assert result.ok, result.failures
    assert sorted(p.name for p in (out / "assets").iterdir()) == names
    for page in web_pages(out):
        for url in resources(page):
            assert (page.parent / url).is_file(), url


def test_assets_of_pages_made_by_workers_are_written(make_project) -> None:
    """Pages made in worker processes, which write nothing: the build makes their assets
    again and writes them, under the same names."""
    from tests.conftest import SAMPLES  # noqa: PLC0415

    root = make_project(SAMPLES[0])
    result = build(load_project(root), jobs=2)
    assert result.ok, result.failures
    page = root / "output" / "PSY-0101.html"
    for url in resources(page):
        path = page.parent / url
        assert path.is_file(), url
        found = NAME.fullmatch(path.name)
        assert found and found[2] == hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def test_an_asset_deleted_alone_is_noticed_and_only_its_pages_are_made_again(
    samples_project: Path, tmp_path: Path
) -> None:
    """A build with nothing else to do notices one asset file gone (deleted, or lost in a
    copy of the folder): the page that links to it is made again, which writes the file
    back, and nothing else changes (the page is made the same, so it is not rewritten).
    Then a build has nothing to do again."""
    root = tmp_path / "project"
    shutil.copytree(samples_project, root)
    out = root / "output"
    assert build(load_project(root)).ok  # the memo knows what the pages link to
    users: dict[str, list[Path]] = {}
    for page in leaflet_pages(out):
        for url in resources(page):
            users.setdefault(Path(url).name, []).append(page)
    lost = next(name for name, pages in sorted(users.items()) if len(pages) == 1)
    (out / "assets" / lost).unlink()
    before = _stamps(out)

    result = build(load_project(root))

    assert result.ok, result.failures
    assert (out / "assets" / lost).is_file()
    after = _stamps(out)
    assert sorted(name for name in after if after[name] != before.get(name)) == [f"assets/{lost}"]
    again = _stamps(out)
    assert build(load_project(root)).rendered == 0
    assert _stamps(out) == again


def test_pages_are_read_for_their_links_when_the_memo_does_not_know_them(
    samples_project: Path, tmp_path: Path
) -> None:
    """A memo from before it kept the pages' links: the pages are read once, found complete
    and left as they are, and the memo learns their links."""
    root = tmp_path / "project"
    shutil.copytree(samples_project, root)
    out = root / "output"
    memo = out / ".cache" / "checked.json"
    stored = json.loads(memo.read_text())
    stored.pop("assets", None)
    memo.write_text(json.dumps(stored))
    before = _stamps(out)

    assert build(load_project(root)).ok

    after = _stamps(out)
    assert [n for n in after if n.endswith(".html") and after[n] != before.get(n)] == []
    linked = {Path(url).name for page in leaflet_pages(out) for url in resources(page)}
    assert linked <= set(json.loads(memo.read_text())["assets"])
