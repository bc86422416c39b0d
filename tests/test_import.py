"""Importing real-shaped leaflets: Word (styled and formatted by hand), LibreOffice, a saved web
page, a plain-text export and Markdown, each read back with the project's own loader and
checked with `build-leaflets check`.

The documents are made here, in the shape of real trust leaflets (the seed texts: the
"Integrated psychological therapy" leaflet, an IPT practice page, an integrative psychotherapy
page), written in our own words.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
import yaml
from docx.enum.text import WD_BREAK
from docx.shared import Pt
from PIL import Image
from pypdf import PdfReader

from build_leaflets.cli import cli
from build_leaflets.config import load_project
from build_leaflets.importer import format_report, format_summary, import_files
from build_leaflets.load import load_file

TODAY = dt.date(2026, 1, 5)


# --- documents -----------------------------------------------------------------------------


def _png(colour: str = "steelblue", size: tuple[int, int] = (40, 30), kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def _picture(document: docx.document.Document, data: bytes, alt: str | None) -> None:
    shape = document.add_picture(io.BytesIO(data))
    if alt is not None:
        shape._inline.docPr.set("descr", alt)


def _runs(paragraph, *parts: str | tuple[str, str]) -> None:
    """Runs of text; ("b", text) is bold, ("i", text) italic."""
    for part in parts:
        if isinstance(part, tuple):
            run = paragraph.add_run(part[1])
            run.bold = part[0] == "b"
            run.italic = part[0] == "i"
        else:
            paragraph.add_run(part)


def _link(paragraph, text: str, url: str) -> None:
    """A real Word hyperlink (python-docx has no call for one)."""
    from docx.opc.constants import RELATIONSHIP_TYPE  # noqa: PLC0415
    from docx.oxml import OxmlElement  # noqa: PLC0415
    from docx.oxml.ns import qn  # noqa: PLC0415

    rid = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    text_element = OxmlElement("w:t")
    text_element.text = text
    run.append(text_element)
    link.append(run)
    paragraph._p.append(link)


def styled_docx(path: Path, reference: str = "PSY-0201") -> Path:
    """An IPT leaflet written with Word's styles: Title, Heading 2, List Bullet, List Number,
    a table, a picture, and the governance fields in the page header and footer."""
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Riverside Mental Health NHS Trust"
    footer = d.sections[0].footer
    footer.paragraphs[0].text = f"Leaflet reference: {reference}\tVersion 2"
    footer.add_paragraph("Date last updated: 14/03/2024\tReview date: 14/03/2027")
    d.add_paragraph("Interpersonal psychotherapy (IPT)", style="Title")
    d.add_paragraph("IPT is a talking therapy for low mood that is linked to relationships.")
    d.add_heading("What is IPT?", 2)
    p = d.add_paragraph()
    _runs(p, "IPT is a ", ("b", "structured"), " therapy. How we feel is linked to our ",
          ("i", "relationships"), ".")  # fmt: skip
    p = d.add_paragraph("Read more on ")
    _link(p, "the NHS website", "https://www.nhs.uk/mental-health/talking-therapies/")
    p.add_run(".")
    d.add_heading("Who is IPT for?", 2)
    d.add_paragraph("IPT is for people whose low mood is linked to:")
    for item in ("a falling out with someone", "a loss or grief", "a big change in life"):
        d.add_paragraph(item, style="List Bullet")
    d.add_heading("Do I need to do anything before I start?", 2)
    d.add_paragraph("Think about the people who matter most in your life.")
    d.add_heading("What happens in the sessions?", 2)
    d.add_paragraph("IPT has three stages:")
    d.add_paragraph("The start: you find the problem to work on.", style="List Number")
    d.add_paragraph("you talk about your relationships", style="List Bullet 2")
    d.add_paragraph("The middle: you try new ways to talk to people.", style="List Number")
    d.add_paragraph("The end: you plan how to keep well.", style="List Number")
    _picture(d, _png(), "A therapist and a client talking in a quiet room")
    d.add_heading("How many sessions will I have?", 2)
    d.add_paragraph("Most people have 16 sessions, one a week.")
    table = d.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, [("Stage", "Sessions"), ("Start", "1 to 4"),
                                       ("Middle and end", "5 to 16")], strict=True):  # fmt: skip
        row.cells[0].text, row.cells[1].text = cells
    d.add_heading("Are there any side effects?", 2)
    d.add_paragraph("Talking about loss can be painful. You may feel worse for a while.")
    d.add_heading("What other options are there?", 2)
    d.add_paragraph("Cognitive behavioural therapy and medicines can also help.")
    d.add_heading("How do I get referred?", 2)
    d.add_paragraph("Ask your GP or your care coordinator.")
    d.add_heading("Max's story", 2)
    d.add_paragraph("Max felt old patterns coming back in a new relationship.")
    d.save(path)
    return path


def manual_docx(path: Path, *, alternatives: bool = False) -> Path:
    """The "Integrated psychological therapy" leaflet as trusts really type it: everything in
    Normal style, headings made bold and larger by hand, typed bullets and numbers, a contact
    block, and the governance lines at the end of the text."""
    d = docx.Document()

    def para(text: str, *, bold: bool = False, size: float | None = None, indent: int = 0):
        p = d.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if indent:
            p.paragraph_format.left_indent = Pt(indent)
        return p

    def heading(text: str) -> None:
        para(text, bold=True, size=13)

    para("Integrated psychological therapy", bold=True, size=20)
    heading("What is integrated psychological therapy?")
    para("It is a talking therapy that lasts for a set time. You and your therapist work out:")
    para("•\twhat started your problems", indent=18)
    para("•\twhat keeps them going", indent=18)
    para("o\tat home", indent=36)
    para("o\tat work", indent=36)
    para("•\tways to move forward.", indent=18)
    heading("Who is it for?")
    para("It can help with many problems, for example:")
    para("-\tdepression")
    para("-\tanxiety")
    heading("What preparation is needed?")
    para("None, but it may help to think about what you hope to gain from therapy.")
    heading("What happens at the first appointment?")
    para("Your therapist will ask why you want therapy and explain how it works.")
    heading("What does the therapy involve?")
    para("Each session follows three steps:")
    para("1.\tYou agree what to talk about.")
    para("2.\tYou look at what was hard this week.")
    para("3.\tYou plan what to try next.")
    heading("How long does it last?")
    para("Between five and 20 weekly sessions, each up to an hour.")
    heading("What are the benefits?")
    para("The skills you learn help you cope after therapy ends.")
    heading("What are the risks?")
    para("You may feel worse before you feel better.")
    if alternatives:
        heading("What are the alternatives?")
        para("Other talking therapies, such as CBT, may suit you better.")
    para("HOW TO BE REFERRED")
    para("Ask your care coordinator, mental health worker or doctor.")
    heading("Copies of letters and reports")
    para("You have a right to copies of letters we send to your GP.")
    heading("Contact us")
    para("If you have any questions, please contact the team.")
    para("Telephone: 0113 496 0123")
    para("Email: therapies@riverside.example")
    para("Monday to Friday, 9am to 5pm")
    p = para("Psychological Therapies Service")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("Riverside House, 12 Mill Lane")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("Leeds LS1 4AB")
    para("Leaflet reference: PSY-0301")
    para("Date last updated: 14.03.24")
    para("Archive date: March 2027")
    d.save(path)
    return path


WEB_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Integrative psychotherapy | Riverside</title>
<style>body { font-family: sans-serif }</style>
<script>document.write("tracking");</script></head>
<body>
<div class="cookie-banner" id="cookies">We use cookies. <button>Accept</button></div>
<header><a href="/">Riverside Therapy</a><nav><ul><li><a href="/">Home</a></li>
<li><a href="/about">About us</a></li></ul></nav></header>
<main>
<h1>Integrative psychotherapy</h1>
<p>This page explains our integrative approach to talking therapy.</p>
<h2>What is integrative psychotherapy?</h2>
<p>We bring together ideas from several therapies. What matters most is the
<strong>relationship</strong> between you and your therapist.</p>
<h2>Who can it help?</h2>
<p>It can help people who:</p>
<ul><li>find relationships hard<li>feel stuck in old patterns
<ul><li>at home</li><li>at work</li></ul></li></ul>
<h2>Before your first session</h2>
<p>Think about what you would like to change.</p>
<h2>What happens in the sessions?</h2>
<p>We talk and listen. We think about <em>why</em> a feeling is there.</p>
<h2>Are there any risks?</h2>
<p>Talking about the past can stir up strong feelings. See
<a href="https://www.nhs.uk/mental-health/">NHS mental health</a> for support.</p>
<h2>What else could I try?</h2>
<p>Other therapies, such as CBT, focus more on the present.</p>
<form class="newsletter"><p>Sign up to our newsletter</p><input name="email"></form>
</main>
<footer><p>Leaflet reference: PSY-0401</p>
<p>Page last reviewed: 14 March 2024</p><p>Next review due: 14 March 2027</p>
<p>© Riverside Therapy</p></footer>
</body></html>
"""

