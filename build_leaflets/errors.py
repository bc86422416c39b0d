"""Errors: everything a user can get wrong, each printed with its place and exit status 1.

Every user mistake ends up as a `LeafletError`. Click shows it without a traceback, so the
one place that catches it is click itself; nothing else in the package prints errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import click


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, at one place: `leaflets/x.yaml:12:5: field: message`.

    `line` and `column` are 1-based; 0 means the place is the whole file.
    """

    path: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        place = self.path
        if self.line:
            place += f":{self.line}:{self.column}" if self.column else f":{self.line}"
        return (
            f"{place}: {self.field}: {self.message}" if self.field else f"{place}: {self.message}"
        )


class LeafletError(click.ClickException):
    """Base of every error a user can cause; printed as-is, exit status 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        # Click prefixes "Error: "; our messages already say where and what, so print them bare.
        click.echo(self.format_message(), file=file, err=file is None)


class ProblemsFound(LeafletError):
    """One or more problems in the sources: all are reported together, one line each."""

    def __init__(self, problems: Iterable[Problem], summary: str = "") -> None:
        self.problems = sorted(problems)
        lines = [str(p) for p in self.problems]
        if summary:
            lines.append(summary)
        super().__init__("\n".join(lines))


class ConfigError(LeafletError):
    """A setting in `[tool.build_leaflets]` of pyproject.toml is wrong."""


class RefusedResource(LeafletError):
    """The renderer was asked for a file or URL it must not read (safety, not a bug)."""


class PublishError(LeafletError):
    """Writing to the output folder would lose or overwrite something."""


class SystemProblem(LeafletError):
    """The machine refused: the disk is full, a folder is read-only, permission is denied."""


#: What to do about the system errors people meet, by errno name.
_ADVICE = {
    "ENOSPC": "the disk is full; free some space (or build into another folder with --out) "
    "and run the command again",
    "EDQUOT": "your disk quota is used up; free some space and run the command again",
    "EROFS": "the folder is on a read-only disk; build into a writable folder with --out",
    "EACCES": "permission denied; check the folder's permissions (or build into another "
    "folder with --out)",
    "EPERM": "the operation is not permitted; check the file's permissions and owner",
    "ENOENT": "no such file or folder",
    "EISDIR": "is a folder where a file was expected",
    "ENOTDIR": "a part of the path is a file where a folder was expected",
    "EMFILE": "too many open files; run the command again with fewer --jobs",
    "EIO": "the disk reported an input/output error; check the disk and run the command again",
}


def system_problem(error: OSError) -> SystemProblem:
    """An operating-system error as one line naming the path and what to do, never a traceback.

    Nothing is half-written when this is raised: every file is written to a temporary name and
    renamed into place, so the old file, or none, is still there.
    """
    import errno  # noqa: PLC0415  (only on the error path)

    name = errno.errorcode.get(error.errno or 0, "")
    what = _ADVICE.get(name) or (error.strerror or str(error)).rstrip(".")
    place = _shown(error.filename) if error.filename is not None else "build-leaflets"
    extra = f" ({error.filename2})" if error.filename2 is not None else ""
    return SystemProblem(f"{place}{extra}: {what}. Nothing was half-written.")


def _shown(filename: object) -> str:
    """A path as the user would type it from the current folder, where it lies below it."""
    from pathlib import Path  # noqa: PLC0415  (only on the error path)

    path = Path(str(filename))
    try:
        return path.relative_to(Path.cwd()).as_posix() if path.is_absolute() else str(path)
    except ValueError:
        return str(path)
