"""Benchmark build_leaflets at trust scale: figures side by side, and benchmarks/last-run.json.
Not a test: nothing here asserts on time.

    .venv/bin/python benchmarks/bench.py            # full (about 12 minutes on 2 cores)
    .venv/bin/python benchmarks/bench.py --quick    # under 2 minutes, smaller samples
    .venv/bin/python benchmarks/bench.py --scale    # 60, 480 and 5,000 leaflets (scale.py)

It makes a temporary project of generated leaflets (the sample texts, each with its own
reference, title and wording, and a varying set of sections) and measures, in one run:

1. per PDF, in one warm process laid out like a build's worker: our whole archival PDF
   (render, pictures, PDF/A-3a + PDF/UA-1, attachments, finishing) against the fastest
   archival PDF WeasyPrint alone makes from the same HTML with the same tagging (font
   configuration and both stylesheets parsed once, no finishing), and each speed lever
   switched off and on: the press profile inlined as a data: URL or handed over by URL,
   leaflet.css inlined in every page or parsed once per process (the bytes of every PDF are
   compared between the two); and WeasyPrint alone making the large-print and print PDFs
   from our pages too, for the floor below;
2. the same worker-like loop (archival, large print and print PDF per leaflet) with and
   without `gc.freeze()` after start-up, in processes taking turns, and the time the garbage
   collector took;
3. a whole build of K leaflets (every PDF kind the samples' settings make) with --jobs 1 and
   --jobs 2, with this working tree and with the code and layouts of the commit before the
   speed levers (--baseline), every PDF compared between the four builds;
4. a build with nothing to do, and `check`, at 60 and 480 leaflets;
5. peak memory (RSS) of the build's parent and of its largest worker;
6. per PDF against a pandoc-like loop, if pandoc is installed (it is skipped otherwise), and
   the floor: what a build doing nothing but WeasyPrint's own work on the three kinds, two at
   a time, would reach against the same loop.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Source leaflets only: a translation names the leaflet it translates.
SAMPLES = [p for p in sorted((ROOT / "leaflets").glob("*.yaml")) if p.name.count(".") == 1]
OPTIONAL = ("first_appointment", "involves", "duration", "benefits", "referral")
#: The last commit before the speed levers (profile by URL, leaflet.css parsed once per
#: process, gc.freeze in the workers): the whole builds' "before".
LEVERS_BASE = "717381b"

# Runs one CLI command in a fresh interpreter and reports its wall time and peak memory (the
# parent's own, and the largest of its worker processes), as JSON on the last line. A worker's
# peak is its VmHWM, read from /proc every 50 ms while it runs (the last reading before it ends
# is its peak but for the last 50 ms): getrusage's figure for children would count, for a
# process started by fork and exec (as multiprocessing's fork server is), the parent's memory
# at the moment of the fork.
_MEASURE = textwrap.dedent(
    """
    import json, os, resource, sys, threading, time
    from build_leaflets.cli import cli

    peaks = {}
    stop = threading.Event()

    def descendants():
        children = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat") as stat:
                        parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry.name))
        found, todo = [], [os.getpid()]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def watch():
        while not stop.wait(0.05):
            for pid in descendants():
                try:
                    with open(f"/proc/{pid}/status") as status:
                        for line in status:
                            if line.startswith("VmHWM:"):
                                kb = int(line.split()[1])
                                peaks[pid] = max(peaks.get(pid, 0), kb)
                except OSError:
                    pass

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    try:
        cli(sys.argv[1:], prog_name="build-leaflets", standalone_mode=False)
    finally:
        wall = time.perf_counter() - start
        stop.set()
        watcher.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers = max(peaks.values(), default=0) / 1024
        print(json.dumps({"wall": wall, "parent_mb": own, "worker_mb": workers}))
    """
)


# --- the generated project ---------------------------------------------------------------------


def make_project(
    folder: Path, count: int, *, layouts: Path = ROOT / "layouts", seed: int = 7
) -> Path:
    """A project of `count` leaflets made from the samples, with the samples' settings."""
    folder.mkdir(parents=True)
    shutil.copytree(layouts, folder / "layouts")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    leaflets = folder / "leaflets"
    shutil.copytree(ROOT / "leaflets" / "images", leaflets / "images")
    chance = random.Random(seed)
    texts = [path.read_text(encoding="utf-8") for path in SAMPLES]
    for number in range(1, count + 1):
        text = texts[number % len(texts)]
        reference = f"BEN-{number:04d}"
        text = re.sub(r"^reference: .*$", f"reference: {reference}", text, flags=re.M)
        text = re.sub(r"^title: (.*)$", rf"title: \1 ({number})", text, count=1, flags=re.M)
        for key in chance.sample(OPTIONAL, k=chance.randint(0, 3)):
            text = _drop_section(text, key)
        # Every leaflet's text is its own, so no cache gets a free ride on repeated bodies.
        text = re.sub(r"^(    [A-Z].*\.)$", rf"\1 See note {number}.", text, flags=re.M)
        (leaflets / f"{reference.lower()}.yaml").write_text(text, encoding="utf-8")
    return folder


