"""Exchange: a leaflet's text out to a translation agency and back, as XLIFF 1.2 or gettext PO.

Agencies work in CAT tools (memoQ, Trados, Phrase, Weblate, Poedit), and those tools read and
write XLIFF and PO, not our YAML. This module is the pure middle of `build-leaflets
translate`: `export` turns `Unit`s (one per translatable field, named by its path in the YAML)
into the bytes of a file; `read` turns the file the agency sends back into `Imported` units, or
into `Problem`s a clinic administrator can act on. It never touches the disk and knows nothing
of leaflets beyond the units it is given; deciding which ids are known and whether the English
has changed since is the caller's business.

Both formats are written and read through translate-toolkit's storage classes, so the files
are what those tools expect (the toolkit is what Weblate and Pootle are built on). Markdown is
carried verbatim: newlines, blank lines, leading spaces and a trailing newline all survive a
round trip, because the file's line breaks are the leaflet's list items and paragraphs.

A file that comes back is untrusted input, and is screened before any parser sees it, as
`screen` screens leaflet YAML: a size limit, UTF-8 only, and no DOCTYPE in XLIFF (see
`_doctype_at` for why). Every problem is a `Problem`, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from lxml import etree
from translate.misc.xml_helpers import parse_xml
from translate.storage.poparser import PoParseError
from translate.storage.pypo import pofile, splitlines
from translate.storage.xliff import Xliff1Unit, xlifffile

from build_leaflets import screen
from build_leaflets.errors import Problem

Format = Literal["xliff", "po"]

#: The largest translation file `read` accepts. A leaflet's XLIFF is some tens of kilobytes,
#: so anything near this is the wrong file (or an attack); callers should read at most
#: `MAX_BYTES + 1` bytes, so that `read` can say how big the file was without reading it all.
MAX_BYTES = 5_000_000

_XLIFF_12 = "urn:oasis:names:tc:xliff:document:1.2"
#: Who wrote a note: tools show it beside the note, and it tells our notes from translators'.
_TOOL = "build-leaflets"
#: PO: the line of the extracted comments that carries the hash (see `_export_po`).
_HASH_LABEL = "source hash: "
#: What a hash may look like; anything else in its place was mangled on the way.
_HASH = re.compile(r"[0-9A-Za-z]{1,64}")
#: Characters XML 1.0 cannot carry at all (not even as &#...;), so neither format gets them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: XLIFF 1.2 states that say the tool itself considers the translation unfinished.
_UNFINISHED = frozenset(
    {
        "new",
        "needs-translation",
        "needs-adaptation",
        "needs-l10n",
        "needs-review-translation",
        "needs-review-adaptation",
        "needs-review-l10n",
    }
)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_XML_ENCODING = re.compile(r"""\A<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_CHARSET = re.compile(r"charset\s*=\s*([^\s;]+)", re.IGNORECASE)
_LIBXML_PLACE = re.compile(r",? line \d+, column \d+$")


@dataclass(frozen=True)
class Unit:
    """One translatable field of a leaflet, as it goes out to the agency."""

    id: str  # the field's path in the YAML: "title", "what.body", "extra_sections.0.body"
    source: str  # the source-language text (Markdown for bodies), verbatim
    target: str  # the translation so far ("" when not yet translated)
    note: str = ""  # for the translator, e.g. "Markdown: keep the * and 1. at line starts"
    hash: str = ""  # the short hash of the source text this unit was made from
    review: bool = False  # the source changed since `target` was made: to be checked again


@dataclass(frozen=True)
class Imported:
    """One unit as the agency's file has it.

    `source` is the English *as found in the file* and `hash` the hash that travelled with it
    ("" if the tool dropped it), so the caller can tell a translation of an older English text
    from one of the current text. `fuzzy` is true when the file itself says the translation is
    unfinished (a PO `#, fuzzy` flag; an XLIFF state such as needs-review-translation), and
    `state` is the file's own word for that, for the caller's message. `line` is where the
    unit starts in the file (0 if unknown), for the caller's messages about unknown ids.
    """

    id: str
    target: str
    source: str
    hash: str
    fuzzy: bool = False
    state: str = ""
    line: int = 0


