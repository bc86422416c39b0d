"""Benchmark build_leaflets at catalogue scale; prints a table and JSON. Not a test.

    .venv/bin/python benchmarks/bench.py            # 500 leaflets (about 4 minutes on 2 cores)
    .venv/bin/python benchmarks/bench.py --n 100    # quicker

It makes N realistic, valid leaflets (the sample texts, each with its own reference and a
varying set of sections, 2 to 4 A4 pages) in a temporary project, and measures:

1. raw WeasyPrint time per leaflet on the exact HTML the pipeline produces (HTML to PDF only,
   one process, font configuration reused), against the whole per-leaflet cost of a build
   (load, check, render, PDF, publish) with --jobs 1, less the fixed cost of a build with
   nothing to do: the overhead ratio;
2. a full build with --jobs 1 and with --jobs 2, and their ratio;
3. the same build again with nothing changed;
4. `check` over the whole catalogue;
5. peak memory of the build's parent process and of its busiest worker, at N=100 and at N.

Builds write only the archival PDF (print and large-print files off) so the figures measure
the pipeline, not the number of variants; each build runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "leaflets").glob("*.yaml"))
OPTIONAL = ("first_appointment", "involves", "duration", "benefits", "referral")

# Runs one CLI command in a fresh interpreter and reports its wall time and peak memory (the
# parent's own, and the largest of its worker processes), as JSON on the last line.
_MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    from build_leaflets.cli import cli
    start = time.perf_counter()
    try:
        cli(sys.argv[1:], prog_name="build-leaflets", standalone_mode=False)
    finally:
        wall = time.perf_counter() - start
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({"wall": wall, "parent_mb": own, "worker_mb": workers}))
    """
)


def make_project(folder: Path, count: int, seed: int = 7) -> Path:
    """A project of `count` synthetic leaflets, archival PDFs only."""
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "layouts", folder / "layouts")
    settings = (ROOT / "pyproject.toml").read_text()
    settings = settings.replace("large_print = true", "large_print = false")
    settings = settings.replace(
        "[tool.build_leaflets]\n", "[tool.build_leaflets]\nprint_files = false\n"
    )
    (folder / "pyproject.toml").write_text(settings)
    leaflets = folder / "leaflets"
    leaflets.mkdir()
    chance = random.Random(seed)
    texts = [path.read_text() for path in SAMPLES]
    for number in range(1, count + 1):
        text = texts[number % len(texts)]
        reference = f"BEN-{number:04d}"
        text = re.sub(r"^reference: .*$", f"reference: {reference}", text, flags=re.M)
        text = re.sub(r"^title: (.*)$", rf"title: \1 ({number})", text, count=1, flags=re.M)
        for key in chance.sample(OPTIONAL, k=chance.randint(0, 3)):  # 2 to 4 pages
            text = _drop_section(text, key)
        # Every leaflet's text is its own, so no cache gets a free ride on repeated bodies.
        text = re.sub(r"^(    \S.*\.)$", rf"\1 See note {number}.", text, flags=re.M)
        (leaflets / f"{reference.lower()}.yaml").write_text(text)
    return folder


def _drop_section(text: str, key: str) -> str:
    """Remove one top-level section (its key and everything indented under it)."""
    pattern = re.compile(rf"^{key}:.*?(?=^\S)", re.M | re.S)
    return pattern.sub("", text, count=1)


