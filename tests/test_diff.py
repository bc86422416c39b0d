"""The approval pack: what changed between two versions of a leaflet, and the pack that shows it.

The comparison engine is tested on the sample PSY-0102, version 1 (as published, from git
history) against version 2 (the working file), and on small bodies for the block and word
matching. The pack is written once for the module and checked as the other published files
are: axe-core and the Nu Html Checker for the web page, veraPDF (PDF/A-3a and PDF/UA-1) and its
text for the PDF. Where a tool is missing the test is skipped, except under CI=true.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from build_leaflets import diff, pdf, render, review
from build_leaflets.build import register_of
from build_leaflets.config import Project, load_project
from build_leaflets.errors import LeafletError
from build_leaflets.finish import PdfFields
from build_leaflets.load import source_digest
from tests.conftest import ROOT, copy_project

V1_COMMIT = "3efb48a"  # a commit whose leaflets/psy-0102.yaml is version 1, as published
V1_SHA256 = "c34d4c3482edd248bdd07342e9821985eb062d6505db39f4d54d66750e4b81d9"  # the register's
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
DURATION = "How long does IPT last?"


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the CI set-up must install it)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="module")
def v1_bytes() -> bytes:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{V1_COMMIT}:leaflets/psy-0102.yaml"],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        _missing(f"git history with commit {V1_COMMIT} is needed: {done.stderr.decode()[-200:]}")
    return done.stdout


@pytest.fixture(scope="module")
def v1(v1_bytes: bytes) -> dict[str, Any]:
    return yaml.safe_load(v1_bytes)


@pytest.fixture(scope="module")
def v2() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "leaflets" / "psy-0102.yaml").read_bytes())


@pytest.fixture(scope="module")
def comparison(v1, v2) -> diff.Comparison:
    return diff.compare(v1, v2)


# ---- PSY-0102, version 1 to version 2 ---------------------------------------------------------


def test_the_published_version_1_is_the_registered_text(v1_bytes: bytes) -> None:
    assert source_digest(v1_bytes, {}) == V1_SHA256


def test_inserted_and_deleted_words_are_exactly_the_changes(comparison) -> None:
    duration = comparison.field("duration")
    assert duration.state == "changed"
    assert duration.label == DURATION
    # "16 sessions" -> "12 to 16 sessions"; "12 to 16 weeks" -> "3 to 4 months"
    assert duration.inserted == ["12 to", "3 to 4 months"]
    assert duration.deleted == ["12 to 16 weeks"]
    assert (duration.insertions, duration.deletions) == (2, 1)
    (paragraph,) = duration.blocks
    assert [(s.kind, s.text) for s in paragraph.segments] == [
        ("equal", "IPT usually has "),
        ("inserted", "12 to"),
        ("equal", " 16 sessions. Most people have one session a week, so therapy lasts about "),
        ("deleted", "12 to 16 weeks"),
        ("inserted", "3 to 4 months"),
        ("equal", ". Each session lasts up to an hour."),
    ]
    assert paragraph.text == (
        "IPT usually has 12 to 16 sessions. Most people have one session a week, so therapy "
        "lasts about 3 to 4 months. Each session lasts up to an hour."
    )
    assert paragraph.old_text == (
        "IPT usually has 16 sessions. Most people have one session a week, so therapy lasts "
        "about 12 to 16 weeks. Each session lasts up to an hour."
    )
    assert duration.heading is not None and duration.heading.state == "unchanged"


def test_changed_numbers_are_flagged(comparison) -> None:
    assert comparison.numbers == (
        diff.NumberChange("duration", DURATION, "16 sessions", "12 to 16 sessions"),
        diff.NumberChange("duration", DURATION, "12 to 16 weeks", "3 to 4 months"),
    )


def test_the_new_list_item_is_one_inserted_block(comparison) -> None:
    who = comparison.field("who")
    assert who.state == "changed"
    assert who.inserted == ["the death of someone close to you."]
    assert who.deleted == []  # the full stop the item before lost is punctuation only
    items = [b for b in who.blocks if b.kind == "item"]
    assert [b.state for b in items] == ["unchanged"] * 3 + ["added"]
    assert items[-1].segments == (diff.Segment("inserted", "the death of someone close to you."),)
    assert items[2].text == "a big change in your life that you are finding hard"
    assert all(b.state == "unchanged" for b in who.blocks if b.kind != "item")


def test_untouched_parts_are_unchanged(comparison) -> None:
    changed = {f.key for f in comparison.fields if f.state != "unchanged"}
    assert changed == {"who", "duration", "version", "last_updated", "changes"}
    keys = [f.key for f in comparison.fields]
    assert keys[:3] == ["title", "summary", "what"]  # print order
    assert keys.index("copies_of_letters") < keys.index("extra_sections.0") < keys.index("contact")
    assert keys.index("contact") < keys.index("version") < keys.index("changes")
    for key in ("title", "summary", "what", "risks", "extra_sections.0", "contact", "owner"):
        field = comparison.field(key)
        assert field.state == "unchanged" and field.inserted == field.deleted == [], key
    assert comparison.field("extra_sections.0").label == "A patient's story"


def test_governance_and_history(comparison) -> None:
    version = comparison.field("version")
    assert (version.deleted, version.inserted) == (["1"], ["2"])
    updated = comparison.field("last_updated")
    assert (updated.deleted, updated.inserted) == (["1 October 2026"], ["1 December 2026"])
    changes = comparison.field("changes")
    assert changes.inserted == [
        "Version 2, 1 December 2026: Said that IPT can help after a death, and that it "
        "usually has 12 to 16 sessions."
    ]
    assert not comparison.numbers_in("changes")  # the history is not what patients act on
    assert (comparison.reference, comparison.old_version, comparison.new_version) == (
        "PSY-0102",
        1,
        2,
    )


def test_punctuation_only_change_is_shown_with_minor(v1, v2) -> None:
    who = diff.compare(v1, v2, minor=True).field("who")
    assert who.deleted == ["."]
    assert who.inserted == ["the death of someone close to you."]
    item = [b for b in who.blocks if b.kind == "item"][2]
    assert item.state == "changed"
    assert item.segments == (
        diff.Segment("equal", "a big change in your life that you are finding hard"),
        diff.Segment("deleted", "."),
    )


def test_whitespace_only_changes_are_hidden(v2) -> None:
    respaced = copy.deepcopy(v2)
    body = respaced["duration"]["body"]
    respaced["duration"]["body"] = "\n\n" + body.replace(". ", ".  \n").replace(" a ", "   a ")
    respaced["title"] = "  " + v2["title"].replace(" ", "  ") + " "
    found = diff.compare(v2, respaced)
    assert not found.changed and not found.numbers
    # with minor changes the text still reads the same: spaces collapse as on the page
    assert not diff.compare(v2, respaced, minor=True).changed


def test_a_space_added_before_punctuation_is_minor() -> None:
    old = _leaflet(what="It can feel hard. Talk to us.")
    new = _leaflet(what="It can feel hard . Talk to us.")
    assert diff.compare(old, new).field("what").state == "unchanged"
    what = diff.compare(old, new, minor=True).field("what")
    assert what.state == "changed"
    assert what.inserted == [" "] and what.deleted == []


# ---- block and word matching -------------------------------------------------------------


def _leaflet(**fields: Any) -> dict[str, Any]:
    return {"reference": "TST-1", "version": 1, "title": "A test", **fields}


def _what(old: str, new: str, *, minor: bool = False) -> diff.Field:
    return diff.compare(_leaflet(what=old), _leaflet(what=new), minor=minor).field("what")


def test_a_reordered_list_is_one_item_moved() -> None:
    what = _what("- apples\n- pears\n- plums\n", "- plums\n- apples\n- pears\n")
    assert what.state == "changed"
    assert [(b.text or b.old_text, b.state, b.note) for b in what.blocks] == [
        ("plums", "added", "moved"),
        ("apples", "unchanged", ""),
        ("pears", "unchanged", ""),
        ("plums", "removed", "moved"),
    ]
    assert what.moves == 1
    # no word is reported as changed inside the items that stayed
    assert all(s.kind == "equal" for b in what.blocks[1:3] for s in b.segments)


def test_a_paragraph_split_in_two_changes_no_words() -> None:
    old = "You will meet your therapist each week. Sessions last about an hour.\n"
    new = "You will meet your therapist each week.\n\nSessions last about an hour.\n"
    what = _what(old, new)
    assert what.state == "unchanged"
    assert [b.text for b in what.blocks] == [
        "You will meet your therapist each week.",
        "Sessions last about an hour.",
    ]
    shown = _what(old, new, minor=True)
    assert shown.state == "changed"
    assert [b.note for b in shown.blocks] == ["", "split"]
    assert shown.inserted == shown.deleted == []


def test_a_split_paragraph_with_a_word_changed() -> None:
    old = "You will meet your therapist each week. Sessions last about an hour.\n"
    new = "You will meet your therapist each week.\n\nSessions last up to an hour.\n"
    what = _what(old, new)
    assert [b.kind for b in what.blocks] == ["paragraph", "paragraph"]
    assert what.blocks[0].state == "unchanged"
    assert what.deleted == ["about"] and what.inserted == ["up to"]
    assert what.blocks[1].segments == (
        diff.Segment("equal", "Sessions last "),
        diff.Segment("deleted", "about"),
        diff.Segment("equal", " "),
        diff.Segment("inserted", "up to"),
        diff.Segment("equal", " an hour."),
    )


def test_an_unrelated_paragraph_is_removed_and_another_added() -> None:
    what = _what(
        "Tell us if you need an interpreter.\n\nWe will write to your GP.\n",
        "Bring your glasses if you use them.\n\nWe will write to your GP.\n",
    )
    assert [(b.state, b.text or b.old_text) for b in what.blocks] == [
        ("removed", "Tell us if you need an interpreter."),
        ("added", "Bring your glasses if you use them."),
        ("unchanged", "We will write to your GP."),
    ]


def test_a_nested_item_is_a_block_one_level_down() -> None:
    what = _what("- one thing\n- two things\n", "- one thing\n  - a detail\n- two things\n")
    assert [(b.kind, b.level, b.state) for b in what.blocks] == [
        ("item", 0, "unchanged"),
        ("item", 1, "added"),
        ("item", 0, "unchanged"),
    ]


def test_numbers_in_changed_words_are_flagged() -> None:
    found = diff.compare(
        _leaflet(
            what="Take 2.5 mg at 9am. Call 0113 496 0123 if it hurts.",
            contact={"phone": "0113 496 0000"},
        ),
        _leaflet(
            what="Take 25 mg at 10am. Call 0113 496 0124 if it hurts.",
            contact={"phone": "0113 496 0001"},
        ),
    )
    assert [(n.field, n.old, n.new) for n in found.numbers] == [
        ("what", "2.5 mg", "25 mg"),
        ("what", "9am", "10am"),
        ("what", "0113 496 0123", "0113 496 0124"),
        ("contact", "0113 496 0000", "0113 496 0001"),
    ]
    what = found.field("what")
    assert what.deleted == ["2.5", "9am", "0123"] and what.inserted == ["25", "10am", "0124"]


def test_a_number_is_never_a_minor_change() -> None:
    """Punctuation or spacing inside a number changes the number: always shown and flagged."""
    found = diff.compare(_leaflet(what="Take 2.5 mg."), _leaflet(what="Take 2,5 mg."))
    assert found.field("what").state == "changed"
    assert [(n.old, n.new) for n in found.numbers] == [("2.5 mg", "2,5 mg")]
    spaced = diff.compare(_leaflet(what="Open at 9am."), _leaflet(what="Open at 9 am."))
    assert [(n.old, n.new) for n in spaced.numbers] == [("9am", "9 am")]


def test_emphasis_alone_is_minor() -> None:
    old, new = "**The start.** You begin.\n", "The start. You begin.\n"
    assert _what(old, new).state == "unchanged"
    assert _what(old, new).blocks[0].segments == (diff.Segment("equal", "The start. You begin."),)
    shown = _what(old, new, minor=True)
    assert shown.deleted == ["The start."] and shown.inserted == ["The start."]
    assert shown.blocks[0].segments[0] == diff.Segment("deleted", "The start.", "strong")


def test_a_changed_link_address_shows() -> None:
    what = _what("See [NHS 111](https://111.nhs.uk/a).\n", "See [NHS 111](https://111.nhs.uk/b).\n")
    assert what.deleted == ["a"] and what.inserted == ["b"]
    assert what.blocks[0].text == "See NHS 111 (https://111.nhs.uk/b)."


def test_sections_added_removed_and_renamed() -> None:
    old = _leaflet(
        what={"heading": "What is it?", "body": "A therapy."},
        referral="Ask your GP.",
        extra_sections=[
            {"heading": "A story", "body": "Max felt better."},
            {"heading": "Old notes", "body": "To be removed."},
        ],
    )
    new = _leaflet(
        what={"heading": "What is this therapy?", "body": "A therapy."},
        benefits="You may feel better.",
        extra_sections=[{"heading": "A story", "body": "Max felt much better."}],
    )
    found = diff.compare(old, new)
    what = found.field("what")
    assert what.state == "changed" and what.label == "What is this therapy?"
    assert what.inserted == ["this therapy"] and what.deleted == ["it"]
    assert found.field("benefits").state == "added"
    assert found.field("benefits").label == "What are the benefits?"
    assert found.field("referral").state == "removed"
    assert found.field("extra_sections.0").inserted == ["much"]
    assert found.field("extra_sections.removed.1").state == "removed"
    with pytest.raises(KeyError):
        found.field("summary")  # in neither version


# ---- finding the two versions -----------------------------------------------------------------


@pytest.fixture
def repository_project() -> Project:
    return load_project(ROOT)


def test_versions_from_git_when_no_pdf(repository_project: Project, tmp_path: Path) -> None:
    register = register_of(repository_project)
    found = review.versions(repository_project, register, "PSY-0102", out=tmp_path)
    assert found.old.version == 1 and found.new.version == 2
    assert found.old.sha256 == V1_SHA256
    assert "in git commit" in found.old.origin and "leaflets/psy-0102.yaml" in found.old.origin
    assert found.new.origin == "leaflets/psy-0102.yaml (the working file, as published)"
    assert found.old.published == "2026-11-23"
    assert found.old.data["version"] == 1 and found.new.data["version"] == 2


def _archival_pdf(path: Path, yaml_bytes: bytes) -> None:
    """A stand-in for a published archival PDF: a page, and the source embedded."""
    fields = PdfFields("PSY-0102", 1, "2026-10-01", "2029-10-01", "0" * 64, "approved")
    data = pdf.write_pdf(
        '<html lang="en"><head><title>v1</title></head><body><p>v1</p></body></html>',
        name="v1",
        base=ROOT / "layouts",
        allowed=[ROOT / "layouts", *render.font_folders()],
        fields=fields,
        sources=[pdf.SourceFile("psy-0102.yaml", yaml_bytes, dt.date(2026, 10, 1))],
        variant=None,
        font_css=render.font_css(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def copied_project(tmp_path: Path) -> Project:
    """The samples and their register in a folder outside git."""
    root = tmp_path / "project"
    root.mkdir()
    return load_project(copy_project(root))


def test_versions_from_the_archival_pdf(copied_project: Project, v1_bytes: bytes) -> None:
    out = copied_project.output
    _archival_pdf(out / "pdf" / "PSY-0102" / "PSY-0102-v1.pdf", v1_bytes)
    found = review.versions(copied_project, register_of(copied_project), "psy-0102")
    assert found.old.origin == (
        "output/pdf/PSY-0102/PSY-0102-v1.pdf (the source embedded in the published PDF)"
    )
    assert found.old.yaml == v1_bytes
    assert found.new.origin.startswith("leaflets/psy-0102.yaml (the working file")


def test_a_pdf_with_another_text_is_refused(copied_project: Project, v1_bytes: bytes) -> None:
    out = copied_project.output
    _archival_pdf(
        out / "pdf" / "PSY-0102" / "PSY-0102-v1.pdf", v1_bytes.replace(b"16 sessions", b"8")
    )
    with pytest.raises(LeafletError) as raised:
        review.versions(copied_project, register_of(copied_project), "PSY-0102")
    message = raised.value.format_message()
    assert "PSY-0102 version 1 was published" in message
    assert "embeds a source whose SHA-256" in message and "not the published file" in message
    assert "is not in a git repository" in message
    assert "Put the published archival PDF back at output/pdf/PSY-0102/PSY-0102-v1.pdf" in message


def test_no_pdf_and_no_git_says_what_to_do(copied_project: Project) -> None:
    with pytest.raises(LeafletError) as raised:
        review.versions(copied_project, register_of(copied_project), "PSY-0102")
    message = raised.value.format_message()
    assert "output/pdf/PSY-0102/PSY-0102-v1.pdf is missing" in message
    assert "compare in the project's git repository" in message


def test_versions_that_cannot_be_compared(repository_project: Project, tmp_path: Path) -> None:
    register = register_of(repository_project)
    with pytest.raises(LeafletError, match=r"version 7 was never published .*versions 1, 2"):
        review.versions(repository_project, register, "PSY-0102", to_version=7, out=tmp_path)
    with pytest.raises(LeafletError, match="no version before version 1 was published"):
        review.versions(repository_project, register, "PSY-0102", to_version=1, out=tmp_path)
    with pytest.raises(LeafletError, match="has the reference PSY-9999"):
        review.versions(repository_project, register, "PSY-9999", out=tmp_path)
    with pytest.raises(LeafletError, match="earlier version"):
        review.versions(
            repository_project, register, "PSY-0102", from_version=2, to_version=2, out=tmp_path
        )


# ---- the pack ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    project = load_project(ROOT)
    out = tmp_path_factory.mktemp("pack")
    found = review.versions(project, register_of(project), "PSY-0102", out=out)
    comparison = diff.compare(found.old.data, found.new.data)
    yield review.write_pack(project, comparison, found, out)


def _rich_version(v2: dict[str, Any]) -> dict[str, Any]:
    """Version 2 with every kind of change: headings, splits, moves, emphasis, nested and
    numbered lists, a table, a section removed and one added, contact and governance."""
    v3 = copy.deepcopy(v2)
    v3.update(version=3, last_updated="2027-01-15", status="draft")
    v3["what"]["heading"] = "What is IPT?"
    v3["what"]["body"] = (
        v3["what"]["body"]
        .replace("IPT is based on a simple idea. ", "IPT is based on a simple idea.\n\n")
        .replace("talking therapy.", "talking therapy .")
    )
    grief = "- **Grief.** Coping after someone close to you has died.\n"
    v3["involves"]["body"] = (
        v3["involves"]["body"]
        .replace(grief, "")
        .replace("- **Feeling alone.**", grief + "- **Feeling alone.**")
        .replace("**Conflict.**", "Conflict.")
    )
    v3["risks"]["body"] += (
        "\n| When | Call |\n|---|---|\n| Day | 0113 496 0123 |\n| Night | 111 |\n\n"
        "1. First step\n   - detail one\n2. Second step\n\n## Questions\n\n---\n"
    )
    del v3["referral"]
    v3["benefits"]["body"] = v3["benefits"]["body"].replace(
        "- feel less low\n", "- feel less low\n  - sleep better\n"
    )
    v3["contact"]["phone"] = "0113 496 0999"
    v3["extra_sections"].append(
        {"heading": "Where we are", "body": "Second floor. Open 9am to 5pm. `Code` and *more*."}
    )
    v3["changes"].insert(0, {"version": 3, "date": "2027-01-15", "summary": "Tested."})
    return v3


@pytest.fixture(scope="module")
def rich_pack(tmp_path_factory: pytest.TempPathFactory, v2) -> tuple[Path, Path]:
    """A pack of every kind of change, minor ones shown, to hold the layout to its checks."""
    v3 = _rich_version(v2)
    found = review.Versions(
        review.Text(2, v2, b"version: 2\n", "version 2 (a test)", "0" * 64, "2026-12-01"),
        review.Text(3, v3, b"version: 3\n", "version 3 (a test)", "1" * 64),
    )
    comparison = diff.compare(v2, v3, minor=True)
    out = tmp_path_factory.mktemp("rich")
    return review.write_pack(load_project(ROOT), comparison, found, out)


@pytest.fixture(params=["sample", "rich"])
def any_pack(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    return request.getfixturevalue("pack" if request.param == "sample" else "rich_pack")


def test_rich_pack_marks_every_kind_of_change(rich_pack) -> None:
    page = rich_pack[0].read_text(encoding="utf-8")
    assert rich_pack[0].name == "PSY-0102-v2-to-v3.html"
    assert '<span class="note">Moved here:</span>' in page
    assert '<span class="note">Moved from here:</span>' in page
    assert '<span class="note">New paragraph:</span>' in page
    assert '<ins class="space"><span class="visually-hidden">inserted space</span></ins>' in page
    flat = page.replace("\n", "")
    assert '<li>feel less low<ul><li class="revised added"><ins>' in flat  # nested in its item
    hidden = '<span class="visually-hidden">[inserted: </span>'
    assert f'<ol><li class="revised added"><ins>{hidden}First step' in flat
    assert '<h4 class="revised added">' in page and '<hr class="revised added">' in page
    assert '<p class="row revised added">' in page
    assert "What is <del>" in page.replace('<span class="visually-hidden">[deleted: </span>', "")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(rich_pack[1]).pages)
    assert "Contact us 0113 496 0123 0113 496 0999" in text
    assert "Version: 3" in text and "Archive date: 15 January 2030" in text


def test_pack_files(pack) -> None:
    html, document = pack
    assert html.name == "PSY-0102-v1-to-v2.html" and document.name == "PSY-0102-v1-to-v2.pdf"
    assert html.parent.name == document.parent.name == "review"
    page = html.read_text(encoding="utf-8")
    assert "<title>Changes to PSY-0102 from version 1 to version 2</title>" in page
    assert "file:" not in page  # self-contained: styles, fonts and logo inlined
    assert "@font-face" in page and "data:image/svg+xml;base64," in page
    assert '<ins><span class="visually-hidden">[inserted: </span>12 to' in page
    assert '<del><span class="visually-hidden">[deleted: </span>12 to 16 weeks' in page


def test_pack_pdf_text_and_fields(pack) -> None:
    reader = PdfReader(pack[1])
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Changes to PSY-0102 from version 1 to version" in text
    assert "Summary of changes" in text
    assert "How long does IPT last? Changed 2 1 2 to check" in text
    assert "Who is IPT for? Changed 1 0 None" in text
    assert "What are the risks? Unchanged 0 0 None" in text
    assert "Numbers that changed: check these clinically" in text
    assert "How long does IPT last? 16 sessions 12 to 16 sessions" in text
    assert "How long does IPT last? 12 to 16 weeks 3 to 4 months" in text
    # the marks a screen reader says, in their places in the text
    assert "IPT usually has [inserted: 12 to] 16 sessions" in text
    assert "[deleted: 12 to 16 weeks] [inserted: 3 to 4 months]" in text
    assert "Leaflet reference: PSY-0102 Version: 2" in text
    assert "Date last updated: 1 December 2026 Archive date: 1 December 2029" in text
    assert "Page 1 of" in text
    assert reader.metadata.title == "Changes to PSY-0102 from version 1 to version 2"
    assert reader.metadata["/LeafletVersion"] == "2"
    assert sorted(reader.attachments) == ["psy-0102-v1.yaml", "psy-0102-v2.yaml"]


def test_pack_pdf_passes_pdfa3a_and_pdfua1(any_pack) -> None:
    validate = str(ROOT / "tools" / "verapdf" / "validate")
    for flavour in ("3a", "ua1"):
        result = subprocess.run(
            [validate, flavour, str(any_pack[1])], capture_output=True, text=True
        )
        if result.returncode == 2 and not IN_CI:
            pytest.skip(f"veraPDF could not be set up here: {result.stderr.strip()[-300:]}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith(": PASS"), result.stdout


# ---- the pack's web page in a browser and against the HTML standard ---------------------------

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_pack_page_has_no_accessibility_violations(any_pack) -> None:
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        _missing("the Python package playwright is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"Chromium is not installed at {CHROMIUM}")
    if not AXE.is_file():
        _missing("axe-core is not installed (npm ci)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(java_script_enabled=True)
            page.goto(any_pack[0].as_uri(), wait_until="load")
            page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        finally:
            browser.close()
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in result["violations"]
    ]
    assert not violations, "\n".join(violations)


def test_pack_page_is_valid_html(any_pack) -> None:
    java = shutil.which("java")
    if java is None:
        _missing("Java is not installed")
    if not VNU.is_file():
        _missing("the Nu Html Checker is not installed (npm ci)")
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", str(any_pack[0])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stderr or result.stdout)
    errors = [m for m in report["messages"] if m["type"] in ("error", "non-document-error")]
    assert not errors, "\n".join(f"{m.get('lastLine')}: {m['message']}" for m in errors)
