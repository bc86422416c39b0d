"""Server: the preview's HTTP server and its routes. Every request first passes the `Host`
check (no DNS rebinding); files of the preview folder are served by GET and HEAD; the editor's
forms are served and posted under /edit/ and /new, where every POST also needs this session's
CSRF token and a matching `Origin` (see `editing`)."""

from __future__ import annotations

import functools
import mimetypes
import socket
import socketserver
import sys
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from build_leaflets import __version__, assets
from build_leaflets.errors import LeafletError
from build_leaflets.serve.editing import (
    EDIT_PREFIX,
    MAX_FORM_BYTES,
    NEW_PATH,
    STATIC_PREFIX,
    Answer,
    Editor,
    Forbidden,
    post_route,
)
from build_leaflets.serve.pages import (
    NOT_FOUND,
    RELOAD_PATH,
    draft_twin,
    edit_link,
    find_file,
    inject,
)
from build_leaflets.serve.rebuild import State

# Seconds a connection may wait for its client before it is dropped. Each connection has a
# thread of its own, so without a limit a client that connects and sends nothing (slowloris)
# would hold a thread for ever. Read when a connection is accepted, so tests can lower it.
IDLE_TIMEOUT = 30.0
# The names under which this computer reaches the preview; any other `Host` is refused.
_LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
_ANSWERED_METHODS = ("GET", "HEAD", "POST")
_ANY_ADDRESS = ("", "0.0.0.0", "::")
# The editor's pages take scripts and styles only from the preview itself, and are never shown
# inside another site's frame (a click there could be someone else's).
_EDITOR_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; font-src data:; script-src 'self'; "
        "style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),  # not no-referrer: that makes a POST's Origin "null"
)

# An asset's name is its checksum (see `assets`): the same URL never means other bytes, so a
# browser may keep it for a year without asking again. Everything else is never cached.
_FOR_EVER = "public, max-age=31536000, immutable"
_NEVER = "no-store"

_MISDIRECTED = """This preview only answers requests from this computer, to {url}.
Open {url} in a browser on the computer that runs `build-leaflets serve`.
"""


class Server(ThreadingHTTPServer):
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


def listen(host: str, port: int, folder: Path, state: State, editor: Editor) -> Server:
    """Bind before building, so a port that is taken is said at once, as a user's error."""
    handler = functools.partial(_Handler, root=folder.resolve(), state=state, editor=editor)
    try:
        return Server((host, port), handler)
    except OSError as error:
        raise LeafletError(
            f"serve: cannot listen on {host}:{port} ({error.strerror or error}); "
            "choose another port with --port"
        ) from None


def address(server: socketserver.TCPServer) -> str:
    host, port = server.server_address[:2]  # type: ignore[misc]
    return f"http://{_bracketed(str(host))}:{port}/"


def _is_asset(root: Path, path: Path) -> bool:
    """Whether a file found in the preview folder is one of its assets: directly in assets/
    and named by a checksum (anything else there is served as any other file)."""
    return path.parent == root / assets.FOLDER and assets.is_name(path.name)


