"""Calendars: each published leaflet's review date as iCalendar files that owners subscribe to.

`calendars` gives `calendar/everyone.ics` (every published leaflet) and one file per owner
(`calendar/<owner-slug>.ics`; `calendar/no-owner.ics` for leaflets that name none). A team
subscribes to its file's web address once, in Outlook or Google Calendar, and each review
then appears on its day without anyone copying dates out of a spreadsheet.

What each file holds, and why (RFC 5545, and what Outlook and Google Calendar hold to):

* One all-day event per published, non-draft leaflet and language, "Review due: PSY-0101
  Integrated psychological therapy", on its archive date: `DTSTART;VALUE=DATE` with
  `DTEND;VALUE=DATE` on the next day. RFC 5545 3.6.1 makes DTEND exclusive, so this is one
  day; floating dates at midnight are what Outlook takes as an all-day appointment
  ([MS-STANOICAL] 2.2.67), and Exchange fails to import an event with neither DTEND nor
  DURATION ([MS-STANXICAL], on RFC 5545 3.6.1), so DTEND is always given. No time zone: a
  DATE is the same day everywhere (a floating value), so no VTIMEZONE is needed, and the only
  date-time in the file, DTSTAMP, is in UTC as RFC 5545 3.8.7.2 requires.
* `TRANSP:TRANSPARENT`: a review date does not make the owner look busy that day (Outlook
  imports it as "free", [MS-OXCICAL] 2.1.3.1.1.20.25).
* UID: a UUID (RFC 7986 5.3 recommends one, and no host name or personal data in it), made
  with UUID version 5 from the organisation, reference and language, so the same leaflet in
  the same language has the same UID in every build and in every file: a subscribed
  calendar updates the event instead of adding a second one. Each leaflet and language is
  one event, so a UID is never repeated inside a file. Outlook tells UIDs apart only up to
  202 bytes ([MS-STANOICAL] 2.1.10); ours are 36.
* SEQUENCE (RFC 5545 3.8.7.4: 0 when created, raised on each significant revision): the
  leaflet's version less one, and for a translation its own and its source's versions less
  one each, added. A new version (how a published leaflet's archive date moves: a published
  version never changes) raises it, and so does a new version of the source a translation
  takes its archive date from; neither number ever goes down. One move escapes it: a new
  `review_months` in the site's settings moves the archive dates of leaflets that set none
  of their own, with no new version. A subscribed calendar still shows the new date (it is
  read again whole on each refresh); only a copy imported once keeps the old one.
* DTSTAMP: midnight UTC at the start of the leaflet's date last updated (for a translation,
  the later of its translation date and its source's last update), never the clock. RFC 5545
  3.8.7.2 asks for a UTC date-time and, with METHOD, "the date and time that the instance of
  the iCalendar object was created"; it sets no rule that it be the moment of writing. Two
  builds on the same data are then byte-identical (a feed that changes on every build makes
  every subscriber re-import it), and the stamp still moves forward with every new version,
  which is what iTIP (RFC 5546 2.1.5) uses it for: ordering revisions of equal SEQUENCE.
* VALARM with `ACTION:DISPLAY`, a DESCRIPTION (required for DISPLAY, RFC 5545 3.6.6) and
  `TRIGGER:-P90D` (the site's `due_within_days`), relative to the start: the reminder comes
  when the review window opens. Outlook takes it, when the file is opened, as a reminder
  that many minutes before ([MS-OXCICAL] 2.1.3.1.1.20.62). A subscribed feed's alarms are
  dropped by Google Calendar and (unless told to keep them) Apple Calendar, which apply the
  calendar's own notifications instead; so the event's own date must be right without its
  alarm, and it is.
* DESCRIPTION: reference and title, version, archive date, the start of the review window,
  the owner and, when the site has a `base_url`, the web page and the PDF; URL is the web
  page. No property is written with an empty value (RFC 5545 allows empty text, but it says
  nothing and not every importer takes it): a line or property with nothing to say is left
  out, e.g. the links when the site has no `base_url`.
* The calendar: PRODID, VERSION:2.0, CALSCALE:GREGORIAN, METHOD:PUBLISH (a published
  calendar, not a meeting request, so no ORGANIZER is needed), NAME and X-WR-CALNAME (the
  name Outlook and Google show), DESCRIPTION and X-WR-CALDESC, and REFRESH-INTERVAL and
  X-PUBLISHED-TTL of one day (a hint of how often to fetch it again; Google keeps its own
  schedule). Lines end in CRLF and are folded at 75 octets, never inside a UTF-8 character;
  the `icalendar` library writes both.

Events are in the order of their dates, then reference and language, and every value comes
from the leaflets and the site's settings, so the files depend on nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from build_leaflets import messages
from build_leaflets.audit import Entry, State
from build_leaflets.config import Project, Site
from build_leaflets.render import uk_date

if TYPE_CHECKING:
    from icalendar import Event

FOLDER = "calendar"
EVERYONE = "everyone"
NO_OWNER = "no-owner"
PRODID = "-//build-leaflets//Leaflet review calendar//EN"
#: How often a subscribing client is asked to fetch the file again.
REFRESH = dt.timedelta(days=1)
#: The namespace of review UIDs (UUID version 5 of a fixed name, so UIDs never change).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:build-leaflets:review")
_MAX_SLUG = 60


def in_calendar(entry: Entry) -> bool:
    """Whether a leaflet has a review event: published and not a draft."""
    return entry.published and entry.state != State.DRAFT.value


def owner_name(owner: str) -> str:
    """An owner as the leaflets name it, spaces tidied; "" for none."""
    return " ".join(owner.split())


def owner_files(entries: Iterable[Entry]) -> dict[str, str]:
    """The calendar file of each owner of the leaflets that have review events, by owner name
    ("" for leaflets without one), as paths inside the output folder.

    A file is named from the owner's name (letters and digits, lower case, hyphens). Names
    that give the same file name, or "everyone" or "no-owner", each get a short hash of the
    whole name added, so every owner has a file of their own whatever order they come in.
    """
    owners = sorted({owner_name(e.owner) for e in entries if in_calendar(e)})
    slugs = {owner: _slug(owner) for owner in owners if owner}
    taken: dict[str, int] = {}
    for slug in slugs.values():
        taken[slug] = taken.get(slug, 0) + 1
    files: dict[str, str] = {}
    for owner in owners:
        if not owner:
            files[owner] = f"{FOLDER}/{NO_OWNER}.ics"
            continue
        slug = slugs[owner]
        if not slug or taken[slug] > 1 or slug in (EVERYONE, NO_OWNER):
            digest = hashlib.sha256(owner.encode()).hexdigest()[:8]
            slug = f"{slug or 'owner'}-{digest}"
        files[owner] = f"{FOLDER}/{slug}.ics"
    return files


def calendars(entries: Sequence[Entry], project: Project, *, as_of: dt.date) -> dict[str, bytes]:
    """Every calendar file, by its path inside the output folder: `calendar/everyone.ics`
    and one per owner (see `owner_files`).

    `as_of` is the build day. The files do not depend on it: built on another day from the
    same leaflets they are byte for byte the same, so a subscribed client sees no change;
    an expired leaflet's event stays on its (past) archive date.
    """
    del as_of  # the same leaflets give the same files on any day
    site = project.site
    chosen = sorted(
        (e for e in entries if in_calendar(e)),
        key=lambda e: (e.archive_date, e.reference.lower(), e.language.lower()),
    )
    sources = {e.reference.lower(): e for e in entries if e.translation_of is None}
    events = [
        (owner_name(e.owner), _event(e, sources.get(e.reference.lower()), site)) for e in chosen
    ]
    found = {
        f"{FOLDER}/{EVERYONE}.ics": _calendar(
            f"Leaflet reviews - {site.organisation}",
            f"When each patient-information leaflet of {site.organisation} is due for review.",
            [event for _owner, event in events],
        )
    }
    for owner, file in owner_files(chosen).items():
        whose = f"owned by {owner}" if owner else "that name no owner"
        found[file] = _calendar(
            f"Leaflet reviews - {owner or 'no owner'}",
            f"When each patient-information leaflet of {site.organisation} {whose} is due "
            "for review.",
            [event for event_owner, event in events if event_owner == owner],
        )
    return found


def review_uid(organisation: str, reference: str, language: str) -> str:
    """The UID of a leaflet's review event: the same in every build and every file."""
    name = f"{organisation}\n{reference.lower()}\n{language.lower()}"
    return str(uuid.uuid5(_NAMESPACE, name))


