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

import functools
import html
import mimetypes
import re
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import watchfiles

from build_leaflets import __version__, build
from build_leaflets.config import Project
from build_leaflets.errors import LeafletError

PREVIEW_DIR = "preview"  # inside the project's output folder
RELOAD_PATH = "/__reload"  # answers the build counter; pages poll it
_READY_TIMEOUT_MS = 200  # how soon the watcher first reports in, so `ready` means "watching"
_LEAFLET_SUFFIXES = (".yaml", ".yml")
# Seconds a connection may wait for its client before it is dropped. Each connection has a
# thread of its own, so without a limit a client that connects and sends nothing (slowloris)
# would hold a thread for ever. Read when a connection is accepted, so tests can lower it.
IDLE_TIMEOUT = 30.0
# The names under which this computer reaches the preview; any other `Host` is refused.
_LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
_ANSWERED_METHODS = ("GET", "HEAD")
_ANY_ADDRESS = ("", "0.0.0.0", "::")

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

_NOT_FOUND = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>
<body><h1>Not found</h1><p>There is no such page in the preview.
<a href="/index.html">See every leaflet</a>.</p></body></html>
"""

_MISDIRECTED = """This preview only answers requests from this computer, to {url}.
Open {url} in a browser on the computer that runs `build-leaflets serve`.
"""

_INTERNAL_ERROR = (
    "internal error while building the preview: {error}\n"
    "This is a fault in build-leaflets {version}, not in your leaflets: please report it, with "
    "the details shown in the terminal. The preview keeps running and tries again on the next "
    "save."
)

_BODY_TAG = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
# The catalogue links approved leaflets to their published files; a preview has only drafts.
_PUBLISHED_PAGE = re.compile(r"([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)?)\.html")  # PSY-0101.cy.html
_PUBLISHED_PDF = re.compile(r"pdf/([A-Za-z0-9-]+)/\1-v(\d+)((?:-[A-Za-z0-9]+)*)\.pdf")


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
    state = _State()
    server = _listen(host, port, folder, state)
    serving = threading.Thread(target=server.serve_forever, name="preview-http", daemon=True)
    try:
        _build(project, folder, (), state, echo)
        serving.start()
        url = _address(server)
        shown = project.relative(folder)
        echo(f"Previewing {shown}/ at {url} (drafts only: nothing is published). Ctrl-C stops.")
        _watch(project, folder, state, stop or threading.Event(), echo, lambda: _tell(ready, url))
    except KeyboardInterrupt:
        echo("Preview stopped.")
    finally:
        if serving.is_alive():
            server.shutdown()
        server.server_close()


@dataclass
class _State:
    """What every request needs to know about the builds: how many have finished (pages reload
    when this changes) and the latest build's error, if it failed. Shared between threads."""

    builds: int = 0
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finish(self, error: str | None) -> None:
        with self.lock:
            self.builds += 1
            self.error = error

    def snapshot(self) -> tuple[int, str | None]:
        with self.lock:
            return self.builds, self.error


def _tell(ready: Callable[[str], None] | None, url: str) -> None:
    if ready is not None:
        ready(url)


# -- building ---------------------------------------------------------------------------------


def _build(
    project: Project,
    folder: Path,
    references: Sequence[str],
    state: _State,
    echo: Callable[[str], None],
) -> None:
    """One draft build (the chosen leaflets, or all); its error, if any, is kept for the pages.

    A user's mistake (or a file that cannot be read or written) is reported, not raised: the
    preview must keep running while the file is being fixed. So is any other exception, a fault
    of ours that some leaflet or layout has found: the user cannot fix it, but the preview
    staying up (and recovering once the trigger is gone) is worth more than a crash.
    """
    try:
        result = build.build(project, references, out=folder, drafts=True)
    except Exception as error:
        _fail_on(error, state, echo)
        return
    for done in result.done:
        echo(f"{done.reference} v{done.version}: {done.summary}")
    failures = [f"{reference}: failed: {why}" for reference, why in result.failures.items()]
    if failures:
        _fail(state, "\n".join(failures), echo)
        return
    if state.snapshot()[1] is not None:
        echo("The preview builds cleanly again.")
    state.finish(None)


def _fail(state: _State, message: str, echo: Callable[[str], None]) -> None:
    echo(message)
    state.finish(message)


