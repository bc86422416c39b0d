"""Audit: what is expired or due for review, and whether published PDFs are what was registered.

Two questions a governance team asks: "which leaflets must we review or withdraw?" (`audit`)
and "is this PDF the one that was approved?" (`verify`). Both read the sources, the register
and the PDFs; neither writes anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from build_leaflets.load import Source, source_digest
from build_leaflets.register import (
    ARCHIVAL,
    LARGE_PRINT,
    PRINT,
    SOURCE_LANGUAGE,
    PdfRecord,
    Register,
    Row,
    read_pdf,
)


class State(Enum):
    CURRENT = "current"
    DUE = "due for review"
    EXPIRED = "expired"
    DRAFT = "draft"
    STALE = "translation out of date"


@dataclass(frozen=True)
class Entry:
    """One leaflet's standing on the audit day."""

    reference: str
    title: str
    version: int
    status: str
    last_updated: str
    archive_date: str
    days_left: int
    state: str
    published: bool
    owner: str
    language: str = ""
    translation_of: int | None = None
    stale: tuple[str, ...] = ()  # a translation's parts changed in its source since

    @property
    def name(self) -> str:
        return f"{self.reference}.{self.language}" if self.translation_of else self.reference


def audit(
    sources: Sequence[Source], register: Register, *, as_of: dt.date, due_within: int
) -> list[Entry]:
    """Every leaflet's state on `as_of`: expired on or after its archive date, due for review
    within `due_within` days of it, else current; drafts are reported as drafts. A translation
    whose source changed in any part it translated is out of date (unless it has expired),
    with those parts named."""
    entries = []
    order = sorted(
        sources, key=lambda s: (s.leaflet.reference, s.leaflet.is_translation, s.leaflet.language)
    )
    for source in order:
        leaflet = source.leaflet
        assert leaflet.archive_date is not None  # filled in by load
        days_left = (leaflet.archive_date - as_of).days
        if leaflet.is_draft:
            state = State.DRAFT
        elif days_left <= 0:
            state = State.EXPIRED
        elif source.stale:
            state = State.STALE
        elif days_left <= due_within:
            state = State.DUE
        else:
            state = State.CURRENT
        entries.append(
            Entry(
                reference=leaflet.reference,
                title=leaflet.title,
                version=leaflet.version,
                status=leaflet.status,
                last_updated=leaflet.last_updated.isoformat(),
                archive_date=leaflet.archive_date.isoformat(),
                days_left=days_left,
                state=state.value,
                published=register.find(
                    leaflet.reference, leaflet.version, ARCHIVAL, leaflet.language
                )
                is not None,
                owner=leaflet.owner or "",
                language=leaflet.language,
                translation_of=leaflet.translation.translation_of if leaflet.translation else None,
                stale=tuple(part.key for part in source.stale),
            )
        )
    return entries


def review_warnings(entries: Sequence[Entry]) -> list[str]:
    """One sentence for each leaflet that is expired or due for review."""
    warnings = []
    for entry in entries:
        if entry.state == State.EXPIRED.value:
            warnings.append(
                f"{entry.reference} ({entry.title}) expired on {entry.archive_date}: "
                "review it and publish a new version, or withdraw it."
            )
        elif entry.state == State.DUE.value:
            warnings.append(
                f"{entry.reference} ({entry.title}) is due for review: archive date "
                f"{entry.archive_date}, in {entry.days_left} day(s)."
            )
        if entry.stale and entry.state != State.EXPIRED.value:
            warnings.append(stale_warning(entry.reference, entry.language, entry.stale))
    return warnings


def stale_warning(reference: str, language: str, stale: Sequence[str]) -> str:
    """The one sentence that tells a translator what to translate again."""
    return (
        f"{reference}.{language} is out of date: its source changed in {', '.join(stale)} "
        f"since it was translated; run build-leaflets translate {reference} --language "
        f"{language} --update to see the old and new text."
    )


def format_entries(entries: Sequence[Entry], form: str) -> str:
    """The audit as an aligned table, CSV (for a spreadsheet) or JSON (for tools)."""
    rows = [asdict(entry) | {"stale": list(entry.stale)} for entry in entries]
    if form == "json":
        return json.dumps({"leaflets": rows}, indent=2, ensure_ascii=False) + "\n"
    if form == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, list(Entry.__dataclass_fields__), lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            row
            | {
                "published": "yes" if row["published"] else "no",
                "translation_of": row["translation_of"] or "",
                "stale": " ".join(row["stale"]),
            }
            for row in rows
        )
        return buffer.getvalue()
    headings = ["Reference", "Language", "Version", "Last updated", "Archive date", "Days left"]
    headings += ["State", "Published", "Title"]
    table = [headings]
    for e in entries:
        state = f"{e.state} ({', '.join(e.stale)})" if e.stale else e.state
        table.append([e.name, e.language, str(e.version), e.last_updated, e.archive_date])
        table[-1] += [str(e.days_left), state, "yes" if e.published else "no", e.title]
    widths = [max(len(row[i]) for row in table) for i in range(len(headings))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in table]  # fmt: skip
    return "\n".join(line.rstrip() for line in lines) + "\n"


