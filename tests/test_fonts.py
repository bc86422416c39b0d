"""The bundled fonts and the project's own fontconfig (build_leaflets.fonts).

fontconfig is loaded once per FontConfiguration and the environment it reads is process-wide,
so every rendering experiment runs WeasyPrint in a subprocess of its own. The translations'
scripts are tried with the sample paragraphs in tests/data/scripts/; their Debian fonts
(fonts-noto-core, fonts-noto-cjk) must be installed in CI (CI=true), where a missing or
different file fails, and elsewhere skips the tests that need it.
"""

# ruff: noqa: RUF001  (the point of this file is letters that look like others)

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from build_leaflets import fonts

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "data" / "scripts"
#: Sample paragraphs of the translations' languages, by BCP 47 tag (tests/data/scripts/).
SAMPLE_TEXT = {
    path.stem: path.read_text(encoding="utf-8").strip() for path in SCRIPTS.glob("*.txt")
}
IN_CI = os.environ.get("CI") == "true"

WELSH, RUSSIAN, GREEK = "ŵ ŷ Ŵ Ŷ", "Здравствуйте", "Γειά σου"
MIXED = f"English text. Welsh {WELSH}. {RUSSIAN}. {GREEK}. Arrow → bullet • dash – quote ’."
ENGLISH = "English only: “quoted” words, a dash – an ellipsis … and a bullet •."
OLD_STACK = '"Atkinson Hyperlegible", sans-serif'  # leaflet.css before the fallback font

# Renders a few pages with WeasyPrint in this process. argv: MODE OUTDIR.
# MODE: system (the machine's fontconfig), project (use_project_fontconfig first),
# hostile (FONTCONFIG_FILE/PATH/SYSROOT set to an empty config and nonsense, then
# use_project_fontconfig), late (a system FontConfiguration first, then switch).
RENDER = textwrap.dedent(
    """
    import json, logging, os, sys, time
    from pathlib import Path
    from build_leaflets import fonts

    mode, out = sys.argv[1], Path(sys.argv[2])
    docs = json.loads(os.environ["DOCS"])
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    if mode == "hostile":
        os.environ["FONTCONFIG_FILE"] = os.environ["EMPTY_CONF"]
        os.environ["FONTCONFIG_PATH"] = "/nonexistent"
        os.environ["FONTCONFIG_SYSROOT"] = "/nonexistent"
    if mode in ("project", "hostile"):
        fonts.use_project_fontconfig()
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    warnings = []

    class Collect(logging.Handler):
        def emit(self, record):
            warnings.append(record.getMessage())

    logging.getLogger("weasyprint").addHandler(Collect(logging.WARNING))

    def render(prefix):
        start = time.perf_counter()
        config = FontConfiguration()
        timings = {"FontConfiguration": time.perf_counter() - start}
        sheets = {}
        for name, (html, css) in docs.items():
            if css not in sheets:
                sheets[css] = weasyprint.CSS(string=css, font_config=config)
            start = time.perf_counter()
            pdf = weasyprint.HTML(string=html).write_pdf(
                stylesheets=[sheets[css]], font_config=config
            )
            timings[name] = time.perf_counter() - start
            (out / f"{prefix}{name}.pdf").write_bytes(pdf)
        return timings

    timings = {}
    if mode == "late":
        timings["before"] = render("before-")
        fonts.use_project_fontconfig()
    timings["main"] = render("")
    (out / "log.json").write_text(json.dumps({"warnings": warnings, "timings": timings}))
    """
)


def _page(text: str, stack: str = fonts.FAMILY_STACK) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Fonts</title>"
        "<meta name=dcterms.created content=2026-01-01>"
        "<meta name=dcterms.modified content=2026-01-01>"
        f"<style>html {{ font-family: {stack}; font-size: 14pt }}</style></head><body>"
        f"<p>{text}</p><p><b>Bold: {text}</b></p><p><i>Italic: {text}</i></p>"
        f"<p><b><i>Bold italic: {text}</i></b></p>"
        "<ul><li>a list item</li><li>another</li></ul></body></html>"
    )


def _old_font_css() -> str:
    """render.font_css() as it was before Noto Sans: Atkinson Hyperlegible only."""
    main = fonts.bundled_fonts()[0]
    return "\n".join(
        f'@font-face {{ font-family: "{main.family}"; font-weight: {face.weight}; '
        f'font-style: {face.style}; src: url("{face.file.as_uri()}"); }}'
        for face in main.faces
    )


DOCS = {
    "mixed": (_page(MIXED), fonts.font_face_css()),
    "mixed-no-generic": (
        _page(MIXED, '"Atkinson Hyperlegible", "Noto Sans"'),
        fonts.font_face_css(),
    ),
    "english": (_page(ENGLISH), fonts.font_face_css()),
    "english-old": (_page(ENGLISH, OLD_STACK), _old_font_css()),
}
MODES = ("system", "project", "hostile", "late")


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each mode's PDFs (and log.json), rendered in parallel subprocesses."""
    base = tmp_path_factory.mktemp("fonts")
    empty = base / "empty.conf"
    empty.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<fontconfig></fontconfig>\n"
    )
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(base / "cache"),  # a cold fontconfig cache of our own
        "DOCS": json.dumps(DOCS),
        "EMPTY_CONF": str(empty),
        "PYTHONPATH": str(ROOT),
    }
    for name in ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT"):
        env.pop(name, None)
    outs = {mode: base / mode for mode in MODES}
    running = []
    for mode, out in outs.items():
        out.mkdir()
        command = [sys.executable, "-c", RENDER, mode, str(out)]
        running.append(subprocess.Popen(command, env=env, cwd=base, stderr=subprocess.PIPE))
    for process in running:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()
    return outs


def _pdffonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name without its subset tag, embedded) for every font pdffonts lists."""
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils) is not installed")
    lines = subprocess.run(
        ["pdffonts", str(pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    return [(line.split()[0].split("+")[-1], line.split()[-5] == "yes") for line in lines]


def _widths(array: list) -> list[tuple[int, float]]:
    """(glyph id, width) from a CID font's /W array: `first [w ...]` or `first last w`."""
    pairs, index = [], 0
    while index < len(array):
        first, rest = int(array[index]), array[index + 1]
        if isinstance(rest, list):
            pairs += [(first + offset, float(width)) for offset, width in enumerate(rest)]
            index += 2
        else:
            pairs += [(glyph, float(array[index + 2])) for glyph in range(first, int(rest) + 1)]
            index += 3
    return pairs


def _bundled_name(name: str) -> bool:
    return name.startswith(("Atkinson-Hyperlegible", "Noto-Sans"))


# ---- the bundled faces -----------------------------------------------------------------------


def test_bundled_fonts_in_fallback_order() -> None:
    main, fallback, *scripts = fonts.bundled_fonts()
    assert (main.family, fallback.family) == ("Atkinson Hyperlegible", "Noto Sans")
    assert sorted(main.files) == sorted(
        (weight, style) for weight in ("normal", "bold") for style in ("normal", "italic")
    )
    assert [(f.style, f.variable) for f in fallback.faces] == [
        ("normal", True),
        ("italic", True),
    ]
    for face in (*main.faces, *fallback.faces):
        assert face.file.is_file(), face.file
    assert [(f.family, f.package) for f in scripts] == [
        ("Noto Sans Arabic", "fonts-noto-core"),
        ("Noto Sans Bengali", "fonts-noto-core"),
        ("Noto Sans Gurmukhi", "fonts-noto-core"),
        ("Noto Sans CJK SC", "fonts-noto-cjk"),
    ]
    for family in scripts:  # static regular and bold faces, each its own script only
        assert [(face.weight, face.style) for face in family.faces] == [
            ("normal", "normal"),
            ("bold", "normal"),
        ]
        assert family.ranges and not family.owns(ord("A"))
    chinese = scripts[-1]
    assert [(face.file.name, face.index) for face in chinese.faces] == [
        ("NotoSansCJK-Regular.ttc", 2),
        ("NotoSansCJK-Bold.ttc", 2),
    ]
    assert fonts.bundled_fonts() is fonts.bundled_fonts()  # cached


# ---- the Debian files -------------------------------------------------------------------------


def _debian_problems() -> list[str]:
    """Fail in CI when the Debian fonts are missing or differ; elsewhere, skip what needs them."""
    problems = fonts.font_problems()
    if problems and not IN_CI:
        pytest.skip("; ".join(problems))
    return problems


def test_debian_font_files_are_the_recorded_ones() -> None:
    """The manifest names exactly the files the families use, and the installed files are
    those (CI fails here, never skips, when fonts-noto-core or fonts-noto-cjk is missing)."""
    used = {str(face.file) for f in fonts.bundled_fonts() if f.package for face in f.faces}
    assert used == set(fonts.DEBIAN_FILES)
    assert all(path.startswith("/usr/share/fonts/") for path in used)
    assert fonts.font_problems() == [], "\n".join(fonts.font_problems())
    for path, (size, digest) in fonts.DEBIAN_FILES.items():
        assert Path(path).stat().st_size == size
        assert fonts._file_sha256(Path(path)) == digest


@pytest.fixture
def fake_debian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """The Debian families moved into a folder of this test's: Bengali regular a copy of the
    real file, its bold altered, Gurmukhi and the rest missing."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    moved, files = [], {}
    for family in fonts.bundled_fonts():
        if family.package:
            faces = tuple(
                dataclasses.replace(face, file=folder / face.file.name) for face in family.faces
            )
            family = dataclasses.replace(family, faces=faces)
            files.update({face.file.name: face.file for face in faces})
        moved.append(family)
    real = {Path(path).name: record for path, record in fonts.DEBIAN_FILES.items()}
    monkeypatch.setattr(fonts, "bundled_fonts", lambda: tuple(moved))
    monkeypatch.setattr(
        fonts, "DEBIAN_FILES", {str(folder / name): record for name, record in real.items()}
    )
    regular = Path("/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf")
    if regular.is_file():
        shutil.copy(regular, files[regular.name])
    else:  # only the messages can be tested without it
        files[regular.name].write_bytes(b"x" * real[regular.name][0])
    files["NotoSansBengali-Bold.ttf"].write_bytes(b"not the recorded font")
    fonts._coverage.cache_clear()
    yield files
    fonts._coverage.cache_clear()  # it holds the moved families' characters


def test_font_problems_name_missing_and_changed_files(fake_debian: dict[str, Path]) -> None:
    files = fake_debian
    problems = fonts.font_problems()
    missing = [p for p in problems if " is missing: " in p]
    changed = [p for p in problems if " is not the recorded file " in p]
    copied = Path("/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf").is_file()
    assert len(missing) == 6 and len(changed) == (1 if copied else 2)
    assert len(problems) == len(missing) + len(changed)
    assert f"{files['NotoSansGurmukhi-Regular.ttf']} is missing: Punjabi (Gurmukhi) text" in (
        "\n".join(missing)
    )
    assert all(p.endswith("install fonts-noto-core (./run does)") for p in missing[:4])
    assert missing[-1].endswith("install fonts-noto-cjk (./run does)")
    bold = next(p for p in changed if "NotoSansBengali-Bold.ttf" in p)
    assert "would not be byte-identical to the published ones" in bold
    assert "21 bytes" in bold and "recorded 210996 bytes" in bold
    # A page is told only of the fonts its text needs: none for English, Welsh or Polish.
    for language in ("cy", "pl", "ro", "uk"):
        assert fonts.font_problems(SAMPLE_TEXT[language]) == []
    assert fonts.font_problems("English only.") == []
    bengali = fonts.font_problems(SAMPLE_TEXT["bn"])  # its dandas do not make it Punjabi
    assert bengali and all("NotoSansBengali-" in p for p in bengali)
    assert all("NotoSansCJK-" in p for p in fonts.font_problems(SAMPLE_TEXT["zh-Hans"]))
    # What cannot be shown is uncovered, so `check` stops it; English still passes.
    assert fonts.uncovered("ਜੇ ਤੁਹਾਨੂੰ") == "ਜੇਤੁਹਾਨੂੰ"
    assert fonts.uncovered("Ŵ, ŷ and English") == ""


def test_fonts_digest_names_every_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    digest = fonts.fonts_digest()
    assert re.fullmatch(r"[0-9a-f]{16}", digest) and fonts.fonts_digest() == digest
    families = fonts.bundled_fonts()
    gone = dataclasses.replace(
        families[-1],
        faces=tuple(
            dataclasses.replace(f, file=tmp_path / f.file.name) for f in families[-1].faces
        ),
    )
    monkeypatch.setattr(fonts, "bundled_fonts", lambda: (*families[:-1], gone))
    assert fonts.fonts_digest() != digest  # a missing file counts


def test_font_face_css_for_print_and_web() -> None:
    printed = fonts.font_face_css()
    assert "file://" in printed and "data:" not in printed
    assert printed.count('"Noto Sans"') == 2 and printed.count('"Atkinson Hyperlegible"') == 4
    # WeasyPrint 70 rejects a weight range: the variable faces carry no weight for print...
    assert "100 900" not in printed
    # ...while browsers need it, or they embolden Noto Sans synthetically.
    web = fonts.font_face_css(inline=True)
    assert web.count("@font-face") == 6 and web.count("font-weight: 100 900") == 2
    assert "file://" not in web
    # A page the main family covers needs no 4.4 MB of Noto Sans.
    assert fonts.font_face_css(inline=True, text=ENGLISH).count("@font-face") == 4
    assert fonts.font_face_css(inline=True, text=WELSH).count("@font-face") == 6


def test_print_rules_name_each_installed_script_family_for_its_script() -> None:
    _debian_problems()
    rules = fonts.font_face_css().splitlines()
    families = Counter(re.search(r'font-family: "([^"]+)"', rule)[1] for rule in rules)
    # The Chinese collections are left to fontconfig: WeasyPrint would copy 40 MB per process.
    assert families == {
        "Atkinson Hyperlegible": 4,
        "Noto Sans": 2,
        "Noto Sans Arabic": 2,
        "Noto Sans Bengali": 2,
        "Noto Sans Gurmukhi": 2,
    }
    bengali = next(rule for rule in rules if "NotoSansBengali-Bold" in rule)
    assert "font-weight: bold;" in bengali
    assert "unicode-range: U+964-965, U+980-983, U+985-98C," in bengali
    assert all("unicode-range" not in rule for rule in rules[:6])  # Latin: as before


def test_web_pages_inline_only_what_their_text_needs() -> None:
    _debian_problems()
    from fontTools.ttLib import TTFont  # noqa: PLC0415

    def faces(css: str) -> list[tuple[str, str, bytes]]:
        found = re.findall(
            r'font-family: "([^"]+)";.*?src: url\("data:([^;]+);base64,([^"]+)"', css
        )
        return [(family, kind, base64.b64decode(data)) for family, kind, data in found]

    text = SAMPLE_TEXT["zh-Hans"]
    chinese = faces(fonts.font_face_css(inline=True, text=text, language="zh-Hans"))
    assert [family for family, _, _ in chinese] == [
        *["Atkinson Hyperlegible"] * 4,
        "Noto Sans CJK SC",
        "Noto Sans CJK SC",
    ]
    for _, kind, data in chinese[4:]:
        assert kind == "font/woff2" and len(data) < 60_000  # not 20 MB
        font = TTFont(io.BytesIO(data))
        assert font["name"].getDebugName(6) in ("NotoSansCJKsc-Regular", "NotoSansCJKsc-Bold")
        assert {ord(c) for c in "如果您需要帮助骨头疼吗？，。"} <= set(font.getBestCmap())
        assert ord("한") not in font.getBestCmap()  # cut down to the page's characters
    # An Arabic page brings Noto Sans Arabic only, a Bengali page its own font only.
    arabic = faces(fonts.font_face_css(True, SAMPLE_TEXT["ar"], "ar"))
    assert [family for family, _, _ in arabic[4:]] == ["Noto Sans Arabic"] * 2
    assert all(len(data) < 30_000 for _, _, data in arabic[4:])
    bengali = fonts.font_face_css(True, SAMPLE_TEXT["bn"])  # the language is optional
    assert re.findall(r'font-family: "([^"]+)"', bengali)[4:] == ["Noto Sans Bengali"] * 2
    # Cached: the same text gives the same rules at once.
    assert fonts.font_face_css(True, text, "zh-Hans") == fonts.font_face_css(True, text, "zh-Hans")


def test_which_test_characters_atkinson_lacks() -> None:
    regular = fonts._cmap(fonts.bundled_fonts()[0].faces[0].file)
    lacking = "".join(sorted({c for c in MIXED if not c.isspace() and ord(c) not in regular}))
    print(f"\nAtkinson Hyperlegible lacks: {lacking}")
    assert lacking == "".join(sorted(set(WELSH + RUSSIAN + GREEK + "→") - {" "}))
    # What the default user-agent stylesheet and hyphenation draw: disc bullets are there;
    # nested-list markers (◦ ▪) are in no bundled font; the hyphen WeasyPrint adds at a soft
    # hyphen (U+2010) and the non-breaking hyphen come from Noto Sans.
    assert {ord(c) for c in "•…“”‘’–—\u00ad"} <= regular
    assert fonts.uncovered("◦▪") == "◦▪"
    assert 0x2010 not in regular and fonts.uncovered("\u2010\u2011") == ""


# ---- uncovered ------------------------------------------------------------------------------


def test_uncovered_ascii_never_loads_a_font(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> None:
        raise AssertionError("fonts loaded for ASCII text")

    monkeypatch.setattr(fonts, "_coverage", boom)
    assert fonts.uncovered("Plain text,\n\twith tabs & symbols ~^`|{}\x07") == ""
    assert all(
        point in fonts._cmap(fonts.bundled_fonts()[0].faces[0].file) for point in range(0x20, 0x7F)
    )  # why the fast path is right


def test_uncovered_welsh_cyrillic_greek_are_shown() -> None:
    assert fonts.uncovered(f"{WELSH}\n{RUSSIAN}\n{GREEK}") == ""
    assert fonts.uncovered("Ŵyn, ŷd — £5 ½ ©, °C, ±, ×") == ""


def test_uncovered_reports_emoji_and_arrows_once_in_order() -> None:
    _debian_problems()
    assert fonts.uncovered("Take care 😀 of 中文 and 😀 → ✓") == "😀→✓"


def test_uncovered_knows_every_script_and_only_its_own_characters() -> None:
    _debian_problems()
    for language, text in SAMPLE_TEXT.items():
        assert fonts.uncovered(text) == "", language
    # The Chinese font also has Korean, Japanese kana, arrows, check marks: none counts.
    assert fonts.uncovered("한국어 ひらがな → ✓ ①") == "한국어ひらがな→✓①"
    assert fonts.uncovered("ੴ ☬") == "☬"  # the Gurmukhi font's Khanda is not


def test_uncovered_skips_what_is_never_drawn() -> None:
    # Line breaks, tabs, spaces Pango draws itself (U+3000 has no glyph here), soft hyphen,
    # zero-width joiner and space, a variation selector.
    assert fonts.uncovered("a\n\tb\u3000c\u1680d\u00ade\u200df\u200bg©\ufe0f\u00a0h") == ""


# ---- the fontconfig file --------------------------------------------------------------------


def test_fontconfig_xml_lists_only_our_folders() -> None:
    folders = [Path("/fonts/a & b"), Path("/fonts/c")]
    root = ET.fromstring(fonts.fontconfig_xml(folders, Path("/cache/fc")))
    assert [e.tag for e in root] == ["dir", "dir", "cachedir"]
    assert [e.text for e in root.iter("dir")] == ["/fonts/a & b", "/fonts/c"]
    assert root.find("cachedir").text == "/cache/fc"
    assert root.find("include") is None


def test_fontconfig_xml_hides_faces_and_limits_characters() -> None:
    text = fonts.fontconfig_xml(
        [Path("/links")],
        Path("/cache/fc"),
        rejected=[(Path("/links/c.ttc"), 0), (Path("/links/c.ttc"), 3)],
        limited=[(Path("/links/b.ttf"), ((0x0980, 0x09FF), (0x0964, 0x0965)))],
    )
    root = ET.fromstring(text)
    assert [e.tag for e in root] == ["dir", "cachedir", "selectfont", "match"]
    patterns = root.findall("selectfont/rejectfont/pattern")
    assert [[p.findtext("patelt/string"), p.findtext("patelt/int")] for p in patterns] == [
        ["/links/c.ttc", "0"],
        ["/links/c.ttc", "3"],
    ]
    match = root.find("match")
    assert match.get("target") == "scan" and match.findtext("test/string") == "/links/b.ttf"
    ranges = [[int(i.text) for i in r] for r in match.iter("range")]
    assert ranges == [[0, 0x963], [0x966, 0x97F], [0xA00, 0x10FFFF]]  # all but its script


def test_use_project_fontconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("FONTCONFIG_FILE", "/elsewhere/fonts.conf")
    monkeypatch.setenv("FONTCONFIG_PATH", "/elsewhere")
    monkeypatch.setenv("FONTCONFIG_SYSROOT", "/elsewhere")
    path = fonts.use_project_fontconfig()
    home = tmp_path / "build_leaflets"
    assert path.parent == home and path.name.startswith("fonts-")
    assert os.environ["FONTCONFIG_FILE"] == str(path)
    assert "FONTCONFIG_PATH" not in os.environ and "FONTCONFIG_SYSROOT" not in os.environ
    root = ET.fromstring(path.read_text())
    dirs = [Path(e.text) for e in root.iter("dir")]
    pip = {f.files_dir for f in fonts.bundled_fonts() if not f.package}
    assert set(dirs[:2]) == pip
    debian = {face.file for f in fonts.bundled_fonts() if f.package for face in f.faces}
    installed = {file for file in debian if file.is_file()}
    if installed:  # the Debian files, through a folder of links to exactly them
        (links,) = dirs[2:]
        assert links.parent == home and links.name.startswith("links-")
        assert {entry.resolve() for entry in links.iterdir()} == installed
    assert root.find("cachedir").text == str(home / "fontconfig")
    stamp = path.stat().st_mtime_ns
    assert fonts.use_project_fontconfig() == path and path.stat().st_mtime_ns == stamp
    assert not [p for p in home.iterdir() if p.name.startswith(".")]  # no temporary left


def test_links_folder_follows_the_files(tmp_path: Path, fake_debian: dict[str, Path]) -> None:
    """A replaced font file gets a new links folder, so fontconfig never trusts a cache entry
    made from the old one; a missing one is left out."""
    files = fake_debian
    first = fonts._debian_links(tmp_path / "home")
    assert first is not None
    assert sorted(p.name for p in first.iterdir()) == [
        "NotoSansBengali-Bold.ttf",
        "NotoSansBengali-Regular.ttf",
    ]
    assert fonts._debian_links(tmp_path / "home") == first  # reused
    bold = files["NotoSansBengali-Bold.ttf"]
    bold.write_bytes(b"another version of the font")
    os.utime(bold, ns=(1, 1))
    second = fonts._debian_links(tmp_path / "home")
    assert second is not None and second != first


def test_use_project_fontconfig_falls_back_to_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setenv("FONTCONFIG_FILE", "/unused")  # so that it is restored afterwards
    monkeypatch.setattr(fonts.tempfile, "gettempdir", lambda: str(tmp_path))
    path = fonts.use_project_fontconfig()
    assert path.parent.parent == tmp_path and path.parent.name.startswith("build_leaflets-")


def test_fc_list_sees_only_bundled_fonts_and_caches(tmp_path: Path) -> None:
    if not shutil.which("fc-list"):
        pytest.skip("fc-list is not installed")
    script = (
        "import os, subprocess; from build_leaflets import fonts; "
        "fonts.use_project_fontconfig(); "
        "print(subprocess.run(['fc-list', '--format', '%{file}|%{index}|%{charset}\\n'], "
        "capture_output=True, text=True, check=True).stdout)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    lines = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    listed = [line.split("|") for line in lines if line]
    bundled = {face.file for f in fonts.bundled_fonts() for face in f.faces if face.file.is_file()}
    assert listed and {Path(file).resolve() for file, _, _ in listed} == bundled
    assert list((tmp_path / "build_leaflets" / "fontconfig").glob("*.cache-*"))
    # Of the Chinese collections, the SC face only (not JP, KR, TC, HK or the Mono ones)...
    assert {index for file, index, _ in listed if file.endswith(".ttc")} <= {"2"}
    # ...and each Debian font offers only its own script to fontconfig's fallback.
    charsets = {Path(file).name: charset for file, _, charset in listed}
    if "NotoSansBengali-Regular.ttf" in charsets:
        assert charsets["NotoSansBengali-Regular.ttf"].startswith("964-965 980-983 ")
    if "NotoSansCJK-Regular.ttc" in charsets:
        assert charsets["NotoSansCJK-Regular.ttc"].startswith("2e80-")


# ---- rendering with WeasyPrint ---------------------------------------------------------------


def test_same_bytes_with_and_without_system_fonts(renders: dict[str, Path]) -> None:
    for name in DOCS:
        project = (renders["project"] / f"{name}.pdf").read_bytes()
        assert (renders["hostile"] / f"{name}.pdf").read_bytes() == project, name
        # FONTCONFIG_FILE is read by each FontConfiguration, not once per process.
        assert (renders["late"] / f"{name}.pdf").read_bytes() == project, name


def test_only_bundled_fonts_are_embedded(renders: dict[str, Path]) -> None:
    listed = _pdffonts(renders["project"] / "mixed.pdf")
    assert sorted(name for name, _ in listed) == sorted(
        f"{family}{suffix}"
        for family in ("Atkinson-Hyperlegible", "Noto-Sans")
        for suffix in ("", "-Bold", "-Italic", "-Bold-Italic")
    )
    assert all(embedded for _, embedded in listed)
    # Only → was missing everywhere (drawn as .notdef: `check` must refuse it first).
    log = json.loads((renders["project"] / "log.json").read_text())
    assert {w for w in log["warnings"] if "notdef" in w} == {
        '.notdef glyph rendered for Unicode string unsupported by fonts: "→" (U+2192)'
    }
    print("\ntimings (s):", json.dumps(log["timings"], indent=1))


def test_system_fontconfig_pulls_in_system_fonts(renders: dict[str, Path]) -> None:
    """The problem being solved: with the machine's fontconfig, fallback takes its fonts."""
    for mode, prefix in (("system", ""), ("late", "before-")):
        names = [name for name, _ in _pdffonts(renders[mode] / f"{prefix}mixed.pdf")]
        print(f"\n{mode}: {names}")
        if all(_bundled_name(name) for name in names):
            pytest.skip("this machine has no system font with → (nothing to fall back to)")
        project = (renders["project"] / "mixed.pdf").read_bytes()
        assert (renders[mode] / f"{prefix}mixed.pdf").read_bytes() != project


def test_generic_family_makes_no_difference(renders: dict[str, Path]) -> None:
    pdfs = renders["project"]
    assert (pdfs / "mixed.pdf").read_bytes() == (pdfs / "mixed-no-generic.pdf").read_bytes()


def test_english_output_unchanged(renders: dict[str, Path]) -> None:
    """Latin-only pages give the bytes they gave before: system fontconfig, Atkinson only."""
    before = (renders["system"] / "english-old.pdf").read_bytes()
    for mode in ("system", "project", "hostile"):
        for name in ("english", "english-old"):
            assert (renders[mode] / f"{name}.pdf").read_bytes() == before, (mode, name)


def test_noto_bold_and_italic_are_real_instances(renders: dict[str, Path]) -> None:
    """The variable font is embedded as static instances at the weight laid out, and the
    widths in the PDF are that instance's (no synthetic bold, no regular metrics)."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415
    from pypdf import PdfReader  # noqa: PLC0415

    reader = PdfReader(renders["project"] / "mixed.pdf")
    found = {}
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        cid = font["/DescendantFonts"][0].get_object()
        name = str(font["/BaseFont"]).split("+")[-1]
        if not name.startswith("Noto-Sans"):
            continue
        data = cid["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
        face = TTFont(io.BytesIO(data))
        assert "fvar" not in face, name
        found[name] = face["OS/2"].usWeightClass
        order, scale = face.getGlyphOrder(), 1000 / face["head"].unitsPerEm
        for glyph, width in _widths(cid["/W"]):
            advance = face["hmtx"].metrics[order[glyph]][0] * scale
            assert abs(width - advance) <= 1, (name, glyph)
    assert found == {
        "Noto-Sans": 400,
        "Noto-Sans-Bold": 700,
        "Noto-Sans-Italic": 400,
        "Noto-Sans-Bold-Italic": 700,
    }


# ---- the translations' languages -------------------------------------------------------------


def test_language_css_stacks() -> None:
    import tinycss2  # noqa: PLC0415

    # English, and the languages Atkinson Hyperlegible covers, keep the page as it is.
    for language in ("en-GB", "en", "pl", "pl-PL", "ro", "fr"):
        assert fonts.language_css(language) == "", language
    stacks = {}
    for language in ("cy", "uk", "ar", "ur", "bn", "pa", "pa-Guru", "pa-Arab", "zh-Hans", "zh"):
        css = fonts.language_css(language)
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        assert rules and not [rule for rule in rules if rule.type == "error"], language
        found = set(re.findall(r"font-family: ([^;]+) !important;", css))
        assert len(found) == 1, language  # the same stack for the text and the margin boxes
        stacks[language] = found.pop()
        assert "@bottom-left { font-family:" in css and "@bottom-right { font-family:" in css
    assert stacks["cy"] == stacks["uk"] == '"Noto Sans", "Atkinson Hyperlegible", sans-serif'
    arabic = '"Atkinson Hyperlegible", "Noto Sans Arabic", "Noto Sans", sans-serif'
    assert stacks["ar"] == stacks["ur"] == stacks["pa-Arab"] == arabic
    assert stacks["bn"] == '"Atkinson Hyperlegible", "Noto Sans Bengali", "Noto Sans", sans-serif'
    assert stacks["pa"] == stacks["pa-Guru"] and "Noto Sans Gurmukhi" in stacks["pa"]
    assert stacks["zh"] == stacks["zh-Hans"] and '"Noto Sans CJK SC"' in stacks["zh"]
    # Every family named is bundled; English names and digits come from the first family.
    bundled = {f.family for f in fonts.bundled_fonts()}
    for stack in stacks.values():
        assert set(re.findall(r'"([^"]+)"', stack)) <= bundled
    # The scripts that need room get it on every element; joined scripts lose letter-spacing.
    assert "html, html * { line-height: 1.8 !important; }" in fonts.language_css("ur")
    assert "letter-spacing: normal !important" in fonts.language_css("ar")
    assert "letter-spacing" not in fonts.language_css("bn")
    assert "line-height: 1.7" in fonts.language_css("bn")
    assert "line-height" not in fonts.language_css("cy")


def _script_page(language: str, text: str) -> str:
    """A leaflet-like page: a heading, the sample, a bold part, a list and a footer in the
    language, styled as leaflet.css styles a page, then with `language_css`."""
    first = re.split(r"[.。।۔,،，]", text)[0]
    direction = ' dir="rtl"' if language in ("ar", "ur") else ""
    footer = '"' + first[:40].replace('"', "") + '\\A Leaflet reference: TST-0001"'
    return (
        f'<!doctype html><html lang="{language}"{direction}><head><meta charset=utf-8>'
        "<title>Scripts</title><meta name=dcterms.created content=2026-01-01>"
        "<meta name=dcterms.modified content=2026-01-01><style>"
        f"html {{ font-family: {fonts.FAMILY_STACK}; font-size: 12pt; line-height: 1.5 }}"
        "h1 { font-size: 2em; line-height: 1.2 }"
        "@page { size: A4; @bottom-left { content: " + footer + "; white-space: pre; "
        f"font-family: {fonts.FAMILY_STACK}; font-size: 8.5pt; line-height: 1.4 }} }}"
        f"{fonts.language_css(language)}</style></head><body>"
        f"<h1>{first}</h1><p>{text}</p><p><b>{text[:100]}</b></p>"
        f"<ul><li>{first}</li><li>0161 555 0123</li></ul></body></html>"
    )


# Lays out pages with the project's PDF stage (archival PDF/A-3a and PDF/UA-1). argv: MODE
# OUTDIR; MODE "missing" first moves the Debian fonts out of reach.
SCRIPT_RENDER = textwrap.dedent(
    """
    import dataclasses, json, os, sys
    from pathlib import Path
    from build_leaflets import fonts, pdf, render
    from build_leaflets.errors import LeafletError
    from build_leaflets.finish import PdfFields

    mode, out = sys.argv[1], Path(sys.argv[2])
    if mode == "missing":
        def away(family):
            faces = tuple(
                dataclasses.replace(face, file=Path("/nonexistent") / face.file.name)
                for face in family.faces
            )
            return dataclasses.replace(family, faces=faces) if family.package else family
        moved = tuple(away(family) for family in fonts.bundled_fonts())
        fonts.bundled_fonts = lambda: moved
        fonts.DEBIAN_FILES = {
            str(Path("/nonexistent") / Path(path).name): record
            for path, record in fonts.DEBIAN_FILES.items()
        }
    layouts = Path(os.environ["ROOT"]) / "layouts"
    fields = PdfFields("TST-0001", 1, "2026-01-01", "2029-01-01", "0" * 64, "approved")
    results = {}
    for language, html in json.loads(os.environ["PAGES"]).items():
        try:
            data = pdf.write_pdf(
                html, name=language, base=layouts, allowed=[layouts, *render.font_folders()],
                fields=fields, font_css=render.font_css(),
            )
        except LeafletError as error:
            results[language] = str(error)
            continue
        (out / f"{language}.pdf").write_bytes(data)
        results[language] = "ok"
    results["problems"] = fonts.font_problems(json.loads(os.environ["PAGES"]).get("bn", ""))
    (out / "results.json").write_text(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def script_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample of every language as a PDF, with the Debian fonts and without them."""
    _debian_problems()
    base = tmp_path_factory.mktemp("scripts")
    pages = {language: _script_page(language, text) for language, text in SAMPLE_TEXT.items()}
    pages["en-GB"] = _script_page("en-GB", "English only: Sarah Jones, on 0161 555 0123.")
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(base / "cache"),
        "PAGES": json.dumps(pages),
        "ROOT": str(ROOT),
        "PYTHONPATH": str(ROOT),
    }
    outs = {mode: base / mode for mode in ("installed", "missing")}
    running = []
    for mode, out in outs.items():
        out.mkdir()
        command = [sys.executable, "-c", SCRIPT_RENDER, mode, str(out)]
        running.append(subprocess.Popen(command, env=env, cwd=base, stderr=subprocess.PIPE))
    for process in running:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()
    return outs


EMBEDDED = {
    "en-GB": {"Atkinson-Hyperlegible"},
    "pl": {"Atkinson-Hyperlegible"},
    "ro": {"Atkinson-Hyperlegible"},
    "cy": {"Noto-Sans"},
    "uk": {"Noto-Sans"},
    "ar": {"Atkinson-Hyperlegible", "Noto-Sans-Arabic"},
    "ur": {"Atkinson-Hyperlegible", "Noto-Sans-Arabic"},
    "bn": {"Atkinson-Hyperlegible", "Noto-Sans-Bengali"},
    "pa": {"Atkinson-Hyperlegible", "Noto-Sans-Gurmukhi"},
    "zh-Hans": {"Atkinson-Hyperlegible", "Noto-Sans-CJK-SC"},
}


def test_every_script_is_set_in_its_own_embedded_font(script_pdfs: dict[str, Path]) -> None:
    results = json.loads((script_pdfs["installed"] / "results.json").read_text())
    assert {language: results[language] for language in EMBEDDED} == dict.fromkeys(
        EMBEDDED, "ok"
    )  # no .notdef, no WeasyPrint error
    for language, families in EMBEDDED.items():
        listed = _pdffonts(script_pdfs["installed"] / f"{language}.pdf")
        assert all(embedded for _, embedded in listed), language
        names = {name for name, _ in listed}
        assert names == families | {f"{family}-Bold" for family in families}, language


def _embedded_names(pdf: Path) -> dict[str, tuple[str, str]]:
    """PDF font name -> (PostScript name, version) from each embedded font's name table."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415
    from pypdf import PdfReader  # noqa: PLC0415

    found = {}
    for ref in PdfReader(pdf).pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        stream = descriptor.get("/FontFile2") or descriptor["/FontFile3"]
        face = TTFont(io.BytesIO(stream.get_object().get_data()))
        name = str(font["/BaseFont"]).split("+")[-1]
        found[name] = (face["name"].getDebugName(6), face["name"].getDebugName(5).split(";")[0])
    return found


def test_embedded_fonts_are_the_chosen_files(script_pdfs: dict[str, Path]) -> None:
    arabic = _embedded_names(script_pdfs["installed"] / "ur.pdf")
    # Debian's static 2.005, not the variable 2.012 of the pip package (see the module).
    assert arabic["Noto-Sans-Arabic"] == ("NotoSansArabic-Regular", "Version 2.005")
    assert arabic["Noto-Sans-Arabic-Bold"] == ("NotoSansArabic-Bold", "Version 2.005")
    chinese = _embedded_names(script_pdfs["installed"] / "zh-Hans.pdf")
    # The SC face of the collections (face 0 is JP: other shapes for the same characters).
    assert chinese["Noto-Sans-CJK-SC"][0] == "NotoSansCJKsc-Regular"
    assert chinese["Noto-Sans-CJK-SC-Bold"][0] == "NotoSansCJKsc-Bold"
    bengali = _embedded_names(script_pdfs["installed"] / "bn.pdf")
    assert bengali["Noto-Sans-Bengali"] == ("NotoSansBengali-Regular", "Version 2.001")


def _text_back(pdf: Path) -> str:
    """The text pdftotext reads out of a PDF, in the order it is drawn."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _words_back(pdf: Path) -> Counter[str]:
    """The words read out of a PDF (without punctuation; each right-to-left word in its own
    order, whatever the order of the words)."""
    return _words(_text_back(pdf))


def _words(text: str) -> Counter[str]:
    marks = "\u202a\u202b\u202c\u200e\u200f"
    cleaned = (word.strip(".,،۔।?؟:“”" + marks) for word in text.split())
    return Counter(word for word in cleaned if word)


def test_text_reads_back_out_of_chinese_and_urdu(script_pdfs: dict[str, Path]) -> None:
    """Copying, searching and screen readers read the text back out of the PDF: exact for
    Chinese, and word for word for Urdu (why Noto Sans Arabic sets it, not Nastaliq)."""
    out = script_pdfs["installed"]
    chinese = "".join(_text_back(out / "zh-Hans.pdf").split())
    assert "".join(SAMPLE_TEXT["zh-Hans"].split()) in chinese
    urdu = _words_back(out / "ur.pdf")
    assert _words(SAMPLE_TEXT["ur"]) - urdu == Counter()
    assert {"Sarah", "Jones", "0161", "555", "0123"} <= set(_words_back(out / "ar.pdf"))


@pytest.mark.xfail(
    strict=True,
    reason="WeasyPrint 70 maps each glyph to the first text it drew (Kozea/WeasyPrint#2841): "
    "vowel signs written before their consonant are lost or moved",
)
def test_text_reads_back_out_of_bengali_word_for_word(script_pdfs: dict[str, Path]) -> None:
    words = _words_back(script_pdfs["installed"] / "bn.pdf")
    assert _words(SAMPLE_TEXT["bn"]) - words == Counter()


def test_missing_debian_fonts_fail_only_their_pages(script_pdfs: dict[str, Path]) -> None:
    """Without fonts-noto-core and fonts-noto-cjk, pages in Latin letters and Cyrillic come
    out byte for byte the same; a page in another script fails, naming the font to install."""
    installed, missing = script_pdfs["installed"], script_pdfs["missing"]
    results = json.loads((missing / "results.json").read_text())
    for language in ("en-GB", "cy", "pl", "ro", "uk"):
        assert results[language] == "ok"
        pdf = f"{language}.pdf"
        assert (missing / pdf).read_bytes() == (installed / pdf).read_bytes(), language
    for language in ("ar", "ur", "bn", "pa", "zh-Hans"):
        # The PDF stage names the missing font before laying out (no empty boxes).
        assert "is missing:" in results[language], language
        assert "install fonts-noto-" in results[language], language
    assert results["problems"] == [
        f"/nonexistent/NotoSansBengali-{weight}.ttf is missing: Bengali text needs it "
        "(Noto Sans Bengali); install fonts-noto-core (./run does)"
        for weight in ("Regular", "Bold")
    ]
