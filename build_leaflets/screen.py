"""Screen: what a leaflet file may be before anything parses it, so any file gets a clean answer.

A leaflet is a small text file of plain YAML. Everything beyond that is refused here, with its
place, before the YAML parser builds anything: files that are not regular files (a FIFO would
hang the reader, a link to /dev/zero would fill memory), files over a size limit, bytes that
are not UTF-8, control characters, and the YAML features a leaflet has no use for but an
attacker does: anchors and aliases (a few hundred bytes of aliases expand to gigabytes), merge
keys, tags (`!!python/object`) and deep nesting (the C parser recurses, and crashes at a depth
of tens of thousands). The limits are documented in the README.
"""

from __future__ import annotations

import functools
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

#: The safe loader to screen and read leaflets with: libyaml's where PyYAML was built with it
#: (ten times faster on a large catalogue, with the same constructors and node marks), else
#: PyYAML's own.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The largest leaflet file accepted. The longest real leaflets are about 30 KB of YAML.
MAX_FILE_BYTES = 1_000_000
#: How deep mappings and lists may nest: a leaflet needs 3 (extra_sections, an item, its body).
MAX_DEPTH = 8
#: A plain number longer than this is not a version or a year (Python refuses to read integers
#: of more than 4,300 digits, so a longer one must be stopped before it is read).
MAX_NUMBER_DIGITS = 12

_NUMBER = re.compile(r"[-+]?[0-9][0-9_]*")
#: Control characters (Unicode category Cc) but the tab and those that end a line.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_ENCODINGS = (("Windows-1252", "cp1252"), ("ISO-8859-1 (Latin-1)", "latin-1"))


@dataclass(frozen=True)
class Refusal:
    """Why a file was refused, and where (line and column 1-based; 0 for the whole file)."""

    line: int
    column: int
    field: str
    message: str


def read_file(path: Path, root: Path) -> bytes | Refusal:
    """The bytes of a leaflet file, if it is a regular file of a sane size inside `root`."""
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
            return Refusal(0, 0, "", "is a link to a file outside the project; copy the file in")
        found = path.stat()
        if not stat.S_ISREG(found.st_mode):
            return Refusal(0, 0, "", "is not a regular file (a folder, device or pipe?)")
        if found.st_size > MAX_FILE_BYTES:
            return _too_big(found.st_size)
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return Refusal(0, 0, "", f"cannot read file: {error.strerror or error}")
    if len(data) > MAX_FILE_BYTES:
        return _too_big(len(data))
    return data


def check_size(data: bytes) -> bytes | Refusal:
    """Bytes that did not come from a file (a form's text) held to a file's limit."""
    return _too_big(len(data)) if len(data) > MAX_FILE_BYTES else data


def _too_big(size: int) -> Refusal:
    return Refusal(
        0,
        0,
        "",
        f"is {size:,} bytes; a leaflet file may be at most {MAX_FILE_BYTES:,} bytes "
        "(split it, or move long material to a linked web page)",
    )


