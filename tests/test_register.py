"""The publication register: read strictly but tolerantly, appended to durably.

Each damaged file in tests/data/register/ holds one defect a person with a spreadsheet (or a
slip in an editor) could make; each must be reported with its line and what to do, and no
damaged register may be read as if it were whole.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from build_leaflets.cli import cli
from build_leaflets.errors import LeafletError, ProblemsFound
from build_leaflets.register import (
    ARCHIVAL,
    COLUMNS,
    LARGE_PRINT,
    PRINT,
    Register,
    Row,
    append_rows,
    check_fields,
    read_register,
    validate_row,
)
from tests.conftest import ROOT

DATA = Path(__file__).resolve().parent / "data" / "register"
SHOWN = "leaflets/register.csv"
RESTORE = "restore the file from git (git checkout leaflets/register.csv)"
FIX = f"fix the row, or {RESTORE}"
DAMAGED = "The publication register leaflets/register.csv is damaged; nothing was changed."
WHERE = "it must be a path inside the output folder, like pdf/PSY-0042/PSY-0042-v1.pdf"
SAMPLE = ROOT / "leaflets" / "register.csv"
SHA_SOURCE = "7326bbec893f0fdb925380abd4913d36eea395628469570652e4df0b5fdb8687"

DAMAGED_FILES = {
    "not_utf8.csv": [
        f'{SHOWN}:3: is not UTF-8 (byte 0xE9); it looks like Windows-1252: save it as "CSV UTF-8"'
        f" in your spreadsheet, or {RESTORE}"
    ],
    "utf16.csv": [
        f"{SHOWN}:1: is not UTF-8 (byte 0xFF); it looks like UTF-16 (a spreadsheet's \"Unicode"
        f' Text"): save it as "CSV UTF-8" in your spreadsheet, or {RESTORE}'
    ],
    "unclosed_quote.csv": [
        f'{SHOWN}:3: a quote mark (") opened on this line is never closed, so every line after'
        f" it would be read as one field: fix the quote marks, or {RESTORE}"
    ],
    "quote_spans_lines.csv": [
        f'{SHOWN}:2: a quote mark (") opened on this line closes only on line 3, so those lines'
        " were read as one row (the register never has line breaks in a field): fix the quote"
        f" marks, or {RESTORE}"
    ],
    "text_after_quote.csv": [
        f'{SHOWN}:3: a field has text after its closing quote mark ("), like "abc"def; put the'
        ' whole field in quotes and double the quote marks inside it ("abc""def"), or'
        f" {RESTORE}"
    ],
    "missing_field.csv": [
        f"{SHOWN}:3: has 12 fields but the header has 13 (a field is missing: a comma was"
        f" lost?); {FIX}"
    ],
    "extra_field.csv": [
        f"{SHOWN}:3: has 14 fields but the header has 13 (there are extra fields: an extra"
        f" comma?); {FIX}"
    ],
    "field_too_long.csv": [
        f"{SHOWN}:3: has a field longer than 131072 characters, more than a field may have; {FIX}"
    ],
    "missing_column.csv": [f"{SHOWN}:1: missing columns: pdf_sha256; {RESTORE}"],
    "unknown_column.csv": [
        f"{SHOWN}:1: unknown columns: 'notes'; the header must name exactly the register's"
        f" columns ({', '.join(COLUMNS)}): remove them, or {RESTORE}"
    ],
    "version_not_number.csv": [
        f"{SHOWN}:2: version: is not a whole number of 1 or more: 'one'; {FIX}"
    ],
    "version_superscript.csv": [
        f"{SHOWN}:2: version: is not a whole number of 1 or more: '²'; {FIX}"
    ],
    "version_zero.csv": [f"{SHOWN}:2: version: is not a whole number of 1 or more: '0'; {FIX}"],
    "file_traversal.csv": [
        f"{SHOWN}:2: file: goes outside the output folder (a '..' part): '../../../etc/passwd';"
        f" {WHERE}; {FIX}"
    ],
    "file_absolute.csv": [f"{SHOWN}:2: file: is an absolute path: '/etc/passwd'; {WHERE}; {FIX}"],
    "file_backslash.csv": [
        f"{SHOWN}:2: file: contains a backslash: 'pdf\\PSY-0101\\PSY-0101-v1.pdf'; paths use"
        f" forward slashes, like pdf/PSY-0042/PSY-0042-v1.pdf; {FIX}"
    ],
    "file_not_pdf.csv": [
        f"{SHOWN}:2: file: is not where the tool publishes a PDF (pdf/REFERENCE/NAME.pdf or"
        f" print/NAME.pdf): 'notes/PSY-0101.txt'; {WHERE}; {FIX}"
    ],
    "source_sha_upper.csv": [
        f"{SHOWN}:2: source_sha256: is not a SHA-256 (64 characters 0-9 and a-f, in lower case):"
        f" '7326BBEC893F0FDB925380ABD4913D36EEA39562...'; {FIX}"
    ],
    "pdf_sha_short.csv": [
        f"{SHOWN}:2: pdf_sha256: is not a SHA-256 (64 characters 0-9 and a-f, in lower case):"
        f" '39fbdad67c273aaa8444c3541e434e1f7de08d45...'; {FIX}"
    ],
    "date_reformatted.csv": [
        f"{SHOWN}:2: last_updated: is not a date written YYYY-MM-DD: '01/10/2026' (a"
        f" spreadsheet may have changed it: format the column as text); {FIX}"
    ],
    "date_impossible.csv": [f"{SHOWN}:2: published: is not a real date: '2026-02-30'; {FIX}"],
    "archive_date_bad.csv": [
        f"{SHOWN}:2: archive_date: is not a date written YYYY-MM-DD: '2029/10/01' (a"
        f" spreadsheet may have changed it: format the column as text); {FIX}"
    ],
    "control_character.csv": [
        f"{SHOWN}:2: title: contains a control character (U+0007), which the register never"
        f" has; {FIX}"
    ],
    "bad_reference.csv": [
        f"{SHOWN}:2: reference: is not a leaflet reference (letters, digits and hyphens, like"
        f" PSY-0042): 'PSY 0101'; {FIX}"
    ],
    "several_problems.csv": [
        f"{SHOWN}:2: version: is not a whole number of 1 or more: 'x'; {FIX}",
        f"{SHOWN}:3: published: is not a date written YYYY-MM-DD: '23/11/2026' (a spreadsheet"
        f" may have changed it: format the column as text); {FIX}",
        f"{SHOWN}:4: has 14 fields but the header has 13 (there are extra fields: an extra"
        f" comma?); {FIX}",
    ],
}


def copied(tmp_path: Path, name: str) -> Path:
    """A data file copied into this test's folder, so no test can change the originals."""
    path = tmp_path / "register.csv"
    shutil.copy(DATA / name, path)
    return path


