"""Fonts: the bundled typefaces, and a fontconfig that sees nothing else.

Text is set in Atkinson Hyperlegible. It has no Greek, no Cyrillic and no Welsh ŵ/ŷ, so Noto
Sans (also a pip package) comes next. Both are bundled because fontconfig's fallback consults
every font it knows, whatever the CSS says: a character the first font lacks would otherwise
be drawn with whatever the machine happens to have (DejaVu here), and the same leaflet would
give different PDFs on different machines.

So the PDF stage calls `use_project_fontconfig()` before WeasyPrint makes its
`FontConfiguration`: fontconfig then reads a configuration of ours that lists only the bundled
font folders. `uncovered()` finds what no bundled font can show, for `check` to reject, so
no leaflet ever reaches a font that is not ours.

Tried with WeasyPrint 70, Pango 1.50, fontconfig 2.14 (tests/test_fonts.py):
- WeasyPrint 70 accepts only one `font-weight` value in @font-face, so the print rules give
  the variable Noto Sans files none (a `100 900` range is logged as invalid and ignored). Bold
  and italic are still real: WeasyPrint instantiates the variable font at the weight Pango
  chose when it embeds it. Browsers need the range, or they embolden synthetically.
- Pure Latin text gives the same bytes as before the fallback font and this configuration.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

FAMILY_STACK = '"Atkinson Hyperlegible", "Noto Sans", sans-serif'
"""The CSS `font-family` for all text. The generic family is for browsers; in the PDF,
under `use_project_fontconfig()`, it can only name a bundled font (tested: same bytes with it
or without it)."""

# Read by fontconfig whenever it loads a configuration. FONTCONFIG_PATH only resolves relative
# names (ours is absolute) but is cleared too; FONTCONFIG_SYSROOT would prefix our paths, and
# a configuration file fontconfig cannot load makes it fall back to the system's fonts.
_FONTCONFIG_VARIABLES = ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")


@dataclass(frozen=True)
class Face:
    """One font file with its CSS weight and style. A variable font covers a weight range
    ("100 900"), from which WeasyPrint makes a static instance for each weight it embeds."""

    file: Path
    weight: str  # "normal", "bold", or "100 900" for a variable font
    style: str  # "normal" or "italic"
    variable: bool = False


@dataclass(frozen=True)
class Fonts:
    """One bundled family and its faces."""

    family: str
    faces: tuple[Face, ...]

    @property
    def files(self) -> dict[tuple[str, str], Path]:
        """(weight, style) -> file, as `render.Fonts` has it."""
        return {(face.weight, face.style): face.file for face in self.faces}

    @property
    def files_dir(self) -> Path:
        """The installed package's folder of font files (for the PDF stage's fetcher)."""
        return self.faces[0].file.parent


@functools.cache
def bundled_fonts() -> tuple[Fonts, ...]:
    """The bundled families in fallback order: Atkinson Hyperlegible, then Noto Sans."""
    import fontpkg_atkinson_hyperlegible as atkinson  # noqa: PLC0415  (one place, when needed)
    import fontpkg_noto_sans as noto  # noqa: PLC0415

    folder = Path(atkinson.__file__).resolve().parent / "files"
    names = {
        ("normal", "normal"): "Regular",
        ("bold", "normal"): "Bold",
        ("normal", "italic"): "Italic",
        ("bold", "italic"): "BoldItalic",
    }
    main = Fonts(
        atkinson.FAMILY,
        tuple(
            Face(folder / f"AtkinsonHyperlegible-{name}.ttf", weight, style)
            for (weight, style), name in names.items()
        ),
    )
    folder = Path(noto.__file__).resolve().parent / "files"
    fallback = Fonts(
        noto.FAMILY,
        (
            Face(folder / "NotoSans[wdth,wght].ttf", "100 900", "normal", variable=True),
            Face(folder / "NotoSans-Italic[wdth,wght].ttf", "100 900", "italic", variable=True),
        ),
    )
    return (main, fallback)


def font_face_css(inline: bool = False, text: str | None = None) -> str:
    """@font-face rules for the bundled faces.

    `inline` gives the files as data: URLs (the self-contained web page), else as file: URLs
    (for the PDF stage's guarded fetcher, which must allow every `Fonts.files_dir`). Given the
    page's `text`, the fallback family is left out when the main one covers all of it: Noto
    Sans is 4.4 MB, about 5.8 MB more in every inlined page.
    """
    families = len(bundled_fonts()) if text is None or _main_lacks(text) else 1
    return _font_face_css(inline, families)


@functools.cache
def _font_face_css(inline: bool, families: int) -> str:
    return "\n".join(
        _face_rule(fonts.family, face, inline)
        for fonts in bundled_fonts()[:families]
        for face in fonts.faces
    )


def _face_rule(family: str, face: Face, inline: bool) -> str:
    url = _data_url(face.file) if inline else face.file.as_uri()
    # WeasyPrint 70 rejects a weight range (and logs it); with no weight it keeps the weights
    # fontconfig reads from the variable font, which is what the range means.
    weight = "" if face.variable and not inline else f"font-weight: {face.weight}; "
    return (
        f'@font-face {{ font-family: "{family}"; {weight}font-style: {face.style}; '
        f'src: url("{url}"); }}'
    )


@functools.cache
def _data_url(path: Path) -> str:
    return f"data:font/ttf;base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def fontconfig_xml(folders: list[Path], cache: Path) -> str:
    """A fontconfig configuration listing only `folders` and caching in `cache`. It includes
    nothing: no system fonts, no aliases, no user configuration."""
    dirs = "".join(f"  <dir>{escape(str(folder))}</dir>\n" for folder in folders)
    return (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<!-- Written by build_leaflets: only the bundled fonts, so that PDFs never depend on "
        "the machine's fonts. -->\n"
        "<fontconfig>\n"
        f"{dirs}"
        f"  <cachedir>{escape(str(cache))}</cachedir>\n"
        "</fontconfig>\n"
    )


def use_project_fontconfig() -> Path:
    """Make fontconfig see only the bundled fonts; return the configuration file it will read.

    Call it before WeasyPrint makes a FontConfiguration: each one reloads the configuration
    FONTCONFIG_FILE names at that moment, so a process (or forked worker) that made one
    earlier only has to make a new one. Best call it before importing WeasyPrint too, whose
    import loads the configuration once to check it has fonts (scanning the system's).
    The file lives in the user's cache folder, named by a hash of its text and written
    atomically, so parallel workers and other virtual environments never disturb each other.
    """
    folders = sorted({face.file.parent for fonts in bundled_fonts() for face in fonts.faces})
    error: OSError | None = None
    for home in _cache_folders():
        text = fontconfig_xml(folders, home / "fontconfig")
        path = home / f"fonts-{hashlib.sha256(text.encode()).hexdigest()[:16]}.conf"
        try:
            _write_once(path, text)
        except OSError as problem:
            error = problem
            continue
        for name in _FONTCONFIG_VARIABLES:
            os.environ.pop(name, None)
        os.environ["FONTCONFIG_FILE"] = str(path)
        return path
    assert error is not None
    raise error


def _cache_folders() -> list[Path]:
    """Where our fontconfig files may go: the user's cache folder, else a private temp one."""
    folders = []
    base = os.environ.get("XDG_CACHE_HOME", "")
    if base and Path(base).is_absolute():
        folders.append(Path(base) / "build_leaflets")
    else:
        home = Path.home()
        if str(home) not in ("", "/"):
            folders.append(home / ".cache" / "build_leaflets")
    user = getattr(os, "getuid", lambda: "user")()
    folders.append(Path(tempfile.gettempdir()) / f"build_leaflets-{user}")
    return folders


def _write_once(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeError):
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if hasattr(os, "getuid") and path.parent.stat().st_uid != os.getuid():
        raise PermissionError(f"{path.parent} belongs to another user")
    # Written under a unique name, then renamed: nobody ever reads half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".fonts-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@functools.cache
def _cmap(path: Path) -> frozenset[int]:
    """The code points one font file has glyphs for (its cmap, read once)."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415  (only for text beyond ASCII)

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


@functools.cache
def _coverage(families: int | None = None) -> frozenset[int]:
    """Every code point the first `families` bundled families (default: all) can show."""
    return frozenset().union(
        *(_cmap(face.file) for fonts in bundled_fonts()[:families] for face in fonts.faces)
    )


def _drawn(char: str) -> bool:
    """Whether a character needs a glyph: not whitespace (Pango makes its own spaces), not a
    control or format character (line breaks, soft hyphens, joiners) and not a variation
    selector."""
    if char.isspace():
        return False
    if unicodedata.category(char) in ("Cc", "Cf"):
        return False
    point = ord(char)
    return not (0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF)


def uncovered(text: str) -> str:
    """The characters of `text` that no bundled face can show, each once, in order of first
    appearance ("" when all can be shown). ASCII text never loads a font: Atkinson Hyperlegible
    has every printable ASCII character."""
    if text.isascii():
        return ""
    covered = _coverage()
    missing: dict[str, None] = {}
    for char in text:
        if char not in missing and ord(char) not in covered and _drawn(char):
            missing[char] = None
    return "".join(missing)


def _main_lacks(text: str) -> bool:
    """Whether any character of `text` needs a font after the main family."""
    if text.isascii():
        return False
    covered = _coverage(1)
    return any(ord(char) not in covered and _drawn(char) for char in set(text))
