"""Governance: the register, immutable versions, reproducible archival PDFs, audit, verify."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from build_leaflets.cli import cli
from build_leaflets.load import source_digest
from build_leaflets.model import add_months
from build_leaflets.pdf import PdfFields, write_pdf
from tests.conftest import (
    ROOT,
    SAMPLES,
    TRANSLATIONS,
    copy_project,
    sample_pdfs,
    source_sha,
    translated_pdfs,
    tree,
)


def _rows(root: Path) -> list[dict[str, str]]:
    with (root / "leaflets" / "register.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def test_register_rows_match_the_published_pdfs(samples_project: Path) -> None:
    rows = _rows(samples_project)
    published = [("PSY-0101", "1"), ("PSY-0102", "1"), ("PSY-0103", "1"), ("PSY-0104", "1")]
    published.insert(4, ("PSY-0101", "2"))  # PSY-0101 v2 added a picture and a diagram
    published.insert(5, ("PSY-0102", "2"))  # PSY-0102 v2: a new list item, other numbers
    assert [(r["reference"], r["version"], r["variant"]) for r in rows] == [
        (ref, version, variant)
        for ref, version in published
        for variant in ("archival", "print", "large-print")
    ]
    current = {(r["reference"], r["version"]) for r in rows} - {
        ("PSY-0101", "1"),
        ("PSY-0102", "1"),
    }
    for row in [r for r in rows if (r["reference"], r["version"]) in current]:
        pdf = samples_project / "output" / row["file"]
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == row["pdf_sha256"]
        source = samples_project / "leaflets" / f"{row['reference'].lower()}.yaml"
        assert source_sha(source) == row["source_sha256"]
        assert "WeasyPrint 70.0" in row["tool_version"]
    exported = json.loads((samples_project / "output" / "register.json").read_text())
    assert [r["pdf_sha256"] for r in exported["register"]] == [r["pdf_sha256"] for r in rows]


def test_fresh_clone_rebuilds_the_registered_bytes(samples_project: Path) -> None:
    """The repository's register was written by an earlier build; building a copy of the
    repository reproduced every registered PDF (the fixture fails otherwise) and added nothing."""
    with (ROOT / "leaflets" / "register.csv").open(newline="") as file:
        committed = list(csv.DictReader(file))
    assert _rows(samples_project) == committed
    assert {row["reference"] for row in committed} >= {"PSY-0101", "PSY-0102", "PSY-0103"}


def test_two_folders_get_byte_identical_pdfs(runner, make_project) -> None:
    root = make_project(*SAMPLES)
    assert runner.invoke(cli, ["build", "--out", "one"]).exit_code == 0
    assert runner.invoke(cli, ["build", "--out", "two"]).exit_code == 0
    one, two = tree(root / "one" / "pdf"), tree(root / "two" / "pdf")
    assert one == two and len(one) == 2 * len(SAMPLES)  # archival and large print
    again = runner.invoke(cli, ["build", "--out", "one"])
    assert again.exit_code == 0
    assert f"All {len(SAMPLES)} leaflet(s) are up to date." in again.output
    assert tree(root / "one" / "pdf") == one


def test_up_to_date_build_does_not_import_weasyprint(samples_project: Path) -> None:
    code = (
        "import sys; from build_leaflets.build import build; "
        "from build_leaflets.config import load_project; "
        f"from pathlib import Path; r = build(load_project(Path({str(samples_project)!r}))); "
        "assert r.ok and r.rendered == 0, r; print('weasyprint' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_edit_without_new_version_is_refused_and_nothing_changes(runner, make_project) -> None:
    root = make_project(*SAMPLES)
    assert runner.invoke(cli, ["build"]).exit_code == 0
    before = tree(root / "output")
    register_before = (root / "leaflets" / "register.csv").read_bytes()
    source = root / "leaflets" / "psy-0102.yaml"
    source.write_text(source.read_text().replace("talking therapy", "talking treatment", 1))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "leaflets/psy-0102.yaml:3:10: version: 2 was already published on "
        f"{_rows(root)[0]['published']} from different text, and a published version never "
        "changes: raise version to 3 and last_updated to today's date (or undo the edit)",
        "Nothing was written.",
    ]
    assert tree(root / "output") == before
    assert (root / "leaflets" / "register.csv").read_bytes() == register_before


def _raise(text: str, version: int, day: str) -> str:
    """A leaflet's text raised to `version`, with its entry in the version history."""
    text = re.sub(r"^version: \d+$", f"version: {version}", text, count=1, flags=re.M)
    entry = f"changes:\n  - version: {version}\n    date: {day}\n    summary: Reworded.\n"
    return text.replace("changes:\n", entry, 1)