def _drop_section(text: str, key: str) -> str:
    """Remove one top-level section (its key and everything indented under it)."""
    pattern = re.compile(rf"^{key}:.*?(?=^\S)", re.M | re.S)
    return pattern.sub("", text, count=1)


def baseline_code(revision: str, folder: Path) -> Path | None:
    """The package and layouts of `revision`, unpacked into `folder` (None without git or
    without that commit)."""
    if shutil.which("git") is None:
        return None
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "build_leaflets", "layouts"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


# --- measuring in other processes --------------------------------------------------------------


#: The environment of every measured command: the same for each, whatever the shell's.
ENVIRONMENT = {
    "CI": "true",
    "PATH": "/usr/bin:/bin",
    "LC_ALL": "C.UTF-8",
    "HOME": os.environ.get("HOME", "/tmp"),  # where the fonts cut for web pages are kept
}


def run(project: Path, *args: str, code: Path | None = None) -> dict[str, float]:
    """One CLI command in its own process: wall time and peak memory. `code` is a folder
    whose build_leaflets is imported instead of this working tree's."""
    env = {**ENVIRONMENT, "PYTHONPATH": str(code or ROOT)}  # this tree's code unless told
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    # What the person waits for: the whole process, Python's start and the imports included
    # ("command" is the command alone, once imported).
    figures["command"] = figures["wall"]
    figures["wall"] = elapsed
    return figures


