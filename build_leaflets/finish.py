"""Finish: what the PDF stage adds to WeasyPrint's document just before the file is written.

Our governance fields in the document information and XMP (declared to PDF/A), PDF/UA-1
identification, the running footer as artifacts, and for print shops the exact bleed box,
crop marks and a content-derived document ID. It works on pydyf objects inside WeasyPrint's
`finisher` callback, the one moment when both WeasyPrint's metadata and the page contents can
still be changed before they are written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

#: Where our governance fields live in the XMP metadata (declared to PDF/A as an extension).
XMP_NAMESPACE = "urn:build-leaflets:xmp:leaflet:1.0/"
XMP_PREFIX = "leaflet"


@dataclass(frozen=True)
class PdfFields:
    """Governance fields written into the PDF's document information and XMP metadata."""

    reference: str
    version: int
    last_updated: str
    archive_date: str
    source_sha256: str
    status: str
    language: str = ""  # a translation's language; a source leaflet's PDF has no such key
    translation_of: int = 0  # the source version a translation was made from

    def info(self) -> dict[str, str]:
        """The custom keys of the document information dictionary (without the slash)."""
        info = {
            "LeafletReference": self.reference,
            "LeafletVersion": str(self.version),
            "LeafletLastUpdated": self.last_updated,
            "LeafletArchiveDate": self.archive_date,
            "LeafletSourceSHA256": self.source_sha256,
            "LeafletStatus": self.status,
        }
        if self.language:
            info["LeafletLanguage"] = self.language
            info["LeafletTranslationOf"] = str(self.translation_of)
        return info

    def xmp(self) -> dict[str, tuple[str, str, str]]:
        """XMP property name -> (value, XMP value type, description)."""
        return {
            "reference": (self.reference, "Text", "Leaflet reference"),
            "version": (str(self.version), "Integer", "Leaflet version"),
            "lastUpdated": (self.last_updated, "Date", "Date the leaflet was last updated"),
            "archiveDate": (self.archive_date, "Date", "Date the leaflet is to be archived"),
            "sourceSHA256": (self.source_sha256, "Text", "SHA-256 of the YAML source"),
            "status": (self.status, "Text", "draft or approved"),
        } | (
            {
                "language": (self.language, "Text", "Language of this translation"),
                "translationOf": (
                    str(self.translation_of),
                    "Integer",
                    "Source version this translation was made from",
                ),
            }
            if self.language
            else {}
        )


@dataclass(frozen=True)
class Prepress:
    """What a print-shop file needs beyond the layout: exact bleed, crop marks, no links, and
    a document ID derived from the content (WeasyPrint's PDF/X writer picks a random one)."""

    bleed_mm: float
    marks: bool
    document_id: str
    output_condition: str | None = None

    @property
    def bleed(self) -> float:
        return self.bleed_mm * MM


MM = 72 / 25.4
#: Crop marks: where they start outside the trim, how long they are, how thick.
MARK_OFFSET, MARK_LENGTH, MARK_WIDTH = 3 * MM, 5 * MM, 0.25


def finish(
    document: Any, pdf: Any, *, fields: PdfFields, prepress: Prepress | None, accessible: bool
) -> None:
    """Add our governance fields to the document information and the XMP metadata.

    Runs inside WeasyPrint, after it has written its own metadata and before the file is
    written, which is the one place both can be extended (its `xmp_metadata` option adds a
    second RDF block that validators ignore).
    """
    import pydyf  # noqa: PLC0415

    for key, value in fields.info().items():
        pdf.info[key] = pydyf.String(value)
    if "AF" in pdf.catalog:  # WeasyPrint 70 lists each attachment twice
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))
    if "Metadata" in pdf.catalog:
        stream = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
        xml = b"".join(part if isinstance(part, bytes) else part.encode() for part in stream.stream)
        xml = xml.replace(b"</rdf:RDF>", _xmp_fields(fields, accessible) + b"</rdf:RDF>", 1)
        if prepress is not None:
            xml = re.sub(rb"xmp\.did:[0-9a-f-]+", f"xmp.did:{prepress.document_id}".encode(), xml)
        stream.stream = [xml]
    if prepress is not None:
        _prepare_pages(pdf, prepress)
        _prune_colour_spaces(pdf)
    if "StructTreeRoot" in pdf.catalog:
        _running_content_as_artifacts(pdf)