def format_of(path: Path) -> Format | None:
    """The exchange format a file name says, from its suffix, or None for anything else."""
    suffix = path.suffix.lower()
    if suffix in (".xlf", ".xliff"):
        return "xliff"
    if suffix == ".po":
        return "po"
    return None


# --- export -------------------------------------------------------------------------------


def export(
    units: Sequence[Unit],
    *,
    fmt: Format,
    source_language: str,
    target_language: str,
    original: str,
) -> bytes:
    """The bytes of an exchange file holding `units`, from `source_language` into
    `target_language` (BCP 47 tags such as en-GB, cy, ur, zh-Hans).

    `original` names what the file was made from (the leaflet's reference, say); it travels in
    the file (XLIFF `original`, PO `Project-Id-Version`) so that `read` can tell a file meant for
    another leaflet. The same arguments always give the same bytes: there is no date or
    version in the file, so exporting twice gives files that compare equal and diff cleanly.

    Raises ValueError for what no file could hold (a programming error, not a user's): an empty
    or repeated id, an empty source, a character XML cannot carry, a hash with spaces, a
    language that is not a tag, an `original` with a line break.
    """
    _check_units(units)
    for tag in (source_language, target_language):
        if not _LANGUAGE.fullmatch(tag):
            raise ValueError(f"{tag!r} is not a language tag like en-GB, cy or zh-Hans")
    if not original or not original.isprintable():
        raise ValueError(f"{original!r} cannot name the file's original")
    if fmt == "xliff":
        return _export_xliff(units, source_language, target_language, original)
    if fmt == "po":
        return _export_po(units, source_language, target_language, original)
    raise ValueError(f"unknown exchange format {fmt!r}")


def _check_units(units: Sequence[Unit]) -> None:
    seen: set[str] = set()
    for unit in units:
        if not unit.id or unit.id != unit.id.strip() or _NOT_XML.search(unit.id):
            raise ValueError(f"unit id {unit.id!r} cannot name a unit")
        if unit.id in seen:
            raise ValueError(f"unit id {unit.id!r} is given twice")
        seen.add(unit.id)
        if not unit.source:
            raise ValueError(f"unit {unit.id!r} has no source text")
        if unit.hash and not _HASH.fullmatch(unit.hash):
            raise ValueError(f"unit {unit.id!r} has a hash of letters and digits only")
        for name in ("source", "target", "note"):
            found = _NOT_XML.search(getattr(unit, name))
            if found is not None:
                raise ValueError(
                    f"unit {unit.id!r}: {name} holds U+{ord(found[0]):04X}, which XML cannot carry"
                )


class _Unit12(Xliff1Unit):
    """A trans-unit made in the XLIFF 1.2 namespace (the toolkit's default is 1.1)."""

    namespace = _XLIFF_12


class _Xliff12(xlifffile[_Unit12]):  # type: ignore[misc]
    """translate-toolkit's XLIFF store, writing XLIFF 1.2.

    Why 1.2 and not 2.0: 1.2 is the version every CAT tool reads and writes back (memoQ,
    Trados Studio, Phrase, Weblate, Okapi-based tools) and what agencies ask for; 2.0 is not
    a revision of it but a different format, whose support still varies from tool to tool
    (and whose store in translate-toolkit is newer and less used). The toolkit writes 1.1 by
    default; 1.2 differs only in its namespace and version attribute, so the skeleton and
    the unit class are all that change here.
    """

    UnitClass = _Unit12
    namespace = _XLIFF_12
    XMLskeleton = f"""<?xml version="1.0" ?>
<xliff version='1.2' xmlns='{_XLIFF_12}'>
<file original='NoName' source-language='en' datatype='plaintext'>
<body>
</body>
</file>
</xliff>"""


