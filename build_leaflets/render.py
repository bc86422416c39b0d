"""Render: a checked `Leaflet` to one HTML page (Jinja2), for the web or for the PDF renderer.

The same template serves both. For the web the page links to its stylesheet, fonts and
pictures as files in the output folder's assets/, named by their checksum and shared by
every page (see `assets`); with `single_file` it is self-contained instead (everything
inlined as data: URLs), to be emailed as one file. For print it points at the project's
files, which only the PDF stage's guarded fetcher reads.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup, escape

from build_leaflets import assets, fonts, markup, messages
from build_leaflets.config import Printer, Project
from build_leaflets.errors import LeafletError
from build_leaflets.model import STANDARD_SECTIONS, Leaflet

Media = Literal["screen", "print"]
TEMPLATE = "leaflet.html.j2"
INDEX_TEMPLATE = "index.html.j2"
STYLESHEET = "leaflet.css"
CATALOGUE_STYLESHEET = "catalogue.css"

# Spelled out rather than taken from strftime or `calendar`, which follow the machine's locale.
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def uk_date(day: date) -> str:
    """Dates the way UK readers write them: 1 October 2026 (no locale involved)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


#: A number written in groups (0161 555 0123, 9-5, +44 (0)161...): digits separated by spaces,
#: hyphens, dots or brackets, which right-to-left text would put in the wrong order.
_NUMBER_RUN = re.compile(r"\+?\(?\d[\d()]*(?:[ .\-/:][\d()]+)+")


