"""Preview server: real leaflet files, a real server on 127.0.0.1 (port 0), real HTTP requests.

Each wait is bounded and fails saying what never appeared; nothing asserts how long anything took.
"""

from __future__ import annotations

import html
import http.client
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from build_leaflets import build
from build_leaflets.config import load_project
from build_leaflets.serve import RELOAD_PATH, serve
from build_leaflets.serve import server as serve_module
from tests.conftest import SAMPLES, tree

STARTUP = 90.0  # seconds for the first build (WeasyPrint's import and every draft PDF)
WAIT = 20.0  # seconds for a rebuild to show
STOP = 10.0  # seconds for the server to end once asked

PSY_0101 = SAMPLES[0]
SENTENCE = "Integrated psychological therapy is a talking therapy."
EDITED = "Integrated psychological therapy is a talking therapy that was just edited."
BANNER = re.compile(r'<div role="alert"[^>]*>.*?<pre[^>]*>(.*?)</pre>', re.DOTALL)


@dataclass
class Preview:
    """A running `serve` and what it printed."""

    root: Path
    url: str
    stop: threading.Event
    thread: threading.Thread
    said: list[str]

    def get(self, path: str) -> tuple[int, str]:
        """Status and text of a page, as a browser would fetch it (following redirects)."""
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def page(self, path: str) -> str:
        status, text = self.get(path)
        assert status == 200, f"GET {path} answered {status}"
        return text

    def status_of_raw(self, path: str) -> int:
        """The status for exactly this request line, with nothing normalised by a client."""
        address = urlsplit(self.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        try:
            connection.request("GET", path)
            return connection.getresponse().status
        finally:
            connection.close()

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None
        return port

    def raw(
        self, path: str = "/", *, hosts: tuple[str, ...], method: str = "GET"
    ) -> tuple[int, http.client.HTTPMessage, str]:
        """Status, headers and text for a request with exactly these `Host` headers (none, one
        or several), as a DNS-rebinding page or another program could send it."""
        address = urlsplit(self.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for host in hosts:
                connection.putheader("Host", host)
            connection.endheaders()
            answer = connection.getresponse()
            return answer.status, answer.headers, answer.read().decode()
        finally:
            connection.close()

    def builds(self) -> int:
        return int(self.page(RELOAD_PATH))

    def wait_for(self, what: str, condition: Callable[[], bool]) -> None:
        """Poll in small sleeps, up to WAIT seconds, then fail saying what never happened."""
        deadline = time.monotonic() + WAIT
        while not condition():
            if time.monotonic() > deadline:
                said = "\n".join(self.said)
                pytest.fail(f"within {WAIT:g} s the preview did not show {what}; it said:\n{said}")
            time.sleep(0.1)


@pytest.fixture
def start_preview(make_project: Callable[..., Path]) -> Iterator[Callable[..., Preview]]:
    """Start `serve` in a thread on a free port for a project of the given leaflets; every
    preview is stopped afterwards, and must have ended without an exception."""
    started: list[Preview] = []
    crashed: list[BaseException] = []

    def start(*leaflets: Path) -> Preview:
        root = make_project(*leaflets)
        stop, ready, urls, said = threading.Event(), threading.Event(), [], []

        def on_ready(url: str) -> None:
            urls.append(url)
            ready.set()

        def run() -> None:
            try:
                serve(load_project(root), port=0, stop=stop, ready=on_ready, echo=said.append)
            except BaseException as error:
                crashed.append(error)
                ready.set()

        thread = threading.Thread(target=run, name="serve-under-test", daemon=True)
        thread.start()
        assert ready.wait(STARTUP), f"serve was not ready within {STARTUP:g} s: {said}"
        assert not crashed, f"serve failed to start: {crashed[0]!r}"
        preview = Preview(root, urls[0], stop, thread, said)
        started.append(preview)
        return preview

    yield start
    for preview in started:
        preview.stop.set()
        preview.thread.join(STOP)
    assert not crashed, f"serve raised {crashed[0]!r}"


def _banner(page: str) -> str | None:
    """The error message shown at the top of a served page, unescaped, or None."""
    found = BANNER.search(page)
    return html.unescape(found[1]) if found else None


def test_first_build_is_served_and_nothing_is_published(start_preview):
    preview = start_preview()  # every sample, with the publication register
    register = preview.root / "leaflets" / "register.csv"
    registered = register.read_bytes()

    leaflet = preview.page("/drafts/PSY-0101.html")
    assert "<title>Integrated psychological therapy (DRAFT)</title>" in leaflet
    assert RELOAD_PATH in leaflet
    assert _banner(leaflet) is None
    index = preview.page("/index.html")
    assert "Integrated psychological therapy" in index
    assert preview.page("/") == index

    # The catalogue links approved leaflets to published pages; the preview has their drafts.
    with urllib.request.urlopen(preview.url + "PSY-0101.html", timeout=10) as answer:
        assert answer.url == preview.url + "drafts/PSY-0101.html"

    # The reload script is added as pages are served, not written into the files.
    on_disk = (preview.root / "output" / "preview" / "drafts" / "PSY-0101.html").read_text()
    assert RELOAD_PATH not in on_disk
    assert register.read_bytes() == registered
    assert {path.split("/")[0] for path in tree(preview.root / "output")} == {"preview"}


def test_an_edit_is_rebuilt_and_open_pages_are_told_to_reload(start_preview):
    preview = start_preview(PSY_0101)
    source = preview.root / "leaflets" / PSY_0101.name
    assert SENTENCE in preview.page("/drafts/PSY-0101.html")
    before = preview.builds()

    source.write_text(source.read_text().replace(SENTENCE, EDITED))

    preview.wait_for("the edited sentence", lambda: EDITED in preview.page("/drafts/PSY-0101.html"))
    preview.wait_for("a new build number", lambda: preview.builds() > before)
    assert f'var seen = "{preview.builds()}"' in preview.page("/drafts/PSY-0101.html")
    assert not (preview.root / "leaflets" / "register.csv").exists()


def test_a_broken_edit_is_shown_on_every_page_until_it_is_fixed(start_preview):
    preview = start_preview(PSY_0101)
    source = preview.root / "leaflets" / PSY_0101.name
    good = source.read_text()
    message = (
        "leaflets/psy-0101.yaml:2:20: YAML syntax error: mapping values are not allowed in "
        "this context"
    )

    source.write_text(good.replace("reference: PSY-0101", "reference: PSY-0101: oops"))

    preview.wait_for(
        "the error banner",
        lambda: message in (_banner(preview.page("/drafts/PSY-0101.html")) or ""),
    )
    assert message in (_banner(preview.page("/index.html")) or "")
    assert 'role="alert"' in preview.page("/drafts/PSY-0101.html")
    assert SENTENCE in preview.page("/drafts/PSY-0101.html"), "the last good page stays"
    assert any(message in line for line in preview.said), "the terminal shows the error too"
    broken = preview.builds()

    source.write_text(good)

    preview.wait_for(
        "the page without the banner",
        lambda: _banner(preview.page("/drafts/PSY-0101.html")) is None,
    )
    assert preview.builds() > broken
    assert _banner(preview.page("/index.html")) is None


def test_the_error_banner_escapes_the_message(start_preview):
    preview = start_preview(PSY_0101)
    source = preview.root / "leaflets" / PSY_0101.name
    source.write_text(source.read_text().replace("title:", "<i>typo</i>: 1\ntitle:", 1))

    preview.wait_for(
        "the unknown field in the banner",
        lambda: "<i>typo</i>: unknown field" in (_banner(preview.page("/index.html")) or ""),
    )
    page = preview.page("/index.html")
    assert "leaflets/psy-0101.yaml:4:1: &lt;i&gt;typo&lt;/i&gt;: unknown field" in page
    assert "<i>typo</i>" not in page


def test_a_layout_change_rebuilds_every_leaflet(start_preview):
    preview = start_preview(*SAMPLES[:2])
    stylesheet = preview.root / "layouts" / "leaflet.css"
    stylesheet.write_text(stylesheet.read_text() + "\n/* changed-while-previewing */\n")

    def new_stylesheet(page: str) -> bool:
        """Whether the page links to a stylesheet with the change (a new asset)."""
        found = re.search(r'<link rel="stylesheet" href="\.\./(assets/[^"]+)"', preview.page(page))
        return found is not None and "changed-while-previewing" in preview.page(found[1])

    for page in ("/drafts/PSY-0101.html", "/drafts/PSY-0102.html"):
        preview.wait_for(f"the new stylesheet in {page}", lambda page=page: new_stylesheet(page))


def test_only_files_inside_the_preview_folder_are_served(start_preview):
    preview = start_preview(PSY_0101)
    output = preview.root / "output"
    (output / "pyproject.toml").write_text("decoy beside the preview folder")
    (output / "preview" / "escape.toml").symlink_to(preview.root / "pyproject.toml")

    assert preview.status_of_raw("/drafts/../index.html") == 200
    for path in (
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/%2E%2E/pyproject.toml",
        "/drafts/../../pyproject.toml",
        "/../../pyproject.toml",
        "/%2e%2e/%2e%2e/pyproject.toml",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        f"/{preview.root / 'pyproject.toml'}",
        "/escape.toml",
        "/index.html%00.txt",
    ):
        assert preview.status_of_raw(path) == 404, path


def test_assets_are_cached_for_ever_and_pages_never(start_preview):
    """Files of assets/ are named by their checksum: a browser may keep them a year without
    asking (immutable), each with its type. Pages, and any other file, are never cached."""
    preview = start_preview(PSY_0101)
    page = preview.page("/drafts/PSY-0101.html")
    linked = sorted(set(re.findall(r"\.\./(assets/[a-z0-9.-]+)", page)))
    kinds = {
        ".css": "text/css; charset=utf-8",
        ".woff2": "font/woff2",
        ".jpg": "image/jpeg",
        ".svg": "image/svg+xml",
    }
    assert {Path(name).suffix for name in linked} == set(kinds), linked
    folder = preview.root / "output" / "preview"
    for name in linked:
        with urllib.request.urlopen(preview.url + name, timeout=10) as answer:
            assert answer.status == 200, name
            assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert answer.headers["Content-Type"] == kinds[Path(name).suffix], name
            assert answer.read() == (folder / name).read_bytes()
    (folder / "assets" / "notes.txt").write_text("not an asset")
    for path in ("/drafts/PSY-0101.html", "/index.html", "/assets/notes.txt"):
        status, headers, _text = preview.raw(path, hosts=(f"127.0.0.1:{preview.port}",))
        assert status == 200 and headers["Cache-Control"] == "no-store", path


def test_the_stop_event_ends_the_preview(start_preview):
    preview = start_preview(PSY_0101)
    preview.stop.set()
    preview.thread.join(STOP)
    assert not preview.thread.is_alive(), f"serve was still running {STOP:g} s after stop"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(preview.url, timeout=5)


def test_ctrl_c_ends_the_preview_without_a_traceback(make_project):
    root = make_project(PSY_0101)
    program = (
        "from build_leaflets.config import load_project\n"
        "from build_leaflets.serve import serve\n"
        "serve(load_project(), port=0, ready=lambda url: print('READY', url, flush=True))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", program],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    guard = threading.Timer(STARTUP, process.kill)  # a hung start ends the test, not the run
    guard.start()
    try:
        lines = []
        while not (lines and lines[-1].startswith("READY")):
            line = process.stdout.readline()
            assert line, f"serve ended before it was ready: {''.join(lines)}"
            lines.append(line)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=STOP)
    finally:
        guard.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "Preview stopped." in out


def test_a_request_for_another_host_is_misdirected(start_preview):
    """DNS rebinding: a page from another site whose name now points at 127.0.0.1 reaches the
    preview, but its requests still name that site; they get 421 and nothing of the drafts."""
    preview = start_preview(PSY_0101)
    port = preview.port
    local = f"http://127.0.0.1:{port}/"
    assert SENTENCE in preview.raw("/drafts/PSY-0101.html", hosts=(f"127.0.0.1:{port}",))[2]

    for hosts in (
        (f"evil.example:{port}",),
        ("evil.example",),
        (f"127.0.0.1.evil.example:{port}",),
        (f"localhost.evil.example:{port}",),
        (f"evil.example:{port}@127.0.0.1:{port}",),
        (f"127.0.0.1:{port + 1 if port < 65535 else port - 1}",),  # another port: another site
        (f"127.0.0.1:{port}:{port}",),
        (f"::1:{port}",),
        ("",),
        (),
        (f"127.0.0.1:{port}", f"evil.example:{port}"),
    ):
        for method in ("GET", "HEAD", "POST", "DELETE", "FOO"):
            for path in ("/drafts/PSY-0101.html", RELOAD_PATH, "/"):
                status, headers, text = preview.raw(path, hosts=hosts, method=method)
                assert status == 421, (method, path, hosts)
                assert headers["Content-Type"] == "text/plain; charset=utf-8"
                assert SENTENCE not in text and "<" not in text
                if method == "HEAD":
                    assert text == ""
                else:
                    assert "only answers requests from this computer" in text
                    assert local in text, text


def test_the_local_names_are_answered(start_preview):
    preview = start_preview(PSY_0101)
    port = preview.port
    for host in (
        f"127.0.0.1:{port}",
        f"localhost:{port}",
        f"[::1]:{port}",
        f"LocalHost:{port}",
        "127.0.0.1",
        "localhost",
        "[::1]",
    ):
        status, _, text = preview.raw("/drafts/PSY-0101.html", hosts=(host,))
        assert status == 200, host
        assert SENTENCE in text, host
        status, _, text = preview.raw("/drafts/PSY-0101.html", hosts=(host,), method="HEAD")
        assert (status, text) == (200, ""), host
        assert preview.raw(RELOAD_PATH, hosts=(host,))[0] == 200, host


def test_methods_other_than_get_head_and_post_are_refused(start_preview):
    preview = start_preview(PSY_0101)
    host = f"localhost:{preview.port}"
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"):
        status, headers, text = preview.raw("/drafts/PSY-0101.html", hosts=(host,), method=method)
        assert status == 405, method
        assert headers["Allow"] == "GET, HEAD, POST"
        assert SENTENCE not in text
    # POST goes only to the editor's forms; a page is not a form.
    status, _, text = preview.raw("/drafts/PSY-0101.html", hosts=(host,), method="POST")
    assert status == 404
    assert SENTENCE not in text


def test_an_idle_connection_is_dropped_and_others_are_answered_meanwhile(
    start_preview, monkeypatch, capsys
):
    """A client that connects and sends nothing, or stops halfway through its request, must
    not hold its thread for ever; the preview answers everyone else all the while."""
    monkeypatch.setattr(serve_module, "IDLE_TIMEOUT", 1.0)
    preview = start_preview(PSY_0101)
    address = urlsplit(preview.url)
    silent = socket.create_connection((address.hostname, address.port), timeout=WAIT)
    halfway = socket.create_connection((address.hostname, address.port), timeout=WAIT)
    try:
        halfway.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{preview.port}\r\n".encode())
        assert SENTENCE in preview.page("/drafts/PSY-0101.html")
        assert preview.builds() >= 1
        for idle in (silent, halfway):
            try:
                assert idle.recv(1024) == b"", "the server answered an unfinished request"
            except TimeoutError:
                pytest.fail(f"the server kept an idle connection open for {WAIT:g} s")
        assert SENTENCE in preview.page("/drafts/PSY-0101.html")
    finally:
        silent.close()
        halfway.close()
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert not any("Traceback" in line for line in preview.said)


def test_a_fault_while_rebuilding_is_shown_and_the_preview_carries_on(start_preview):
    """A layout that makes our own code raise (not a LeafletError): the preview says so on
    every page and in the terminal, keeps serving the last pages and recovers on the next save."""
    preview = start_preview(PSY_0101)
    template = preview.root / "layouts" / "index.html.j2"
    good = template.read_text()
    assert "<body>" in good
    template.write_text(good.replace("<body>", "<body>{{ 1 // 0 }}", 1))

    fault = "internal error while building the preview: ZeroDivisionError"
    preview.wait_for(
        "the internal error in the banner",
        lambda: fault in (_banner(preview.page("/drafts/PSY-0101.html")) or ""),
    )
    banner = _banner(preview.page("/index.html")) or ""
    assert fault in banner
    assert "please report it" in banner
    assert "Traceback" not in banner, "the traceback is for the terminal, not the page"
    assert SENTENCE in preview.page("/drafts/PSY-0101.html"), "the last good page stays"
    said = "\n".join(preview.said)
    assert fault in said
    assert "Traceback" in said and "ZeroDivisionError" in said
    broken = preview.builds()

    template.write_text(good)

    preview.wait_for(
        "the page without the banner",
        lambda: _banner(preview.page("/drafts/PSY-0101.html")) is None,
    )
    assert preview.builds() > broken
    assert _banner(preview.page("/index.html")) is None
    assert "The preview builds cleanly again." in preview.said


def test_a_fault_in_the_first_build_still_starts_the_preview(start_preview, monkeypatch):
    """Our own code failing before anything was built: the preview starts anyway, shows the
    fault on every page (even the not-found page) and builds once a file is saved."""
    real_build = build.build
    calls: list[int] = []

    def build_failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("unexpected state")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(build, "build", build_failing_once)
    preview = start_preview(PSY_0101)

    status, page = preview.get("/drafts/PSY-0101.html")
    assert status == 404
    fault = "internal error while building the preview: RuntimeError: unexpected state"
    assert fault in (_banner(page) or "")
    assert any(fault in line for line in preview.said)

    source = preview.root / "leaflets" / PSY_0101.name
    source.write_text(source.read_text().replace(SENTENCE, EDITED))

    preview.wait_for(
        "the page without the banner",
        lambda: (
            preview.get("/drafts/PSY-0101.html")[0] == 200
            and _banner(preview.page("/drafts/PSY-0101.html")) is None
        ),
    )
    assert EDITED in preview.page("/drafts/PSY-0101.html")
