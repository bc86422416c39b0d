"""Text and Markdown readers: plain-text exports and Markdown pages as blocks.

A plain-text export has no formatting at all, so it keeps what it can: each line is a
paragraph, unless it goes on the sentence of the line before (no full stop there, a small
letter here), or the whole file is hard-wrapped at a fixed width; a line that
stands alone between blank lines is marked so (`structure` may take it for a heading), typed
bullets keep their indentation (their depth), and a line underlined with === or --- is a
heading. Markdown is parsed with markdown-it-py (as `check` does), so its headings, lists and
tables are real; YAML front matter gives the title and summary, and Hugo shortcodes, raw HTML
and pictures (separate files we may not read) are left out and reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from build_leaflets.importer.blocks import Block, Document, Picture, join_runs, words
from build_leaflets.importer.sources import MAX_TEXT_BYTES, ImportProblem, read_bytes

_UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")
_TYPED = re.compile(r"^\s*(?:[•·▪●◦○■□➢➤►✓\uf0b7-]|[*\u2013](?=\s)|\d{1,2}[.)](?=\s))")


def decode(data: bytes) -> tuple[str, str]:
    """Text from bytes: UTF-8 (with or without a byte-order mark), UTF-16 with one, or else
    Windows-1252 (what Notepad saved for years), with a note saying so."""
    note = ""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        if b"\x00" in data[:4096]:
            raise ImportProblem("is not a text file (it holds binary data)")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            note = "the file is not UTF-8: it was read as Windows-1252; check accented letters"
    return text.replace("\r\n", "\n").replace("\r", "\n"), note


def _paragraph(line: str, **facts: object) -> Block:
    text, plain = join_runs([(line, False, False, "")])
    block = Block("paragraph", text, plain)
    for name, value in facts.items():
        setattr(block, name, value)
    return block


def _indent(line: str) -> int:
    spaces = line[: len(line) - len(line.lstrip())]
    return len(spaces.replace("\t", "    "))


def read_text(path: Path) -> Document:
    """A plain-text export as blocks."""
    text, note = decode(read_bytes(path, MAX_TEXT_BYTES))
    lines = text.split("\n")
    filled = [line for line in lines if line.strip()]
    wrapped = (
        len(filled) >= 5
        and sum(1 for line in filled if 50 <= len(line.rstrip()) <= 80) >= 0.6 * len(filled)
        and max(len(line.rstrip()) for line in filled) <= 100
    )
    blocks: list[Block] = []
    group: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            group.append(line)
            continue
        blocks += _group(group, wrapped=wrapped)
        group = []
    document = Document(blocks, baseline=words(text))
    if note:
        document.notes.append(note)
    return document


def _group(lines: list[str], *, wrapped: bool) -> list[Block]:
    """The blocks of one run of lines between blank lines."""
    if not lines:
        return []
    if len(lines) == 2 and _UNDERLINE.match(lines[1]) and not _TYPED.match(lines[0]):
        level = 1 if lines[1].strip().startswith("=") else 2
        heading = _paragraph(lines[0], kind="heading", level=level, style="underlined")
        return [heading]
    alone = len(lines) == 1
    blocks: list[Block] = []
    for line in lines:
        typed = _TYPED.match(line) is not None
        previous_text = blocks[-1].plain.rstrip() if blocks else ""
        goes_on = (
            previous_text
            and previous_text[-1] not in '.!?:;"\u201d)'
            and line.strip()[:1].islower()
        )
        if blocks and not typed and blocks[-1].kind == "paragraph" and (wrapped or goes_on):
            previous = blocks[-1]
            joined = f"{previous.plain} {line.strip()}"
            blocks[-1] = _paragraph(joined, indent=previous.indent, standalone=False)
            continue
        blocks.append(_paragraph(line, indent=_indent(line), standalone=alone))
    return blocks


_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\n(.*?)\n(?:---|\+\+\+)[ \t]*(?:\n|\Z)", re.S)
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")


def read_markdown(path: Path) -> Document:
    """A Markdown page as blocks; its front matter's title and summary kept."""
    text, note = decode(read_bytes(path, MAX_TEXT_BYTES))
    document = Document([])
    if note:
        document.notes.append(note)
    front = _FRONT_MATTER.match(text)
    if front:
        text = text[front.end() :]
        document.title = _front_value(front.group(1), "title")
        document.summary = _front_value(front.group(1), "summary") or _front_value(
            front.group(1), "description"
        )
    if _SHORTCODE.search(text):
        document.notes.append("Hugo shortcodes such as {{< toc >}} were left out")
        text = _SHORTCODE.sub("", text)
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(text)
    _markdown_blocks(tokens, document)
    return document