TEXT_EXPORT = """Cognitive analytic therapy

Cognitive analytic therapy (CAT) is a talking therapy about the patterns in how you treat
yourself and others.

What is CAT?

CAT is a time-limited therapy. You and your therapist work together to understand:

  • what happened in your life
  • the patterns you repeat
  • ways to change them.


Who is it for?

CAT can help with depression, anxiety and relationship problems.


Do I need to prepare?

It may help to think about what you hope to change before you start.


What does it involve?

You will meet weekly. Your therapist will write you a letter about your story.


What are the risks?

Looking at painful patterns may make you feel worse for a while.


What are the alternatives?

  • interpersonal therapy
  • cognitive behavioural therapy


How to be referred

Talk to your care coordinator or doctor.


Leaflet reference: PSY-0501
Date last updated: 2024-03-14
Archive date: 14/03/2027
"""

MARKDOWN = """---
title: "Your relationship with your therapist"
summary: What to expect, and what to do if therapy is not working.
draft: false
---

{{< toc >}}

## What is the therapeutic relationship?
It is the working bond between you and your therapist. Research keeps finding that it
matters more than the kind of therapy.

## Who is this for?
Anyone starting talking therapy.

## How do I get ready?
- think about what you want from therapy
- write down *questions* to ask

## Is it safe?
Most people find it helpful. If it is not working, **say so**.

## What else can I do?
1. Talk to your therapist.
2. Ask for a different therapist.

Version: 3
"""


