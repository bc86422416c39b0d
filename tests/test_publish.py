"""Publishing: versioned names, atomic writes, and a published PDF is never overwritten."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from build_leaflets import publish
from build_leaflets.cli import cli
from build_leaflets.errors import PublishError
from build_leaflets.model import add_months
from build_leaflets.render import css_string, uk_date
from tests.conftest import DATA, SAMPLES, tree


def test_uk_dates() -> None:
    assert uk_date(dt.date(2026, 10, 1)) == "1 October 2026"
    assert uk_date(dt.date(2029, 2, 28)) == "28 February 2029"


def test_review_period_lands_on_a_real_day() -> None:
    assert add_months(dt.date(2026, 10, 1), 36) == dt.date(2029, 10, 1)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)


def test_css_strings_cannot_break_out() -> None:
    assert css_string('a"b\\c</style>\nd') == '"a\\"b\\\\c\\3C /style>\\A d"'


def test_atomic_write_leaves_only_the_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.pdf"
    publish.write_atomic(target, b"%PDF-1.7 one")
    publish.write_atomic(target, b"%PDF-1.7 two")
    assert target.read_bytes() == b"%PDF-1.7 two"
    assert [p.name for p in target.parent.iterdir()] == ["b.pdf"]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "b.pdf"
    target.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        publish.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.pdf"]


def test_published_pdf_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "X-v1.pdf"
    assert publish.publish_pdf(target, b"one", shown_as="X-v1.pdf") is publish.Outcome.WRITTEN
    assert publish.publish_pdf(target, b"one", shown_as="X-v1.pdf") is publish.Outcome.UNCHANGED
    with pytest.raises(PublishError, match="raise 'version' and 'last_updated'"):
        publish.publish_pdf(target, b"two", shown_as="X-v1.pdf")
    assert target.read_bytes() == b"one"


def test_second_build_changes_nothing(runner, make_project) -> None:
    root = make_project(SAMPLES[2])
    assert runner.invoke(cli, ["build"]).exit_code == 0
    before = tree(root / "output")
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0
    assert "PSY-0103 v1: up to date" in result.output
    assert "All 1 leaflet(s) are up to date." in result.output
    assert tree(root / "output") == before


def test_build_named_references_only(runner, make_project) -> None:
    root = make_project(SAMPLES[0], SAMPLES[1])
    result = runner.invoke(cli, ["build", "psy-0102"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (root / "output" / "pdf").iterdir()] == ["PSY-0102"]
    unknown = runner.invoke(cli, ["build", "PSY-9999"])
    assert unknown.exit_code == 1
    assert "build: no leaflet has the reference PSY-9999" in unknown.output


def test_drafts_are_marked_and_kept_apart(runner, make_project) -> None:
    text = (DATA / "minimal.yaml").read_text().replace("status: approved", "status: draft")
    root = make_project(("tst-0001.yaml", text))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    assert not (root / "output" / "pdf").exists()
    draft = root / "output" / "drafts" / "TST-0001-v1-draft.pdf"
    reader = PdfReader(draft)
    for page in reader.pages:
        assert "DRAFT - not approved for use with patients" in page.extract_text()
    assert reader.metadata["/LeafletStatus"] == "draft"
    # a draft is a working copy: editing it and building again replaces it
    source = root / "leaflets" / "tst-0001.yaml"
    source.write_text(source.read_text().replace("Anyone.", "Anyone at all."))
    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert "Anyone at all." in PdfReader(draft).pages[0].extract_text()


def test_archive_date_defaults_to_review_period(runner, make_project) -> None:
    root = make_project(DATA / "minimal.yaml")
    settings = root / "pyproject.toml"
    settings.write_text(settings.read_text().replace("review_months = 36", "review_months = 24"))
    assert runner.invoke(cli, ["build"]).exit_code == 0
    reader = PdfReader(root / "output" / "pdf" / "TST-0001" / "TST-0001-v1.pdf")
    assert reader.metadata["/LeafletArchiveDate"] == "2028-10-01"
    assert "Archive date: 1 October 2028" in reader.pages[0].extract_text()


def test_memo_of_checked_files_never_hides_a_mistake(runner, make_project) -> None:
    root = make_project(SAMPLES[0], SAMPLES[1])
    assert runner.invoke(cli, ["build"]).exit_code == 0
    memo = root / "output" / ".cache" / "checked.json"
    assert memo.is_file()
    source = root / "leaflets" / "psy-0102.yaml"
    source.write_text(source.read_text().replace("version: 2\n", "version: one\n", 1))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "leaflets/psy-0102.yaml:3:10: version: must be a whole number" in result.output
    # a damaged memo is only a lost shortcut
    memo.write_text("{not json")
    source.write_text(source.read_text().replace("version: one\n", "version: 2\n", 1))
    again = runner.invoke(cli, ["build"])
    assert again.exit_code == 0, again.output
    assert "All 2 leaflet(s) are up to date." in again.output


def test_memo_keeps_places_for_later_messages(runner, make_project) -> None:
    root = make_project(SAMPLES[1])
    assert runner.invoke(cli, ["build"]).exit_code == 0
    register = root / "leaflets" / "register.csv"
    text = register.read_text()
    # Pretend version 2 was published from other text: the unchanged file now conflicts, and
    # the message still points at its version line, taken from the memo.
    lines = text.splitlines()
    header, rows = lines[0], [line.split(",") for line in lines[1:]]
    column = header.split(",").index("source_sha256")
    for row in rows:
        row[column] = "0" * 64
    register.write_text("\n".join([header, *(",".join(row) for row in rows)]) + "\n")
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.output.startswith("leaflets/psy-0102.yaml:3:10: version: 2 was already published")
