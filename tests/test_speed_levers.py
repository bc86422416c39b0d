"""The PDF stage's speed levers are in place and change no byte: the press profile handed over
by URL (a fresh colour profile per document), leaflet.css parsed once per process as a user
stylesheet, and `gc.freeze()` in each worker. Nothing here measures time (see
benchmarks/bench.py)."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from build_leaflets import pdf, produce, render
from build_leaflets.config import Project, load_project
from build_leaflets.errors import LeafletError
from build_leaflets.finish import PdfFields
from build_leaflets.load import Source, load_all
from build_leaflets.register import ARCHIVAL, LARGE_PRINT, PRINT
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT)


@pytest.fixture(scope="module")
def sources(project: Project) -> dict[str, Source]:
    return {source.path.name: source for source in load_all(project)}


def _sha(data: bytes | LeafletError) -> str:
    assert isinstance(data, bytes), data
    return hashlib.sha256(data).hexdigest()


def _registered(reference: str, variant: str) -> str:
    """The registered SHA-256 of the newest version of a leaflet's PDF of one kind."""
    with (ROOT / "leaflets" / "register.csv").open(encoding="utf-8-sig") as file:
        rows = [
            row
            for row in csv.DictReader(file)
            if row["reference"] == reference and row["variant"] == variant
        ]
    return max(rows, key=lambda row: int(row["version"]))["pdf_sha256"]


def _lay_out(project: Project, source: Source, variant: str) -> bytes:
    made = produce.produce(project, produce.Job(source, (variant,))).pdfs[variant]
    assert isinstance(made, bytes), made
    return made