# --- verify -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """Something wrong with one PDF, said plainly."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def pdfs_in(out: Path) -> list[Path]:
    """The published PDFs in an output folder (drafts are working copies, not checked)."""
    return sorted([*(out / "pdf").glob("*/*.pdf"), *(out / "print").glob("*-print.pdf")])


def verify(
    pdfs: Sequence[Path],
    register: Register,
    sources: Sequence[Source],
    shown: dict[Path, str],
) -> list[Finding]:
    """Check each PDF against its register row and the sources; every mismatch is a finding.

    A PDF is identified by its SHA-256 first, so a genuine copy is recognised wherever it lies
    and whatever it is called; only a PDF whose checksum the register does not know is matched
    by the reference and version in its metadata, and then it has been changed.
    """
    by_key = {s.leaflet.key: s for s in sources}
    findings: list[Finding] = []
    for path in pdfs:
        name = shown[path]
        if not path.is_file():
            findings.append(Finding(name, "is not a file (a folder or a device?); give a PDF"))
            continue
        try:
            data = path.read_bytes()
            record = read_pdf(path, name)
        except Exception as error:  # a damaged or crafted file is a finding, not a crash
            findings.append(Finding(name, f"cannot be read as a PDF ({_short(error)})"))
            continue
        row = register.by_pdf_sha256(hashlib.sha256(data).hexdigest())
        if row is None:
            row = _claimed_row(path, record, register)
            if row is None:
                findings.append(
                    Finding(name, "is not in the publication register (unregistered PDF)")
                )
                continue
            rows = register.rows_of(row.reference, row.version, row.language)
            kinds = ", ".join(r.variant for r in rows)
            findings.append(
                Finding(
                    name,
                    f"its SHA-256 matches no registered file of {row.reference} v{row.version} "
                    f"({kinds}): the file was changed after publication",
                )
            )
        findings += [Finding(name, message) for message in _metadata_findings(record, row)]
        findings += [Finding(name, message) for message in _source_findings(record, row)]
        source = by_key.get((row.reference.lower(), row.language.lower()))
        if source is not None and source.leaflet.version == row.version:
            findings += [Finding(name, message) for message in _sync_findings(source, row)]
    return findings


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0][:120] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _claimed_row(path: Path, record: PdfRecord, register: Register) -> Row | None:
    """The register row a PDF claims to be, from its metadata: its reference and version, and
    its kind from its PDF/X marking or its name."""
    reference = record.info.get("LeafletReference", "")
    version = record.info.get("LeafletVersion", "")
    if not (version.isascii() and version.isdigit()) or not reference:
        return None
    language = record.info.get("LeafletLanguage", SOURCE_LANGUAGE)
    rows = register.rows_of(reference, int(version), language)
    if not rows:
        return None
    if "GTS_PDFXVersion" in record.info or path.name.endswith("-print.pdf"):
        wanted = PRINT
    elif path.name.endswith("-large-print.pdf"):
        wanted = LARGE_PRINT
    else:
        wanted = ARCHIVAL
    return next((row for row in rows if row.variant.startswith(wanted)), rows[0])


def _metadata_findings(record: PdfRecord, row: Row) -> list[str]:
    expected = {
        "LeafletReference": row.reference,
        "LeafletVersion": str(row.version),
        "LeafletLastUpdated": row.last_updated,
        "LeafletArchiveDate": row.archive_date,
        "LeafletSourceSHA256": row.source_sha256,
    }
    if "LeafletLanguage" in record.info:
        expected["LeafletLanguage"] = row.language
    return [
        f"metadata {key} is {record.info.get(key)!r}; the register says {value!r}"
        for key, value in expected.items()
        if record.info.get(key) != value
    ]


def _source_findings(record: PdfRecord, row: Row) -> list[str]:
    """The embedded source (YAML and pictures) must give the registered source checksum.

    Archival and large-print PDFs carry their source; print files (PDF/X) carry none.
    """
    if row.variant == PRINT and not record.attachments:
        return []
    texts = {n: d for n, d in record.attachments.items() if n.endswith((".yaml", ".yml"))}
    if not texts:
        return ["has no embedded YAML source"]
    if len(texts) > 1:
        return [f"has {len(texts)} embedded YAML files; a published PDF has one"]
    (text,) = texts.values()
    pictures = {
        n: hashlib.sha256(d).hexdigest() for n, d in record.attachments.items() if n not in texts
    }
    if source_digest(text, pictures) != row.source_sha256:
        return ["its embedded source does not hash to the registered value"]
    return []


def _sync_findings(source: Source, row: Row) -> list[str]:
    """Whether the leaflet's file still says what was published as this version."""
    findings = []
    if source.sha256 != row.source_sha256:
        findings.append(
            f"{source.display} was edited after v{row.version} was published; "
            "raise its version and last_updated"
        )
    archive = source.leaflet.archive_date
    dates = (source.leaflet.last_updated.isoformat(), archive.isoformat() if archive else "")
    if dates != (row.last_updated, row.archive_date):
        findings.append(f"dates differ from {source.display}: {dates} vs register")
    return findings
