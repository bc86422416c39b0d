"""Pictures in every kind of output: the sample PSY-0101 shows a photo (JPEG) and a diagram
(SVG); a leaflet of the tests shows a PNG with transparency. Each is read back as a user
would: poppler's pdfimages, the structure tree, the web page."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from build_leaflets.cli import cli
from tests.conftest import DATA, ROOT, copy_project, structure

PHOTO_ALT = "A quiet room with two armchairs facing each other across a low table, by a window"
DIAGRAM_ALT = "Diagram of the four steps of therapy"


def _images(pdf: Path | bytes, tmp_path: Path) -> list[dict[str, str]]:
    """`pdfimages -list`, one dictionary per image."""
    if isinstance(pdf, bytes):
        path = tmp_path / "from-zip.pdf"
        path.write_bytes(pdf)
        pdf = path
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    names = listing[0].split()
    return [dict(zip(names, line.split(), strict=False)) for line in listing[2:]]


def _figures(pdf: Path) -> list[str]:
    """The alternative text of every Figure in the structure tree."""
    return [
        str(element["/Alt"])
        for element in structure(PdfReader(pdf))
        if element.get("/S") == "/Figure" and "/Alt" in element
    ]


@pytest.mark.parametrize(
    ("file", "colour"),
    [
        ("pdf/PSY-0101/PSY-0101-v2.pdf", "rgb"),
        ("pdf/PSY-0101/PSY-0101-v2-large-print.pdf", "rgb"),
        ("print/PSY-0101-v2-print.pdf", "cmyk"),
    ],
)
def test_the_photo_is_in_every_kind_of_pdf(built: Path, tmp_path, file: str, colour: str) -> None:
    [photo] = _images(built / file, tmp_path)
    assert (photo["width"], photo["height"], photo["color"]) == ("1600", "1000", colour)
    assert photo["enc"] == "jpeg"


def test_the_archival_pdfs_describe_both_pictures(built: Path) -> None:
    for name in ("PSY-0101-v2.pdf", "PSY-0101-v2-large-print.pdf"):
        figures = _figures(built / "pdf" / "PSY-0101" / name)
        assert PHOTO_ALT in figures
        assert any(alt.startswith(DIAGRAM_ALT) for alt in figures)


def test_the_diagram_is_drawn_as_vectors_in_cmyk_for_print(built: Path) -> None:
    reader = PdfReader(built / "print" / "PSY-0101-v2-print.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Agree your goals" in text  # the diagram's words are text, not pixels
    for page in reader.pages:
        streams = [page.get_contents().get_data()]
        for xobject in (page["/Resources"].get("/XObject") or {}).values():
            if xobject.get_object().get("/Subtype") == "/Form":
                streams.append(xobject.get_object().get_data())
        for stream in streams:
            assert not re.search(rb"(?<![\w/])(rg|RG)(?!\w)", stream)


def test_x1a_print_files_hold_only_cmyk_or_grey_pictures(samples_project: Path, tmp_path) -> None:
    out = tmp_path / "x1a"
    runner = CliRunner()
    here = Path.cwd()
    try:
        os.chdir(samples_project)
        result = runner.invoke(
            cli, ["print-pack", "PSY-0101", "--profile", "large-format", "--out", str(out)]
        )
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out / "print" / "PSY-0101-v2-print-pack-large-format.zip") as archive:
        data = archive.read("PSY-0101-v2-print.pdf")
    images = _images(data, tmp_path)
    assert images and {image["color"] for image in images} <= {"cmyk", "gray"}
    assert PdfReader(io.BytesIO(data)).metadata["/GTS_PDFXVersion"] == "PDF/X-1a:2003"


def test_the_web_page_shows_the_pictures_with_their_alt_text(built: Path) -> None:
    """The pictures are files of the assets folder, named by their checksum, with the very
    bytes of the leaflet's pictures."""
    page = (built / "PSY-0101.html").read_text()
    photo = re.search(r'<img src="(assets/therapy-room\.[0-9a-f]{16}\.jpg)" alt="([^"]+)"', page)
    assert photo and photo[2] == PHOTO_ALT
    diagram = re.search(
        r'<img src="(assets/therapy-steps\.[0-9a-f]{16}\.svg)" alt="Diagram of', page
    )
    assert diagram
    images = ROOT / "leaflets" / "images"
    assert (built / photo[1]).read_bytes() == (images / "therapy-room.jpg").read_bytes()
    assert (built / diagram[1]).read_bytes() == (images / "therapy-steps.svg").read_bytes()
    assert "<figcaption>Sessions take place in a quiet room like this one.</figcaption>" in page


def test_a_png_with_transparency_is_flattened_for_print(tmp_path) -> None:
    """A PNG with an alpha channel: kept as it is in the archival PDF, printed on white in
    CMYK, without a soft mask (PDF/X-1a allows no transparency)."""
    root = tmp_path / "project"
    root.mkdir()
    text = (
        (DATA / "minimal.yaml")
        .read_text()
        .replace(
            "A short test leaflet.",
            'A short test leaflet.\n\n  ![A red circle on a clear ground](images/dot.png "A dot")',
        )
    )
    copy_project(root, ("tst-0001.yaml", text))
    dot = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    for x in range(300):
        for y in range(200):
            if (x - 150) ** 2 + (y - 100) ** 2 < 80**2:
                dot.putpixel((x, y), (200, 30, 30, 255))
    dot.save(root / "leaflets" / "images" / "dot.png")
    result = subprocess.run(
        [sys.executable, "-m", "build_leaflets", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    archival = _images(root / "output/pdf/TST-0001/TST-0001-v1.pdf", tmp_path)
    assert [image["type"] for image in archival] == ["image", "smask"]
    printed = _images(root / "output/print/TST-0001-v1-print.pdf", tmp_path)
    assert [(image["type"], image["color"]) for image in printed] == [("image", "cmyk")]
    check = subprocess.run(
        [
            str(ROOT / "tools" / "verapdf" / "validate"),
            "3a",
            str(root / "output/pdf/TST-0001/TST-0001-v1.pdf"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