def helper(mode: str, project: Path, *args: str) -> dict[str, Any]:
    """This script in a fresh process, in one of its measuring modes; its JSON answer."""
    done = subprocess.run(
        [sys.executable, __file__, mode, str(project), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


# --- 1. per PDF, one warm worker-like process ---------------------------------------------------


@contextlib.contextmanager
def lever_off(name: str) -> Iterator[None]:
    """The build as it was before one speed lever: "profile" inlines the press profile in the
    print page as a data: URL; "stylesheet" inlines the whole of leaflet.css in every page."""
    from build_leaflets import render  # noqa: PLC0415

    replacements: dict[str, Any]
    if name == "profile":
        replacements = {
            "_icc_url": lambda project, printer: render._data_url(
                render._icc_path(project, printer)
            ),
            "profile_resources": lambda project, printer: {},
        }
    elif name == "stylesheet":
        split = render._split_stylesheet

        def whole(path: Path, mtime: int, size: int) -> tuple[str, str, str]:
            css = split(path, mtime, size)[0]
            return css, css, ""

        replacements = {"_split_stylesheet": whole}
    else:
        raise ValueError(name)
    saved = {attribute: getattr(render, attribute) for attribute in replacements}
    for attribute, value in replacements.items():
        setattr(render, attribute, value)
    try:
        yield
    finally:
        for attribute, value in saved.items():
            setattr(render, attribute, value)


def _sources(project_dir: Path, count: int) -> tuple[Any, list[Any]]:
    sys.path.insert(0, str(ROOT))
    from build_leaflets.config import load_project  # noqa: PLC0415
    from build_leaflets.load import load_all  # noqa: PLC0415

    project = load_project(project_dir)
    sources = [s for s in load_all(project) if not s.leaflet.is_draft][:count]
    return project, sources


def _start_like_a_worker(project: Any, *, freeze: bool = True) -> None:
    from build_leaflets import produce  # noqa: PLC0415

    if freeze:
        produce._start_worker(project)
    else:
        real = gc.freeze
        gc.freeze = lambda: None
        try:
            produce._start_worker(project)
        finally:
            gc.freeze = real
    signal.signal(signal.SIGINT, signal.default_int_handler)  # this process may be stopped


def measure_pdfs(project_dir: Path, count: int, rounds: int) -> dict[str, Any]:
    """Seconds per PDF for each way of making it (best round of `rounds`), and whether the
    ways that must agree gave the same bytes."""
    from build_leaflets import pdf, pictures, produce, render  # noqa: PLC0415
    from build_leaflets.register import ARCHIVAL, LARGE_PRINT, PRINT  # noqa: PLC0415

    project, sources = _sources(project_dir, count)
    _start_like_a_worker(project)
    weasyprint = pdf.load_weasyprint()
    allowed = produce._allowed(project)
    base_url = project.layouts.resolve().as_uri() + "/"
    font_sheet = pdf._font_stylesheet(render.font_css(), tuple(allowed))
    layout_sheet = pdf._layout_stylesheet(
        render.layout_stylesheet(project), base_url, tuple(allowed)
    )
    printer = project.site.printers[project.site.printer]
    # Each kind's pages as the build makes them, for WeasyPrint alone: (html, resources, variant).
    pages: dict[str, list[tuple[str, dict[str, bytes], str | None]]] = {}
    for source in sources:
        shown = source.read_pictures()
        html = render.render_html(source.leaflet, project, media="print", pictures=shown)
        resources = render.picture_resources(project, shown)
        pages.setdefault(ARCHIVAL, []).append((html, resources, pdf.ARCHIVAL_VARIANT))
        html = render.render_html(
            source.leaflet,
            project,
            media="print",
            page_size="A4",
            large_print=project.site.large_print_pt,
            pictures=shown,
        )
        pages.setdefault(LARGE_PRINT, []).append((html, resources, pdf.ARCHIVAL_VARIANT))
        converted = pictures.for_print(shown, project.root / printer.icc_profile)
        html = render.render_html(
            source.leaflet, project, media="print", printer=printer, pictures=converted
        )
        resources = {
            **render.picture_resources(project, converted),
            **render.profile_resources(project, printer),
        }
        pages.setdefault(PRINT, []).append((html, resources, printer.pdfx))

    def raw(kind: str) -> Callable[[], list[bytes]]:
        def make() -> list[bytes]:
            made = []
            for html, resources, variant in pages[kind]:
                fetcher = pdf._guarded_fetcher_class()(allowed, resources)
                made.append(
                    weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(
                        font_config=pdf._font_config(),
                        stylesheets=[font_sheet, layout_sheet],
                        pdf_variant=variant,
                    )
                )
            return made

        return make

    def ours(variant: str, *off: str) -> Callable[[], list[bytes]]:
        def make() -> list[bytes]:
            with contextlib.ExitStack() as levers:
                for name in off:
                    levers.enter_context(lever_off(name))
                made = []
                for source in sources:
                    data = produce.produce(project, produce.Job(source, (variant,))).pdfs[variant]
                    assert isinstance(data, bytes), data
                    made.append(data)
                return made

        return make

    ways: dict[str, Callable[[], list[bytes]]] = {
        "archival_weasyprint_alone": raw(ARCHIVAL),
        "large_print_weasyprint_alone": raw(LARGE_PRINT),
        "print_weasyprint_alone": raw(PRINT),
        "archival_ours": ours(ARCHIVAL),
        "large_print_ours": ours(LARGE_PRINT),
        "archival_ours_stylesheet_inline": ours(ARCHIVAL, "stylesheet"),
        "print_ours": ours(PRINT),
        "print_ours_profile_inline": ours(PRINT, "profile"),
        "print_ours_both_inline": ours(PRINT, "profile", "stylesheet"),
    }
    for make in ways.values():  # warm: fonts loaded, caches filled
        make()
    best = {name: float("inf") for name in ways}
    digests: dict[str, list[str]] = {}
    for _ in range(rounds):
        for name, make in ways.items():  # interleaved, so drift hits every way alike
            start = time.perf_counter()
            made = make()
            best[name] = min(best[name], (time.perf_counter() - start) / len(sources))
            digests[name] = [hashlib.sha256(data).hexdigest() for data in made]
    return {
        "leaflets": len(sources),
        "seconds": best,
        "archival_identical": digests["archival_ours"]
        == digests["archival_ours_stylesheet_inline"],
        "print_identical": digests["print_ours"]
        == digests["print_ours_profile_inline"]
        == digests["print_ours_both_inline"],
    }


# --- 2. gc.freeze -------------------------------------------------------------------------------


def measure_gc(project_dir: Path, count: int, rounds: int, freeze: bool) -> dict[str, Any]:
    """A worker's loop over every PDF kind of `count` leaflets: seconds per leaflet (best
    round) and the garbage collector's share of it."""
    from build_leaflets import produce  # noqa: PLC0415
    from build_leaflets.register import ARCHIVAL, LARGE_PRINT, PRINT  # noqa: PLC0415

    project, sources = _sources(project_dir, count)
    _start_like_a_worker(project, freeze=freeze)
    jobs = [produce.Job(source, (ARCHIVAL, LARGE_PRINT, PRINT)) for source in sources]
    collecting = [0.0, 0.0]  # time in collections, when the current one started

    def watch(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collecting[1] = time.perf_counter()
        else:
            collecting[0] += time.perf_counter() - collecting[1]

    digests: list[Any] = []
    for job in jobs:  # warm
        produce.produce(project, job)
    gc.callbacks.append(watch)
    best, best_gc = float("inf"), 0.0
    for _ in range(rounds):
        collecting[0] = 0.0
        start = time.perf_counter()
        digests = []
        for job in jobs:
            made = produce.produce(project, job).pdfs.values()
            digests.append(hashlib.sha256(b"".join(m for m in made if isinstance(m, bytes))))
        wall = (time.perf_counter() - start) / len(jobs)
        if wall < best:
            best, best_gc = wall, collecting[0] / len(jobs)
    gc.callbacks.remove(watch)
    return {
        "seconds_per_leaflet": best,
        "gc_seconds_per_leaflet": best_gc,
        "frozen_objects": gc.get_freeze_count(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "digests": [digest.hexdigest() for digest in digests],
    }


# --- 6. pandoc ----------------------------------------------------------------------------------


def pandoc_figure(project: Path, count: int) -> dict[str, Any]:
    """Seconds per PDF for pandoc on the same leaflets' Markdown bodies, if pandoc and a PDF
    engine are installed."""
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        return {"skipped": "pandoc is not installed"}
    # WeasyPrint's command is in this Python's environment, which need not be on PATH.
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    engine = next(
        (e for e in ("weasyprint", "wkhtmltopdf", "pdflatex") if shutil.which(e, path=search)),
        None,
    )
    if engine is None:
        return {"skipped": "pandoc has no PDF engine here"}
    texts = sorted((project / "leaflets").glob("*.yaml"))[:count]
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        for number, path in enumerate(texts):
            body = "\n\n".join(re.findall(r"^    (.+)$", path.read_text(), flags=re.M))
            source = Path(scratch) / f"{number}.md"
            source.write_text(body)
            subprocess.run(
                [pandoc, str(source), "--pdf-engine", engine, "-o", f"{scratch}/{number}.pdf"],
                check=True,
                capture_output=True,
                env={**os.environ, "PATH": search},
            )
        return {"engine": engine, "seconds_per_pdf": (time.perf_counter() - start) / len(texts)}


# --- the whole run ------------------------------------------------------------------------------


def _pdf_digests(output: Path) -> dict[str, str]:
    return {
        str(path.relative_to(output)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(output.rglob("*.pdf"))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples, under 2 minutes")
    parser.add_argument("--k", type=int, help="leaflets in the whole builds (60; quick: 10)")
    parser.add_argument(
        "--baseline",
        default=LEVERS_BASE,
        help="commit whose code and layouts make the whole builds' 'before' ('none': skip)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "last-run.json")
    options = parser.parse_args()
    quick = options.quick
    k = options.k or (10 if quick else 60)
    per_pdf_leaflets, rounds = (4, 2) if quick else (12, 5)
    noop_sizes = (60, 480)
    began = time.perf_counter()
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {text}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="leaflet-bench-") as temporary:
        work = Path(temporary)
        whole = make_project(work / "whole", k)
        say(f"1. per PDF, {per_pdf_leaflets} leaflets, best of {rounds} rounds")
        pdfs = helper("--_pdfs", whole, str(per_pdf_leaflets), str(rounds))
        say("2. gc.freeze on and off")
        runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
        for _ in range(2 if quick else 3):  # processes in turn, so drift hits both alike
            for freeze in ("on", "off"):
                answer = helper("--_gc", whole, str(per_pdf_leaflets), "2", freeze)
                runs[freeze].append(answer)
        frozen, unfrozen = (
            min(runs[freeze], key=lambda answer: float(answer["seconds_per_leaflet"]))
            for freeze in ("on", "off")
        )

        say(f"3. whole builds of {k} leaflets")
        builds: dict[str, dict[str, float]] = {}
        outputs: dict[str, dict[str, str]] = {}
        code = None
        if options.baseline != "none":
            code = baseline_code(options.baseline, work / "baseline-code")
        projects = {"now": whole}
        if code is not None:
            projects["before"] = make_project(work / "whole-before", k, layouts=code / "layouts")
        for jobs in ("1", "2"):
            for label, project in projects.items():  # interleaved: before, now
                name = f"{label}_jobs{jobs}"
                out = f"out-jobs{jobs}"
                builds[name] = run(
                    project,
                    "build",
                    "--jobs",
                    jobs,
                    "--out",
                    out,
                    code=code if label == "before" else None,
                )
                outputs[name] = _pdf_digests(project / out)
        say("4. builds with nothing to do, and check")
        noop: dict[int, dict[str, float]] = {}
        check: dict[int, dict[str, float]] = {}
        for size in sorted({k, *noop_sizes}):
            catalogue = whole if size == k else make_project(work / f"noop-{size}", size)
            check[size] = run(catalogue, "check", "--jobs", "2")
            if size != k:
                if quick:
                    continue  # building it first would take minutes
                run(catalogue, "build", "--jobs", "2", "--out", "out-jobs2")
            noop[size] = run(catalogue, "build", "--jobs", "2", "--out", "out-jobs2")
        say("6. pandoc")
        pandoc = pandoc_figure(whole, per_pdf_leaflets)

    seconds = pdfs["seconds"]
    identical_builds = len({json.dumps(o, sort_keys=True) for o in outputs.values()}) == 1
    figures: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "per_pdf": {
            "leaflets": pdfs["leaflets"],
            "archival_ours_s": round(seconds["archival_ours"], 4),
            "archival_weasyprint_alone_s": round(seconds["archival_weasyprint_alone"], 4),
            "archival_ours_over_weasyprint_alone": round(
                seconds["archival_ours"] / seconds["archival_weasyprint_alone"], 3
            ),
            "large_print_ours_s": round(seconds["large_print_ours"], 4),
            "large_print_weasyprint_alone_s": round(seconds["large_print_weasyprint_alone"], 4),
            "print_weasyprint_alone_s": round(seconds["print_weasyprint_alone"], 4),
            "archival_stylesheet_inline_s": round(seconds["archival_ours_stylesheet_inline"], 4),
            "archival_stylesheet_once_over_inline": round(
                seconds["archival_ours"] / seconds["archival_ours_stylesheet_inline"], 3
            ),
            "print_both_levers_off_s": round(seconds["print_ours_both_inline"], 4),
            "print_profile_inline_s": round(seconds["print_ours_profile_inline"], 4),
            "print_ours_s": round(seconds["print_ours"], 4),
            "print_profile_by_url_over_data_url": round(
                seconds["print_ours"] / seconds["print_ours_profile_inline"], 3
            ),
            "print_levers_on_over_off": round(
                seconds["print_ours"] / seconds["print_ours_both_inline"], 3
            ),
            "archival_pdfs_identical": pdfs["archival_identical"],
            "print_pdfs_identical": pdfs["print_identical"],
        },
        "gc_freeze": {
            "leaflet_3_pdfs_frozen_s": round(frozen["seconds_per_leaflet"], 4),
            "leaflet_3_pdfs_unfrozen_s": round(unfrozen["seconds_per_leaflet"], 4),
            "frozen_over_unfrozen": round(
                frozen["seconds_per_leaflet"] / unfrozen["seconds_per_leaflet"], 3
            ),
            "gc_share_frozen": round(
                frozen["gc_seconds_per_leaflet"] / frozen["seconds_per_leaflet"], 3
            ),
            "gc_share_unfrozen": round(
                unfrozen["gc_seconds_per_leaflet"] / unfrozen["seconds_per_leaflet"], 3
            ),
            "frozen_objects": frozen["frozen_objects"],
            "peak_rss_mb_frozen": round(frozen["peak_rss_mb"], 1),
            "peak_rss_mb_unfrozen": round(unfrozen["peak_rss_mb"], 1),
            "pdfs_identical": frozen["digests"] == unfrozen["digests"],
        },
        "whole_build": {
            "leaflets": k,
            "pdfs": len(outputs["now_jobs1"]),
            "baseline": options.baseline if code is not None else "none",
            **{f"{name}_s": round(b["wall"], 2) for name, b in builds.items()},
            "jobs1_over_jobs2": round(builds["now_jobs1"]["wall"] / builds["now_jobs2"]["wall"], 3),
            **(
                {
                    "now_over_before_jobs1": round(
                        builds["now_jobs1"]["wall"] / builds["before_jobs1"]["wall"], 3
                    ),
                    "now_over_before_jobs2": round(
                        builds["now_jobs2"]["wall"] / builds["before_jobs2"]["wall"], 3
                    ),
                }
                if "before_jobs1" in builds
                else {}
            ),
            "pdfs_identical": identical_builds,
            "peak_parent_mb": round(builds["now_jobs2"]["parent_mb"], 1),
            "peak_worker_mb": round(builds["now_jobs2"]["worker_mb"], 1),
            **(
                {"peak_worker_mb_before": round(builds["before_jobs2"]["worker_mb"], 1)}
                if "before_jobs2" in builds
                else {}
            ),
        },
        "noop_and_check": {
            **{f"noop_build_s_n{size}": round(noop[size]["wall"], 3) for size in noop},
            **{
                f"noop_build_s_n{size}": "full mode only" for size in noop_sizes if size not in noop
            },
            **{f"check_s_n{size}": round(check[size]["wall"], 3) for size in check},
            **{f"check_peak_mb_n{size}": round(check[size]["parent_mb"], 1) for size in check},
        },
        "pandoc": {
            **pandoc,
            **(
                {
                    # Per PDF: a whole build with --jobs 2 (every kind of PDF, the pages,
                    # the register) against pandoc + WeasyPrint making one PDF at a time.
                    "ours_per_pdf_jobs2_s": round(
                        builds["now_jobs2"]["wall"] / len(outputs["now_jobs2"]), 4
                    ),
                    "pandoc_over_ours": round(
                        pandoc["seconds_per_pdf"]
                        / (builds["now_jobs2"]["wall"] / len(outputs["now_jobs2"])),
                        2,
                    ),
                    # The most any build of these leaflets could reach: WeasyPrint alone laying
                    # out the three kinds from our pages, on both cores with nothing else done
                    # (no start-up, checking, web pages, finishing or register).
                    "floor_per_pdf_jobs2_s": round(_floor(seconds), 4),
                    "pandoc_over_floor": round(pandoc["seconds_per_pdf"] / _floor(seconds), 2),
                }
                if "seconds_per_pdf" in pandoc
                else {}
            ),
        },
        "bench_seconds": round(time.perf_counter() - began, 1),
        "load_average_1min_start_end": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    _print_side_by_side(figures)
    options.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def _floor(seconds: dict[str, float]) -> float:
    """Seconds per PDF if a build did nothing but WeasyPrint's own work for the three kinds,
    two at a time (this machine's two cores)."""
    kinds = ("archival", "large_print", "print")
    return sum(seconds[f"{kind}_weasyprint_alone"] for kind in kinds) / len(kinds) / 2


def _print_side_by_side(figures: dict[str, Any]) -> None:
    per, frozen, whole = figures["per_pdf"], figures["gc_freeze"], figures["whole_build"]
    lines = [
        (
            "per archival PDF: ours / WeasyPrint alone (same HTML and tagging)",
            per["archival_ours_s"],
            per["archival_weasyprint_alone_s"],
            per["archival_ours_over_weasyprint_alone"],
        ),
        (
            "per archival PDF: leaflet.css parsed once / inlined",
            per["archival_ours_s"],
            per["archival_stylesheet_inline_s"],
            per["archival_stylesheet_once_over_inline"],
        ),
        (
            "per print PDF: profile by URL / as a data: URL",
            per["print_ours_s"],
            per["print_profile_inline_s"],
            per["print_profile_by_url_over_data_url"],
        ),
        (
            "per print PDF: both levers / neither",
            per["print_ours_s"],
            per["print_both_levers_off_s"],
            per["print_levers_on_over_off"],
        ),
        (
            "per leaflet (3 PDFs) in a worker: gc.freeze / not",
            frozen["leaflet_3_pdfs_frozen_s"],
            frozen["leaflet_3_pdfs_unfrozen_s"],
            frozen["frozen_over_unfrozen"],
        ),
    ]
    for jobs in ("1", "2"):
        if f"before_jobs{jobs}_s" in whole:
            lines.append(
                (
                    f"whole build, {whole['leaflets']} leaflets, --jobs {jobs}: "
                    f"now / {whole['baseline']}",
                    whole[f"now_jobs{jobs}_s"],
                    whole[f"before_jobs{jobs}_s"],
                    whole[f"now_over_before_jobs{jobs}"],
                )
            )
    lines.append(
        (
            f"whole build, {whole['leaflets']} leaflets: --jobs 1 / --jobs 2",
            whole["now_jobs1_s"],
            whole["now_jobs2_s"],
            whole["jobs1_over_jobs2"],
        )
    )
    width = max(len(line[0]) for line in lines)
    print(f"{'':{width}}  {'this':>9}  {'against':>9}  {'ratio':>6}")
    for label, this, against, ratio in lines:
        print(f"{label:{width}}  {this:9.4f}  {against:9.4f}  {ratio:6.3f}")
    print(
        f"bytes: archival {per['archival_pdfs_identical']}, print {per['print_pdfs_identical']}, "
        f"gc {frozen['pdfs_identical']}, whole builds {whole['pdfs_identical']} (identical)"
    )
    print(
        f"gc share of a leaflet: {frozen['gc_share_frozen']:.1%} frozen, "
        f"{frozen['gc_share_unfrozen']:.1%} not ({frozen['frozen_objects']} objects frozen)"
    )
    print(
        f"peak RSS: parent {whole['peak_parent_mb']} MB, worker {whole['peak_worker_mb']} MB"
        + (
            f" (before: {whole['peak_worker_mb_before']} MB)"
            if "peak_worker_mb_before" in whole
            else ""
        )
    )
    for key, value in figures["noop_and_check"].items():
        print(f"{key}: {value}")
    print(f"pandoc: {figures['pandoc']}")
    start, end = figures["load_average_1min_start_end"]
    print(
        f"bench took {figures['bench_seconds']} s ({figures['mode']}); load average (1 min) "
        f"{start} at the start, {end} at the end: other work on the machine skews the figures"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_pdfs":
        answer = measure_pdfs(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        print(json.dumps(answer))
    elif len(sys.argv) > 1 and sys.argv[1] == "--_gc":
        answer = measure_gc(
            Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "on"
        )
        print(json.dumps(answer))
    elif len(sys.argv) > 1 and sys.argv[1] == "--scale":
        import scale  # its own module: the 5,000-leaflet figures

        scale.main(sys.argv[2:])
    else:
        main()