class Words:
    """The fixed text of a page in one language: gettext over the language's message
    catalogue (English needs none: the messages are English), and dates written out the way
    that language writes them."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.english = language.lower().split("-")[0] == "en"
        self._catalogue = messages.catalogue_for(language)
        self.right_to_left = messages.is_right_to_left(language)

    def __call__(self, message: str, **values: object) -> str:
        text = self._catalogue.gettext(message)
        return text % values if values else text

    def isolate(self, text: str) -> str:
        """Left-to-right runs that must keep their order inside right-to-left text (a phone
        number's groups would otherwise be read right to left): wrapped in Unicode's
        left-to-right isolate, which Pango and browsers both follow. Unchanged elsewhere."""
        if not self.right_to_left:
            return text
        return _NUMBER_RUN.sub(lambda found: f"\u2066{found.group()}\u2069", text)

    def isolate_html(self, html: str) -> str:
        """`isolate` on the text of an HTML fragment, never inside a tag."""
        if not self.right_to_left:
            return html
        parts = re.split(r"(<[^>]*>)", html)
        return "".join(p if p.startswith("<") else self.isolate(p) for p in parts)

    def date(self, day: date) -> str:
        if self.english:
            return uk_date(day)
        return self.isolate(messages.long_date(day, self.language))

    def page_counter(self) -> Markup:
        """ "Page 1 of 4" as CSS `content`: the words as strings, the numbers as counters, in
        the order the language puts them."""
        parts = re.split(r"(%\((?:page|pages)\)s)", self("Page %(page)s of %(pages)s"))
        tokens = []
        for part in parts:
            if part == "%(page)s":
                tokens.append("counter(page)")
            elif part == "%(pages)s":
                tokens.append("counter(pages)")
            elif part:
                tokens.append(str(css_string(part)))
        return Markup(" ".join(tokens))


def css_string(value: object) -> Markup:
    """A value as a CSS string literal, for the running footer that CSS prints on every page.

    It goes inside <style>, where HTML escaping does not apply, so it is escaped for CSS
    instead (`<` too, so no value can close the style element).
    """
    text = str(value)
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("<", "\\3C "), ("\n", "\\A ")):
        text = text.replace(raw, escaped)
    return Markup(f'"{text}"')


def installed_fonts() -> fonts.Fonts:
    """The main typeface, Atkinson Hyperlegible, from its pip package."""
    return fonts.bundled_fonts()[0]


@functools.cache
def _environment(layouts: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(layouts),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["uk_date"] = uk_date
    env.filters["css_string"] = css_string
    env.filters["language_name"] = messages.language_name
    env.tests["rtl"] = messages.is_right_to_left
    return env


def render_html(
    leaflet: Leaflet,
    project: Project,
    *,
    media: Media = "screen",
    page_size: str | None = None,
    stamp: str = "",
    draft: bool | None = None,
    printer: Printer | None = None,
    large_print: float | None = None,
    pictures: Mapping[str, bytes] | None = None,
    languages: Sequence[tuple[str, str]] = (),
    single_file: bool = True,
    gathered: dict[str, bytes] | None = None,
) -> str:
    """The leaflet as one HTML page; `media="print"` for the PDF stage.

    `languages` lists the leaflet's other languages as (tag, link) for the web page.

    `pictures` holds the bytes of the pictures the leaflet shows, read and checked once (see
    `Source.read_pictures`): the web page shows them, the PDF stage is handed them by URL
    (`picture_resources`), so a picture is never read twice or from a stale cache.

    A web page is self-contained (`single_file`, the default), or links to its stylesheet,
    fonts and pictures in the output folder's assets/ (from drafts/, ../assets/); those files
    are put in `gathered` (name -> bytes), for the build to write (see `page_assets`).

    `stamp` says what the page was made from (checked by the next build to skip it);
    `draft` marks it DRAFT on every page (default: when its status is draft); `printer`
    makes it the print-shop page: trim size, bleed, CMYK colours and a QR code;
    `large_print` (a body size in points) makes it the large-print edition.
    """
    layouts, site = project.layouts, project.site
    screen = media == "screen"
    draft = leaflet.is_draft if draft is None else draft
    bundle = assets.Bundle(None if single_file else "../assets/" if draft else "assets/")

    def asset(path: Path) -> str:
        return bundle.url(path.name, _file_bytes_of(path)) if screen else path.resolve().as_uri()

    images = {
        name: bundle.url(name, data) if screen else _picture_url(name)
        for name, data in (pictures or {}).items()
    }
    words = Words(leaflet.language)
    sections = [
        {
            "id": section.field.replace(".", "-"),
            "heading": words(section.heading)
            if section.heading == STANDARD_SECTIONS.get(section.field)
            else section.heading,
            "html": Markup(words.isolate_html(markup.to_html(section.body, images))),
        }
        for section in leaflet.sections()
    ]
    logo_name = site.print_logo if printer and site.print_logo else site.logo
    logo = layouts / logo_name if logo_name else None
    if logo is not None and not logo.is_file():
        raise LeafletError(
            f"pyproject.toml: tool.build_leaflets.logo: {project.relative(logo)} not found"
        )
    try:
        template = _environment(layouts).get_template(TEMPLATE)
        stylesheets, stylesheet = (
            web_styles(layouts, (STYLESHEET,), bundle)
            if screen
            # For print, only the rules the page must keep (see `layout_stylesheet`).
            else ([], Markup(_stylesheet_parts(layouts)[1]))
        )
        context: dict[str, Any] = dict(
            leaflet=leaflet,
            site=site,
            media=media,
            stamp=stamp,
            draft=draft,
            page_size=printer.trim if printer else page_size or site.page_size,
            sections=sections,
            stylesheets=stylesheets,
            stylesheet=stylesheet,
            font_faces="",
            logo=asset(logo) if logo else None,
            subject=leaflet.summary or words("Patient information: %(title)s", title=leaflet.title),
            _=words,
            words=words,
            languages=[(tag, messages.language_name(tag), href) for tag, href in languages],
            source_language=messages.language_name(
                leaflet.translation.source_language, leaflet.language
            )
            if leaflet.translation
            else "",
            language_css=Markup(fonts.language_css(leaflet.language)),
            printer=printer,
            large_print=large_print,
            icc=_icc_url(project, printer) if printer else "",
            web_address=web_address(site.base_url, leaflet) if printer else "",
            qr=Markup(
                qr_svg(
                    web_address(site.base_url, leaflet),
                    "device-cmyk(0 0 0 1)",
                    words("QR code for %(address)s", address=web_address(site.base_url, leaflet)),
                )
            )
            if printer
            else "",
        )
        if not screen:
            return template.render(context)
        page = with_web_fonts(template, context, bundle, leaflet.language)
        if gathered is not None:
            gathered.update(bundle.files)
        return page
    except jinja2.TemplateError as error:
        where = getattr(error, "filename", None) or TEMPLATE
        line = getattr(error, "lineno", None)
        place = f"{where}:{line}" if line else where
        raise LeafletError(f"{place}: layout error: {error.message}") from None
    except OSError as error:
        raise LeafletError(f"{error.filename}: cannot read layout file: {error.strerror}") from None


def page_assets(
    leaflet: Leaflet,
    project: Project,
    *,
    stamp: str = "",
    draft: bool | None = None,
    pictures: Mapping[str, bytes] | None = None,
    languages: Sequence[tuple[str, str]] = (),
) -> dict[str, bytes]:
    """The asset files (name -> bytes) that the web page `render_html` makes with the same
    arguments (and `single_file=False`) links to.

    The build calls it for a page made in a worker process only when a file the page links
    to is missing: the result is the same in every process (fonts are cut without
    timestamps), so the names agree."""
    gathered: dict[str, bytes] = {}
    render_html(
        leaflet,
        project,
        stamp=stamp,
        draft=draft,
        pictures=pictures,
        languages=languages,
        single_file=False,
        gathered=gathered,
    )
    return gathered


def with_web_fonts(
    template: jinja2.Template,
    context: dict[str, Any],
    bundle: assets.Bundle,
    language: str | None = None,
) -> str:
    """A web page rendered with the @font-face rules of the fonts its text needs, in
    `context["font_faces"]`: the page is rendered once with a mark in their place, which
    shows what characters it has (its fixed words, other languages' names and all); the
    rules then take the mark's place. (Escaping keeps a leaflet's text from ever holding the
    mark.)"""
    page = template.render({**context, "font_faces": Markup(_FONT_FACES_MARK)})
    faces = fonts.web_faces(page.replace(_FONT_FACES_MARK, ""), language)
    css = fonts.web_face_css(faces, lambda face: bundle.url(face.hint, face.data))
    return page.replace(_FONT_FACES_MARK, css)


_FONT_FACES_MARK = "<!--build-leaflets:font-faces-->"


def web_styles(
    layouts: Path, names: Sequence[str], bundle: assets.Bundle
) -> tuple[list[str], Markup]:
    """A web page's stylesheets from `layouts`: links to them as assets (one file each, the
    same for every page that uses it), or their text to inline in a self-contained page."""
    texts = [
        _stylesheet_parts(layouts)[0]
        if name == STYLESHEET
        else (layouts / name).read_text(encoding="utf-8")
        for name in names
    ]
    if bundle.inline:
        return [], Markup("\n".join(texts))
    return [
        bundle.url(name, text.encode("utf-8")) for name, text in zip(names, texts, strict=True)
    ], Markup("")


@functools.cache
def font_css() -> str:
    """@font-face rules for the bundled font files, for the PDF stage to parse once per
    process instead of once per document (a fifth of the layout time)."""
    return fonts.font_face_css(inline=False)


def layout_stylesheet(project: Project) -> str:
    """leaflet.css for the PDF stage, which parses it once per process and hands it to
    WeasyPrint as a user stylesheet, instead of parsing it again in every page.

    A user stylesheet's rules are outranked by every rule of the page itself, whatever their
    specificity; so leaflet.css's `@page :first` rules stay in the print page, where the
    page's own `@page` margins (large print) do not override them, as they did not when the
    whole of leaflet.css was in the page. Nothing else in the page sets what leaflet.css
    sets with a higher specificity, so the PDFs keep their bytes.
    """
    return _stylesheet_parts(project.layouts)[2]


#: A top-level `@page :first { ... }` rule with no nested blocks, and the line it ends.
_FIRST_PAGE_RULE = re.compile(r"^@page\s*:first\s*\{[^{}]*\}[^\S\n]*\n?", re.M)


def _stylesheet_parts(layouts: Path) -> tuple[str, str, str]:
    """leaflet.css whole (for the web page), its rules a print page keeps, and the rest (for
    the PDF stage). Read again only when the file changes."""
    path = layouts / STYLESHEET
    stat = path.stat()
    return _split_stylesheet(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _split_stylesheet(path: Path, _mtime: int, _size: int) -> tuple[str, str, str]:
    css = path.read_text(encoding="utf-8")
    kept = "".join(found.group() for found in _FIRST_PAGE_RULE.finditer(css))
    return css, kept, _FIRST_PAGE_RULE.sub("", css)


@dataclass(frozen=True)
class CatalogueEntry:
    """One row of the catalogue: a leaflet in one language, its state on the build day, and
    its files (paths relative to the catalogue page, or "" where there is no such file).
    A source's row also lists its translations: (language name, state, page)."""

    leaflet: Leaflet
    state: str
    days_left: int
    page: str
    pdf: str
    large_print: str
    stale: tuple[str, ...] = ()
    translations: tuple[tuple[str, str, str], ...] = ()

    @property
    def language_name(self) -> str:
        return messages.language_name(self.leaflet.language)

    @property
    def language_name_english(self) -> str:
        return messages.language_name(self.leaflet.language, "en")

    @property
    def language_class(self) -> str:
        return self.leaflet.language.lower()


