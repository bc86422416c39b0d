"""The PDFs as a reader, a print shop and a governance team would check them."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from build_leaflets.build import build
from build_leaflets.cli import cli
from build_leaflets.config import load_project
from tests.conftest import (
    DATA,
    ROOT,
    SAMPLES,
    TRANSLATIONS,
    sample_pdfs,
    source_sha,
    structure,
    translated_pdfs,
)

A4 = (595.28, 841.89)
A5 = (419.53, 595.28)


def _source(reference: str) -> tuple[dict, bytes]:
    path = ROOT / "leaflets" / f"{reference.lower()}.yaml"
    return yaml.safe_load(path.read_text()), path.read_bytes()


def _uk(iso: str) -> str:
    year, month, day = (int(part) for part in iso.split("-"))
    months = "January February March April May June July August September October November"
    name = [*months.split(), "December"][month - 1]
    return f"{day} {name} {year}"


def test_every_sample_becomes_html_and_a_versioned_pdf(built: Path) -> None:
    for path in SAMPLES:
        data = yaml.safe_load(path.read_text())
        reference, version = data["reference"], data["version"]
        assert (built / f"{reference}.html").is_file()
        assert (built / "pdf" / reference / f"{reference}-v{version}.pdf").is_file()
    assert len(sample_pdfs(built)) == len(SAMPLES)
    assert len(translated_pdfs(built)) == len(TRANSLATIONS)


def test_every_page_carries_the_governance_footer(built: Path) -> None:
    for pdf in sample_pdfs(built):
        reader = PdfReader(pdf)
        data, _ = _source(pdf.parent.name)
        last_updated = str(data["last_updated"])
        archive = str(data.get("archive_date") or f"{int(last_updated[:4]) + 3}{last_updated[4:]}")
        pages = len(reader.pages)
        assert pages >= 2
        for number, page in enumerate(reader.pages, start=1):
            text = " ".join(page.extract_text().split())
            assert f"Leaflet reference: {data['reference']}" in text
            assert f"Version: {data['version']}" in text
            assert f"Date last updated: {_uk(last_updated)}" in text
            assert f"Archive date: {_uk(archive)}" in text
            assert f"Page {number} of {pages}" in text


def test_pages_are_a4_by_default(built: Path) -> None:
    for pdf in sample_pdfs(built):
        for page in PdfReader(pdf).pages:
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert (round(width, 1), round(height, 1)) == (round(A4[0], 1), round(A4[1], 1))


def test_metadata_reads_back_with_pypdf(built: Path) -> None:
    for pdf in sample_pdfs(built):
        data, _source_bytes = _source(pdf.parent.name)
        info = PdfReader(pdf).metadata
        assert info is not None
        assert info.title == data["title"]
        assert info.author == "Riverside Mental Health NHS Trust"
        assert info.subject == data["summary"]
        assert info["/LeafletReference"] == data["reference"]
        assert info["/LeafletVersion"] == str(data["version"])
        assert info["/LeafletLastUpdated"] == str(data["last_updated"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", info["/LeafletArchiveDate"])
        leaflet = ROOT / "leaflets" / f"{pdf.parent.name.lower()}.yaml"
        assert info["/LeafletSourceSHA256"] == source_sha(leaflet)
        assert info["/LeafletStatus"] == "approved"


def test_every_font_is_embedded(built: Path) -> None:
    assert shutil.which("pdffonts"), "pdffonts is missing: install poppler-utils (./run does)"
    for pdf in sample_pdfs(built):
        lines = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert lines, f"{pdf.name} lists no fonts"
        for line in lines:
            assert "Atkinson-Hyperlegible" in line
            assert line.split()[-5] == "yes", f"{pdf.name}: not embedded: {line}"


def test_sections_appear_in_reading_order(built: Path) -> None:
    data, _ = _source("PSY-0102")
    text = " ".join(
        page.extract_text() for page in PdfReader(built / "pdf/PSY-0102/PSY-0102-v2.pdf").pages
    )
    text = " ".join(text.split())
    headings = [
        data[key]["heading"] if isinstance(data[key], dict) else None
        for key in ("what", "who", "preparation", "first_appointment", "involves", "duration")
    ]
    positions = [text.index(heading) for heading in headings if heading]
    assert positions == sorted(positions)
    assert text.index("Contact us") > positions[-1]


def test_a5_page_size(runner, make_project) -> None:
    root = make_project(SAMPLES[0])
    result = runner.invoke(cli, ["build", "--page-size", "A5", "--out", "a5"])
    assert result.exit_code == 0, result.output
    [archival] = sample_pdfs(root / "a5")
    reader = PdfReader(archival)
    first = reader.pages[0]
    assert round(float(first.mediabox.width), 1) == round(A5[0], 1)
    assert round(float(first.mediabox.height), 1) == round(A5[1], 1)
    assert "Page 1 of" in first.extract_text()


def test_rendering_logs_no_weasyprint_warnings(make_project, caplog) -> None:
    root = make_project(SAMPLES[1])
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        result = build(load_project(root))
    assert result.ok
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_same_source_gives_the_same_bytes(built: Path, samples_project: Path, tmp_path) -> None:
    again = build(load_project(samples_project), ["PSY-0102"], out=tmp_path)
    assert again.ok
    first = (built / "pdf/PSY-0102/PSY-0102-v2.pdf").read_bytes()
    assert (tmp_path / "pdf/PSY-0102/PSY-0102-v2.pdf").read_bytes() == first


@pytest.mark.parametrize("reference", ["PSY-0101", "PSY-0104"])
def test_links_in_the_text_stay_links(built: Path, reference: str) -> None:
    [pdf] = [p for p in sample_pdfs(built) if p.parent.name == reference]
    reader = PdfReader(pdf)
    uris = [
        annot.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annot in page.get("/Annots", [])
        if annot.get_object().get("/A", {}).get("/URI")
    ]
    assert any(uri.startswith("tel:") for uri in uris)
    assert any(uri.startswith("mailto:") for uri in uris)


def test_a_markdown_table_is_a_tagged_table(runner, make_project) -> None:
    """Pipe tables (which the importer writes for a Word table) are tables in every output."""
    table = (
        "  A short test leaflet.\n\n  | Session | What happens |\n  | --- | --- |\n"
        "  | 1 | You meet your therapist |\n  | 2 to 16 | Weekly sessions |\n"
    )
    text = (DATA / "minimal.yaml").read_text().replace("  A short test leaflet.\n", table)
    root = make_project(("tst-0001.yaml", text))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    page = (root / "output" / "TST-0001.html").read_text()
    assert "<th>Session</th>" in page and "<td>You meet your therapist</td>" in page
    reader = PdfReader(root / "output/pdf/TST-0001/TST-0001-v1.pdf")
    kinds = {str(element.get("/S")) for element in structure(reader)}
    assert {"/Table", "/TR", "/TH", "/TD"} <= kinds
    assert "2 to 16 Weekly sessions" in " ".join(reader.pages[0].extract_text().split())
