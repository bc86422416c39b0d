"""Review calendars: iCalendar files that parse, carry each leaflet's archive date as an
all-day event with its alarm, keep their UIDs from build to build, and are byte-identical
when nothing changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from icalendar import Calendar, Event

from build_leaflets import audit, build, calendars
from build_leaflets.config import Project, load_project
from tests.conftest import copy_project
from tests.test_dashboard import AS_OF, LEAFLETS, _leaflet, entries_of, governance_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return load_project(governance_project(tmp_path_factory.mktemp("calendars")))


@pytest.fixture(scope="module")
def files(project: Project) -> dict[str, bytes]:
    return calendars.calendars(entries_of(project, published=True), project, as_of=AS_OF)


def _events(data: bytes) -> list[Event]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def _by_summary(data: bytes) -> dict[str, Event]:
    return {str(event["SUMMARY"]): event for event in _events(data)}


# ---- what the files hold ------------------------------------------------------------------


def test_one_file_for_everyone_and_one_per_owner(files: dict[str, bytes]) -> None:
    assert sorted(files) == [
        "calendar/adult-mental-health.ics",
        "calendar/eating-disorders-team.ics",
        "calendar/everyone.ics",
        "calendar/no-owner.ics",
        "calendar/older-peoples-services.ics",
        "calendar/psychological-therapies-service.ics",
    ]
    everyone = _events(files["calendar/everyone.ics"])
    published = [ref for ref, values in LEAFLETS.items() if values[3] == "approved"]
    published += ["PSY-0101", "PSY-0102", "PSY-0103", "PSY-0104"]  # translations are drafts
    names = {str(e["SUMMARY"]).split()[2] for e in everyone}
    assert names == set(published) and len(everyone) == len(published)
    owners = {
        "calendar/adult-mental-health.ics": {"TST-0001", "TST-0002", "TST-0007", "TST-0008",
                                             "TST-0011"},
        "calendar/eating-disorders-team.ics": {"TST-0003", "TST-0004"},  # not the draft 0009
        "calendar/no-owner.ics": {"TST-0005"},
        "calendar/older-peoples-services.ics": {"TST-0006", "TST-0010"},
    }  # fmt: skip
    for file, expected in owners.items():
        assert {str(e["SUMMARY"]).split()[2] for e in _events(files[file])} == expected, file
    calendar = Calendar.from_ical(files["calendar/eating-disorders-team.ics"])
    assert calendar["X-WR-CALNAME"] == "Leaflet reviews - Eating Disorders Team"
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == calendars.PRODID
    assert Calendar.from_ical(files["calendar/no-owner.ics"])["X-WR-CALNAME"] == (
        "Leaflet reviews - no owner"
    )


def test_events_are_all_day_on_the_archive_date_with_an_alarm(
    files: dict[str, bytes], project: Project
) -> None:
    data = files["calendar/everyone.ics"]
    events = _by_summary(data)
    event = events["Review due: TST-0003 Eating disorders"]
    assert event.start == dt.date(2027, 3, 5) and not isinstance(event.start, dt.datetime)
    assert event.end == dt.date(2027, 3, 6)  # exclusive: one day
    assert event["TRANSP"] == "TRANSPARENT"
    assert event["SEQUENCE"] == 0
    assert event["URL"] == "https://leaflets.riverside.example/TST-0003.html"
    description = str(event["DESCRIPTION"])
    assert description.splitlines() == [
        "TST-0003 Eating disorders, version 1, is due for review.",
        "Archive date: 5 March 2027.",
        "Review from: 5 December 2026 (90 days before).",
        "Owner: Eating Disorders Team",
        "Web page: https://leaflets.riverside.example/TST-0003.html",
        "PDF: https://leaflets.riverside.example/pdf/TST-0003/TST-0003-v1.pdf",
    ]
    (alarm,) = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm["TRIGGER"].dt == -dt.timedelta(days=project.site.due_within_days)
    assert str(alarm["DESCRIPTION"]).startswith("TST-0003 Eating disorders is due for review")
    assert "Owner: none named" in str(
        events["Review due: TST-0005 Your first appointment"]["DESCRIPTION"]
    )
    # in the file itself: dates as DATE values, the alarm 90 days ahead, the stamp in UTC
    assert b"\r\nDTSTART;VALUE=DATE:20270305\r\nDTEND;VALUE=DATE:20270306\r\n" in data
    assert b"\r\nTRIGGER:-P90D\r\n" in data
    assert b"\r\nDTSTAMP:20261001T000000Z\r\n" in data
    assert b"VTIMEZONE" not in data and b"TZID" not in data
    # events in date order
    starts = [e.start for e in _events(data)]
    assert starts == sorted(starts)


def test_files_are_well_formed_for_strict_clients(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        assert data.endswith(b"END:VCALENDAR\r\n"), name
        assert b"\n" not in data.replace(b"\r\n", b""), f"{name}: a line ends without CR"
        lines = data.split(b"\r\n")[:-1]
        assert max(len(line) for line in lines) <= 75, name  # octets, folded
        for line in lines:
            line.decode("utf-8")  # never folded inside a character
        unfolded = data.replace(b"\r\n ", b"").split(b"\r\n")[:-1]
        empty = [line for line in unfolded if line.endswith(b":")]
        assert not empty, f"{name}: empty properties {empty}"
        uids = [str(e["UID"]) for e in _events(data)]
        assert len(uids) == len(set(uids)), f"{name}: a UID twice"
        for event in _events(data):
            assert {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} <= set(event)


def test_uids_are_the_same_in_every_file_and_build(files: dict[str, bytes], project) -> None:
    everyone = {str(e["SUMMARY"]): str(e["UID"]) for e in _events(files["calendar/everyone.ics"])}
    for name, data in files.items():
        for event in _events(data):
            assert everyone[str(event["SUMMARY"])] == str(event["UID"]), name
    assert (
        calendars.review_uid("Riverside Mental Health NHS Trust", "TST-0003", "en-GB")
        == (everyone["Review due: TST-0003 Eating disorders"])
    )
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        everyone["Review due: TST-0003 Eating disorders"])  # fmt: skip
    # another trust's PSY-0101 is another event
    assert calendars.review_uid("Another Trust", "PSY-0101", "en-GB") != calendars.review_uid(
        "Riverside Mental Health NHS Trust", "PSY-0101", "en-GB"
    )


def test_two_builds_give_the_same_bytes(project: Project, files: dict[str, bytes]) -> None:
    entries = entries_of(project, published=True)
    assert calendars.calendars(entries, project, as_of=AS_OF) == files
    # a day later (the same leaflets), and in another order: still the same bytes
    later = calendars.calendars(entries[::-1], project, as_of=AS_OF + dt.timedelta(days=1))
    assert later == files


# ---- a new version -------------------------------------------------------------------------


def test_a_new_version_moving_the_archive_date_keeps_the_uid_and_raises_sequence(
    tmp_path: Path,
) -> None:
    text = _leaflet(
        "TST-0003", "Eating disorders", "Eating Disorders Team", "2027-03-05", "approved"
    )
    root = copy_project(tmp_path, ("tst-0003.yaml", text))
    project = load_project(root)

    def event() -> tuple[Event, bytes]:
        found = entries_of(project, published=True)
        data = calendars.calendars(found, project, as_of=AS_OF)["calendar/everyone.ics"]
        (only,) = _events(data)
        return only, data

    before, _ = event()
    source = root / "leaflets" / "tst-0003.yaml"
    text = text.replace("version: 1", "version: 2").replace(
        "archive_date: 2027-03-05", "archive_date: 2030-03-05"
    )
    text = text.replace("last_updated: 2026-10-01", "last_updated: 2027-02-20")
    text += "changes:\n  - version: 2\n    date: 2027-02-20\n    summary: Reviewed.\n"
    source.write_text(text, encoding="utf-8")
    after, data = event()
    assert str(after["UID"]) == str(before["UID"])
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert (before.start, after.start) == (dt.date(2027, 3, 5), dt.date(2030, 3, 5))
    assert after["DTSTAMP"].dt > before["DTSTAMP"].dt
    assert b"DTSTAMP:20270220T000000Z" in data
    assert "TST-0003-v2.pdf" in str(after["DESCRIPTION"])


def test_a_translation_follows_its_source_version() -> None:
    """A translation takes its archive date from its source: a new version of the source
    raises the translation's SEQUENCE too, and its stamp is the later of the two dates."""
    source = audit.Entry(
        "PSY-0101", "Integrated psychological therapy", 2, "approved", "2026-11-23",
        "2029-11-23", 1000, "current", True, "Psychological Therapies Service",
    )  # fmt: skip
    welsh = dataclasses.replace(
        source, title="Therapi seicolegol integredig", version=1, last_updated="2026-11-30",
        language="cy", translation_of=2,
    )  # fmt: skip
    project = load_project(Path(__file__).resolve().parents[1])

    def translation(*entries: audit.Entry) -> Event:
        data = calendars.calendars(entries, project, as_of=AS_OF)["calendar/everyone.ics"]
        return next(e for e in _events(data) if ".cy " in str(e["SUMMARY"]))

    first = translation(source, welsh)
    assert str(first["SUMMARY"]) == (
        "Review due: PSY-0101.cy Therapi seicolegol integredig (Welsh translation)"
    )
    assert "PSY-0101-v1-cy.pdf" in str(first["DESCRIPTION"])
    assert str(first["URL"]) == "https://leaflets.riverside.example/PSY-0101.cy.html"
    moved = dataclasses.replace(
        source, version=3, last_updated="2027-01-10", archive_date="2030-01-10"
    )
    second = translation(moved, dataclasses.replace(welsh, archive_date="2030-01-10"))
    assert str(second["UID"]) == str(first["UID"])
    assert first["SEQUENCE"] < second["SEQUENCE"]
    assert second["DTSTAMP"].dt == dt.datetime(2027, 1, 10, tzinfo=dt.UTC)