def _export_xliff(
    units: Sequence[Unit], source_language: str, target_language: str, original: str
) -> bytes:
    """One <trans-unit> per unit; what each part carries, and why there:

    - `id` and `resname` are the unit's id: `id` is what comes back, `resname` is what tools
      show translators as the string's key (and use for context matches);
    - `xml:space="preserve"` on the trans-unit, the place XLIFF 1.2 defines for it, so the
      source and target it holds keep every space and newline of the Markdown;
    - `<target state=...>`: "translated" for a translation already made, "needs-translation"
      for an empty one, so tools count the work correctly. No `approved="yes"`: that would lock
      the segment in some tools, and a re-sent translation may need revising;
    - `<note from="build-leaflets">`: the note for the translator, shown beside the segment;
    - `extradata`: the source hash. XLIFF 1.2 defines it for "data generated by and needed for
      tool processing", so it is valid and hidden from translators; tools that write the
      targets back into the file they were given keep it with the rest of the file (as
      translate-toolkit does). Where one does not, `read` finds no hash and the caller still
      has the source text as the file has it to compare.
    """
    store = _Xliff12(sourcelanguage=source_language, targetlanguage=target_language)
    store.switchfile(original, createifmissing=True)
    for unit in units:
        made = store.UnitClass(unit.source)
        made.setid(unit.id)
        store.addunit(made)
        made.settarget(unit.target)
        element = made.xmlelement
        element.attrib.pop("approved", None)
        element.set("resname", unit.id)
        if unit.hash:
            element.set("extradata", unit.hash)
        state = "translated" if unit.target else "needs-translation"
        if unit.target and unit.review:
            state = "needs-review-translation"  # comes back fuzzy unless the translator acts
        made.target_dom.set("state", state)
        if unit.note:
            made.addnote(unit.note, origin=_TOOL)
    return bytes(store)


def _export_po(
    units: Sequence[Unit], source_language: str, target_language: str, original: str
) -> bytes:
    """One entry per unit; what each part carries, and why there:

    - `msgctxt` is the unit's id, so two fields with the same English stay two entries;
    - `msgid` the source and `msgstr` the translation, escaped and wrapped by the toolkit as
      gettext does (the wrapping is only in the file: the text itself is kept whole);
    - the note goes in extracted comments (`#.`): those are the notes *to* translators, which
      Poedit shows as "Notes for translators" and Weblate as the string's explanation.
      (Translator comments, `# `, are the translator's own and tools let them edit them.)
    - the hash goes in a last extracted-comment line, `#. source hash: ...`, not in a flag:
      gettext's own tools keep only the flags they know (fuzzy, the format flags), while
      extracted comments are kept by every tool, Babel's rewrapping included (each comment
      line is wrapped on its own, and this one is short).

    The header names the language in gettext's form (cy, ur, zh_Hans), UTF-8, and no dates
    (tools fill in PO-Revision-Date when a translator saves), so output is deterministic.
    """
    store: Any = pofile()  # the toolkit is partly typed: its stores are Any here
    store.init_headers(
        project_id_version=original,
        pot_creation_date="",
        po_revision_date="YEAR-MO-DA HO:MI+ZONE",
        last_translator="FULL NAME <EMAIL@ADDRESS>",
        language_team="LANGUAGE <LL@li.org>",
        Language=target_language.replace("-", "_"),
        X_Source_Language=source_language,
        X_Generator=_TOOL,
    )
    # The toolkit's defaults put a creation date and an empty bug address in every header.
    store.updateheader(POT_Creation_Date=None, Report_Msgid_Bugs_To=None)
    for unit in units:
        entry = store.UnitClass(unit.source)
        entry.setcontext(unit.id)
        entry.target = unit.target
        if unit.target and unit.review:
            entry.markfuzzy(True)  # the source changed: checked again before it counts
        if unit.note:
            entry.addnote(unit.note, origin="developer")
        if unit.hash:
            entry.addnote(_HASH_LABEL + unit.hash, origin="developer")
        store.addunit(entry)
    return bytes(store)


# --- read ---------------------------------------------------------------------------------


