"""Fonts: the bundled typefaces, and a fontconfig that sees nothing else.

Text is set in Atkinson Hyperlegible. It has no Greek, no Cyrillic and no Welsh ŵ/ŷ, so Noto
Sans (also a pip package) comes next. Both are bundled because fontconfig's fallback consults
every font it knows, whatever the CSS says: a character the first font lacks would otherwise
be drawn with whatever the machine happens to have (DejaVu here), and the same leaflet would
give different PDFs on different machines.

So the PDF stage calls `use_project_fontconfig()` before WeasyPrint makes its
`FontConfiguration`: fontconfig then reads a configuration of ours that lists only the bundled
fonts. `uncovered()` finds what no bundled font can show, for `check` to reject, so no leaflet
ever reaches a font that is not ours.

The translations' scripts (`language_css()` gives each language its stack and line height):
- Polish and Romanian (ș ț): Atkinson Hyperlegible has every letter; those pages are set as
  English ones are. Welsh and Ukrainian are set in Noto Sans throughout: Atkinson
  Hyperlegible lacks ŵ ŷ and Cyrillic, and a letter of another design inside a word shows.
- Arabic and Urdu: Noto Sans Arabic 2.005, static regular and bold, from Debian's
  fonts-noto-core. Not the pip package fontpkg-noto-sans-arabic (2.012): it draws dotted
  letters as a skeleton plus dots shared between letters, and WeasyPrint 70 maps each glyph
  to the first text it drew (Kozea/WeasyPrint#2841), so only 8 of 30 words of the Arabic
  sample came back out of the PDF right with pdftotext (23 of 30 with 2.005: the rest are
  lam-alef ligatures read back with their letters swapped, and tanwin moved). For Urdu, Noto
  Nastaliq Urdu (the traditional style) was tried: WeasyPrint 70 shapes it correctly, joined,
  cascading, right to left (with a line height of 2.4), but only 6 of the 45 words of the
  sample can be read back out of the PDF, so screen readers, search and copying would fail;
  Noto Naskh Arabic gave 44 of 45 but its letters are visibly smaller than Atkinson
  Hyperlegible's at the same size; Noto Sans Arabic gave 45 of 45 and matches it.
- Bengali and Punjabi (Gurmukhi): Noto Sans Bengali and Noto Sans Gurmukhi 2.001 from
  fonts-noto-core. Conjuncts, reph and vowel signs are formed; text read back out of the PDF
  loses or moves vowel signs written before their consonant (WeasyPrint's map again).
- Simplified Chinese: Noto Sans CJK SC 2.004, face 2 of the collections
  NotoSansCJK-{Regular,Bold}.ttc from fonts-noto-cjk (Debian has no separate SC file).
  WeasyPrint 70 embeds that face (its name table says NotoSansCJKsc), as CFF, about 0.75 MB
  a weight even for a few characters (its subsets keep glyph ids). The collections' other
  faces (JP, KR, TC, HK, Mono) are hidden from fontconfig, so no fallback can reach them.
Each Debian file is recorded (`DEBIAN_FILES`, checked by `font_problems()`; `fonts_digest()`
names the whole set), and a Debian family counts only for its own script (`Fonts.ranges`):
an arrow the Chinese font happens to have is still refused by `check`. A missing Debian file
changes nothing for the other pages (same bytes); a page in its script fails, and
`font_problems(text)` says what to install.

fontconfig: each pip package's folder holds its fonts only and is listed as it is. The Debian
files share folders with hundreds of others, so the configuration lists a folder of links to
exactly them instead (see `_debian_links`), and limits each to its script's characters, as
the print @font-face rules do with `unicode-range`. Those rules name every family but the
Chinese one: as an @font-face, WeasyPrint would copy both 20 MB collections into a temporary
folder in every process, and the PDFs are the same bytes without it (tested).

Web pages (`web_faces`) link to WOFF2 files cut from the same fonts, which the build writes
into the output folder's assets/ under their checksums: stable files shared by every page
(Atkinson Hyperlegible whole, Noto Sans in fixed blocks of characters, the Arabic, Bengali and
Gurmukhi families whole), except Chinese, whose font is too large to send whole and is cut to
each page's characters. Cutting a big font takes seconds, so the cut files are kept in the
user's cache folder between runs (`_subset_bytes`).

Tried with WeasyPrint 70, Pango 1.50, fontconfig 2.14 (tests/test_fonts.py):
- WeasyPrint 70 accepts only one `font-weight` value in @font-face, so the print rules give
  the variable Noto Sans files none (a `100 900` range is logged as invalid and ignored). Bold
  and italic are still real: WeasyPrint instantiates the variable font at the weight Pango
  chose when it embeds it. Browsers need the range, or they embolden synthetically.
- Pure Latin text gives the same bytes as before the fallback font and this configuration,
  and as before the other scripts' fonts.
- `letter-spacing` tears Arabic joins apart (WeasyPrint spaces cursive scripts too), so
  `language_css` turns it off for them.
- In a right-to-left paragraph "0161 555 0123" is laid out as "0123 555 0161" (the Unicode
  bidirectional rules; browsers do the same) unless the number is isolated: `<span
  dir="ltr">`, U+2066 ... U+2069, or no-break spaces between its groups all work; `<bdi>`
  does not in WeasyPrint 70.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from build_leaflets.files import write_atomic

FAMILY_STACK = '"Atkinson Hyperlegible", "Noto Sans", sans-serif'
"""The CSS `font-family` for all text. The generic family is for browsers; in the PDF,
under `use_project_fontconfig()`, it can only name a bundled font (tested: same bytes with it
or without it)."""

#: The Debian files the PDFs are made with, as Debian 12 (bookworm) installs them from
#: fonts-noto-core 20201225-1 and fonts-noto-cjk 1:20220127+repack1-1: path -> (size in bytes,
#: SHA-256). Another version of a file draws the same text with other glyphs or other metrics,
#: so a PDF made with it is not byte-identical to the published one; `font_problems()` says so.
DEBIAN_FILES: dict[str, tuple[int, str]] = {
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf": (
        244072,
        "504d7407d86875acf7d04dfaa0fd7524d0b8797723bc4aa18022f29db25b0b6e",
    ),
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Bold.ttf": (
        252940,
        "ded6fc7359ca36d15d7aab9ef0c066e21ce48b26a069994d6602fa2cb9a1b952",
    ),
    "/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf": (
        201964,
        "9bb35b3547829ecc42041b6017e87fd4c5f1da1edcd00f59171777050f346018",
    ),
    "/usr/share/fonts/truetype/noto/NotoSansBengali-Bold.ttf": (
        210996,
        "22c9ff99baca4d31c531ce450a1369beed889467e1ad964f4b8a6f810aa46955",
    ),
    "/usr/share/fonts/truetype/noto/NotoSansGurmukhi-Regular.ttf": (
        52852,
        "1db960ff6f506a98f5b3ece78f54618388c6187e7edf8ceee5ab63389c0db3ab",
    ),
    "/usr/share/fonts/truetype/noto/NotoSansGurmukhi-Bold.ttf": (
        52856,
        "ded9c1f56a7ed0b835cfef5dd642f26cfc0f41a16fbc08008d376ddcc91d606e",
    ),
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc": (
        19484784,
        "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a",
    ),
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc": (
        20050760,
        "faa5f3656a78b2e2d450d27fe8382c778bc2b6bb5ea29c986664a6a435056ceb",
    ),
}

# The characters each script family is there for (a family draws nothing else that `check`
# accepts, so a stray arrow is still refused rather than drawn from a Chinese font).
Ranges = tuple[tuple[int, int], ...]
ARABIC: Ranges = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)
BENGALI: Ranges = ((0x0964, 0x0965), (0x0980, 0x09FF))  # with the dandas of Devanagari
GURMUKHI: Ranges = ((0x0964, 0x0965), (0x0A00, 0x0A7F))
CHINESE: Ranges = (
    (0x2E80, 0x2FDF),  # radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation: full stop, quotation marks
    (0x31C0, 0x31EF),  # strokes
    (0x3200, 0x33FF),  # enclosed and compatibility
    (0x3400, 0x4DBF),  # ideographs, extension A
    (0x4E00, 0x9FFF),  # unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE30, 0xFE4F),  # compatibility forms
    (0xFF00, 0xFFEF),  # full-width comma, colon, question mark, brackets
    (0x20000, 0x3134F),  # extensions B to G
)

# Read by fontconfig whenever it loads a configuration. FONTCONFIG_PATH only resolves relative
# names (ours is absolute) but is cleared too; FONTCONFIG_SYSROOT would prefix our paths, and
# a configuration file fontconfig cannot load makes it fall back to the system's fonts.
_FONTCONFIG_VARIABLES = ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")


@dataclass(frozen=True)
class Face:
    """One font file with its CSS weight and style. A variable font covers a weight range
    ("100 900"), from which WeasyPrint makes a static instance for each weight it embeds.
    `index` is the face's place in a collection (.ttc)."""

    file: Path
    weight: str  # "normal", "bold", or "100 900" for a variable font
    style: str  # "normal" or "italic"
    variable: bool = False
    index: int = 0