def test_new_version_is_published_beside_the_old(runner, make_project) -> None:
    root = make_project(*SAMPLES)
    assert runner.invoke(cli, ["build"]).exit_code == 0
    old = (root / "output/pdf/PSY-0103/PSY-0103-v1.pdf").read_bytes()
    source = root / "leaflets" / "psy-0103.yaml"
    text = source.read_text().replace("talking therapy", "talking treatment", 1)
    text = _raise(text, 2, "2026-11-20")
    text = text.replace("last_updated: 2026-10-01", "last_updated: 2026-11-20")
    source.write_text(text)
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    assert "PSY-0103 v2: published output/pdf/PSY-0103/PSY-0103-v2.pdf" in result.output
    assert (root / "output/pdf/PSY-0103/PSY-0103-v1.pdf").read_bytes() == old
    rows = [(r["version"], r["variant"]) for r in _rows(root) if r["reference"] == "PSY-0103"]
    variants = ["archival", "print", "large-print"]
    assert rows == [(version, v) for version in ("1", "2") for v in variants]
    v2 = PdfReader(root / "output/pdf/PSY-0103/PSY-0103-v2.pdf")
    assert v2.metadata["/LeafletVersion"] == "2"
    assert "Date last updated: 20 November 2026" in v2.pages[0].extract_text()


def test_lower_version_than_published_is_refused(runner, make_project) -> None:
    root = make_project(*SAMPLES)
    assert runner.invoke(cli, ["build"]).exit_code == 0
    source = root / "leaflets" / "psy-0103.yaml"
    source.write_text(_raise(source.read_text(), 3, "2026-10-01"))
    assert runner.invoke(cli, ["build"]).exit_code == 0
    lowered = source.read_text().replace("version: 3\n", "version: 2\n", 1)
    source.write_text(lowered.replace("  - version: 3\n", "  - version: 2\n", 1))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert (
        "leaflets/psy-0103.yaml:3:10: version: is 2, but version 3 is already published; "
        "a new version must be 4"
    ) in result.output


def test_missing_pdf_that_no_longer_rebuilds_the_same_is_not_replaced(runner, make_project) -> None:
    root = make_project(SAMPLES[0])
    assert runner.invoke(cli, ["build"]).exit_code == 0
    (root / "output/pdf/PSY-0101/PSY-0101-v2.pdf").unlink()
    css = root / "layouts" / "leaflet.css"
    css.write_text(css.read_text().replace("--nhs-blue: #005eb8;", "--nhs-blue: #0072ce;"))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "output/pdf/PSY-0101/PSY-0101-v2.pdf: is missing, and rebuilding it does not give " in (
        result.output
    )
    assert "the layout (layouts/) or the site settings changed" in result.output
    assert not (root / "output/pdf/PSY-0101/PSY-0101-v2.pdf").exists()


def test_drafts_are_never_registered(runner, make_project) -> None:
    root = make_project(*SAMPLES[:2])
    result = runner.invoke(cli, ["build", "--draft"])
    assert result.exit_code == 0, result.output
    assert "PSY-0101 v2: draft output/drafts/PSY-0101-v2-draft.pdf" in result.output
    assert not (root / "leaflets" / "register.csv").exists()
    assert not (root / "output" / "pdf").exists()
    reader = PdfReader(root / "output/drafts/PSY-0102-v2-draft.pdf")
    assert all("DRAFT" in page.extract_text() for page in reader.pages)


