"""Emit: the draft leaflet as YAML text, every value written by PyYAML, with comments.

Comments (where each part came from) are something no YAML emitter writes, so the file is put
together key by key: each key and its value is dumped on its own by PyYAML's safe dumper (which
quotes whatever needs quoting, and writes multi-line bodies as `|` blocks), and the comments are
lines of their own between them. Nothing is ever formatted by hand but the comments, which are
made safe (one line each, no control characters).

The text is then read back with PyYAML's safe loader and must give exactly the data that was
meant: a draft that does not say what the document said is never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

USED_MARKER = "# Taken out of the text for the fields above (as written in the document):"
_USED_LINE = "#   "


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    """The safe dumper, with text of more than one line as a literal block (`|`), and never an
    anchor or alias (our loader refuses them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


class EmitError(Exception):
    """The YAML written would not read back as the data meant: a bug, never written."""


@dataclass
class Entry:
    """One top-level key: its value and the comment lines written above it."""

    key: str
    value: Any
    comments: list[str] = field(default_factory=list)


@dataclass
class Item:
    """One extra section, with its comment."""

    heading: str
    body: str
    comments: list[str] = field(default_factory=list)


def dump(value: dict[str, Any] | list[Any]) -> str:
    """One fragment of YAML from PyYAML: no anchors, no tags, no line folding, Unicode as is."""
    return str(
        yaml.dump(
            value,
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
            width=1_000_000,
            indent=2,
        )
    )


def comment(text: str) -> str:
    """A comment line: one line, printable, starting with '# '."""
    flat = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", text).rstrip()
    return f"# {flat}" if flat else "#"


def render(
    header: list[str],
    entries: list[Entry],
    extras: list[Item],
    used: list[tuple[str, str]],
) -> str:
    """The whole file; raises `EmitError` if it would not read back as these values."""
    lines = [comment(line) for line in header]
    for entry in entries:
        lines += [comment(c) for c in entry.comments]
        lines.append(dump({entry.key: entry.value}).rstrip("\n"))
    if extras:
        lines.append("extra_sections:")
        for item in extras:
            lines += ["  " + comment(c) for c in item.comments]
            fragment = dump([{"heading": item.heading, "body": item.body}]).rstrip("\n")
            lines += [("  " + line) if line else "" for line in fragment.split("\n")]
    if used:
        lines.append(USED_MARKER)
        lines += [comment(f'  {where}: "{" ".join(text.split())}"') for where, text in used]
    text = "\n".join(lines) + "\n"
    expected = {e.key: e.value for e in entries}
    if extras:
        expected["extra_sections"] = [{"heading": i.heading, "body": i.body} for i in extras]
    _verify(text, expected)
    return text


def _verify(text: str, expected: dict[str, Any]) -> None:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise EmitError(f"the YAML written does not read back: {error}") from None
    if loaded != expected:
        differ = sorted(k for k in expected if loaded.get(k) != expected[k])
        raise EmitError(f"the YAML written reads back differently in: {', '.join(differ)}")


def used_lines(text: str) -> list[str]:
    """The document's lines that a draft's comments record as taken out of the text."""
    lines = text.split("\n")
    if USED_MARKER not in lines:
        return []
    found: list[str] = []
    for line in lines[lines.index(USED_MARKER) + 1 :]:
        if not line.startswith(_USED_LINE):
            break
        found.append(line[len(_USED_LINE) :])
    return found