@pytest.fixture
def stylesheet_inline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As before the lever: the whole of leaflet.css in every print page, no user stylesheet."""
    split = render._split_stylesheet

    def whole(path: Path, mtime: int, size: int) -> tuple[str, str, str]:
        css = split(path, mtime, size)[0]
        return css, css, ""

    monkeypatch.setattr(render, "_split_stylesheet", whole)
    yield


# --- the press profile ---------------------------------------------------------------------------


def test_print_page_names_the_profile_and_the_pdf_stage_is_handed_its_bytes(
    project: Project, sources: dict[str, Source]
) -> None:
    printer = project.site.printers[project.site.printer]
    page = render.render_html(
        sources["psy-0102.yaml"].leaflet, project, media="print", printer=printer
    )
    assert "data:application/vnd.iccprofile" not in page
    assert "base64," not in page
    assert f'@color-profile device-cmyk {{ src: url("{render.PROFILE_URL}")' in page
    assert len(page) < 40_000  # it was over 250 KB with the profile inlined
    profile = (project.root / printer.icc_profile).read_bytes()
    assert render.profile_resources(project, printer) == {render.PROFILE_URL: profile}


def test_print_pdfs_made_one_after_another_match_the_register(
    project: Project, sources: dict[str, Source]
) -> None:
    """Each document gets a colour profile of its own: one process laying out print files one
    after another (the same one twice) makes the bytes each was registered with."""
    order = ["psy-0101.yaml", "psy-0102.yaml", "psy-0101.yaml"]
    made = [_sha(_lay_out(project, sources[name], PRINT)) for name in order]
    assert made[0] == made[2]
    for name, digest in zip(order, made, strict=True):
        assert digest == _registered(sources[name].leaflet.reference, PRINT), name


def test_print_pdfs_in_one_process_match_ones_made_in_fresh_processes(
    project: Project, sources: dict[str, Source]
) -> None:
    names = ["psy-0103.yaml", "psy-0104.yaml"]
    together = [_sha(_lay_out(project, sources[name], PRINT)) for name in [*names, *names]]
    script = textwrap.dedent(
        """
        import hashlib, json, sys
        from pathlib import Path
        from build_leaflets import produce
        from build_leaflets.config import load_project
        from build_leaflets.load import load_all
        project = load_project(Path(sys.argv[1]))
        source = next(s for s in load_all(project) if s.path.name == sys.argv[2])
        made = produce.produce(project, produce.Job(source, ("print",))).pdfs["print"]
        print(json.dumps(hashlib.sha256(made).hexdigest()))
        """
    )
    alone = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script, str(ROOT), name],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for name in names
    ]
    assert together == alone + alone


def test_profile_by_url_gives_the_bytes_of_the_inlined_profile(
    project: Project, sources: dict[str, Source], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sources["psy-0104.yaml"]
    by_url = _lay_out(project, source, PRINT)
    monkeypatch.setattr(
        render, "_icc_url", lambda p, printer: render._data_url(render._icc_path(p, printer))
    )
    monkeypatch.setattr(render, "profile_resources", lambda p, printer: {})
    printer = project.site.printers[project.site.printer]
    assert "data:application/vnd.iccprofile;base64," in render.render_html(
        source.leaflet, project, media="print", printer=printer
    )
    assert _lay_out(project, source, PRINT) == by_url


# --- leaflet.css as a user stylesheet -------------------------------------------------------------


def test_print_pages_keep_only_the_first_page_rules_of_leaflet_css(
    project: Project, sources: dict[str, Source]
) -> None:
    whole = (project.layouts / render.STYLESHEET).read_text(encoding="utf-8")
    shared = render.layout_stylesheet(project)
    leaflet = sources["psy-0103.yaml"].leaflet
    page = render.render_html(leaflet, project, media="print")
    screen = render.render_html(leaflet, project, media="screen")
    assert whole in screen  # the web page is self-contained, as before
    assert shared not in page
    assert "@page :first { margin-top: 14mm; }" in page
    # Every first-page rule stays in the page (a nested block would escape the split).
    assert ":first" not in shared
    assert len(shared) + len("@page :first { margin-top: 14mm; }\n") == len(whole)


@pytest.mark.parametrize(
    ("name", "variant"),
    [
        ("psy-0101.yaml", ARCHIVAL),
        ("psy-0101.yaml", LARGE_PRINT),  # its own @page margins: the first page must keep 14mm
        ("psy-0101.ur.yaml", LARGE_PRINT),  # right to left, with !important language rules
        ("psy-0102.yaml", PRINT),  # its own @page :first
    ],
)
def test_user_stylesheet_gives_the_bytes_of_the_inline_one(
    project: Project,
    sources: dict[str, Source],
    request: pytest.FixtureRequest,
    name: str,
    variant: str,
) -> None:
    source = sources[name]
    if source.leaflet.translation:  # a draft translation: built as a draft
        job = produce.Job(source, (variant,), draft=True)
        parsed_once = produce.produce(project, job).pdfs[variant]
        request.getfixturevalue("stylesheet_inline")
        inline = produce.produce(project, job).pdfs[variant]
    else:
        parsed_once = _lay_out(project, source, variant)
        request.getfixturevalue("stylesheet_inline")
        inline = _lay_out(project, source, variant)
    assert render.layout_stylesheet(project) == ""  # really the old way
    assert _sha(parsed_once) == _sha(inline)
    if not source.leaflet.translation:  # translations are drafts here: never registered
        assert _sha(parsed_once) == _registered(source.leaflet.reference, variant)


def test_shared_stylesheet_is_parsed_once_per_process(
    project: Project, sources: dict[str, Source]
) -> None:
    pdf._layout_stylesheet.cache_clear()
    for name in ("psy-0103.yaml", "psy-0104.yaml"):
        _lay_out(project, sources[name], ARCHIVAL)
    info = pdf._layout_stylesheet.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_shared_stylesheet_may_not_declare_a_colour_profile(project: Project) -> None:
    fields = PdfFields("X-1", 1, "2026-01-01", "", "0" * 64, "draft")
    with pytest.raises(LeafletError, match="colour profile"):
        pdf.write_pdf(
            "<p>x</p>",
            name="X-1",
            base=project.layouts,
            allowed=[project.layouts],
            fields=fields,
            variant=None,
            stylesheet="@color-profile device-cmyk { src: url(x.icc); components: c, m, y, k; }",
        )


# --- gc.freeze in the workers ---------------------------------------------------------------------


def test_worker_start_parses_the_shared_stylesheets_then_freezes_them() -> None:
    """In a process of its own, as a worker: freezing here would keep the tests' objects."""
    script = textwrap.dedent(
        """
        import gc, json, sys
        from pathlib import Path
        from build_leaflets import pdf, produce
        from build_leaflets.config import load_project
        assert gc.get_freeze_count() == 0
        produce._start_worker(load_project(Path(sys.argv[1])))
        print(json.dumps({
            "frozen": gc.get_freeze_count(),
            "stylesheets": pdf._layout_stylesheet.cache_info().currsize,
            "fonts": pdf._font_stylesheet.cache_info().currsize,
        }))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    assert found["stylesheets"] == found["fonts"] == 1
    assert found["frozen"] > 10_000  # WeasyPrint, its tables and the parsed stylesheets
    # (that frozen workers make the same files as one process: test_jobs.py)
