"""Building in shards on several machines, and merging their register fragments."""

from __future__ import annotations

import csv
import hashlib
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from build_leaflets.cli import cli
from build_leaflets.register import COLUMNS
from build_leaflets.shard import Shard, slice_of
from tests.conftest import DATA, ROOT, SAMPLES, copy_project, tree

#: Two sample leaflets and two small ones, chosen so that each of three shards builds some and
#: the project's order (by file name) interleaves the shards: 0101 is in slice 2, 0103 and
#: 0106 in slice 3, 0105 in slice 1. The Welsh draft of 0101 must follow it to slice 2.
CHOSEN = [SAMPLES[0], SAMPLES[2], ROOT / "leaflets" / "psy-0101.cy.yaml"]
MINIMAL = (DATA / "minimal.yaml").read_text(encoding="utf-8")


def _minimal(reference: str) -> tuple[str, str]:
    return f"{reference.lower()}.yaml", MINIMAL.replace("TST-0001", reference)


def _project(dest: Path, *extra: tuple[str, str]) -> Path:
    dest.mkdir()
    return copy_project(dest, *CHOSEN, _minimal("PSY-0105"), _minimal("PSY-0106"), *extra)


def _run(runner, monkeypatch, root: Path, command: str, *more: str) -> Any:
    """`build-leaflets COMMAND MORE...` in the project at `root`."""
    monkeypatch.chdir(root)
    result = runner.invoke(cli, [*shlex.split(command), *more])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _published(folder: Path) -> dict[str, bytes]:
    """What a reader of the output folder sees: every file but the hidden ones (the memo, the
    claims, the lock) and the shards' fragments."""
    return {
        name: data
        for name, data in tree(folder).items()
        if not any(part.startswith(".") for part in Path(name).parts)
        and not name.startswith("register-fragment-")
    }


def test_the_slice_is_stable_case_blind_and_spread() -> None:
    # Pinned: a change to the slice function would move every leaflet of every catalogue.
    assert [slice_of(f"PSY-010{n}", 3) for n in range(1, 7)] == [2, 3, 3, 3, 1, 3]
    assert slice_of("psy-0101", 3) == slice_of("PSY-0101", 3) == 2
    references = [f"TRUST{t}-{n:04d}" for t in range(5) for n in range(200)]
    for count in (1, 2, 3, 7):
        before = {ref: slice_of(ref, count) for ref in references}
        after = {ref: slice_of(ref, count) for ref in [*references, "NEW-0001", "NEW-0002"]}
        assert all(after[ref] == before[ref] for ref in references)  # only the new ones move
        sizes = [list(before.values()).count(i) for i in range(1, count + 1)]
        assert set(before.values()) == set(range(1, count + 1))
        assert min(sizes) > 0.7 * len(references) / count  # roughly even
    assert Shard.parse(" 2/3 ") == Shard(2, 3) and str(Shard(2, 3)) == "2/3"
    for bad in ("0/3", "4/3", "3", "1/0", "a/b", "1/3/2", "-1/3"):
        with pytest.raises(ValueError, match=r"I/N|1 to N"):
            Shard.parse(bad)


