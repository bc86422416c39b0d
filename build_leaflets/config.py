"""Config: the site's settings from `[tool.build_leaflets]` in pyproject.toml, with defaults.

A trust sets its name, logo, review period and contact details once; every leaflet inherits
them. A mistyped setting is an error with its line, like a mistake in a leaflet.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from build_leaflets.errors import ConfigError, Problem
from build_leaflets.model import Contact

PageSize = Literal["A4", "A5"]


DEFAULT_ICC = "/usr/share/color/icc/ghostscript/default_cmyk.icc"  # Debian's libgs-common


class Printer(BaseModel):
    """How one print supplier wants its files: named in `[tool.build_leaflets.printers.NAME]`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trim: PageSize = Field("A5", description="Finished page size.")
    bleed_mm: Annotated[float, Field(ge=0, le=6)] = 3.0
    marks: bool = Field(True, description="Crop marks outside the trim.")
    pdfx: Literal["pdf/x-4", "pdf/x-1a"] = "pdf/x-4"
    icc_profile: StrictStr = Field(
        DEFAULT_ICC,
        description="CMYK output profile of the press (e.g. the supplier's FOGRA39 file); "
        "relative paths start at the project folder.",
    )
    output_condition: StrictStr | None = Field(
        None,
        description="Name of the printing condition, e.g. FOGRA39 (default: the profile's own).",
    )
    booklet: bool = Field(True, description="Also impose the pages as a saddle-stitched booklet.")
    back_cover: bool = Field(
        False, description="The last page is a back cover: blank padding goes before it."
    )


class Site(BaseModel):
    """Settings for one catalogue of leaflets. Paths are relative to the project folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    organisation: StrictStr = "NHS Trust"
    logo: StrictStr | None = Field(None, description="Image inside layouts/, e.g. assets/logo.svg")
    review_months: Annotated[StrictInt, Field(ge=1, le=120)] = 36
    page_size: PageSize = "A4"
    due_within_days: Annotated[StrictInt, Field(ge=0)] = Field(
        90, description="Days before its archive date at which a leaflet is due for review."
    )
    min_reading_ease: float = Field(
        60.0, description="check warns when a leaflet's Flesch Reading Ease is below this."
    )
    contact: Contact = Contact()
    base_url: StrictStr | None = Field(
        None,
        description="Where the web pages are published, e.g. https://leaflets.example.nhs.uk/; "
        "printed files then carry a QR code and the address of their online version.",
    )
    print_files: bool = Field(True, description="build also writes a print-ready PDF.")
    large_print: bool = Field(
        False, description="build always writes a large-print PDF (else: build --large-print)."
    )
    large_print_pt: Annotated[float, Field(ge=14, le=28)] = Field(
        16, description="Body text size of large-print PDFs, in points."
    )
    print_logo: StrictStr | None = Field(
        None, description="The logo in CMYK colours for print files, inside layouts/."
    )
    printer: StrictStr = Field("default", description="The printer profile build uses.")
    printers: dict[str, Printer] = {"default": Printer()}

    @field_validator("printers")
    @classmethod
    def _keep_default(cls, printers: dict[str, Printer]) -> dict[str, Printer]:
        """Profiles of one's own are added to the built-in one, not put in its place."""
        return {"default": Printer(), **printers}

    leaflets_dir: StrictStr = "leaflets"
    layouts_dir: StrictStr = "layouts"
    output_dir: StrictStr = "output"


class Project(BaseModel):
    """Where the project lives and what its settings say."""

    model_config = ConfigDict(frozen=True)

    root: Path
    site: Site

    @property
    def leaflets(self) -> Path:
        return self.root / self.site.leaflets_dir

    @property
    def layouts(self) -> Path:
        return self.root / self.site.layouts_dir

    @property
    def output(self) -> Path:
        return self.root / self.site.output_dir

    def relative(self, path: Path) -> str:
        """A path as the user would type it from the project folder, for messages.

        A path already written inside the project is shown as it is written, without asking
        the file system (a build names tens of thousands of files); others are resolved."""
        text = str(path)
        if path.is_absolute() and "/.." not in text:
            for prefix in _prefixes(self.root):
                if text.startswith(prefix):
                    return text[len(prefix) :]
        try:
            return path.resolve().relative_to(_resolved(self.root)).as_posix()
        except ValueError:
            return str(path)


@functools.lru_cache(maxsize=16)
def _resolved(root: Path) -> Path:
    return root.resolve()


@functools.lru_cache(maxsize=16)
def _prefixes(root: Path) -> tuple[str, ...]:
    """The project folder as written and as resolved, each ending in a separator: a path
    that starts with one is inside (compared as text: a build names tens of thousands)."""
    return tuple(dict.fromkeys(str(r).rstrip(os.sep) + os.sep for r in (root, _resolved(root))))


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` whose pyproject.toml has our section.

    Falls back to `start`, so a folder with just `leaflets/` and `layouts/` also works.
    """
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "[tool.build_leaflets" in candidate.read_text(errors="replace"):
            return folder
    return start


def load_project(start: Path | None = None) -> Project:
    """Read the settings of the project that contains `start` (default: the current folder)."""
    root = find_root((start or Path.cwd()).resolve())
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Project(root=root, site=Site())
    text = pyproject.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"pyproject.toml: {error}") from None
    settings = data.get("tool", {}).get("build_leaflets", {})
    try:
        site = Site.model_validate(settings)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"])
            line = _line_of(text, str(item["loc"][-1]))
            message = "unknown setting" if item["type"] == "extra_forbidden" else item["msg"]
            problems.append(
                Problem("pyproject.toml", line, 0, f"tool.build_leaflets.{field}", message)
            )
        raise ConfigError("\n".join(str(p) for p in sorted(problems))) from None
    if site.printer not in site.printers:
        names = ", ".join(sorted(site.printers))
        raise ConfigError(
            f"pyproject.toml:{_line_of(text, 'printer')}: tool.build_leaflets.printer: "
            f"no printer profile is called {site.printer!r} (profiles: {names})"
        )
    return Project(root=root, site=site)


def _line_of(text: str, key: str) -> int:
    """The line where `key = ...` is set, so a settings error points at it (0 if not found)."""
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 0
