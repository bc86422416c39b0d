"""Load: YAML files to checked `Leaflet` objects, or every problem in every file, with places.

PyYAML's safe loader is used through its node graph: each key and value keeps the line and
column it was written at, so a problem found later (by pydantic or by the Markdown checks)
still points at the right place, and duplicate keys, which PyYAML would silently collapse,
are caught.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import json
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

from build_leaflets import fonts, markup, messages, pictures, readability, screen, translation
from build_leaflets.config import Project
from build_leaflets.errors import LeafletError, Problem, ProblemsFound
from build_leaflets.fileindex import FileIndex
from build_leaflets.model import (
    STANDARD_SECTIONS,
    Leaflet,
    governance_problems,
)
from build_leaflets.places import Path_, Place, join, pydantic_problems, split, value_place


@dataclass(frozen=True)
class Picture:
    """A picture a leaflet shows: its name as the Markdown writes it, and its checksum."""

    name: str  # e.g. images/room.png, relative to the leaflets folder
    path: Path
    sha256: str


@dataclass(frozen=True)
class Source:
    """A leaflet as loaded: the checked model plus what publishing needs to prove its origin."""

    path: Path
    display: str
    data: bytes
    leaflet: Leaflet
    places: Mapping[Path_, Place] = field(repr=False)
    pictures: tuple[Picture, ...] = ()
    #: For a translation: its source leaflet as it is now (to tell which sections are out of
    #: date), and the values it prints from it (see `translation.inherited`).
    origin: Leaflet | None = field(default=None, repr=False)
    inherited: bytes = b""
    origin_path: Path | None = None  # the source's file
    #: Its reading measures, when the memo of an earlier run already has them.
    measured: readability.Readability | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def sha256(self) -> str:
        """The checksum the register records: of the YAML, every picture it shows and, for a
        translation, the values it takes from its source."""
        named = {p.name: p.sha256 for p in self.pictures}
        named |= {
            name: hashlib.sha256(data).hexdigest() for name, data in self.inherited_files.items()
        }
        return _digest(self.yaml_sha256, named)

    @property
    def inherited_files(self) -> dict[str, bytes]:
        """What a translation's archival PDF embeds beside its YAML and pictures."""
        return {translation.INHERITED_NAME: self.inherited} if self.inherited else {}

    @functools.cached_property
    def stale(self) -> list[translation.Stale]:
        """For a translation, the parts of its source changed since it was translated."""
        if self.leaflet.translation is None or self.origin is None:
            return []
        return translation.stale_parts(self.leaflet.translation, self.origin)

    @functools.cached_property
    def yaml_sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def read_pictures(self) -> dict[str, bytes]:
        """Each picture's bytes, as they were when the leaflet was checked.

        A picture replaced since then would publish something other than what the register
        records, so it stops this leaflet instead.
        """
        found: dict[str, bytes] = {}
        for picture in self.pictures:
            try:
                data = picture.path.read_bytes()
            except OSError as error:
                raise LeafletError(
                    f"{self.display}: {picture.name}: cannot be read ({error.strerror})"
                ) from None
            if hashlib.sha256(data).hexdigest() != picture.sha256:
                raise LeafletError(
                    f"{self.display}: {picture.name}: changed while the leaflet was being "
                    "built; build again"
                )
            found[picture.name] = data
        return found

    @functools.cached_property
    def reading_text(self) -> str:
        """What a patient reads, as plain text: title, summary, headings and section text,
        one block a line (headings and list items are sentences of their own)."""
        leaflet = self.leaflet
        blocks = [leaflet.title, leaflet.summary or ""]
        for section in leaflet.sections():
            blocks += [section.heading, markup.plain_text(section.body)]
        return "\n".join(block for block in blocks if block)

    @functools.cached_property
    def readability(self) -> readability.Readability:
        """Reading measures over `reading_text` (headings and list items count as sentences
        of their own, as the measures expect)."""
        return self.measured or readability.measure(self.reading_text)

    def value_place(self, field: str) -> tuple[int, int]:
        """Line and column of a field's value, for messages found after loading."""
        return value_place(self.places, split(field))


def source_digest(yaml_data: bytes, pictures: dict[str, str]) -> str:
    """One SHA-256 for a leaflet's whole source: its YAML and the pictures it shows.

    With no pictures it is the SHA-256 of the YAML file itself. With pictures it is the SHA-256
    of a checksum list in `sha256sum` form, the YAML first (as "leaflet") and then each picture
    by name, so a changed picture changes the record just as changed text does, and anyone can
    recompute it from the files (or from the attachments of the archival PDF).
    """
    return _digest(hashlib.sha256(yaml_data).hexdigest(), pictures)