def test_three_shards_and_a_merge_equal_one_build(tmp_path, runner, monkeypatch) -> None:
    one = _project(tmp_path / "one")
    many = _project(tmp_path / "many")
    built = _run(runner, monkeypatch, one, "build --jobs 1")
    assert built.exit_code == 0, built.output

    outputs = []
    for index in (1, 2, 3):
        shard = _run(
            runner, monkeypatch, many, f"build --shard {index}/3 --out shard-{index} --jobs 1"
        )
        assert shard.exit_code == 0, shard.output
        outputs.append(many / f"shard-{index}")
    assert not (many / "leaflets" / "register.csv").exists()  # a shard never writes it
    fragments = [out / f"register-fragment-{n}-of-3.csv" for n, out in enumerate(outputs, 1)]
    recorded = [list(csv.DictReader(f.open(newline=""))) for f in fragments]
    assert [sorted({row["reference"] for row in rows}) for rows in recorded] == [
        ["PSY-0105"],
        ["PSY-0101"],
        ["PSY-0103", "PSY-0106"],
    ]
    assert all(f.read_text().splitlines()[0] == ",".join(COLUMNS) for f in fragments)
    # Languages go with their leaflet; no shard writes the pages about the whole catalogue.
    assert (outputs[1] / "drafts" / "PSY-0101-v1-cy-draft.pdf").is_file()
    assert not any((out / "index.html").exists() for out in outputs)
    assert not any((out / "register.json").exists() for out in outputs)

    merged = _run(runner, monkeypatch, many, "register merge", *map(str, fragments))
    assert merged.exit_code == 0, merged.output
    assert "Added 12 row(s) to leaflets/register.csv." in merged.output
    register = (many / "leaflets" / "register.csv").read_bytes()
    assert register == (one / "leaflets" / "register.csv").read_bytes()

    combined = many / "output"
    for out in outputs:
        for name, data in _published(out).items():
            if (combined / name).exists():  # only a shared file of the web pages, the same
                assert name.startswith("assets/"), f"{name} was built by two shards"
                assert (combined / name).read_bytes() == data, name
                continue
            (combined / name).parent.mkdir(parents=True, exist_ok=True)
            (combined / name).write_bytes(data)
    single = _published(one / "output")
    shards = _published(combined)
    pdfs = [name for name in single if name.endswith(".pdf")]
    assert len(pdfs) == 13  # 4 leaflets x 3 kinds, and a draft
    assert {n: shards.get(n) for n in pdfs} == {n: single[n] for n in pdfs}

    # A build over the files put together lays out nothing and writes the catalogue pages:
    # then everything is what the single build wrote.
    final = _run(runner, monkeypatch, many, "build --jobs 1")
    assert final.exit_code == 0, final.output
    assert "All 5 leaflet(s) are up to date." in final.output
    assert _published(combined) == single
    assert (many / "leaflets" / "register.csv").read_bytes() == register
    again = _run(runner, monkeypatch, many, "register merge", *map(str, fragments))
    assert again.exit_code == 0 and "Nothing to add" in again.output
    assert (many / "leaflets" / "register.csv").read_bytes() == register

    # A new leaflet: only its own shard builds anything.
    (many / "leaflets" / "psy-0107.yaml").write_text(_minimal("PSY-0107")[1], encoding="utf-8")
    assert slice_of("PSY-0107", 3) == 1
    for index in (1, 2, 3):
        before = _published(outputs[index - 1])
        shard = _run(
            runner, monkeypatch, many, f"build --shard {index}/3 --out shard-{index} --jobs 1"
        )
        assert shard.exit_code == 0, shard.output
        changed = sorted(set(_published(outputs[index - 1]).items()) - set(before.items()))
        rows = list(csv.DictReader(fragments[index - 1].open(newline="")))
        if index == 1:
            assert {name for name, _ in changed} == {
                "PSY-0107.html",
                "pdf/PSY-0107/PSY-0107-v1.pdf",
                "pdf/PSY-0107/PSY-0107-v1-large-print.pdf",
                "print/PSY-0107-v1-print.pdf",
            }
            assert [row["reference"] for row in rows] == ["PSY-0107"] * 3
        else:
            assert changed == [] and rows == []
            assert "All " in shard.output and "up to date" in shard.output


def _sample_project(tmp_path: Path) -> Path:
    """The samples with their register, which holds every version they have published."""
    root = tmp_path / "project"
    root.mkdir()
    return copy_project(root)


def _register_rows(root: Path) -> list[dict[str, str]]:
    with (root / "leaflets" / "register.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def _write_fragment(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_conflicting_fragment_is_refused_and_nothing_is_written(
    tmp_path, runner, monkeypatch
) -> None:
    root = _sample_project(tmp_path)
    register = root / "leaflets" / "register.csv"
    before = register.read_bytes()
    rows = _register_rows(root)
    line = next(n for n, row in enumerate(rows, start=2) if row["reference"] == "PSY-0103")
    known = {**rows[line - 2], "pdf_sha256": "0" * 64}  # PSY-0103 v1 archival, other bytes
    new = {**rows[line - 2], "version": "2", "file": "pdf/PSY-0103/PSY-0103-v2.pdf"}
    _write_fragment(root / "good.csv", [rows[0], new])  # one already there, one new
    _write_fragment(root / "clash.csv", [known])
    _write_fragment(root / "other.csv", [{**new, "pdf_sha256": "1" * 64}])

    result = _run(runner, monkeypatch, root, "register merge good.csv clash.csv other.csv")
    assert result.exit_code == 1
    registered = rows[line - 2]["pdf_sha256"][:12]
    assert result.output.splitlines() == [
        "clash.csv:2: pdf_sha256: PSY-0103 v1 archival (en-GB) is 000000000000... here, but "
        f"leaflets/register.csv:{line} records it as other bytes ({registered}...), and a "
        "published version never changes: this fragment was built before that row was "
        "recorded, or from other text, layout or tools; leave it out, and build its shard "
        "again into an empty output folder (the registered PDF is restored), or raise version "
        "and last_updated",
        "other.csv:2: pdf_sha256: PSY-0103 v2 archival (en-GB) is 111111111111... here, but "
        f"good.csv:3 records it as other bytes ({new['pdf_sha256'][:12]}...), and a published "
        "version never changes: two builds published this version differently, and only one "
        "can be recorded; merge one of the fragments, then build the other's shard again into "
        "an empty output folder (it restores the merged PDF)",
        "Nothing was merged: leaflets/register.csv is unchanged.",
    ]
    assert register.read_bytes() == before

    alone = _run(runner, monkeypatch, root, "register merge good.csv")
    assert alone.exit_code == 0, alone.output
    assert alone.output.splitlines() == [
        "good.csv: 2 row(s), 1 new, 1 already recorded",
        "Added 1 row(s) to leaflets/register.csv.",
    ]
    assert register.read_bytes().startswith(before)
    assert _register_rows(root) == [*rows, new]