def read(
    data: bytes,
    *,
    fmt: Format,
    display: str,
    source_language: str,
    target_language: str,
    original: str | None = None,
) -> tuple[dict[str, Imported], list[Problem]]:
    """The units of an exchange file, by id, and every problem found in it (each a `Problem`
    naming `display`, the file as the user knows it).

    Refused outright (nothing returned but the problem): a file over `MAX_BYTES`, one that is
    not UTF-8, malformed XML or PO (with the line), an XLIFF DOCTYPE, a file into another
    language than `target_language` or from another than `source_language` (tags compared
    without regard to case or -/_ and with a missing region or script matching any: cy
    matches cy-GB, but zh-Hans does not match zh-Hant), and, when `original` is given, a file
    made for something else. Reported per unit, the others still returned: a repeated id (the
    first one counts), a unit without an id, a translation holding a control character.
    Units whose id the caller does not know, and fuzzy ones, are the caller's to refuse.
    """
    if len(data) > MAX_BYTES:
        return {}, [
            Problem(
                display,
                0,
                0,
                "",
                f"is {len(data):,} bytes; a translation file may be at most {MAX_BYTES:,} "
                "bytes (a leaflet's is well under 100 KB): is this the right file?",
            )
        ]
    text = _decode(data, display)
    if isinstance(text, Problem):
        return {}, [text]
    if fmt == "xliff":
        found, problems = _read_xliff(text, display, source_language, target_language, original)
    elif fmt == "po":
        found, problems = _read_po(text, display, source_language, target_language, original)
    else:
        raise ValueError(f"unknown exchange format {fmt!r}")
    units, unit_problems = _by_id(found, display)
    return units, problems + unit_problems


