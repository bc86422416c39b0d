"""The record covers everything a PDF is made from: pictures are part of the source, any copy of
any kind of PDF verifies by its checksum, and fonts come from the project only."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from build_leaflets.cli import cli
from build_leaflets.register import read_register
from tests.conftest import DATA, copy_project

MINIMAL = (DATA / "minimal.yaml").read_text()
BLUE = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#0072c6"/></svg>\n'  # noqa: E501
GREEN = BLUE.replace("#0072c6", "#009639")


def _with_picture(status: str = "approved") -> str:
    text = MINIMAL.replace(
        "A short test leaflet.",
        "A short test leaflet.\n\n  ![The clinic's floor plan](images/plan.svg)",
    )
    return text.replace("status: approved", f"status: {status}")


def _project(root: Path, text: str) -> Path:
    copy_project(root, ("tst-0001.yaml", text))
    (root / "leaflets" / "images").mkdir(exist_ok=True)
    (root / "leaflets" / "images" / "plan.svg").write_text(BLUE)
    settings = root / "pyproject.toml"
    heading = "[tool.build_leaflets]\n"
    settings.write_text(settings.read_text().replace(heading, heading + "print_files = false\n"))
    return root


def test_a_changed_picture_in_a_published_version_is_refused(runner, tmp_path, monkeypatch):
    root = _project(tmp_path, _with_picture())
    monkeypatch.chdir(root)
    first = runner.invoke(cli, ["build"])
    assert first.exit_code == 0, first.output
    register = read_register(root / "leaflets" / "register.csv", "register")
    yaml_sha = hashlib.sha256((root / "leaflets" / "tst-0001.yaml").read_bytes()).hexdigest()
    picture_sha = hashlib.sha256(BLUE.encode()).hexdigest()
    manifest = f"{yaml_sha}  leaflet\n{picture_sha}  images/plan.svg\n"
    assert {row.source_sha256 for row in register.rows} == {
        hashlib.sha256(manifest.encode()).hexdigest()
    }
    archival = root / "output/pdf/TST-0001/TST-0001-v1.pdf"
    attachments = PdfReader(archival).attachments
    assert attachments["images/plan.svg"] == [BLUE.encode()]
    assert runner.invoke(cli, ["verify"]).exit_code == 0

    (root / "leaflets" / "images" / "plan.svg").write_text(GREEN)
    before = archival.read_bytes()
    refused = runner.invoke(cli, ["build"])
    assert refused.exit_code == 1
    assert refused.output.splitlines()[0].startswith(
        "leaflets/tst-0001.yaml:2:10: version: 1 was already published on "
    )
    assert (
        "from different text or pictures, and a published version never changes: raise version to 2"
    ) in refused.output
    assert archival.read_bytes() == before
    verified = runner.invoke(cli, ["verify"])
    assert verified.exit_code == 1
    assert "leaflets/tst-0001.yaml was edited after v1 was published" in verified.output


def test_pages_show_a_changed_picture_at_once(runner, tmp_path, monkeypatch) -> None:
    """Built twice in one process (as the preview does): nothing is cached for its lifetime."""
    root = _project(tmp_path, _with_picture("draft"))
    monkeypatch.chdir(root)
    assert runner.invoke(cli, ["build"]).exit_code == 0
    page = root / "output/drafts/TST-0001.html"

    def shown() -> bytes:  # the picture the page links to, from drafts/ to assets/
        link = re.search(r'<img src="\.\./(assets/plan\.[0-9a-f]{16}\.svg)"', page.read_text())
        assert link, "the page shows no plan.svg"
        return (root / "output" / link[1]).read_bytes()

    assert shown() == BLUE.encode()
    (root / "leaflets" / "images" / "plan.svg").write_text(GREEN)
    again = runner.invoke(cli, ["build"])
    assert again.exit_code == 0, again.output
    assert shown() == GREEN.encode()
    draft = PdfReader(root / "output/drafts/TST-0001-v1-draft.pdf")
    assert draft.attachments["images/plan.svg"] == [GREEN.encode()]


def test_copies_of_every_kind_of_pdf_verify_anywhere(
    runner, samples_project, tmp_path, monkeypatch
):
    monkeypatch.chdir(samples_project)
    out = samples_project / "output"
    copies = []
    for name in ("pdf/PSY-0104/PSY-0104-v1.pdf", "pdf/PSY-0101/PSY-0101-v2-large-print.pdf",
                 "print/PSY-0102-v2-print.pdf"):  # fmt: skip
        copy = tmp_path / f"copy-{len(copies)}.pdf"  # renamed, outside output/
        shutil.copy(out / name, copy)
        copies.append(str(copy))
    result = runner.invoke(cli, ["verify", *copies])
    assert result.exit_code == 0, result.output
    assert result.output == "3 PDF(s) match the publication register.\n"


def _replace_source(pdf: Path, data: bytes) -> None:
    """Swap the embedded YAML for other text, as a forger would."""
    writer = PdfWriter(clone_from=pdf)
    names = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    stream = names[1].get_object()["/EF"]["/F"].get_object()
    stream.set_data(data)
    with pdf.open("wb") as file:
        writer.write(file)


def test_a_large_print_pdf_with_a_changed_embedded_source_fails(
    runner, samples_project, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(samples_project)
    copy = tmp_path / "large.pdf"
    shutil.copy(samples_project / "output/pdf/PSY-0103/PSY-0103-v1-large-print.pdf", copy)
    _replace_source(copy, b"reference: PSY-0103\nversion: 1\ntitle: Forged\n")
    result = runner.invoke(cli, ["verify", str(copy)])
    assert result.exit_code == 1
    assert f"{copy}: its embedded source does not hash to the registered value" in result.output
    assert (
        f"{copy}: its SHA-256 matches no registered file of PSY-0103 v1 (archival, print, "
        "large-print): the file was changed after publication"
    ) in result.output


def test_odd_and_crafted_files_get_a_clean_message(runner, samples_project, tmp_path, monkeypatch):
    monkeypatch.chdir(samples_project)
    folder = tmp_path / "x.pdf"
    folder.mkdir()
    crafted = tmp_path / "crafted.pdf"
    writer = PdfWriter(clone_from=samples_project / "output/pdf/PSY-0102/PSY-0102-v2.pdf")
    writer.add_metadata({"/LeafletVersion": "²"})
    with crafted.open("wb") as file:
        writer.write(file)
    result = runner.invoke(cli, ["verify", str(folder), str(crafted)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{folder}: is not a file (a folder or a device?); give a PDF",
        f"{crafted}: is not in the publication register (unregistered PDF)",
        "2 problem(s) in 2 PDF(s).",
    ]


WORLD = """  Croeso i'r gwasanaeth: ŵyr, ŷd. Здравствуйте. Γειά σου. Dyma’r daflen – 100 °C."""  # noqa: RUF001