def test_archival_pdf_is_pdfa3_and_carries_its_source(built: Path, samples_project) -> None:
    rows = {row["reference"]: row for row in _rows(samples_project)}
    for pdf in sample_pdfs(built):
        reader = PdfReader(pdf)
        reference = pdf.parent.name
        attachments = dict(reader.attachments)
        name = f"{reference.lower()}.yaml"
        [data] = attachments.pop(name)
        assert data == (ROOT / "leaflets" / name).read_bytes()
        # the pictures it shows travel with it, and the register's checksum covers them
        pictures = {n: hashlib.sha256(d).hexdigest() for n, [d] in attachments.items()}
        assert {n: (ROOT / "leaflets" / n).read_bytes() for n in pictures} == {
            n: d for n, [d] in attachments.items()
        }
        assert source_digest(data, pictures) == rows[reference]["source_sha256"]
        catalog = reader.root_object
        specs = catalog["/AF"]
        assert len(specs) == 1 + len(pictures)
        assert {s.get_object()["/AFRelationship"] for s in specs} == {"/Source"}
        xmp = catalog["/Metadata"].get_object().get_data().decode()
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
        for field in ("reference", "version", "lastUpdated", "archiveDate", "sourceSHA256"):
            assert f"<leaflet:{field}>" in xmp
        assert f"<leaflet:sourceSHA256>{rows[reference]['source_sha256']}<" in xmp
        assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


def test_audit_states_and_formats(runner, samples_project: Path, monkeypatch) -> None:
    monkeypatch.chdir(samples_project)
    expired = runner.invoke(cli, ["audit", "--as-of", "2029-10-02"])
    assert expired.exit_code == 1
    assert re.search(r"PSY-0103 +en-GB +1 +2026-10-01 +2029-10-01 +-1 +expired", expired.output)
    assert re.search(
        r"PSY-0102 +en-GB +2 +2026-12-01 +2029-12-01 +60 +due for review", expired.output
    )
    assert re.search(
        r"PSY-0101 +en-GB +2 +2026-11-23 +2029-11-23 +52 +due for review", expired.output
    )
    assert "Expired on 2029-10-02: PSY-0103, PSY-0104." in expired.output
    due = runner.invoke(cli, ["audit", "--as-of", "2029-09-01", "--format", "json"])
    assert due.exit_code == 0
    everything = json.loads(due.output)["leaflets"]
    leaflets = [e for e in everything if e["language"] == "en-GB"]
    states = {e["reference"]: (e["state"], e["days_left"]) for e in leaflets}
    assert states["PSY-0102"] == ("current", 91)  # version 2: archived 2029-12-01
    assert {e["state"] for e in leaflets if e["reference"] != "PSY-0102"} == {"due for review"}
    assert {e["state"] for e in everything if e["language"] != "en-GB"} == {"draft"}
    assert {e["days_left"] for e in leaflets} == {30, 83, 91}  # PSY-0101 and PSY-0102 v2
    as_csv = runner.invoke(cli, ["audit", "--as-of", "2029-09-01", "--format", "csv"])
    rows = list(csv.DictReader(as_csv.output.splitlines()))
    assert [r["reference"] for r in rows] == [e["reference"] for e in everything]
    assert [r["state"] for r in rows] == [e["state"] for e in everything]
    current = runner.invoke(cli, ["audit", "--as-of", "2027-01-01", "--due-within", "30"])
    assert current.exit_code == 0
    assert current.output.count(" current ") == len(SAMPLES)


def test_verify_clean_tree(runner, samples_project: Path, monkeypatch) -> None:
    monkeypatch.chdir(samples_project)
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 0, result.output
    # each sample has an archival, a print and a large-print PDF
    assert result.output == f"{3 * len(SAMPLES)} PDF(s) match the publication register.\n"


def _copy_built(samples_project: Path, tmp_path: Path) -> Path:
    root = copy_project(tmp_path)
    shutil.copytree(samples_project / "output", root / "output")
    shutil.copy(samples_project / "leaflets" / "register.csv", root / "leaflets" / "register.csv")
    return root


def test_verify_names_a_flipped_byte(runner, samples_project, tmp_path, monkeypatch) -> None:
    root = _copy_built(samples_project, tmp_path)
    monkeypatch.chdir(root)
    target = root / "output/pdf/PSY-0103/PSY-0103-v1.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 1
    assert result.output.startswith(
        "output/pdf/PSY-0103/PSY-0103-v1.pdf: its SHA-256 matches no registered file of "
        "PSY-0103 v1 (archival, print, large-print): the file was changed after publication\n"
    )
    assert "PSY-0101" not in result.output


