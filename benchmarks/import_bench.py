"""Benchmark of `build-leaflets import`: a folder of generated Word leaflets, timed.

Makes N .docx leaflets (default 200) with python-docx, half with Word's styles and half
formatted by hand (bold headings, typed bullets, governance lines in the text), each with its
own text, a table and a picture; then imports the folder in one call, as the command does, and
prints the figures and the importer's summary table. The goal (issue 11) is under a minute for
200 files on a 2-core machine. Run: .venv/bin/python benchmarks/import_bench.py [--n 200]
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import docx
from docx.shared import Pt
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from build_leaflets.importer import format_summary, import_files  # noqa: E402

QUESTIONS = [
    ("What is {t}?", 3),
    ("Who is {t} for?", 2),
    ("Do I need to do anything before I start?", 1),
    ("What happens at the first appointment?", 2),
    ("What does {t} involve?", 4),
    ("How long does it last?", 1),
    ("What are the benefits?", 2),
    ("Are there any side effects?", 2),
    ("What other options are there?", 2),
    ("How do I get referred?", 1),
    ("Copies of letters and reports", 1),
    ("A patient's story", 3),
]
WORDS = [
    "you",
    "your",
    "therapist",
    "talk",
    "feel",
    "weeks",
    "session",
    "sessions",
    "help",
    "change",
    "people",
    "mood",
    "life",
    "relationships",
    "plan",
    "think",
    "work",
    "together",
    "problems",
    "support",
    "family",
    "friends",
    "week",
    "time",
    "questions",
    "worry",
    "sleep",
    "goals",
    "notice",
    "small",
    "steps",
    "practise",
    "skills",
    "home",
    "doctor",
    "team",
]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))


def make_leaflet(path: Path, number: int, picture: bytes) -> None:
    """One leaflet of about two pages, its text its own."""
    rng = random.Random(number)
    styled = number % 2 == 0
    therapy = f"therapy {number}"
    d = docx.Document()
    d.sections[0].footer.paragraphs[
        0
    ].text = f"Leaflet reference: BEN-{number:04d}\tVersion {1 + number % 3}"
    if styled:
        d.add_paragraph(f"Talking {therapy}", style="Title")
    else:
        run = d.add_paragraph().add_run(f"Talking {therapy}")
        run.bold, run.font.size = True, Pt(20)
    d.add_paragraph(_sentence(rng))
    for question, paragraphs in QUESTIONS:
        heading = question.format(t=therapy)
        if styled:
            d.add_heading(heading, 2)
        else:
            run = d.add_paragraph().add_run(heading)
            run.bold, run.font.size = True, Pt(13)
        for _ in range(paragraphs):
            d.add_paragraph(_paragraph(rng))
        if rng.random() < 0.5:
            for _ in range(rng.randint(2, 5)):
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
                if styled:
                    d.add_paragraph(text, style="List Bullet")
                else:
                    d.add_paragraph(f"•\t{text}")
    table = d.add_table(rows=3, cols=2)
    for row in table.rows:
        row.cells[0].text, row.cells[1].text = _sentence(rng), str(rng.randint(1, 20))
    shape = d.add_picture(io.BytesIO(picture))
    shape._inline.docPr.set("descr", f"Diagram {number}")
    d.add_paragraph(f"Date last updated: {1 + number % 28:02d}/03/2024")
    d.add_paragraph("Archive date: March 2027")
    d.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="how many leaflets (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder, into = Path(work) / "old", Path(work) / "leaflets"
        folder.mkdir()
        picture = io.BytesIO()
        Image.new("RGB", (300, 200), "steelblue").save(picture, "PNG")
        started = time.perf_counter()
        for number in range(1, args.n + 1):
            make_leaflet(folder / f"leaflet-{number:04d}.docx", number, picture.getvalue())
        made = time.perf_counter() - started
        size = sum(p.stat().st_size for p in folder.iterdir())
        progress: list[float] = []
        started = time.perf_counter()
        reports = import_files(
            [folder],
            into=into,
            on_done=lambda report, n, total: progress.append(time.perf_counter()),
            shown=lambda path: path.name,
        )
        took = time.perf_counter() - started
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        table = format_summary(reports).splitlines()
        shown = table[:11] + ([f"... ({len(table) - 12} more rows)"] if len(table) > 12 else [])
        print("\n".join([*shown, table[-1], ""]))
        ok = sum(1 for r in reports if r.ok)
        words = sum(r.words for r in reports)
        slowest = max(b - a for a, b in zip([started, *progress], progress, strict=False))
        rows = [
            ("leaflets made (python-docx)", f"{args.n} in {made:.1f} s, {size / 1e6:.1f} MB"),
            ("imported (one process)", f"{took:.1f} s, {took / args.n * 1000:.0f} ms a file"),
            ("slowest file", f"{slowest * 1000:.0f} ms"),
            ("drafts written, every word placed", f"{ok} of {len(reports)}"),
            ("words checked", f"{words:,}"),
            ("peak memory", f"{cpu.ru_maxrss / 1024:.0f} MB"),
            ("goal", "200 files in under 60 s on 2 cores"),
        ]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