def refusal(path: Path) -> list[str]:
    """The lines read_register prints for a damaged register."""
    with pytest.raises(ProblemsFound) as raised:
        read_register(path, SHOWN)
    assert raised.value.exit_code == 1
    return raised.value.format_message().splitlines()


def sample_row(**changes: object) -> Row:
    row = Row(
        reference="PSY-0101",
        version=2,
        variant=ARCHIVAL,
        language="en-GB",
        title="Integrated psychological therapy",
        last_updated="2027-01-05",
        archive_date="2030-01-05",
        status="approved",
        source_sha256=SHA_SOURCE,
        pdf_sha256="ab" * 32,
        file="pdf/PSY-0101/PSY-0101-v2.pdf",
        layout_sha256="cd" * 32,
        tool_version="build_leaflets 0.1.0; WeasyPrint 70.0",
        published="2027-01-06",
    )
    return replace(row, **changes)


# --- Reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DAMAGED_FILES))
def test_damaged_register_is_refused_with_its_line(tmp_path, name) -> None:
    assert refusal(copied(tmp_path, name)) == [*DAMAGED_FILES[name], DAMAGED]


def test_every_damaged_file_has_a_test() -> None:
    readable = {
        "valid.csv",
        "bom_crlf.csv",
        "blank_lines.csv",
        "archive_date_empty.csv",
        "empty.csv",
        "header_only.csv",
    }
    assert {p.name for p in DATA.glob("*.csv")} == set(DAMAGED_FILES) | readable


