"""The governance page and its spreadsheet: figures counted from the audit, the page in a real
browser (axe-core, the Nu Html Checker, a screenshot) and the CSV's tidy rows."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from build_leaflets import audit, build, dashboard
from build_leaflets.cli import cli
from build_leaflets.config import Project, load_project
from tests import test_browser
from tests.conftest import DATA, ROOT, SAMPLES, TRANSLATIONS, copy_project
from tests.test_browser import VIEWPORT, WAIT_MS, _axe, _describe, _open, _png_size, _vnu

AS_OF = dt.date(2027, 1, 15)
MINIMAL = (DATA / "minimal.yaml").read_text(encoding="utf-8")

#: reference: (title, owner, archive date, status). The months from January 2027 to December
#: 2027 are shown; what each leaflet counts towards is in the comment.
LEAFLETS = {
    "TST-0001": ("Feeling anxious", "Adult Mental Health", "2027-01-20", "approved"),  # Jan
    "TST-0002": ("Sleeping well", "Adult Mental Health", "2027-01-10", "approved"),  # expired
    "TST-0003": ("Eating disorders", "Eating Disorders Team", "2027-03-05", "approved"),  # Mar
    "TST-0004": ("Family therapy", "Eating Disorders Team", "2027-03-28", "approved"),  # Mar
    "TST-0005": ("Your first appointment", "", "2027-03-31", "approved"),  # Mar, no owner
    "TST-0006": ("Memory clinic", "Older People's Services", "2027-06-01", "approved"),  # Jun
    "TST-0007": ("Mindfulness", "Adult Mental Health", "2027-12-31", "approved"),  # Dec
    "TST-0008": ("Group therapy", "Adult Mental Health", "2028-01-01", "approved"),  # later
    "TST-0009": ("Art therapy", "Eating Disorders Team", "2027-04-10", "draft"),  # not counted
    "TST-0010": ("Carers' support", "Older People's Services", "2026-12-01", "approved"),  # exp.
    "TST-0011": ("Coping with stress", "Adult Mental Health", "2027-08-15", "approved"),  # Aug
}
EXPECTED = {"2027-01": 1, "2027-03": 3, "2027-06": 1, "2027-08": 1, "2027-12": 1}
LARGE_PRINT_MISSING = ["TST-0003", "TST-0005"]


def _leaflet(reference: str, title: str, owner: str, archive: str, status: str) -> str:
    text = MINIMAL.replace("TST-0001", reference).replace("Test leaflet", title)
    text = text.replace("status: approved", f"status: {status}")
    text = text.replace(
        "last_updated: 2026-10-01", f"last_updated: 2026-10-01\narchive_date: {archive}"
    )
    return text + (f"owner: {owner}\n" if owner else "")  # fmt: skip


def governance_project(root: Path) -> Path:
    """The sample leaflets and their translations (made out of date by an edit of the source),
    and the leaflets above, in a project of their own at `root`."""
    leaflets = [(f"{ref.lower()}.yaml", _leaflet(ref, *values)) for ref, values in LEAFLETS.items()]
    copy_project(root, *SAMPLES, *TRANSLATIONS, *leaflets)
    source = root / "leaflets" / "psy-0101.yaml"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("It has a clear focus", "It has a clear aim", 1), "utf-8")
    return root


def entries_of(project: Project, *, published: bool = False) -> list[audit.Entry]:
    """The audit on AS_OF; with `published`, as if every approved leaflet had been built."""
    sources = build.check(project)
    due_within = project.site.due_within_days
    found = audit.audit(sources, build.register_of(project), as_of=AS_OF, due_within=due_within)
    if published:
        found = [
            dataclasses.replace(e, published=e.state != audit.State.DRAFT.value) for e in found
        ]
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return load_project(governance_project(tmp_path_factory.mktemp("governance")))


@pytest.fixture(scope="module")
def page_figures(project: Project) -> dashboard.Figures:
    return dashboard.figures(
        entries_of(project, published=True),
        as_of=AS_OF,
        large_print_missing=LARGE_PRINT_MISSING,
    )


# ---- the figures ----------------------------------------------------------------------------


def test_months_match_the_audit_json(runner, project: Project, monkeypatch) -> None:
    """The chart's counts are the audit's archive dates counted by month: checked against
    `audit --format json` on the same day, and against the months the leaflets were given."""
    monkeypatch.chdir(project.root)
    result = runner.invoke(cli, ["audit", "--as-of", AS_OF.isoformat(), "--format", "json"])
    assert result.exit_code == 1, result.output  # TST-0002 and TST-0010 have expired
    rows = json.loads(result.output.split("\nExpired on")[0])["leaflets"]
    entries = [audit.Entry(**row | {"stale": tuple(row["stale"])}) for row in rows]
    found = dashboard.figures(entries, as_of=AS_OF, large_print_missing=[])

    assert [month.key for month in found.months] == [f"2027-{m:02}" for m in range(1, 13)]
    assert [month.label for month in found.months][:2] == ["January 2027", "February 2027"]
    counted = Counter(
        row["archive_date"][:7] for row in rows if row["state"] != "draft" and row["days_left"] > 0
    )
    assert {m.key: m.count for m in found.months} == {m.key: counted[m.key] for m in found.months}
    assert {m.key: m.count for m in found.months if m.count} == EXPECTED
    march = next(month for month in found.months if month.key == "2027-03")
    assert [item.name for item in march.items] == ["TST-0003", "TST-0004", "TST-0005"]
    # the samples (2029) and TST-0008 (January 2028) are beyond the twelve months
    later = {item.name for item in found.later}
    assert later == {"TST-0008", "PSY-0101", "PSY-0102", "PSY-0103", "PSY-0104"}
    assert found.due == sum(EXPECTED.values()) == 7


def test_expired_owners_stale_and_large_print(page_figures: dashboard.Figures) -> None:
    found = page_figures
    assert [item.name for item in found.expired] == ["TST-0010", "TST-0002"]  # longest first
    assert [item.name for item in found.no_owner] == ["TST-0005"]
    stale = {item.name: item.entry.stale for item in found.stale}
    assert set(stale) == {"PSY-0101.cy", "PSY-0101.pl", "PSY-0101.ur"}
    assert all(parts == ("what",) for parts in stale.values())
    assert {item.stale_parts for item in found.stale} == {("What is it?",)}
    assert [item.name for item in found.large_print_missing] == LARGE_PRINT_MISSING
    assert [item.page for item in found.stale] == [
        "drafts/PSY-0101.cy.html", "drafts/PSY-0101.pl.html", "drafts/PSY-0101.ur.html"
    ]  # fmt: skip
    owners = {row.label: row.counts for row in found.owners}
    assert list(owners) == [
        "Adult Mental Health", "Eating Disorders Team", "Older People's Services",
        "Psychological Therapies Service", "No owner",
    ]  # fmt: skip
    assert owners["Adult Mental Health"] == (1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1)
    assert owners["Eating Disorders Team"] == (0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0)  # not 0009
    assert owners["No owner"] == (0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert owners["Psychological Therapies Service"] == (0,) * 12
    per_month = [sum(column) for column in zip(*owners.values(), strict=True)]
    assert per_month == [month.count for month in found.months]
    assert [whose for whose, _file in found.calendars] == [
        "Every leaflet", "Adult Mental Health", "Eating Disorders Team",
        "Older People's Services", "Psychological Therapies Service",
        "Leaflets without an owner",
    ]  # fmt: skip
    assert found.calendars[-1][1] == "calendar/no-owner.ics"


def test_months_start_with_the_month_of_the_day(project: Project) -> None:
    entries = entries_of(project)
    found = dashboard.figures(entries, as_of=dt.date(2027, 1, 31), large_print_missing=[], months=3)
    assert [month.label for month in found.months] == [
        "January 2027",
        "February 2027",
        "March 2027",
    ]
    # on 31 January, TST-0001 (20 January) has expired too: it is no longer counted as due
    assert [month.count for month in found.months] == [0, 0, 3]
    with pytest.raises(ValueError, match="TST-9999"):
        dashboard.figures(entries, as_of=AS_OF, large_print_missing=["TST-9999"])


def test_chart_scale_is_whole_numbers() -> None:
    assert dashboard._scale(0) == (1, 1)
    assert dashboard._scale(3) == (3, 1)
    assert dashboard._scale(7) == (8, 2)
    assert dashboard._scale(23) == (25, 5)
    assert dashboard._scale(140) == (150, 50)


# ---- the spreadsheet ----------------------------------------------------------------------------


def test_csv_is_one_tidy_table(page_figures: dashboard.Figures) -> None:
    data = dashboard.figures_csv(page_figures)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert data == dashboard.figures_csv(page_figures)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == dashboard.CSV_COLUMNS
    due = [row for row in rows if row["section"] == "review due"]
    assert dict(Counter(row["month"] for row in due)) == EXPECTED
    by_owner = Counter((row["owner"], row["month"]) for row in due)
    assert by_owner[("Eating Disorders Team", "2027-03")] == 2
    assert by_owner[("", "2027-03")] == 1
    sections = Counter(row["section"] for row in rows)
    assert sections == {
        "review due": 7, "expired": 2, "no owner": 1, "translation out of date": 3,
        "no large print": 2,
    }  # fmt: skip
    stale = [row for row in rows if row["section"] == "translation out of date"]
    assert {row["detail"] for row in stale} == {"what"}
    assert {row["leaflet"] for row in stale} == {"PSY-0101.cy", "PSY-0101.pl", "PSY-0101.ur"}
    expired = {row["leaflet"]: row for row in rows if row["section"] == "expired"}
    assert expired["TST-0002"]["days_left"] == "-5"
    assert expired["TST-0002"]["page"] == "TST-0002.html"


def test_csv_text_is_never_a_formula() -> None:
    entry = audit.Entry(
        "TST-0001", "=HYPERLINK(\"x\")", 1, "approved", "2026-10-01", "2027-02-01", 17,
        "due for review", True, "@team",
    )  # fmt: skip
    found = dashboard.figures([entry], as_of=AS_OF, large_print_missing=[])
    rows = list(csv.reader(io.StringIO(dashboard.figures_csv(found).decode("utf-8-sig"))))
    assert rows[1][7] == '\'=HYPERLINK("x")' and rows[1][9] == "'@team"


# ---- the page ---------------------------------------------------------------------------------


def test_page_is_self_contained_and_deterministic(
    project: Project, page_figures: dashboard.Figures
) -> None:
    page = dashboard.render_governance(page_figures, project, AS_OF)
    assert page == dashboard.render_governance(page_figures, project, AS_OF)
    assert "<script" not in page
    assert not re.search(r'(?:src|href)="(?!data:|#|[\w./-]+\.(?:html|csv|ics)")', page)
    assert 'role="img" aria-labelledby="chart-title" aria-describedby="chart-desc"' in page
    assert '<desc id="chart-desc">7 reviews in all. The most, 3, fall due in March 2027' in page
    assert '<a href="TST-0003.html">TST-0003</a>' in page
    assert '<a href="drafts/PSY-0101.ur.html">PSY-0101.ur</a>' in page
    assert 'lang="ur" dir="rtl"' in page
    assert '<a href="calendar/everyone.ics">Every leaflet</a>' in page
    assert "https://leaflets.riverside.example/calendar/adult-mental-health.ics" in page
    assert "calendar/older-peoples-services.ics" in page
    assert "<td>What is it?</td>" in page
    assert '<a href="governance.csv" download>' in page
    with pytest.raises(ValueError):
        dashboard.render_governance(page_figures, project, dt.date(2027, 1, 16))


def test_chart_bars_are_the_months(page_figures: dashboard.Figures) -> None:
    svg = str(dashboard.chart_svg(page_figures))
    values = [int(v) for v in re.findall(r'<text class="value[^"]*"[^>]*>(\d+)</text>', svg)]
    assert values == [month.count for month in page_figures.months]
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    drawn = [count for count in values if count]
    assert len(heights) == len(drawn)
    assert {round(height / count, 1) for height, count in zip(heights, drawn, strict=True)} == {
        round(heights[0] / drawn[0], 1)
    }  # every bar's height is in proportion to its count
    labels = re.findall(r'<text class="month"[^>]*>(\w+)</text>', svg)
    assert labels == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                      "Nov", "Dec"]  # fmt: skip


# ---- in a browser -------------------------------------------------------------------------------

# The browser tests' fixture, shared: Debian's Chromium, headless.
browser = test_browser.browser


@pytest.fixture(scope="module")
def out(
    project: Project, page_figures: dashboard.Figures, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An output folder with the page and its spreadsheet."""
    folder = tmp_path_factory.mktemp("output")
    page = dashboard.render_governance(page_figures, project, AS_OF)
    (folder / dashboard.PAGE).write_text(page, encoding="utf-8")
    (folder / dashboard.CSV_FILE).write_bytes(dashboard.figures_csv(page_figures))
    return folder


