"""Translating: the translator's side of `build-leaflets translate`.

Starting a translation writes a skeleton file beside the source with the source's text in
every field to translate and the hash of each part; `--update` shows the translator the old
and new source text of just the parts that changed (the old text comes from the archival PDF
of the version translated, which embeds its YAML, so no git history is needed); `--done`
records that parts now follow the current source. Writing touches only the lines it owns
(`translation_of`, `translated_on` and the `source_hashes` block), so the translator's
comments and layout are kept.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from build_leaflets import exchange, messages, translation
from build_leaflets.config import Project
from build_leaflets.errors import LeafletError, Problem, ProblemsFound
from build_leaflets.files import write_atomic
from build_leaflets.load import Source
from build_leaflets.model import STANDARD_SECTIONS, Leaflet
from build_leaflets.register import ARCHIVAL, Register, read_pdf
from build_leaflets.translation import Part, parts


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    """Multi-line text as a block (`|`), as people write leaflets; one line as it is."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump(data: dict[str, Any]) -> str:
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000, indent=2
    )
    return text


def skeleton(source: Leaflet, display: str, language: str, today: dt.date) -> str:
    """A new translation file: the source's text in every field to translate, with the hash
    of each part it came from, and comments that tell the translator what to do."""
    name = messages.language_name(language, "en")
    fields: dict[str, Any] = {
        "reference": source.reference,
        "language": language,
        "version": 1,
        "translation_of": source.version,
        "translated_on": today,
        "title": source.title,
    }
    if source.summary:
        fields["summary"] = source.summary
    for key in STANDARD_SECTIONS:
        section = getattr(source, key)
        if section is None:
            continue
        fields[key] = (
            {"heading": section.heading, "body": section.body} if section.heading else section.body
        )
    if source.extra_sections:
        fields["extra_sections"] = [
            {"heading": extra.heading, "body": extra.body} for extra in source.extra_sections
        ]
    head = [
        f"# {name} translation of {display} (version {source.version}).",
        "# Replace the text of each field with its translation; keep the names before the",
        "# colons, the * and 1. that start list items, and the (address) of each [link].",
        "# Standard headings are translated by the tool; a heading written here is the",
        "# source's own wording, to translate too.",
        "# Add `translator: Your Name`, and `checked_by: Name` once a professional translator",
        "# has checked it (until then the leaflet says it has not been checked).",
        "# Raise `version` whenever you change this file after it has been published.",
        "# source_hashes records which source text each part was translated from: leave it to",
        f"# build-leaflets translate {source.reference} --language {language} --update/--done.",
    ]
    hashes = {"source_hashes": translation.hashes(source)}
    return "\n".join(head) + "\n" + _dump(fields) + "\n" + _dump(hashes)


def start(project: Project, origin: Source, language: str, today: dt.date) -> Path:
    """Write the skeleton of a new translation; never over an existing file."""
    messages.catalogue_for(language)  # LookupError names the languages there are
    if language.lower() == origin.leaflet.language.lower():
        raise LeafletError(f"{origin.display} is itself in {language}")
    path = project.leaflets / translation.file_name(origin.leaflet.reference, language)
    if path.exists():
        raise LeafletError(
            f"{project.relative(path)} already exists; use --update to see what changed in "
            "the source since it was translated"
        )
    text = skeleton(origin.leaflet, origin.display, language, today)
    write_atomic(path, text.encode("utf-8"))
    return path


# --- what changed since the translation was made ---------------------------------------------


@dataclass(frozen=True)
class Change:
    """One stale part: its old source text (if it can be found) and its text now."""

    stale: translation.Stale
    old: Part | None
    new: Part | None


