"""Serve: a live preview for the people who write leaflets, built as drafts and reloaded on save.

Clinic staff edit a leaflet's YAML and want to see the page at once, without running `build` by
hand or installing a browser extension. `serve` builds everything once, serves the result on
localhost, rebuilds what each saved file touches and makes open pages reload themselves.

Preview builds are drafts (`build.build(..., drafts=True)`) written to `output/preview/`: they are
never registered, so previewing cannot publish a version or change `leaflets/register.csv`, and
previews never mix with published files. Like `cli.py`, this module only calls `build`; the
reload script and the error banner are added to pages as they are served, never to files on disk.

The preview shows unpublished drafts, so it answers only this computer: it listens on 127.0.0.1,
and it answers only requests addressed to a local name (the `Host` header), so that a web page
cannot use DNS rebinding to read drafts through the browser. Nothing a client or a leaflet does
can stop it: idle connections are dropped after IDLE_TIMEOUT seconds, and even a fault of our own
while building is shown on the pages and the terminal, not raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from build_leaflets.config import Project
from build_leaflets.errors import LeafletError
from build_leaflets.serve.editing import Editor
from build_leaflets.serve.pages import RELOAD_PATH
from build_leaflets.serve.rebuild import State, build_once, watch
from build_leaflets.serve.server import address, listen

__all__ = ["PREVIEW_DIR", "RELOAD_PATH", "serve"]

PREVIEW_DIR = "preview"  # inside the project's output folder


def serve(
    project: Project,
    *,
    port: int = 8000,
    out: Path | None = None,
    host: str = "127.0.0.1",
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Build everything, serve the output folder on http://host:port/, rebuild what a file
    change touches, reload open pages.

    Runs until `stop` is set or Ctrl-C. Port 0 picks a free port; `ready` is called with the
    real address once pages are served and changes are watched. A mistake in a leaflet never
    stops the preview: it is echoed and shown at the top of every page until a build succeeds.
    """
    folder = out or project.output / PREVIEW_DIR
    if not project.leaflets.is_dir():
        raise LeafletError(f"{project.relative(project.leaflets)}: no such folder to preview")
    folder.mkdir(parents=True, exist_ok=True)
    state = State()
    server = listen(host, port, folder, state, Editor(project))
    serving = threading.Thread(target=server.serve_forever, name="preview-http", daemon=True)
    try:
        build_once(project, folder, (), state, echo)
        serving.start()
        url = address(server)
        shown = project.relative(folder)
        echo(f"Previewing {shown}/ at {url} (drafts only: nothing is published). Ctrl-C stops.")
        watch(project, folder, state, stop or threading.Event(), echo, lambda: _tell(ready, url))
    except KeyboardInterrupt:
        echo("Preview stopped.")
    finally:
        if serving.is_alive():
            server.shutdown()
        server.server_close()


def _tell(ready: Callable[[str], None] | None, url: str) -> None:
    if ready is not None:
        ready(url)