# --- helpers -------------------------------------------------------------------------------


def run_import(project: Path, *files: Path, reference: str | None = None):
    reports = import_files(
        files,
        into=project / "leaflets",
        reference=reference,
        today=TODAY,
        shown=load_project(project).relative,
    )
    return reports


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check(runner, *paths: str):
    return runner.invoke(cli, ["check", *paths])


def loaded(project: Path, name: str):
    source, problems = load_file(load_project(project), project / "leaflets" / name)
    return source, problems


# --- Word, styled --------------------------------------------------------------------------


def test_styled_word_leaflet(make_project, runner, tmp_path):
    project = make_project()
    source = styled_docx(tmp_path / "IPT leaflet.docx")
    (report,) = run_import(project, source)
    assert report.ok, format_report(report)
    target = project / "leaflets" / "psy-0201.yaml"
    assert report.target == target
    data = read_yaml(target)
    assert data["status"] == "draft"
    assert data["reference"] == "PSY-0201"
    assert data["version"] == 2
    assert data["last_updated"] == dt.date(2024, 3, 14)
    assert data["archive_date"] == dt.date(2027, 3, 14)
    assert data["title"] == "Interpersonal psychotherapy (IPT)"
    assert data["summary"].startswith("IPT is a talking therapy")
    # Each heading went to its section by what it asks, keeping its own words.
    expected = {
        "what": "What is IPT?",
        "who": "Who is IPT for?",
        "preparation": "Do I need to do anything before I start?",
        "involves": "What happens in the sessions?",
        "duration": "How many sessions will I have?",
        "risks": "Are there any side effects?",
        "alternatives": "What other options are there?",
        "referral": "How do I get referred?",
    }
    for key, heading in expected.items():
        assert data[key]["heading"] == heading, key
    assert data["extra_sections"] == [
        {
            "heading": "Max's story",
            "body": "Max felt old patterns coming back in a new relationship.\n",
        }
    ]
    # Bold, italic and links are kept; lists are Markdown lists, nested ones indented.
    assert "IPT is a **structured** therapy" in data["what"]["body"]
    assert "*relationships*" in data["what"]["body"]
    assert (
        "[the NHS website](https://www.nhs.uk/mental-health/talking-therapies/)"
        in (data["what"]["body"])
    )
    assert "- a falling out with someone\n- a loss or grief\n" in data["who"]["body"]
    involves = data["involves"]["body"]
    assert "1. The start: you find the problem to work on.\n   - you talk about" in involves
    assert "2. The middle" in involves
    assert "| Stage | Sessions |\n| --- | --- |\n| Start | 1 to 4 |" in data["duration"]["body"]
    # The picture is saved with its alt text.
    assert "![A therapist and a client talking in a quiet room](images/psy-0201-1.png)" in involves
    assert (project / "leaflets" / "images" / "psy-0201-1.png").read_bytes() == _png()
    # Where each part came from is written in the file.
    text = target.read_text(encoding="utf-8")
    assert '# from heading "Are there any side effects?" (style "Heading 2"; matched by ' in text
    assert '# from the page header or footer: "Leaflet reference: PSY-0201 Version 2"' in text
    # The project's loader accepts it, and check passes.
    leaflet, problems = loaded(project, "psy-0201.yaml")
    assert problems == []
    assert leaflet.leaflet.is_draft
    result = check(runner, "leaflets/psy-0201.yaml")
    assert result.exit_code == 0, result.output
    assert "1 leaflet(s) checked" in result.output
    # The report says where everything went, and what to do next.
    shown = format_report(report)
    assert 'risks              "Are there any side effects?" (style "Heading 2"; matched' in shown
    assert "version            2 from the page header or footer" in shown
    assert 'the page header or footer: "Riverside Mental Health NHS Trust"' in shown
    assert "next               build-leaflets check leaflets/psy-0201.yaml" in shown
    assert report.dropped == []


