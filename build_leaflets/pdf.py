"""PDF: HTML to PDF bytes with WeasyPrint, fetching only the project's own files.

WeasyPrint is imported here and only when a PDF is actually written: its import alone costs
about half a second, which `check` and up-to-date builds should never pay. One font
configuration is kept per process (a fresh one per document makes memory grow).
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import io
import logging
import mimetypes
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from build_leaflets import fonts
from build_leaflets.errors import LeafletError, RefusedResource
from build_leaflets.finish import PdfFields, Prepress, finish

if TYPE_CHECKING:  # pragma: no cover
    from weasyprint.text.fonts import FontConfiguration


ARCHIVAL_VARIANT = "pdf/a-3a"

mimetypes.add_type("application/yaml", ".yaml")  # Python 3.11 does not know it
mimetypes.add_type("application/yaml", ".yml")


@dataclass(frozen=True)
class SourceFile:
    """The YAML a leaflet was made from, embedded in its archival PDF."""

    name: str
    data: bytes
    day: dt.date


class _Log(logging.Handler):
    """Collects what WeasyPrint logs while one document is rendered."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def write_pdf(
    html: str,
    *,
    name: str,
    base: Path,
    allowed: Sequence[Path],
    fields: PdfFields,
    sources: Sequence[SourceFile] = (),
    variant: str | None = ARCHIVAL_VARIANT,
    prepress: Prepress | None = None,
    font_css: str = "",
    stylesheet: str = "",
    resources: Mapping[str, bytes] | None = None,
) -> bytes:
    """Lay out `html` and return the PDF's bytes.

    `base` is the folder relative URLs start from; `allowed` are the only folders files may be
    read from, and `resources` maps URLs to bytes already read and checked (the leaflet's
    pictures). Anything else the page asks for is refused, and the leaflet `name` fails.
    The archival variant is PDF/A-3a and PDF/UA-1, with `sources` embedded as its Source
    attachments. `font_css` holds @font-face rules and `stylesheet` the layout's rules the page
    leaves out (`render.layout_stylesheet`): both are parsed once per process and reused, as
    user stylesheets.
    """
    missing = [] if html.isascii() else fonts.font_problems(html)
    if missing:  # a page in a script whose font is not installed (or not the recorded one)
        raise LeafletError(f"{name}: {missing[0]}")
    weasyprint = load_weasyprint()

    attachments = []
    for source in sources:
        # Fixed dates, so the same source always gives the same bytes.
        moment = dt.datetime.combine(source.day, dt.time(), tzinfo=dt.UTC)
        attachments.append(
            weasyprint.Attachment(
                file_obj=io.BytesIO(source.data),
                name=source.name,
                description=_describe(source.name),
                relationship="Source",
                created=moment,
                modified=moment,
            )
        )

    fetcher = _guarded_fetcher_class()(allowed, resources or {})
    base_url = base.resolve().as_uri() + "/"
    stylesheets = [_font_stylesheet(font_css, tuple(allowed))] if font_css else []
    if stylesheet:
        if "@color-profile" in stylesheet:
            raise LeafletError(
                f"{name}: the layout's shared stylesheet may not declare a colour profile "
                "(@color-profile): each document needs its own; declare it in the page"
            )
        stylesheets.append(_layout_stylesheet(stylesheet, base_url, tuple(allowed)))
    # fontTools stamps subset fonts with the clock unless told a date: use the leaflet's own,
    # so the same leaflet always gives the same bytes.
    with _collect_logs() as log, _source_date(fields.last_updated):
        pdf = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(
            stylesheets=stylesheets or None,
            font_config=_font_config(),
            finisher=functools.partial(
                finish, fields=fields, prepress=prepress, accessible=variant == ARCHIVAL_VARIANT
            ),
            pdf_variant=variant,
            attachments=attachments,
        )
    if fetcher.refused:
        refused = ", ".join(sorted(set(fetcher.refused)))
        raise RefusedResource(
            f"{name}: refused to read {refused}: a leaflet may only use files inside the "
            "project's layouts/ and leaflets/ folders"
        )
    errors = [r.getMessage() for r in log.records if r.levelno >= logging.ERROR]
    # A glyph no bundled font has is drawn as an empty box: `check` stops such text, so one
    # here came from the layout (generated content), and must not be published either.
    errors += [r.getMessage() for r in log.records if ".notdef" in r.getMessage()]
    if errors:
        raise LeafletError(f"{name}: the PDF could not be made cleanly: {errors[0]}")
    assert isinstance(pdf, bytes)
    return pdf


def warm_up(
    *, base: Path, allowed: Sequence[Path], font_css: str = "", stylesheet: str = ""
) -> None:
    """Import WeasyPrint and parse the shared stylesheets now, as `write_pdf` would on its
    first document with the same arguments (a worker process does this before freezing what
    it has made, so the garbage collector stops walking it)."""
    load_weasyprint()
    if font_css:
        _font_stylesheet(font_css, tuple(allowed))
    if stylesheet:
        _layout_stylesheet(stylesheet, base.resolve().as_uri() + "/", tuple(allowed))