def _set_metadata(pdf: Path, key: str, value: str) -> None:
    """Edit one document-information field, as someone tampering with a PDF would."""
    writer = PdfWriter(clone_from=pdf)
    writer.add_metadata({key: value})
    with pdf.open("wb") as file:
        writer.write(file)


def test_verify_names_changed_metadata(runner, samples_project, tmp_path, monkeypatch) -> None:
    root = _copy_built(samples_project, tmp_path)
    monkeypatch.chdir(root)
    _set_metadata(root / "output/pdf/PSY-0104/PSY-0104-v1.pdf", "/LeafletArchiveDate", "2035-01-01")
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 1
    assert (
        "output/pdf/PSY-0104/PSY-0104-v1.pdf: metadata LeafletArchiveDate is '2035-01-01'; "
        "the register says '2029-10-01'"
    ) in result.output


def test_verify_names_an_unregistered_pdf(runner, samples_project, tmp_path, monkeypatch) -> None:
    root = _copy_built(samples_project, tmp_path)
    monkeypatch.chdir(root)
    stray = root / "output/pdf/PSY-0101/PSY-0101-v7.pdf"
    stray.write_bytes((root / "output/pdf/PSY-0101/PSY-0101-v2.pdf").read_bytes())
    _set_metadata(stray, "/LeafletVersion", "7")
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 1
    assert (
        "output/pdf/PSY-0101/PSY-0101-v7.pdf: is not in the publication register (unregistered PDF)"
    ) in result.output


@pytest.mark.parametrize("garbage", [b"", b"not a pdf at all"])
def test_verify_reports_unreadable_files(runner, samples_project, tmp_path, monkeypatch, garbage):
    root = _copy_built(samples_project, tmp_path)
    monkeypatch.chdir(root)
    (root / "output/pdf/PSY-0102/PSY-0102-v2.pdf").write_bytes(garbage)
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 1
    assert "output/pdf/PSY-0102/PSY-0102-v2.pdf: cannot be read as a PDF" in result.output
    assert "Traceback" not in result.output


def test_build_warns_about_expired_and_due_leaflets(runner, make_project) -> None:
    today = dt.date.today()
    old, soon = today - dt.timedelta(days=4 * 366), today + dt.timedelta(days=30)
    expired = (ROOT / "leaflets" / "psy-0101.yaml").read_text()
    expired = expired.replace("last_updated: 2026-11-23", f"last_updated: {old}")
    expired = expired.replace("approved_on: 2026-11-20", f"approved_on: {old}")
    due = (ROOT / "leaflets" / "psy-0102.yaml").read_text()
    due = due.replace("last_updated: 2026-12-01", f"last_updated: {today}\narchive_date: {soon}")
    due = due.replace("approved_on: 2026-09-24", f"approved_on: {today}")
    make_project(("psy-0101.yaml", expired), ("psy-0102.yaml", due))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    assert (
        f"Warning: PSY-0101 (Integrated psychological therapy) expired on "
        f"{add_months(old, 36)}: review it and publish a new version, or withdraw it."
    ) in result.output
    assert (
        f"Warning: PSY-0102 (Interpersonal psychotherapy (IPT)) is due for review: archive date "
        f"{soon}, in 30 day(s)."
    ) in result.output