def _fail_on(error: Exception, state: _State, echo: Callable[[str], None]) -> None:
    """Report an exception from a build: a user's error as it is; anything else as our fault,
    with its traceback in the terminal (for the report) but not on the page."""
    if isinstance(error, LeafletError):
        _fail(state, error.format_message(), echo)
    elif isinstance(error, OSError):
        _fail(state, str(error), echo)
    else:
        detail = "".join(traceback.format_exception(error)).rstrip()
        message = _INTERNAL_ERROR.format(error=_describe(error), version=__version__)
        echo(detail)
        _fail(state, message, echo)


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _rebuild(
    project: Project,
    folder: Path,
    changes: Iterable[tuple[watchfiles.Change, str]],
    state: _State,
    echo: Callable[[str], None],
) -> None:
    """Rebuild what the changed files touch: one leaflet per changed YAML file, else all."""
    paths = sorted({Path(name) for _, name in changes})
    echo(f"Changed: {', '.join(project.relative(path) for path in paths)}")
    try:
        references = () if state.snapshot()[1] else _references(project, paths)
    except Exception as error:
        _fail_on(error, state, echo)
        return
    _build(project, folder, references, state, echo)


def _references(project: Project, paths: Sequence[Path]) -> tuple[str, ...]:
    """The references of the changed leaflet files, or () for "rebuild all".

    Everything is rebuilt after a layout change, when a file went away or is not a leaflet
    (a picture, the register), and after a failed build, so that a success means every page
    is current. References come from the loaded files, not guessed from their names.
    """
    leaflets = project.leaflets.resolve()
    resolved = [path.resolve() for path in paths]
    if any(path.parent != leaflets or path.suffix not in _LEAFLET_SUFFIXES for path in resolved):
        return ()
    by_path = {source.path.resolve(): source.leaflet.name for source in build.check(project)}
    if any(path not in by_path for path in resolved):
        return ()
    return tuple(sorted({by_path[path] for path in resolved}))


# -- watching ---------------------------------------------------------------------------------


class _SourceFilter(watchfiles.DefaultFilter):
    """Editor droppings, hidden files (such as our own atomic-write temporaries) and the
    preview folder itself (should it be inside a watched folder) are not changes."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return not Path(path).name.startswith(".") and super().__call__(change, path)


def _watch(
    project: Project,
    folder: Path,
    state: _State,
    stop: threading.Event,
    echo: Callable[[str], None],
    on_ready: Callable[[], None],
) -> None:
    """Rebuild on every (debounced) burst of changes until `stop` is set.

    `yield_on_timeout` makes the watcher report in shortly after it starts, so `on_ready` runs
    only once a change can no longer be missed.
    """
    watched = [path for path in (project.leaflets, project.layouts) if path.is_dir()]
    announced = False
    for changes in watchfiles.watch(
        *watched,
        watch_filter=_SourceFilter(ignore_paths=[folder.resolve()]),
        stop_event=stop,
        rust_timeout=_READY_TIMEOUT_MS,
        yield_on_timeout=True,
    ):
        if not announced:
            announced = True
            on_ready()
        if changes:
            _rebuild(project, folder, changes, state, echo)


# -- serving ----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """The standard threading server, on IPv6 too, without reverse DNS at start and without
    tracebacks when a browser drops a connection (it does so on every reload) or a connection
    is dropped for being idle."""

    def __init__(self, address: tuple[str, int], handler: Callable[..., Any]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)
        # Known only once bound: port 0 leaves the port to the system.
        self.hosts = _allowed_hosts(address[0], self.server_address[1])

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's full name, which can hang without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]  # type: ignore[assignment]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _listen(host: str, port: int, folder: Path, state: _State) -> _Server:
    """Bind before building, so a port that is taken is said at once, as a user's error."""
    handler = functools.partial(_Handler, root=folder.resolve(), state=state)
    try:
        return _Server((host, port), handler)
    except OSError as error:
        raise LeafletError(
            f"serve: cannot listen on {host}:{port} ({error.strerror or error}); "
            "choose another port with --port"
        ) from None


def _address(server: socketserver.TCPServer) -> str:
    host, port = server.server_address[:2]  # type: ignore[misc]
    return f"http://{_bracketed(str(host))}:{port}/"


def _bracketed(host: str) -> str:
    """A host as it appears in a URL or a `Host` header: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _local_address(server: socketserver.TCPServer) -> str:
    """Where a browser on this computer finds the preview (not 0.0.0.0, should it be bound)."""
    host, port = server.server_address[:2]  # type: ignore[misc]
    if host in _ANY_ADDRESS:
        return f"http://127.0.0.1:{port}/"
    return _address(server)


def _allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The `Host` headers answered: the local names and the host the user chose to bind, each
    bare or with the real port, compared in lower case (host names ignore case).

    Checking the name defeats DNS rebinding: a page from evil.example that makes its name
    resolve to 127.0.0.1 still sends `Host: evil.example`, so it cannot read the preview.
    A wildcard bind (0.0.0.0) adds no name: only this computer's names are answered.
    """
    names = set(_LOCAL_NAMES)
    if host not in _ANY_ADDRESS:
        names.add(_bracketed(host))
    return frozenset(form.lower() for name in names for form in (name, f"{name}:{port}"))