def changes(source: Source, register: Register, out: Path) -> list[Change]:
    """Each stale part of a translation with the source text it was translated from (found in
    the source's published archival PDFs by its hash) and the source text now."""
    leaflet = source.leaflet
    assert leaflet.translation is not None and source.origin is not None
    now = {part.key: part for part in parts(source.origin)}
    earlier = _published_parts(source.origin, register, out, leaflet.translation.translation_of)
    recorded = leaflet.translation.source_hashes

    missing = [s for s in source.stale if s.kind != "new" and not _has(earlier, s.key, recorded)]
    if missing and source.origin_path is not None:
        earlier += _committed_parts(source.origin_path)
    found = []
    for stale in source.stale:
        old = next((p for p in earlier if _is(p, stale.key, recorded)), None)
        found.append(Change(stale, old, now.get(stale.key)))
    return found


def _is(part: Part, key: str, recorded: Mapping[str, str]) -> bool:
    """Whether `part` is the source text that part `key` was translated from."""
    return part.key == key and part.hash == recorded.get(key)


def _has(parts_found: Sequence[Part], key: str, recorded: Mapping[str, str]) -> bool:
    return any(_is(part, key, recorded) for part in parts_found)


#: How far back in git history `--update` looks for the source text a translation was made
#: from, when no published PDF has it (a draft source, say).
GIT_DEPTH = 50


def _committed_parts(path: Path) -> list[Part]:
    """The parts of the source file as committed in git, newest first, if the project is a
    git repository (the old text of a source that was never published)."""
    folder = path.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=20
        )
        return done.stdout if done.returncode == 0 else ""

    try:
        prefix = git("rev-parse", "--show-prefix").strip()
        commits = git("log", f"-n{GIT_DEPTH}", "--format=%H", "--", path.name).split()
        found: list[Part] = []
        for commit in commits:
            found += _parts_of(git("show", f"{commit}:{prefix}{path.name}").encode())
        return found
    except (OSError, subprocess.SubprocessError):
        return []  # no git here: only published PDFs are searched


def _published_parts(origin: Leaflet, register: Register, out: Path, first: int) -> list[Part]:
    """The parts of every published version of the source, the translated one first."""
    versions = [first, *(v for v in range(origin.version, 0, -1) if v != first)]
    found: list[Part] = []
    for version in versions:
        row = register.find(origin.reference, version, ARCHIVAL, origin.language)
        if row is None or not (out / row.file).is_file():
            continue
        try:
            record = read_pdf(out / row.file, row.file)
        except LeafletError:
            continue
        for name, data in record.attachments.items():
            if name.endswith((".yaml", ".yml")):
                found.extend(_parts_of(data))
    return found


def _parts_of(data: bytes) -> list[Part]:
    try:
        raw = yaml.safe_load(data)
        return list(parts(Leaflet.model_validate(raw)))
    except Exception:  # an old source this version cannot read: nothing to show from it
        return []


def describe(changes: Sequence[Change], language: str, reference: str) -> str:
    """The old and new source text of each stale part, as a diff a translator can read."""
    lines: list[str] = []
    for change in changes:
        stale = change.stale
        lines.append(f"== {stale.key}: {stale.label} ({stale.kind}) ==")
        old = _shown(change.old)
        new = _shown(change.new)
        if stale.kind == "new":
            lines += ["Added to the source; translate it and add it to the file:", *new]
        elif stale.kind == "removed":
            lines += ["Removed from the source; remove it from the translation:", *old]
        elif change.old is None:
            lines += [
                "The text it was translated from is in no published PDF of the source, nor in",
                "its git history;",
                "the source's text now is:",
                *new,
            ]
        else:
            diff = difflib.unified_diff(old, new, "translated from", "source now", lineterm="")
            lines += list(diff)
        lines.append("")
    keys = " ".join(change.stale.key for change in changes)
    lines.append(
        f"When the translation follows the source again: build-leaflets translate {reference} "
        f"--language {language} --done {keys}"
    )
    return "\n".join(lines) + "\n"


def _shown(part: Part | None) -> list[str]:
    if part is None:
        return []
    heading = [f"# {part.heading}"] if part.heading else []
    return heading + part.text.splitlines()


# --- recording parts as translated again -------------------------------------------------------

