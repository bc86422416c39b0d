"""Dashboard: the review workload as a page and a spreadsheet, from the audit.

`figures` counts what the audit says (`audit.audit`) into what a governance team plans with:
the reviews falling due in each of the next twelve calendar months, the same by owner, and
the leaflets that need something now. `render_governance` makes `output/governance.html` of
them, self-contained like the catalogue and in its look, and `figures_csv` makes
`output/governance.csv` for a spreadsheet. All three are pure: the same audit on the same
day gives the same bytes.

What is counted:

* A month's reviews are the leaflets and translations, drafts aside (a draft is not yet
  published, so not yet reviewed), whose archive date falls in that calendar month and is
  still ahead (after `as_of`). The first month is the one `as_of` falls in, from
  `as_of` on; a translation is counted apart from its source, as it is reviewed apart.
* Expired: every leaflet, drafts aside, whose archive date has come (on or before `as_of`,
  as the audit's "expired"): its review is overdue; review it or withdraw it now.
* No owner: every leaflet that names none, drafts too (a draft needs an owner before it is
  approved).
* Translations out of date: every translation whose source changed in a part it translated,
  with those parts, drafts and expired ones too (they need translating again all the same).
* No large print: the leaflets the caller names (`large_print_missing`, by `Entry.name`).

The spreadsheet (`figures_csv`) is one tidy table, a row per leaflet and fact, so it can be
filtered and pivoted as it is (owner by month, say, filtered to "review due"):

    section       review due | expired | no owner | translation out of date | no large print
    month         YYYY-MM of the archive date (for "review due", the month it falls due)
    archive_date  YYYY-MM-DD
    days_left     days from `as_of` to the archive date (0 or less: expired)
    reference, language, leaflet (PSY-0101 or PSY-0101.cy), title, version
    owner         as the leaflet names it; empty when it names none
    state         the audit's state on the day
    detail        the parts changed in the source, for a translation out of date
    page          the leaflet's web page, relative to the output folder

There is one "review due" row for each leaflet falling due in the months shown, with its
month (so counting them by month gives the chart); the other sections have a row for each
leaflet they list. `detail` names parts as `audit --format csv` does (what, title). The file is
UTF-8 with a byte-order mark (so Excel reads titles in Welsh or Urdu right), its lines end
in CRLF (RFC 4180), and a text cell that a spreadsheet would take for a formula (starting
=, +, -, @) starts with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jinja2
from markupsafe import Markup, escape

from build_leaflets import assets, calendars, messages
from build_leaflets.audit import Entry, State
from build_leaflets.config import Project
from build_leaflets.errors import LeafletError
from build_leaflets.model import STANDARD_SECTIONS, add_months
from build_leaflets.render import (
    CATALOGUE_STYLESHEET,
    STYLESHEET,
    _environment,
    uk_date,
    web_styles,
    with_web_fonts,
)

TEMPLATE = "governance.html.j2"
GOVERNANCE_STYLESHEET = "governance.css"
PAGE = "governance.html"
CSV_FILE = "governance.csv"
NO_OWNER = "No owner"

Section = Literal["review due", "expired", "no owner", "translation out of date", "no large print"]
CSV_COLUMNS = (
    "section", "month", "archive_date", "days_left", "reference", "language", "leaflet",
    "title", "version", "owner", "state", "detail", "page",
)  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One leaflet (in one language) on the page, with the link to its web page."""

    entry: Entry

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def archive(self) -> dt.date:
        return dt.date.fromisoformat(self.entry.archive_date)

    @property
    def owner(self) -> str:
        """The owner's name, or "" when the leaflet names none."""
        return calendars.owner_name(self.entry.owner)

    @property
    def owner_label(self) -> str:
        return self.owner or NO_OWNER

    @property
    def draft(self) -> bool:
        return self.entry.state == State.DRAFT.value

    @property
    def page(self) -> str:
        """Its web page, relative to the output folder (drafts are in drafts/)."""
        return f"drafts/{self.name}.html" if self.draft else f"{self.name}.html"

    @property
    def translation(self) -> bool:
        return self.entry.translation_of is not None

    @property
    def language_name(self) -> str:
        """The language's name in English, for a translation ("" for a source)."""
        if not self.translation:
            return ""
        try:
            return messages.language_name(self.entry.language, "en")
        except LookupError:
            return self.entry.language

    @property
    def stale_parts(self) -> tuple[str, ...]:
        """The parts of a translation changed in its source, as its readers know them: a
        section by its standard heading ("What is it?"), else by its name ("title")."""
        return tuple(STANDARD_SECTIONS.get(key, key) for key in self.entry.stale)

    @property
    def right_to_left(self) -> bool:
        try:
            return messages.is_right_to_left(self.entry.language)
        except LookupError:
            return False