@dataclass(frozen=True)
class Fonts:
    """One bundled family and its faces: from a pip package, or from the Debian `package`
    (then only the characters in `ranges` count as its own)."""

    family: str
    faces: tuple[Face, ...]
    script: str = "Latin"
    package: str = ""
    ranges: Ranges = ()

    @property
    def files(self) -> dict[tuple[str, str], Path]:
        """(weight, style) -> file, as `render.Fonts` has it."""
        return {(face.weight, face.style): face.file for face in self.faces}

    @property
    def files_dir(self) -> Path:
        """The folder of the font files (for the PDF stage's fetcher)."""
        return self.faces[0].file.parent

    @property
    def installed(self) -> bool:
        """Whether every file of the family is on this machine (pip fonts always are)."""
        return all(face.file.is_file() for face in self.faces)

    @property
    def collection(self) -> bool:
        """Whether its faces come from font collections (.ttc)."""
        return any(face.file.suffix.lower() == ".ttc" for face in self.faces)

    def owns(self, point: int) -> bool:
        """Whether a code point is in the family's script (every one, for a Latin family)."""
        return not self.ranges or any(low <= point <= high for low, high in self.ranges)


#: How many of `bundled_fonts()` are the Latin families every page uses.
LATIN_FAMILIES = 2


def _debian(family: str, script: str, package: str, ranges: Ranges, *files: str) -> Fonts:
    """A family of static Debian faces, regular then bold (`file` or `file#index`)."""
    faces = []
    for weight, name in zip(("normal", "bold"), files, strict=True):
        path, _, index = name.partition("#")
        faces.append(Face(Path(path), weight, "normal", index=int(index or 0)))
    return Fonts(family, tuple(faces), script, package, ranges)


