"""PDF: HTML to PDF bytes with WeasyPrint, fetching only the project's own files.

WeasyPrint is imported here and only when a PDF is actually written: its import alone costs
about half a second, which `check` and up-to-date builds should never pay. One font
configuration is kept per process (a fresh one per document makes memory grow).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import mimetypes
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from build_leaflets.errors import LeafletError, RefusedResource

if TYPE_CHECKING:  # pragma: no cover
    from weasyprint.text.fonts import FontConfiguration


@dataclass(frozen=True)
class PdfFields:
    """Governance fields written into the PDF's document information, readable with pypdf."""

    reference: str
    version: int
    last_updated: str
    archive_date: str
    source_sha256: str
    status: str

    def info(self) -> dict[str, str]:
        """The custom keys of the document information dictionary (without the slash)."""
        return {
            "LeafletReference": self.reference,
            "LeafletVersion": str(self.version),
            "LeafletLastUpdated": self.last_updated,
            "LeafletArchiveDate": self.archive_date,
            "LeafletSourceSHA256": self.source_sha256,
            "LeafletStatus": self.status,
        }


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
) -> bytes:
    """Lay out `html` and return the PDF's bytes.

    `base` is the folder relative URLs start from; `allowed` are the only folders files may be
    read from. Anything else the page asks for is refused, and the leaflet `name` fails.
    """
    import weasyprint  # noqa: PLC0415  (lazy: see the module docstring)

    fetcher = _guarded_fetcher_class()(allowed)
    # fontTools stamps subset fonts with the clock unless told a date: use the leaflet's own,
    # so the same leaflet always gives the same bytes.
    os.environ["SOURCE_DATE_EPOCH"] = str(_epoch(fields.last_updated))
    with _collect_logs() as log:
        pdf = weasyprint.HTML(
            string=html, base_url=base.resolve().as_uri() + "/", url_fetcher=fetcher
        ).write_pdf(
            font_config=_font_config(),
            finisher=functools.partial(_finish, fields=fields),
        )
    if fetcher.refused:
        refused = ", ".join(sorted(set(fetcher.refused)))
        raise RefusedResource(
            f"{name}: refused to read {refused}: a leaflet may only use files inside the "
            "project's layouts/ and leaflets/ folders"
        )
    errors = [r.getMessage() for r in log.records if r.levelno >= logging.ERROR]
    if errors:
        raise LeafletError(f"{name}: the PDF could not be made cleanly: {errors[0]}")
    assert isinstance(pdf, bytes)
    return pdf


def _epoch(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp())


def _finish(document: Any, pdf: Any, *, fields: PdfFields) -> None:
    """Write our governance fields next to Title/Author/Subject in the document information."""
    import pydyf  # noqa: PLC0415

    for key, value in fields.info().items():
        pdf.info[key] = pydyf.String(value)


@functools.cache
def _font_config() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    return FontConfiguration()


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

    class GuardedFetcher(URLFetcher):  # type: ignore[misc]
        """Serves `data:` URLs and files under the allowed folders; refuses everything else.

        WeasyPrint's own fetcher reads any `file:` and `http(s):` URL; a leaflet must never
        pull in a file from elsewhere on the machine or anything from the network.
        """

        def __init__(self, allowed: Sequence[Path]) -> None:
            super().__init__(timeout=1)
            self.allowed = [folder.resolve() for folder in allowed]
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
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