@dataclass(frozen=True)
class Month:
    """One calendar month and the reviews falling due in it."""

    first_day: dt.date
    items: tuple[Item, ...]

    @property
    def label(self) -> str:
        """October 2026."""
        return uk_date(self.first_day).partition(" ")[2]

    @property
    def short(self) -> str:
        """Oct."""
        return self.label[:3]

    @property
    def key(self) -> str:
        """2026-10, as the spreadsheet has it."""
        return self.first_day.isoformat()[:7]

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class OwnerRow:
    """One owner's reviews in each month ("" for leaflets that name no owner)."""

    owner: str
    counts: tuple[int, ...]

    @property
    def label(self) -> str:
        return self.owner or NO_OWNER

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Figures:
    """Everything the governance page and its spreadsheet show, as on `as_of`."""

    as_of: dt.date
    months: tuple[Month, ...]
    later: tuple[Item, ...]  # due after the last month
    owners: tuple[OwnerRow, ...]
    expired: tuple[Item, ...]
    no_owner: tuple[Item, ...]
    stale: tuple[Item, ...]
    large_print_missing: tuple[Item, ...]
    calendars: tuple[tuple[str, str], ...]  # (whose, file): every leaflet, then each owner

    @property
    def due(self) -> int:
        """The reviews falling due in the months shown."""
        return sum(month.count for month in self.months)


def figures(
    entries: Sequence[Entry],
    *,
    as_of: dt.date,
    large_print_missing: Sequence[str],
    months: int = 12,
) -> Figures:
    """The review workload on `as_of`, from the audit of that day (see the module's notes
    for what each figure counts). `large_print_missing` names (as `Entry.name`: PSY-0101,
    PSY-0101.cy) the leaflets without a large-print PDF; a name of no leaflet is an error."""
    if months < 1:
        raise ValueError(f"months must be 1 or more, not {months}")
    items = [Item(entry) for entry in entries]
    by_date = sorted(items, key=lambda item: (item.archive, item.name.lower()))
    by_name = sorted(items, key=lambda item: item.name.lower())
    reviewed = [item for item in by_date if not item.draft]
    first = as_of.replace(day=1)
    starts = [add_months(first, number) for number in range(months + 1)]
    month_items = [
        tuple(item for item in reviewed if as_of < item.archive and start <= item.archive < end)
        for start, end in itertools.pairwise(starts)
    ]
    owners = sorted(
        {item.owner for item in reviewed}, key=lambda owner: (owner == "", owner.casefold())
    )
    unknown = sorted(set(large_print_missing) - {item.name for item in items})
    if unknown:
        raise ValueError(f"large_print_missing names no leaflet: {', '.join(unknown)}")
    chosen = set(large_print_missing)
    files = calendars.owner_files(entries)
    return Figures(
        as_of=as_of,
        months=tuple(
            Month(start, found) for start, found in zip(starts, month_items, strict=False)
        ),
        later=tuple(item for item in reviewed if item.archive >= starts[-1]),
        owners=tuple(
            OwnerRow(owner, tuple(sum(i.owner == owner for i in found) for found in month_items))
            for owner in owners
        ),
        expired=tuple(item for item in reviewed if item.archive <= as_of),
        no_owner=tuple(item for item in by_name if not item.owner),
        stale=tuple(item for item in by_name if item.entry.stale),
        large_print_missing=tuple(item for item in by_name if item.name in chosen),
        calendars=(
            ("Every leaflet", f"{calendars.FOLDER}/{calendars.EVERYONE}.ics"),
            *(
                (owner or "Leaflets without an owner", file)
                for owner, file in sorted(
                    files.items(), key=lambda pair: (pair[0] == "", pair[0].casefold())
                )
            ),
        ),
    )


def render_governance(
    figures: Figures, project: Project, as_of: dt.date, bundle: assets.Bundle | None = None
) -> str:
    """The governance page (`output/governance.html`): a chart of the reviews due in each
    month with its table, the same by owner, the lists of what needs doing now, and the
    review calendars; in the catalogue's look, and no scripts. It links to its stylesheets
    and fonts as the assets of `bundle` (the page lies beside assets/), or is self-contained
    without one."""
    bundle = bundle or assets.Bundle(None)
    if as_of != figures.as_of:
        raise ValueError(f"the figures are as on {figures.as_of}, not {as_of}")
    site = project.site
    try:
        template = _environment(project.layouts).get_template(TEMPLATE)
        stylesheets, stylesheet = web_styles(
            project.layouts, (STYLESHEET, CATALOGUE_STYLESHEET, GOVERNANCE_STYLESHEET), bundle
        )
        context: dict[str, Any] = dict(
            site=site,
            as_of=as_of,
            figures=figures,
            chart=chart_svg(figures),
            csv_file=CSV_FILE,
            base_url=site.base_url.rstrip("/") + "/" if site.base_url else "",
            due_within=site.due_within_days,
            stylesheets=stylesheets,
            stylesheet=stylesheet,
        )
        return with_web_fonts(template, context, bundle)
    except jinja2.TemplateError as error:
        raise LeafletError(f"{TEMPLATE}: layout error: {error.message}") from None
    except OSError as error:
        raise LeafletError(f"{error.filename}: cannot read layout file: {error.strerror}") from None


