"""Safe by default: no raw HTML, no script, nothing fetched from outside the project."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from build_leaflets import pdf
from build_leaflets.cli import cli
from build_leaflets.errors import RefusedResource
from build_leaflets.render import installed_fonts
from tests.conftest import DATA, ROOT, SAMPLES, sample_pdfs

FIELDS = pdf.PdfFields("TST-0001", 1, "2026-10-01", "2029-10-01", "0" * 64, "approved")


def _pdf(html: str, tmp_path: Path) -> bytes:
    return pdf.write_pdf(
        f'<html lang="en-GB"><title>Test</title>{html}</html>',
        name="leaflets/tst-0001.yaml",
        base=ROOT / "layouts",
        allowed=[ROOT / "layouts", ROOT / "leaflets", installed_fonts().files_dir],
        fields=FIELDS,
    )


@pytest.mark.parametrize(
    "html",
    [
        '<img src="file:///etc/passwd">',
        '<link rel="attachment" href="file:///etc/passwd">',
        '<img src="http://127.0.0.1:9/scan.png">',
        '<link rel="stylesheet" href="https://example.com/x.css">',
        '<img src="../../../../etc/passwd">',
    ],
)
def test_fetcher_refuses_anything_outside_the_project(html: str, tmp_path: Path) -> None:
    with pytest.raises(RefusedResource) as caught:
        _pdf(f"<p>Hello</p>{html}", tmp_path)
    message = caught.value.format_message()
    assert message.startswith("leaflets/tst-0001.yaml: refused to read ")
    assert "layouts/ and leaflets/" in message


def test_fetcher_serves_project_files_and_data_urls(tmp_path: Path) -> None:
    html = (
        '<p>Logo</p><img src="assets/logo.svg" alt="logo">'
        '<img alt="dot" src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22/>">'
    )
    document = _pdf(html, tmp_path)
    assert document.startswith(b"%PDF-")


def test_passwd_never_reaches_a_pdf(runner, make_project) -> None:
    root = make_project(DATA / "bad" / "image_file_url.yaml")
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "image 'file:///etc/passwd' refused" in result.output
    assert not (root / "output").exists()


def test_layout_that_reaches_outside_fails_that_leaflet_only(runner, make_project) -> None:
    root = make_project(SAMPLES[0], SAMPLES[1])
    template = root / "layouts" / "leaflet.html.j2"
    text = template.read_text().replace(
        "</head>",
        '{% if leaflet.reference == "PSY-0101" %}'
        '<link rel="attachment" href="file:///etc/passwd">{% endif %}</head>',
    )
    template.write_text(text)
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert (
        "PSY-0101: failed: leaflets/psy-0101.yaml: refused to read file:///etc/passwd"
        in result.output
    )
    assert not (root / "output" / "pdf" / "PSY-0101").exists()
    pdfs = sample_pdfs(root / "output")
    assert [p.name for p in pdfs] == ["PSY-0102-v2.pdf"]
    assert b"root:x:0:0" not in pdfs[0].read_bytes()
    assert list(PdfReader(pdfs[0]).attachments) == ["psy-0102.yaml"]


def test_markdown_cannot_inject_script_into_the_page(runner, make_project) -> None:
    text = (DATA / "minimal.yaml").read_text()
    text = text.replace(
        "title: Test leaflet", "title: \"<script>alert('t')</script> & <b>bold</b>\""
    )
    root = make_project(("tst-0001.yaml", text))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    page = (root / "output" / "TST-0001.html").read_text()
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


def test_web_page_loads_nothing_from_outside_the_output_folder(built: Path) -> None:
    page = (built / "PSY-0101.html").read_text()
    urls = re.findall(r'(?:src|href)="([^"]+)"', page) + re.findall(r'url\("([^"]+)"\)', page)
    assert urls
    for url in urls:
        # the stylesheet, fonts and pictures are files of the output folder's assets/; the
        # only other file links go to the catalogue and to the leaflet's other languages,
        # beside the page
        beside = re.fullmatch(r"PSY-0101\.[A-Za-z-]+\.html", url)
        asset = re.fullmatch(r"assets/[a-z0-9-]+\.[0-9a-f]{16}\.[a-z0-9]+", url)
        assert (
            (asset and (built / url).is_file())
            or beside
            or url.startswith(("tel:", "mailto:", "https://", "#", "index.html"))
        ), url


def test_ordinary_web_links_stay_links(runner, make_project) -> None:
    text = (DATA / "minimal.yaml").read_text()
    text = text.replace(
        "  Anyone.\n",
        "  Anyone. Read more on [the NHS website](https://www.nhs.uk/mental-health/).\n",
    )
    root = make_project(("tst-0001.yaml", text))
    assert runner.invoke(cli, ["build"]).exit_code == 0
    page = (root / "output" / "TST-0001.html").read_text()
    assert '<a href="https://www.nhs.uk/mental-health/">the NHS website</a>' in page
    reader = PdfReader(root / "output" / "pdf" / "TST-0001" / "TST-0001-v1.pdf")
    uris = [
        a.get_object()["/A"]["/URI"]
        for page in reader.pages
        for a in page.get("/Annots", [])
        if "/A" in a.get_object()
    ]
    assert "https://www.nhs.uk/mental-health/" in uris


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ("![x](file:///etc/passwd)", "image 'file:///etc/passwd' refused"),
        ("<script>alert(1)</script>", "raw HTML is not allowed ('<script>alert(1)</script>')"),
        ("![A scan](http://127.0.0.1/scan.png)", "image 'http://127.0.0.1/scan.png' refused"),
    ],
)
def test_unsafe_bodies_fail_the_build_naming_leaflet_and_what(
    runner, make_project, body: str, refused: str
) -> None:
    text = (DATA / "minimal.yaml").read_text()
    text = text.replace("  A short test leaflet.\n", f"  A short test leaflet.\n\n  {body}\n")
    root = make_project(SAMPLES[0], ("tst-0001.yaml", text))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.output.startswith(f"leaflets/tst-0001.yaml:11:3: what: {refused}")
    assert "Traceback" not in result.output
    assert not (root / "output").exists()
