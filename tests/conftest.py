"""Shared fixtures: a throw-away project folder, and the sample leaflets built once per run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from build_leaflets.build import build
from build_leaflets.config import load_project

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SAMPLES = sorted((ROOT / "leaflets").glob("*.yaml"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """A project folder of our own (settings, layouts, chosen leaflets), made the cwd."""

    def make(*leaflets: Path | tuple[str, str]) -> Path:
        shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
        shutil.copytree(ROOT / "layouts", tmp_path / "layouts")
        folder = tmp_path / "leaflets"
        folder.mkdir()
        for leaflet in leaflets:
            if isinstance(leaflet, tuple):
                name, text = leaflet
                (folder / name).write_text(text, encoding="utf-8")
            else:
                shutil.copy(leaflet, folder / leaflet.name)
        monkeypatch.chdir(tmp_path)
        return tmp_path

    return make


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample leaflets built once, as `build-leaflets build --out DIR` would."""
    out = tmp_path_factory.mktemp("output")
    result = build(load_project(ROOT), out=out)
    assert result.ok, result.failures
    return out


def sample_pdfs(out: Path) -> list[Path]:
    return sorted((out / "pdf").glob("*/*.pdf"))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes, to prove that nothing changed."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