def test_damaged_and_foreign_fragments_get_a_line_each(tmp_path, runner, monkeypatch) -> None:
    root = _sample_project(tmp_path)
    register = root / "leaflets" / "register.csv"
    before = register.read_bytes()
    row = _register_rows(root)[0]
    header = ",".join(COLUMNS)

    def line(columns: list[str] = COLUMNS, **changed: str) -> str:
        values = {**row, "version": "7", "file": "pdf/PSY-0101/PSY-0101-v7.pdf", **changed}
        return ",".join(f'"{values[c]}"' for c in columns)

    (root / "damaged.csv").write_text(
        "\n".join(
            [
                header,
                line(version="1.0"),
                line(published="23/11/2026", pdf_sha256="ABC"),
                line(COLUMNS[:-1]),  # a field lost
                '"PSY-0101,1',  # a quote never closed
                "",
            ]
        )
    )
    (root / "foreign.csv").write_text(f"{header}\n{line(reference='OTH-0001')}\n")
    (root / "renamed.csv").write_text(f"{header}\n{line(file=row['file'])}\n")
    (root / "notes.csv").write_text("name,colour\nx,y\n")
    (root / "latin1.csv").write_bytes(header.encode() + b"\ncaf\xe9\n")
    (root / "empty.csv").write_text("")
    (root / "folder").mkdir()

    fragments = "damaged.csv foreign.csv renamed.csv notes.csv latin1.csv empty.csv folder"
    fragments += " missing.csv"
    result = _run(runner, monkeypatch, root, f"register merge {fragments}")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[-1] == "Nothing was merged: leaflets/register.csv is unchanged."
    expected = [
        r"damaged\.csv:2: version: is not a whole number of 1 or more: '1\.0'; build the "
        r"shard again \(its fragment is rewritten\), or fix the row",
        r"damaged\.csv:3: pdf_sha256: is not a SHA-256 .*: 'ABC'; build the shard again",
        r"damaged\.csv:3: published: is not a date written YYYY-MM-DD: '23/11/2026'",
        r"damaged\.csv:4: has 13 fields but the header has 14; build the shard again",
        r"damaged\.csv:5: a quote mark \(\"\) opened on this line is never closed",
        r"empty\.csv: is empty; a register fragment .* has at least the register's header line",
        r"folder: is a folder, not a register fragment",
        r"foreign\.csv:2: reference: OTH-0001 \(en-GB\) is not a leaflet of this project "
        r"\(leaflets/ has no such leaflet\): is the fragment from another project",
        r"latin1\.csv: is not UTF-8 text \(byte 0xE9\), so not a register fragment",
        r"missing\.csv: cannot be read \(no such file\)",
        r"notes\.csv:1: is not a register fragment .*: its first line is not the register's "
        r"header",
        r"renamed\.csv:2: file: pdf/PSY-0101/PSY-0101-v1\.pdf is the file of PSY-0101 v1 "
        r"archival \(en-GB\) at leaflets/register\.csv:2, not of PSY-0101 v7 archival",
    ]
    assert len(lines) == len(expected) + 1, result.output
    for pattern, said in zip(expected, lines, strict=False):
        assert re.match(pattern, said), (pattern, said)
    assert register.read_bytes() == before