# --- Word, formatted by hand ----------------------------------------------------------------


def test_manual_word_leaflet(make_project, runner, tmp_path):
    project = make_project()
    (report,) = run_import(project, manual_docx(tmp_path / "integrated.docx"))
    assert report.ok, format_report(report)
    data = read_yaml(project / "leaflets" / "psy-0301.yaml")
    assert data["title"] == "Integrated psychological therapy"
    assert data["status"] == "draft"
    assert data["last_updated"] == dt.date(2024, 3, 14)  # 14.03.24, day first
    assert data["archive_date"] == dt.date(2027, 3, 1)  # March 2027: the 1st, and reported
    assert "taken as the 1st of the month" in format_report(report)
    assert data["version"] == 1
    for key in ("what", "who", "preparation", "first_appointment", "involves", "duration",
                "benefits", "risks", "referral", "copies_of_letters"):  # fmt: skip
        assert key in data, key
    assert "alternatives" not in data  # never invented
    assert report.missing == ["alternatives"]
    assert data["referral"]["heading"] == "HOW TO BE REFERRED"  # all capitals: a heading
    # Typed bullets, typed numbers and an "o" second level became Markdown lists.
    assert data["what"]["body"] == (
        "It is a talking therapy that lasts for a set time. You and your therapist work out:\n\n"
        "- what started your problems\n- what keeps them going\n  - at home\n  - at work\n"
        "- ways to move forward.\n"
    )
    assert "- depression\n- anxiety\n" in data["who"]["body"]
    assert "1. You agree what to talk about.\n2. You look at" in data["involves"]["body"]
    # The contact block filled `contact`; its sentence stays as an extra section.
    assert data["contact"] == {
        "phone": "0113 496 0123",
        "email": "therapies@riverside.example",
        "hours": "Monday to Friday, 9am to 5pm",
        "address": "Psychological Therapies Service, Riverside House, 12 Mill Lane, Leeds LS1 4AB",
    }
    assert data["extra_sections"] == [
        {"heading": "Contact us", "body": "If you have any questions, please contact the team.\n"}
    ]
    # Governance lines left the text; none of their words is lost.
    body_text = yaml.safe_dump(data)
    assert "Leaflet reference" not in body_text
    assert report.dropped == []
    # check names exactly the missing section.
    result = check(runner, "leaflets/psy-0301.yaml")
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if "psy-0301.yaml:" in line]
    assert len(problems) == 1, result.output
    assert "alternatives" in problems[0]