def _pdf_in_a_process(root: Path, env: dict[str, str]) -> bytes:
    out = root / f"out-{len(list(root.glob('out-*')))}"
    result = subprocess.run(
        [sys.executable, "-m", "build_leaflets", "build", "--draft", "--out", str(out)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return (out / "drafts" / "TST-0001-v1-draft.pdf").read_bytes()


def test_fonts_come_from_the_project_only(tmp_path) -> None:
    """The same leaflet, with text the main font lacks, gives the same bytes with the machine's
    fonts and with none at all, and only bundled fonts are embedded."""
    root = tmp_path / "project"
    root.mkdir()
    text = MINIMAL.replace("  A short test leaflet.", WORLD)
    copy_project(root, ("tst-0001.yaml", text))
    empty = tmp_path / "empty-fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n')
    home = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with_system = _pdf_in_a_process(root, {**os.environ, **home})
    without = _pdf_in_a_process(root, {**os.environ, **home, "FONTCONFIG_FILE": str(empty)})
    assert with_system == without
    saved = root / "saved.pdf"
    saved.write_bytes(with_system)
    fonts = subprocess.run(["pdffonts", str(saved)], capture_output=True, text=True, check=True)
    names = [line.split()[0] for line in fonts.stdout.splitlines()[2:]]
    assert names and all(
        name.split("+")[-1].replace("-", "").startswith(("AtkinsonHyperlegible", "NotoSans"))
        for name in names
    ), names
    assert any("Noto-Sans" in name for name in names)  # the Cyrillic and Greek really used it
    assert all(line.split()[-5] == "yes" for line in fonts.stdout.splitlines()[2:])  # embedded
    words = subprocess.run(
        ["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Здравствуйте" in words and "ŵyr" in words


def test_text_no_bundled_font_can_show_is_a_placed_error(runner, make_project) -> None:
    text = MINIMAL.replace("  A short test leaflet.", "  First line.\n  Go → there 😀.")
    make_project(("tst-0001.yaml", text))
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "leaflets/tst-0001.yaml:10:6: what: no bundled font can show '→' (U+2192), "
        "'😀' (U+1F600); remove them, or write them in words"
    )


def test_nested_lists_draw_their_markers_with_bundled_fonts(runner, make_project) -> None:
    nested = (
        "  Things to bring:\n\n  - your letter\n    - and its envelope\n      - if you have it\n"
    )
    make_project(("tst-0001.yaml", MINIMAL.replace("  A short test leaflet.\n", nested)))
    result = runner.invoke(cli, ["build", "--draft"])
    assert result.exit_code == 0, result.output
    text = "".join(
        page.extract_text() for page in PdfReader("output/drafts/TST-0001-v1-draft.pdf").pages
    )
    assert "and its envelope" in text and "if you have it" in text