class _Handler(BaseHTTPRequestHandler):
    """GET and HEAD of files inside the preview folder, with the reload script and the latest
    error added to every HTML page; the build counter at RELOAD_PATH. Nothing is logged.

    Every request, whatever its method, first passes the `Host` check in `parse_request`;
    methods other than GET and HEAD are then refused with 405 there too, in one place.
    """

    server_version = f"build-leaflets/{__version__}"

    def __init__(self, *args: Any, root: Path, state: _State) -> None:
        self.root = root
        self.state = state
        # StreamRequestHandler.setup applies this to the socket: each read or write that waits
        # longer ends the connection (quietly, see handle_one_request and _Server.handle_error).
        self.timeout = IDLE_TIMEOUT  # type: ignore[misc]
        super().__init__(*args)

    def parse_request(self) -> bool:
        """Parse as usual, then refuse a foreign `Host` (421) or another method (405).

        Returning False tells handle_one_request that the answer has been sent, so no do_*
        method runs, for any method, known or not.
        """
        if not super().parse_request():
            return False
        head = self.command == "HEAD"
        given = self.headers.get_all("Host") or []
        if len(given) != 1 or given[0].strip().lower() not in cast(_Server, self.server).hosts:
            url = _local_address(cast(_Server, self.server))
            text = _MISDIRECTED.format(url=url).encode()
            self.close_connection = True
            self._send(421, "text/plain; charset=utf-8", text, body=not head)
            return False
        if self.command not in _ANSWERED_METHODS:
            text = b"The preview only shows pages: it answers GET and HEAD.\n"
            self.close_connection = True
            self._send(405, "text/plain; charset=utf-8", text, body=True, allow=True)
            return False
        return True

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for builds and their errors."""

    def _answer(self, *, body: bool) -> None:
        url_path = urlsplit(self.path).path
        builds, error = self.state.snapshot()
        if url_path == RELOAD_PATH:
            self._send(200, "text/plain; charset=utf-8", str(builds).encode(), body)
            return
        relative = unquote(url_path).lstrip("/")
        found = _find_file(self.root, relative)
        if found is None:
            twin = _draft_twin(relative)
            if twin is not None and _find_file(self.root, twin) is not None:
                self._redirect(f"/{twin}")
                return
            page = _inject(_NOT_FOUND, builds, error)
            self._send(404, "text/html; charset=utf-8", page, body)
            return
        kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        try:
            data = found.read_bytes()
        except OSError:  # replaced or removed by a rebuild since it was found
            self._send(404, "text/html; charset=utf-8", _inject(_NOT_FOUND, builds, error), body)
            return
        if kind == "text/html":
            data, kind = _inject(data, builds, error), "text/html; charset=utf-8"
        self._send(200, kind, data, body)

    def _send(
        self, status: int, kind: str, data: bytes, body: bool, *, allow: bool = False
    ) -> None:
        self.send_response(status)
        if allow:
            self.send_header("Allow", ", ".join(_ANSWERED_METHODS))
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a preview is never current for long
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _find_file(root: Path, relative: str) -> Path | None:
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


def _draft_twin(relative: str) -> str | None:
    """Where a published file's draft lives in the preview, for the catalogue's links."""
    page = _PUBLISHED_PAGE.fullmatch(relative)
    if page:
        return f"drafts/{page[1]}.html"
    document = _PUBLISHED_PDF.fullmatch(relative)
    if document:
        return f"drafts/{document[1]}-v{document[2]}{document[3]}-draft.pdf"
    return None


def _inject(page: bytes, builds: int, error: str | None) -> bytes:
    """The page as served: the error banner (if any) first in <body>, the reload script last."""
    script = (_RELOAD_SCRIPT % (builds, RELOAD_PATH)).encode()
    end = _BODY_END.search(page)
    at_end = end.start() if end else len(page)
    page = page[:at_end] + script + page[at_end:]
    if error is None:
        return page
    banner = (_BANNER % html.escape(error)).encode()
    start = _BODY_TAG.search(page)
    at_start = start.end() if start else 0
    return page[:at_start] + b"\n" + banner + page[at_start:]