def decode(data: bytes) -> str | Refusal:
    """The file as text: UTF-8, or the place of the first byte that is not, with a guess at
    what it is (Word and Excel on Windows save Windows-1252)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[start : error.start].decode("utf-8", "replace")) + 1
        guess = _guess(data)
        return Refusal(
            line,
            column,
            "",
            f"is not UTF-8 text (byte 0x{data[error.start]:02X}){guess}; save it as UTF-8",
        )
    text = text.removeprefix("\ufeff")  # a byte-order mark, as Notepad writes it
    found = _CONTROL.search(text)
    if found is not None:
        # The row the character is on, as `splitlines` counts rows: a marker stands in for it.
        rows = (text[: found.start()] + "x").splitlines()
        message = f"contains {describe_control(found[0])}; delete it"
        return Refusal(len(rows), len(rows[-1]), "", message)
    return text


def _guess(data: bytes) -> str:
    for name, codec in _ENCODINGS:
        try:
            decoded = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if not any(_is_control(char, allowed="\t\r\n") for char in decoded):
            return f": it looks like {name}"
    return ""


def _is_control(char: str, allowed: str) -> bool:
    return char not in allowed and unicodedata.category(char) == "Cc"


def describe_control(char: str) -> str:
    """A control character, named so a person can find it: 'a control character (U+001B)'."""
    names = {"\0": "a NUL byte", "\x1b": "an escape character", "\x7f": "a delete character"}
    name = names.get(char, "a control character")
    return f"{name} (U+{ord(char):04X}), which cannot be printed"


def control_in(text: str, allowed: str = "\n\t") -> str | None:
    """The first control character in a value (other than line breaks and tabs), if any:
    one regular expression over the value, not a test of every character (a catalogue has
    hundreds of thousands of them)."""
    if text.isprintable():
        return None
    found = _controls_except(allowed).search(text)
    return found[0] if found else None


@functools.cache
def _controls_except(allowed: str) -> re.Pattern[str]:
    """The control characters (Unicode category Cc: U+0000-001F, U+007F-009F) but `allowed`."""
    chars = [
        chr(point) for point in (*range(0x20), *range(0x7F, 0xA0)) if chr(point) not in allowed
    ]
    return re.compile("[" + re.escape("".join(chars)) + "]")


@dataclass
class _Frame:
    """One open mapping or list while the events are read: where in it we are."""

    mapping: bool
    key: str = ""
    index: int = -1
    awaiting_key: bool = True

    @property
    def part(self) -> str:
        return self.key if self.mapping else str(max(self.index, 0))


def screen_yaml(text: str, loader: type[yaml.SafeLoader]) -> list[Refusal]:
    """What plain leaflet YAML may not contain, found from the parser's events alone (no
    document is built): anchors, aliases, merge keys, tags, deep nesting, huge numbers.

    Stops at the first refusal: what follows may depend on it, and the parser's own syntax
    errors are reported later, when the document is built.
    """
    if _plainly_fine(text, loader):
        return []  # nearly every file: the places are followed only to name a refused field
    frames: list[_Frame] = []
    try:
        for event in yaml.parse(text, Loader=loader):
            if not isinstance(event, yaml.NodeEvent | yaml.CollectionEndEvent):
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                frames.pop()
                _value_read(frames)
                continue
            is_key = bool(frames) and frames[-1].mapping and frames[-1].awaiting_key
            if frames and not frames[-1].mapping:
                frames[-1].index += 1
            why = _refused_because(event)
            deep = isinstance(event, yaml.CollectionStartEvent) and len(frames) >= MAX_DEPTH
            if why is None and deep:
                why = (
                    f"is nested more than {MAX_DEPTH} levels deep; a leaflet needs at most 3 "
                    "(check the indentation)"
                )
            if why is not None:  # the field is named only for a refusal: most files have none
                field = ".".join(frame.part for frame in frames if frame.part)
                if is_key and isinstance(event, yaml.ScalarEvent):
                    field = ".".join(filter(None, (field, event.value[:60])))
                mark = event.start_mark
                return [Refusal(mark.line + 1, mark.column + 1, field, why)]
            if isinstance(event, yaml.CollectionStartEvent):
                if is_key:
                    frames[-1].awaiting_key = False
                frames.append(_Frame(isinstance(event, yaml.MappingStartEvent)))
            elif is_key:
                frames[-1].key = str(event.value)[:60]
                frames[-1].awaiting_key = False
            else:
                _value_read(frames)
    except yaml.YAMLError as error:
        if "nesting depth" in str(error) and loader is not yaml.SafeLoader:
            # libyaml (PyYAML 6.0.4 on) stops at 1,000 levels while still reading ahead,
            # before any event says so: the pure-Python parser finds the place and field.
            return screen_yaml(text, yaml.SafeLoader)
        return []  # a syntax error: reported with its place when the document is built
    return []


_STARTS = frozenset({yaml.MappingStartEvent, yaml.SequenceStartEvent})
_ENDS = frozenset({yaml.MappingEndEvent, yaml.SequenceEndEvent})
_NODES = _STARTS | {yaml.ScalarEvent, yaml.AliasEvent}


def _plainly_fine(text: str, loader: type[yaml.SafeLoader]) -> bool:
    """Whether no event of `text` is refused, found in one quick pass that keeps only the
    depth. False for anything refused, or a file the parser cannot read: then the full pass
    finds what, and names the field."""
    parser = loader(text)
    depth = 0
    try:
        while (event := parser.get_event()) is not None:
            kind = type(event)
            if kind in _ENDS:
                depth -= 1
            elif kind in _NODES:
                depth += kind in _STARTS
                if depth > MAX_DEPTH or _refused_because(event) is not None:
                    return False
    except yaml.YAMLError:
        return False
    finally:
        parser.dispose()
    return True


def _value_read(frames: list[_Frame]) -> None:
    """A value was read: its mapping now expects the next key."""
    if frames and frames[-1].mapping:
        frames[-1].awaiting_key = True


def _refused_because(event: yaml.NodeEvent) -> str | None:
    """Why an event is refused, if it is."""
    if event.anchor is not None:  # an alias's is the anchor it names
        if isinstance(event, yaml.AliasEvent):
            return (
                f"aliases (*{event.anchor}) are not allowed in a leaflet; write the text out "
                "in full"
            )
        return f"anchors (&{event.anchor}) are not allowed in a leaflet; remove '&{event.anchor}'"
    tag = getattr(event, "tag", None)
    if tag is not None:  # the parser sets a tag only where one is written
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        return f"YAML tags ({shown}) are not allowed in a leaflet; write plain text"
    if isinstance(event, yaml.ScalarEvent) and not event.style:  # plain: None, or "" in C
        if event.value == "<<":
            return "merge keys (<<) are not allowed in a leaflet; write the fields out"
        if len(event.value) > MAX_NUMBER_DIGITS and _NUMBER.fullmatch(event.value):
            return (
                f"is a number of {len(event.value)} digits; if it is meant as text (a phone "
                'number, say), put it in quotes: "..."'
            )
    return None