def _running_content_as_artifacts(pdf: Any) -> None:
    """Mark the running footer (page margin boxes) as pagination artifacts.

    WeasyPrint tags margin-box text as structure elements that it leaves out of the tree
    (PDF 1.7 has no artifact structure element). Screen readers would then meet text that
    belongs nowhere; PDF/UA wants it marked as an artifact in the content itself, so each of
    its marked-content sequences is rewritten as `/Artifact <</Type /Pagination>>`.
    """
    import pydyf  # noqa: PLC0415

    objects = pdf.objects

    def number(reference: bytes | str) -> int:
        text = reference.decode() if isinstance(reference, bytes) else reference
        return int(text.split()[0])

    def resolve(value: Any) -> Any:
        if isinstance(value, bytes):
            value = value.decode()
        if isinstance(value, str) and value.endswith(" R"):
            return objects[number(value)]
        return value

    reachable: set[int] = set()
    pending = [resolve(pdf.catalog["StructTreeRoot"])]
    while pending:
        element = pending.pop()
        if not isinstance(element, dict) or id(element) in reachable:
            continue
        reachable.add(id(element))
        kids = element.get("K")
        pending.extend(resolve(kid) for kid in (kids if isinstance(kids, list) else [kids]))

    orphans = [
        o for o in objects
        if isinstance(o, dict) and o.get("Type") == "/StructElem" and id(o) not in reachable
    ]  # fmt: skip
    marked: dict[int, set[int]] = {}  # page object number -> MCIDs to turn into artifacts
    for element in orphans:
        kids = element.get("K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if isinstance(kid, int) and "Pg" in element:
                marked.setdefault(number(element["Pg"]), set()).add(kid)
    orphan_refs = {o.reference for o in orphans}  # type: ignore[attr-defined]

    for page, mcids in marked.items():
        contents = resolve(objects[page]["Contents"])
        for stream in [resolve(c) for c in contents] if isinstance(contents, list) else [contents]:
            items = stream.stream
            for index, item in enumerate(items[1:], start=1):
                if isinstance(item, dict) and item.get("MCID") in mcids:
                    items[index - 1] = "/Artifact"
                    items[index] = pydyf.Dictionary({"Type": "/Pagination"})
    parent_tree = resolve(resolve(pdf.catalog["StructTreeRoot"]).get("ParentTree"))
    if isinstance(parent_tree, dict):
        for entry in parent_tree.get("Nums", []):
            entry = resolve(entry)
            if isinstance(entry, list):
                entry[:] = ["null" if ref in orphan_refs else ref for ref in entry]


def _prepare_pages(pdf: Any, prepress: Prepress) -> None:
    """Exact bleed box, CMYK crop marks in the slug, and no annotations (PDF/X forbids them
    inside the bleed box; a printed page has no links to click anyway)."""
    import pydyf  # noqa: PLC0415

    if prepress.output_condition:
        for intent in pdf.objects:
            if isinstance(intent, dict) and intent.get("S") == "/GTS_PDFX":
                intent["OutputConditionIdentifier"] = pydyf.String(prepress.output_condition)
                intent["Info"] = pydyf.String(prepress.output_condition)

    for page in pdf.objects:
        if not isinstance(page, dict) or page.get("Type") != "/Page":
            continue
        x0, y0, x1, y1 = (float(v) for v in page["TrimBox"])
        b = prepress.bleed
        page["BleedBox"] = pydyf.Array([x0 - b, y0 - b, x1 + b, y1 + b])
        page.pop("Annots", None)
        if not prepress.marks:
            continue
        marks = pydyf.Stream([_crop_marks(x0, y0, x1, y1).encode()], compress=True)
        before = pydyf.Stream([b"q"], compress=False)
        pdf.add_object(marks)
        pdf.add_object(before)
        contents = page["Contents"]
        page["Contents"] = pydyf.Array([before.reference, contents, marks.reference])


def _prune_colour_spaces(pdf: Any) -> None:
    """Drop colour spaces no content uses: WeasyPrint declares Lab and ICC spaces on every
    page whether or not they are painted with, and strict PDF/X preflights reject them."""
    import pydyf  # noqa: PLC0415

    streams = [item for item in pdf.objects if isinstance(item, pydyf.Stream)]
    painted = b"\n".join(
        b"\n".join(pydyf._to_bytes(part) for part in item.stream)
        for item in streams
        if item.extra.get("Subtype", "/Form") == "/Form"  # page contents and forms
    )
    pending: list[Any] = [o.extra if isinstance(o, pydyf.Stream) else o for o in pdf.objects]
    while pending:  # every dictionary, nested ones included (resources are often inline)
        item = pending.pop()
        if not isinstance(item, dict):
            continue
        pending.extend(value for value in item.values() if isinstance(value, dict))
        spaces = item.get("ColorSpace")
        if isinstance(spaces, bytes):
            spaces = spaces.decode()
        if isinstance(spaces, str):  # "12 0 R", or a picture's own space, e.g. "/DeviceRGB"
            if not re.fullmatch(r"\d+ \d+ R", spaces.strip()):
                continue
            spaces = pdf.objects[int(spaces.split()[0])]
        if isinstance(spaces, dict):
            for name in [n for n in spaces if f"/{n} ".encode() not in painted]:
                del spaces[name]


def _crop_marks(x0: float, y0: float, x1: float, y1: float) -> str:
    """Eight hairlines in registration colour (all four inks), outside the bleed."""
    near, far = MARK_OFFSET, MARK_OFFSET + MARK_LENGTH
    lines = []
    for x, y, sx, sy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        lines.append(f"{x + sx * near:.3f} {y:.3f} m {x + sx * far:.3f} {y:.3f} l S")
        lines.append(f"{x:.3f} {y + sy * near:.3f} m {x:.3f} {y + sy * far:.3f} l S")
    return f"Q q 1 1 1 1 K {MARK_WIDTH} w 0 J [] 0 d " + " ".join(lines) + " Q"


def _xmp_fields(fields: PdfFields, accessible: bool) -> bytes:
    """Our fields as XMP, and for an accessible file the PDF/UA-1 identification, each with
    the PDF/A extension schema that declares it (PDF/A rejects undeclared XMP properties)."""
    schemas = [
        (
            "Patient information leaflet governance",
            XMP_NAMESPACE,
            XMP_PREFIX,
            [(key, kind, "external", about) for key, (_v, kind, about) in fields.xmp().items()],
            {key: value for key, (value, _kind, _about) in fields.xmp().items()},
        )
    ]
    if accessible:
        schemas.append(
            (
                "PDF/UA Universal Accessibility Schema",
                "http://www.aiim.org/pdfua/ns/id/",
                "pdfuaid",
                [("part", "Integer", "internal", "Indicates, which part of ISO 14289 standard")],
                {"part": "1"},
            )
        )
    values = "".join(
        f'<rdf:Description rdf:about="" xmlns:{prefix}="{namespace}">'
        + "".join(
            f"<{prefix}:{key}>{escape(value)}</{prefix}:{key}>" for key, value in data.items()
        )
        + "</rdf:Description>"
        for _name, namespace, prefix, _properties, data in schemas
    )
    declared = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaSchema:schema>{escape(name)}</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{namespace}</pdfaSchema:namespaceURI>"
        f"<pdfaSchema:prefix>{prefix}</pdfaSchema:prefix>"
        "<pdfaSchema:property><rdf:Seq>"
        + "".join(
            '<rdf:li rdf:parseType="Resource">'
            f"<pdfaProperty:name>{key}</pdfaProperty:name>"
            f"<pdfaProperty:valueType>{kind}</pdfaProperty:valueType>"
            f"<pdfaProperty:category>{category}</pdfaProperty:category>"
            f"<pdfaProperty:description>{escape(about)}</pdfaProperty:description>"
            "</rdf:li>"
            for key, kind, category, about in properties
        )
        + "</rdf:Seq></pdfaSchema:property></rdf:li>"
        for name, namespace, prefix, properties, _data in schemas
    )
    return (
        values + '<rdf:Description rdf:about="" '
        'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
        'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        f"<pdfaExtension:schemas><rdf:Bag>{declared}</rdf:Bag></pdfaExtension:schemas>"
        "</rdf:Description>"
    ).encode()
