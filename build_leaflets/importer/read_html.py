"""Web page reader: the main content of a saved web page as blocks.

Parsed with tinyhtml5, the HTML5 parser WeasyPrint already brings: it builds a tree the way a
browser does (unclosed paragraphs and list items, misnested bold) and executes nothing, fetches
nothing. Scripts, styles, forms, navigation, asides and cookie or consent banners are dropped;
the page's own header and footer (outside the main content) are kept aside as margins, where
governance lines such as "Page last reviewed: 14 March 2024" are looked for, as in a Word
footer. The main content is `<main>` (or role="main"), else the `<article>` with the most
text, else the block where most paragraph text sits. Pictures are separate files of the page
and are not read (only pictures inside the page itself, as data: URLs, are imported).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from pathlib import Path
from xml.etree.ElementTree import Element

import tinyhtml5

from build_leaflets.importer.blocks import Block, Document, Picture, clean, join_runs, words
from build_leaflets.importer.read_text import decode
from build_leaflets.importer.sources import MAX_TEXT_BYTES, read_bytes

_DROP = {
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "form", "button", "select", "input", "textarea", "dialog", "nav", "aside", "menu", "link",
    "meta", "head", "video", "audio", "map",
}  # fmt: skip
_BANNER = re.compile(
    r"cookie|consent|gdpr|newsletter|subscribe|share|social|breadcrumb|skip-?link|popup|modal",
    re.I,
)
_BLOCKS = {
    "p", "div", "section", "article", "main", "header", "footer", "blockquote", "figure",
    "figcaption", "ul", "ol", "li", "table", "dl", "dt", "dd", "pre", "address", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6", "details", "summary", "center", "body", "html",
}  # fmt: skip
_BOLD = {"b", "strong"}
_ITALIC = {"i", "em", "cite"}
_LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)


def read(path: Path) -> Document:
    """A saved web page's main content as blocks, its header and footer as margins."""
    data = read_bytes(path, MAX_TEXT_BYTES)
    text, note = _decode(data)
    root = tinyhtml5.parse(text, namespace_html_elements=False)
    title = root.find("./head/title")
    page_title = " ".join("".join(title.itertext()).split()) if title is not None else ""
    body = root.find("./body")
    if body is None:
        body = root
    _strip(body)
    margins: list[Block] = []
    for element in _detach_margins(body):
        _flow(element, margins, 0, [])
    main = _main(body)
    blocks: list[Block] = []
    _flow(main, blocks, 0, [])
    document = Document(blocks, margins, baseline=words(" ".join(_texts(main))))
    document.fallback_title = page_title
    if note:
        document.notes.append(note)
    return document


def _decode(data: bytes) -> tuple[str, str]:
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        name = declared.group(1).decode("ascii", "replace").lower()
        if name not in ("utf-8", "utf8"):
            try:
                return data.decode(name, errors="replace"), ""
            except LookupError:
                pass
    return decode(data)


def _strip(element: Element) -> None:
    """Remove what is never content: scripts, styles, forms, navigation, banners."""
    for child in list(element):
        tag = child.tag if isinstance(child.tag, str) else ""
        marks = " ".join(
            child.get(a, "") for a in ("id", "class", "role", "aria-label", "aria-modal")
        )
        if (
            not tag
            or tag in _DROP
            or child.get("hidden") is not None
            or child.get("aria-hidden") == "true"
            or _BANNER.search(marks)
            or child.get("role") in ("navigation", "search", "dialog", "alertdialog")
        ):
            _remove(element, child)
            continue
        _strip(child)


def _main(body: Element) -> Element:
    """The page's main content."""
    for element in body.iter():
        if element.tag == "main" or element.get("role") == "main":
            return element
    articles = [e for e in body.iter("article")]
    if articles:
        return max(articles, key=lambda e: len(" ".join(_texts(e))))
    scores: Counter[int] = Counter()
    by_id: dict[int, Element] = {}
    parents = {child: parent for parent in body.iter() for child in parent}
    for paragraph in body.iter():
        if paragraph.tag not in ("p", "li", "h2", "h3", "pre", "td"):
            continue
        length = len(" ".join(_texts(paragraph)))
        parent = parents.get(paragraph)
        share = 1.0
        while parent is not None and share > 0.1:
            by_id[id(parent)] = parent
            scores[id(parent)] += int(length * share)
            parent = parents.get(parent)
            share /= 2
    if not scores:
        return body
    return by_id[scores.most_common(1)[0][0]]


def _detach_margins(body: Element) -> list[Element]:
    """Take out the page's own header and footer (not an article's): they are kept aside, as
    a Word file's page header and footer are."""
    parents = {child: parent for parent in body.iter() for child in parent}
    found: list[Element] = []
    for element in body.iter():
        if element.tag not in ("header", "footer") and element.get("role") not in (
            "banner",
            "contentinfo",
        ):
            continue
        ancestor = parents.get(element)
        inside = False
        while ancestor is not None:
            if ancestor.tag in ("article", "main") or ancestor in found:
                inside = True
                break
            ancestor = parents.get(ancestor)
        if not inside:
            found.append(element)
    for element in found:
        _remove(parents[element], element)
    return found


def _remove(parent: Element, child: Element) -> None:
    """Remove an element, keeping the text that follows it where it was."""
    tail = child.tail
    index = list(parent).index(child)
    parent.remove(child)
    if tail and tail.strip():
        if index > 0:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + " " + tail
        else:
            parent.text = (parent.text or "") + " " + tail


def _texts(element: Element) -> list[str]:
    return [t for t in element.itertext() if t.strip()]