# ---- the published samples -----------------------------------------------------------------


def test_built_samples_link_to_their_published_files(samples_project: Path) -> None:
    """From a real build: the published leaflets have events, and each event's PDF link is
    the file the register recorded, under the site's address."""
    project = load_project(samples_project)
    sources = build.check(project)
    register = build.register_of(project)
    entries = audit.audit(sources, register, as_of=AS_OF, due_within=90)
    data = calendars.calendars(entries, project, as_of=AS_OF)["calendar/everyone.ics"]
    events = _events(data)
    published = sorted(e.name for e in entries if e.published and e.state != "draft")
    assert published == ["PSY-0101", "PSY-0102", "PSY-0103", "PSY-0104"]
    assert len(events) == len(published)
    base = "https://leaflets.riverside.example/"
    for event in events:
        pdf = re.search(r"PDF: (\S+)", str(event["DESCRIPTION"]))
        assert pdf and pdf[1].startswith(base)
        file = pdf[1].removeprefix(base)
        assert (samples_project / "output" / file).is_file()
        assert file in {row.file for row in register.rows}
        page = str(event["URL"]).removeprefix(base)
        assert (samples_project / "output" / page).is_file()


# ---- names and settings ----------------------------------------------------------------------


def _entry(owner: str, reference: str = "TST-0001") -> audit.Entry:
    return audit.Entry(
        reference, "Test", 1, "approved", "2026-10-01", "2029-10-01", 900, "current", True, owner
    )


