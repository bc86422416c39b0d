"""Rebuilding: one draft build of the preview, and the watcher that rebuilds what each saved
file touches. A mistake in a leaflet, or a fault of ours, is kept for the pages to show; it
never stops the preview."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import watchfiles

from build_leaflets import __version__, build
from build_leaflets.config import Project
from build_leaflets.errors import LeafletError

_READY_TIMEOUT_MS = 200  # how soon the watcher first reports in, so `ready` means "watching"
_LEAFLET_SUFFIXES = (".yaml", ".yml")

_INTERNAL_ERROR = (
    "internal error while building the preview: {error}\n"
    "This is a fault in build-leaflets {version}, not in your leaflets: please report it, with "
    "the details shown in the terminal. The preview keeps running and tries again on the next "
    "save."
)


@dataclass
class State:
    """What every request needs to know about the builds: how many have finished (pages reload
    when this changes) and the latest build's error, if it failed. Shared between threads."""

    builds: int = 0
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finish(self, error: str | None) -> None:
        with self.lock:
            self.builds += 1
            self.error = error

    def snapshot(self) -> tuple[int, str | None]:
        with self.lock:
            return self.builds, self.error


# -- building ---------------------------------------------------------------------------------


def build_once(
    project: Project,
    folder: Path,
    references: Sequence[str],
    state: State,
    echo: Callable[[str], None],
) -> None:
    """One draft build (the chosen leaflets, or all); its error, if any, is kept for the pages.

    A user's mistake (or a file that cannot be read or written) is reported, not raised: the
    preview must keep running while the file is being fixed. So is any other exception, a fault
    of ours that some leaflet or layout has found: the user cannot fix it, but the preview
    staying up (and recovering once the trigger is gone) is worth more than a crash.
    """
    try:
        result = build.build(project, references, out=folder, drafts=True)
    except Exception as error:
        fail_on(error, state, echo)
        return
    for done in result.done:
        echo(f"{done.reference} v{done.version}: {done.summary}")
    failures = [f"{reference}: failed: {why}" for reference, why in result.failures.items()]
    if failures:
        _fail(state, "\n".join(failures), echo)
        return
    if state.snapshot()[1] is not None:
        echo("The preview builds cleanly again.")
    state.finish(None)


def _fail(state: State, message: str, echo: Callable[[str], None]) -> None:
    echo(message)
    state.finish(message)


def fail_on(error: Exception, state: State, echo: Callable[[str], None]) -> None:
    """Report an exception from a build: a user's error as it is; anything else as our fault,
    with its traceback in the terminal (for the report) but not on the page."""
    if isinstance(error, LeafletError):
        _fail(state, error.format_message(), echo)
    elif isinstance(error, OSError):
        _fail(state, str(error), echo)
    else:
        detail = "".join(traceback.format_exception(error)).rstrip()
        message = _INTERNAL_ERROR.format(error=_describe(error), version=__version__)
        echo(detail)
        _fail(state, message, echo)


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def rebuild(
    project: Project,
    folder: Path,
    changes: Iterable[tuple[watchfiles.Change, str]],
    state: State,
    echo: Callable[[str], None],
) -> None:
    """Rebuild what the changed files touch: one leaflet per changed YAML file, else all."""
    paths = sorted({Path(name) for _, name in changes})
    echo(f"Changed: {', '.join(project.relative(path) for path in paths)}")
    try:
        references = () if state.snapshot()[1] else _references(project, paths)
    except Exception as error:
        fail_on(error, state, echo)
        return
    build_once(project, folder, references, state, echo)


def _references(project: Project, paths: Sequence[Path]) -> tuple[str, ...]:
    """The references of the changed leaflet files, or () for "rebuild all".

    Everything is rebuilt after a layout change, when a file went away or is not a leaflet
    (a picture, the register), and after a failed build, so that a success means every page
    is current. References come from the loaded files, not guessed from their names.
    """
    leaflets = project.leaflets.resolve()
    resolved = [path.resolve() for path in paths]
    if any(path.parent != leaflets or path.suffix not in _LEAFLET_SUFFIXES for path in resolved):
        return ()
    by_path = {source.path.resolve(): source.leaflet.name for source in build.check(project)}
    if any(path not in by_path for path in resolved):
        return ()
    return tuple(sorted({by_path[path] for path in resolved}))


# -- watching ---------------------------------------------------------------------------------


class SourceFilter(watchfiles.DefaultFilter):
    """Editor droppings, hidden files (such as our own atomic-write temporaries) and the
    preview folder itself (should it be inside a watched folder) are not changes."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return not Path(path).name.startswith(".") and super().__call__(change, path)


def watch(
    project: Project,
    folder: Path,
    state: State,
    stop: threading.Event,
    echo: Callable[[str], None],
    on_ready: Callable[[], None],
) -> None:
    """Rebuild on every (debounced) burst of changes until `stop` is set.

    `yield_on_timeout` makes the watcher report in shortly after it starts, so `on_ready` runs
    only once a change can no longer be missed.
    """
    watched = [path for path in (project.leaflets, project.layouts) if path.is_dir()]
    announced = False
    for changes in watchfiles.watch(
        *watched,
        watch_filter=SourceFilter(ignore_paths=[folder.resolve()]),
        stop_event=stop,
        rust_timeout=_READY_TIMEOUT_MS,
        yield_on_timeout=True,
    ):
        if not announced:
            announced = True
            on_ready()
        if changes:
            rebuild(project, folder, changes, state, echo)
