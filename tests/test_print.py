"""Print shops: PDF/X print files, crop marks and bleed, booklet imposition, the print pack."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from build_leaflets.cli import cli
from build_leaflets.impose import saddle_stitch_order
from tests.conftest import ROOT, SAMPLES, source_sha, tree

MM = 72 / 25.4
A5 = (148 * MM, 210 * MM)


def _print_pdfs(out: Path) -> list[Path]:
    return sorted((out / "print").glob("*-print.pdf"))


def _content(reader: PdfReader) -> list[str]:
    """Every content stream a page paints with: page contents and form XObjects, decoded."""
    streams = []
    for page in reader.pages:
        streams.append(page.get_contents().get_data().decode("latin1"))
        for xobject in (page["/Resources"].get("/XObject") or {}).values():
            form = xobject.get_object()
            if form.get("/Subtype") == "/Form":
                streams.append(form.get_data().decode("latin1"))
    return streams


def test_print_pdf_has_a5_trim_3mm_bleed_and_marks_outside(built: Path) -> None:
    pdfs = _print_pdfs(built)
    assert len(pdfs) == len(SAMPLES)
    for pdf in pdfs:
        for page in PdfReader(pdf).pages:
            trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
            assert (float(trim.left), float(trim.bottom)) == (0, 0)
            assert float(trim.width) == pytest.approx(A5[0], abs=0.01)
            assert float(trim.height) == pytest.approx(A5[1], abs=0.01)
            for edge, sign in (("left", -1), ("bottom", -1), ("right", 1), ("top", 1)):
                assert float(getattr(bleed, edge)) - float(getattr(trim, edge)) == pytest.approx(
                    sign * 3 * MM, abs=0.01
                )
            assert float(media.width) > float(bleed.width) + 10 * MM
            marks = [s for s in [page.get_contents().get_data().decode()] if "1 1 1 1 K" in s]
            assert marks, f"{pdf.name}: no crop marks"
            points = re.findall(r"(-?[\d.]+) (-?[\d.]+) [ml]", marks[0].split("1 1 1 1 K")[1])
            assert len(points) == 16  # eight lines
            for x, y in ((float(x), float(y)) for x, y in points):
                outside_trim = not (0 < x < A5[0] and 0 < y < A5[1])
                edge = 3 * MM - 0.01  # coordinates are written to 3 decimals
                outside_bleed = x <= -edge or x >= A5[0] + edge
                outside_bleed |= y <= -edge or y >= A5[1] + edge
                assert outside_trim and outside_bleed
                assert float(media.left) <= x <= float(media.right)


def test_colour_band_runs_into_the_bleed(built: Path) -> None:
    """Page 1 of each print PDF paints a blue band wider than the trim (it bleeds)."""
    for pdf in _print_pdfs(built):
        content = PdfReader(pdf).pages[0].get_contents().get_data().decode("latin1")
        assert "1 0.5 0 0 scn" in content  # NHS blue in CMYK
        trim_width_px = A5[0] / 0.75  # content is drawn in CSS pixels
        rectangles = re.findall(r"(-?[\d.]+) (-?[\d.]+) ([\d.]+) ([\d.]+) re\n", content)
        assert any(
            float(x) < 0 and float(width) > trim_width_px for x, _y, width, _h in rectangles
        ), f"{pdf.name}: no band into the bleed"


def test_print_pdf_fonts_embedded_and_no_links(built: Path) -> None:
    for pdf in _print_pdfs(built):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
        rows = fonts.stdout.splitlines()[2:]
        assert rows and all(row.split()[-5] == "yes" for row in rows)
        assert all("/Annots" not in page for page in PdfReader(pdf).pages)


def test_print_pdf_declares_pdfx4_with_a_cmyk_intent(built: Path) -> None:
    for pdf in _print_pdfs(built):
        reader = PdfReader(pdf)
        [intent] = reader.root_object["/OutputIntents"]
        intent = intent.get_object()
        assert intent["/S"] == "/GTS_PDFX"
        assert intent["/DestOutputProfile"].get_object()["/N"] == 4  # CMYK
        xmp = reader.root_object["/Metadata"].get_object().get_data().decode()
        assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
        source = ROOT / "leaflets" / f"{pdf.name.split('-v')[0].lower()}.yaml"
        digest = source_sha(source)
        assert f"xmp.did:{digest[:32]}" in xmp  # derived from the content, not random
        assert reader.metadata["/LeafletSourceSHA256"] == digest


def _closed_paths(page) -> int:
    """How many closed paths a page paints (its contents and its forms)."""
    streams = [page.get_contents().get_data().decode("latin1")]
    for xobject in (page["/Resources"].get("/XObject") or {}).values():
        if xobject.get_object().get("/Subtype") == "/Form":
            streams.append(xobject.get_object().get_data().decode("latin1"))
    return sum(len(re.findall(r"(?<![\w/])h(?!\w)", stream)) for stream in streams)


def test_print_pdf_carries_qr_code_and_web_address(built: Path) -> None:
    reader = PdfReader(built / "print" / "PSY-0102-v2-print.pdf")
    texts = ["".join(page.extract_text().split()) for page in reader.pages]
    address = "https://leaflets.riverside.example/PSY-0102.html"
    (contact,) = [number for number, text in enumerate(texts) if address in text]
    # The QR code's dark modules are painted as a vector path of many closed runs, on the
    # page with the contact block only.
    counts = [_closed_paths(page) for page in reader.pages]
    assert counts[contact] > 150
    assert max(c for number, c in enumerate(counts) if number != contact) < 50


@pytest.fixture(scope="module")
def x1a(samples_project: Path, tmp_path_factory) -> Path:
    """A print pack made with the X-1a profile of the sample settings."""
    out = tmp_path_factory.mktemp("x1a")
    here = Path.cwd()
    os.chdir(samples_project)
    try:
        result = CliRunner().invoke(
            cli, ["print-pack", "PSY-0101", "--profile", "large-format", "--out", str(out)]
        )
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return out / "print" / "PSY-0101-v2-print-pack-large-format.zip"


def test_x1a_pages_contain_no_rgb(x1a: Path) -> None:
    with zipfile.ZipFile(x1a) as archive:
        data = archive.read("PSY-0101-v2-print.pdf")
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata["/GTS_PDFXVersion"] == "PDF/X-1a:2003"
    assert float(reader.pages[0].trimbox.width) == pytest.approx(210 * MM, abs=0.01)
    for stream in _content(reader):
        assert not re.search(r"(?<![\w/])(rg|RG)(?!\w)", stream)
        assert "/DeviceRGB" not in stream
    assert b"/DeviceRGB" not in data
    assert "/DeviceCMYK cs" in _content(reader)[0]


def test_saddle_stitch_order() -> None:
    assert saddle_stitch_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert saddle_stitch_order(5) == [(None, 1), (2, None), (None, 3), (4, 5)]
    assert saddle_stitch_order(5, back_cover=True) == [(5, 1), (2, None), (None, 3), (4, None)]


def _page_numbers_by_half(reader: PdfReader) -> list[tuple[int | None, int | None]]:
    """Which source page ("Page N of M" in its footer) sits on each half of each side."""
    sides = []
    for page in reader.pages:
        half = float(page.mediabox.width) / 2
        found: dict[str, int] = {}

        def visit(text, cm, tm, font, size, found=found, half=half):
            match = re.search(r"Page (\d+) of", text)
            if match:
                x = cm[4] + tm[4] * cm[0]
                found["left" if x < half else "right"] = int(match.group(1))

        page.extract_text(visitor_text=visit)
        sides.append((found.get("left"), found.get("right")))
    return sides


def test_print_pack_zip_booklet_and_ticket(runner, samples_project: Path, monkeypatch) -> None:
    monkeypatch.chdir(samples_project)
    result = runner.invoke(cli, ["print-pack", "PSY-0102"])
    assert result.exit_code == 0, result.output
    zipped = samples_project / "output" / "print" / "PSY-0102-v2-print-pack.zip"
    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
        files = {name: archive.read(name) for name in names}
    assert names == [
        "PSY-0102-v2-print.pdf",
        "PSY-0102-v2-booklet.pdf",
        "ticket.json",
        "ticket.txt",
        "SHA256SUMS",
    ]
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(files[name]).hexdigest() == digest
    assert (
        files["PSY-0102-v2-print.pdf"]
        == (samples_project / "output" / "print" / "PSY-0102-v2-print.pdf").read_bytes()
    )

    printed = PdfReader(io.BytesIO(files["PSY-0102-v2-print.pdf"]))
    ticket = json.loads(files["ticket.json"])
    pages = len(printed.pages)
    assert ticket["pages"] == pages
    assert ticket["version"] == 2 and ticket["reference"] == "PSY-0102"
    assert ticket["trim_mm"] == [148.0, 210.0] and ticket["trim_size"] == "A5"
    assert ticket["sheets"] == math.ceil(pages / 4)
    assert ticket["bleed_mm"] == 3 and ticket["colour_standard"] == "PDF/X-4"
    assert ticket["output_condition"] == "Artifex CMYK SWOP Profile"
    assert ticket["archive_date"] == "2029-12-01" and ticket["last_updated"] == "2026-12-01"
    text = files["ticket.txt"].decode()
    assert f"Pages:             {pages}" in text
    assert "Trim size:         A5 (148 x 210 mm)" in text

    booklet = PdfReader(io.BytesIO(files["PSY-0102-v2-booklet.pdf"]))
    assert len(booklet.pages) == 2 * math.ceil(pages / 4)
    for side in booklet.pages:
        assert float(side.mediabox.width) == pytest.approx(297 * MM, abs=0.05)  # A4 landscape
        assert float(side.mediabox.height) == pytest.approx(210 * MM, abs=0.05)
    assert _page_numbers_by_half(booklet) == saddle_stitch_order(pages)


def test_print_pack_is_reproducible(runner, samples_project: Path, monkeypatch) -> None:
    monkeypatch.chdir(samples_project)
    zipped = samples_project / "output" / "print" / "PSY-0104-v1-print-pack.zip"
    assert runner.invoke(cli, ["print-pack", "PSY-0104"]).exit_code == 0
    first = zipped.read_bytes()
    assert runner.invoke(cli, ["print-pack", "PSY-0104"]).exit_code == 0
    assert zipped.read_bytes() == first


def test_print_pack_refuses_draft_expired_and_unpublished(runner, make_project) -> None:
    today = dt.date.today()
    old = today - dt.timedelta(days=4 * 366)
    expired = (ROOT / "leaflets" / "psy-0101.yaml").read_text()
    expired = expired.replace("last_updated: 2026-11-23", f"last_updated: {old}")
    expired = expired.replace("approved_on: 2026-11-20", f"approved_on: {old}")
    draft = (
        (ROOT / "leaflets" / "psy-0102.yaml")
        .read_text()
        .replace("status: approved", "status: draft")
    )
    root = make_project(("psy-0101.yaml", expired), ("psy-0102.yaml", draft), SAMPLES[2])
    before = tree(root / "output")
    result = runner.invoke(cli, ["print-pack", "PSY-0101", "PSY-0102", "PSY-0103"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert re.match(r"leaflets/psy-0101.yaml:\d+:\d+: PSY-0101 expired on ", lines[0])
    assert re.match(
        r"leaflets/psy-0102.yaml:\d+:\d+: PSY-0102 is a draft; only approved, published", lines[1]
    )
    assert re.match(
        r"leaflets/psy-0103.yaml:\d+:\d+: PSY-0103 version 1 is not published yet; run "
        "build-leaflets build first",
        lines[2],
    )
    assert lines[-1] == "No print pack was written."
    assert tree(root / "output") == before


def test_two_builds_give_identical_print_files(runner, make_project) -> None:
    root = make_project(SAMPLES[3])
    assert runner.invoke(cli, ["build", "--out", "a"]).exit_code == 0
    assert runner.invoke(cli, ["build", "--out", "b"]).exit_code == 0
    assert tree(root / "a" / "print") == tree(root / "b" / "print")
    assert len(tree(root / "a" / "print")) == 1


def test_print_files_can_be_turned_off(runner, make_project) -> None:
    root = make_project(SAMPLES[0])
    settings = root / "pyproject.toml"
    settings.write_text(
        settings.read_text().replace("base_url =", "print_files = false\nbase_url =")
    )
    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert not (root / "output" / "print").exists()
