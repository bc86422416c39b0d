"""Markdown: a section's blocks as the Markdown body a leaflet file holds.

Paragraphs are separated by blank lines, neighbouring list items make one list (nested by
depth, each child indented under its parent's marker, as CommonMark requires), subheadings
become `###` (the section's own heading is the page's level 2), and tables become pipe tables.
"""

from __future__ import annotations

from build_leaflets.importer.blocks import Block, escape, flatten


def body(blocks: list[Block]) -> str:
    """The Markdown of a run of blocks, ending with a newline ("" for none)."""
    parts: list[str] = []
    items: list[Block] = []
    for block in [*blocks, Block("paragraph")]:
        if block.kind == "item":
            items.append(block)
            continue
        if items:
            parts.append(_list(items))
            items = []
        if block.kind == "paragraph" and block.text.strip():
            parts.append(flatten(block.text).strip())
        elif block.kind == "heading":
            parts.append("### " + escape(flatten(block.plain).strip()))
        elif block.kind == "table":
            parts.append(_table(block.rows))
        elif block.kind == "picture" and block.text:
            parts.append(block.text)
    text = "\n\n".join(part for part in parts if part)
    return text + "\n" if text else ""


def _list(items: list[Block]) -> str:
    """Items as a (nested) Markdown list."""
    lines: list[str] = []
    indents: list[int] = []  # the indentation of each open depth's content
    counters: dict[int, int] = {}
    depth = -1
    for item in items:
        depth = min(item.level, depth + 1)
        del indents[depth:]
        for deeper in [d for d in counters if d > depth]:
            del counters[deeper]
        indent = indents[-1] if indents else 0
        if item.ordered:
            counters[depth] = int(item.number) if item.number else counters.get(depth, 0) + 1
            marker = f"{counters[depth]}. "
        else:
            counters.pop(depth, None)
            marker = "- "
        indents.append(indent + len(marker))
        text = flatten(item.text).strip() or escape(flatten(item.plain).strip())
        first, *rest = text.split("\n")
        lines.append(" " * indent + marker + first)
        lines += [" " * (indent + len(marker)) + line for line in rest]
    return "\n".join(lines)


def _table(rows: list[list[str]]) -> str:
    """A pipe table; the first row is its header."""
    width = max(len(row) for row in rows)
    shown = [[_cell(c) for c in row] + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(shown[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in shown[1:]]
    return "\n".join(lines)


def _cell(markdown: str) -> str:
    return flatten(markdown.replace("\\\n", " ").replace("\n", " ")).strip()