def test_sample_register_reads_cleanly() -> None:
    register = read_register(SAMPLE, SHOWN)
    assert len(register.rows) == 18  # 4 leaflets x 3 kinds, and PSY-0101 v2 and PSY-0102 v2
    assert register.to_csv() == SAMPLE.read_bytes()


def test_sample_register_with_bom_reads_the_same(tmp_path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.read_bytes())
    assert read_register(path, SHOWN).rows == read_register(SAMPLE, SHOWN).rows


def test_sample_register_with_crlf_reads_the_same(tmp_path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(SAMPLE.read_bytes().replace(b"\n", b"\r\n"))
    assert read_register(path, SHOWN).rows == read_register(SAMPLE, SHOWN).rows


def test_bom_and_crlf_are_accepted(tmp_path) -> None:
    register = read_register(copied(tmp_path, "bom_crlf.csv"), SHOWN)
    valid = read_register(copied(tmp_path, "valid.csv"), SHOWN)
    assert register.rows == valid.rows
    assert [row.variant for row in register.rows] == [ARCHIVAL, PRINT, LARGE_PRINT]
    assert register.rows[0].reference == "PSY-0101"  # not "\ufeffPSY-0101" nor a BOM column


def test_blank_lines_and_rows_of_commas_are_skipped(tmp_path) -> None:
    register = read_register(copied(tmp_path, "blank_lines.csv"), SHOWN)
    assert register.rows == read_register(copied(tmp_path, "valid.csv"), SHOWN).rows


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv"])
def test_empty_register_is_not_an_error(tmp_path, name) -> None:
    assert read_register(copied(tmp_path, name), SHOWN).rows == ()


def test_missing_register_is_empty(tmp_path) -> None:
    assert read_register(tmp_path / "register.csv", SHOWN).rows == ()


def test_empty_archive_date_is_allowed(tmp_path) -> None:
    (row,) = read_register(copied(tmp_path, "archive_date_empty.csv"), SHOWN).rows
    assert row.archive_date == ""
    assert row.version == 1


def test_columns_may_be_moved(tmp_path) -> None:
    """A spreadsheet user may reorder columns: each value is still read under its heading."""
    with SAMPLE.open(newline="", encoding="utf-8") as file:
        records = list(csv.reader(file))
    path = tmp_path / "register.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file, lineterminator="\n").writerows([r[::-1] for r in records])
    assert read_register(path, SHOWN).rows == read_register(SAMPLE, SHOWN).rows


def test_column_named_twice_is_refused(tmp_path) -> None:
    path = tmp_path / "register.csv"
    path.write_text(",".join([*COLUMNS, "title"]) + "\n", encoding="utf-8")
    assert refusal(path) == [
        f"{SHOWN}:1: columns named twice: title; remove the copies, or {RESTORE}",
        DAMAGED,
    ]


def test_field_too_long_is_caught_even_if_the_csv_limit_was_raised(tmp_path) -> None:
    """csv.field_size_limit is process-wide: some other code may have raised it."""
    path = copied(tmp_path, "field_too_long.csv")
    before = csv.field_size_limit(10**7)
    try:
        lines = refusal(path)
    finally:
        csv.field_size_limit(before)
    assert lines == [
        f"{SHOWN}:3: title: is 131073 characters long, more than the 131072 a field may have;"
        f" {FIX}",
        DAMAGED,
    ]


def test_a_field_at_the_limit_is_read(tmp_path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(b"")
    append_rows(path, [sample_row(title="x" * 131_072)])
    assert read_register(path, SHOWN).rows[0].title == "x" * 131_072


def test_many_problems_are_cut_short(tmp_path) -> None:
    path = tmp_path / "register.csv"
    header, row = (DATA / "version_zero.csv").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([header] + [row] * 60) + "\n", encoding="utf-8")
    lines = refusal(path)
    assert len(lines) == 52
    assert lines[0] == f"{SHOWN}:2: version: is not a whole number of 1 or more: '0'; {FIX}"
    assert lines[49].startswith(f"{SHOWN}:51: version:")
    assert lines[50:] == ["...and 10 more problem(s) like these.", DAMAGED]


def test_damaged_register_through_the_cli_is_a_clean_error(make_project, runner) -> None:
    root = make_project()
    shutil.copy(DATA / "file_traversal.csv", root / "leaflets" / "register.csv")
    result = runner.invoke(cli, ["audit"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert result.output.splitlines() == [*DAMAGED_FILES["file_traversal.csv"], DAMAGED]


def test_non_utf8_register_through_the_cli_is_a_clean_error(make_project, runner) -> None:
    root = make_project()
    shutil.copy(DATA / "not_utf8.csv", root / "leaflets" / "register.csv")
    result = runner.invoke(cli, ["audit"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.output.splitlines() == [*DAMAGED_FILES["not_utf8.csv"], DAMAGED]


# --- Look-ups ---------------------------------------------------------------------------------


def test_by_pdf_sha256_and_rows_of() -> None:
    register = read_register(SAMPLE, SHOWN)
    archival = register.find("PSY-0102", 1)
    assert archival is not None
    assert register.by_pdf_sha256(archival.pdf_sha256) == archival
    assert register.by_pdf_sha256("0" * 64) is None
    variants = register.rows_of("psy-0102", 1)
    assert [row.variant for row in variants] == [ARCHIVAL, PRINT, LARGE_PRINT]
    assert {row.reference for row in variants} == {"PSY-0102"}
    assert [row.variant for row in register.rows_of("PSY-0102", 2)] == [
        ARCHIVAL,
        PRINT,
        LARGE_PRINT,
    ]
    assert register.rows_of("PSY-0102", 3) == []


def test_first_row_wins_for_a_repeated_pdf_sha256(tmp_path) -> None:
    first, second = sample_row(), sample_row(variant=PRINT, file="print/PSY-0101-v2-print.pdf")
    register = Register(tmp_path / "register.csv", (first, second))
    assert register.by_pdf_sha256(first.pdf_sha256) is first
    assert register.rows_of("PSY-0101", 2) == [first, second]


# --- The shared rules -------------------------------------------------------------------------


def test_validate_row_uses_the_reader_rules() -> None:
    assert validate_row(sample_row()) == []
    assert validate_row(sample_row(version=0)) == [
        ("version", "is not a whole number of 1 or more: '0'")
    ]
    values = {column: str(value) for column, value in vars(sample_row()).items()}
    assert check_fields(values | {"file": "../x.pdf"}) == [
        ("file", f"goes outside the output folder (a '..' part): '../x.pdf'; {WHERE}")
    ]


@pytest.mark.parametrize(
    "file",
    [
        "pdf/PSY-0101/PSY-0101-v1.pdf",
        "pdf/PSY-0101/PSY-0101-v1-large-print.pdf",
        "pdf/PSY-0101/PSY-0101-v1-A5.pdf",
        "print/PSY-0101-v1-print.pdf",
    ],
)
def test_every_file_the_tool_writes_is_allowed(file) -> None:
    assert validate_row(sample_row(file=file)) == []


@pytest.mark.parametrize(
    "file",
    [
        "../../../etc/passwd",
        "pdf/../../x.pdf",
        "/etc/passwd",
        "C:/x.pdf",
        "pdf\\PSY-0101\\PSY-0101-v1.pdf",
        "pdf/PSY-0101-v1.pdf",
        "pdf/PSY-0101/sub/PSY-0101-v1.pdf",
        "drafts/PSY-0101-v1-draft.pdf",
        "print/PSY-0101-v1-print.zip",
        "pdf/./PSY-0101-v1.pdf",
        "",
    ],
)
def test_files_outside_the_published_folders_are_refused(file) -> None:
    assert [column for column, _ in validate_row(sample_row(file=file))] == ["file"]


# --- Appending --------------------------------------------------------------------------------


def test_append_creates_a_missing_register_with_its_header(tmp_path) -> None:
    path = tmp_path / "register.csv"
    row = sample_row()
    append_rows(path, [row])
    assert path.read_bytes() == Register(path, (row,)).to_csv()
    assert read_register(path, SHOWN).rows == (row,)
    assert [p.name for p in tmp_path.iterdir()] == ["register.csv"]  # no temporary file left


def test_append_to_an_empty_file_writes_the_header(tmp_path) -> None:
    path = copied(tmp_path, "empty.csv")
    append_rows(path, [sample_row()])
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    assert read_register(path, SHOWN).rows == (sample_row(),)


def test_append_nothing_changes_nothing(tmp_path) -> None:
    path = tmp_path / "register.csv"
    append_rows(path, [])
    assert not path.exists()


def test_append_matches_to_csv(tmp_path) -> None:
    path = tmp_path / "register.csv"
    shutil.copy(SAMPLE, path)
    new = [sample_row(), sample_row(variant=PRINT, file="print/PSY-0101-v2-print.pdf")]
    append_rows(path, new)
    register = read_register(SAMPLE, SHOWN).with_rows(new)
    assert path.read_bytes() == register.to_csv()


def test_append_to_a_hand_edited_file(tmp_path) -> None:
    """A BOM, CRLF line ends and no newline at the end: the new rows still start a line."""
    path = copied(tmp_path, "bom_crlf.csv")
    path.write_bytes(path.read_bytes().removesuffix(b"\r\n"))
    before = read_register(path, SHOWN).rows
    new = [sample_row(), sample_row(variant=PRINT, file="print/PSY-0101-v2-print.pdf")]
    append_rows(path, new)
    assert read_register(path, SHOWN).rows == (*before, *new)
    assert path.read_bytes().endswith(b"\n")


def test_append_follows_the_files_column_order(tmp_path) -> None:
    with SAMPLE.open(newline="", encoding="utf-8") as file:
        records = list(csv.reader(file))
    path = tmp_path / "register.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file, lineterminator="\n").writerows([r[::-1] for r in records])
    append_rows(path, [sample_row()])
    assert read_register(path, SHOWN).rows[-1] == sample_row()


def test_append_refuses_a_file_without_the_header(tmp_path) -> None:
    path = copied(tmp_path, "missing_column.csv")
    before = path.read_bytes()
    with pytest.raises(LeafletError, match="its first line is not the register's header"):
        append_rows(path, [sample_row()])
    assert path.read_bytes() == before


def test_a_hundred_rows_cost_one_write(tmp_path, monkeypatch) -> None:
    path = tmp_path / "register.csv"
    shutil.copy(SAMPLE, path)
    rows = [sample_row(version=n, file=f"pdf/PSY-0101/PSY-0101-v{n}.pdf") for n in range(2, 102)]
    writes: list[int] = []
    real_write = os.write

    def counting_write(descriptor: int, data: bytes) -> int:
        writes.append(len(data))
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", counting_write)
    append_rows(path, rows)
    monkeypatch.undo()
    assert len(writes) == 1
    assert (
        path.read_bytes()
        == SAMPLE.read_bytes() + Register(path, tuple(rows)).to_csv().split(b"\n", 1)[1]
    )
    assert read_register(path, SHOWN).rows[-100:] == tuple(rows)


@pytest.mark.parametrize(
    ("changes", "column", "problem"),
    [
        (
            {"title": "Integrated\x07 therapy"},
            "title",
            "contains a control character (U+0007), which the register never has",
        ),
        (
            {"title": "Integrated\ntherapy"},
            "title",
            "contains a line break, which the register never has",
        ),
        (
            {"title": "x" * 131_073},
            "title",
            "is 131073 characters long, more than the 131072 a field may have",
        ),
        (
            {"file": "../../../etc/passwd"},
            "file",
            f"goes outside the output folder (a '..' part): '../../../etc/passwd'; {WHERE}",
        ),
    ],
)
def test_append_refuses_what_the_reader_would_refuse(tmp_path, changes, column, problem) -> None:
    path = tmp_path / "register.csv"
    shutil.copy(SAMPLE, path)
    row = sample_row(**changes)
    with pytest.raises(LeafletError) as raised:
        append_rows(path, [sample_row(version=3, file="pdf/PSY-0101/PSY-0101-v3.pdf"), row])
    assert raised.value.format_message() == (
        f"register.csv: will not record {row.file}: {column}: {problem}; the register must stay"
        " readable, so correct the leaflet and build again"
    )
    assert path.read_bytes() == SAMPLE.read_bytes()  # nothing written, not even the good row
