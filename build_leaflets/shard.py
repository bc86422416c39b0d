"""Shard: one catalogue built on several machines, and their records merged into one register.

`build --shard I/N` builds only the leaflets of slice I of N, chosen by a hash of the reference
(`slice_of`), so every machine can take its slice of a large catalogue without being told the
others' and all languages of one leaflet are built together. A shard reads the register, so it
restores, refuses and skips exactly as a whole build does, but it does not write to it: the
rows of what it publishes go to a *fragment* in its output folder,
`register-fragment-I-of-N.csv`, a CSV with the register's own columns holding only those rows.
The catalogue pages (index, register.json, governance page, calendars) describe every leaflet,
so a shard leaves them alone; a build after the merge, with every file in place, writes them
and lays out nothing.

`register merge FRAGMENT...` folds fragments into the register under its lock. Everything is
checked before anything is written: each row with the register's rules (`check_fields`), and
each against the register and the other fragments. A row whose version, variant and language
the register already holds with the same PDF (SHA-256) is skipped; with another PDF it is a
conflict, since a published version never changes, and nothing is merged. New rows are
appended in the order a build on one machine would have registered them (the leaflets in the
project's order, each leaflet's rows in its fragment's order), so shards and a merge leave
the same register, byte for byte, as one build of the whole catalogue.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from build_leaflets import lock
from build_leaflets.config import Project
from build_leaflets.errors import Problem, ProblemsFound
from build_leaflets.files import write_atomic
from build_leaflets.load import load_all
from build_leaflets.register import (
    COLUMNS,
    MAX_SHOWN,
    REGISTER_NAME,
    Register,
    Row,
    append_rows,
    check_fields,
    column_differences,
    read_register,
)

FRAGMENT_NAME = "register-fragment-{index}-of-{count}.csv"

_SHARD = re.compile(r"([0-9]{1,6})/([0-9]{1,6})")
_BOM = "\ufeff"


def slice_of(reference: str, count: int) -> int:
    """The slice (1 to `count`) that builds a leaflet: the first 8 bytes of the SHA-256 of its
    reference in lower case, as a number, modulo `count`, plus one.

    It depends on nothing but the reference, so adding or removing a leaflet moves no other,
    and a leaflet's translations (which share its reference) are always in its slice.
    """
    digest = hashlib.sha256(reference.lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class Shard:
    """Slice `index` of `count` (1 <= index <= count)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`2/3` as a shard; ValueError, saying what is wrong, for anything else."""
        found = _SHARD.fullmatch(text.strip())
        if found is None:
            raise ValueError(f"{text!r} is not I/N, e.g. 2/3 for the second of three slices")
        index, count = int(found.group(1)), int(found.group(2))
        if count < 1 or not 1 <= index <= count:
            raise ValueError(f"{text!r}: I must be from 1 to N, and N 1 or more (e.g. 2/3)")
        return cls(index, count)

    def holds(self, reference: str) -> bool:
        return slice_of(reference, self.count) == self.index

    def fragment(self, out: Path) -> Path:
        """Where this shard records the rows of what it publishes: in its output folder."""
        return out / FRAGMENT_NAME.format(index=self.index, count=self.count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    """`--shard I/N` on the command line (a click callback): the shard, or a usage error."""
    if value is None:
        return None
    try:
        return Shard.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


def start_fragment(path: Path, register: Register) -> Register:
    """Begin a shard's fragment at `path` (its header alone, replacing an earlier run's, whose
    files are in place and are adopted again), and give the register to publish with: the
    register's rows, recording new rows into the fragment."""
    write_atomic(path, Register(path, ()).to_csv())
    return Register(path, register.rows)


# --- merging -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """A register row and where it was read: a file as shown in messages, and its line."""

    row: Row
    shown: str
    line: int
    registered: bool = False  # read from the register itself, not a fragment

    @property
    def key(self) -> tuple[str, str, int, str]:
        """What a published file is: reference, language, version, variant (as the register
        looks rows up, ignoring the case of the reference and language)."""
        row = self.row
        return (row.reference.lower(), row.language.lower(), row.version, row.variant)

    @property
    def place(self) -> str:
        return f"{self.shown}:{self.line}"

    @property
    def what(self) -> str:
        row = self.row
        return f"{row.reference} v{row.version} {row.variant} ({row.language})"


@dataclass(frozen=True)
class Merged:
    """What a merge did: the rows added to the register, in order, and how many of each
    fragment's rows it held already."""

    register: str
    added: list[Placed]
    skipped: dict[str, int]
    read: dict[str, int]


