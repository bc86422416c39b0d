"""Impose: a finished print PDF laid out as a saddle-stitched booklet, two pages per sheet side.

A print shop folds a stack of sheets once and staples them on the fold, so the pages must be
printed out of order: sheet 1 carries the last page beside the first, and so on inwards. This
stage takes the print PDF as it is (already rendered, already checked) and rearranges it with
pypdf alone, so imposing never renders anything again and never changes a page's content.

The imposed file is a printing aid, not an archival document: two trim-size pages fill the
sheet, so there is no room on it for bleed or crop marks. The print PDF keeps those; a printer
who wants them on the imposed file needs a larger sheet (e.g. SRA4). Two A4 pages make exactly
A3 landscape; two A5 pages make 296 x 210 mm (ISO A5 is 148 mm wide, not half of 297), so they
are centred on an A4 landscape sheet with 0.5 mm to spare each side. TrimBox and BleedBox mark
the two pages on the sheet.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    PdfObject,
    RectangleObject,
)

from build_leaflets.errors import LeafletError

#: Two trim sizes closer than this (in points) are the same size: rounding in the PDF, not a
#: different page.
_SIZE_TOLERANCE = 0.01
_MM = 72 / 25.4
#: Landscape paper sizes in points: A4, A3.
_SHEETS = ((297 * _MM, 210 * _MM), (420 * _MM, 297 * _MM))

#: Document information carried over to the imposed file, besides any `/Leaflet*` key. The
#: source's own dates are kept (never the clock's), so the info still agrees with the XMP
#: metadata that is carried over with it, and the same input gives the same bytes.
_INFO_KEYS = (
    "/Title",
    "/Author",
    "/Subject",
    "/Keywords",
    "/Creator",
    "/CreationDate",
    "/ModDate",
    "/Trapped",
    "/GTS_PDFXVersion",
    "/GTS_PDFXConformance",
)
_TRAPPED = ("/True", "/False", "/Unknown")

Side = tuple[int | None, int | None]


@dataclass(frozen=True)
class Booklet:
    """An imposed booklet and how it was laid out, so a caller can report it or check it."""

    pdf: bytes  # the imposed PDF
    pages: int  # source pages
    padded_pages: int  # after padding to a multiple of 4
    sheets: int  # printed sheets = padded_pages // 4 (each sheet printed on both sides)
    order: list[Side]  # per sheet side (left, right), 1-based source pages, None = blank


def saddle_stitch_order(pages: int, *, back_cover: bool = False) -> list[Side]:
    """The source page on each half of each sheet side, in printing order.

    One tuple `(left, right)` per sheet side: sheet 1 front, sheet 1 back, sheet 2 front, ...
    Pages are 1-based; `None` is a blank padding page. A booklet's page count is a multiple of
    4 (one folded sheet holds four pages), so blanks are added at the end; with `back_cover`
    they go just before the last page instead, so the last page stays on the outside as the
    back cover. A single page has no back cover to keep: it is the front cover either way.
    """
    if pages < 1:
        raise ValueError(f"a booklet needs at least one page, not {pages}")
    padded = -(-pages // 4) * 4
    blanks: list[int | None] = [None] * (padded - pages)
    slots: list[int | None]
    if back_cover and pages > 1:
        slots = [*range(1, pages), *blanks, pages]
    else:
        slots = [*range(1, pages + 1), *blanks]
    order: list[Side] = []
    for sheet in range(padded // 4):
        outer, inner = 2 * sheet, padded - 1 - 2 * sheet
        order.append((slots[inner], slots[outer]))  # front: the later page on the left
        order.append((slots[outer + 1], slots[inner - 1]))  # back: the earlier on the left
    return order


def impose_booklet(
    pdf: bytes, *, back_cover: bool = False, document_id: bytes | None = None
) -> Booklet:
    """Impose the print PDF `pdf` as a saddle-stitched booklet, two pages per sheet side.

    Each page is placed by its TrimBox, clipped to it, so the finished page lands exactly on its
    half of the sheet and its bleed does not cover the neighbour at the spine. Every box of an
    imposed sheet side's TrimBox and BleedBox are the two pages: they fill the sheet, so it has
    no bleed of its own (the print PDF, not the imposed one, carries bleed and marks).

    The output is reproducible: its file ID is `document_id` (first 16 bytes) or, by default,
    taken from the SHA-256 of `pdf`, and nothing from the clock is added. The source's PDF/X
    identity (output intents, XMP metadata, document information) is carried over, because
    pypdf's writer does not copy it. Links are dropped: annotations have no place in a print
    file, and pypdf would copy them with moved rectangles.
    """
    reader = _read(pdf)
    width, height = _trim_size(reader)
    order = saddle_stitch_order(len(reader.pages), back_cover=back_cover)

    writer = PdfWriter()
    writer.pdf_header = reader.pdf_header
    sheet_width, sheet_height = _sheet_for(2 * width, height)
    x, y = (sheet_width - 2 * width) / 2, (sheet_height - height) / 2
    pages_box = RectangleObject((x, y, x + 2 * width, y + height))
    for left, right in order:
        side = writer.add_blank_page(sheet_width, sheet_height)
        for number, offset in ((left, x), (right, x + width)):
            if number is not None:
                _place(side, reader.pages[number - 1], offset, y)
        for box in ("/MediaBox", "/CropBox"):
            side[NameObject(box)] = RectangleObject((0, 0, sheet_width, sheet_height))
        for box in ("/BleedBox", "/TrimBox"):
            side[NameObject(box)] = RectangleObject(pages_box)

    _carry_identity(reader, writer)
    file_id = (document_id or hashlib.sha256(pdf).digest())[:16]
    # pypdf 7 has no public setter for the trailer /ID (generate_file_identifiers is random).
    writer._ID = ArrayObject((ByteStringObject(file_id), ByteStringObject(file_id)))
    # Merging clones each page's resources (fonts, ICC profiles) once per sheet side.
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)

    out = io.BytesIO()
    writer.write(out)
    padded = len(order) * 2
    return Booklet(
        pdf=out.getvalue(),
        pages=len(reader.pages),
        padded_pages=padded,
        sheets=padded // 4,
        order=order,
    )


def _read(pdf: bytes) -> PdfReader:
    """The source PDF, or a `LeafletError` that says why it cannot be imposed."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            raise LeafletError("impose: the PDF is encrypted; impose the unencrypted print PDF")
        count = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # pypdf reports a damaged file with whichever error it meets first.
        raise LeafletError(f"impose: the input is not a readable PDF ({exc})") from exc
    if count == 0:
        raise LeafletError("impose: the PDF has no pages, so there is nothing to impose")
    return reader