@functools.cache
def bundled_fonts() -> tuple[Fonts, ...]:
    """The bundled families in fallback order: Atkinson Hyperlegible and Noto Sans for Latin,
    Greek and Cyrillic; then Noto Sans Arabic (a pip package too), and the Debian families
    for Urdu, Bengali, Punjabi and Chinese (present or not: see `font_problems()`)."""
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
    noto_core, noto_cjk = "/usr/share/fonts/truetype/noto/", "/usr/share/fonts/opentype/noto/"
    return (
        main,
        fallback,
        _debian(
            "Noto Sans Arabic",
            "Arabic and Urdu",
            "fonts-noto-core",
            ARABIC,
            f"{noto_core}NotoSansArabic-Regular.ttf",
            f"{noto_core}NotoSansArabic-Bold.ttf",
        ),
        _debian(
            "Noto Sans Bengali",
            "Bengali",
            "fonts-noto-core",
            BENGALI,
            f"{noto_core}NotoSansBengali-Regular.ttf",
            f"{noto_core}NotoSansBengali-Bold.ttf",
        ),
        _debian(
            "Noto Sans Gurmukhi",
            "Punjabi (Gurmukhi)",
            "fonts-noto-core",
            GURMUKHI,
            f"{noto_core}NotoSansGurmukhi-Regular.ttf",
            f"{noto_core}NotoSansGurmukhi-Bold.ttf",
        ),
        # Face 2 of each collection is SC (0 JP, 1 KR, 3 TC, 4 HK, then the Mono ones).
        _debian(
            "Noto Sans CJK SC",
            "Chinese",
            "fonts-noto-cjk",
            CHINESE,
            f"{noto_cjk}NotoSansCJK-Regular.ttc#2",
            f"{noto_cjk}NotoSansCJK-Bold.ttc#2",
        ),
    )


# ---- the files: present, and the ones the published PDFs were made with ----------------------


def font_problems(text: str | None = None) -> list[str]:
    """What is wrong with the Debian font files: missing, or not the recorded ones (then a PDF
    would not be byte-identical to the published one). Given `text`, only the families it
    needs are checked: a leaflet in English needs none of them."""
    problems = []
    # The text's characters beyond ASCII, found once (a page is tens of thousands of them).
    points = None if text is None else frozenset(ord(char) for char in set(text) if char > "\x7f")
    for fonts in bundled_fonts():
        if not fonts.package or (points is not None and not _uses(fonts, points)):
            continue
        for face in fonts.faces:
            problem = _file_problem(fonts, face.file)
            if problem:
                problems.append(problem)
    return problems


def _uses(fonts: Fonts, points: frozenset[int]) -> bool:
    """Whether the text (its code points beyond ASCII) has a character of the family's script
    that no other script family draws (a danda alone does not make a text Bengali or
    Punjabi)."""
    if not points:
        return False
    others = [other for other in bundled_fonts()[LATIN_FAMILIES:] if other is not fonts]
    return any(
        fonts.owns(point) and not any(other.owns(point) for other in others) for point in points
    )


def _file_problem(fonts: Fonts, path: Path) -> str:
    size, expected = DEBIAN_FILES[str(path)]
    digest = _file_sha256(path)
    if digest is None:
        return (
            f"{path} is missing: {fonts.script} text needs it ({fonts.family}); "
            f"install {fonts.package} (./run does)"
        )
    actual = path.stat().st_size
    if (actual, digest) != (size, expected):
        return (
            f"{path} is not the recorded file ({actual} bytes, SHA-256 {digest[:12]}; "
            f"recorded {size} bytes, {expected[:12]}): a PDF with {fonts.script} text made with "
            f"it would not be byte-identical to the published ones; install {fonts.package} "
            "as Debian 12 has it"
        )
    return ""


def fonts_digest() -> str:
    """A short digest of every bundled font file (name and contents, "missing" for an absent
    one), for the record of what made a PDF."""
    digest = hashlib.sha256()
    for fonts in bundled_fonts():
        for face in fonts.faces:
            line = f"{face.file.name}#{face.index}\t{_file_sha256(face.file) or 'missing'}\n"
            digest.update(line.encode())
    return digest.hexdigest()[:16]


def recorded_digest() -> str:
    """A short digest of the script fonts' recorded checksums (`DEBIAN_FILES`), for the
    tool-version record of every build: reads no font file (the build checks the files a
    page needs with `font_problems`)."""
    listed = "".join(f"{path}\t{sha}\n" for path, (_size, sha) in sorted(DEBIAN_FILES.items()))
    return hashlib.sha256(listed.encode()).hexdigest()[:12]