def test_manual_word_leaflet_with_every_section_passes_check_and_builds(
    make_project, runner, tmp_path
):
    project = make_project()
    (report,) = run_import(project, manual_docx(tmp_path / "x.docx", alternatives=True))
    assert report.ok and report.missing == []
    result = check(runner, "leaflets/psy-0301.yaml")
    assert result.exit_code == 0, result.output
    built = runner.invoke(cli, ["build", "PSY-0301"])
    assert built.exit_code == 0, built.output
    assert "PSY-0301 v1: draft output/drafts/PSY-0301-v1-draft.pdf" in built.output
    text = " ".join(
        page.extract_text()
        for page in PdfReader(project / "output/drafts/PSY-0301-v1-draft.pdf").pages
    )
    assert "DRAFT" in text and "What are the alternatives?" in " ".join(text.split())


# --- LibreOffice ---------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("soffice") is None and os.environ.get("CI") != "true",
    reason="LibreOffice is not installed (./run test installs it; in CI its absence fails)",
)
def test_odt_made_by_libreoffice(make_project, runner, tmp_path):
    project = make_project()
    made = styled_docx(tmp_path / "ipt.docx", reference="PSY-0601")
    out = tmp_path / "odt"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "odt",
            "--outdir",
            str(out),
            str(made),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (report,) = run_import(project, out / "ipt.odt")
    assert report.ok, format_report(report)
    data = read_yaml(project / "leaflets" / "psy-0601.yaml")
    assert data["title"] == "Interpersonal psychotherapy (IPT)"
    assert data["risks"]["heading"] == "Are there any side effects?"
    assert data["last_updated"] == dt.date(2024, 3, 14)
    assert data["version"] == 2
    assert "- a falling out with someone" in data["who"]["body"]
    assert "**structured**" in data["what"]["body"]
    assert check(runner, "leaflets/psy-0601.yaml").exit_code == 0


def test_libreoffice_missing_names_the_package(make_project, tmp_path, monkeypatch):
    from build_leaflets.importer import sources  # noqa: PLC0415

    project = make_project()
    monkeypatch.setattr(sources, "soffice", lambda: None)
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    (report,) = run_import(project, tmp_path / "old.doc")
    assert not report.ok
    assert "apt-get install libreoffice-writer-nogui" in report.error


# --- web page, text, Markdown --------------------------------------------------------------


def test_saved_web_page(make_project, runner, tmp_path):
    project = make_project()
    page = tmp_path / "integrative.html"
    page.write_text(WEB_PAGE, encoding="utf-8")
    (report,) = run_import(project, page)
    assert report.ok, format_report(report)
    data = read_yaml(project / "leaflets" / "psy-0401.yaml")
    assert data["title"] == "Integrative psychotherapy"
    assert data["summary"] == "This page explains our integrative approach to talking therapy."
    assert data["who"]["heading"] == "Who can it help?"
    assert data["preparation"]["heading"] == "Before your first session"
    assert data["risks"]["heading"] == "Are there any risks?"
    assert data["alternatives"]["heading"] == "What else could I try?"
    assert (
        "- find relationships hard\n- feel stuck in old patterns\n  - at home\n"
        in (data["who"]["body"])
    )
    assert "**relationship**" in data["what"]["body"]
    assert "[NHS mental health](https://www.nhs.uk/mental-health/)" in data["risks"]["body"]
    assert data["last_updated"] == dt.date(2024, 3, 14)
    assert data["archive_date"] == dt.date(2027, 3, 14)
    text = (project / "leaflets" / "psy-0401.yaml").read_text(encoding="utf-8")
    for gone in ("cookies", "tracking", "About us", "newsletter", "font-family"):
        assert gone not in text
    assert report.dropped == []
    assert check(runner, "leaflets/psy-0401.yaml").exit_code == 0