def web_page(base_url: str | None, entry: Entry) -> str:
    """The leaflet's web page under the site's address (as `render.web_address`), or ""."""
    return f"{base_url.rstrip('/')}/{entry.name}.html" if base_url else ""


def pdf_address(base_url: str | None, entry: Entry) -> str:
    """The leaflet's archival PDF under the site's address (as `Layout.file` names it), or
    "": pdf/PSY-0101/PSY-0101-v2.pdf, pdf/PSY-0101/PSY-0101-v1-cy.pdf for a translation."""
    if not base_url:
        return ""
    suffix = f"-{entry.language}" if entry.translation_of is not None else ""
    stem = f"{entry.reference}-v{entry.version}{suffix}"
    return f"{base_url.rstrip('/')}/pdf/{entry.reference}/{stem}.pdf"


def _slug(owner: str) -> str:
    joined = re.sub(r"['\u2019]", "", owner)  # Older People's Services: older-peoples-...
    ascii_text = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:_MAX_SLUG].rstrip("-")


def _calendar(name: str, description: str, events: Sequence[Event]) -> bytes:
    from icalendar import Calendar  # noqa: PLC0415  (when the calendars are written)
    from icalendar.prop import vDuration  # noqa: PLC0415

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("description", description)
    calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for event in events:
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _event(entry: Entry, source: Entry | None, site: Site) -> Event:
    from icalendar import Alarm, Event  # noqa: PLC0415  (when the calendars are written)

    archive = dt.date.fromisoformat(entry.archive_date)
    updated = dt.date.fromisoformat(entry.last_updated)
    sequence = entry.version - 1
    if entry.translation_of is not None and source is not None:
        sequence += source.version - 1
        updated = max(updated, dt.date.fromisoformat(source.last_updated))
    what = f"{entry.name} {entry.title}"
    if entry.translation_of is not None:
        what += f" ({_language(entry.language)} translation)"
    window = archive - dt.timedelta(days=site.due_within_days)
    owner = owner_name(entry.owner)
    page, pdf = web_page(site.base_url, entry), pdf_address(site.base_url, entry)
    lines = [
        f"{what}, version {entry.version}, is due for review.",
        f"Archive date: {uk_date(archive)}.",
        f"Review from: {uk_date(window)} ({site.due_within_days} days before).",
        f"Owner: {owner}" if owner else "Owner: none named; the leaflet should name one.",
        f"Web page: {page}" if page else "",
        f"PDF: {pdf}" if pdf else "",
    ]
    event = Event()
    event.add("uid", review_uid(site.organisation, entry.reference, entry.language))
    event.add("dtstamp", dt.datetime.combine(updated, dt.time(), tzinfo=dt.UTC))
    event.add("sequence", sequence)
    event.add("dtstart", archive)
    event.add("dtend", archive + dt.timedelta(days=1))
    event.add("summary", f"Review due: {what}")
    event.add("description", "\n".join(line for line in lines if line))
    if page:
        event.add("url", page)
    event.add("transp", "TRANSPARENT")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -dt.timedelta(days=site.due_within_days))
    alarm.add(
        "description",
        f"{what} is due for review: its archive date is {uk_date(archive)}.",
    )
    event.add_component(alarm)
    return event


def _language(tag: str) -> str:
    try:
        return messages.language_name(tag, "en")
    except LookupError:
        return tag
