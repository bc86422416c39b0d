"""Pages: the files of the preview folder as served, each HTML page with the reload script
and the latest build error added (never to the files on disk), and the drafts that stand in
for published files in a preview."""

from __future__ import annotations

import html
import re
from pathlib import Path

RELOAD_PATH = "/__reload"  # answers the build counter; pages poll it

# Polls the build counter and reloads when it moves on. Without JavaScript the page is
# simply not live; if the server stops, polling slows down and carries on when it is back.
_RELOAD_SCRIPT = """<script>
(function () {
  var seen = "%d";
  function poll() {
    fetch("%s", {cache: "no-store"}).then(function (answer) { return answer.text(); }).then(
      function (now) { if (now !== seen) { location.reload(); } else { setTimeout(poll, 1000); } },
      function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
</script>
"""

_BANNER = """<div role="alert" id="build-leaflets-error" style="margin:0;padding:1em 1.5em;\
background:#fdecea;color:#5f0a0a;border:4px solid #b3261e;font:16px/1.4 system-ui,sans-serif">
<strong>The preview could not be built. Fix this and save; the page reloads by itself.</strong>
<pre style="margin:.5em 0 0;white-space:pre-wrap;font:14px/1.4 ui-monospace,monospace">%s</pre>
</div>
"""

NOT_FOUND = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>
<body><h1>Not found</h1><p>There is no such page in the preview.
<a href="/index.html">See every leaflet</a>.</p></body></html>
"""

_BODY_TAG = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
# The catalogue links approved leaflets to their published files; a preview has only drafts.
_PUBLISHED_PAGE = re.compile(r"([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)?)\.html")  # PSY-0101.cy.html
_PUBLISHED_PDF = re.compile(r"pdf/([A-Za-z0-9-]+)/\1-v(\d+)((?:-[A-Za-z0-9]+)*)\.pdf")


def find_file(root: Path, relative: str) -> Path | None:
    """The file a URL path names, only if it really lies inside `root` (already resolved).

    Resolving follows `..` and symbolic links first, so neither can lead out of the folder;
    a folder stands for its index.html.
    """
    if "\0" in relative:
        return None
    try:
        path = (root / relative.lstrip("/")).resolve(strict=True)
        if path.is_dir():
            path = (path / "index.html").resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(root) and path.is_file() else None


def draft_twin(relative: str) -> str | None:
    """Where a published file's draft lives in the preview, for the catalogue's links."""
    page = _PUBLISHED_PAGE.fullmatch(relative)
    if page:
        return f"drafts/{page[1]}.html"
    document = _PUBLISHED_PDF.fullmatch(relative)
    if document:
        return f"drafts/{document[1]}-v{document[2]}{document[3]}-draft.pdf"
    return None


def inject(page: bytes, builds: int, error: str | None, link: str = "") -> bytes:
    """The page as served: the error banner (if any) and the editor's link first in <body>,
    the reload script last."""
    script = (_RELOAD_SCRIPT % (builds, RELOAD_PATH)).encode()
    end = _BODY_END.search(page)
    at_end = end.start() if end else len(page)
    page = page[:at_end] + script + page[at_end:]
    top = link
    if error is not None:
        top = _BANNER % html.escape(error) + top
    if not top:
        return page
    start = _BODY_TAG.search(page)
    at_start = start.end() if start else 0
    return page[:at_start] + b"\n" + top.encode() + page[at_start:]


_SOURCE_PAGE = re.compile(r"drafts/([A-Za-z0-9-]+)\.html")
_EDIT_LINK = """<p id="build-leaflets-edit" style="margin:0;padding:.5em 1.5em;background:#e8edee;\
font:16px/1.4 system-ui,sans-serif"><a href="%s">%s</a></p>
"""


def edit_link(relative: str) -> str:
    """The preview's link to the editor for a page: "Edit this leaflet" on a leaflet's page,
    "New leaflet" on the catalogue."""
    page = _SOURCE_PAGE.fullmatch(relative)
    if page:
        return _EDIT_LINK % (f"/edit/{page[1]}", "Edit this leaflet")
    if relative in ("", "index.html"):
        return _EDIT_LINK % ("/new", "New leaflet")
    return ""
