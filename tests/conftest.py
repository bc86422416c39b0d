"""Shared fixtures: a throw-away project folder, and the sample leaflets built once per run."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from build_leaflets import lock
from build_leaflets.build import build
from build_leaflets.config import load_project

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
#: The sample leaflets (sources), and their sample translations (psy-0101.cy.yaml...).
SAMPLES = sorted(p for p in (ROOT / "leaflets").glob("*.yaml") if "." not in p.stem)
TRANSLATIONS = sorted(p for p in (ROOT / "leaflets").glob("*.yaml") if "." in p.stem)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def copy_project(dest: Path, *leaflets: Path | tuple[str, str]) -> Path:
    """A project folder of our own: settings, layouts, and the chosen leaflets (default: the
    samples with their publication register), so tests never touch the repository's files."""
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    shutil.copytree(ROOT / "layouts", dest / "layouts")
    if not leaflets:
        shutil.copytree(ROOT / "leaflets", dest / "leaflets")
        return dest
    folder = dest / "leaflets"
    folder.mkdir()
    shutil.copytree(ROOT / "leaflets" / "images", folder / "images")  # the samples' pictures
    for leaflet in leaflets:
        if isinstance(leaflet, tuple):
            name, text = leaflet
            (folder / name).write_text(text, encoding="utf-8")
        else:
            shutil.copy(leaflet, folder / leaflet.name)
    return dest


@pytest.fixture
def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """`copy_project` into this test's folder, made the current folder."""

    def make(*leaflets: Path | tuple[str, str]) -> Path:
        copy_project(tmp_path, *leaflets)
        monkeypatch.chdir(tmp_path)
        return tmp_path

    return make


@pytest.fixture(scope="session")
def samples_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's project (samples and register), built once."""
    root = copy_project(tmp_path_factory.mktemp("project"))
    result = build(load_project(root))
    assert result.ok, result.failures
    return root


@pytest.fixture(scope="session")
def built(samples_project: Path) -> Path:
    """The output folder of the samples, as `build-leaflets build` makes it."""
    return samples_project / "output"


def sample_pdfs(out: Path) -> list[Path]:
    """The archival PDFs (not the large-print ones) of the source leaflets in an output folder."""
    return sorted(
        p for p in (out / "pdf").glob("*/*.pdf") if re.search(r"-v\d+(-A[45])?\.pdf$", p.name)
    )


def translated_pdfs(out: Path) -> list[Path]:
    """The archival PDFs of the translations (PSY-0101-v1-cy.pdf, or the sample translations'
    drafts, PSY-0101-v1-cy-draft.pdf) in an output folder."""
    archival = r"-v\d+-[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?(-draft)?\.pdf$"
    found = [*(out / "pdf").glob("*/*.pdf"), *(out / "drafts").glob("*.pdf")]
    return sorted(p for p in found if re.search(archival, p.name))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes, to prove that nothing changed (the lock files,
    which say who last held them, and the build's cache of what it has checked and hashed,
    which names the folder's own files and learns as it goes, aside)."""
    if not folder.exists():
        return {}
    locks = (lock.OUTPUT_LOCK, lock.REGISTER_LOCK)
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in locks and ".cache" not in p.relative_to(folder).parts
    }


def source_sha(leaflet: Path) -> str:
    """The register's source checksum of a leaflet file: its YAML and the pictures it shows."""
    from build_leaflets.load import source_digest  # noqa: PLC0415

    text = leaflet.read_bytes()
    shown = re.findall(r"\]\((images/[^ )]+)", text.decode())
    pictures = {
        name: hashlib.sha256((leaflet.parent / name).read_bytes()).hexdigest() for name in shown
    }
    return source_digest(text, pictures)


def structure(reader: Any) -> list[Any]:
    """Every element of a PDF's structure tree (its tags), in reading order."""
    found: list[Any] = []

    def walk(element: Any) -> None:
        element = element.get_object()
        found.append(element)
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict) and "/S" in kid:
                walk(kid)

    walk(reader.root_object["/StructTreeRoot"])
    return found
