"""Where an archival PDF's time goes inside WeasyPrint: a profile of one warm worker-like
process laying out the archival PDF of a few generated leaflets, grouped by what the code
does. Not a test.

    .venv/bin/python benchmarks/breakdown.py            # 8 leaflets, best of the rounds
    .venv/bin/python benchmarks/breakdown.py --n 20

Each function's own time (cProfile's "tottime") is put in a group by the file it is in; time
in C functions (regular expressions, zlib, cffi calls into Pango and HarfBuzz) goes to the
group of the Python function that called them. Garbage collection is timed on its own, with
`gc.callbacks`, and is also inside the other groups' figures. The profiler slows Python code
more than C code, so the shares are a guide to where to look, not exact costs.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench

#: (group, fragments of a file's path), first match wins.
GROUPS = (
    ("layout (boxes to pages)", ("weasyprint/layout/",)),
    ("drawing (pages to PDF operators)", ("weasyprint/draw/", "weasyprint/stacking.py")),
    (
        "CSS parse and cascade",
        ("weasyprint/css/", "tinycss2/", "cssselect2/"),
    ),
    ("box tree (formatting structure)", ("weasyprint/formatting_structure/",)),
    ("text shaping and line breaks (Pango)", ("weasyprint/text/",)),
    ("PDF writing: objects, fonts, tags, metadata", ("weasyprint/pdf/", "pydyf/")),
    ("font subsetting (fontTools)", ("fontTools/",)),
    ("HTML parse", ("tinyhtml5/", "weasyprint/html.py")),
    ("images", ("weasyprint/images.py", "PIL/")),
    ("this project (render, finishing, attachments)", ("build_leaflets/",)),
    ("Jinja templates and Markdown", ("jinja2/", "markdown_it/", "<template>")),
)


def group_of(filename: str) -> str:
    for name, fragments in GROUPS:
        if any(fragment in filename for fragment in fragments):
            return name
    return "other (Python's own library, pypdf, ...)"


def shares(stats: pstats.Stats) -> dict[str, float]:
    """Seconds by group, C functions' time given to their callers' groups."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, callers) in raw.items():
        if filename == "~":  # a C function: split by who called it
            for (caller_file, _l, _n), edge in callers.items():
                group = group_of(caller_file)
                found[group] = found.get(group, 0.0) + edge[2]
            continue
        group = group_of(filename)
        found[group] = found.get(group, 0.0) + tottime
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="leaflets to lay out (default 8)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leaflet-profile-") as temporary:
        project_dir = bench.make_project(Path(temporary) / "p", options.n)
        from build_leaflets import produce  # noqa: PLC0415
        from build_leaflets.register import ARCHIVAL  # noqa: PLC0415

        project, sources = bench._sources(project_dir, options.n)
        bench._start_like_a_worker(project)
        jobs = [produce.Job(source, (ARCHIVAL,)) for source in sources]
        for job in jobs[:2]:  # warm: fonts, stylesheets, caches
            produce.produce(project, job)
        collecting = [0.0]
        started: list[float] = []

        def watch(phase: str, _info: dict[str, int]) -> None:
            if phase == "start":
                started.append(time.perf_counter())
            elif started:
                collecting[0] += time.perf_counter() - started.pop()

        gc.callbacks.append(watch)
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        for job in jobs:
            produce.produce(project, job)
        profiler.disable()
        wall = time.perf_counter() - began
        gc.callbacks.remove(watch)
    found = shares(pstats.Stats(profiler))
    total = sum(found.values())
    print(f"{len(jobs)} archival PDFs, {wall:.2f} s under the profiler\n")
    print("| where the time goes | share |")
    print("| --- | --- |")
    for name, seconds in sorted(found.items(), key=lambda item: -item[1]):
        print(f"| {name} | {seconds / total:.0%} |")
    print(f"| (garbage collection, inside the rows above) | {collecting[0] / wall:.0%} |")


if __name__ == "__main__":
    main()