def run(project: Path, *args: str) -> dict[str, float]:
    """One CLI command in its own process: wall time and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={"CI": "true", "PATH": "/usr/bin:/bin"},
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def raw_weasyprint(project: Path, sample: int) -> float:
    """Seconds per leaflet for WeasyPrint alone on our own print HTML (one process, one font
    configuration, the same options as the pipeline), over `sample` leaflets."""
    sys.path.insert(0, str(ROOT))
    import weasyprint  # noqa: PLC0415

    from build_leaflets import pdf  # noqa: PLC0415
    from build_leaflets.config import load_project  # noqa: PLC0415
    from build_leaflets.load import load_all  # noqa: PLC0415
    from build_leaflets.render import font_css, installed_fonts, render_html  # noqa: PLC0415

    settings = load_project(project)
    sources = load_all(settings)[:sample]
    pages = [render_html(s.leaflet, settings, media="print") for s in sources]
    fonts = pdf._font_config()
    allowed = (settings.layouts, settings.leaflets, installed_fonts().files_dir)
    fetcher = pdf._guarded_fetcher_class()(allowed)
    faces = [pdf._font_stylesheet(font_css(), allowed)]  # as the pipeline: parsed once
    base = settings.layouts.as_uri() + "/"
    weasyprint.HTML(string=pages[0], base_url=base, url_fetcher=fetcher).write_pdf(
        font_config=fonts, pdf_variant=pdf.ARCHIVAL_VARIANT, stylesheets=faces
    )  # warm up: first use loads the fonts
    start = time.perf_counter()
    for page in pages:
        weasyprint.HTML(string=page, base_url=base, url_fetcher=fetcher).write_pdf(
            font_config=fonts, pdf_variant=pdf.ARCHIVAL_VARIANT, stylesheets=faces
        )
    return (time.perf_counter() - start) / len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="leaflets in the catalogue")
    parser.add_argument("--small", type=int, default=100, help="the smaller memory run")
    parser.add_argument("--raw-sample", type=int, default=50, help="leaflets for figure 1")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="leaflet-bench-") as temporary:
        work = Path(temporary)
        big = make_project(work / "big", options.n)
        small = make_project(work / "small", options.small)

        one = run(big, "build", "--jobs", "1", "--out", "out1")
        # right after, on the same machine state: the raw figure drifts less from ours
        raw = raw_weasyprint(big, min(options.raw_sample, options.n))
        two = run(big, "build", "--jobs", "2", "--out", "out2")
        noop = run(big, "build", "--jobs", "1", "--out", "out1")
        check = run(big, "check")
        small_run = run(small, "build", "--jobs", "2")
        identical = _same_tree(big / "out1" / "pdf", big / "out2" / "pdf")

    # Our cost per leaflet: the build's time less what a build with nothing to do costs
    # (start-up, reading the catalogue), spread over the leaflets.
    ours = (one["wall"] - noop["wall"]) / options.n
    figures = {
        "leaflets": options.n,
        "raw_weasyprint_s_per_leaflet": round(raw, 4),
        "our_s_per_leaflet_jobs1": round(ours, 4),
        "overhead_ratio": round(ours / raw, 3),
        "build_jobs1_s": round(one["wall"], 2),
        "build_jobs2_s": round(two["wall"], 2),
        "jobs1_over_jobs2": round(one["wall"] / two["wall"], 3),
        "noop_rebuild_s": round(noop["wall"], 3),
        "check_s": round(check["wall"], 3),
        f"peak_parent_mb_n{options.small}": round(small_run["parent_mb"], 1),
        f"peak_worker_mb_n{options.small}": round(small_run["worker_mb"], 1),
        f"peak_parent_mb_n{options.n}": round(two["parent_mb"], 1),
        f"peak_worker_mb_n{options.n}": round(two["worker_mb"], 1),
        "jobs1_and_jobs2_pdfs_identical": identical,
    }
    goals = {
        "overhead_ratio": "<= 1.10",
        "jobs1_over_jobs2": ">= 1.8",
        "noop_rebuild_s": "<= 1 (N=500)",
        "check_s": "<= 2 (N=500)",
        f"peak_worker_mb_n{options.n}": "<= 150, flat",
    }
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        goal = f"   goal {goals[key]}" if key in goals else ""
        print(f"{key.ljust(width)}  {value}{goal}")
    print(json.dumps(figures))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n")


def _same_tree(one: Path, two: Path) -> bool:
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    return files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file()) and all(
        (one / f).read_bytes() == (two / f).read_bytes() for f in files
    )


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))
    main()
