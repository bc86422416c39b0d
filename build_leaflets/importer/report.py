"""Report: what the importer did with each file, in lines a person can act on.

For every file: where each section came from (the document's heading, how it was recognised as
a heading, and how it was matched to the section), what became an extra section, what is still
missing, which governance fields were found and where, what could not be placed, whether every
word arrived, and the command to run next. Then, for a batch, one table of all files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LABEL_WIDTH = 18


@dataclass
class FileReport:
    """One file's import: the draft written (or why not), and every decision made."""

    source: Path
    shown: str  # the file as the user named it
    target: Path | None = None
    target_shown: str = ""
    reference: str = ""
    error: str = ""
    placed: list[tuple[str, str]] = field(default_factory=list)  # (field, where from)
    extras: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    governance: list[tuple[str, str]] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    words: int = 0
    dropped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """A draft was written and every word of the document is in it."""
        return not self.error and not self.dropped

    @property
    def sections(self) -> int:
        """How many standard sections the draft has."""
        return sum(1 for name, _ in self.placed if name not in ("title", "summary", "contact"))


def format_report(report: FileReport) -> str:
    """The report of one file, one line per decision."""
    if report.error:
        return f"{report.shown}: failed: {report.error}"
    lines = [f"{report.shown} -> {report.target_shown} (status: draft)"]
    lines += [_line(name, text) for name, text in report.placed]
    lines += [_line("extra_sections", text) for text in report.extras]
    if report.missing:
        lines.append(
            _line(
                "missing",
                f"{', '.join(report.missing)}: required; write them (check will name them)",
            )
        )
    lines += [_line(name, text) for name, text in report.governance]
    lines += [_line("not placed", text) for text in report.unplaced]
    lines += [_line("note", text) for text in report.notes]
    if report.dropped:
        shown = ", ".join(report.dropped[:20]) + (" ..." if len(report.dropped) > 20 else "")
        lines.append(
            _line(
                "words",
                f"{len(report.dropped)} word(s) of the document are not in the draft: "
                f"{shown}; copy them in from the original",
            )
        )
    else:
        lines.append(_line("words", f"all {report.words:,} words of the text are in the draft"))
    lines.append(_line("next", f"build-leaflets check {report.target_shown}"))
    return "\n".join(lines)


def _line(label: str, text: str) -> str:
    return f"  {label:<{LABEL_WIDTH}} {text}"


def format_summary(reports: list[FileReport]) -> str:
    """One row per file, and a closing count."""
    header = ("File", "Result", "Reference", "Sections", "Extra", "Missing", "Words")
    rows = [header]
    for report in reports:
        if report.error:
            rows.append((report.shown, "failed", "-", "-", "-", "-", "-"))
            continue
        result = "draft" if report.ok else "words lost"
        words = f"{report.words}" + (f" ({len(report.dropped)} lost)" if report.dropped else "")
        missing = ", ".join(report.missing) or "-"
        rows.append(
            (
                report.shown,
                result,
                report.reference,
                str(report.sections),
                str(len(report.extras)),
                missing,
                words,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]  # fmt: skip
    written = sum(1 for r in reports if not r.error)
    failed = len(reports) - written
    lost = sum(1 for r in reports if r.dropped and not r.error)
    summary = f"{len(reports)} file(s): {written} draft(s) written, {failed} failed"
    if lost:
        summary += f", {lost} with words not placed"
    lines.append(summary + ".")
    return "\n".join(lines)
