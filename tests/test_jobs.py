"""Parallel builds: the same files, whatever the number of workers; Ctrl-C stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from build_leaflets import produce
from build_leaflets.cli import cli
from build_leaflets.load import PARALLEL_FROM
from tests.conftest import DATA, SAMPLES, tree


def test_two_workers_give_the_same_files_and_messages(runner, make_project) -> None:
    root = make_project(*SAMPLES)
    one = runner.invoke(cli, ["build", "--jobs", "1", "--out", "one"])
    two = runner.invoke(cli, ["build", "--jobs", "2", "--out", "two"])
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    assert tree(root / "one") == tree(root / "two")
    # the second build restores what the first registered; the leaflets come in the same order
    first = [line.split(":")[0] for line in one.output.splitlines() if ": published " in line]
    second = [line.split(":")[0] for line in two.output.splitlines() if ": restored " in line]
    assert first == second == ["PSY-0101 v2", "PSY-0102 v2", "PSY-0103 v1", "PSY-0104 v1"]


def test_a_failing_leaflet_does_not_stop_the_others_in_parallel(runner, make_project) -> None:
    root = make_project(*SAMPLES[:3])
    template = root / "layouts" / "leaflet.html.j2"
    template.write_text(
        template.read_text().replace(
            "</head>",
            '{% if leaflet.reference == "PSY-0102" %}<img src="file:///etc/hostname">{% endif %}'
            "</head>",
        )
    )
    result = runner.invoke(cli, ["build", "--jobs", "2"])
    assert result.exit_code == 1
    assert "PSY-0102: failed: leaflets/psy-0102.yaml: refused to read file:///etc/hostname" in (
        result.output
    )
    assert (root / "output/pdf/PSY-0101/PSY-0101-v2.pdf").is_file()
    assert (root / "output/pdf/PSY-0103/PSY-0103-v1.pdf").is_file()
    assert not (root / "output/pdf/PSY-0102").exists()


def test_ctrl_c_stops_cleanly_and_leaves_no_partial_file(make_project) -> None:
    root = make_project(*SAMPLES)
    for copy in range(5, 12):  # enough leaflets that the build is still running when stopped
        text = SAMPLES[copy % 4].read_text().replace("PSY-010", f"PSY-02{copy:02d}-")
        (root / "leaflets" / f"psy-02{copy:02d}-{copy % 4 + 1}.yaml").write_text(text)
    process = subprocess.Popen(
        [sys.executable, "-m", "build_leaflets", "build", "--jobs", "2"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CI": "true"},
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # one leaflet done: the pool is busy with the rest
    assert first, process.stderr.read() if process.stderr else ""
    process.send_signal(signal.SIGINT)
    try:
        _out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("the build did not stop within 60 s of Ctrl-C") from None
    assert process.returncode != 0
    assert "Traceback" not in err
    leftovers = [p for p in root.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    for pdf in (root / "output").rglob("*.pdf"):
        assert pdf.read_bytes().rstrip().endswith(b"%%EOF"), f"{pdf} is incomplete"
    time.sleep(0)  # nothing else to wait for: the process has exited


def test_large_catalogue_checked_in_parallel_reports_the_same(runner, make_project) -> None:
    text = (DATA / "minimal.yaml").read_text()
    files = [
        (f"tst-{n:04d}.yaml", text.replace("TST-0001", f"TST-{n:04d}"))
        for n in range(PARALLEL_FROM + 5)
    ]
    files[7] = ("tst-0007.yaml", files[7][1].replace("version: 1", "version: seven"))
    files[60] = ("tst-0060.yaml", files[60][1].replace("title:", "titel:"))
    make_project(*files)
    serial = runner.invoke(cli, ["check", "--jobs", "1"])
    parallel = runner.invoke(cli, ["check", "--jobs", "2"])
    assert serial.exit_code == parallel.exit_code == 1
    assert parallel.output == serial.output
    assert parallel.output.splitlines()[0].startswith("leaflets/tst-0007.yaml:2:10: version:")
    # with the two mistakes mended, every leaflet is measured, in order
    root = Path.cwd()
    (root / "leaflets" / "tst-0007.yaml").write_text(files[6][1].replace("TST-0006", "TST-0007"))
    (root / "leaflets" / "tst-0060.yaml").write_text(files[59][1].replace("TST-0059", "TST-0060"))
    good = runner.invoke(cli, ["check", "--jobs", "2"])
    assert good.exit_code == 0, good.output
    measured = [line.split(":")[0] for line in good.output.splitlines() if "reading ease" in line]
    assert measured == [f"leaflets/tst-{n:04d}.yaml" for n in range(PARALLEL_FROM + 5)]


def test_a_build_with_nothing_to_do_starts_no_workers(runner, make_project, monkeypatch) -> None:
    make_project(*SAMPLES[2:])
    assert runner.invoke(cli, ["build", "--jobs", "2"]).exit_code == 0

    def refuse(*args, **kwargs):
        raise AssertionError("a worker pool was started for a build with nothing to do")

    monkeypatch.setattr(produce, "ProcessPoolExecutor", refuse)
    again = runner.invoke(cli, ["build", "--jobs", "2"])
    assert again.exit_code == 0, again.output
    assert "are up to date" in again.output