def _bracketed(host: str) -> str:
    """A host as it appears in a URL or a `Host` header: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _local_address(server: socketserver.TCPServer) -> str:
    """Where a browser on this computer finds the preview (not 0.0.0.0, should it be bound)."""
    host, port = server.server_address[:2]  # type: ignore[misc]
    if host in _ANY_ADDRESS:
        return f"http://127.0.0.1:{port}/"
    return address(server)


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

    def __init__(self, *args: Any, root: Path, state: State, editor: Editor) -> None:
        self.root = root
        self.state = state
        self.editor = editor
        # StreamRequestHandler.setup applies this to the socket: each read or write that waits
        # longer ends the connection (quietly, see handle_one_request and Server.handle_error).
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
        if len(given) != 1 or given[0].strip().lower() not in cast(Server, self.server).hosts:
            url = _local_address(cast(Server, self.server))
            text = _MISDIRECTED.format(url=url).encode()
            self.close_connection = True
            self._send(421, "text/plain; charset=utf-8", text, body=not head)
            return False
        if self.command not in _ANSWERED_METHODS:
            text = b"The preview answers GET and HEAD, and POST from its own forms.\n"
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

    def do_POST(self) -> None:
        """A form of the editor: refused (403) without this session's CSRF token and the
        preview's own `Origin`, before anything else is read or done."""
        url = urlsplit(self.path)
        route = post_route(url.path)
        if route is None:
            self._send(404, "text/html; charset=utf-8", NOT_FOUND, True)
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            self.close_connection = True
            text = b"A form of the preview is at most 2 MB; this one is larger, or unsized.\n"
            self._send(413, "text/plain; charset=utf-8", text, True)
            return
        raw = self.rfile.read(int(length))
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        if kind != "application/x-www-form-urlencoded":
            pairs = []
        session, _new = self.editor.session(self.headers.get("Cookie"))
        token = self.headers.get("X-CSRF-Token") or dict(pairs).get("csrf_token")
        origins = {f"http://{host}" for host in cast(Server, self.server).hosts}
        try:
            self.editor.check_post(session, token, self.headers.get("Origin"), origins)
        except Forbidden as refused:
            self._send(403, "text/plain; charset=utf-8", f"{refused}\n".encode(), True)
            return
        what, reference = route
        try:
            if what == "check":
                answer = self.editor.post_check(reference, pairs, session)
            elif reference is None:
                answer = self.editor.post_new(pairs, session)
            else:
                answer = self.editor.post_edit(reference, pairs, session)
        except (OSError, LeafletError) as error:  # the file could not be read or written
            message = f"The leaflet could not be saved: {error}\n".encode()
            self._send(500, "text/plain; charset=utf-8", message, True)
            return
        self._send_answer(answer, True)

    def _editor_page(self, url_path: str, query: str) -> Answer | None:
        """A GET of the editor: a leaflet's form, the new-leaflet form, or their script."""
        if url_path.startswith(STATIC_PREFIX):
            return self.editor.static(url_path[len(STATIC_PREFIX) :])
        session, new = self.editor.session(self.headers.get("Cookie"))
        answer: Answer | None = None
        if url_path == NEW_PATH:
            answer = self.editor.new_page(session)
        elif url_path.startswith(EDIT_PREFIX):
            reference = unquote(url_path[len(EDIT_PREFIX) :])
            answer = self.editor.edit_page(reference, session, saved="saved=1" in query)
        if answer is not None and new:
            answer = replace(answer, headers=(*answer.headers, self.editor.cookie_header(session)))
        return answer

    def _send_answer(self, answer: Answer, body: bool) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.kind)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (*answer.headers, *_EDITOR_HEADERS):
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(answer.body)

    def _answer(self, *, body: bool) -> None:
        url = urlsplit(self.path)
        url_path = url.path
        builds, error = self.state.snapshot()
        if url_path == "/favicon.ico":  # browsers ask for it; the preview has none
            self._send(204, "image/x-icon", b"", body)
            return
        editor = self._editor_page(url_path, url.query)
        if editor is not None:
            self._send_answer(editor, body)
            return
        if url_path == RELOAD_PATH:
            self._send(200, "text/plain; charset=utf-8", str(builds).encode(), body)
            return
        relative = unquote(url_path).lstrip("/")
        found = find_file(self.root, relative)
        if found is None:
            twin = draft_twin(relative)
            if twin is not None and find_file(self.root, twin) is not None:
                self._redirect(f"/{twin}")
                return
            page = inject(NOT_FOUND, builds, error)
            self._send(404, "text/html; charset=utf-8", page, body)
            return
        kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        try:
            data = found.read_bytes()
        except OSError:  # replaced or removed by a rebuild since it was found
            self._send(404, "text/html; charset=utf-8", inject(NOT_FOUND, builds, error), body)
            return
        if _is_asset(self.root, found):
            self._send(200, assets.content_type(found.name), data, body, cache=_FOR_EVER)
            return
        if kind == "text/html":
            data = inject(data, builds, error, edit_link(relative))
            kind = "text/html; charset=utf-8"
        self._send(200, kind, data, body)

    def _send(
        self,
        status: int,
        kind: str,
        data: bytes,
        body: bool,
        *,
        allow: bool = False,
        cache: str = _NEVER,  # a preview is never current for long; an asset always is
    ) -> None:
        self.send_response(status)
        if allow:
            self.send_header("Allow", ", ".join(_ANSWERED_METHODS))
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