def _decode(data: bytes, display: str) -> str | Problem:
    """The file as text, refused as `screen.decode` refuses a leaflet (not UTF-8, control
    characters), with UTF-16 named: Windows tools offer it, and then every byte is wrong."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Problem(display, 0, 0, "", "is saved as UTF-16; export or save it again as UTF-8")
    text = screen.decode(data)
    if isinstance(text, screen.Refusal):
        return Problem(display, text.line, text.column, text.field, text.message)
    return text


def _by_id(found: Iterable[Imported], display: str) -> tuple[dict[str, Imported], list[Problem]]:
    units: dict[str, Imported] = {}
    problems = []
    for unit in found:
        first = units.get(unit.id)
        if first is not None:
            where = f" (first on line {first.line})" if first.line else ""
            problems.append(
                Problem(
                    display,
                    unit.line,
                    0,
                    unit.id,
                    f"appears twice{where}; each field may be translated once: delete one",
                )
            )
            continue
        control = screen.control_in(unit.target)
        if control is not None:
            problems.append(
                Problem(
                    display,
                    unit.line,
                    0,
                    unit.id,
                    f"the translation contains {screen.describe_control(control)}; delete it",
                )
            )
        units[unit.id] = unit
    return units, problems


def _language_problem(
    display: str,
    line: int,
    field: str,
    found: str | None,
    expected: str,
    side: Literal["source", "target"],
) -> Problem | None:
    if not found:
        return Problem(
            display,
            line,
            0,
            field,
            f"is missing, so the file does not say its {side} language; it should be "
            f"{expected!r}: add it, or export the file again",
        )
    if _same_language(found, expected):
        return None
    return Problem(
        display,
        line,
        0,
        field,
        f"is {found!r}, but this translation is {'from' if side == 'source' else 'into'} "
        f"{expected!r}; check that this is the right file",
    )


def _same_language(found: str, expected: str) -> bool:
    """Whether two language tags name the same language as far as both say: cy and cy-GB
    (or cy_GB, as gettext writes it) do; zh-Hans and zh-Hant, or cy and en, do not."""
    a = found.strip().replace("_", "-").lower().split("-")
    b = expected.strip().replace("_", "-").lower().split("-")
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


# --- reading XLIFF ------------------------------------------------------------------------


def _read_xliff(
    text: str,
    display: str,
    source_language: str,
    target_language: str,
    original: str | None,
) -> tuple[list[Imported], list[Problem]]:
    refused = _xliff_refusal(text, display)
    if refused is not None:
        return [], [refused]
    data = text.encode("utf-8")
    try:
        # The toolkit's parser (resolve_entities=False, no_network=True); parsed here first
        # to check the structure the toolkit's store assumes (it asserts, or runs off the end
        # of an iterator, where a file lacks it).
        root = parse_xml(data)
    except etree.XMLSyntaxError as error:
        line, column = error.position
        message = _LIBXML_PLACE.sub("", str(error.msg))
        if message.startswith("Excessive depth"):
            message = "elements are nested too deep"
        return [], [
            Problem(
                display,
                line,
                column,
                "",
                f"is not well-formed XML: {message}; was it cut short or edited by hand? "
                "Export it again from the translation tool",
            )
        ]
    problems = _xliff_structure(root, display)
    if problems:
        return [], problems
    for node in root.iterchildren(_in(root, "file")):
        sides: tuple[tuple[Literal["source", "target"], str], ...] = (
            ("source", source_language),
            ("target", target_language),
        )
        for side, expected in sides:
            field = f"{side}-language"
            problem = _language_problem(
                display, node.sourceline or 0, field, node.get(field), expected, side
            )
            if problem is not None:
                problems.append(problem)
        if original is not None and node.get("original") != original:
            problems.append(
                Problem(
                    display,
                    node.sourceline or 0,
                    0,
                    "original",
                    f"is {node.get('original')!r}, but the file being imported must be for "
                    f"{original!r}; check that this is the right file",
                )
            )
    if problems:
        return [], problems
    store: Any = xlifffile.parsestring(data)  # type: ignore[no-untyped-call]
    found = [_xliff_unit(unit) for unit in store.units]
    return [unit for unit in found if unit.id], _missing_ids(store, display)


def _xliff_refusal(text: str, display: str) -> Problem | None:
    """A DOCTYPE, or an encoding other than UTF-8 declared, refused before parsing."""
    at = _doctype_at(text)
    if at is not None:
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        return Problem(
            display,
            line,
            column,
            "",
            "has a DOCTYPE (<!DOCTYPE ...>), which XLIFF never needs and which can make a "
            "reader fetch other files or expand a few lines into gigabytes; delete it, or "
            "export the file again from the translation tool",
        )
    declared = _XML_ENCODING.match(text)
    if declared is not None and declared[1].lower() not in _UTF8_NAMES:
        return Problem(
            display,
            1,
            0,
            "",
            f"declares encoding {declared[1]!r}; export or save it as UTF-8",
        )
    return None


def _doctype_at(text: str) -> int | None:
    """Where a DOCTYPE starts, if the file has one.

    A DOCTYPE can only stand in the prolog, before the root element, among the XML
    declaration, processing instructions, comments and white space, so this walks exactly
    those and stops at the first thing that is not one of them: it cannot be fooled by
    "<!DOCTYPE" inside text, and it runs in time proportional to the prolog.

    Why refuse rather than trust the parser: translate-toolkit parses with lxml set to
    resolve_entities=False and no_network=True, which stops external entities (an entity
    with a SYSTEM file path is left unexpanded, so its text silently disappears) and libxml2
    refuses a billion-laughs file for its amplification; but an *internal* entity is still
    expanded when the toolkit reads the text through XPath, so `&x;` in a target would become
    whatever the DOCTYPE says. An XLIFF file never needs any of this; refusing it is simpler
    and safer than reasoning about which parser setting covers which attack.
    """
    at = 0
    size = len(text)
    while at < size:
        if text[at] in " \t\r\n":
            at += 1
        elif text.startswith("<?", at):
            end = text.find("?>", at + 2)
            if end < 0:
                return None
            at = end + 2
        elif text.startswith("<!--", at):
            end = text.find("-->", at + 4)
            if end < 0:
                return None
            at = end + 3
        elif text.startswith("<!DOCTYPE", at):
            return at
        else:
            return None
    return None


def _xliff_structure(root: etree._Element, display: str) -> list[Problem]:
    """What the toolkit's store takes for granted: an <xliff> root, version 1.x, a <file>."""
    name = etree.QName(root).localname
    if name != "xliff":
        return [
            Problem(
                display,
                root.sourceline or 1,
                0,
                "",
                f"is not an XLIFF file (it is XML whose root element is <{name}>); export "
                "the translation as XLIFF 1.2",
            )
        ]
    version = root.get("version", "")
    if version.startswith("2") or ":2." in (etree.QName(root).namespace or ""):
        return [
            Problem(
                display,
                root.sourceline or 1,
                0,
                "",
                f"is XLIFF {version or '2'}; export the translation as XLIFF 1.2, the version "
                "it was sent out in",
            )
        ]
    if next(root.iterchildren(_in(root, "file")), None) is None:
        return [
            Problem(
                display,
                root.sourceline or 1,
                0,
                "",
                "has no <file> element, so no units; export the translation again",
            )
        ]
    return []