def test_owner_files_are_safe_and_distinct() -> None:
    names = ["Adult Mental Health", "Gwasanaeth Iechyd Meddwl Ŵyl", "A & B", "A B", "Everyone",
             "خدمات", "  Spaced   Team ", "../../etc/passwd", ""]  # fmt: skip
    found = calendars.owner_files(_entry(name, f"TST-{i:04}") for i, name in enumerate(names))
    assert found["Adult Mental Health"] == "calendar/adult-mental-health.ics"
    assert found["Gwasanaeth Iechyd Meddwl Ŵyl"] == "calendar/gwasanaeth-iechyd-meddwl-wyl.ics"
    assert found["Spaced Team"] == "calendar/spaced-team.ics"
    assert found["../../etc/passwd"] == "calendar/etc-passwd.ics"
    assert found[""] == "calendar/no-owner.ics"
    assert re.fullmatch(r"calendar/a-b-[0-9a-f]{8}\.ics", found["A & B"])
    assert re.fullmatch(r"calendar/a-b-[0-9a-f]{8}\.ics", found["A B"])
    assert found["A & B"] != found["A B"]
    assert re.fullmatch(r"calendar/everyone-[0-9a-f]{8}\.ics", found["Everyone"])
    assert re.fullmatch(r"calendar/owner-[0-9a-f]{8}\.ics", found["خدمات"])
    assert len(set(found.values())) == len(found)
    assert all(re.fullmatch(r"calendar/[a-z0-9-]+\.ics", file) for file in found.values())
    # the same owners in another order: the same names
    again = calendars.owner_files(_entry(name) for name in reversed(names))
    assert again == found


def test_no_base_url_no_links_and_no_empty_values(tmp_path: Path) -> None:
    root = copy_project(
        tmp_path, ("tst-0001.yaml", _leaflet("TST-0001", "Test", "", "2029-10-01", "approved"))
    )
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    text = text.replace('base_url = "https://leaflets.riverside.example/"\n', "")
    pyproject.write_text(
        text.replace("review_months = 36", "review_months = 36\ndue_within_days = 30"), "utf-8"
    )
    project = load_project(root)
    assert project.site.base_url is None
    files = calendars.calendars(entries_of(project, published=True), project, as_of=AS_OF)
    (event,) = _events(files["calendar/everyone.ics"])
    assert "URL" not in event
    assert "http" not in str(event["DESCRIPTION"])
    assert "Review from: 1 September 2029 (30 days before)." in str(event["DESCRIPTION"])
    assert b"\r\nTRIGGER:-P30D\r\n" in files["calendar/everyone.ics"]


def test_drafts_and_unpublished_leaflets_have_no_event() -> None:
    project = load_project(Path(__file__).resolve().parents[1])
    draft = dataclasses.replace(_entry("Team"), state="draft", published=False)
    unbuilt = dataclasses.replace(_entry("Team", "TST-0002"), published=False)
    files = calendars.calendars([draft, unbuilt], project, as_of=AS_OF)
    assert list(files) == ["calendar/everyone.ics"]
    assert _events(files["calendar/everyone.ics"]) == []
    assert Calendar.from_ical(files["calendar/everyone.ics"])["X-WR-CALNAME"]