def _file_sha256(path: Path) -> str | None:
    """A file's SHA-256, or None if it is missing (read again only when the file changes)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _hash_file(path, stat.st_size, stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=64)
def _hash_file(path: Path, _size: int, _mtime: int, _inode: int) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


# ---- CSS --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """How a language's text is set: its family stack, and the line height its script needs
    (for every element, or "" to keep the layout's)."""

    families: tuple[str, ...]
    line_height: str = ""
    joined: bool = False  # a cursive script: letter-spacing would tear its joins apart


_LATIN = ("Atkinson Hyperlegible", "Noto Sans")
_STYLES = {
    # Atkinson Hyperlegible lacks ŵ ŷ and Cyrillic: Noto Sans sets the whole text rather
    # than letters of another design in the middle of words.
    "latin-noto": _Style(("Noto Sans", "Atkinson Hyperlegible")),
    # The other scripts come after Atkinson Hyperlegible, which keeps English names, digits
    # and phone numbers as on English pages. Line heights: Noto Sans Arabic's marks and tails
    # reach 1.37 em above the baseline and 0.74 below (its line metrics), so vowelled text
    # gets room; Bengali and Gurmukhi vowel signs stand above the headline and below the
    # letters; ideographs fill the whole em. Set on every element, headings included (the
    # layout gives them 1.2, less than the 1.33 em Noto Sans Bengali's line metrics span).
    "arabic": _Style(
        ("Atkinson Hyperlegible", "Noto Sans Arabic", "Noto Sans"), "1.8", joined=True
    ),
    "bengali": _Style(("Atkinson Hyperlegible", "Noto Sans Bengali", "Noto Sans"), "1.7"),
    "gurmukhi": _Style(("Atkinson Hyperlegible", "Noto Sans Gurmukhi", "Noto Sans"), "1.7"),
    "chinese": _Style(("Atkinson Hyperlegible", "Noto Sans CJK SC", "Noto Sans"), "1.7"),
}


def _style(language: str) -> _Style | None:
    """The style for a BCP 47 tag, or None where the English one serves. Urdu, and Punjabi
    in Shahmukhi (pa-Arab), are set like Arabic; any Chinese in the SC face (Traditional
    Chinese would want the TC face, which is not bundled)."""
    parts = language.replace("_", "-").lower().split("-")
    primary, subtags = parts[0], set(parts[1:])
    if primary in ("cy", "uk"):
        return _STYLES["latin-noto"]
    if primary in ("ar", "ur") or (primary == "pa" and "arab" in subtags):
        return _STYLES["arabic"]
    if primary == "bn":
        return _STYLES["bengali"]
    if primary == "pa":
        return _STYLES["gurmukhi"]
    if primary == "zh":
        return _STYLES["chinese"]
    return None


def language_css(language: str) -> str:
    """CSS for a page in `language` (a BCP 47 tag): the font stack for the text and the page's
    margin boxes, and the line height its script needs. "" where the English styles serve
    (en-GB, and Polish and Romanian, which Atkinson Hyperlegible covers), so those pages keep
    their bytes. The rules are !important so that they win wherever the page puts them."""
    style = _style(language)
    if style is None:
        return ""
    stack = ", ".join(f'"{family}"' for family in style.families) + ", sans-serif"
    family = f"font-family: {stack} !important;"
    lines = [f"html, body {{ {family} }}"]
    height = f" line-height: {style.line_height} !important;" if style.line_height else ""
    if height:
        lines.append(f"html, html * {{{height} }}")
    if style.joined:
        lines.append("html, html * { letter-spacing: normal !important; }")
    lines.append(
        f"@page {{ @bottom-left {{ {family}{height} }} @bottom-right {{ {family}{height} }} "
        f"@top-center {{ {family} }} }}"
    )
    return "\n".join(lines) + "\n"


def font_face_css(
    inline: bool = False, text: str | None = None, language: str | None = None
) -> str:
    """@font-face rules for the bundled faces.

    For print (`inline` false): every installed family as file: URLs, for the PDF stage to
    parse once per process (its guarded fetcher must allow every `Fonts.files_dir`); only
    the Chinese collection is left to fontconfig (see the module's notes).

    For a self-contained page (`inline`: the approval pack, the editor), the files as data:
    URLs (leaflet web pages use `web_faces` instead), and given the page's
    `text`, only what it needs: the Latin fallback family only for characters the main one
    lacks (Noto Sans is 4.4 MB, about 5.8 MB more in every inlined page) or when the
    `language` (BCP 47) sets its text in it; another script's family only when the text has
    its characters, and cut down to those (a Chinese page would otherwise inline 40 MB).
    """
    if not inline:
        return _print_font_face_css()
    style = _style(language) if language else None
    latin_first = style is not None and style.families[0] == _LATIN[1]
    families = LATIN_FAMILIES if text is None or latin_first or _fallback_needed(text) else 1
    css = _font_face_css(True, families)
    if text is None or text.isascii():
        return css
    rules = [
        _face_rule(fonts.family, face, True, _subset_data_url(face.file, face.index, chars))
        for fonts, chars in _script_subsets(text, style)
        for face in fonts.faces
    ]
    return "\n".join((css, *rules))


@functools.cache
def _print_font_face_css() -> str:
    # A script family's rules say which characters it is for, as fontconfig does (see
    # `_limits`): WeasyPrint gives its copy of the font exactly that character set.
    return "\n".join(
        _face_rule(fonts.family, face, False, unicode_range=_unicode_range(_family_cmap(fonts)))
        if fonts.ranges
        else _face_rule(fonts.family, face, False)
        for fonts in bundled_fonts()
        if fonts.installed and not fonts.collection
        for face in fonts.faces
    )


def _unicode_range(points: frozenset[int]) -> str:
    """Code points as a CSS unicode-range: "U+964-965, U+980-983, U+985"."""
    runs: list[list[int]] = []
    for point in sorted(points):
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return ", ".join(f"U+{low:X}" if low == high else f"U+{low:X}-{high:X}" for low, high in runs)


@functools.cache
def _font_face_css(inline: bool, families: int) -> str:
    return "\n".join(
        _face_rule(fonts.family, face, inline)
        for fonts in bundled_fonts()[:families]
        for face in fonts.faces
    )


def _face_rule(
    family: str, face: Face, inline: bool, url: str = "", unicode_range: str = ""
) -> str:
    url = url or (_data_url(face.file) if inline else face.file.as_uri())
    # WeasyPrint 70 rejects a weight range (and logs it); with no weight it keeps the weights
    # fontconfig reads from the variable font, which is what the range means.
    weight = "" if face.variable and not inline else f"font-weight: {face.weight}; "
    characters = f"unicode-range: {unicode_range}; " if unicode_range else ""
    return (
        f'@font-face {{ font-family: "{family}"; {weight}font-style: {face.style}; '
        f'{characters}src: url("{url}"); }}'
    )


@functools.cache
def _data_url(path: Path) -> str:
    return f"data:font/ttf;base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _script_subsets(text: str, style: _Style | None) -> list[tuple[Fonts, str]]:
    """The installed script families a web page's text needs, each with the characters of the
    text it is there for (and see `_also_drawn`). A character two families have (the dandas
    of Bengali and Punjabi) goes to the one the language's `style` names, else to both."""
    latin = _coverage(LATIN_FAMILIES)
    wanted = {char for char in text if ord(char) not in latin and _drawn(char)}
    scripts = [fonts for fonts in bundled_fonts()[LATIN_FAMILIES:] if fonts.installed]
    chars: dict[str, set[str]] = {}
    for char in wanted:
        having = [fonts for fonts in scripts if ord(char) in _family_cmap(fonts)]
        named = [fonts for fonts in having if style is not None and fonts.family in style.families]
        for fonts in named or having:
            chars.setdefault(fonts.family, set()).add(char)
    # Each subset also keeps whatever else of the text its font has (spaces, digits, marks):
    # a shaper may keep a run of the script in one font across them.
    return [
        (fonts, "".join(sorted(chars[fonts.family] | _also_drawn(fonts, text))))
        for fonts in scripts
        if fonts.family in chars
    ]


def _also_drawn(fonts: Fonts, text: str) -> set[str]:
    face = fonts.faces[0]
    points = _cmap(face.file, face.index)
    return {char for char in set(text) if ord(char) in points}


@functools.lru_cache(maxsize=32)
def _subset_data_url(path: Path, index: int, chars: str) -> str:
    """One face cut down to `chars` (with every glyph its shaping rules can reach from them)
    with fontTools, as a data: URL: WOFF2 when brotli is installed (it comes with
    WeasyPrint's fonttools[woff]), else the bare font."""
    data = _subset_bytes(path, index, frozenset(ord(char) for char in chars))
    return f"data:{_font_type(data)};base64,{base64.b64encode(data).decode('ascii')}"


def _font_type(data: bytes) -> str:
    if data[:4] == b"wOF2":
        return "font/woff2"
    return "font/otf" if data[:4] == b"OTTO" else "font/ttf"


#: Bumped when the subsetting below changes, so cached subsets made the old way are not used.
_SUBSET_RECIPE = "2"


@functools.lru_cache(maxsize=64)
def _subset_bytes(path: Path, index: int, points: frozenset[int]) -> bytes:
    """One face cut down to the characters `points` with fontTools: WOFF2 when brotli is
    installed, else the bare font. The same input always gives the same bytes (no
    timestamps), which the web pages' asset names rely on.

    Cut once per process, and kept in the user's cache folder between processes (named by the
    font file's checksum, the characters, fontTools' version and the recipe): cutting Noto
    Sans (4.4 MB, variable) down to Latin takes seconds, and every worker of every build
    would otherwise do it again."""
    from fontTools import version as fonttools_version  # noqa: PLC0415

    key = "\n".join(
        (
            _file_sha256(path) or "missing",
            str(index),
            ",".join(f"{point:x}" for point in sorted(points)),
            fonttools_version,
            str(_has_brotli()),
            _SUBSET_RECIPE,
        )
    )
    name = f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.font"
    for home in _cache_folders():
        try:
            return (home / "web-fonts" / name).read_bytes()
        except OSError:
            continue
    data = _cut(path, index, points)
    for home in _cache_folders():
        try:
            _private_folder(home / "web-fonts")
            write_atomic(home / "web-fonts" / name, data)
            break
        except OSError:
            continue
    return data


def _cut(path: Path, index: int, points: frozenset[int]) -> bytes:
    from fontTools import subset  # noqa: PLC0415  (web pages only)
    from fontTools.ttLib import TTFont  # noqa: PLC0415

    options = subset.Options()
    options.layout_features = ["*"]  # every shaping feature: joins, conjuncts, Urdu forms
    options.notdef_outline = True
    options.hinting = False
    options.flavor = "woff2" if _has_brotli() else None
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(points))
    # No timestamps: the same page always gives the same bytes.
    with TTFont(path, fontNumber=index, recalcTimestamp=False) as font:
        subsetter.subset(font)
        if "fvar" in font and any(axis.axisTag == "wdth" for axis in font["fvar"].axes):
            # Noto Sans varies in width too, which no page uses: pinned at its default
            # (normal width, as browsers draw it), the files are 40 % smaller.
            from fontTools.varLib import instancer  # noqa: PLC0415

            font = instancer.instantiateVariableFont(font, {"wdth": None})
        font.flavor = options.flavor
        stream = io.BytesIO()
        font.save(stream)
    return stream.getvalue()