def _in(root: etree._Element, name: str) -> str:
    """`name` in the root's namespace (1.2, 1.1, or none in a careless file), as lxml
    spells it."""
    namespace = etree.QName(root).namespace
    return f"{{{namespace}}}{name}" if namespace else name


def _lf(text: str) -> str:
    """Line breaks as the leaflet writes them: a Windows tool's CR LF (or a lone CR) is LF.
    (YAML, which the leaflet comes from, normalises them so too.)"""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _xliff_unit(unit: Any) -> Imported:
    """A trans-unit as `Imported`.

    Text is read as if xml:space="preserve" even where a tool dropped the attribute (an
    explicit "default" is still obeyed): it is Markdown, where a newline is a list item. The
    text of inline elements is kept too, so a target split into <mrk mtype="seg"> segments by
    a tool comes back whole.
    """
    element = unit.xmlelement
    source = unit.getNodeText(unit.source_dom, "preserve") or ""
    target_node = unit.target_dom
    target = unit.getNodeText(target_node, "preserve") or ""
    state = (target_node.get("state") or "") if target_node is not None else ""
    extradata = (element.get("extradata") or "").strip()
    return Imported(
        id=element.get("id") or "",
        target=_lf(target),
        source=_lf(source),
        hash=extradata if _HASH.fullmatch(extradata) else "",
        fuzzy=bool(target) and state in _UNFINISHED,
        state=state,
        line=element.sourceline or 0,
    )


def _missing_ids(store: Any, display: str) -> list[Problem]:
    return [
        Problem(
            display,
            unit.xmlelement.sourceline or 0,
            0,
            "id",
            "a <trans-unit> has no id, so its field is unknown; export the file again",
        )
        for unit in store.units
        if not unit.xmlelement.get("id")
    ]


# --- reading PO ---------------------------------------------------------------------------


def _read_po(
    text: str,
    display: str,
    source_language: str,
    target_language: str,
    original: str | None,
) -> tuple[list[Imported], list[Problem]]:
    data = text.encode("utf-8")
    refused = _po_refusal(data, display)
    if refused is not None:
        return [], [refused]
    try:
        store: Any = pofile(BytesIO(data))
    except PoParseError as error:
        line = error.parse_state.lineno
        near = error.parse_state.next_line.strip()[:40]
        what = (
            "a string runs past the end of its line"
            if "end-of-line" in str(error)
            else "this line is not PO"
        )
        return [], [
            Problem(
                display,
                line,
                0,
                "",
                f"is not a valid PO file: {what} ({near!r}); was it cut short or edited by "
                "hand? Save it again from the translation tool",
            )
        ]
    problems = _po_header_problems(store, data, display, source_language, target_language, original)
    if problems:
        return [], problems
    found = []
    for entry in store.unit_iter():
        line = entry.line_number or 0
        if entry.hasplural():
            problems.append(
                Problem(
                    display,
                    line,
                    0,
                    entry.getcontext(),
                    "has plural forms (msgid_plural), which leaflet text never has; "
                    "export the file again",
                )
            )
            continue
        if not entry.getcontext():
            problems.append(
                Problem(
                    display,
                    line,
                    0,
                    "msgctxt",
                    "an entry has no msgctxt, which names the field it belongs to; keep "
                    "every entry's msgctxt as it was exported",
                )
            )
            continue
        found.append(_po_unit(entry, line))
    return found, problems