def test_a_shard_restores_what_is_registered_and_refuses_other_text(
    tmp_path, runner, monkeypatch
) -> None:
    root = _sample_project(tmp_path)
    register = (root / "leaflets" / "register.csv").read_bytes()
    # Everything is published already: a shard in an empty folder restores its slice's files
    # (which must match the register) and records nothing.
    result = _run(runner, monkeypatch, root, "build --shard 2/3 --out r --jobs 1")
    assert result.exit_code == 0, result.output
    assert "Shard 2/3: recorded 0 new PDF(s) in r/register-fragment-2-of-3.csv" in result.output
    assert (root / "r" / "register-fragment-2-of-3.csv").read_text() == ",".join(COLUMNS) + "\n"
    rows = [row for row in _register_rows(root) if row["reference"] == "PSY-0101"]
    for row in rows[-3:]:  # version 2, the current one, in its three kinds
        assert (
            hashlib.sha256((root / "r" / row["file"]).read_bytes()).hexdigest()
            == (row["pdf_sha256"])
        )
    assert not (root / "r" / "pdf" / "PSY-0103").exists()  # another slice's
    assert (root / "leaflets" / "register.csv").read_bytes() == register

    leaflet = root / "leaflets" / "psy-0103.yaml"
    leaflet.write_text(leaflet.read_text().replace("Integrative psychotherapy", "Integrative"))
    index = slice_of("PSY-0103", 3)
    result = _run(runner, monkeypatch, root, f"build --shard {index}/3 --out s --jobs 1")
    assert result.exit_code == 1
    assert "psy-0103.yaml" in result.output and "already published" in result.output
    assert not (root / "s" / f"register-fragment-{index}-of-3.csv").exists()
    bad = _run(runner, monkeypatch, root, "build --shard 4/3")
    assert bad.exit_code == 2 and "I must be from 1 to N" in bad.output


# --- the CI files --------------------------------------------------------------------------------

CI = ROOT / "docs" / "ci"


def _commands(text: str, values: dict[str, str]) -> list[list[str]]:
    """Every `./run ...` command in a script, with the CI's variables filled in."""
    found = []
    for script_line in text.splitlines():
        for match in re.finditer(r"\./run ([^;&|\n]+)", script_line):
            command = match.group(1)
            for name, value in values.items():
                command = command.replace(name, value)
            found.append(shlex.split(command))
    return found


def _parses(args: list[str]) -> None:
    """The command and its options exist in the CLI: click parses them as it would to run
    them (a UsageError otherwise), and runs nothing."""
    command: click.Command = cli
    rest = list(args)
    name = "build-leaflets"
    while isinstance(command, click.Group):
        name, found, rest = command.resolve_command(click.Context(command), rest)
        assert found is not None and name is not None
        command = found
    command.make_context(name, rest)


def test_the_ci_files_parse_and_run_real_commands() -> None:
    github = yaml.safe_load((CI / "github-actions.yml").read_text())
    gitlab = yaml.safe_load((CI / "gitlab-ci.yml").read_text())

    jobs = github["jobs"]
    assert jobs["build"]["strategy"]["matrix"]["shard"] == [1, 2, 3]
    assert jobs["merge"]["needs"] == "build"
    runs = {name: "\n".join(s.get("run", "") for s in job["steps"]) for name, job in jobs.items()}
    uses = [s.get("uses", "") for job in jobs.values() for s in job["steps"]]
    assert "./run build --shard ${{ matrix.shard }}/3" in runs["build"]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("actions/download-artifact@") for u in uses)
    assert "git commit" not in runs["merge"] and "git push" not in runs["merge"]

    assert gitlab["build"]["parallel"] == 3
    assert "CI_NODE_INDEX" in " ".join(gitlab["build"]["script"])
    assert gitlab["merge"]["needs"][0]["job"] == "build"

    github_fragments = [f"shards/output-{n}/register-fragment-{n}-of-3.csv" for n in (1, 2, 3)]
    gitlab_fragments = [f"output/register-fragment-{n}-of-3.csv" for n in (1, 2, 3)]
    variables = {"${{ matrix.shard }}": "2", "$CI_NODE_INDEX": "2", "$CI_NODE_TOTAL": "3"}
    commands = [
        *_commands("\n".join(runs.values()), variables),
        *_commands("\n".join(gitlab["build"]["script"] + gitlab["merge"]["script"]), variables),
    ]
    assert [c[:2] for c in commands if c[0] == "register"] == [["register", "merge"]] * 2
    assert ["build", "--shard", "2/3"] in commands
    for command in commands:
        _parses(command)
        merged = [a for a in command if a.endswith(".csv")]
        assert merged in ([], [*github_fragments], [*gitlab_fragments])
    with pytest.raises(click.UsageError):
        _parses(["build", "--no-such-option"])
    with pytest.raises(click.UsageError):
        _parses(["register", "unmerge", "x.csv"])