def render_index(
    entries: list[CatalogueEntry],
    project: Project,
    as_of: date,
    bundle: assets.Bundle | None = None,
) -> str:
    """The catalogue page: every leaflet in every language, with its state, governance dates
    and links, filtered by state and by language without scripts.

    It links to its stylesheets and fonts as the assets of `bundle` (for the build to write;
    the catalogue lies in the output folder, beside assets/), or is self-contained without
    one."""
    bundle = bundle or assets.Bundle(None)
    rows = sorted(
        entries,
        key=lambda entry: (
            entry.leaflet.reference.lower(),
            entry.leaflet.is_translation,
            entry.leaflet.language,
        ),
    )
    rows = sorted(rows, key=lambda entry: _title_of(entry, entries).lower())
    states = ["current", "due for review", "expired", "draft", "translation out of date"]
    languages: dict[str, tuple[str, int]] = {}
    for entry in rows:
        name, count = languages.get(entry.language_class, (entry.language_name, 0))
        languages[entry.language_class] = (name, count + 1)
    try:
        template = _environment(project.layouts).get_template(INDEX_TEMPLATE)
        stylesheets, stylesheet = web_styles(
            project.layouts, (STYLESHEET, CATALOGUE_STYLESHEET), bundle
        )
        context: dict[str, Any] = dict(
            entries=rows,
            site=project.site,
            as_of=as_of,
            states=[
                (state, count)
                for state in states
                if (count := sum(e.state == state for e in rows)) or state != states[-1]
            ],
            languages=[(tag, name, count) for tag, (name, count) in languages.items()]
            if len(languages) > 1
            else [],
            stylesheets=stylesheets,
            stylesheet=stylesheet,
        )
        return with_web_fonts(template, context, bundle)
    except jinja2.TemplateError as error:
        raise LeafletError(f"{INDEX_TEMPLATE}: layout error: {error.message}") from None
    except OSError as error:
        raise LeafletError(f"{error.filename}: cannot read layout file: {error.strerror}") from None


