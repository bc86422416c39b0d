"""Integrity: the publication record holds when builds run at once, are killed, or the machine
refuses. Every test here runs real `build-leaflets` processes, at the same time or killed."""

from __future__ import annotations

import csv
import hashlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from build_leaflets import lock
from build_leaflets.register import read_register
from tests.conftest import DATA, copy_project

MINIMAL = (DATA / "minimal.yaml").read_text()


def _leaflet(number: int, what: str = "A short test leaflet.") -> tuple[str, str]:
    reference = f"TST-{number:04d}"
    text = MINIMAL.replace("TST-0001", reference).replace("A short test leaflet.", what)
    return f"{reference.lower()}.yaml", text


def _project(root: Path, *leaflets: tuple[str, str]) -> Path:
    """A project of our own with archival PDFs only, so each trial is quick."""
    root.mkdir(parents=True, exist_ok=True)
    copy_project(root, *leaflets)
    settings = root / "pyproject.toml"
    text = settings.read_text().replace("large_print = true", "large_print = false")
    heading = "[tool.build_leaflets]\n"
    settings.write_text(text.replace(heading, heading + "print_files = false\n", 1))
    return root


def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "build_leaflets", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CI": "true"},
        start_new_session=True,  # its own process group, so a kill reaches its workers too
    )


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    process = _start(root, *args)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _rows(root: Path) -> list[dict[str, str]]:
    path = root / "leaflets" / "register.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_builds_of_different_leaflets_at_once_lose_no_rows(tmp_path) -> None:
    waited = 0
    for trial in range(4):
        root = _project(tmp_path / f"trial{trial}", *(_leaflet(n) for n in range(1, 5)))
        first = _start(root, "build", "TST-0001", "TST-0002")
        second = _start(root, "build", "TST-0003", "TST-0004")
        outcomes = [process.communicate(timeout=300) for process in (first, second)]
        assert first.returncode == second.returncode == 0, outcomes
        assert all("Registered 1 new PDF(s)" not in out for out, _err in outcomes)
        assert all("Registered 2 new PDF(s)" in out for out, _err in outcomes)
        assert sorted(row["reference"] for row in _rows(root)) == [
            "TST-0001",
            "TST-0002",
            "TST-0003",
            "TST-0004",
        ]
        verified = _run(root, "verify")
        assert verified.returncode == 0, verified.stderr
        assert verified.stdout == "4 PDF(s) match the publication register.\n"
        waited += sum("Waiting for the build started at" in err for _out, err in outcomes)
    assert waited, "the builds never overlapped, so the lock was not exercised"


def test_two_checkouts_publishing_one_version_differently_into_one_folder(tmp_path) -> None:
    """The same reference and version, different text, one shared --out: one publishes, the
    other is refused and says why; the published file is never replaced."""
    for trial in range(4):
        out = tmp_path / f"shared{trial}"
        one = _project(tmp_path / f"one{trial}", _leaflet(1, "The first text."))
        two = _project(tmp_path / f"two{trial}", _leaflet(1, "A second, different text."))
        processes = {root: _start(root, "build", "--out", str(out)) for root in (one, two)}
        outcomes = {root: p.communicate(timeout=300) for root, p in processes.items()}
        codes = sorted(p.returncode for p in processes.values())
        assert codes == [0, 1], outcomes
        winner = next(root for root, p in processes.items() if p.returncode == 0)
        loser = one if winner is two else two
        assert "was published into this folder for another register" in outcomes[loser][1]
        assert str(winner / "leaflets" / "register.csv") in outcomes[loser][1]
        assert "Traceback" not in outcomes[loser][1]
        published = out / "pdf" / "TST-0001" / "TST-0001-v1.pdf"
        assert [row["pdf_sha256"] for row in _rows(winner)] == [_sha(published)]
        assert _rows(loser) == []
        assert not (out / "quarantine").exists()
        page = (out / "TST-0001.html").read_text()
        assert ("first text" in page) == (winner is one)