def _digest(yaml_sha: str, pictures: dict[str, str]) -> str:
    if not pictures:
        return yaml_sha
    lines = [f"{yaml_sha}  leaflet"]
    lines += [f"{sha}  {name}" for name, sha in sorted(pictures.items())]
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


class _Loader(screen.SAFE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, but dates stay text so pydantic reports an impossible date with its
    place, instead of PyYAML stopping the whole file with a traceback-shaped error."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def leaflet_files(project: Project, paths: Sequence[Path] = ()) -> list[Path]:
    """The files to load: those named, with folders expanded, or every leaflet of the project."""
    chosen = list(paths) or [project.leaflets]
    files: list[Path] = []
    for path in chosen:
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    return files


class StoredPlaces(Mapping[Path_, Place]):
    """A leaflet's places as the memo stores them (one JSON text, which reads back far faster
    than thousands of small lists), made into `Place`s only when one is asked for (for a
    message about the leaflet): most builds and checks never ask."""

    def __init__(self, stored: str) -> None:
        self.stored = stored
        self._made: dict[Path_, Place] | None = None

    def _places(self) -> dict[Path_, Place]:
        if self._made is None:
            self._made = {tuple(key): Place(*place) for key, place in json.loads(self.stored)}
        return self._made

    def __getitem__(self, key: Path_) -> Place:
        return self._places()[key]

    def __iter__(self) -> Iterator[Path_]:
        return iter(self._places())

    def __len__(self) -> int:
        return len(self._places())


def _stored_places(places: Mapping[Path_, Place]) -> str:
    if isinstance(places, StoredPlaces):
        return places.stored
    listed = [[list(key), _fields_of(place)] for key, place in places.items()]
    return json.dumps(listed, separators=(",", ":"))


class Recalled(NamedTuple):
    """What the memo knows of a file checked before."""

    leaflet: Leaflet
    places: StoredPlaces
    pictures: tuple[Picture, ...]
    measured: readability.Readability


class Memo:
    """What an earlier build or check learnt about files that have not changed since.

    Checking a leaflet (YAML, the model, every Markdown body) costs milliseconds; a catalogue of
    thousands makes that seconds, for a build with nothing to do. A file whose bytes, site
    settings and tool version are the same as when it last passed is taken from here instead;
    so is one that shows pictures, while each picture is the one it was checked with (found
    by size, times and inode in `files`, the index also used for the published PDFs, and
    hashed again only when those change). The memo lives in the output folder: deleting it
    only costs time.
    """

    def __init__(
        self,
        key: str,
        entries: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> None:
        self.key = key
        self.entries: dict[str, Any] = entries or {}
        self.used: dict[str, Any] = {}
        self.files = FileIndex(files)
        self._learnt = False  # anything remembered in this run that was not recalled
        #: The SHA-256 of the register as last found sound (see `register.read_register`).
        self.register = ""
        self._register_given = ""
        self.pages: dict[str, Any] = {}  # the catalogue pages' key and files, as last made
        self._pages_given: dict[str, Any] = {}
        #: The assets the leaflet pages link to (see `assets.LinkCheck`); None: not known.
        self.assets: list[str] | None = None
        self._assets_given: list[str] | None = None

    @classmethod
    def read(cls, data: bytes | None, key: str) -> Memo:
        try:
            stored = json.loads(data or b"{}")
        except ValueError:
            stored = {}
        if not isinstance(stored, dict) or stored.get("key") != key:
            return cls(key)
        entries, files, pages = stored.get("entries"), stored.get("files"), stored.get("pages")
        memo = cls(
            key,
            entries if isinstance(entries, dict) else None,
            files if isinstance(files, dict) else None,
        )
        if isinstance(pages, dict):  # kept as they are unless this run makes the pages again
            memo._pages_given = memo.pages = pages
        register = stored.get("register")
        if isinstance(register, str):
            memo._register_given = memo.register = register
        names = stored.get("assets")
        if isinstance(names, list) and all(isinstance(name, str) for name in names):
            memo._assets_given = memo.assets = names
        return memo

    def pages_current(self, key: str, out: Path) -> bool:
        """Whether the catalogue pages in the output folder `out` were last made from `key`
        and are still as they were made, with the files they link to (each compared by
        checksum, through the file index)."""
        given = self._pages_given
        files = given.get("files")
        if given.get("key") != key or not isinstance(files, dict) or not files:
            return False
        for name, sha in files.items():
            try:
                if self.files.sha256(out / name) != sha:
                    return False
            except OSError:
                return False
        return True

    def note_pages(self, key: str, out: Path, paths: Iterable[Path]) -> None:
        """Remember what the catalogue pages were made from, and the checksum of each page
        and file they link to (by its place in the output folder `out`, which may move)."""
        try:
            files = {path.relative_to(out).as_posix(): self.files.sha256(path) for path in paths}
        except (OSError, ValueError):
            return
        self.pages = {"key": key, "files": files}

    def recall(self, digest: str, leaflets: Path) -> Recalled | None:
        """What was learnt of the bytes whose SHA-256 is `digest`, while every picture they
        show is as it was; None when they are new (or anything stored cannot be read back)."""
        entry = self.entries.get(digest)
        if not isinstance(entry, dict) or not self._pictures_unchanged(entry, leaflets):
            return None
        try:
            leaflet = Leaflet.model_validate_json(entry["leaflet"])
            stored = entry["places"]
            if not isinstance(stored, str):
                return None
            places = StoredPlaces(stored)
            shown = tuple(Picture(name, leaflets / name, sha) for name, sha in entry["pictures"])
            measured = readability.Readability(**entry["readability"])
        except (ValidationError, KeyError, TypeError, ValueError):
            return None
        self.used[digest] = entry
        return Recalled(leaflet, places, shown, measured)

    def _pictures_unchanged(self, entry: dict[str, Any], leaflets: Path) -> bool:
        """Each picture is the file it was (same size, times and inode: see `FileIndex`), or
        is still where a picture may be and has the same bytes."""
        for name, sha in entry.get("pictures", ()):
            path = leaflets / name
            if self.files.known(path) == sha:
                continue
            if markup.image_problem(name, leaflets) is not None:
                return False
            try:
                if self.files.sha256(path) != sha:
                    return False
            except OSError:
                return False
        return True

    def remember(self, source: Source) -> None:
        if source.yaml_sha256 in self.used:
            return  # recalled from this memo
        for picture in source.pictures:  # noted in the index, as checked
            try:
                if self.files.sha256(picture.path) != picture.sha256:
                    return  # changed since it was checked: check it again next time
            except OSError:
                return
        self._learnt = True
        self.used[source.yaml_sha256] = {
            "leaflet": source.leaflet.model_dump_json(),
            "places": _stored_places(source.places),
            "pictures": [[picture.name, picture.sha256] for picture in source.pictures],
            "readability": dict(vars(source.readability)),  # flat: no deep copy needed
        }

    @property
    def changed(self) -> bool:
        """Whether this run learnt anything new, or used less than it was given (a file
        changed or gone): otherwise the memo on disk is already this one."""
        return (
            self._learnt
            or self.used.keys() != self.entries.keys()
            or self.files.changed
            or self.pages != self._pages_given
            or self.register != self._register_given
            or self.assets != self._assets_given
        )

    def to_json(self) -> bytes:
        """Only the files of this run are kept, so the memo never outgrows the catalogue."""
        return json.dumps(
            {
                "key": self.key,
                "entries": self.used,
                "files": self.files.to_json_ready(),
                "pages": self.pages,
                "register": self.register,
                "assets": self.assets,
            }
        ).encode()


def _fields_of(place: Place) -> list[int]:
    return [getattr(place, name) for name in _PLACE_FIELDS]


_PLACE_FIELDS = tuple(field.name for field in dataclasses.fields(Place))


@contextlib.contextmanager
def paused_collector() -> Iterator[None]:
    """Python's cycle collector paused while a catalogue is read in bulk: each object made
    then lives for the whole build, yet every few thousand allocations the collector would
    walk all of them again (a third of a build with nothing to do, at 5,000 leaflets). Only
    reading and planning are run this way, never laying out, which makes cyclic garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM = 100


def load_all(
    project: Project, paths: Sequence[Path] = (), memo: Memo | None = None, workers: int = 1
) -> list[Source]:
    """Load and check every file; raise one error listing every problem in every file.

    A large catalogue is checked by `workers` processes (the files are independent).
    """
    files = leaflet_files(project, paths)
    if not files:
        where = ", ".join(project.relative(p) for p in paths) or project.relative(project.leaflets)
        raise ProblemsFound([Problem(where, 0, 0, "", "no leaflet files (*.yaml) found")])
    sources: list[Source] = []
    pending: list[PendingTranslation] = []
    problems: list[Problem] = []
    for loaded, found in _load_files(project, files, memo, workers):
        problems.extend(found)
        if isinstance(loaded, PendingTranslation):
            pending.append(loaded)
        elif loaded is not None:
            sources.append(loaded)
            if memo is not None:
                memo.remember(loaded)
    if pending:
        translated, found = resolve_translations(project, sources, pending)
        problems.extend(found)
        sources = _with_translations(sources, translated)
    problems.extend(_duplicate_references(sources))
    if problems:
        count = len(problems)
        bad = len({p.path for p in problems})
        raise ProblemsFound(
            problems,
            f"{count} problem{'s' * (count != 1)} in {bad} file{'s' * (bad != 1)}; "
            "nothing was written.",
        )
    return sources


def _with_translations(sources: list[Source], translated: list[Source]) -> list[Source]:
    """Each leaflet followed by its translations, by language, so every list (check, build,
    audit) reads leaflet by leaflet."""
    by_slug: dict[str, list[Source]] = {}
    for source in translated:
        by_slug.setdefault(source.leaflet.slug, []).append(source)
    ordered: list[Source] = []
    for source in sources:
        ordered.append(source)
        extra = by_slug.pop(source.leaflet.slug, [])
        ordered.extend(sorted(extra, key=lambda s: s.leaflet.language.lower()))
    return ordered


def _load_files(
    project: Project, files: list[Path], memo: Memo | None, workers: int
) -> Iterator[tuple[Loaded | None, list[Problem]]]:
    """Each file's result, in order: from the memo, checked here, or checked in worker
    processes when many files are new."""
    recalled = (  # an empty memo (a first check) recalls nothing: no file is read twice
        {path: _recall(project, path, memo) for path in files}
        if memo is not None and memo.entries
        else {}
    )
    pending = [path for path in files if recalled.get(path) is None]
    if workers <= 1 or len(pending) < PARALLEL_FROM or os.name != "posix":
        for path in files:
            known = recalled.get(path)
            yield (known, []) if known is not None else load_file(project, path)
        return
    context = multiprocessing.get_context("fork")
    workers = min(workers, os.cpu_count() or 1)
    # Checking makes garbage of its own: collected in the workers whatever the build pauses.
    with ProcessPoolExecutor(workers, mp_context=context, initializer=gc.enable) as pool:
        # In order, as they come: what the caller does with each overlaps the checking.
        checked = pool.map(_load_one, [(project, p) for p in pending], chunksize=16)
        for path in files:
            known = recalled.get(path)
            yield (known, []) if known is not None else next(checked)


def _recall(project: Project, path: Path, memo: Memo) -> Source | None:
    """The file as the memo knows it (read, not parsed), or None. Translations are always
    checked, against their source as it is now."""
    if translation.is_translation_file(path):
        return None
    data = screen.read_file(path, project.root)
    if not isinstance(data, bytes):
        return None
    digest = hashlib.sha256(data).hexdigest()
    known = memo.recall(digest, project.leaflets)
    if known is None:
        return None
    leaflet, places, shown, measured = known
    source = Source(path, project.relative(path), data, leaflet, places, shown, measured=measured)
    source.__dict__["yaml_sha256"] = digest  # hashed once already: not again
    return source


def _load_one(job: tuple[Project, Path]) -> tuple[Loaded | None, list[Problem]]:
    source, problems = load_file(*job)
    if isinstance(source, Source):
        # Measured here, where the bodies are already parsed, and the places sent back as the
        # memo keeps them: quicker to send, and ready to remember.
        source = dataclasses.replace(
            source,
            places=StoredPlaces(_stored_places(source.places)),
            measured=source.readability,
        )
    return source, problems


@dataclass(frozen=True)
class PendingTranslation:
    """A translation file, checked on its own; it becomes a `Source` once its source leaflet
    is loaded (`resolve_translations`)."""

    path: Path
    display: str
    data: bytes
    file: translation.TranslationFile
    places: dict[Path_, Place] = field(repr=False)
    pictures: tuple[Picture, ...] = ()


Loaded = Source | PendingTranslation


def load_file(
    project: Project, path: Path, given: bytes | None = None
) -> tuple[Loaded | None, list[Problem]]:
    """One file: its `Source` (or, for a translation, its `PendingTranslation`) when it is
    valid, and every problem found in it. `given` bytes are checked as if they were the
    file's (the editor checks a leaflet before it is saved)."""
    display = project.relative(path)
    is_translation = translation.is_translation_file(path)
    read = screen.read_file(path, project.root) if given is None else screen.check_size(given)
    if isinstance(read, screen.Refusal):
        return None, [_refused(display, read)]
    data = read
    text = screen.decode(data)
    if isinstance(text, screen.Refusal):
        return None, [_refused(display, text)]
    refusals = screen.screen_yaml(text, _Loader)
    if refusals:
        return None, [_refused(display, refusal) for refusal in refusals]

    try:
        raw, places, duplicates = _parse(text)
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_problem(display, error)]
    except yaml.YAMLError as error:  # the reader's: a character YAML does not allow
        return None, [_reader_problem(display, text, error)]
    problems = [Problem(display, line, col, name, msg) for name, line, col, msg in duplicates]
    if not isinstance(raw, dict):
        got = "nothing" if raw is None else _kind(raw)
        return None, [Problem(display, 1, 1, "", f"must be a mapping of fields (found {got})")]

    problems.extend(_body_problems(display, raw, places, project.leaflets))
    problems.extend(_text_problems(display, raw, places))
    shown = _pictures(display, raw, places, project.leaflets, problems)
    if is_translation:
        return _pending(path, display, data, raw, places, shown, problems)
    problems.extend(_translation_fields(display, raw, places))
    try:
        leaflet = Leaflet.model_validate(raw)
    except ValidationError as error:
        problems.extend(pydantic_problems(display, error, places))
        return None, problems

    site = project.site
    leaflet = leaflet.with_defaults(site.review_months, site.contact)
    problems.extend(_governance(display, leaflet, places))
    if problems:
        return None, problems
    return Source(path, display, data, leaflet, places, shown), []


def _governance(display: str, leaflet: Leaflet, places: dict[Path_, Place]) -> list[Problem]:
    problems = []
    for name, message in governance_problems(leaflet):
        # A field that is missing is pointed at through the line that makes it needed.
        where = split(name) if split(name) in places else ("status",)
        line, col = value_place(places, where)
        problems.append(Problem(display, line, col, name, message))
    return problems


_TRANSLATION_ONLY = ("translation", "translation_of", "translated_on", "translator", "checked_by",
                     "source_hashes")  # fmt: skip


def _translation_fields(
    display: str, raw: dict[str, Any], places: dict[Path_, Place]
) -> list[Problem]:
    """A source file holding a translation's fields is a translation with the wrong name."""
    found = [key for key in _TRANSLATION_ONLY if key in raw]
    if not found:
        return []
    line, col = places[(found[0],)].line, places[(found[0],)].column
    reference = raw.get("reference")
    language = raw.get("language")
    name = (
        translation.file_name(reference, language)
        if isinstance(reference, str) and isinstance(language, str)
        else "REFERENCE.LANGUAGE.yaml"
    )
    return [
        Problem(
            display,
            line,
            col,
            found[0],
            f"only a translation file has this field; a translation is named after its "
            f"reference and language, like {name}",
        )
    ]


def _pending(
    path: Path,
    display: str,
    data: bytes,
    raw: dict[str, Any],
    places: dict[Path_, Place],
    shown: tuple[Picture, ...],
    problems: list[Problem],
) -> tuple[PendingTranslation | None, list[Problem]]:
    try:
        file = translation.TranslationFile.model_validate(raw)
    except ValidationError as error:
        problems.extend(pydantic_problems(display, error, places))
        return None, problems
    named = translation.FILE_NAME.match(path.name)
    assert named is not None
    if named.group("language").lower() != file.language.lower():
        line, col = value_place(places, ("language",))
        problems.append(
            Problem(
                display,
                line,
                col,
                "language",
                f"is {file.language}, but the file name says {named.group('language')}: rename "
                f"the file {translation.file_name(file.reference, file.language)}, or correct "
                "the language",
            )
        )
    if named.group("reference").lower() != file.reference.lower():
        line, col = value_place(places, ("reference",))
        problems.append(
            Problem(
                display,
                line,
                col,
                "reference",
                f"is {file.reference}, but the file name says {named.group('reference')}: a "
                f"translation is named after its source's reference, like "
                f"{translation.file_name(file.reference, file.language)}",
            )
        )
    if problems:
        return None, problems
    return PendingTranslation(path, display, data, file, places, shown), []


def resolve_translations(
    project: Project, sources: list[Source], pending: list[PendingTranslation]
) -> tuple[list[Source], list[Problem]]:
    """Each translation made whole with its source: the translated text, the source's
    governance where it sets none, and what it needs to tell which sections are stale."""
    originals = {s.leaflet.slug: s for s in sources if s.leaflet.translation is None}
    made: list[Source] = []
    problems: list[Problem] = []
    for item in pending:
        file = item.file
        origin = originals.get(file.reference.lower())

        def problem(field_name: str, message: str, item: PendingTranslation = item) -> None:
            line, col = value_place(item.places, split(field_name))
            problems.append(Problem(item.display, line, col, field_name, message))

        if origin is None:
            beside = item.path.parent / f"{file.reference.lower()}.yaml"
            if beside.exists():
                continue  # its source has problems of its own, reported with that file
            problem(
                "reference",
                f"no leaflet has the reference {file.reference}: a translation lies beside its "
                f"source ({file.reference.lower()}.yaml)",
            )
            continue
        source_leaflet = origin.leaflet
        try:
            messages.catalogue_for(file.language)
        except LookupError as error:
            problem("language", str(error.args[0]) if error.args else str(error))
            continue
        if file.language.lower() == source_leaflet.language.lower():
            problem("language", f"is the language of the source ({origin.display}) itself")
            continue
        if file.translation_of > source_leaflet.version:
            problem(
                "translation_of",
                f"is {file.translation_of}, but {origin.display} is only at version "
                f"{source_leaflet.version}",
            )
            continue
        before = len(problems)
        for key in translation.translated_keys(file):
            if key not in file.source_hashes:
                problem(
                    key,
                    "has no entry in source_hashes, so no one can tell when its source "
                    f"changes: run build-leaflets translate {file.reference} --language "
                    f"{file.language} --update",
                )
        for key in file.source_hashes:
            if key not in translation.translated_keys(file):
                problem(
                    "source_hashes",
                    f"lists {key}, which this translation does not translate: translate it, "
                    "or remove that line if the source no longer has it",
                )
        if len(problems) > before:
            continue
        merged = translation.merge(file, source_leaflet)
        try:
            leaflet = Leaflet.model_validate(merged)
        except ValidationError as error:
            problems.extend(pydantic_problems(item.display, error, item.places))
            continue
        leaflet = leaflet.with_defaults(project.site.review_months, project.site.contact)
        found = _governance(item.display, leaflet, item.places)
        if found:
            problems.extend(found)
            continue
        made.append(
            Source(
                item.path,
                item.display,
                item.data,
                leaflet,
                item.places,
                item.pictures,
                origin=source_leaflet,
                inherited=translation.inherited(leaflet),
                origin_path=origin.path,
            )
        )
    return made, problems


def _pictures(
    display: str,
    raw: dict[str, Any],
    places: dict[Path_, Place],
    leaflets: Path,
    problems: list[Problem],
) -> tuple[Picture, ...]:
    """Every picture the leaflet shows, opened to check it can be printed and read once for
    its checksum; whatever is wrong with one is a problem at the line that shows it."""
    found: dict[str, Picture] = {}
    for path, body in _raw_bodies(raw):
        for name, line in markup.images(body):
            if name in found or markup.image_problem(name, leaflets) is not None:
                continue  # the second use of a picture, or a problem reported already
            where = places.get(path)
            place = ((where.text_line if where else 0) + line, where.text_column if where else 0)
            try:
                data = (leaflets / name).read_bytes()
            except OSError as error:
                problem: str | None = f"image '{name}' cannot be read ({error.strerror})"
                sha = ""
            else:
                sha = hashlib.sha256(data).hexdigest()
                problem = _picture_problem(name, data, sha)
            if problem is not None:
                problems.append(Problem(display, *place, join(path), problem))
                continue
            found[name] = Picture(name, leaflets / name, sha)
    return tuple(found.values())


#: What `pictures.problem` said of each picture (by name and checksum) in this process: many
#: leaflets show the same logo or diagram, and decoding every pixel of it again says nothing new.
_PICTURE_PROBLEMS: dict[tuple[str, str], str | None] = {}


def _picture_problem(name: str, data: bytes, sha: str) -> str | None:
    key = (name, sha)
    if key not in _PICTURE_PROBLEMS:
        if len(_PICTURE_PROBLEMS) >= 4096:
            _PICTURE_PROBLEMS.clear()
        _PICTURE_PROBLEMS[key] = pictures.problem(name, data)
    return _PICTURE_PROBLEMS[key]


def _refused(display: str, refusal: screen.Refusal) -> Problem:
    return Problem(display, refusal.line, refusal.column, refusal.field, refusal.message)


def _reader_problem(display: str, text: str, error: yaml.YAMLError) -> Problem:
    position = getattr(error, "position", None)
    if not isinstance(position, int):
        return Problem(display, 0, 0, "", f"is not valid YAML ({error})")
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    char = text[position] if position < len(text) else ""
    what = f"U+{ord(char):04X}" if char else "a character"
    message = f"contains {what}, which YAML does not allow; delete it"
    return Problem(display, line, column, "", message)


def _parse(text: str) -> tuple[Any, dict[Path_, Place], list[tuple[str, int, int, str]]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        places: dict[Path_, Place] = {}
        duplicates: list[tuple[str, int, int, str]] = []
        _index(node, (), places, duplicates, text.splitlines())
        if _plain(node):
            return _construct(loader, node), places, duplicates
        return loader.construct_document(node), places, duplicates
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


def _plain(node: yaml.Node) -> bool:
    """Whether the document is made only of mappings with text keys, lists and scalars, as a
    leaflet is: then `_construct` builds exactly what PyYAML's safe constructor would."""
    if isinstance(node, yaml.ScalarNode):
        return True
    if isinstance(node, yaml.SequenceNode):
        return node.tag == _SEQ and all(_plain(item) for item in node.value)
    return (
        isinstance(node, yaml.MappingNode)
        and node.tag == _MAP
        and all(
            isinstance(key, yaml.ScalarNode) and key.tag == _STR and _plain(value)
            for key, value in node.value
        )
    )


def _construct(loader: Any, node: yaml.Node) -> Any:
    """The document PyYAML's safe constructor builds from a `_plain` node graph, with text,
    lists and mappings made here (a third of the time) and every other scalar (numbers,
    booleans, null, dates) made by the loader's own constructors."""
    if isinstance(node, yaml.MappingNode):
        return {key.value: _construct(loader, value) for key, value in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item) for item in node.value]
    if node.tag == _STR:
        return node.value
    return loader.construct_object(node, deep=True)


def _index(
    node: yaml.Node,
    path: Path_,
    places: dict[Path_, Place],
    duplicates: list[tuple[str, int, int, str]],
    lines: list[str],
) -> None:
    """Record where every key and value is, and every key written twice in one mapping."""
    if isinstance(node, yaml.MappingNode):
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key in first_seen and key != "<<":
                duplicates.append(
                    (
                        join((*path, key)),
                        line,
                        column,
                        f"is written twice (first on line {first_seen[key]}); YAML would keep "
                        "only this one, so merge the two or delete one",
                    )
                )
                continue
            first_seen[key] = line
            places[(*path, key)] = _place(key_node, value_node, lines)
            _index(value_node, (*path, key), places, duplicates, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            places[(*path, index)] = _place(item, item, lines)
            _index(item, (*path, index), places, duplicates, lines)


def _place(key_node: yaml.Node, value_node: yaml.Node, lines: list[str]) -> Place:
    mark = value_node.start_mark
    text_line, text_column = mark.line + 1, mark.column + 1
    if isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">"):
        # A block of text starts on the line after the `|`, at its indentation.
        text_line = mark.line + 2
        first = lines[mark.line + 1] if mark.line + 1 < len(lines) else ""
        text_column = len(first) - len(first.lstrip(" ")) + 1
    return Place(
        key_node.start_mark.line + 1,
        key_node.start_mark.column + 1,
        mark.line + 1,
        mark.column + 1,
        text_line,
        text_column,
    )


def _syntax_problem(display: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    message = error.problem or "is not valid YAML"
    if "tab" in message:
        return Problem(display, line, col, "", f"YAML syntax error: {message}; indent with "
                       "spaces, not tabs")  # fmt: skip
    if error.context and error.context_mark:
        start = error.context_mark
        message += f" ({error.context} that starts at line {start.line + 1}, column "
        message += f"{start.column + 1}; if that is meant as text, put it in quotes)"
    return Problem(display, line, col, "", f"YAML syntax error: {message}")


def _duplicate_references(sources: Iterable[Source]) -> list[Problem]:
    """Two files with one reference (or one reference and language) would publish over each
    other's PDFs."""
    seen: dict[tuple[str, str] | str, Source] = {}
    problems: list[Problem] = []
    for source in sources:
        leaflet = source.leaflet
        slug = leaflet.key if leaflet.translation else leaflet.slug
        if slug in seen:
            first = seen[slug]
            line, col = value_place(source.places, ("reference",))
            first_line, _ = value_place(first.places, ("reference",))
            problems.append(
                Problem(
                    source.display,
                    line,
                    col,
                    "reference",
                    f"{leaflet.name} is already used by {first.display}:{first_line}; "
                    + (
                        "each language of a leaflet has one file"
                        if leaflet.translation
                        else "each leaflet needs its own reference"
                    ),
                )
            )
        else:
            seen[slug] = source
    return problems


def _body_problems(
    display: str, raw: dict[str, Any], places: dict[Path_, Place], images_dir: Path
) -> list[Problem]:
    """Markdown problems in every body that is text, checked even when other fields are wrong,
    so one run reports everything."""
    problems: list[Problem] = []
    for path, body in _raw_bodies(raw):
        where = places.get(path)
        for found in markup.body_problems(body, images_dir):
            line = (where.text_line if where else 0) + found.line
            column = where.text_column if where else 0
            problems.append(Problem(display, line, column, join(path), found.message))
    return problems


#: Kept with the leaflet but never printed, so any character will do.
_UNPRINTED = frozenset({"sources"})


def _text_problems(display: str, raw: dict[str, Any], places: dict[Path_, Place]) -> list[Problem]:
    """Characters no text may hold, at the place they were written: control characters
    (written as YAML escapes such as "\\e[31m", they would reach the register, the PDF's
    metadata and people's terminals), and characters no bundled font can show (the PDF would
    show an empty box, or a font from whatever machine built it)."""
    problems: list[Problem] = []
    told: set[str] = set()
    for path, text in _strings(raw, ()):
        control = screen.control_in(text)
        if control is not None:
            line, column = _char_place(places.get(path), text, text.index(control))
            message = f"contains {screen.describe_control(control)}; delete it"
            problems.append(Problem(display, line, column, join(path), message))
            continue
        if path[0] in _UNPRINTED or text.isascii():
            continue
        unusable = [m for m in fonts.font_problems(text) if m not in told]
        if unusable:  # the font exists but is not installed here (or not the recorded one)
            told.update(unusable)
            line, column = _char_place(places.get(path), text, 0)
            problems += [Problem(display, line, column, join(path), m) for m in unusable]
            continue
        missing = fonts.uncovered(text)
        if not missing:
            continue
        line, column = _char_place(places.get(path), text, text.index(missing[0]))
        shown = ", ".join(f"'{char}' (U+{ord(char):04X})" for char in missing[:5])
        it = "it" if len(missing) == 1 else "them"
        problems.append(
            Problem(
                display,
                line,
                column,
                join(path),
                f"no bundled font can show {shown}; remove {it}, or write {it} in words",
            )
        )
    return problems


def _strings(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    """Every text value in a leaflet, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _char_place(place: Place | None, text: str, index: int) -> tuple[int, int]:
    """Line and column of character `index` of a value: exact inside a block of text (`|`),
    the value's start otherwise (quotes and escapes make columns ambiguous there)."""
    if place is None:
        return 1, 1
    if place.text_line == place.value_line:
        return place.value_line, place.value_column
    before = text[:index]
    line_start = before.rfind("\n") + 1
    return place.text_line + before.count("\n"), place.text_column + index - line_start


def _raw_bodies(raw: dict[str, Any]) -> list[tuple[Path_, str]]:
    """Every section body written as text, with its path in the file."""
    bodies: list[tuple[Path_, str]] = []
    for key in STANDARD_SECTIONS:
        value = raw.get(key)
        if isinstance(value, str):
            bodies.append(((key,), value))
        elif isinstance(value, dict) and isinstance(value.get("body"), str):
            bodies.append(((key, "body"), value["body"]))
    extras = raw.get("extra_sections")
    for index, extra in enumerate(extras if isinstance(extras, list) else []):
        if isinstance(extra, dict) and isinstance(extra.get("body"), str):
            bodies.append((("extra_sections", index, "body"), extra["body"]))
    return bodies


def _kind(value: Any) -> str:
    names: dict[type, str] = {list: "a list", str: "text"}
    return names.get(type(value), type(value).__name__)
