"""Booklet imposition, checked as a print shop would: which page sits on which half of which side.

The inputs are real print PDFs made by WeasyPrint, each page saying its own number, and the
imposed file is read back with pypdf: the number found on each half of a sheet side is the
page the printer will see there.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
from typing import Any

import pydyf
import pytest
import weasyprint
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import NameObject, RectangleObject

from build_leaflets.errors import LeafletError
from build_leaflets.impose import Booklet, impose_booklet, saddle_stitch_order

MM = 72 / 25.4
A5_W, A5_H = 148 * MM, 210 * MM
A4_W, A4_H = 210 * MM, 297 * MM


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _finish_pdfx(document: Any, pdf: Any) -> None:
    """Document information as a PDF/X print file carries it, plus one of our governance keys."""
    pdf.info["Title"] = pydyf.String("Sleep and you")
    pdf.info["Trapped"] = "/False"
    pdf.info["GTS_PDFXVersion"] = pydyf.String("PDF/X-4")
    pdf.info["LeafletReference"] = pydyf.String("RMH-001")
    pdf.info["Creator"] = pydyf.String("build_leaflets")


@functools.cache
def make_pdf(
    pages: int, size: str = "A5", *, variant: str | None = None, mixed: bool = False
) -> bytes:
    """A print PDF of `pages` pages, each saying "Page N" and linking somewhere.

    `variant` adds an output intent and XMP (PDF/A-3b, so the test needs no CMYK profile)
    and PDF/X-style document information; `mixed` makes page 2 A4.
    """
    style = (
        f"@page {{ size: {size}; bleed: 3mm; marks: crop; margin: 15mm }}"
        "@page big { size: A4 } .big { page: big }"
        ".p { break-after: page } a { color: black }"
    )
    body = "".join(
        f'<div class="p{" big" if mixed and i == 2 else ""}">Page {i} '
        f'<a href="https://example.org/{i}">more</a></div>'
        for i in range(1, pages + 1)
    )
    log, handler = logging.getLogger("weasyprint"), _Errors()
    log.addHandler(handler)
    try:
        data = weasyprint.HTML(string=f"<style>{style}</style>{body}").write_pdf(
            pdf_variant=variant, finisher=_finish_pdfx if variant else None
        )
    finally:
        log.removeHandler(handler)
    assert handler.messages == []
    assert isinstance(data, bytes)
    return data


def read(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def text_runs(page: PageObject) -> list[tuple[float, str]]:
    """Each run of text on `page` with the x position (user space) where it starts."""
    runs: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            runs.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], text))

    page.extract_text(visitor_text=visit)
    return runs


def halves(page: PageObject) -> tuple[int | None, int | None]:
    """The page number printed on the left and on the right half of a sheet side."""
    middle = float(page.mediabox.width) / 2
    found: list[int | None] = []
    for inside in (lambda x: x < middle, lambda x: x >= middle):
        text = " ".join(t for x, t in text_runs(page) if inside(x))
        numbers = [int(n) for n in re.findall(r"Page (\d+)", text)]
        assert len(numbers) <= 1, text
        found.append(numbers[0] if numbers else None)
    return found[0], found[1]


def fonts(reader: PdfReader) -> set[int]:
    """The object numbers of the font dictionaries the pages use."""
    found = set()
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        if "/Font" in resources:
            table = resources["/Font"].get_object()
            found |= {table.raw_get(name).idnum for name in table}
    return found


# --- page order ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "back_cover", "expected"),
    [
        (1, False, [(None, 1), (None, None)]),
        (1, True, [(None, 1), (None, None)]),  # one page is the front cover either way
        (2, False, [(None, 1), (2, None)]),
        (2, True, [(2, 1), (None, None)]),
        (3, True, [(3, 1), (2, None)]),
        (4, False, [(4, 1), (2, 3)]),
        (4, True, [(4, 1), (2, 3)]),
        (5, False, [(None, 1), (2, None), (None, 3), (4, 5)]),
        (5, True, [(5, 1), (2, None), (None, 3), (4, None)]),
        (6, True, [(6, 1), (2, None), (None, 3), (4, 5)]),
        (8, False, [(8, 1), (2, 7), (6, 3), (4, 5)]),
        (8, True, [(8, 1), (2, 7), (6, 3), (4, 5)]),
        (12, False, [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)]),
        (12, True, [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)]),
    ],
)
def test_saddle_stitch_order(pages: int, back_cover: bool, expected: list) -> None:
    assert saddle_stitch_order(pages, back_cover=back_cover) == expected


@pytest.mark.parametrize("back_cover", [False, True])
def test_every_page_is_printed_once_and_facing_pages_add_up(back_cover: bool) -> None:
    for pages in range(1, 41):
        order = saddle_stitch_order(pages, back_cover=back_cover)
        padded = -(-pages // 4) * 4
        assert len(order) == padded // 2
        printed = [n for side in order for n in side if n is not None]
        assert sorted(printed) == list(range(1, pages + 1))
        assert order[0][1] == 1  # the front cover is on the outside
        if back_cover and pages > 1:
            assert order[0][0] == pages  # ... and so is the back cover


def test_order_needs_a_page() -> None:
    with pytest.raises(ValueError, match="at least one page"):
        saddle_stitch_order(0)


# --- imposed sheets -------------------------------------------------------------------------


def test_the_print_pdf_has_trim_and_bleed_boxes() -> None:
    # What the imposition relies on: WeasyPrint's TrimBox is the A5 page at the origin; its
    # MediaBox (here equal to the BleedBox, as `bleed: 3mm` leaves no slug) starts below zero.
    page = read(make_pdf(2)).pages[0]
    assert [float(v) for v in page.trimbox] == pytest.approx([0, 0, A5_W, A5_H], abs=0.01)
    assert [float(v) for v in page.bleedbox] == pytest.approx(
        [-3 * MM, -3 * MM, A5_W + 3 * MM, A5_H + 3 * MM], abs=0.01
    )
    assert float(page.mediabox.left) < 0 and float(page.mediabox.width) > A5_W
    assert "/Annots" in page


def test_eight_pages_make_two_sheets_in_saddle_stitch_order() -> None:
    booklet = impose_booklet(make_pdf(8))
    assert (booklet.pages, booklet.padded_pages, booklet.sheets) == (8, 8, 2)
    assert booklet.order == [(8, 1), (2, 7), (6, 3), (4, 5)]
    reader = read(booklet.pdf)
    assert len(reader.pages) == 4
    assert [halves(page) for page in reader.pages] == [(8, 1), (2, 7), (6, 3), (4, 5)]


def test_a5_pages_are_centred_on_a4_landscape_sheets() -> None:
    # ISO A5 is 148 mm wide, not 148.5: two of them make 296 x 210 mm, 1 mm short of A4
    # landscape (841.89 pt). The sheet is A4, the pair centred on it, the fold in the middle.
    for page in read(impose_booklet(make_pdf(8)).pdf).pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (width, height) == pytest.approx((841.89, 595.28), abs=0.01)
        trim = [float(v) for v in page.trimbox]
        spare = (841.89 - 2 * A5_W) / 2
        assert trim == pytest.approx([spare, 0, spare + 2 * A5_W, A5_H], abs=0.01)
        assert (trim[0] + trim[2]) / 2 == pytest.approx(width / 2)


def test_a4_pages_make_a3_landscape_sheets() -> None:
    page = read(impose_booklet(make_pdf(4, "A4")).pdf).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        (1190.55, 841.89), abs=0.1
    )
    assert halves(page) == (4, 1)


def test_pages_land_by_their_trim_box_exactly_on_their_half() -> None:
    # The text sits as far inside the trim edge on each half as on the source page (placing by
    # the MediaBox, which starts at -3 mm, would shift it by the bleed).
    source = read(make_pdf(8))
    assert float(source.pages[0].trimbox.left) == 0
    margin = text_runs(source.pages[0])[0][0]
    assert 15 * MM <= margin < 20 * MM  # the 15 mm page margin, plus the text's own offset
    front = read(impose_booklet(make_pdf(8)).pdf).pages[0]
    starts = sorted(x for x, text in text_runs(front) if text.startswith("Page"))
    spare = float(front.trimbox.left)  # the pair is centred on the A4 sheet
    assert starts == pytest.approx([spare + margin, spare + A5_W + margin], abs=0.01)


def test_a_trim_box_away_from_the_origin_is_placed_by_its_corner() -> None:
    # Move every page's content and boxes by (20, 30): the imposed sheet must not change.
    writer = PdfWriter(clone_from=read(make_pdf(4)))
    for page in writer.pages:
        page.add_transformation(Transformation().translate(20, 30))
        for key in ("/MediaBox", "/BleedBox", "/TrimBox"):
            left, bottom, right, top = (float(v) for v in page[key])
            page[NameObject(key)] = RectangleObject((left + 20, bottom + 30, right + 20, top + 30))
    out = io.BytesIO()
    writer.write(out)
    moved = read(impose_booklet(out.getvalue()).pdf).pages[0]
    plain = read(impose_booklet(make_pdf(4)).pdf).pages[0]
    assert halves(moved) == (4, 1)
    assert [t for _, t in text_runs(moved)] == [t for _, t in text_runs(plain)]
    assert [x for x, _ in text_runs(moved)] == pytest.approx([x for x, _ in text_runs(plain)])
    assert list(moved.mediabox) == list(plain.mediabox)


def test_each_page_is_clipped_to_its_trim_box() -> None:
    # The source's bleed must not cover the neighbour at the spine: each page is merged with
    # a clip to its own half.
    content = read(impose_booklet(make_pdf(8)).pdf).pages[0].get_contents()
    assert content is not None
    clips = [
        [round(float(v), 2) for v in operands]
        for operands, operator in content.operations
        if operator == b"re"
    ]
    assert [0, 0, round(A5_W, 2), round(A5_H, 2)] in clips


def test_five_pages_are_padded_with_blank_pages_at_the_end() -> None:
    booklet = impose_booklet(make_pdf(5))
    assert (booklet.pages, booklet.padded_pages, booklet.sheets) == (5, 8, 2)
    assert booklet.order == [(None, 1), (2, None), (None, 3), (4, 5)]
    assert [halves(p) for p in read(booklet.pdf).pages] == booklet.order


def test_three_pages_with_back_cover_keep_the_last_page_outside() -> None:
    booklet = impose_booklet(make_pdf(3), back_cover=True)
    assert (booklet.pages, booklet.padded_pages, booklet.sheets) == (3, 4, 1)
    assert booklet.order == [(3, 1), (2, None)]
    assert [halves(p) for p in read(booklet.pdf).pages] == [(3, 1), (2, None)]


def test_sheet_boxes_mark_the_pages_on_the_paper() -> None:
    for page in read(impose_booklet(make_pdf(5)).pdf).pages:
        assert list(page.cropbox) == list(page.mediabox)
        assert list(page.bleedbox) == list(page.trimbox)
        left = float(page.trimbox.left)
        box = [float(v) for v in page.trimbox]
        assert box == pytest.approx([left, 0, left + 2 * A5_W, A5_H], abs=0.01)
        for key in ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox"):
            assert key in page  # set, not inherited or defaulted


def test_no_annotations_are_left() -> None:
    assert all("/Annots" in page for page in read(make_pdf(8)).pages)
    assert all("/Annots" not in page for page in read(impose_booklet(make_pdf(8)).pdf).pages)


def test_fonts_are_not_duplicated_per_page() -> None:
    source = make_pdf(8, variant="pdf/a-3b")
    imposed = impose_booklet(source).pdf
    assert 0 < len(fonts(read(imposed))) <= len(fonts(read(source)))
    # and the sRGB profile is not copied per page either
    assert len(imposed) < 2 * len(source)


# --- reproducible, identified ---------------------------------------------------------------


def test_the_same_input_gives_the_same_bytes() -> None:
    data = make_pdf(5)
    first = impose_booklet(data, back_cover=True)
    assert impose_booklet(data, back_cover=True).pdf == first.pdf
    assert b"CreationDate" not in first.pdf and b"ModDate" not in first.pdf


def test_the_file_id_comes_from_the_input_or_the_caller() -> None:
    data = make_pdf(4)
    expected = hashlib.sha256(data).digest()[:16]
    ids = read(impose_booklet(data).pdf).trailer["/ID"]
    assert [bytes(v.original_bytes) for v in ids] == [expected, expected]
    ids = read(impose_booklet(data, document_id=b"0123456789abcdef-tail").pdf).trailer["/ID"]
    assert [bytes(v.original_bytes) for v in ids] == [b"0123456789abcdef"] * 2


def test_the_print_identity_is_carried_over() -> None:
    source = read(make_pdf(4, variant="pdf/a-3b"))
    assert "/OutputIntents" in source.root_object and "/Metadata" in source.root_object
    imposed = read(impose_booklet(make_pdf(4, variant="pdf/a-3b")).pdf)
    catalog = imposed.root_object
    intent = catalog["/OutputIntents"][0].get_object()
    assert intent["/DestOutputProfile"].get_object().get_data() == (
        source.root_object["/OutputIntents"][0]["/DestOutputProfile"].get_data()
    )
    assert catalog["/Metadata"].get_object().get_data() == (
        source.root_object["/Metadata"].get_data()
    )
    info = imposed.trailer["/Info"].get_object()
    assert info["/Title"] == "Sleep and you"
    assert info["/GTS_PDFXVersion"] == "PDF/X-4"
    assert info["/LeafletReference"] == "RMH-001"
    assert info["/Creator"] == "build_leaflets"
    assert info.raw_get("/Trapped") == "/False"
    assert type(info.raw_get("/Trapped")).__name__ == "NameObject"
    assert imposed.pdf_header == source.pdf_header


def test_a_trapped_string_becomes_a_name() -> None:
    writer = PdfWriter(clone_from=read(make_pdf(4)))
    writer.add_metadata({"/Trapped": "False"})  # pypdf writes every value as a string
    out = io.BytesIO()
    writer.write(out)
    imposed = read(impose_booklet(out.getvalue()).pdf)
    trapped = imposed.trailer["/Info"].get_object().raw_get("/Trapped")
    assert type(trapped).__name__ == "NameObject" and trapped == "/False"


def test_returns_a_booklet() -> None:
    assert isinstance(impose_booklet(make_pdf(1)), Booklet)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"hello, not a PDF", b"%PDF-1.7\ntruncated"])
def test_input_that_is_not_a_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(LeafletError, match=r"^impose: the input is not a readable PDF \("):
        impose_booklet(data)


def test_a_pdf_without_pages_is_refused() -> None:
    out = io.BytesIO()
    PdfWriter().write(out)
    with pytest.raises(LeafletError) as caught:
        impose_booklet(out.getvalue())
    assert caught.value.message == "impose: the PDF has no pages, so there is nothing to impose"


def test_pages_of_different_sizes_are_refused() -> None:
    with pytest.raises(LeafletError) as caught:
        impose_booklet(make_pdf(3, mixed=True))
    assert caught.value.message == (
        "impose: page 2 is 210 x 297 mm but page 1 is 148 x 210 mm: every page of a booklet "
        "must have the same trim size"
    )