def merge(
    project: Project,
    fragments: Sequence[Path],
    *,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> Merged:
    """Fold `fragments` into the project's register; all or nothing.

    Raises ProblemsFound, writing nothing, with one line per problem: a fragment that cannot
    be read or breaks the register's rules, a row for a leaflet this project does not have, or
    a row that conflicts with the register or with another fragment.
    """
    path = project.leaflets / REGISTER_NAME
    shown_register = project.relative(path)
    problems: list[Problem] = []
    placed: list[Placed] = []
    read: dict[str, int] = {}
    for fragment in fragments:
        shown = project.relative(fragment)
        rows, found = read_fragment(fragment, shown)
        placed.extend(rows)
        problems.extend(found)
        read[shown] = read.get(shown, 0) + len(rows)
    order = {source.leaflet.key: n for n, source in enumerate(load_all(project, workers=jobs))}
    locks = [lock.register_lock(project.leaflets)]
    with lock.hold(locks, wait=wait, on_wait=on_wait, shown=project.relative, doing="merge"):
        register = read_register(path, shown_register)
        known = _register_rows(path, shown_register, register)
        added, skipped, conflicts = _decide(known, placed)
        problems.extend(conflicts)
        problems.extend(_strangers(added, order, project))
        if problems:
            listed = sorted(problems)[:MAX_SHOWN]
            more = len(problems) - len(listed)
            summary = f"...and {more} more problem(s) like these.\n" if more else ""
            raise ProblemsFound(
                listed, summary + f"Nothing was merged: {shown_register} is unchanged."
            )
        added.sort(key=lambda item: order[item.row.reference.lower(), item.row.language.lower()])
        append_rows(path, [item.row for item in added])
    return Merged(shown_register, added, skipped, read)


def _decide(
    known: list[Placed], placed: list[Placed]
) -> tuple[list[Placed], dict[str, int], list[Problem]]:
    """The rows to add (in the fragments' order), the rows already there by fragment, and
    every conflict: a version published as other bytes, or a file named for another one."""
    by_key: dict[tuple[str, str, int, str], Placed] = {}
    by_file: dict[str, Placed] = {}
    for item in known:
        by_key.setdefault(item.key, item)
        by_file.setdefault(item.row.file, item)
    added: list[Placed] = []
    skipped: dict[str, int] = {}
    problems: list[Problem] = []
    for item in placed:
        row = item.row
        earlier = by_key.get(item.key)
        if earlier is not None:
            if earlier.row.pdf_sha256 == row.pdf_sha256:
                skipped[item.shown] = skipped.get(item.shown, 0) + 1
                continue
            problems.append(
                Problem(item.shown, item.line, 0, "pdf_sha256", _conflict(item, earlier))
            )
            continue
        other = by_file.get(row.file)
        if other is not None:
            problems.append(
                Problem(
                    item.shown,
                    item.line,
                    0,
                    "file",
                    f"{row.file} is the file of {other.what} at {other.place}, not of "
                    f"{item.what}; the fragment is damaged or from another project",
                )
            )
            continue
        by_key[item.key] = item
        by_file[row.file] = item
        added.append(item)
    return added, skipped, problems


def _conflict(item: Placed, earlier: Placed) -> str:
    """Why a row cannot be merged: its version was published as other bytes."""
    said = (
        f"{item.what} is {item.row.pdf_sha256[:12]}... here, but {earlier.place} "
        f"{'has' if earlier.shown == item.shown else 'records'} it as other bytes "
        f"({earlier.row.pdf_sha256[:12]}...), and a published version never changes"
    )
    if earlier.registered:
        return (
            f"{said}: this fragment was built before that row was recorded, or from other "
            "text, layout or tools; leave it out, and build its shard again into an empty "
            "output folder (the registered PDF is restored), or raise version and last_updated"
        )
    return (
        f"{said}: two builds published this version differently, and only one can be "
        "recorded; merge one of the fragments, then build the other's shard again into an "
        "empty output folder (it restores the merged PDF)"
    )


def _strangers(
    added: list[Placed], order: dict[tuple[str, str], int], project: Project
) -> list[Problem]:
    """A new row for a leaflet this project does not have: a fragment of another project (or
    of a leaflet removed since), which the register must not take in."""
    folder = project.relative(project.leaflets)
    return [
        Problem(
            item.shown,
            item.line,
            0,
            "reference",
            f"{item.row.reference} ({item.row.language}) is not a leaflet of this project "
            f"({folder}/ has no such leaflet): is the fragment from another project, or was "
            "the leaflet removed since it was built?",
        )
        for item in added
        if (item.row.reference.lower(), item.row.language.lower()) not in order
    ]


def _register_rows(path: Path, shown: str, register: Register) -> list[Placed]:
    """The register's rows with their lines, for messages. `read_register` has read the file
    whole and found nothing wrong, so each record that is not blank, after the header, is its
    next row."""
    if not register.rows:
        return []
    text = path.read_bytes().decode("utf-8").lstrip(_BOM)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines: list[int] = []
    header = True
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        if not any(record):
            continue
        if header:
            header = False
            continue
        lines.append(start)
    return [
        Placed(row, shown, line, registered=True)
        for row, line in zip(register.rows, lines, strict=True)
    ]


def _csv_problem(error: str) -> str:
    """The csv module's complaint about a line, in words."""
    if error.startswith("unexpected end of data"):
        return 'a quote mark (") opened on this line is never closed'
    if "expected after" in error:
        return 'a field has text after its closing quote mark ("), like "abc"def'
    if error.startswith("field larger than field limit"):
        return "has a field longer than a register field may be"
    return f"cannot be read as CSV ({error})"


def _header_problem(header: list[str]) -> str:
    """What keeps a first line from being the register's header ("" if it is one)."""
    if sorted(header) == sorted(COLUMNS):
        return ""
    if not set(header) & set(COLUMNS):
        return f"its first line is not the register's header ({','.join(COLUMNS)})"
    said = []
    missing, unknown, twice = column_differences(header)
    if missing:
        said.append(f"missing {', '.join(missing)}")
    if unknown:
        said.append(f"unknown {', '.join(repr(c) for c in unknown)}")
    if twice:
        said.append(f"named twice {', '.join(twice)}")
    return f"its header must name the register's columns, each once ({'; '.join(said)})"


def read_fragment(path: Path, shown: str) -> tuple[list[Placed], list[Problem]]:
    """A fragment's rows, and every problem with it as `shown:LINE: field: message`.

    A fragment is what `build --shard` writes: the register's header (its columns in any
    order, each once) and rows that keep every rule of the register. Spreadsheet leftovers
    (a byte-order mark, CRLF, blank lines) are accepted as in the register.
    """

    def whole(message: str) -> tuple[list[Placed], list[Problem]]:
        return [], [Problem(shown, 0, 0, "", message)]

    what = "a register fragment (register-fragment-I-of-N.csv, written by build --shard)"
    try:
        if path.is_dir():
            return whole(f"is a folder, not {what}")
        data = path.read_bytes()
    except OSError as error:
        reason = "no such file" if isinstance(error, FileNotFoundError) else error.strerror
        return whole(f"cannot be read ({reason or error}); name {what}")
    try:
        text = data.decode("utf-8").lstrip(_BOM)
    except UnicodeDecodeError as error:
        return whole(f"is not UTF-8 text (byte 0x{data[error.start]:02X}), so not {what}")
    if not text.strip():
        return whole(f"is empty; {what} has at least the register's header line")
    problems: list[Problem] = []
    rows: list[Placed] = []
    fix = "build the shard again (its fragment is rewritten), or fix the row"
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except (csv.Error, ValueError) as error:
            problems.append(Problem(shown, start, 0, "", f"{_csv_problem(str(error))}; {fix}"))
            continue
        if not any(record):
            continue
        if reader.line_num > start:
            problems.append(
                Problem(
                    shown,
                    start,
                    0,
                    "",
                    f"a quote mark opened on this line closes only on line {reader.line_num} "
                    f"(a register row never spans lines); {fix}",
                )
            )
            continue
        if header is None:
            wrong = _header_problem(record)
            if wrong:
                return [], [Problem(shown, start, 0, "", f"is not {what}: {wrong}")]
            header = record
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    shown,
                    start,
                    0,
                    "",
                    f"has {len(record)} fields but the header has {len(header)}; {fix}",
                )
            )
            continue
        values = dict(zip(header, record, strict=True))
        found = check_fields(values)
        for column, message in found:
            problems.append(Problem(shown, start, 0, column, f"{message}; {fix}"))
        if not found:
            row = Row(**{**values, "version": int(values["version"])})  # type: ignore[arg-type]
            rows.append(Placed(row, shown, start))
    return rows, problems