def test_plain_text_export(make_project, runner, tmp_path):
    project = make_project()
    export = tmp_path / "cat.txt"
    export.write_text(TEXT_EXPORT, encoding="utf-8")
    (report,) = run_import(project, export)
    assert report.ok, format_report(report)
    data = read_yaml(project / "leaflets" / "psy-0501.yaml")
    assert data["title"] == "Cognitive analytic therapy"
    assert data["summary"].startswith("Cognitive analytic therapy (CAT) is a talking therapy")
    assert data["what"]["body"].endswith(
        "- what happened in your life\n- the patterns you repeat\n- ways to change them.\n"
    )
    assert data["preparation"]["heading"] == "Do I need to prepare?"
    assert data["referral"]["heading"] == "How to be referred"
    assert data["alternatives"]["body"] == (
        "- interpersonal therapy\n- cognitive behavioural therapy\n"
    )
    assert data["last_updated"] == dt.date(2024, 3, 14)
    assert data["archive_date"] == dt.date(2027, 3, 14)
    assert check(runner, "leaflets/psy-0501.yaml").exit_code == 0


def test_markdown_page(make_project, runner, tmp_path):
    project = make_project()
    page = tmp_path / "relationship.md"
    page.write_text(MARKDOWN, encoding="utf-8")
    (report,) = run_import(project, page, reference="PSY-0701")
    assert report.ok, format_report(report)
    data = read_yaml(project / "leaflets" / "psy-0701.yaml")
    assert data["title"] == "Your relationship with your therapist"
    assert data["summary"] == "What to expect, and what to do if therapy is not working."
    assert data["version"] == 3
    assert data["preparation"]["body"] == (
        "- think about what you want from therapy\n- write down *questions* to ask\n"
    )
    assert data["risks"]["heading"] == "Is it safe?"
    assert data["alternatives"]["body"] == (
        "1. Talk to your therapist.\n2. Ask for a different therapist.\n"
    )
    assert "{{" not in (project / "leaflets" / "psy-0701.yaml").read_text(encoding="utf-8")
    assert check(runner, "leaflets/psy-0701.yaml").exit_code == 0


# --- pictures ------------------------------------------------------------------------------


def test_pictures_without_alt_text_or_in_other_formats_are_reported(make_project, runner, tmp_path):
    project = make_project()
    d = docx.Document()
    d.add_paragraph("Scans", style="Title")
    d.add_heading("What is a scan?", 1)
    d.add_paragraph("A scan takes pictures of the inside of your body.")
    _picture(d, _png("red"), None)
    _picture(d, _png("green", kind="GIF"), "A green square")
    d.save(tmp_path / "scan.docx")
    (report,) = run_import(project, tmp_path / "scan.docx", reference="RAD-0001")
    assert report.ok, format_report(report)
    data = read_yaml(project / "leaflets" / "rad-0001.yaml")
    assert "![](images/rad-0001-1.png)" in data["what"]["body"]
    shown = format_report(report)
    assert "picture images/rad-0001-1.png has no alt text" in shown
    assert "is image/gif, not PNG or JPEG: not imported" in shown
    result = check(runner, "leaflets/rad-0001.yaml")
    assert result.exit_code == 1
    assert "needs alt text" in result.output


# --- never a loss --------------------------------------------------------------------------