def _po_refusal(data: bytes, display: str) -> Problem | None:
    """What the toolkit's PO parser gets wrong, refused before it runs; the lines are split
    exactly as it splits them (on the line ending of the first msgid line).

    - A comment line indented by a space or tab: the parser strips the indent in one place and
      not in another, and an indented `#|` line after another `#|` line makes it loop forever
      (translate-toolkit 3.20.4). No tool indents comments, so nothing real is refused.
    - A msgid with no msgstr after it, which the parser silently drops: the mark of a file cut
      short (or an entry half-deleted), which must not pass as "not translated".
    """
    lines, _newline = splitlines(data)
    pending = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.decode("utf-8")
        bare = line.lstrip()
        if bare.startswith(("#", "|")) and bare != line:
            return Problem(
                display,
                number,
                0,
                "",
                "a comment line starts with spaces or tabs; delete them (a '#' line starts "
                "at the beginning of the line)",
            )
        if line.startswith("msgid ") and pending:
            break  # a new entry began before the last one had its msgstr
        if line.startswith("msgid "):
            pending = number
        elif line.startswith("msgstr"):
            pending = 0
    if not pending:
        return None
    return Problem(
        display,
        pending,
        0,
        "",
        "has a msgid with no msgstr after it; was the file cut short? Save it again from the "
        "translation tool",
    )


def _po_header_problems(
    store: Any,
    data: bytes,
    display: str,
    source_language: str,
    target_language: str,
    original: str | None,
) -> list[Problem]:
    header = store.parseheader()
    lines = data.splitlines()

    def line_of(key: str) -> int:
        """The line the header entry is written on (the header is at the top)."""
        quoted = f'"{key}:'.encode()
        return next((n for n, line in enumerate(lines[:200], 1) if line.startswith(quoted)), 1)

    problems = []
    charset = _CHARSET.search(header.get("Content-Type", ""))
    if charset is not None and charset[1].lower() not in _UTF8_NAMES:
        problems.append(
            Problem(
                display,
                line_of("Content-Type"),
                0,
                "Content-Type",
                f"says charset={charset[1]}; save the file as UTF-8 (charset=UTF-8)",
            )
        )
    problem = _language_problem(
        display, line_of("Language"), "Language", header.get("Language"), target_language, "target"
    )
    if problem is not None:
        problems.append(problem)
    found_source = header.get("X-Source-Language")
    if found_source:  # our own header: tools that rewrite headers (Babel) may drop it
        problem = _language_problem(
            display,
            line_of("X-Source-Language"),
            "X-Source-Language",
            found_source,
            source_language,
            "source",
        )
        if problem is not None:
            problems.append(problem)
    found_original = header.get("Project-Id-Version", "").strip()
    if original is not None and found_original != original:
        problems.append(
            Problem(
                display,
                line_of("Project-Id-Version"),
                0,
                "original",
                f"Project-Id-Version is {found_original!r}, but the file being imported must "
                f"be for {original!r}; check that this is the right file",
            )
        )
    return problems


def _po_unit(entry: Any, line: int) -> Imported:
    comments = entry.getnotes("developer").split("\n")
    hashes = [c.removeprefix(_HASH_LABEL).strip() for c in comments if c.startswith(_HASH_LABEL)]
    found_hash = hashes[-1] if hashes else ""
    fuzzy = bool(entry.isfuzzy())
    return Imported(
        id=entry.getcontext(),
        target=_lf(str(entry.target or "")),
        source=_lf(str(entry.source or "")),
        hash=found_hash if _HASH.fullmatch(found_hash) else "",
        fuzzy=fuzzy and bool(entry.target),
        state="fuzzy" if fuzzy else "",
        line=line,
    )
