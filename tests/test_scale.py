"""A trust-size catalogue: workers that do not carry the catalogue, the file index that spares
reading every published PDF, the memo `check` shares with `build`, and pages made again only
when what they show changed. (How fast is for benchmarks/; these say what stays true.)"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

from PIL import Image, ImageCms

from build_leaflets import pictures, produce
from build_leaflets.cli import cli
from build_leaflets.config import load_project
from build_leaflets.fileindex import RACY_SECONDS, FileIndex
from build_leaflets.publish import _temporaries
from tests.conftest import ROOT, SAMPLES

MEMO = Path("output/.cache/checked.json")
HOUR_NS = 3600 * 1_000_000_000


def _age(paths: list[Path]) -> None:
    """Make files look an hour old, as files of an earlier day's build are."""
    for path in paths:
        old = path.stat().st_mtime_ns - HOUR_NS
        os.utime(path, ns=(old, old))


def _pdfs(root: Path) -> list[Path]:
    return sorted((root / "output").rglob("*.pdf"))


def _memo(root: Path) -> dict:
    return json.loads((root / MEMO).read_text())


# --- workers ---------------------------------------------------------------------------------


def _vm_rss_mb() -> str:
    """Evaluated in a worker: its resident memory, from the kernel."""
    return (
        "[int(line.split()[1]) // 1024 for line in open('/proc/self/status') "
        "if line.startswith('VmRSS')][0]"
    )


def test_workers_do_not_carry_what_the_build_holds() -> None:
    """Workers start from a small warm process: 300 MB held by the build (as a large
    catalogue is) is not in them, and neither is a module only the build imported."""
    held = bytearray(300 * 1024 * 1024)
    held[::4096] = b"x" * len(held[::4096])  # every page really in memory
    context = produce._worker_context()
    with context.Pool(1) as pool:
        rss = pool.apply(eval, (_vm_rss_mb(),))
        has_cli = pool.apply(eval, ("'build_leaflets.cli' in __import__('sys').modules",))
        has_weasyprint = pool.apply(eval, ("'weasyprint' in __import__('sys').modules",))
    assert rss < 250, f"a worker holds {rss} MB"
    assert not has_cli
    assert has_weasyprint  # imported once, in the process the workers are forked from
    del held


# --- the file index -------------------------------------------------------------------------