def test_never_written_over_an_existing_file(make_project, tmp_path):
    project = make_project()
    source = styled_docx(tmp_path / "ipt.docx")
    (first,) = run_import(project, source)
    assert first.ok
    target = project / "leaflets" / "psy-0201.yaml"
    before = target.read_bytes()
    (second,) = run_import(project, source)
    assert not second.ok
    assert second.error == (
        "leaflets/psy-0201.yaml already exists; nothing was written: move it away first, "
        "or choose another reference with --reference"
    )
    assert target.read_bytes() == before
    (third,) = run_import(project, source, reference="PSY-0299")
    assert third.ok
    assert read_yaml(project / "leaflets" / "psy-0299.yaml")["reference"] == "PSY-0299"
    # The same picture is not saved twice under two names.
    assert sorted(p.name for p in (project / "leaflets" / "images").glob("psy-02*")) == [
        "psy-0201-1.png",
        "psy-0299-1.png",
    ]


def test_reference_from_the_file_name(make_project, tmp_path):
    project = make_project()
    page = tmp_path / "Talking therapies_guide (v2).md"
    page.write_text("# Talking therapies\n\nSome text about therapy.\n", encoding="utf-8")
    (report,) = run_import(project, page)
    assert report.reference == "TALKING-THERAPIES-GUIDE-V2"
    assert (project / "leaflets" / "talking-therapies-guide-v2.yaml").exists()
    assert "from the file name (none in the document): check it" in format_report(report)
    assert "last_updated       not in the document: today, 2026-01-05" in format_report(report)


def test_bad_files_each_get_one_line_and_the_batch_goes_on(make_project, tmp_path):
    project = make_project()
    folder = tmp_path / "old leaflets"
    folder.mkdir()
    (folder / "corrupt.docx").write_bytes(b"PK\x03\x04" + b"not really a zip" * 10)
    (folder / "empty.docx").write_bytes(b"")
    (folder / "locked.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    (folder / "photo.docx").write_bytes(_png())
    (folder / "blank.txt").write_text("\n\n   \n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.7")  # not a supported kind: not picked up
    styled_docx(folder / "good.docx")
    seen: list[tuple[int, int]] = []
    reports = import_files(
        [folder],
        into=project / "leaflets",
        today=TODAY,
        on_done=lambda r, n, t: seen.append((n, t)),
    )
    assert seen == [(n, 7) for n in range(1, 8)]
    errors = {r.source.name: r.error for r in reports}
    assert errors["good.docx"] == ""
    assert errors["corrupt.docx"].startswith("is damaged")
    assert errors["empty.docx"] == "is empty; nothing to import"
    assert errors["locked.docx"].startswith("is password-protected")
    assert errors["photo.docx"].startswith("is not a Word document")
    assert errors["blank.txt"] == "has no text to import"
    assert errors["binary.txt"] == "is not a text file (it holds binary data)"
    for report in reports:
        assert "\n" not in report.error and "Traceback" not in report.error
    summary = format_summary(reports)
    assert summary.splitlines()[-1] == "7 file(s): 1 draft(s) written, 6 failed."
    (unsupported,) = run_import(project, folder / "notes.pdf")
    assert unsupported.error.startswith("is not a kind of file the importer reads (.pdf)")


# --- the command ---------------------------------------------------------------------------


def test_import_command(make_project, runner, tmp_path):
    project = make_project()
    group = cli
    styled_docx(tmp_path / "ipt.docx")
    (tmp_path / "cat.txt").write_text(TEXT_EXPORT, encoding="utf-8")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04garbage")
    result = runner.invoke(group, ["import", str(tmp_path / "ipt.docx"), str(tmp_path / "cat.txt")])
    assert result.exit_code == 0, result.output
    assert "[1/2] " in result.output and "[2/2] " in result.output
    assert "2 file(s): 2 draft(s) written, 0 failed." in result.output
    assert (project / "leaflets" / "psy-0201.yaml").exists()
    result = runner.invoke(group, ["import", str(tmp_path / "broken.docx")])
    assert result.exit_code == 1
    assert "broken.docx: failed: is damaged" in result.output
    result = runner.invoke(
        group, ["import", "--reference", "no spaces", str(tmp_path / "ipt.docx")]
    )
    assert result.exit_code == 2
    assert "letters, digits and hyphens" in result.output
    help_text = runner.invoke(group, ["import", "--help"]).output
    assert "libreoffice-writer-nogui" in help_text