@pytest.fixture(scope="module")
def served(out: Path) -> Iterator[str]:
    """The output folder over http on a free port of 127.0.0.1."""

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(out), **kwargs)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{dashboard.PAGE}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_page_has_no_accessibility_violations(browser, served: str) -> None:
    """axe-core finds nothing at all, not only nothing serious."""
    page = _open(browser, served)
    try:
        violations = _axe(page)
    finally:
        page.context.close()
    assert not violations, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in violations
    )


def test_page_is_valid_html(out: Path) -> None:
    messages = _vnu([out / dashboard.PAGE])
    assert not messages, "the Nu Html Checker found errors:\n" + _describe(messages)


def test_page_without_javascript_shows_everything(browser, served: str) -> None:
    page = _open(browser, served, javascript=False)
    try:
        chart = page.get_by_role("img", name=re.compile(r"^Reviews due each month"))
        assert chart.count() == 1 and chart.is_visible()
        rows = page.locator(".months-table tbody tr")
        assert rows.count() == 12
        assert rows.nth(2).inner_text().split() == ["March", "2027", "3"]
        owners = page.locator(".owners-table tbody tr")
        assert owners.count() == 5
    finally:
        page.context.close()


def test_screenshot(browser, served: str, tmp_path: Path) -> None:
    """A full-page picture, kept in the test's folder for a look; UPDATE_SCREENSHOTS=1 also
    writes it to docs/ for the README."""
    page = _open(browser, served)
    try:
        page.evaluate("() => document.fonts.ready.then(() => true)")
        height = page.evaluate("() => document.documentElement.scrollHeight")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        path = tmp_path / "governance-page.png"
        page.screenshot(path=str(path), full_page=True, timeout=WAIT_MS)
    finally:
        page.context.close()
    assert width == VIEWPORT["width"], "the page scrolls sideways"
    assert _png_size(path) == (VIEWPORT["width"], max(height, VIEWPORT["height"]))
    assert path.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, ROOT / "docs" / "governance-page.png")
