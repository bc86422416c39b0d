"""Sources: which files to import, what kind each one really is, and LibreOffice for the rest.

Only the files named are read (a folder stands for the supported files directly in it, links
left out, so a link cannot lead the importer elsewhere). A file's kind is decided by its first
bytes as well as its name: a .docx that is really an old Word file, a password-protected one
(both are OLE compound files, not zips), a picture renamed .docx, or a zip bomb each get one
line saying what to do, never a traceback.

.odt, .doc and .rtf are converted to .docx by LibreOffice headless and then read like any other
Word file: one reader of Word's model is better than three half-readers. Each call gets its own
profile folder (two imports at once, or a user's open LibreOffice, would otherwise fight over
the lock in ~/.config/libreoffice) and a timeout (a damaged or password-protected file can make
LibreOffice wait for ever).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: What the importer reads, by file name ending.
WORD = (".docx", ".docm")
CONVERTED = (".odt", ".doc", ".rtf")
WEB = (".html", ".htm", ".xhtml")
TEXT = (".txt", ".text")
MARKDOWN = (".md", ".markdown")
SUPPORTED = WORD + CONVERTED + WEB + TEXT + MARKDOWN

#: The largest file accepted: real leaflets with photos are a few MB.
MAX_FILE_BYTES = 50_000_000
MAX_TEXT_BYTES = 5_000_000  # a web page or text file; a long leaflet is 50 KB
#: What a Word file may unpack to: more is a zip bomb, not a leaflet.
MAX_UNPACKED_BYTES = 300_000_000
MAX_RATIO = 200  # one member may compress at most this well (text XML manages about 10)

#: How long LibreOffice may take for one file (a batch gets this per file, and a minimum).
CONVERT_SECONDS = 60

DEBIAN_PACKAGE = "libreoffice-writer-nogui"  # headless LibreOffice, no desktop

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"


class ImportProblem(Exception):
    """Why a file cannot be imported, as one line that says what to do."""


@dataclass(frozen=True)
class Source:
    """A file to import: the one named, and the .docx to read when LibreOffice converted it."""

    path: Path
    suffix: str
    converted: Path | None = None


def expand(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to import, and the paths skipped with why: folders stand for the supported
    files directly inside them, in name order (links and hidden files are left out)."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.startswith((".", "~$")) or child.suffix.lower() not in SUPPORTED:
                    continue
                if child.is_symlink():
                    skipped.append((child, "is a link; name the file itself to import it"))
                elif child.is_file():
                    files.append(child)
        else:
            files.append(path)
    return files, skipped


def check_file(path: Path) -> str:
    """The lower-case suffix of a file that may be imported; otherwise an `ImportProblem`."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        kinds = ", ".join(sorted({s for s in SUPPORTED if s not in (".docm", ".xhtml", ".text")}))
        raise ImportProblem(
            f"is not a kind of file the importer reads ({suffix or 'no extension'}); "
            f"save it as one of {kinds}"
        )
    try:
        found = path.stat()
    except OSError as error:
        raise ImportProblem(f"cannot be read ({error.strerror or error})") from None
    if not stat.S_ISREG(found.st_mode):
        raise ImportProblem("is not a regular file (a folder, device or pipe?)")
    if found.st_size == 0:
        raise ImportProblem("is empty; nothing to import")
    limit = MAX_TEXT_BYTES if suffix in WEB + TEXT + MARKDOWN else MAX_FILE_BYTES
    if found.st_size > limit:
        raise ImportProblem(
            f"is {found.st_size:,} bytes; the most the importer reads is {limit:,}: "
            "is it really one leaflet?"
        )
    return suffix


