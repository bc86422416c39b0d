"""Register: the publication record, one CSV row per published file, kept with the sources.

The register is what makes `output/` disposable: it says which versions were published, from
which source text (SHA-256) and as which bytes (SHA-256), so any PDF can be checked against it
and a rebuilt PDF can be proven identical. It is plain CSV so it opens in a spreadsheet and
its history lives in git beside the leaflets.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from build_leaflets.errors import LeafletError, Problem, ProblemsFound

REGISTER_NAME = "register.csv"
ARCHIVAL = "archival"
PRINT = "print"
LARGE_PRINT = "large-print"


@dataclass(frozen=True)
class Row:
    """One published file. Dates are ISO strings, as they appear in the CSV."""

    reference: str
    version: int
    variant: str
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


@dataclass(frozen=True)
class Register:
    """All rows, in the order they were published."""

    path: Path
    rows: tuple[Row, ...]

    def find(self, reference: str, version: int, variant: str = ARCHIVAL) -> Row | None:
        return self._by_version.get((reference.lower(), version, variant))

    def latest(self, reference: str, variant: str = ARCHIVAL) -> Row | None:
        """The highest published version of a leaflet, if any."""
        return self._latest.get((reference.lower(), variant))

    def by_file(self, file: str) -> Row | None:
        return self._by_file.get(file)

    @functools.cached_property
    def _by_version(self) -> dict[tuple[str, int, str], Row]:
        """Look-ups by key, so a catalogue of thousands is not scanned once per leaflet."""
        index: dict[tuple[str, int, str], Row] = {}
        for row in self.rows:
            index.setdefault((row.reference.lower(), row.version, row.variant), row)
        return index

    @functools.cached_property
    def _latest(self) -> dict[tuple[str, str], Row]:
        index: dict[tuple[str, str], Row] = {}
        for row in self.rows:
            key = (row.reference.lower(), row.variant)
            if key not in index or row.version > index[key].version:
                index[key] = row
        return index

    @functools.cached_property
    def _by_file(self) -> dict[str, Row]:
        index: dict[str, Row] = {}
        for row in self.rows:
            index.setdefault(row.file, row)
        return index

    def with_rows(self, new: Iterable[Row]) -> Register:
        return Register(self.path, (*self.rows, *new))

    def to_csv(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow(asdict(row))
        return buffer.getvalue().encode("utf-8")

    def to_json(self) -> bytes:
        rows = [asdict(row) for row in self.rows]
        return (json.dumps({"register": rows}, indent=2) + "\n").encode("utf-8")


def read_register(path: Path, shown_as: str) -> Register:
    """Read the register; a missing file is an empty register, a damaged one an error."""
    if not path.is_file():
        return Register(path, ())
    problems: list[Problem] = []
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ProblemsFound(
                [Problem(shown_as, 1, 1, "", f"missing columns: {', '.join(missing)}")]
            )
        for row in reader:
            try:
                rows.append(Row(**{c: row[c] for c in COLUMNS} | {"version": int(row["version"])}))
            except (TypeError, ValueError):
                problems.append(
                    Problem(shown_as, reader.line_num, 0, "version", "is not a whole number")
                )
    if problems:
        raise ProblemsFound(problems, "The publication register is damaged; restore it from git.")
    return Register(path, tuple(rows))


@dataclass(frozen=True)
class PdfRecord:
    """What a published PDF says about itself, read back with pypdf."""

    info: dict[str, str]
    attachments: dict[str, bytes]
    xmp: str


def read_pdf(path: Path, shown_as: str) -> PdfRecord:
    """Read a PDF's document information, attachments and XMP, as verify needs them."""
    try:
        reader = PdfReader(path)
        info = {str(k).lstrip("/"): str(v) for k, v in (reader.metadata or {}).items()}
        attachments = {name: data[0] for name, data in reader.attachments.items() if data}
        metadata = reader.root_object.get("/Metadata")
        xmp = metadata.get_object().get_data().decode("utf-8") if metadata else ""
    except (PyPdfError, OSError, ValueError, KeyError, UnicodeDecodeError) as error:
        raise LeafletError(f"{shown_as}: cannot be read as a PDF ({error})") from None
    return PdfRecord(info, attachments, xmp)
