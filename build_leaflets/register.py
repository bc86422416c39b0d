"""Register: the publication record, one CSV row per published file, kept with the sources.

The register is what makes `output/` disposable: it says which versions were published, from
which source text (SHA-256) and as which bytes (SHA-256), so any PDF can be checked against it
and a rebuilt PDF can be proven identical. It is plain CSV so it opens in a spreadsheet and
its history lives in git beside the leaflets.

Because people open it in a spreadsheet and save it, reading is tolerant of what spreadsheets
do that changes nothing (a byte-order mark, CRLF line endings, blank or all-empty rows, columns
in another order) and strict about everything that changes meaning: each defect is reported
with its line and what to do, and a register with any defect is refused as a whole, so no
command acts on half of it. Writing follows the same rules (`check_fields`), so the tool never
writes a row it would refuse to read back.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from build_leaflets.errors import LeafletError, Problem, ProblemsFound
from build_leaflets.files import write_atomic
from build_leaflets.model import LANGUAGE_PATTERN, is_valid_reference

REGISTER_NAME = "register.csv"
ARCHIVAL = "archival"
PRINT = "print"
LARGE_PRINT = "large-print"

FIELD_LIMIT = 128 * 1024
"""The longest field, in characters: the csv module's default limit, so what we write, any
Python with default settings reads. Real fields are under 300 characters."""

MAX_SHOWN = 50
"""Problems listed at most: a spreadsheet that reformatted a column damages every row, and
fifty lines say as much as fifteen thousand."""

_BOM = "\ufeff"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what ends a line for the csv reader (newline="")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # line breaks are told apart
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: "²".isdigit() is True, int("²") fails
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LANGUAGE = re.compile(LANGUAGE_PATTERN)
_DRIVE = re.compile(r"[A-Za-z]:")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PDF_FILE = re.compile(r"(pdf/[A-Za-z0-9-]+/|print/)[A-Za-z0-9-]+\.pdf")
_EXAMPLE_FILE = "pdf/PSY-0042/PSY-0042-v1.pdf"
_HEAD_BYTES = 64 * 1024  # enough to find the header of any register without reading it all


@dataclass(frozen=True)
class Row:
    """One published file. Dates are ISO strings, as they appear in the CSV."""

    reference: str
    version: int
    variant: str
    language: str
    title: str
    last_updated: str
    archive_date: str
    status: str
    source_sha256: str
    pdf_sha256: str
    file: str
    layout_sha256: str
    tool_version: str
    published: str


COLUMNS = [f.name for f in fields(Row)]

SOURCE_LANGUAGE = "en-GB"
"""The language of rows in a register written before it had a `language` column: every
leaflet then was a source in the default language. Such a register is read as that, and
rewritten with the column the next time something is published."""

_BEFORE_LANGUAGES = [column for column in COLUMNS if column != "language"]


@dataclass(frozen=True)
class Register:
    """All rows, in the order they were published."""

    path: Path
    rows: tuple[Row, ...]
    #: The SHA-256 of the file as read (every row of it found sound), or "".
    sha256: str = ""

    def find(
        self,
        reference: str,
        version: int,
        variant: str = ARCHIVAL,
        language: str = SOURCE_LANGUAGE,
    ) -> Row | None:
        return self._by_version.get((reference.lower(), language.lower(), version, variant))

    def latest(
        self, reference: str, variant: str = ARCHIVAL, language: str = SOURCE_LANGUAGE
    ) -> Row | None:
        """The highest published version of a leaflet in one language, if any."""
        return self._latest.get((reference.lower(), language.lower(), variant))

    def by_file(self, file: str) -> Row | None:
        return self._by_file.get(file)

    def by_pdf_sha256(self, sha: str) -> Row | None:
        """The row of the PDF with these bytes, so a file renamed or sent back by someone can
        still be recognised; the first registered wins if two rows name the same bytes."""
        return self._by_pdf_sha256.get(sha)

    def rows_of(self, reference: str, version: int, language: str = SOURCE_LANGUAGE) -> list[Row]:
        """Every variant published for one version in one language (archival, print, large
        print...), in the order they were registered; the reference and language are matched
        ignoring case, as file names are."""
        key = (reference.lower(), language.lower(), version)
        return list(self._by_reference_version.get(key, ()))

    @functools.cached_property
    def _by_version(self) -> dict[tuple[str, str, int, str], Row]:
        """Look-ups by key, so a catalogue of thousands is not scanned once per leaflet."""
        index: dict[tuple[str, str, int, str], Row] = {}
        for row in self.rows:
            key = (row.reference.lower(), row.language.lower(), row.version, row.variant)
            index.setdefault(key, row)
        return index

    @functools.cached_property
    def _latest(self) -> dict[tuple[str, str, str], Row]:
        index: dict[tuple[str, str, str], Row] = {}
        for row in self.rows:
            key = (row.reference.lower(), row.language.lower(), row.variant)
            if key not in index or row.version > index[key].version:
                index[key] = row
        return index

    @functools.cached_property
    def _by_file(self) -> dict[str, Row]:
        index: dict[str, Row] = {}
        for row in self.rows:
            index.setdefault(row.file, row)
        return index

    @functools.cached_property
    def _by_pdf_sha256(self) -> dict[str, Row]:
        index: dict[str, Row] = {}
        for row in self.rows:
            index.setdefault(row.pdf_sha256, row)
        return index

    @functools.cached_property
    def _by_reference_version(self) -> dict[tuple[str, str, int], list[Row]]:
        index: dict[tuple[str, str, int], list[Row]] = {}
        for row in self.rows:
            key = (row.reference.lower(), row.language.lower(), row.version)
            index.setdefault(key, []).append(row)
        return index

    def with_rows(self, new: Iterable[Row]) -> Register:
        return Register(self.path, (*self.rows, *new))

    def to_csv(self) -> bytes:
        return _encode(COLUMNS, self.rows, header=True)

    def to_json(self) -> bytes:
        rows = [asdict(row) for row in self.rows]
        return (json.dumps({"register": rows}, indent=2) + "\n").encode("utf-8")


# --- The rules: one place, used by the reader and the writer ---------------------------------


def _shown(value: str) -> str:
    """A value quoted for a message, cut short so a huge field does not flood the terminal."""
    short = value if len(value) <= 40 else value[:40] + "..."
    return f"'{short}'" if short.isprintable() else repr(short)


def _text_problem(value: str) -> str | None:
    """What is wrong with any field as text: the tool writes no line breaks, no control
    characters and nothing longer than the csv module reads by default."""
    limit = min(FIELD_LIMIT, csv.field_size_limit())
    if len(value) > limit:
        return f"is {len(value)} characters long, more than the {limit} a field may have"
    if "\n" in value or "\r" in value:
        return "contains a line break, which the register never has"
    control = _CONTROL.search(value)
    if control:
        return (
            f"contains a control character (U+{ord(control.group()):04X}), "
            "which the register never has"
        )
    return None


def _reference_problem(value: str) -> str | None:
    if is_valid_reference(value):
        return None
    return (
        f"is not a leaflet reference (letters, digits and hyphens, like PSY-0042): {_shown(value)}"
    )


def _version_problem(value: str) -> str | None:
    if _DIGITS.fullmatch(value) and int(value) >= 1:
        return None
    return f"is not a whole number of 1 or more: {_shown(value)}"


def _sha256_problem(value: str) -> str | None:
    if _SHA256.fullmatch(value):
        return None
    return f"is not a SHA-256 (64 characters 0-9 and a-f, in lower case): {_shown(value)}"


def _date_problem(value: str) -> str | None:
    if _ISO_DATE.fullmatch(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return f"is not a real date: {_shown(value)}"
        return None
    return (
        f"is not a date written YYYY-MM-DD: {_shown(value)} (a spreadsheet may have changed "
        "it: format the column as text)"
    )


def _language_problem(value: str) -> str | None:
    if _LANGUAGE.fullmatch(value):
        return None
    return f"is not a language tag like en-GB, cy or zh-Hans: {_shown(value)}"


def _optional_date_problem(value: str) -> str | None:
    return _date_problem(value) if value else None


def _file_problem(value: str) -> str | None:
    """A published file must lie inside the output folder, where the tool put it, so nothing
    that trusts the register (verify, print-pack, rebuilds) can be led to read elsewhere."""
    where = f"it must be a path inside the output folder, like {_EXAMPLE_FILE}"
    if value.startswith(("/", "\\")) or _DRIVE.match(value):
        return f"is an absolute path: {_shown(value)}; {where}"
    if "\\" in value:
        return (
            f"contains a backslash: {_shown(value)}; paths use forward slashes, "
            f"like {_EXAMPLE_FILE}"
        )
    if ".." in value.split("/"):
        return f"goes outside the output folder (a '..' part): {_shown(value)}; {where}"
    if not _PDF_FILE.fullmatch(value):
        return (
            f"is not where the tool publishes a PDF (pdf/REFERENCE/NAME.pdf or "
            f"print/NAME.pdf): {_shown(value)}; {where}"
        )
    return None


_RULES: dict[str, Callable[[str], str | None]] = {
    "reference": _reference_problem,
    "version": _version_problem,
    "language": _language_problem,
    "last_updated": _date_problem,
    "archive_date": _optional_date_problem,
    "source_sha256": _sha256_problem,
    "pdf_sha256": _sha256_problem,
    "file": _file_problem,
    "published": _date_problem,
}


def check_fields(values: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each (column, what is wrong) in one row's fields, as they stand in the CSV.

    The single statement of what a register row may hold: `read_register` refuses a file that
    breaks it and `append_rows` refuses to write a row that would.
    """
    found: list[tuple[str, str]] = []
    limit = min(FIELD_LIMIT, csv.field_size_limit())
    for column in COLUMNS:
        value = values[column]
        # Nearly every field is short, printable text: only the others are looked at closely.
        plain = len(value) <= limit and value.isprintable()
        problem = None if plain else _text_problem(value)
        rule = _RULES.get(column)
        if problem is None and rule is not None:
            problem = rule(value)
        if problem is not None:
            found.append((column, problem))
    return found