# ---- web fonts: files the web pages link to ----------------------------------------------------


@dataclass(frozen=True)
class WebFace:
    """One font file of the web pages: a face of a bundled family, cut down to a set of
    characters (WOFF2), with the CSS that declares it. `hint` names the file ("noto-sans-
    latin-ext.woff2"; its asset name adds the checksum); `unicode_range` tells a browser
    which characters it is for, so it fetches the file only when a page shows one of them."""

    family: str
    weight: str
    style: str
    hint: str
    data: bytes
    unicode_range: str = ""


#: Noto Sans is 2 MB a face (variable): the web pages get it in blocks of characters that do
#: not depend on any page's text, so a new word in a leaflet never renames a font file. Each
#: character of the font is in exactly one block (the first that has it; "other" takes the
#: rest), so no character it can show is ever missing. The blocks follow Google Fonts', but
#: "latin" also has Latin Extended-A, Romanian's ș ț and Welsh's ẁ ẃ ẅ ỳ: kerning works only
#: within one file, so a Welsh or Polish word is best drawn from one.
NOTO_BLOCKS: tuple[tuple[str, Ranges], ...] = (
    (
        "latin",
        (
            (0x0000, 0x017F),
            (0x0218, 0x021B),
            (0x1E80, 0x1E85),
            (0x1EF2, 0x1EF3),
            (0x0152, 0x0153),
            (0x02BB, 0x02BC),
            (0x02C6, 0x02C6),
            (0x02DA, 0x02DA),
            (0x02DC, 0x02DC),
            (0x2000, 0x206F),
            (0x2074, 0x2074),
            (0x20AC, 0x20AC),
            (0x2122, 0x2122),
            (0x2191, 0x2191),
            (0x2193, 0x2193),
            (0x2212, 0x2212),
            (0x2215, 0x2215),
            (0xFB00, 0xFB06),  # the ligatures ﬁ ﬂ: without them Chromium draws f+i apart
            (0xFEFF, 0xFEFF),
            (0xFFFD, 0xFFFD),
        ),
    ),
    (
        "latin-ext",
        (
            (0x0100, 0x024F),
            (0x0259, 0x0259),
            (0x0300, 0x036F),  # combining accents, as decomposed text has them
            (0x1E00, 0x1EFF),  # Welsh ẁ ẃ ẅ ỳ, Vietnamese
            (0x20A0, 0x20CF),
            (0x2113, 0x2113),
            (0x2C60, 0x2C7F),
            (0xA720, 0xA7FF),
        ),
    ),
    (
        "cyrillic",
        ((0x0400, 0x052F), (0x1C80, 0x1C8F), (0x2116, 0x2116), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
    ),
    ("greek", ((0x0370, 0x03FF), (0x1F00, 0x1FFF))),
)


def web_faces(text: str, language: str | None = None) -> list[WebFace]:
    """The font files a web page showing `text` in `language` (BCP 47) links to.

    - Atkinson Hyperlegible, all four faces, each whole (342 characters, 15 KB): every page
      has Latin text, and a browser fetches only the faces it draws with.
    - Noto Sans in the blocks of `NOTO_BLOCKS` that the page needs: where the text has a
      character Atkinson Hyperlegible lacks, or, for a language set in Noto Sans (Welsh,
      Ukrainian), every block its text uses.
    - The other script's family that the language's font stack names (`language_css`),
      where the text needs it (`_script_subsets`), whole: Noto Sans Arabic, Bengali and
      Gurmukhi are 12 to 50 KB a weight, and the same file serves every page in that
      script. Chinese is the exception: the font has 44,000 characters (16 MB a weight), so
      each page gets the characters it shows that the font has, about 95 KB a weight for a
      leaflet, in files of its own. (Another language's name in a link, as "اردو" on an
      English page, is drawn as before: by the reader's own fonts, as no font-family of
      that page names the script's family.)
    """
    style = _style(language) if language else None
    points = {ord(char) for char in text if _drawn(char)}
    main, fallback = bundled_fonts()[:LATIN_FAMILIES]
    faces = [
        _web_face(main, face, _cmap(face.file), _face_hint(main.family, face))
        for face in main.faces
    ]
    latin_first = style is not None and style.families[0] == _LATIN[1]
    needs = points if latin_first else {p for p in points if p not in _coverage(1)}
    if needs and not latin_first:
        scripts = bundled_fonts()[LATIN_FAMILIES:]
        if any(any(fonts.owns(p) for fonts in scripts) for p in needs):
            needs -= frozenset().union(*(_family_cmap(fonts) for fonts in scripts))
    for block, block_points in _noto_blocks(fallback):
        if (latin_first and block == "latin") or needs & block_points:
            faces += [
                _web_face(
                    fallback,
                    face,
                    block_points,
                    _face_hint(fallback.family, face, block),
                    _unicode_range(block_points),
                )
                for face in fallback.faces
            ]
    if not text.isascii() and style is not None:
        for fonts, chars in _script_subsets(text, style):
            if fonts.family not in style.families:
                continue  # no font-family of the page names it: a browser would never use it
            for face in fonts.faces:
                cut = (
                    frozenset(ord(char) for char in chars)
                    if fonts.collection
                    else _cmap(face.file, face.index)
                )
                faces.append(_web_face(fonts, face, cut, _face_hint(fonts.family, face)))
    return faces


def _web_face(
    fonts: Fonts, face: Face, points: frozenset[int], hint: str, unicode_range: str = ""
) -> WebFace:
    data = _subset_bytes(face.file, face.index, points)
    suffix = {"font/woff2": ".woff2", "font/otf": ".otf"}.get(_font_type(data), ".ttf")
    return WebFace(fonts.family, face.weight, face.style, hint + suffix, data, unicode_range)


def _face_hint(family: str, face: Face, block: str = "") -> str:
    """A font file's readable name: family, weight and style, and block of characters."""
    weight = "" if face.variable or face.weight == "normal" else face.weight
    style = "" if face.style == "normal" else face.style
    parts = [family.lower().replace(" ", "-"), weight, style, block]
    if not (weight or style or face.variable):
        parts[1] = "regular"
    return "-".join(part for part in parts if part)


@functools.cache
def _noto_blocks(fonts: Fonts) -> tuple[tuple[str, frozenset[int]], ...]:
    """The fallback family's characters in `NOTO_BLOCKS`, and "other" for the rest."""
    left = set(_family_cmap(fonts))
    blocks = []
    for name, ranges in NOTO_BLOCKS:
        points = frozenset(p for p in left if any(low <= p <= high for low, high in ranges))
        left -= points
        blocks.append((name, points))
    blocks.append(("other", frozenset(left)))
    return tuple((name, points) for name, points in blocks if points)


def web_face_css(faces: list[WebFace], url: Callable[[WebFace], str]) -> str:
    """@font-face rules for a web page's font files, each found at `url(face)`: a file in
    the assets folder, or a data: URL in a self-contained page."""
    rules = []
    for face in faces:
        characters = f"unicode-range: {face.unicode_range}; " if face.unicode_range else ""
        kind = _font_type(face.data).removeprefix("font/")
        kind = "opentype" if kind == "otf" else "truetype" if kind == "ttf" else kind
        rules.append(
            f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
            f"font-style: {face.style}; {characters}"
            f'src: url("{url(face)}") format("{kind}"); }}'
        )
    return "\n".join(rules)


@functools.cache
def _has_brotli() -> bool:
    try:
        import brotli  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


# ---- fontconfig -------------------------------------------------------------------------------


def fontconfig_xml(
    folders: list[Path],
    cache: Path,
    rejected: list[tuple[Path, int]] | None = None,
    limited: list[tuple[Path, Ranges]] | None = None,
) -> str:
    """A fontconfig configuration listing only `folders` and caching in `cache`. It includes
    nothing: no system fonts, no aliases, no user configuration. The `rejected` faces (file,
    index: a collection's other faces) are hidden, and each `limited` file offers only the
    characters of its ranges (applied when fontconfig scans it, so kept in its cache)."""
    dirs = "".join(f"  <dir>{escape(str(folder))}</dir>\n" for folder in folders)
    patterns = "".join(
        f'      <pattern><patelt name="file"><string>{escape(str(file))}</string></patelt>'
        f'<patelt name="index"><int>{index}</int></patelt></pattern>\n'
        for file, index in rejected or ()
    )
    select = (
        f"  <selectfont>\n    <rejectfont>\n{patterns}    </rejectfont>\n  </selectfont>\n"
        if patterns
        else ""
    )
    matches = "".join(
        '  <match target="scan">\n'
        f'    <test name="file"><string>{escape(str(file))}</string></test>\n'
        '    <edit name="charset" mode="assign"><minus><name>charset</name><charset>'
        + "".join(
            f"<range><int>{low}</int><int>{high}</int></range>" for low, high in _outside(ranges)
        )
        + "</charset></minus></edit>\n  </match>\n"
        for file, ranges in limited or ()
    )
    return (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<!-- Written by build_leaflets: only the bundled fonts, so that PDFs never depend on "
        "the machine's fonts. -->\n"
        "<fontconfig>\n"
        f"{dirs}"
        f"  <cachedir>{escape(str(cache))}</cachedir>\n"
        f"{select}"
        f"{matches}"
        "</fontconfig>\n"
    )


def _outside(ranges: Ranges) -> Ranges:
    """Every code point not in `ranges`, as ranges."""
    gaps, start = [], 0
    for low, high in sorted(ranges):
        if low > start:
            gaps.append((start, low - 1))
        start = max(start, high + 1)
    if start <= 0x10FFFF:
        gaps.append((start, 0x10FFFF))
    return tuple(gaps)


def use_project_fontconfig() -> Path:
    """Make fontconfig see only the bundled fonts; return the configuration file it will read.

    Call it before WeasyPrint makes a FontConfiguration: each one reloads the configuration
    FONTCONFIG_FILE names at that moment, so a process (or forked worker) that made one
    earlier only has to make a new one. Best call it before importing WeasyPrint too, whose
    import loads the configuration once to check it has fonts (scanning the system's).
    The file lives in the user's cache folder, named by a hash of its text and written
    atomically, so parallel workers and other virtual environments never disturb each other.
    The pip packages' folders hold their fonts only and are listed as they are; the Debian
    files share folders with hundreds of others, so they are listed through a folder of links
    to exactly those files, beside the configuration (see `_debian_links`).
    """
    folders = sorted(
        {face.file.parent for fonts in bundled_fonts() if not fonts.package for face in fonts.faces}
    )
    error: OSError | None = None
    for home in _cache_folders():
        try:
            links = _debian_links(home)
            listed = [*folders, links] if links else folders
            rejected = _other_faces(links) if links else []
            text = fontconfig_xml(listed, home / "fontconfig", rejected, _limits(links))
            path = home / f"fonts-{_short_hash(text)}.conf"
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


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _debian_links(home: Path) -> Path | None:
    """A folder of symbolic links to the installed Debian font files, and nothing else, or
    None when none is installed. It is named by the files' paths, sizes, times and inodes:
    fontconfig trusts its cache of a folder while the folder is unchanged, so a replaced font
    file gets a new folder (and a fresh scan) instead of a stale cache entry."""
    files = [
        face.file
        for fonts in bundled_fonts()
        if fonts.package
        for face in fonts.faces
        if face.file.is_file()
    ]
    if not files:
        return None
    stats = [(path, path.stat()) for path in files]
    key = "".join(f"{p}\t{s.st_size}\t{s.st_mtime_ns}\t{s.st_ino}\n" for p, s in stats)
    # ... and by the scripts they are limited to, which their cache entries hold.
    key += repr([(fonts.family, fonts.ranges) for fonts in bundled_fonts() if fonts.package])
    folder = home / f"links-{_short_hash(key)}"
    wanted = {path.name: path for path in files}
    if _links_are(folder, wanted):
        return folder
    _private_folder(home)
    building = Path(tempfile.mkdtemp(dir=home, prefix=".links-"))
    try:
        for name, target in wanted.items():
            (building / name).symlink_to(target)
        try:
            building.rename(folder)
        except OSError:
            if not _links_are(folder, wanted):  # not another process's identical folder
                shutil.rmtree(folder, ignore_errors=True)
                building.rename(folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def _limits(links: Path | None) -> list[tuple[Path, Ranges]]:
    """Each linked file with its family's script, the only characters fontconfig may take it
    for: the fallback for a character outside every stack (an arrow, a check mark) finds no
    font, as `check` says, rather than the Chinese font, which has thousands of symbols."""
    if links is None:
        return []
    return [
        (links / face.file.name, fonts.ranges)
        for fonts in bundled_fonts()
        if fonts.package
        for face in fonts.faces
        if (links / face.file.name).exists()
    ]


def _other_faces(links: Path) -> list[tuple[Path, int]]:
    """The faces of the linked collections that no family uses (Noto Sans CJK JP, KR, TC,
    HK and the Mono ones): hidden, so fontconfig's fallback can only reach the SC face."""
    used = {
        (face.file.name, face.index)
        for fonts in bundled_fonts()
        if fonts.package and fonts.collection
        for face in fonts.faces
    }
    return [
        (links / name, index)
        for name in sorted({name for name, _ in used})
        if (links / name).is_file()
        for index in range(_faces_in(links / name))
        if (name, index) not in used
    ]


def _faces_in(path: Path) -> int:
    """How many faces a font collection holds (its header's count)."""
    with path.open("rb") as stream:
        header = stream.read(12)
    if header[:4] != b"ttcf":
        return 1
    return int.from_bytes(header[8:12], "big")


def _links_are(folder: Path, wanted: dict[str, Path]) -> bool:
    try:
        found = {entry.name: entry.readlink() for entry in folder.iterdir()}
    except OSError:
        return False
    return found == wanted


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


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if hasattr(os, "getuid") and folder.stat().st_uid != os.getuid():
        raise PermissionError(f"{folder} belongs to another user")


def _write_once(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeError):
        pass
    _private_folder(path.parent)
    write_atomic(path, text.encode("utf-8"))  # nobody ever reads half a file


# ---- coverage ---------------------------------------------------------------------------------


@functools.cache
def _cmap(path: Path, index: int = 0) -> frozenset[int]:
    """The code points one font file has glyphs for (its cmap, read once)."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415  (only for text beyond ASCII)

    with TTFont(path, lazy=True, fontNumber=index) as font:
        return frozenset(font.getBestCmap())


@functools.cache
def _family_cmap(fonts: Fonts) -> frozenset[int]:
    """The code points a family can show: for a Latin family, those of any of its faces; for a
    script family, those of its script that both its regular and bold faces have (nothing if
    one is missing or unreadable)."""
    if not fonts.ranges:
        return frozenset().union(*(_cmap(face.file) for face in fonts.faces))
    from fontTools.ttLib import TTLibError  # noqa: PLC0415

    try:
        points = frozenset.intersection(*(_cmap(face.file, face.index) for face in fonts.faces))
    except (OSError, TTLibError):  # missing or damaged: `font_problems()` says which
        return frozenset()
    return frozenset(point for point in points if fonts.owns(point))


@functools.cache
def _coverage(families: int | None = None) -> frozenset[int]:
    """Every code point the first `families` bundled families (default: all) can show."""
    return frozenset().union(*(_family_cmap(fonts) for fonts in bundled_fonts()[:families]))


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
    has every printable ASCII character. Characters of a script whose Debian font is missing
    count as uncovered: `font_problems(text)` says what to install."""
    if text.isascii():
        return ""
    latin = _coverage(LATIN_FAMILIES)
    beyond = {char for char in text if ord(char) not in latin and _drawn(char)}
    if not beyond:
        return ""
    covered = _coverage()  # the other scripts' fonts are read only when text needs them
    return "".join(
        dict.fromkeys(char for char in text if char in beyond and ord(char) not in covered)
    )


def _fallback_needed(text: str) -> bool:
    """Whether a web page's text needs the Latin fallback family: for a character the main
    family lacks that no other script's family is there for (Welsh ŵ, Cyrillic; not the
    danda, which the Bengali and Punjabi families draw), or that no bundled font has (a page
    `check` would refuse, as before)."""
    if text.isascii():
        return False
    main = _coverage(1)
    beyond = {ord(char) for char in text if ord(char) not in main and _drawn(char)}
    scripts = bundled_fonts()[LATIN_FAMILIES:]
    if any(not any(fonts.owns(point) for fonts in scripts) for point in beyond):
        return True  # decided without reading the other scripts' fonts
    drawn_by_scripts = frozenset().union(*(_family_cmap(fonts) for fonts in scripts))
    return bool(beyond - drawn_by_scripts)