_HASHES_BLOCK = re.compile(r"^source_hashes:[ \t]*\n(?:[ \t]+.*\n?|[ \t]*#.*\n?|[ \t]*\n)*", re.M)


def mark_done(
    source: Source, keys: Iterable[str], today: dt.date, *, everything: bool = False
) -> tuple[bytes, list[str]]:
    """The translation file with the named parts recorded as following the current source
    (their hashes updated, removed parts dropped) and, once nothing is stale, `translation_of`
    raised to the source's version. Returns the new bytes and what was done."""
    leaflet = source.leaflet
    assert leaflet.translation is not None and source.origin is not None
    stale = {item.key: item for item in source.stale}
    chosen = list(stale) if everything else list(dict.fromkeys(keys))
    unknown = [key for key in chosen if key not in stale]
    if unknown:
        listed = ", ".join(stale) or "none"
        raise LeafletError(
            f"{source.display}: {', '.join(unknown)} is not out of date (out of date: {listed})"
        )
    current = translation.hashes(source.origin)
    hashes = dict(leaflet.translation.source_hashes)
    done = []
    for key in chosen:
        if stale[key].kind == "removed":
            hashes.pop(key, None)
        else:
            hashes[key] = current[key]
        done.append(key)
    text = source.data.decode("utf-8")
    block = _HASHES_BLOCK.search(text)
    if block is None:
        raise LeafletError(
            f"{source.display}: cannot find its source_hashes block (a line 'source_hashes:' "
            "followed by indented lines); restore it, or start again"
        )
    ordered = {key: hashes[key] for key in current if key in hashes}
    replacement = _dump({"source_hashes": ordered})
    text = text[: block.start()] + replacement + text[block.end() :]
    if len(chosen) == len(stale):
        text = _set_line(text, "translation_of", str(source.origin.version))
        text = _set_line(text, "translated_on", today.isoformat())
    return text.encode("utf-8"), done


def _set_line(text: str, key: str, value: str) -> str:
    pattern = re.compile(rf"^{key}:[ \t]*\S.*$", re.M)
    if not pattern.search(text):
        return text
    return pattern.sub(f"{key}: {value}", text, count=1)


# --- exchange with a translation agency --------------------------------------------------------


def _units(source: Source) -> list[exchange.Unit]:
    """One unit for each text field of a translation: the source's text now, the translation
    so far, and the hash of the source text, so a file that comes back says which source
    text it translated."""
    leaflet, origin = source.leaflet, source.origin
    assert leaflet.translation is not None and origin is not None
    file = _translation_file(source)
    stale = {item.key for item in source.stale}
    units: list[exchange.Unit] = []
    for part in parts(origin):
        note = "Markdown: keep the - and 1. that start list items, and link addresses."
        stale_part = part.key in stale
        if stale_part:
            note = "The source changed since this was translated: check the translation. " + note
        body_id = part.key if part.key in translation.TEXT_PARTS else f"{part.key}.body"
        if part.heading is not None:
            target = _translated(file, part.key, "heading")
            target = "" if target == part.heading else target  # still the source's words
            units.append(
                exchange.Unit(
                    f"{part.key}.heading", part.heading, target, note, part.hash, stale_part
                )
            )
        target = _translated(file, part.key, "text")
        target = "" if target == part.text else target
        units.append(exchange.Unit(body_id, part.text, target, note, part.hash, stale_part))
    return units


def _translation_file(source: Source) -> translation.TranslationFile:
    raw = yaml.safe_load(source.data)
    return translation.TranslationFile.model_validate(raw)


def _translated(file: translation.TranslationFile, key: str, which: str) -> str:
    if key in ("title", "summary"):
        return getattr(file, key) or ""
    if key.startswith("extra_sections."):
        index = int(key.split(".")[1])
        extra = file.extra_sections[index] if index < len(file.extra_sections) else None
        if extra is None:
            return ""
        return extra.heading if which == "heading" else extra.body
    section = getattr(file, key)
    if section is None:
        return ""
    return (section.heading or "") if which == "heading" else section.body