def test_builds_killed_at_random_points_then_a_layout_change_recover(tmp_path) -> None:
    root = _project(tmp_path / "project", *(_leaflet(n, f"Leaflet {n}.") for n in range(1, 7)))
    chance = random.Random(9)  # fixed, so a failure can be replayed
    for _kill in range(5):
        process = _start(root, "build", "--jobs", "2")
        time.sleep(chance.uniform(0.2, 3.0))
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
        register = read_register(root / "leaflets" / "register.csv", "register")  # still whole
        for row in register.rows:
            assert _sha(root / "output" / row.file) == row.pdf_sha256  # no row without its file
    if not _rows(root):
        assert _run(root, "build", "TST-0001").returncode == 0
    # The one instant no random kill is sure to hit: a PDF in place, its row not yet written.
    lines = (root / "leaflets" / "register.csv").read_text().splitlines(keepends=True)
    (root / "leaflets" / "register.csv").write_text("".join(lines[:-1]))
    orphan = lines[-1].split(",")[0]
    css = root / "layouts" / "leaflet.css"
    css.write_text(css.read_text() + "\nh1 { letter-spacing: 0.02em; }\n")

    result = _run(root, "build")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    moved = [line for line in result.stderr.splitlines() if line.startswith("Moved aside")]
    assert (
        len(moved) == 1
        and f"output/pdf/{orphan}/{orphan}-v1.pdf -> output/quarantine/" in (moved[0])
    )
    kept = list((root / "output" / "quarantine").rglob("*.pdf"))
    assert len(kept) == 1  # moved, never deleted
    assert len(_rows(root)) == 6
    assert list((root / "output").rglob("*.tmp")) == []
    verified = _run(root, "verify")
    assert verified.returncode == 0, verified.stderr


def test_a_pdf_left_unregistered_is_adopted_when_a_fresh_layout_matches(tmp_path) -> None:
    root = _project(tmp_path / "project", _leaflet(1), _leaflet(2))
    assert _run(root, "build").returncode == 0
    register = root / "leaflets" / "register.csv"
    lines = register.read_text().splitlines(keepends=True)
    register.write_text("".join(lines[:-1]))  # as if killed after the PDF, before its row

    result = _run(root, "build")
    assert result.returncode == 0, result.stderr
    assert "TST-0002 v1: adopted output/pdf/TST-0002/TST-0002-v1.pdf" in result.stdout
    assert register.read_text().splitlines(keepends=True)[-1].split(",")[:2] == [
        "TST-0002",
        "1",
    ]
    assert not (root / "output" / "quarantine").exists()


def _read_line(stream, seconds: float) -> str:
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline() if ready else ""


def test_a_second_build_waits_and_says_whom_for_or_refuses_with_no_wait(tmp_path) -> None:
    root = _project(tmp_path / "project", _leaflet(1))
    with lock.hold([lock.register_lock(root / "leaflets")]):
        refused = _run(root, "build", "--no-wait")
        assert refused.returncode == 1
        assert "leaflets: the build started at " in refused.stderr
        assert f"(pid {os.getpid()}) is writing here; try again when it has finished" in (
            refused.stderr
        )
        assert not (root / "output" / "pdf").exists()

        waiting = _start(root, "build")
        said = _read_line(waiting.stderr, 60)
        assert said.startswith("Waiting for the build started at ")
        assert f"(pid {os.getpid()})" in said
        time.sleep(0.5)
        assert waiting.poll() is None  # really waiting
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert "Registered 1 new PDF(s)" in out


def _build_on_a_mount(root: Path, mount: str, folder: str) -> subprocess.CompletedProcess[str]:
    """`build --out folder` in a mount namespace of its own (no privileges needed), where
    `mount` has made `folder` a small or read-only file system."""
    script = f'{mount} && exec "$0" -m build_leaflets build --out {folder}'
    return subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", script, sys.executable],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "true"},
        check=False,
    )


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(tmp_path) -> None:
    root = _project(tmp_path / "project", _leaflet(1))
    (root / "small").mkdir()
    result = _build_on_a_mount(root, "mount -t tmpfs -o size=16k tmpfs small", "small")
    assert result.returncode == 1
    assert result.stderr == (
        "small/pdf/TST-0001/TST-0001-v1.pdf: the disk is full; free some space (or build into "
        "another folder with --out) and run the command again. Nothing was half-written.\n"
    )
    assert _rows(root) == []


def test_a_read_only_folder_is_one_line(tmp_path) -> None:
    root = _project(tmp_path / "project", _leaflet(1))
    (root / "locked").mkdir()
    mount = "mount --bind locked locked && mount -o remount,bind,ro locked"
    result = _build_on_a_mount(root, mount, "locked")
    assert result.returncode == 1
    assert result.stderr == (
        "locked/.build.lock: the folder is on a read-only disk; build into a writable "
        "folder with --out. Nothing was half-written.\n"
    )
    assert _rows(root) == []
