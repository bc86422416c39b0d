"""Every input gets a clean answer: hostile and odd files too big or too strange to commit, each
checked in a process of its own (so a crash or a hang could not hide), and a fuzz test that
mutates the sample leaflets."""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from build_leaflets import load
from build_leaflets.cli import cli
from tests.conftest import DATA, SAMPLES, copy_project

MINIMAL = (DATA / "minimal.yaml").read_text()
#: Peak memory a `check` of any one file may use (resident set of the whole process).
MEMORY_LIMIT_MB = 300


#: Runs a command and reports its peak memory. Measured from a small process of its own:
#: on Linux a child started from a large process (this test run) inherits its high-water mark.
MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_pid, status, usage = os.wait4(child.pid, 0)
print(f"peak-kb={usage.ru_maxrss}", file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _check(root: Path, name: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`check` of one file in a process of its own: its result and its peak memory in MB."""
    command = [sys.executable, "-m", "build_leaflets", "check", f"leaflets/{name}"]
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,  # a guard against hanging, not a speed goal (see benchmarks/hostile.py)
        check=False,
    )
    *rest, last = result.stderr.splitlines() or [""]
    peak_kb = int(last.removeprefix("peak-kb=")) if last.startswith("peak-kb=") else 10**9
    result.stderr = "\n".join(rest)
    return result, peak_kb / 1024


def _project(root: Path) -> Path:
    copy_project(root, ("tst-0001.yaml", MINIMAL))
    (root / "leaflets" / "images").mkdir(exist_ok=True)
    return root


def _with_picture(name: str) -> str:
    return MINIMAL.replace(
        "A short test leaflet.", f"A short test leaflet.\n\n  ![A plan of the ward]({name})"
    )


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that says it is `width` x `height` (its pixels never made: they would need
    hundreds of megabytes here), as a crafted file would."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _write_large(path: Path, size: int) -> None:
    """A leaflet of `size` bytes, written a piece at a time (never whole in memory here)."""
    with path.open("w", encoding="utf-8") as file:
        file.write(MINIMAL + "sources:\n")
        line = '  - "x"\n'
        for _ in range(size // (len(line) * 10_000)):
            file.write(line * 10_000)


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


# name -> (how to make the file in a project, the exact first line of the answer)
HOSTILE = {
    "billion_laughs": (
        lambda root: (root / "leaflets/x.yaml").write_text(_billion_laughs()),
        "leaflets/x.yaml:1:4: a: anchors (&a) are not allowed in a leaflet; remove '&a'",
    ),
    "nesting_1000": (
        lambda root: (root / "leaflets/x.yaml").write_text("a: " + "[" * 1000 + "]" * 1000),
        "leaflets/x.yaml:1:11: a.0.0.0.0.0.0.0: is nested more than 8 levels deep; a leaflet "
        "needs at most 3 (check the indentation)",
    ),
    "nesting_25000": (
        lambda root: (root / "leaflets/x.yaml").write_text("a: " + "[" * 25000 + "]" * 25000),
        "leaflets/x.yaml:1:11: a.0.0.0.0.0.0.0: is nested more than 8 levels deep; a leaflet "
        "needs at most 3 (check the indentation)",
    ),
    "self_alias": (
        lambda root: (root / "leaflets/x.yaml").write_text("a: &a [*a]\n"),
        "leaflets/x.yaml:1:4: a: anchors (&a) are not allowed in a leaflet; remove '&a'",
    ),
    "integer_5000_digits": (
        lambda root: (root / "leaflets/x.yaml").write_text(
            MINIMAL.replace("version: 1", "version: " + "7" * 5000)
        ),
        "leaflets/x.yaml:2:10: version: is a number of 5000 digits; if it is meant as text (a "
        'phone number, say), put it in quotes: "..."',
    ),
    "fifo": (
        lambda root: os.mkfifo(root / "leaflets/x.yaml"),
        "leaflets/x.yaml: is not a regular file (a folder, device or pipe?)",
    ),
    "link_to_dev_zero": (
        lambda root: (root / "leaflets/x.yaml").symlink_to("/dev/zero"),
        "leaflets/x.yaml: is a link to a file outside the project; copy the file in",
    ),
    "fifty_megabytes": (
        lambda root: _write_large(root / "leaflets/x.yaml", 50_000_000),
        "leaflets/x.yaml: is … bytes; a leaflet file may be at most 1,000,000 bytes "
        "(split it, or move long material to a linked web page)",
    ),
    "title_131073_characters": (
        lambda root: (root / "leaflets/x.yaml").write_text(
            MINIMAL.replace("Test leaflet", "T" * 131_073)
        ),
        "leaflets/x.yaml:3:8: title: is 131,073 characters long; the most is 200: shorten it",
    ),
    "picture_linked_to_etc_passwd": (
        lambda root: (
            (root / "leaflets/images/plan.png").symlink_to("/etc/passwd"),
            (root / "leaflets/x.yaml").write_text(_with_picture("images/plan.png")),
        ),
        "leaflets/x.yaml:11:3: what: image 'images/plan.png' is a link to a file outside "
        "leaflets/images/; copy the picture itself into the folder",
    ),
    "picture_fake_png": (
        lambda root: (
            (root / "leaflets/images/plan.png").write_text("this is not a picture"),
            (root / "leaflets/x.yaml").write_text(_with_picture("images/plan.png")),
        ),
        "leaflets/x.yaml:11:3: what: image 'images/plan.png' is not a readable PNG file "
        "(cannot identify image file <_io.BytesIO object at 0x…>); open it in an image editor "
        "and save it again as PNG",
    ),
    "picture_truncated_png": (
        lambda root: (
            (root / "leaflets/images/plan.png").write_bytes(_png((400, 300))[:-60]),
            (root / "leaflets/x.yaml").write_text(_with_picture("images/plan.png")),
        ),
        "leaflets/x.yaml:11:3: what: image 'images/plan.png' is not a readable PNG file (…); "
        "open it in an image editor and save it again as PNG",
    ),
    "picture_400_megapixels": (
        lambda root: (
            (root / "leaflets/images/plan.png").write_bytes(_png_header_only(20_000, 20_000)),
            (root / "leaflets/x.yaml").write_text(_with_picture("images/plan.png")),
        ),
        "leaflets/x.yaml:11:3: what: image 'images/plan.png' has 400,000,000 pixels; the most "
        "is 40,000,000: save it smaller (a leaflet photo needs no more than about 2,000 pixels "
        "across)",
    ),
    "svg_with_entities": (
        lambda root: (
            (root / "leaflets/images/plan.svg").write_text(
                '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]>'
                '<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
            ),
            (root / "leaflets/x.yaml").write_text(_with_picture("images/plan.svg")),
        ),
        "leaflets/x.yaml:11:3: what: image 'images/plan.svg' has a DOCTYPE or entities, which "
        "are not allowed; save it as plain SVG",
    ),
    "svg_linking_a_file": (
        lambda root: (
            (root / "leaflets/images/plan.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" '
                'xmlns:xlink="http://www.w3.org/1999/xlink">'
                '<image xlink:href="file:///etc/passwd"/></svg>'
            ),
            (root / "leaflets/x.yaml").write_text(_with_picture("images/plan.svg")),
        ),
        "leaflets/x.yaml:11:3: what: image 'images/plan.svg' links to another file "
        "(file:///etc/passwd); put everything in the one SVG file",
    ),
}


def _matches(expected: str, line: str) -> bool:
    """The whole line, with … standing for text that varies (an address, a library's words)."""
    pattern = ".*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern.replace("0x.*", "0x[0-9a-f]+"), line) is not None


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_gets_a_placed_message_in_bounded_memory(tmp_path, case: str) -> None:
    root = _project(tmp_path)
    (root / "leaflets" / "tst-0001.yaml").unlink()
    make, expected = HOSTILE[case]
    make(root)
    result, peak_mb = _check(root, "x.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    first = (result.stdout + result.stderr).splitlines()[0]
    assert _matches(expected, first), first
    assert peak_mb < MEMORY_LIMIT_MB, f"check used {peak_mb:.0f} MB"


def test_a_hostile_file_never_reaches_the_output(runner, tmp_path, monkeypatch) -> None:
    """A picture linked to a secret: build refuses before any page, index or register row."""
    root = _project(tmp_path)
    (root / "leaflets/images/plan.png").symlink_to("/etc/passwd")
    (root / "leaflets/tst-0002.yaml").write_text(
        _with_picture("images/plan.png").replace("TST-0001", "TST-0002")
    )
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert not (root / "output").exists()
    assert not (root / "leaflets/register.csv").exists()


# --- fuzzing ---------------------------------------------------------------------------------

PLACED = re.compile(r"^leaflets/fuzz\.yaml(:\d+(:\d+)?)?: ")
TEXTS = [path.read_bytes() for path in SAMPLES] + [MINIMAL.encode()]
NASTY = [
    b"&a ", b"*a", b"<<: ", b"!!python/object ", b"[[[[", b"{", b"\x00", b"\xff\xfe", b"\t",
    b"\x1b[31m", b'"\\e"', b"- ", b": ", b"|", b">", b"---\n", b"...\n", b"%YAML 1.1\n",
    b"9" * 30, b"2026-02-30", b"![x](images/none.png)", b"<b>", b"\xe2\x86\x92", b"#",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A sample leaflet changed at the byte, line or key level, a few times over."""
    text = bytearray(draw(st.sampled_from(TEXTS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["byte", "insert", "line", "swap", "key", "indent"]))
        lines = bytes(text).split(b"\n")
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        row = draw(st.integers(0, max(len(lines) - 1, 0)))
        if kind == "byte" and text:
            text[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            text[at:at] = draw(st.sampled_from(NASTY))
        elif kind == "line":
            del lines[row]
            text = bytearray(b"\n".join(lines))
        elif kind == "swap":
            other = draw(st.integers(0, max(len(lines) - 1, 0)))
            lines[row], lines[other] = lines[other], lines[row]
            text = bytearray(b"\n".join(lines))
        elif kind == "key":
            key, _, rest = lines[row].partition(b":")
            lines[row] = draw(st.sampled_from([b"titel", b"what", b"<<", b"&x k", key * 2]))
            lines[row] += b":" + (rest or draw(st.sampled_from(NASTY)))
            text = bytearray(b"\n".join(lines))
        elif kind == "indent":
            lines[row] = b" " * draw(st.integers(1, 9)) + lines[row]
            text = bytearray(b"\n".join(lines))
    return bytes(text)


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    copy_project(root, ("fuzz.yaml", MINIMAL))
    return root


@settings(
    max_examples=3000,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure can be replayed
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=mutated())
def test_fuzzed_leaflets_get_exit_0_or_1_and_placed_messages(fuzz_project, runner, data) -> None:
    (fuzz_project / "leaflets" / "fuzz.yaml").write_bytes(data)
    cwd = Path.cwd()
    os.chdir(fuzz_project)
    try:
        result = runner.invoke(cli, ["check", "leaflets/fuzz.yaml"])
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), (result.output, data)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{result.exception!r} for {data!r}") from result.exception
    if result.exit_code == 1:
        problems = [
            line for line in result.output.splitlines() if line.startswith("leaflets/fuzz.yaml")
        ]
        assert problems, result.output
        for line in problems:
            assert PLACED.match(line), line


QUICK_CONSTRUCT_CASES = [
    "title: Plain\nversion: 2\nlast_updated: 2026-01-31\nsections:\n  about: |\n    Text.\n",
    "a: 1\na: 2\nb: [x, 1.5, true, null, ~, 0x1f, 1_000, .inf, 2026-02-30]\n",
    "'quoted key': \"value\"\n'12': twelve\n",
    "? [complex, key]\n: value\n",
    "1: number key\ntrue: boolean key\n",
    "=: value key\n",
    "base: {x: 1}\nmerged:\n  <<: {y: 2}\n",
    "just text\n",
    "42\n",
    "- a\n- [b, c]\n- {d: e}\n",
    "{}\n",
    "[]\n",
    "omap: !!omap [a: 1]\n",
]


@pytest.mark.parametrize("text", QUICK_CONSTRUCT_CASES + [p.read_text() for p in SAMPLES])
def test_leaflet_yaml_is_built_as_pyyaml_builds_it(text: str) -> None:
    """The quick constructor gives what PyYAML's safe constructor gives (value and type of
    everything), or leaves the document to it."""

    def pyyaml(text: str) -> object:
        loader = load._Loader(text)
        try:
            return loader.construct_document(loader.get_single_node())
        finally:
            loader.dispose()

    def typed(value: object) -> object:
        if isinstance(value, dict):
            return [(typed(k), typed(v)) for k, v in value.items()]
        if isinstance(value, list):
            return [typed(item) for item in value]
        return (type(value).__name__, value)

    try:
        expected: object = typed(pyyaml(text))
    except yaml.YAMLError as error:
        expected = str(error)
    try:
        found: object = typed(load._parse(text)[0])
    except yaml.YAMLError as error:
        found = str(error)
    assert found == expected