def export(source: Source, fmt: str, out: Path) -> Path:
    """Write the translation as an XLIFF 1.2 or PO file for a translation agency."""
    leaflet, origin = source.leaflet, source.origin
    assert origin is not None
    kind: exchange.Format = "xliff" if fmt == "xliff" else "po"
    data = exchange.export(
        _units(source),
        fmt=kind,
        source_language=origin.language,
        target_language=leaflet.language,
        original=leaflet.reference,
    )
    path = out / "translations" / f"{leaflet.name}.{'xlf' if kind == 'xliff' else 'po'}"
    write_atomic(path, data)
    return path


def import_into(project: Project, source: Source, path: Path) -> str:
    """Read an agency's file back into the translation file: every translated unit replaces
    its field, and a part whose units were translated from the current source text is
    recorded as following it. Refuses (writing nothing) a file for another leaflet or
    language, units the leaflet does not have, and units still marked fuzzy."""
    leaflet, origin = source.leaflet, source.origin
    assert origin is not None and leaflet.translation is not None
    shown = project.relative(path)
    kind = exchange.format_of(path)
    if kind is None:
        raise LeafletError(f"{shown}: not an XLIFF (.xlf, .xliff) or PO (.po) file")
    units = {unit.id: unit for unit in _units(source)}
    found, problems = exchange.read(
        path.read_bytes(),
        fmt=kind,
        display=shown,
        source_language=origin.language,
        target_language=leaflet.language,
        original=leaflet.reference,
    )
    for unit_id, item in found.items():
        if unit_id not in units:
            problems.append(
                Problem(shown, item.line, 0, unit_id, "is not a part of this leaflet's source")
            )
        elif item.fuzzy:
            problems.append(
                Problem(shown, item.line, 0, unit_id, "is marked fuzzy: finish it, or clear it")
            )
    if problems:
        raise ProblemsFound(problems, "Nothing was imported.")
    raw = yaml.safe_load(source.data)
    hashes = dict(leaflet.translation.source_hashes)
    current = translation.hashes(origin)
    replaced = 0
    for unit_id, item in found.items():
        if not item.target:
            continue
        if _set_field(raw, unit_id, item.target):
            replaced += 1
        key = unit_id.removesuffix(".body").removesuffix(".heading")
        if item.hash == current.get(key):
            hashes[key] = item.hash
    raw["source_hashes"] = {key: hashes[key] for key in current if key in hashes}
    head = "".join(line for line in _head_comments(source.data.decode("utf-8")))
    fields = {key: value for key, value in raw.items() if key != "source_hashes"}
    text = head + _dump(fields) + "\n" + _dump({"source_hashes": raw["source_hashes"]})
    write_atomic(source.path, text.encode("utf-8"))
    return f"{replaced} field(s) imported from {shown}; run build-leaflets check"


def _set_field(raw: dict[str, Any], unit_id: str, text: str) -> bool:
    """Put a translated text at its place in the file's data; whether it changed anything."""
    path = unit_id.split(".")
    if path[0] == "extra_sections":
        extras = raw.setdefault("extra_sections", [])
        index = int(path[1])
        while len(extras) <= index:
            extras.append({"heading": "", "body": ""})
        target: dict[str, Any] = extras[index]
        name = path[2]
    elif len(path) == 1:
        target, name = raw, path[0]
    else:
        value = raw.get(path[0])
        if not isinstance(value, dict):
            value = {"body": value} if isinstance(value, str) else {}
            raw[path[0]] = value
        target, name = value, path[1]
    changed = target.get(name) != text
    target[name] = text
    if path[0] != "extra_sections" and len(path) == 2 and set(target) == {"body"}:
        raw[path[0]] = target["body"]  # a section with the standard heading stays plain text
    return changed


def _head_comments(text: str) -> list[str]:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines
