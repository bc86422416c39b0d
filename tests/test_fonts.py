"""The bundled fonts and the project's own fontconfig (build_leaflets.fonts).

fontconfig is loaded once per FontConfiguration and the environment it reads is process-wide,
so every rendering experiment runs WeasyPrint in a subprocess of its own.
"""

# ruff: noqa: RUF001  (the point of this file is letters that look like others)

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from build_leaflets import fonts

ROOT = Path(__file__).resolve().parents[1]

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
    main, fallback = fonts.bundled_fonts()
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
    assert fonts.bundled_fonts() is fonts.bundled_fonts()  # cached


def test_font_face_css_for_print_and_web() -> None:
    printed = fonts.font_face_css()
    assert printed.count("@font-face") == 6
    assert printed.count('"Noto Sans"') == 2 and printed.count('"Atkinson Hyperlegible"') == 4
    assert "file://" in printed and "data:" not in printed
    # WeasyPrint 70 rejects a weight range: the variable faces carry no weight for print...
    assert "100 900" not in printed
    # ...while browsers need it, or they embolden Noto Sans synthetically.
    web = fonts.font_face_css(inline=True)
    assert web.count("font-weight: 100 900") == 2 and "file://" not in web
    # A page the main family covers needs no 4.4 MB of Noto Sans.
    assert fonts.font_face_css(inline=True, text=ENGLISH).count("@font-face") == 4
    assert fonts.font_face_css(inline=True, text=WELSH).count("@font-face") == 6


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


def test_uncovered_reports_emoji_cjk_and_arrows_once_in_order() -> None:
    assert fonts.uncovered("Take care 😀 of 中文 and 😀 → ✓") == "😀中文→✓"


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


def test_use_project_fontconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("FONTCONFIG_FILE", "/elsewhere/fonts.conf")
    monkeypatch.setenv("FONTCONFIG_PATH", "/elsewhere")
    monkeypatch.setenv("FONTCONFIG_SYSROOT", "/elsewhere")
    path = fonts.use_project_fontconfig()
    assert path.parent == tmp_path / "build_leaflets" and path.name.startswith("fonts-")
    assert os.environ["FONTCONFIG_FILE"] == str(path)
    assert "FONTCONFIG_PATH" not in os.environ and "FONTCONFIG_SYSROOT" not in os.environ
    root = ET.fromstring(path.read_text())
    assert {Path(e.text) for e in root.iter("dir")} == {f.files_dir for f in fonts.bundled_fonts()}
    assert root.find("cachedir").text == str(tmp_path / "build_leaflets" / "fontconfig")
    stamp = path.stat().st_mtime_ns
    assert fonts.use_project_fontconfig() == path and path.stat().st_mtime_ns == stamp
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


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
        "print(subprocess.run(['fc-list', '--format', '%{file}\\n'], "
        "capture_output=True, text=True, check=True).stdout)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    listed = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    bundled = {face.file for f in fonts.bundled_fonts() for face in f.faces}
    assert listed and {Path(file) for file in listed} == bundled
    assert list((tmp_path / "build_leaflets" / "fontconfig").glob("*.cache-*"))


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