def _title_of(entry: CatalogueEntry, entries: list[CatalogueEntry]) -> str:
    """A translation is listed under its source's title, right after it."""
    if not entry.leaflet.is_translation:
        return entry.leaflet.title
    for other in entries:
        if other.leaflet.slug == entry.leaflet.slug and not other.leaflet.is_translation:
            return other.leaflet.title
    return entry.leaflet.title


def web_address(base_url: str | None, leaflet: Leaflet) -> str:
    """Where the online version of a leaflet lives, if the site publishes its pages."""
    if not base_url:
        return ""
    return f"{base_url.rstrip('/')}/{leaflet.name}.html"


def qr_svg(address: str, fill: str = "#000", label: str = "") -> str:
    """A QR code as vector SVG, one path of dark modules, coloured by CSS (CMYK in print)."""
    if not address:
        return ""
    import segno  # noqa: PLC0415  (only print files carry a QR code)

    code = segno.make(address, error="m", micro=False)
    quiet = 4
    size = len(code.matrix) + 2 * quiet
    runs = []
    for y, row in enumerate(code.matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start + quiet} {y + quiet}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'role="img" aria-label="{escape(label or f"QR code for {address}")}">'
        f'<path fill="{fill}" d="{"".join(runs)}"/></svg>'
    )


#: How a print page names the press profile in `@color-profile device-cmyk`. The PDF stage is
#: handed its bytes (`profile_resources`), read once per process: inlined as a data: URL, the
#: profile (about 190 KB) made every print page a quarter of a megabyte of base64 for the HTML
#: and CSS parsers to read character by character. WeasyPrint still makes a new colour profile
#: from the bytes for each document, which byte-identical print files need.
PROFILE_URL = "leaflet-profile:device-cmyk.icc"


def _icc_path(project: Project, printer: Printer) -> Path:
    path = project.root / printer.icc_profile
    if not path.is_file():
        raise LeafletError(
            f"pyproject.toml: icc_profile: {printer.icc_profile} not found; install Debian's "
            "libgs-common (./run does) or give the print supplier's profile"
        )
    return path


def _icc_url(project: Project, printer: Printer) -> str:
    _icc_path(project, printer)  # a missing profile fails here, before any layout
    return PROFILE_URL


def profile_resources(project: Project, printer: Printer) -> dict[str, bytes]:
    """The press profile by the URL a print page uses for it, for the PDF stage's fetcher."""
    return {PROFILE_URL: _file_bytes_of(_icc_path(project, printer))}


def _file_bytes_of(path: Path) -> bytes:
    """A layout file's bytes (a logo), read again only when the file changes, so an edited
    logo shows at once in a long-running preview."""
    stat = path.stat()
    return _file_bytes(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _file_bytes(path: Path, _mtime: int, _size: int) -> bytes:
    """A file's bytes, read once per process (and again when the file changes)."""
    return path.read_bytes()


def picture_resources(project: Project, pictures: Mapping[str, bytes]) -> dict[str, bytes]:
    """The pictures by the URLs a print page uses for them, for the PDF stage's fetcher."""
    return {_picture_url(name): data for name, data in pictures.items()}


#: How a print page names a picture, whose bytes the PDF stage is handed (never a file: URL,
#: which would tie the PDF's bytes to the folder the project lies in).
PICTURE_SCHEME = "leaflet-picture"


def _picture_url(name: str) -> str:
    return f"{PICTURE_SCHEME}:{name}"


def font_folders() -> list[Path]:
    """The folders of the bundled font files: the only place outside the project fonts come
    from."""
    return [family.files_dir for family in fonts.bundled_fonts()]


def _data_url(path: Path) -> str:
    """A layout file as a data: URL (read again only when it changes)."""
    return assets.data_url(path.name, _file_bytes_of(path))
