"""Accessible PDFs: tagged structure, language, title, artifacts, reading order (PDF/UA-1)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pypdf import PdfReader
from pypdf.generic import ContentStream

from build_leaflets.model import STANDARD_SECTIONS
from tests.conftest import ROOT, sample_pdfs, structure


def _tree(element, out: list[str]) -> list[str]:
    """The structure types in document order."""
    element = element.get_object()
    if "/S" in element:
        out.append(str(element["/S"]))
    kids = element.get("/K")
    if kids is None:
        return out
    kids = kids if isinstance(kids, list) else [kids]
    for kid in kids:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict) and kid.get("/Type", "/StructElem") == "/StructElem":
            _tree(kid, out)
    return out


def _untagged_text(page) -> int:
    """Text-showing operators outside any marked-content sequence (tagged or artifact)."""
    depth, loose = 0, 0
    for _operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator in (b"BDC", b"BMC"):
            depth += 1
        elif operator == b"EMC":
            depth -= 1
        elif operator in (b"Tj", b"TJ", b"'", b'"') and depth == 0:
            loose += 1
    return loose


def test_archival_pdfs_are_tagged_for_screen_readers(built: Path) -> None:
    for pdf in sample_pdfs(built):
        reader = PdfReader(pdf)
        catalog = reader.root_object
        data = yaml.safe_load((ROOT / "leaflets" / f"{pdf.parent.name.lower()}.yaml").read_text())
        assert catalog["/Lang"] == "en-GB"
        assert catalog["/MarkInfo"]["/Marked"]
        assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
        assert reader.metadata.title == data["title"]
        kinds = _tree(catalog["/StructTreeRoot"], [])
        headings = [k for k in kinds if k in ("/H1", "/H2")]
        sections = sum(key in data for key in STANDARD_SECTIONS) + len(
            data.get("extra_sections", [])
        )
        # one title, then a question per section, "Contact us" and "Changes to this leaflet"
        assert headings == ["/H1"] + ["/H2"] * (sections + 1 + bool(data.get("changes")))
        assert "/L" in kinds and "/LI" in kinds and "/LBody" in kinds
        assert "/Figure" in kinds  # the logo, with its alt text
        xmp = catalog["/Metadata"].get_object().get_data().decode()
        assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
        for page in reader.pages:
            assert _untagged_text(page) == 0
            content = page.get_contents().get_data().decode("latin1")
            # the running footer (reference, dates, page number) is a pagination artifact
            assert content.count("/Artifact\n<</Type /Pagination>>") >= 2


def test_figures_carry_alt_text(built: Path) -> None:
    reader = PdfReader(built / "pdf" / "PSY-0102" / "PSY-0102-v2.pdf")
    figures = [element for element in structure(reader) if element.get("/S") == "/Figure"]
    assert figures
    assert all(str(f.get("/Alt", "")).strip() for f in figures)