class _Paragraph:
    """Inline content being gathered: runs of (text, bold, italic, link)."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, bool, bool, str]] = []

    def add(self, text: str | None, bold: bool, italic: bool, link: str, pre: bool) -> None:
        if text:
            shown = text if pre else re.sub(r"\s+", " ", text)
            self.runs.append((shown, bold, italic, link))


def _flow(element: Element, out: list[Block], depth: int, lists: list[bool]) -> None:
    """The blocks of an element whose children mix text and blocks, in order."""
    paragraph = _Paragraph()
    tag = element.tag if isinstance(element.tag, str) else ""
    _inline_text(element.text, paragraph, element)
    for child in element:
        child_tag = child.tag if isinstance(child.tag, str) else ""
        if child_tag in _BLOCKS:
            _flush(paragraph, out, tag)
            paragraph = _Paragraph()
            _block(child, out, depth, lists)
        elif child_tag == "img":
            _flush(paragraph, out, tag)
            paragraph = _Paragraph()
            out.append(_picture(child))
        else:
            _inline(child, paragraph, bold=False, italic=False, link="", pre=False, out=out)
        _inline_text(child.tail, paragraph, element)
    _flush(paragraph, out, tag)


def _inline_text(text: str | None, paragraph: _Paragraph, element: Element) -> None:
    paragraph.add(text, element.tag in _BOLD, element.tag in _ITALIC, "", element.tag == "pre")


def _flush(paragraph: _Paragraph, out: list[Block], tag: str) -> None:
    text, plain = join_runs(paragraph.runs)
    if not plain.strip():
        return
    letters = [r for r in paragraph.runs if r[0].strip()]
    block = Block("paragraph", text, clean(plain), bold=all(r[1] for r in letters))
    if tag in ("dt", "th", "summary"):
        block.bold = True
    out.append(block)


def _block(element: Element, out: list[Block], depth: int, lists: list[bool]) -> None:
    tag = element.tag
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        before = len(out)
        _flow(element, out, depth, lists)
        for block in out[before:]:
            if block.kind == "paragraph":
                block.kind, block.level, block.style = "heading", int(tag[1]), f"<{tag}>"
    elif tag in ("ul", "ol"):
        for child in element:
            if child.tag == "li":
                _item(child, out, len(lists), [*lists, tag == "ol"])
            elif isinstance(child.tag, str):
                _block(child, out, depth, lists)
    elif tag == "li":
        _item(element, out, len(lists), [*lists, False])
    elif tag == "table":
        _table(element, out, depth, lists)
    elif tag == "hr":
        return
    else:
        _flow(element, out, depth, lists)


def _item(element: Element, out: list[Block], depth: int, lists: list[bool]) -> None:
    """A list item: its own text is the item; nested lists and blocks follow it."""
    before = len(out)
    _flow(element, out, depth, lists)
    for block in out[before:]:
        if block.kind == "paragraph":
            block.kind, block.level, block.ordered = "item", depth, lists[-1]
            block.style = "<ol>" if lists[-1] else "<ul>"
            break


def _table(element: Element, out: list[Block], depth: int, lists: list[bool]) -> None:
    rows = [r for r in element.iter("tr")]
    grid: list[list[list[Block]]] = []
    simple = not any(t is not element for t in element.iter("table"))
    for row in rows:
        cells: list[list[Block]] = []
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            if cell.get("colspan", "1") != "1" or cell.get("rowspan", "1") != "1":
                simple = False
            found: list[Block] = []
            _flow(cell, found, depth, lists)
            if len(found) > 1 or any(b.kind != "paragraph" for b in found):
                simple = False
            cells.append(found)
        grid.append(cells)
    widths = {len(r) for r in grid}
    if simple and len(widths) == 1 and max(widths) > 1 and len(grid) > 1:
        table = [[c[0].text if c else "" for c in r] for r in grid]
        plain_rows = [[c[0].plain if c else "" for c in r] for r in grid]
        plain = "\n".join("\t".join(r) for r in plain_rows)
        out.append(Block("table", rows=table, plain_rows=plain_rows, plain=plain))
        return
    for row_cells in grid:
        for cell_blocks in row_cells:
            out.extend(cell_blocks)


def _inline(
    element: Element,
    paragraph: _Paragraph,
    *,
    bold: bool,
    italic: bool,
    link: str,
    pre: bool,
    out: list[Block],
) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    bold = bold or tag in _BOLD
    italic = italic or tag in _ITALIC
    if tag == "a":
        href = (element.get("href") or "").strip()
        link = href if href.lower().startswith(_LINK_SCHEMES) else link
    if tag == "br":
        paragraph.add("\n", bold, italic, link, True)
    elif tag == "img":
        out.append(_picture(element))
    paragraph.add(element.text, bold, italic, link, pre)
    for child in element:
        _inline(child, paragraph, bold=bold, italic=italic, link=link, pre=pre, out=out)
        paragraph.add(child.tail, bold, italic, link, pre)


def _picture(element: Element) -> Block:
    src = (element.get("src") or "").strip()
    alt = clean(element.get("alt") or "").strip()
    match = re.match(r"data:image/(png|jpeg|jpg);base64,(.*)", src, re.S | re.I)
    if match:
        try:
            data = base64.b64decode(match.group(2), validate=False)
        except (binascii.Error, ValueError):
            data = b""
        kind = "png" if match.group(1).lower() == "png" else "jpeg"
        if data:
            return Block("picture", picture=Picture("an embedded picture", data, kind, alt))
    name = src if not src.startswith("data:") else "an embedded picture"
    return Block("picture", picture=Picture(name[:80], None, "a separate file", alt))