def validate_row(row: Row) -> list[tuple[str, str]]:
    """`check_fields` for a row about to be written, with its fields as the CSV will have them."""
    return check_fields(_as_text(row))


def _as_text(row: Row) -> dict[str, str]:
    """The fields as csv.DictWriter writes them (str() of each)."""
    return {column: str(value) for column, value in asdict(row).items()}


def _encode(columns: Sequence[str], rows: Iterable[Row], *, header: bool) -> bytes:
    """The CSV lines of `rows`, the one encoding used for the whole file and for appends."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    return buffer.getvalue().encode("utf-8")


# --- Reading ----------------------------------------------------------------------------------


def read_register(path: Path, shown_as: str, checked: str = "") -> Register:
    """Read the register; a missing or empty file is an empty register, a damaged one an error.

    Every defect found is reported at once as `shown_as:LINE: ...`, and then nothing is
    returned: a command that acted on the readable rows only would treat the others' PDFs as
    never published.

    `checked` is the SHA-256 of the file as an earlier read found every row sound: when the
    file still has it, the rows are read without checking each field again (the layout of
    the file, its header and each row's number of fields still are).
    """
    if not path.is_file():
        return Register(path, ())
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LeafletError(f"{shown_as}: cannot be read ({error.strerror or error})") from None
    restore = f"restore the file from git (git checkout {shown_as})"
    sha256 = hashlib.sha256(data).hexdigest()
    text = _decode(data, shown_as, restore)
    problems, rows = _parse(text, shown_as, restore, trusted=sha256 == checked)
    if problems:
        shown = sorted(problems)[:MAX_SHOWN]
        more = len(problems) - len(shown)
        summary = f"...and {more} more problem(s) like these.\n" if more else ""
        summary += _damaged(shown_as)
        raise ProblemsFound(shown, summary)
    return Register(path, tuple(rows), sha256)


def _damaged(shown_as: str) -> str:
    return f"The publication register {shown_as} is damaged; nothing was changed."


def _decode(data: bytes, shown_as: str, restore: str) -> str:
    """The file as text: UTF-8, with or without the byte-order mark Excel writes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = len(_LINE_BREAK.findall(data[: error.start].decode("utf-8"))) + 1
        message = (
            f"is not UTF-8 (byte 0x{data[error.start]:02X}); it looks like "
            f'{_probable_encoding(data)}: save it as "CSV UTF-8" in your spreadsheet, or '
            f"{restore}"
        )
        raise ProblemsFound([Problem(shown_as, line, 0, "", message)], _damaged(shown_as)) from None
    return text.lstrip(_BOM)


def _probable_encoding(data: bytes) -> str:
    """A guess at what saved the file, to name the setting to change; only a guess."""
    head = data[:400]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(b"\x00") > len(head) // 4:
        return 'UTF-16 (a spreadsheet\'s "Unicode Text")'
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "Latin-1 (ISO-8859-1)"
    return "Windows-1252"


def _parse(
    text: str, shown_as: str, restore: str, *, trusted: bool = False
) -> tuple[list[Problem], list[Row]]:
    """Rows and problems of the decoded text; the header is the first row that is not blank."""
    problems: list[Problem] = []
    rows: list[Row] = []
    fix = f"fix the row, or {restore}"
    # strict: a quote inside an unquoted field, or text after a closing quote, is an error
    # rather than quietly read as something else. newline="": CRLF and LF both end a line.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    migrated = False

    def problem(line: int, message: str, field: str = "") -> None:
        problems.append(Problem(shown_as, line, 0, field, message))

    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problem(start, _csv_error_message(str(error), restore))
            continue
        if not any(record):  # a blank line, or a row a spreadsheet left with only commas
            continue
        if reader.line_num > start:
            problem(
                start,
                f'a quote mark (") opened on this line closes only on line {reader.line_num}, '
                "so those lines were read as one row (the register never has line breaks in "
                f"a field): fix the quote marks, or {restore}",
            )
            continue
        if header is None:
            header = record
            if "language" not in header:
                header = [*header, "language"]  # written before translations: all sources
                migrated = True
            header_problems = _header_problems(header, restore)
            if header_problems:
                return [Problem(shown_as, start, 0, "", m) for m in header_problems], []
            continue
        expected = len(header) - migrated
        if len(record) != expected:
            fewer = len(record) < expected
            problem(
                start,
                f"has {len(record)} fields but the header has {expected} "
                f"({'a field is missing' if fewer else 'there are extra fields'}: "
                f"{'a comma was lost' if fewer else 'an extra comma'}?); {fix}",
            )
            continue
        if migrated:
            record = [*record, SOURCE_LANGUAGE]
        values = dict(zip(header, record, strict=True))
        found = [] if trusted else check_fields(values)
        for column, message in found:
            problem(start, f"{message}; {fix}", column)
        if not found:
            rows.append(Row(**{**values, "version": int(values["version"])}))  # type: ignore[arg-type]
    return problems, rows


def _csv_error_message(error: str, restore: str) -> str:
    """The csv module's complaint, said so that someone with a spreadsheet can act on it."""
    fix = f"fix the row, or {restore}"
    if error.startswith("unexpected end of data"):
        return (
            'a quote mark (") opened on this line is never closed, so every line after it '
            f"would be read as one field: fix the quote marks, or {restore}"
        )
    if error.startswith("field larger than field limit"):
        limit = min(FIELD_LIMIT, csv.field_size_limit())
        return f"has a field longer than {limit} characters, more than a field may have; {fix}"
    if "expected after" in error:
        return (
            'a field has text after its closing quote mark ("), like "abc"def; put the whole '
            f'field in quotes and double the quote marks inside it ("abc""def"), or {restore}'
        )
    return f"cannot be read as CSV ({error}); {fix}"


def column_differences(header: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """A header's columns against the register's: those missing, those unknown, and those
    named twice."""
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    twice = sorted({c for c in header if header.count(c) > 1})
    return missing, unknown, twice


def _header_problems(header: list[str], restore: str) -> list[str]:
    """Columns may come in any order (a spreadsheet may move them) but must all be there,
    once each, and be the register's own: an unknown column would be silently dropped."""
    found = []
    missing, unknown, twice = column_differences(header)
    if missing:
        found.append(f"missing columns: {', '.join(missing)}; {restore}")
    if unknown:
        found.append(
            f"unknown columns: {', '.join(map(_shown, unknown))}; the header must name exactly "
            f"the register's columns ({', '.join(COLUMNS)}): remove them, or {restore}"
        )
    if twice:
        found.append(f"columns named twice: {', '.join(twice)}; remove the copies, or {restore}")
    return found


# --- Writing ----------------------------------------------------------------------------------


def append_rows(path: Path, rows: Sequence[Row]) -> None:
    """Record newly published files at the end of the register, durably, without rewriting it.

    A catalogue's register holds thousands of rows and gains one per published PDF, so the rows
    are appended: all in one write, then flushed to disk (fsync), so an interruption leaves the
    register as it was or with the new rows, not with a row written halfway. A missing or empty
    register is created whole (a temporary file renamed into place). Rows are encoded as
    `Register.to_csv` encodes them, in the column order of the file's header.

    Raises LeafletError, writing nothing, if any field breaks the rules `read_register`
    enforces: the tool never writes what it cannot read. The caller holds the register lock.
    """
    if not rows:
        return
    refused = [
        f"{path.name}: will not record {row.file or row.reference}: {column}: {message}; "
        "the register must stay readable, so correct the leaflet and build again"
        for row in rows
        for column, message in validate_row(row)
    ]
    if refused:
        raise LeafletError("\n".join(refused))
    header = _existing_header(path)
    if header is None:
        write_atomic(path, _encode(COLUMNS, rows, header=True))
        return
    if "language" not in header:
        # Written before translations: rewritten whole, with the column, every row kept.
        earlier = read_register(path, path.name).rows
        write_atomic(path, _encode(COLUMNS, [*earlier, *rows], header=True))
        return
    data = _encode(header, rows, header=False)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND)
    try:
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) not in (b"\n", b"\r"):
            data = b"\n" + data  # a hand edit removed the last line's end: keep rows apart
        view = memoryview(data)
        while view:  # one write; more only if the system wrote part (a full disk, say)
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _existing_header(path: Path) -> list[str] | None:
    """The header of the register at `path`, or None if the file is missing or holds nothing
    but blank lines (then it is safe to create it anew).

    The rows appended follow its column order, so a register whose columns were moved in a
    spreadsheet still gets each value under its own heading.
    """
    try:
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES)
    except FileNotFoundError:
        return None
    for line in _LINE_BREAK.split(head.decode("utf-8", errors="replace").lstrip(_BOM)):
        if not line.strip(", "):
            continue  # blank, or only commas: not the header yet
        try:
            header = next(csv.reader([line], strict=True))
        except csv.Error:
            header = []
        if sorted(header) not in (sorted(COLUMNS), sorted(_BEFORE_LANGUAGES)):
            break
        return header
    else:
        if len(head) < _HEAD_BYTES:
            return None
    raise LeafletError(
        f"{path.name}: its first line is not the register's header, so new rows cannot be "
        f"added to it; run build-leaflets audit to see what is wrong, or restore it from git"
    )


@dataclass(frozen=True)
class PdfRecord:
    """What a published PDF says about itself, read back with pypdf."""

    info: dict[str, str]
    attachments: dict[str, bytes]
    xmp: str


def read_pdf(path: Path, shown_as: str) -> PdfRecord:
    """Read a PDF's document information, attachments and XMP, as verify needs them."""
    from pypdf import PdfReader  # noqa: PLC0415  (only for the commands that read PDFs back)
    from pypdf.errors import PyPdfError  # noqa: PLC0415

    try:
        reader = PdfReader(path)
        info = {str(k).lstrip("/"): str(v) for k, v in (reader.metadata or {}).items()}
        attachments = {name: data[0] for name, data in reader.attachments.items() if data}
        metadata = reader.root_object.get("/Metadata")
        xmp = metadata.get_object().get_data().decode("utf-8") if metadata else ""
    except (PyPdfError, OSError, ValueError, KeyError, UnicodeDecodeError) as error:
        raise LeafletError(f"{shown_as}: cannot be read as a PDF ({error})") from None
    return PdfRecord(info, attachments, xmp)
