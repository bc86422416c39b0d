"""Benchmark build_leaflets at 60, 480 and 5,000 leaflets: memory, no-op builds and check.
Not a test: nothing here asserts on time. Run it as `bench.py --scale` (about 8 minutes on
2 cores); its figures go under "scale" in benchmarks/last-run.json.

For each catalogue size, in one run, side by side with the code of `--baseline` (the last
commit before workers were started from a small warm process and before the file index):

1. memory: a build of 8 of the leaflets (3 PDFs each) with --jobs 2, in a project of its own,
   after the whole catalogue is loaded; the peak RSS of the largest worker and of the build;
2. check: cold (no memo) and warm (the memo of the run before), and the baseline's check;
3. a build with nothing to do: the steady figure (a second no-op build), the first no-op build
   after the build, and the baseline's steady figure.

Laying out 15,000 PDFs takes hours on 2 cores, so the catalogue the no-op builds find is made
by a build in which each PDF's layout is replaced by a copy of a real PDF of the same kind
(laid out once, with the leaflet's name added as a PDF comment so every file differs). Pages,
register, memo and file index are all the real build's. A no-op build reads no PDF's contents
beyond its checksum, so it does the same work as after a real build of that size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench

#: Before the warm worker process, the file index, the memo in check and the page hash.
SCALE_BASE = "e7cbd2d"
SIZES = (60, 480, 5000)
CHOSEN = 8


def fabricate(project: Path) -> None:
    """Build `project` with each PDF's layout replaced by a copy of a real one (see above),
    with the code PYTHONPATH names first."""
    from build_leaflets import produce  # noqa: PLC0415
    from build_leaflets.cli import cli  # noqa: PLC0415

    real = produce._lay_out
    made: dict[str, bytes] = {}

    def copy(project_: Any, job: Any, variant: str, pictures: Any) -> Any:
        if variant not in made:
            laid_out = real(project_, job, variant, pictures)
            if not isinstance(laid_out, bytes):
                return laid_out
            made[variant] = laid_out
        return made[variant] + f"\n% {job.source.leaflet.name}\n".encode()

    produce._lay_out = copy  # type: ignore[assignment]
    os.chdir(project)
    status = cli(["build", "--jobs", "1"], prog_name="build-leaflets", standalone_mode=False)
    if status:
        raise SystemExit(f"the build of {project} failed ({status})")


def _fabricated(project: Path, code: Path) -> float:
    """Seconds taken to make the built catalogue of `project` with the code in `code`."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--_fabricate", str(project)],
        check=True,
        capture_output=True,
        env={**bench.ENVIRONMENT, "PYTHONPATH": str(code)},  # as the measured commands
    )
    return time.perf_counter() - started


def measure(sizes: tuple[int, ...], baseline: str) -> dict[str, Any]:
    began = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {text}", file=sys.stderr, flush=True)

    figures: dict[str, Any] = {"baseline": baseline, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="leaflet-scale-") as temporary:
        work = Path(temporary)
        code = bench.baseline_code(baseline, work / "baseline-code")
        for size in sizes:
            say(f"{size} leaflets")
            project = bench.make_project(work / f"n{size}", size)
            # The code before reads its own layouts: a twin project with them, same leaflets.
            twin = None
            if code is not None:
                twin = bench.make_project(work / f"n{size}-before", size, layouts=code / "layouts")
            chosen = [f"BEN-{number:04d}" for number in range(1, CHOSEN + 1)]
            row: dict[str, Any] = {}
            say("  check")
            (project / "output").mkdir()
            row["check_cold_s"] = round(bench.run(project, "check", "--jobs", "2")["wall"], 2)
            row["check_warm_s"] = round(bench.run(project, "check", "--jobs", "2")["wall"], 2)
            if twin is not None:
                row["check_before_s"] = round(
                    bench.run(twin, "check", "--jobs", "2", code=code)["wall"], 2
                )
            say("  a whole build, each PDF's layout a copy")
            row["fabricated_build_s"] = round(_fabricated(project, bench.ROOT), 1)
            say("  builds with nothing to do")
            row["noop_first_s"] = round(bench.run(project, "build", "--jobs", "2")["wall"], 2)
            row["noop_s"] = round(bench.run(project, "build", "--jobs", "2")["wall"], 2)
            if twin is not None and code is not None:
                _fabricated(twin, code)
                bench.run(twin, "build", "--jobs", "2", code=code)
                row["noop_before_s"] = round(
                    bench.run(twin, "build", "--jobs", "2", code=code)["wall"], 2
                )
            # In projects of their own: these builds register versions of their own.
            say("  memory: a build of 8 leaflets with the catalogue loaded")
            alone = bench.make_project(work / f"n{size}-memory", size)
            now = bench.run(alone, "build", "--jobs", "2", *chosen)
            row["worker_peak_mb"] = round(now["worker_mb"], 1)
            row["parent_peak_mb"] = round(now["parent_mb"], 1)
            if twin is not None and code is not None:
                twin_alone = bench.make_project(
                    work / f"n{size}-memory-before", size, layouts=code / "layouts"
                )
                before = bench.run(twin_alone, "build", "--jobs", "2", *chosen, code=code)
                row["worker_peak_mb_before"] = round(before["worker_mb"], 1)
                row["parent_peak_mb_before"] = round(before["parent_mb"], 1)
            figures["sizes"][str(size)] = row
            say(f"  {row}")
    figures["seconds"] = round(time.perf_counter() - began, 1)
    return figures


def show(figures: dict[str, Any]) -> None:
    columns = [
        ("worker_peak_mb", "worker_peak_mb_before", "peak RSS of a worker (MB)"),
        ("parent_peak_mb", "parent_peak_mb_before", "peak RSS of the build (MB)"),
        ("check_cold_s", "check_before_s", "check, no memo (s)"),
        ("check_warm_s", "check_before_s", "check, unchanged (s)"),
        ("noop_s", "noop_before_s", "build with nothing to do (s)"),
        ("noop_first_s", "noop_before_s", "first no-op build after a build (s)"),
    ]
    sizes = list(figures["sizes"])
    label_width = max(len(label) for *_, label in columns)
    print(
        f"{'':{label_width}}  " + "  ".join(f"{size + ' now':>10} {'before':>7}" for size in sizes)
    )
    for now, before, label in columns:
        cells = []
        for size in sizes:
            row = figures["sizes"][size]
            cells.append(f"{row.get(now, '-'):>10} {row.get(before, '-'):>7}")
        print(f"{label:{label_width}}  " + "  ".join(cells))
    print(f"(before: {figures['baseline']}; {figures['seconds']} s)")


def main(argv: list[str]) -> None:
    sizes = tuple(int(size) for size in argv[0].split(",")) if argv else SIZES
    figures = measure(sizes, SCALE_BASE)
    figures["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    show(figures)
    path = bench.ROOT / "benchmarks" / "last-run.json"
    stored = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    stored["scale"] = figures
    path.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_fabricate":
        fabricate(Path(sys.argv[2]))
        print(json.dumps({"done": True}))
    else:
        main(sys.argv[1:])