def read_bytes(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a file (it may have grown since it was checked)."""
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise ImportProblem(f"cannot be read ({error.strerror or error})") from None
    if len(data) > limit:
        raise ImportProblem(f"is larger than {limit:,} bytes; is it really one leaflet?")
    if not data:
        raise ImportProblem("is empty; nothing to import")
    return data


def open_word_zip(path: Path, shown_as: str = "Word") -> zipfile.ZipFile:
    """A .docx as a zip that is safe to unpack: a real Word file, not an encrypted one, a
    renamed picture or a zip bomb."""
    with path.open("rb") as file:
        head = file.read(8)
    if head.startswith(_OLE):
        raise ImportProblem(
            "is password-protected, or an old-style Word file named .docx: open it in Word, "
            "remove the password (File > Info > Protect Document), save it as .docx and "
            "import that"
        )
    if not head.startswith(_ZIP):
        raise ImportProblem(
            f"is not a {shown_as} document (a .docx file is a zip archive; this one is not): "
            "open it in Word and save it as .docx"
        )
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ImportProblem(
            f"is damaged ({error}); open it in Word, save it again and import that"
        ) from None
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            archive.close()
            raise ImportProblem(f"holds {info.filename}, which unpacks suspiciously large")
    if total > MAX_UNPACKED_BYTES:
        archive.close()
        raise ImportProblem(f"unpacks to {total:,} bytes; the most the importer reads is "
                            f"{MAX_UNPACKED_BYTES:,}")  # fmt: skip
    if "word/document.xml" not in archive.namelist():
        archive.close()
        raise ImportProblem(
            "is a zip archive but not a Word document (no word/document.xml): "
            "open it in Word and save it as .docx"
        )
    return archive


def soffice() -> str | None:
    """The LibreOffice program, if it is installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def missing_libreoffice(suffix: str) -> str:
    return (
        f"needs LibreOffice to read {suffix} files, and it is not installed: install it "
        f"(on Debian: sudo apt-get install {DEBIAN_PACKAGE}), or save the file as .docx "
        "and import that"
    )


def convert(files: Sequence[Path], workdir: Path, program: str | None = None) -> dict[Path, Path]:
    """Each file converted to .docx by LibreOffice headless, in batches; what is missing from
    the result failed (the caller reports it). Files are converted one LibreOffice start per
    batch, because starting LibreOffice costs about a second; a batch that fails or times out
    is tried again file by file, so one bad file does not fail its neighbours."""
    program = program or soffice()
    if program is None or not files:
        return {}
    done: dict[Path, Path] = {}
    batches = [list(files[i : i + 20]) for i in range(0, len(files), 20)]
    for number, batch in enumerate(batches):
        done.update(_convert_batch(program, batch, workdir / f"batch{number}"))
        for single, path in enumerate(p for p in batch if p not in done):
            done.update(_convert_batch(program, [path], workdir / f"single{number}-{single}"))
    return done


def _convert_batch(program: str, files: list[Path], workdir: Path) -> dict[Path, Path]:
    out, profile = workdir / "out", workdir / "profile"
    out.mkdir(parents=True, exist_ok=True)
    # Copies with safe, distinct names: LibreOffice reads options from names that start with
    # "-", and two files named alike in different folders would convert to one name.
    inputs: dict[Path, Path] = {}
    for index, path in enumerate(files):
        copy = workdir / f"in{index}{path.suffix.lower()}"
        try:
            shutil.copyfile(path, copy)
        except OSError:
            continue
        inputs[copy] = path
    if not inputs:
        return {}
    command = [
        program,
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "docx:MS Word 2007 XML",
        "--outdir",
        str(out),
        *(str(p) for p in inputs),
    ]
    environment = {**os.environ, "HOME": str(workdir)}  # nothing of the user's is touched
    _run(command, environment, timeout=max(CONVERT_SECONDS, 10 * len(inputs)) + 30)
    converted: dict[Path, Path] = {}
    for copy, original in inputs.items():
        result = out / (copy.stem + ".docx")
        if result.is_file() and result.stat().st_size > 0:
            converted[original] = result
    return converted


def _run(command: list[str], environment: dict[str, str], timeout: float) -> None:
    """Run LibreOffice in a process group of its own, and end the whole group if it takes too
    long: `soffice` is a script that starts `soffice.bin`, which would outlive a plain kill."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment,
            start_new_session=True,
        )
    except OSError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