def test_archival_pdfs_pass_pdfa3_and_pdfua1_validators(built: Path, tmp_path: Path) -> None:
    """veraPDF, offline (tools/verapdf): the archival PDFs conform to PDF/A-3b."""
    validate = str(ROOT / "tools" / "verapdf" / "validate")
    for flavour in ("3a", "3b", "ua1"):  # PDF/A-3 (accessible level A) and PDF/UA-1 at once
        result = subprocess.run(
            [validate, flavour, *map(str, sample_pdfs(built) + translated_pdfs(built))],
            capture_output=True,
            text=True,
        )
        if result.returncode == 2 and os.environ.get("CI") != "true":
            pytest.skip(f"veraPDF could not be set up here: {result.stderr.strip()[-300:]}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count(": PASS") == len(SAMPLES) + len(TRANSLATIONS)
    # The same validator fails a PDF that is not PDF/A, so the pass above means something.
    plain = tmp_path / "plain.pdf"
    fields = PdfFields("TST-1", 1, "2026-10-01", "2029-10-01", "0" * 64, "approved")
    document = write_pdf("<p>x</p>", name="x", base=ROOT, allowed=[], fields=fields, variant=None)
    plain.write_bytes(document)
    failed = subprocess.run([validate, "3b", str(plain)], capture_output=True, text=True)
    assert failed.returncode == 1
    assert "FAIL 6.6.2.1-1" in failed.stdout  # no XMP metadata


def test_build_writes_the_governance_page_and_calendars(built: Path) -> None:
    import icalendar  # noqa: PLC0415

    page = (built / "governance.html").read_text(encoding="utf-8")
    assert "<svg" in page and 'role="img"' in page  # the chart, with its table beside it
    assert (built / "governance.csv").read_bytes().startswith(b"\xef\xbb\xbfsection,month")
    everyone = icalendar.Calendar.from_ical((built / "calendar" / "everyone.ics").read_bytes())
    events = {str(e["SUMMARY"]): e for e in everyone.walk("VEVENT")}
    ipt = next(e for s, e in events.items() if "PSY-0102" in s)
    assert ipt["DTSTART"].dt == dt.date(2029, 12, 1)  # version 2's archive date
    owners = sorted(p.name for p in (built / "calendar").glob("*.ics"))
    assert "everyone.ics" in owners and len(owners) >= 2
    catalogue = (built / "index.html").read_text(encoding="utf-8")
    assert '<a href="governance.html">' in catalogue


def test_a_calendar_of_an_owner_with_no_leaflet_left_is_removed(runner, make_project) -> None:
    root = make_project(SAMPLES[2])
    assert runner.invoke(cli, ["build"]).exit_code == 0
    stale = root / "output" / "calendar" / "someone-who-left.ics"
    stale.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert not stale.exists()
    assert (root / "output" / "calendar" / "everyone.ics").is_file()


def test_check_warns_when_a_raised_version_changes_only_dates(runner, make_project) -> None:
    root = make_project(SAMPLES[2])  # PSY-0103
    assert runner.invoke(cli, ["build"]).exit_code == 0  # version 1 published
    source = root / "leaflets" / "psy-0103.yaml"
    original = source.read_text()
    source.write_text(_raise(original, 2, "2026-12-01").replace("2026-10-01", "2026-12-01"))
    checked = runner.invoke(cli, ["check"])
    assert checked.exit_code == 0
    assert re.search(
        r"leaflets/psy-0103\.yaml:3:10: version: warning: version 2 changes nothing but dates "
        r"and approval since version 1",
        checked.output,
    ), checked.output
    assert runner.invoke(cli, ["check", "--strict"]).exit_code == 1
    # With a change to what patients read, the new version is fine.
    edited = _raise(original, 2, "2026-12-01").replace("talking therapy", "talking treatment", 1)
    source.write_text(edited)
    assert "warning: version 2" not in runner.invoke(cli, ["check"]).output


def test_diff_writes_the_approval_pack(runner, make_project) -> None:
    root = make_project(SAMPLES[2])
    assert runner.invoke(cli, ["build"]).exit_code == 0
    source = root / "leaflets" / "psy-0103.yaml"
    text = source.read_text()
    assert "talking therapy" in text
    source.write_text(
        _raise(text, 2, "2026-12-01").replace("talking therapy", "talking treatment", 1)
    )
    result = runner.invoke(cli, ["diff", "PSY-0103"])
    assert result.exit_code == 0, result.output
    assert "PSY-0103 version 1 to 2:" in result.output
    html = root / "output" / "review" / "PSY-0103-v1-to-v2.html"
    pdf = root / "output" / "review" / "PSY-0103-v1-to-v2.pdf"
    assert html.is_file() and pdf.is_file()
    page = html.read_text(encoding="utf-8")
    assert "<ins" in page and "treatment" in page and "<del" in page
    assert PdfReader(pdf).metadata["/LeafletReference"] == "PSY-0103"
    unknown = runner.invoke(cli, ["diff", "PSY-9999"])
    assert unknown.exit_code == 1
    assert "Traceback" not in unknown.output
