"""How long and how much memory `check` takes on each hostile file of the input tests.

The goal: any single file is answered within 5 s and 300 MB. Tests assert the message and the
memory; time is measured here, side by side, never in a test.

    .venv/bin/python benchmarks/hostile.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_inputs import HOSTILE, _check, _project  # noqa: E402


def main() -> None:
    print(f"{'file':32} {'seconds':>8} {'peak MB':>8}  answer")
    worst_time = worst_memory = 0.0
    for case in sorted(HOSTILE):
        with tempfile.TemporaryDirectory() as folder:
            root = _project(Path(folder))
            (root / "leaflets" / "tst-0001.yaml").unlink()
            make, _expected = HOSTILE[case]
            make(root)
            start = time.perf_counter()
            result, peak = _check(root, "x.yaml")
            seconds = time.perf_counter() - start
            output = result.stdout + result.stderr
            worst_time, worst_memory = max(worst_time, seconds), max(worst_memory, peak)
            answer = output.splitlines()[0][:70] if output else ""
            print(f"{case:32} {seconds:8.2f} {peak:8.0f}  {answer}")
    print(f"{'worst':32} {worst_time:8.2f} {worst_memory:8.0f}  (goal: 5 s, 300 MB)")


if __name__ == "__main__":
    main()