# --- the chart ------------------------------------------------------------------------------

#: The chart's drawing, in its own units (it is scaled to the width it is given).
_WIDTH, _HEIGHT = 640, 380
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 24, 56


def chart_svg(figures: Figures) -> Markup:
    """The reviews due in each month as a bar chart, inline SVG coloured by the stylesheet.

    The drawing is one image to assistive technology (`role="img"`), named by its title and
    described by a sentence of what it shows; the table beside it holds every figure.
    """
    months = figures.months
    top, step = _scale(max((month.count for month in months), default=0))
    plot_width = _WIDTH - _LEFT - _RIGHT
    plot_height = _HEIGHT - _TOP - _BOTTOM
    slot = plot_width / len(months)
    bar = min(slot * 0.6, 36.0)
    base = _TOP + plot_height
    span = f"{months[0].label} to {months[-1].label}"
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} '
        f'{_HEIGHT}" role="img" aria-labelledby="chart-title" aria-describedby="chart-desc">',
        f'<title id="chart-title">Reviews due each month, {escape(span)}</title>',
        f'<desc id="chart-desc">{escape(_describe(figures))}</desc>',
        '<g class="grid">',
    ]
    for value in range(0, top + 1, step):
        y = base - plot_height * value / top
        parts.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{_LEFT - 8}" y="{y + 5:.1f}">{value}</text>'
        )
    parts.append('</g><g class="bars">')
    for index, month in enumerate(months):
        middle = _LEFT + slot * (index + 0.5)
        height = plot_height * month.count / top
        if month.count:
            parts.append(
                f'<rect x="{middle - bar / 2:.1f}" y="{base - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}"/>'
            )
        kind = "value" if month.count else "value zero"
        parts.append(
            f'<text class="{kind}" x="{middle:.1f}" y="{base - height - 6:.1f}">'
            f"{month.count}</text>"
        )
        parts.append(f'<text class="month" x="{middle:.1f}" y="{base + 22}">{month.short}</text>')
        if index == 0 or month.first_day.month == 1:
            parts.append(
                f'<text class="year" x="{middle:.1f}" y="{base + 42}">{month.first_day.year}</text>'
            )
    parts.append(f'</g><line class="axis" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" ')
    parts.append(f'y1="{base}" y2="{base}"/></svg>')
    return Markup("".join(parts))


def _scale(most: int) -> tuple[int, int]:
    """The top of the scale and the step between its lines: whole numbers, at most about six
    lines, the top at or above the largest bar (1 when every month is empty)."""
    if most <= 5:
        return max(most, 1), 1
    rough = most / 5
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return step * math.ceil(most / step), step


def _describe(figures: Figures) -> str:
    """What the chart shows, in a sentence."""
    months = figures.months
    if not figures.due:
        return f"No review falls due in the {len(months)} months shown."
    most = max(month.count for month in months)
    busiest = [month.label for month in months if month.count == most]
    named = busiest[0] if len(busiest) == 1 else f"{', '.join(busiest[:-1])} and {busiest[-1]}"
    empty = sum(month.count == 0 for month in months)
    return (
        f"{figures.due} review{'s' if figures.due != 1 else ''} in all. The most, {most}, "
        f"fall{'s' if most == 1 else ''} due in {named}; {empty} of the {len(months)} months "
        "have none."
    )


# --- the spreadsheet ------------------------------------------------------------------------


def figures_csv(figures: Figures) -> bytes:
    """The figures as one tidy table for a spreadsheet (see the module's notes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows: list[tuple[Section, Item, str]] = [
        ("review due", item, "") for month in figures.months for item in month.items
    ]
    rows += [("expired", item, "") for item in figures.expired]
    rows += [("no owner", item, "") for item in figures.no_owner]
    rows += [("translation out of date", i, " ".join(i.entry.stale)) for i in figures.stale]
    rows += [("no large print", item, "") for item in figures.large_print_missing]
    for section, item, detail in rows:
        entry = item.entry
        writer.writerow(
            [
                section,
                entry.archive_date[:7],
                entry.archive_date,
                (item.archive - figures.as_of).days,
                _cell(entry.reference),
                entry.language,
                _cell(entry.name),
                _cell(entry.title),
                entry.version,
                _cell(item.owner),
                entry.state,
                _cell(detail),
                _cell(item.page),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
