"""Pack: what goes to the print shop for one leaflet, in one zip with a job ticket.

A print supplier should be able to put a job on the press without a phone call: the print
PDF, the imposed booklet, a ticket that says what it is (in JSON for their systems and as a
page of text for people) and SHA-256 checksums of every file, so a damaged or swapped file is
noticed before anything is printed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from pypdf import PdfReader

from build_leaflets.config import Printer
from build_leaflets.impose import Booklet
from build_leaflets.messages import language_name
from build_leaflets.model import Leaflet

_MM = 72 / 25.4
STANDARDS = {"pdf/x-4": "PDF/X-4", "pdf/x-1a": "PDF/X-1a:2003"}


@dataclass(frozen=True)
class Ticket:
    """The job ticket: everything the print shop needs to know, and nothing they must guess."""

    reference: str
    version: int
    title: str
    language: str  # e.g. en-GB, or cy for the Welsh translation: never mix up the stacks
    profile: str
    trim_size: str
    trim_mm: tuple[float, float]
    pages: int
    booklet: bool
    sheets: int
    bleed_mm: float
    crop_marks: bool
    colour_standard: str
    output_condition: str
    icc_profile: str
    icc_profile_sha256: str
    last_updated: str
    archive_date: str
    files: dict[str, str]  # name -> SHA-256

    def as_text(self) -> str:
        """One page a person can read at the press."""
        width, height = self.trim_mm
        lines = [
            f"JOB TICKET: {self.reference} version {self.version}",
            f"Title:             {self.title}",
            f"Language:          {self.language} ({language_name(self.language, 'en')})",
            f"Printer profile:   {self.profile}",
            f"Trim size:         {self.trim_size} ({width:g} x {height:g} mm)",
            f"Pages:             {self.pages}",
            (
                f"Finishing:         saddle-stitched booklet, {self.sheets} sheet(s) printed "
                "both sides, folded and stapled"
                if self.booklet
                else f"Finishing:         single pages, {self.sheets} sheet(s) printed one side"
            ),
            f"Bleed:             {self.bleed_mm:g} mm on every edge",
            f"Crop marks:        {'yes' if self.crop_marks else 'no'}",
            f"Colour standard:   {self.colour_standard} (CMYK)",
            f"Output condition:  {self.output_condition}",
            f"ICC profile:       {self.icc_profile}",
            f"Date last updated: {self.last_updated}",
            f"Archive date:      {self.archive_date} (do not print after this date)",
            "",
            "Files (SHA-256):",
            *(f"  {digest}  {name}" for name, digest in self.files.items()),
        ]
        return "\n".join(lines) + "\n"


def ticket_for(
    leaflet: Leaflet,
    profile_name: str,
    printer: Printer,
    icc: Path,
    print_pdf: bytes,
    booklet: Booklet | None,
    files: dict[str, bytes],
) -> Ticket:
    """Describe a job from the files themselves (page count and trim read back with pypdf)."""
    reader = PdfReader(io.BytesIO(print_pdf))
    trim = reader.pages[0].trimbox
    pages = len(reader.pages)
    intents = reader.root_object.get("/OutputIntents") or []
    condition = str(intents[0].get_object().get("/OutputConditionIdentifier")) if intents else ""
    return Ticket(
        reference=leaflet.reference,
        version=leaflet.version,
        title=leaflet.title,
        language=leaflet.language,
        profile=profile_name,
        trim_size=printer.trim,
        trim_mm=(round(float(trim.width) / _MM, 1), round(float(trim.height) / _MM, 1)),
        pages=pages,
        booklet=booklet is not None,
        sheets=booklet.sheets if booklet else pages,
        bleed_mm=printer.bleed_mm,
        crop_marks=printer.marks,
        colour_standard=STANDARDS[printer.pdfx],
        output_condition=condition,
        icc_profile=icc.name,
        icc_profile_sha256=hashlib.sha256(icc.read_bytes()).hexdigest(),
        last_updated=leaflet.last_updated.isoformat(),
        archive_date=leaflet.archive_date.isoformat() if leaflet.archive_date else "",
        files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    )


def zip_pack(ticket: Ticket, files: dict[str, bytes], day: dt.date) -> bytes:
    """The zip: the PDFs, ticket.json, ticket.txt and SHA256SUMS (the `sha256sum -c` format).

    Entries carry the leaflet's date rather than the clock's, so a pack is reproducible.
    """
    contents = dict(files)
    contents["ticket.json"] = (json.dumps(asdict(ticket), indent=2) + "\n").encode()
    contents["ticket.txt"] = ticket.as_text().encode()
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in contents.items()
    )
    contents["SHA256SUMS"] = sums.encode()
    buffer = io.BytesIO()
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
