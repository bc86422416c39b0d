"""Translations: identity by reference and language, skeletons with source hashes, stale
sections named by check, audit and the catalogue, per-language files and register rows, the
old-register migration, RTL pages, exchange with agencies, and byte-identical rebuilds."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import yaml
from pypdf import PdfReader

from build_leaflets import translation
from build_leaflets.cli import cli
from build_leaflets.config import load_project
from build_leaflets.load import load_all
from build_leaflets.register import read_register
from tests.conftest import DATA, ROOT, SAMPLES, TRANSLATIONS

SOURCE = next(p for p in SAMPLES if p.name == "psy-0104.yaml")  # no pictures: quick to build
URDU = ROOT / "leaflets" / "psy-0101.ur.yaml"


def _start(runner, language: str = "cy") -> Path:
    result = runner.invoke(cli, ["translate", "PSY-0104", "--language", language])
    assert result.exit_code == 0, result.output
    return Path("leaflets") / f"psy-0104.{language}.yaml"


def _edit_source(root: Path, old: str, new: str, version: int = 2) -> None:
    path = root / "leaflets" / "psy-0104.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new).replace("version: 1\n", f"version: {version}\n", 1)
    text = text.replace("last_updated: 2026-10-01", "last_updated: 2026-11-30", 1)
    entry = f"  - version: {version}\n    date: 2026-11-30\n    summary: Reworded.\n"
    text = text.replace("changes:\n", "changes:\n" + entry, 1)
    path.write_text(text, encoding="utf-8")


RISKS_LINE = "Therapy is not right for everyone, or at every time in your life."


def test_skeleton_holds_the_source_text_and_a_hash_of_each_part(runner, make_project) -> None:
    root = make_project(SOURCE)
    path = root / _start(runner)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    assert (data["reference"], data["language"], data["version"]) == ("PSY-0104", "cy", 1)
    assert data["translation_of"] == source["version"]
    assert data["title"] == source["title"]
    assert data["risks"]["body"] == source["risks"]["body"]
    project = load_project(root)
    (english,) = [s for s in load_all(project) if not s.leaflet.is_translation]
    assert data["source_hashes"] == translation.hashes(english.leaflet)
    assert set(data["source_hashes"]) >= {"title", "summary", "what", "risks", "extra_sections.0"}
    assert all(re.fullmatch(r"[0-9a-f]{8}", h) for h in data["source_hashes"].values())
    # A second start never overwrites the translation.
    again = runner.invoke(cli, ["translate", "PSY-0104", "--language", "cy"])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_unknown_language_is_refused_with_the_languages_there_are(runner, make_project) -> None:
    make_project(SOURCE)
    result = runner.invoke(cli, ["translate", "PSY-0104", "--language", "fr"])
    assert result.exit_code == 1
    assert "French" in result.output and "cy (Welsh)" in result.output
    assert not Path("leaflets/psy-0104.fr.yaml").exists()


def test_changed_source_section_makes_exactly_that_section_stale(runner, make_project) -> None:
    root = make_project(SOURCE)
    _start(runner)
    first = runner.invoke(cli, ["build"])  # English v1 and Welsh v1 published
    assert first.exit_code == 0, first.output
    _edit_source(root, RISKS_LINE, RISKS_LINE + " Tell us if you are unsure.")

    checked = runner.invoke(cli, ["check"])
    assert checked.exit_code == 0, checked.output
    warnings = [line for line in checked.output.splitlines() if "warning: out of date" in line]
    assert len(warnings) == 1, checked.output
    assert re.match(r"leaflets/psy-0104\.cy\.yaml:\d+:\d+: risks: warning", warnings[0])
    assert runner.invoke(cli, ["check", "--strict"]).exit_code == 1

    audited = json.loads(runner.invoke(cli, ["audit", "--format", "json"]).output)
    welsh = next(e for e in audited["leaflets"] if e["language"] == "cy")
    assert welsh["state"] == "translation out of date"
    assert welsh["stale"] == ["risks"]
    english = next(e for e in audited["leaflets"] if e["language"] == "en-GB")
    assert english["stale"] == []
    rows = list(
        csv.DictReader(runner.invoke(cli, ["audit", "--format", "csv"]).output.splitlines())
    )
    assert [r["stale"] for r in rows if r["language"] == "cy"] == ["risks"]

    built = runner.invoke(cli, ["build"])
    assert built.exit_code == 0, built.output
    assert "PSY-0104.cy is out of date: its source changed in risks" in built.output
    # The Welsh v1 stays published as what it is; the English v2 is published beside it.
    assert "PSY-0104.cy v1 stays published as it was" in built.output
    assert (root / "output" / "pdf" / "PSY-0104" / "PSY-0104-v2.pdf").is_file()
    catalogue = (root / "output" / "index.html").read_text(encoding="utf-8")
    assert "Changed in the source: risks</span>" in catalogue

    update = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--update"])
    assert update.exit_code == 0
    assert "== risks: What are the risks? (changed) ==" in update.output
    assert "-" + RISKS_LINE in update.output.splitlines()
    assert "+" + RISKS_LINE + " Tell us if you are unsure." in update.output.splitlines()
    assert "== what" not in update.output  # only the changed section

    done = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--done", "risks"])
    assert done.exit_code == 0, done.output
    text = (root / "leaflets" / "psy-0104.cy.yaml").read_text(encoding="utf-8")
    assert "translation_of: 2" in text
    assert text.startswith("# Welsh translation")  # comments kept
    assert "warning" not in runner.invoke(cli, ["check"]).output


def test_a_date_only_change_does_not_make_a_translation_stale(runner, make_project) -> None:
    root = make_project(SOURCE)
    _start(runner)
    _edit_source(root, "approved_on: 2026-09-24", "approved_on: 2026-09-25")
    audited = json.loads(runner.invoke(cli, ["audit", "--format", "json"]).output)
    welsh = next(e for e in audited["leaflets"] if e["language"] == "cy")
    assert welsh["stale"] == [] and welsh["state"] == "current"


def test_files_and_register_rows_per_language(runner, make_project) -> None:
    root = make_project(SOURCE)
    _start(runner)
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    out = root / "output"
    assert (out / "pdf" / "PSY-0104" / "PSY-0104-v1-cy.pdf").is_file()
    assert (out / "pdf" / "PSY-0104" / "PSY-0104-v1-cy-large-print.pdf").is_file()
    assert (out / "print" / "PSY-0104-v1-cy-print.pdf").is_file()
    assert (out / "PSY-0104.cy.html").is_file()
    # The English page links to its published translation, and back.
    assert 'href="PSY-0104.cy.html" lang="cy" hreflang="cy">Cymraeg</a>' in (
        out / "PSY-0104.html"
    ).read_text(encoding="utf-8")
    assert 'href="PSY-0104.html" lang="en-GB"' in (out / "PSY-0104.cy.html").read_text("utf-8")
    register = read_register(root / "leaflets" / "register.csv", "register.csv")
    welsh = [row for row in register.rows if row.language == "cy"]
    assert {row.variant for row in welsh} == {"archival", "print", "large-print"}
    assert {row.file for row in register.rows if row.language == "en-GB"} >= {
        "pdf/PSY-0104/PSY-0104-v1.pdf"
    }
    info = PdfReader(out / "pdf" / "PSY-0104" / "PSY-0104-v1-cy.pdf").metadata
    assert info["/LeafletLanguage"] == "cy" and info["/LeafletTranslationOf"] == "1"
    english = PdfReader(out / "pdf" / "PSY-0104" / "PSY-0104-v1.pdf").metadata
    assert "/LeafletLanguage" not in english
    # Welsh fixed text, Welsh dates, and the note of what it was translated from.
    text = " ".join(
        page.extract_text() for page in PdfReader(out / "pdf/PSY-0104/PSY-0104-v1-cy.pdf").pages
    )
    text = " ".join(text.split())
    assert "Cyfeirnod y daflen: PSY-0104" in text
    assert "Hydref 2029" in text
    assert re.search(r"Tudalen 1 o \d", text)
    assert "fersiwn 1" in text
    # verify knows each language's files; a rebuild gives the same bytes.
    assert runner.invoke(cli, ["verify"]).exit_code == 0
    pdf = out / "pdf" / "PSY-0104" / "PSY-0104-v1-cy.pdf"
    before = pdf.read_bytes()
    pdf.unlink()
    again = runner.invoke(cli, ["build"])
    assert again.exit_code == 0, again.output
    assert "restored" in again.output
    assert pdf.read_bytes() == before
    # The print shop gets each language as its own pack, and the ticket says which.
    packed = runner.invoke(cli, ["print-pack", "PSY-0104", "PSY-0104.cy"])
    assert packed.exit_code == 0, packed.output
    with zipfile.ZipFile(out / "print" / "PSY-0104-v1-cy-print-pack.zip") as archive:
        assert "PSY-0104-v1-cy-print.pdf" in archive.namelist()
        ticket = json.loads(archive.read("ticket.json"))
        assert ticket["language"] == "cy"
        assert "Language:          cy (Welsh)" in archive.read("ticket.txt").decode()
    with zipfile.ZipFile(out / "print" / "PSY-0104-v1-print-pack.zip") as archive:
        assert json.loads(archive.read("ticket.json"))["language"] == "en-GB"


def test_an_old_register_is_read_as_the_source_language_and_rewritten(runner, make_project) -> None:
    root = make_project(SOURCE)
    old = DATA / "register-before-languages.csv"
    shutil.copy(old, root / "leaflets" / "register.csv")
    register = read_register(root / "leaflets" / "register.csv", "register.csv")
    assert register.rows and {row.language for row in register.rows} == {"en-GB"}
    assert register.find("PSY-0104", 1) is not None
    _start(runner)
    result = runner.invoke(cli, ["build", "PSY-0104"])
    assert result.exit_code == 0, result.output
    lines = (root / "leaflets" / "register.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[:4] == ["reference", "version", "variant", "language"]
    old_lines = old.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(old_lines) + 3  # every row kept, three Welsh files added
    rows = read_register(root / "leaflets" / "register.csv", "register.csv").rows
    assert rows[: len(register.rows)] == register.rows
    assert [row.language for row in rows[len(register.rows) :]] == ["cy"] * 3


def test_file_name_must_match_the_language_and_reference(runner, make_project) -> None:
    root = make_project(SOURCE)
    path = root / _start(runner)
    path.rename(root / "leaflets" / "psy-0104.pl.yaml")
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "language: is cy, but the file name says pl" in result.output


def test_a_translation_needs_its_source(runner, make_project) -> None:
    make_project(SOURCE)
    _start(runner)
    Path("leaflets/psy-0104.yaml").unlink()
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "no leaflet has the reference PSY-0104" in result.output


def test_urdu_page_is_right_to_left_and_says_its_language(runner, make_project) -> None:
    root = make_project(next(p for p in SAMPLES if p.name == "psy-0101.yaml"), URDU)
    result = runner.invoke(cli, ["build", "--draft"])
    assert result.exit_code == 0, result.output
    html = (root / "output" / "drafts" / "PSY-0101.ur.html").read_text(encoding="utf-8")
    assert re.search(r'<html lang="ur" dir="rtl"', html)
    assert "\u2066" in html  # numbers isolated left to right inside the Urdu text
    english = (root / "output" / "drafts" / "PSY-0101.html").read_text(encoding="utf-8")
    assert '<html lang="en-GB" class=' in english
    assert 'href="PSY-0101.ur.html" lang="ur" hreflang="ur">اردو</a>' in english
    pdf = next((root / "output" / "drafts").glob("PSY-0101-v*-ur-draft.pdf"))
    assert PdfReader(pdf).trailer["/Root"]["/Lang"] == "ur"


def test_export_and_import_round_trip_through_xliff_and_po(runner, make_project) -> None:
    root = make_project(SOURCE)
    path = root / _start(runner)
    for kind, suffix in (("xliff", "xlf"), ("po", "po")):
        result = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--export", kind])
        assert result.exit_code == 0, result.output
        exported = root / "output" / "translations" / f"PSY-0104.cy.{suffix}"
        assert exported.is_file()
    # An agency fills in the title in the PO file and sends it back.
    po = root / "output" / "translations" / "PSY-0104.cy.po"
    text = po.read_text(encoding="utf-8")
    entry = 'msgctxt "title"\nmsgid "Your relationship with your therapist"\nmsgstr ""'
    assert entry in text
    po.write_text(
        text.replace(entry, entry[:-2] + '"Eich perthynas â\u2019ch therapydd"'), encoding="utf-8"
    )
    result = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--import", str(po)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["title"] == "Eich perthynas â\u2019ch therapydd"
    assert runner.invoke(cli, ["check"]).exit_code == 0
    # A file for another language is refused, and nothing is written.
    before = path.read_bytes()
    po.write_text(po.read_text(encoding="utf-8").replace("Language: cy", "Language: pl"))
    refused = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--import", str(po)])
    assert refused.exit_code == 1
    assert path.read_bytes() == before


def test_sample_translations_are_marked_unchecked() -> None:
    assert {p.name for p in TRANSLATIONS} >= {"psy-0101.cy.yaml", "psy-0101.pl.yaml", URDU.name}
    for path in TRANSLATIONS:
        text = path.read_text(encoding="utf-8")
        assert "not been checked by a professional translator" in text
        assert not re.search(r"^checked_by:", text, re.M)


def test_pages_link_their_languages_but_never_a_published_page_to_a_draft(built: Path) -> None:
    """The sample translations are drafts: the published English page does not point
    patients at them; each draft translation links to the English page and to the other
    drafts."""
    english = (built / "PSY-0101.html").read_text(encoding="utf-8")
    assert "PSY-0101.cy.html" not in english and 'class="languages"' not in english
    welsh = (built / "drafts" / "PSY-0101.cy.html").read_text(encoding="utf-8")
    assert '<html lang="cy" class=' in welsh
    assert 'href="../PSY-0101.html" lang="en-GB" hreflang="en-GB">English</a>' in welsh
    assert 'href="PSY-0101.ur.html" lang="ur" hreflang="ur">اردو</a>' in welsh
    catalogue = (built / "index.html").read_text(encoding="utf-8")
    assert (
        'href="drafts/PSY-0101.cy.html" lang="cy" hreflang="cy">Cymraeg</a></bdi> (draft)'
        in catalogue
    )
    assert 'id="language-ur"' in catalogue  # the language filter


def test_stale_parts_go_to_the_agency_for_review_and_come_back_current(
    runner, make_project
) -> None:
    root = make_project(SOURCE)
    _start(runner)
    _edit_source(root, RISKS_LINE, RISKS_LINE + " Tell us if you are unsure.")
    exported = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--export", "po"])
    assert exported.exit_code == 0, exported.output
    po = root / "output" / "translations" / "PSY-0104.cy.po"
    text = po.read_text(encoding="utf-8")
    risks = text[text.index('msgctxt "risks.body"') - 200 : text.index('msgctxt "risks.body"')]
    assert "#, fuzzy" in risks and "The source changed since this was translated" in risks
    assert text.count("#, fuzzy") == 1  # only the stale part
    # Sent back untouched: the stale part is still marked for review, so nothing is taken.
    before = (root / "leaflets" / "psy-0104.cy.yaml").read_bytes()
    refused = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--import", str(po)])
    assert refused.exit_code == 1
    assert "risks.body: is marked fuzzy" in refused.output
    assert (root / "leaflets" / "psy-0104.cy.yaml").read_bytes() == before
    # Reviewed and cleared: taken, and the part follows the English again.
    po.write_text(text.replace("#, fuzzy\n", ""), encoding="utf-8")
    taken = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--import", str(po)])
    assert taken.exit_code == 0, taken.output
    checked = runner.invoke(cli, ["check"])
    assert "out of date" not in checked.output, checked.output


def test_the_preview_finds_the_draft_of_a_translated_page() -> None:
    """The catalogue links a published page or PDF; the preview serves its draft instead."""
    from build_leaflets.serve.pages import draft_twin as _draft_twin  # noqa: PLC0415

    assert _draft_twin("PSY-0101.cy.html") == "drafts/PSY-0101.cy.html"
    assert _draft_twin("PSY-0101.zh-Hans.html") == "drafts/PSY-0101.zh-Hans.html"
    assert _draft_twin("pdf/PSY-0101/PSY-0101-v1-cy.pdf") == "drafts/PSY-0101-v1-cy-draft.pdf"
    assert _draft_twin("pdf/PSY-0101/PSY-0101-v2.pdf") == "drafts/PSY-0101-v2-draft.pdf"
    assert _draft_twin("pdf/PSY-0102/PSY-0101-v2.pdf") is None


def test_update_finds_the_old_text_in_git_when_no_pdf_has_it(runner, make_project) -> None:
    """A source that was never published (a draft): the old text comes from git history."""
    root = make_project(SOURCE)
    _start(runner)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
            cwd=root,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", "leaflets")
    git("commit", "-q", "-m", "English and Welsh")
    _edit_source(root, RISKS_LINE, RISKS_LINE + " Tell us if you are unsure.")
    update = runner.invoke(cli, ["translate", "PSY-0104", "-l", "cy", "--update"])
    assert update.exit_code == 0, update.output
    assert "-" + RISKS_LINE in update.output.splitlines()
    assert "+" + RISKS_LINE + " Tell us if you are unsure." in update.output.splitlines()