def _front_value(front: str, key: str) -> str:
    match = re.search(rf"^{key}\s*[:=]\s*(.+?)\s*$", front, re.M)
    if not match:
        return ""
    return match.group(1).strip().strip("\"'").strip()


def _markdown_blocks(tokens: list[Token], document: Document) -> None:
    depth = -1
    ordered: list[bool] = []
    item_started = False
    row: list[str] | None = None
    table: list[list[str]] = []
    plain_table: list[list[str]] = []
    plain_row: list[str] = []
    heading_level = 0
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            ordered.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered.pop()
        elif kind == "list_item_open":
            item_started = True
        elif kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind == "tr_open":
            row, plain_row = [], []
        elif kind == "tr_close" and row is not None:
            table.append(row)
            plain_table.append(plain_row)
            row = None
        elif kind == "table_close":
            plain = "\n".join("\t".join(r) for r in plain_table)
            document.blocks.append(Block("table", rows=table, plain_rows=plain_table, plain=plain))
            document.baseline.update(words(plain))
            table, plain_table = [], []
        elif kind == "inline":
            text, plain = _inline(token, document)
            document.baseline.update(words(plain))
            if row is not None:
                row.append(text)
                plain_row.append(plain)
                document.baseline.subtract(words(plain))  # counted with the table
            elif not plain.strip():
                continue
            elif heading_level:
                level = heading_level
                block = Block("heading", text, plain, level=level, style=f"a level {level} heading")
                document.blocks.append(block)
                heading_level = 0
            elif item_started and depth >= 0:
                number = str(tokens[index - 2].info or "") if ordered[-1] else ""
                block = Block("item", text, plain, level=depth, ordered=ordered[-1])
                block.number, block.style = number, "a Markdown list"
                document.blocks.append(block)
                item_started = False
            else:
                document.blocks.append(Block("paragraph", text, plain))
        elif kind in ("fence", "code_block"):
            for line in token.content.splitlines():
                if line.strip():
                    block = _paragraph(line)
                    document.blocks.append(block)
                    document.baseline.update(words(block.plain))
        elif kind == "html_block":
            document.notes.append("raw HTML in the Markdown was left out (check refuses it)")


def _inline(token: Token, document: Document) -> tuple[str, str]:
    """An inline token's Markdown (as written, pictures and raw HTML taken out) and its words."""
    plain: list[str] = []
    html: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            plain.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            plain.append("\n" if child.type == "hardbreak" else " ")
        elif child.type == "image":
            src = str(child.attrGet("src") or "")
            document.blocks.append(
                Block("picture", picture=Picture(src, None, "a separate file", child.content))
            )
        elif child.type == "html_inline":
            document.notes.append(f"raw HTML {child.content!r} was left out")
            html.append(child.content)
    source = _IMAGE.sub("", token.content)
    for tag in html:
        source = source.replace(tag, "", 1)
    lines = source.split("\n")
    text = ""
    for number, line in enumerate(lines):
        hard = line.endswith(("  ", "\\")) and number < len(lines) - 1
        text += line.rstrip(" \\" if hard else " ").strip() if number else line.rstrip()
        if number < len(lines) - 1:
            text += "\\\n" if hard else " "
    return text.strip(), "".join(plain).strip()