@functools.cache
def load_weasyprint() -> Any:
    """WeasyPrint, imported once, after fontconfig has been pointed at the bundled fonts only
    (its import already reads the font configuration)."""
    fonts.use_project_fontconfig()
    import weasyprint  # noqa: PLC0415  (lazy: see the module docstring)

    return weasyprint


def _describe(name: str) -> str:
    if name.endswith((".yaml", ".yml")):
        return "The leaflet's source text (YAML) this PDF was made from"
    return f"A picture the leaflet shows ({name}), as it was when this PDF was made"


@contextmanager
def _source_date(day: str) -> Iterator[None]:
    """SOURCE_DATE_EPOCH for one document, put back as it was afterwards."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(_epoch(day))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _epoch(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp())


@functools.cache
def _font_config() -> FontConfiguration:
    load_weasyprint()
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    # Released before the interpreter tears down the C libraries it needs to clean up.
    atexit.register(_font_config.cache_clear)
    return FontConfiguration()


@functools.cache
def _font_stylesheet(css: str, allowed: tuple[Path, ...]) -> Any:
    """The @font-face rules, parsed and their fonts loaded once for all documents."""
    weasyprint = load_weasyprint()

    fetcher = _guarded_fetcher_class()(allowed, {})
    return weasyprint.CSS(string=css, url_fetcher=fetcher, font_config=_font_config())


@functools.lru_cache(maxsize=8)
def _layout_stylesheet(css: str, base_url: str, allowed: tuple[Path, ...]) -> Any:
    """The layout's stylesheet, parsed once for all documents (the CSS parser reads it
    character by character, in every page that carried it).

    Safe to share: a parsed stylesheet keeps selectors and declarations only. A colour
    profile is the exception (WeasyPrint would share one object, whose bytes change once
    written), so `@color-profile` stays in each page (`write_pdf` refuses it here).
    """
    weasyprint = load_weasyprint()

    fetcher = _guarded_fetcher_class()(allowed, {})
    return weasyprint.CSS(
        string=css, base_url=base_url, url_fetcher=fetcher, font_config=_font_config()
    )


@contextmanager
def _collect_logs() -> Iterator[_Log]:
    logger = logging.getLogger("weasyprint")
    handler = _Log()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@functools.cache
def _guarded_fetcher_class() -> type[Any]:
    """Built on first use, because its base class lives in WeasyPrint (imported lazily)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415

    class MemoryResponse(URLFetcherResponse):  # type: ignore[misc]
        """Bytes already read and checked. Without a path, WeasyPrint keeps these bytes;
        with one (any file: URL) it would read the file again when writing the PDF."""

        @property
        def path(self) -> None:
            return None

    class GuardedFetcher(URLFetcher):  # type: ignore[misc]
        """Serves `data:` URLs and files under the allowed folders; refuses everything else.

        WeasyPrint's own fetcher reads any `file:` and `http(s):` URL; a leaflet must never
        pull in a file from elsewhere on the machine or anything from the network.
        """

        def __init__(self, allowed: Sequence[Path], resources: Mapping[str, bytes]) -> None:
            super().__init__(timeout=1)
            self.allowed = [folder.resolve() for folder in allowed]
            self.resources = resources
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url in self.resources:
                kind = mimetypes.guess_type(url)[0] or "application/octet-stream"
                return MemoryResponse(url, body=self.resources[url], headers={"Content-Type": kind})
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and not parts.netloc:
                path = Path(url2pathname(unquote(parts.path))).resolve()
                if path.is_file() and any(path.is_relative_to(root) for root in self.allowed):
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, body=path.read_bytes(), headers={"Content-Type": kind}
                    )
            self.refused.append(url)
            raise ValueError(f"refused: {url}")

    return GuardedFetcher


@functools.cache
def tool_versions() -> str:
    """The versions that decide a PDF's bytes, recorded in the register beside each PDF, so a
    rebuild that differs can say what changed. Read without importing WeasyPrint (the parent
    process of a parallel build never needs it)."""
    import ctypes  # noqa: PLC0415
    import ctypes.util  # noqa: PLC0415
    from importlib.metadata import version  # noqa: PLC0415

    from build_leaflets import __version__  # noqa: PLC0415

    def library(name: str, function: str) -> str:
        found = ctypes.util.find_library(name)
        if not found:
            return "missing"
        call = getattr(ctypes.CDLL(found), function)
        call.restype = ctypes.c_char_p
        return str(call().decode())

    subsetter = "hb-subset" if ctypes.util.find_library("harfbuzz-subset") else "fontTools"
    return "; ".join(
        (
            f"build_leaflets {__version__}",
            f"WeasyPrint {version('weasyprint')}",
            f"pydyf {version('pydyf')}",
            f"fontTools {version('fonttools')}",
            f"font {version('fontpkg-atkinson-hyperlegible')}",
            f"fallback font {version('fontpkg-noto-sans')}",
            f"script fonts {fonts.recorded_digest()}",
            f"Pango {library('pango-1.0', 'pango_version_string')}",
            f"HarfBuzz {library('harfbuzz', 'hb_version_string')} ({subsetter})",
        )
    )