def _trim_size(reader: PdfReader) -> tuple[float, float]:
    """The one trim size all pages share; a booklet cannot mix page sizes."""
    first = reader.pages[0].trimbox
    width, height = float(first.width), float(first.height)
    for number, page in enumerate(reader.pages, start=1):
        trim = page.trimbox
        if (
            abs(float(trim.width) - width) > _SIZE_TOLERANCE
            or abs(float(trim.height) - height) > _SIZE_TOLERANCE
        ):
            raise LeafletError(
                f"impose: page {number} is {_mm(trim.width, trim.height)} but page 1 is "
                f"{_mm(width, height)}: every page of a booklet must have the same trim size"
            )
    return width, height


def _mm(width: float, height: float) -> str:
    return f"{float(width) / _MM:.0f} x {float(height) / _MM:.0f} mm"


def _sheet_for(width: float, height: float) -> tuple[float, float]:
    """The paper the pair of pages is printed on: A4 landscape for A5 pages, A3 for A4, so
    the file matches the paper in the press; the pair is centred on it, the fold in the
    middle. Any other size gets a sheet exactly as large as the pair."""
    for sheet in _SHEETS:
        spare_w, spare_h = sheet[0] - width, sheet[1] - height
        if -_SIZE_TOLERANCE <= spare_w <= 3 * _MM and -_SIZE_TOLERANCE <= spare_h <= 3 * _MM:
            return sheet
    return width, height


def _place(side: PageObject, page: PageObject, offset: float, rise: float = 0.0) -> None:
    """Merge `page` onto `side` with its trim area's lower left corner at (`offset`, 0).

    pypdf clips a merged page to its CropBox: setting it to the TrimBox keeps the bleed off the
    neighbouring page. WeasyPrint's MediaBox starts below zero, so the TrimBox, not the
    MediaBox, gives the origin. The page belongs to a reader of our own, so changing it is safe.
    """
    trim = page.trimbox
    page.cropbox = RectangleObject(trim)
    if "/Annots" in page:
        del page["/Annots"]
    move = Transformation().translate(offset - float(trim.left), rise - float(trim.bottom))
    side.merge_transformed_page(page, move)


def _carry_identity(reader: PdfReader, writer: PdfWriter) -> None:
    """Copy the output intents, XMP metadata and document information a new writer drops."""
    catalog = reader.root_object
    for key in ("/OutputIntents", "/Metadata"):
        if key in catalog:
            writer.root_object[NameObject(key)] = catalog.raw_get(key).clone(writer)

    source = reader.trailer.get("/Info")
    if source is None:
        return
    source = source.get_object()
    if not isinstance(source, DictionaryObject):
        return
    # pypdf 7's public `add_metadata` turns every value into a string, and /Trapped must stay
    # a name, so the writer's own info dictionary is filled directly.
    info = writer._info
    assert info is not None  # a new writer always has one (with its /Producer)
    for key in source:
        if key in _INFO_KEYS or key.startswith("/Leaflet"):
            info[NameObject(key)] = _info_value(key, source.raw_get(key), writer)


def _info_value(key: str, value: PdfObject, writer: PdfWriter) -> PdfObject:
    """A document information value cloned into `writer`, with /Trapped always a name.

    Some producers write /Trapped as a string ("False"); PDF/X requires the name /False.
    """
    if key == "/Trapped":
        text = str(value.get_object())
        name = text if text.startswith("/") else f"/{text}"
        return NameObject(name if name in _TRAPPED else "/Unknown")
    return value.clone(writer)