def test_the_index_trusts_a_file_only_while_its_size_times_and_inode_hold(tmp_path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.7 one")
    _age([path])
    index = FileIndex()
    first = index.sha256(path)
    assert index.known(path) == first  # noted: old enough to trust
    saved = FileIndex(index.to_json_ready())
    assert saved.known(path) == first

    # The same size, and its modification time put back: the change time still tells.
    stamp = path.stat()
    path.write_bytes(b"%PDF-1.7 two")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    assert saved.known(path) is None
    assert saved.sha256(path) != first


def test_a_file_changed_moments_ago_is_not_trusted_by_its_times(tmp_path) -> None:
    path = tmp_path / "young.pdf"
    path.write_bytes(b"%PDF-1.7 young")
    index = FileIndex()
    index.sha256(path)
    assert index.known(path) is None  # hashed again next time: it may change in this tick
    assert str(path) not in index.to_json_ready()
    assert RACY_SECONDS >= 1


def test_a_link_never_matches_its_entry(tmp_path) -> None:
    target = tmp_path / "real.pdf"
    target.write_bytes(b"%PDF-1.7 real")
    _age([target])
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    index = FileIndex()
    assert index.sha256(link) == index.sha256(target)
    assert index.known(target) is not None
    assert index.known(link) is None


def test_a_no_op_build_finds_a_damaged_pdf_through_the_index(runner, make_project) -> None:
    root = make_project(SAMPLES[2])
    assert runner.invoke(cli, ["build"]).exit_code == 0
    _age(_pdfs(root))
    assert runner.invoke(cli, ["build"]).exit_code == 0  # hashes them, and notes them
    files = _memo(root)["files"]
    for pdf in _pdfs(root):
        size, _mtime, _ctime, inode, _sha = files[str(pdf)]
        assert (size, inode) == (pdf.stat().st_size, pdf.stat().st_ino)
    assert runner.invoke(cli, ["check"]).exit_code == 0
    assert all(str(pdf) in _memo(root)["files"] for pdf in _pdfs(root))  # a check keeps them
    damaged = _pdfs(root)[0]
    data = bytearray(damaged.read_bytes())
    data[-20] ^= 0xFF  # the same size, other bytes
    damaged.write_bytes(bytes(data))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "does not match the publication register" in result.output


# --- the memo ---------------------------------------------------------------------------------


def test_check_says_the_same_from_its_memo_and_never_makes_the_output_folder(
    runner, make_project
) -> None:
    root = make_project(*SAMPLES)
    first = runner.invoke(cli, ["check"])
    assert first.exit_code == 0, first.output
    assert not (root / "output").exists()  # no output folder: nothing written
    assert runner.invoke(cli, ["build"]).exit_code == 0
    cold = runner.invoke(cli, ["check"])
    warm = runner.invoke(cli, ["check"])
    assert cold.output == warm.output == first.output
    entries = _memo(root)["entries"]
    assert len(entries) == len(SAMPLES)  # the sources; translations are always checked
    assert all("readability" in entry for entry in entries.values())


def test_a_remembered_leaflet_still_meets_a_picture_turned_into_a_link(
    runner, make_project
) -> None:
    root = make_project(*SAMPLES)
    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert runner.invoke(cli, ["check"]).exit_code == 0
    pictures_in = [e for e in _memo(root)["entries"].values() if e["pictures"]]
    assert pictures_in  # the samples show pictures, and the memo keeps those leaflets
    photo = root / "leaflets" / "images" / "therapy-room.jpg"
    outside = root / "elsewhere.jpg"
    shutil.move(photo, outside)
    photo.symlink_to(outside)
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "is a link to a file outside leaflets/images/" in result.output


def test_a_changed_picture_is_seen_though_its_leaflet_is_remembered(runner, make_project) -> None:
    root = make_project()  # the samples and their register
    (root / "output").mkdir()
    assert runner.invoke(cli, ["check"]).exit_code == 0
    assert any(e["pictures"] for e in _memo(root)["entries"].values())  # remembered
    photo = root / "leaflets" / "images" / "therapy-room.jpg"
    with Image.open(photo) as picture:
        picture.rotate(180).save(photo, "JPEG")
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "already published" in result.output and "text or pictures" in result.output


# --- pages ------------------------------------------------------------------------------------


def test_pages_are_made_again_only_when_what_they_show_changed(runner, make_project) -> None:
    root = make_project(*SAMPLES)
    assert runner.invoke(cli, ["build"]).exit_code == 0
    index = root / "output" / "index.html"
    governance = root / "output" / "governance.html"
    assert runner.invoke(cli, ["build"]).exit_code == 0
    stamp = (index.stat().st_mtime_ns, index.stat().st_ino)

    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert (index.stat().st_mtime_ns, index.stat().st_ino) == stamp  # untouched

    index.write_text("edited by hand")
    governance.unlink()
    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert "edited by hand" not in index.read_text()
    assert governance.is_file()

    leaflet = root / "leaflets" / SAMPLES[2].name
    leaflet.write_text(leaflet.read_text().replace("status: approved", "status: draft"))
    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert "Draft" in index.read_text() or "draft" in index.read_text()


# --- pictures for print -------------------------------------------------------------------------


def test_a_photo_without_transparency_converts_to_the_same_bytes_as_before() -> None:
    """The shorter way for an opaque photo gives exactly what the four-channel way gives."""
    project = load_project(ROOT)
    printer = project.site.printers[project.site.printer]
    profile = (project.root / printer.icc_profile).read_bytes()
    data = (ROOT / "leaflets" / "images" / "therapy-room.jpg").read_bytes()
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.mode == "RGB"
        rgba = picture.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    cmyk = ImageCms.applyTransform(flat, pictures._transform(profile, "RGB"))
    out = io.BytesIO()
    cmyk.save(out, "JPEG", quality=95, subsampling=0, optimize=True)
    assert pictures._photo_for_print(data, profile) == out.getvalue()


def test_the_leftover_search_finds_our_temporaries_and_nothing_else(tmp_path) -> None:
    """A killed build's `.NAME.XXXX.tmp` files are found anywhere under the output folder,
    but never in quarantine/, never through a link to a folder, and never a folder or a name
    that only looks alike."""
    out = tmp_path / "output"
    ours = [
        out / ".index.html.a1b2.tmp",
        out / "pdf" / "PSY-0101" / ".PSY-0101-v2.pdf.x9.tmp",
        out / "drafts" / "..tmp",
    ]
    others = [
        out / "quarantine" / "2026" / ".kept.pdf.1.tmp",  # moved aside: never deleted
        out / "pdf" / "quarantine" / ".kept.pdf.2.tmp",
        out / ".tmp",
        out / "visible.tmp",
        out / ".notes.tmp.txt",
    ]
    for path in ours + others:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    (out / ".folder.tmp").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".theirs.tmp").write_bytes(b"x")
    (out / "linked").symlink_to(elsewhere, target_is_directory=True)

    assert sorted(_temporaries(out)) == sorted(ours)
