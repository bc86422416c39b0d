"""Word reader: a .docx (or what LibreOffice converted to one) as blocks with formatting facts.

Built on python-docx rather than mammoth. mammoth is excellent at turning *well-styled* Word
into clean HTML, but it maps styles to tags and throws away what real leaflets are made of:
manual formatting (a heading that is a short bold 14 pt paragraph in Normal style), run sizes,
page headers and footers (where trusts put the leaflet reference and dates), and numbering
definitions. python-docx opens the package (zip, relationships, parts, styles, numbering,
headers and footers, images) and leaves the XML within reach, so this module reads runs
itself: text inside tracked insertions, content controls, fields and text boxes is kept (python-
docx's `paragraph.text` skips it), deleted text and the duplicate fallback copies Word stores
for old readers are not.

Every word of the body is counted straight from the XML (`w:t`) too, independently of how the
paragraphs were read, so the importer can prove that nothing was lost on the way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from docx.oxml.ns import qn

from build_leaflets.importer.blocks import Block, Document, Picture, clean, join_runs, words
from build_leaflets.importer.sources import ImportProblem, open_word_zip

_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_P, _TBL, _R, _T, _TR, _TC = (qn(f"w:{t}") for t in ("p", "tbl", "r", "t", "tr", "tc"))
_HYPERLINK, _SDT_PR, _PPR, _RPR = qn("w:hyperlink"), qn("w:sdtPr"), qn("w:pPr"), qn("w:rPr")
_DEL, _MOVE_FROM, _INSTR = qn("w:del"), qn("w:moveFrom"), qn("w:instrText")
_FALLBACK, _CHOICE = f"{{{_MC}}}Fallback", f"{{{_MC}}}Choice"
_DRAWING, _PICT, _TXBX = qn("w:drawing"), qn("w:pict"), qn("w:txbxContent")
_SKIP = {_PPR, _RPR, _DEL, _MOVE_FROM, _SDT_PR, _FALLBACK, qn("w:sectPr"), qn("w:tblPr")}
_VAL = qn("w:val")
_LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
_PICTURE_KINDS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg"}
_BULLET_FORMATS = {"bullet", "none"}


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    bold: bool | None = None
    italic: bool | None = None
    caps: bool | None = None
    size: float | None = None
    outline: int | None = None
    numbering: tuple[str, int] | None = None


@dataclass
class _Run:
    text: str
    bold: bool
    italic: bool
    caps: bool
    size: float
    link: str


@dataclass
class _Reader:
    """One document's styles and numbering, and what has been found so far."""

    styles: dict[str, _Style]
    default_style: str
    default_size: float
    numbering: dict[tuple[str, int], str]
    notes: list[str] = field(default_factory=list)
    pictures: int = 0
    tables: int = 0


def read(path: Path, shown_as: str = "Word") -> Document:
    """The blocks of a Word document, its page headers and footers, and its words."""
    open_word_zip(path, shown_as).close()  # refuses what is not a safe, real .docx
    try:
        document = docx.Document(str(path))
    except Exception as error:  # python-docx raises many kinds on a damaged package
        raise ImportProblem(
            f"cannot be read as a {shown_as} document ({type(error).__name__}: {error}); "
            "open it in Word, save it again and import that"
        ) from None
    reader = _Reader(*_styles(document), _numbering(document))
    body = document.element.body
    blocks = list(_blocks(reader, body, document.part))
    margins: list[Block] = []
    seen: set[int] = set()
    for section in document.sections:
        for part in (
            section.first_page_header,
            section.header,
            section.even_page_header,
            section.first_page_footer,
            section.footer,
            section.even_page_footer,
        ):
            if part.is_linked_to_previous or id(part._element) in seen:
                continue
            seen.add(id(part._element))
            margins.extend(_blocks(reader, part._element, part.part))
    return Document(blocks, margins, baseline=_body_words(body), notes=reader.notes)


def _styles(document: Any) -> tuple[dict[str, _Style], str, float]:
    """Each style by id with the facts that matter here, and the defaults."""
    root = document.styles.element
    styles: dict[str, _Style] = {}
    default_style = ""
    for element in root.iterchildren(qn("w:style")):
        style_id = element.get(qn("w:styleId")) or ""
        name_element = element.find(qn("w:name"))
        based = element.find(qn("w:basedOn"))
        style = _Style(
            name=name_element.get(_VAL, "") if name_element is not None else "",
            based_on=based.get(_VAL) if based is not None else None,
        )
        _formatting(element.find(_RPR), style)
        ppr = element.find(_PPR)
        if ppr is not None:
            outline = ppr.find(qn("w:outlineLvl"))
            if outline is not None:
                style.outline = _int(outline.get(_VAL), 9)
            style.numbering = _num_pr(ppr)
        styles[style_id] = style
        if element.get(qn("w:type")) == "paragraph" and element.get(qn("w:default")) in (
            "1",
            "true",
        ):
            default_style = style_id
    size = 10.0
    defaults = root.find(qn("w:docDefaults"))
    if defaults is not None:
        found = defaults.find(f"{qn('w:rPrDefault')}/{_RPR}/{qn('w:sz')}")
        if found is not None:
            size = _int(found.get(_VAL), 20) / 2
    return styles, default_style, size


def _numbering(document: Any) -> dict[tuple[str, int], str]:
    """The number format ("bullet", "decimal", "lowerLetter"...) of each list and level."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    formats: dict[str, dict[int, str]] = {}
    for abstract in root.iterchildren(qn("w:abstractNum")):
        levels: dict[int, str] = {}
        for level in abstract.iterchildren(qn("w:lvl")):
            fmt = level.find(qn("w:numFmt"))
            levels[_int(level.get(qn("w:ilvl")), 0)] = fmt.get(_VAL, "") if fmt is not None else ""
        formats[abstract.get(qn("w:abstractNumId")) or ""] = levels
    found: dict[tuple[str, int], str] = {}
    for num in root.iterchildren(qn("w:num")):
        abstract_id = num.find(qn("w:abstractNumId"))
        levels = formats.get(abstract_id.get(_VAL, "") if abstract_id is not None else "", {})
        for level_number, fmt in levels.items():
            found[(num.get(qn("w:numId")) or "", level_number)] = fmt
    return found


def _formatting(rpr: Any, style: _Style | _RunProps) -> None:
    if rpr is None:
        return
    for name, attribute in (("b", "bold"), ("i", "italic"), ("caps", "caps")):
        element = rpr.find(qn(f"w:{name}"))
        if element is not None:
            setattr(style, attribute, element.get(_VAL, "true") not in ("0", "false", "off"))
    size = rpr.find(qn("w:sz"))
    if size is not None and size.get(_VAL, "").isdigit():
        style.size = int(size.get(_VAL)) / 2


def _num_pr(ppr: Any) -> tuple[str, int] | None:
    num_pr = ppr.find(qn("w:numPr"))
    if num_pr is None:
        return None
    num_id = num_pr.find(qn("w:numId"))
    level = num_pr.find(qn("w:ilvl"))
    return (
        num_id.get(_VAL, "0") if num_id is not None else "0",
        _int(level.get(_VAL), 0) if level is not None else 0,
    )


def _int(value: str | None, default: int) -> int:
    return int(value) if value is not None and value.isdigit() else default


def _chain(reader: _Reader, style_id: str) -> Iterator[_Style]:
    """A style and the styles it is based on, nearest first (a loop in a damaged file ends)."""
    seen: set[str] = set()
    current: str | None = style_id
    while current and current not in seen and current in reader.styles:
        seen.add(current)
        yield reader.styles[current]
        current = reader.styles[current].based_on


def _inherited(reader: _Reader, style_id: str, attribute: str) -> Any:
    for style in _chain(reader, style_id):
        value = getattr(style, attribute)
        if value is not None:
            return value
    return None


def _blocks(reader: _Reader, container: Any, part: Any) -> Iterator[Block]:
    """The blocks of a body, a header, a footer, a table cell or a text box, in order."""
    for child in container.iterchildren():
        if child.tag == _P:
            yield from _paragraph(reader, child, part)
        elif child.tag == _TBL:
            yield from _table(reader, child, part)
        elif child.tag in _SKIP or not isinstance(child.tag, str):
            continue
        else:  # content controls, custom XML, tracked insertions: their content counts
            yield from _blocks(reader, _choice(child), part)


def _choice(element: Any) -> Any:
    """For a compatibility block, the content for current readers (its Choice)."""
    if element.tag == f"{{{_MC}}}AlternateContent":
        choice = element.find(_CHOICE)
        return choice if choice is not None else element
    if element.tag == qn("w:sdt"):
        content = element.find(qn("w:sdtContent"))
        return content if content is not None else element
    return element


def _paragraph(reader: _Reader, p: Any, part: Any) -> Iterator[Block]:
    ppr = p.find(_PPR)
    style_id = reader.default_style
    if ppr is not None and ppr.find(qn("w:pStyle")) is not None:
        style_id = ppr.find(qn("w:pStyle")).get(_VAL, style_id)
    style_name = (_inherited(reader, style_id, "name") or "").strip()
    style_name = style_name[:1].upper() + style_name[1:]  # Word stores "heading 1"
    runs: list[_Run] = []
    extra: list[Block] = []
    _inline(reader, p, part, style_id, "", runs, extra, [False])
    parts = [(r.text, r.bold, r.italic, r.link) for r in runs]
    text, plain = join_runs(parts)
    plain = clean(plain)
    if plain.strip():
        yield _classify(reader, ppr, style_id, style_name, runs, text, plain)
    yield from extra


def _classify(
    reader: _Reader,
    ppr: Any,
    style_id: str,
    style_name: str,
    runs: list[_Run],
    text: str,
    plain: str,
) -> Block:
    letters = [r for r in runs if r.text.strip()]
    sizes: Counter[float] = Counter()
    for run in letters:
        sizes[run.size] += len(run.text.strip())
    block = Block(
        "paragraph",
        text,
        plain,
        bold=bool(letters) and all(r.bold for r in letters),
        size=sizes.most_common(1)[0][0] if sizes else reader.default_size,
        indent=_indent(ppr),
        caps=bool(letters) and all(r.caps for r in letters),
    )
    lowered = style_name.lower()
    outline = None
    if ppr is not None and ppr.find(qn("w:outlineLvl")) is not None:
        outline = _int(ppr.find(qn("w:outlineLvl")).get(_VAL), 9)
    if outline is None:
        outline = _inherited(reader, style_id, "outline")
    heading = re.fullmatch(r"heading\s*([1-9])", lowered)
    if lowered == "title":
        block.kind, block.level, block.title, block.style = "heading", 1, True, 'style "Title"'
    elif heading:
        block.kind, block.level = "heading", int(heading.group(1))
        block.style = f'style "{style_name}"'
    elif outline is not None and outline < 9:
        block.kind, block.level = "heading", outline + 1
        block.style = f"outline level {outline + 1}"
    else:
        numbering = (_num_pr(ppr) if ppr is not None else None) or _inherited(
            reader, style_id, "numbering"
        )
        # "List Bullet 2" is a second level made with its own list, at level 0.
        depth = re.search(r"(\d)$", lowered) if lowered.startswith("list") else None
        named_level = int(depth.group(1)) - 1 if depth else 0
        if numbering is not None and numbering[0] != "0":
            fmt = reader.numbering.get(numbering, "bullet")
            block.kind, block.level = "item", max(numbering[1], named_level)
            block.ordered = fmt not in _BULLET_FORMATS
            block.style = "a Word list"
        elif lowered.startswith(("list bullet", "list number")):
            block.kind, block.level = "item", named_level
            block.ordered = lowered.startswith("list number")
            block.style = f'style "{style_name}"'
    return block


def _indent(ppr: Any) -> int:
    """The paragraph's left indent in points, for the depth of typed lists."""
    if ppr is None:
        return 0
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        return 0
    value = ind.get(qn("w:left")) or ind.get(qn("w:start")) or "0"
    return int(value) // 20 if value.lstrip("-").isdigit() and not value.startswith("-") else 0


@dataclass
class _RunProps:
    bold: bool | None = None
    italic: bool | None = None
    caps: bool | None = None
    size: float | None = None


def _inline(
    reader: _Reader,
    element: Any,
    part: Any,
    style_id: str,
    link: str,
    runs: list[_Run],
    extra: list[Block],
    in_instruction: list[bool],
) -> None:
    """Walk a paragraph's content in order: runs, links, insertions, fields, controls."""
    for child in element.iterchildren():
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == _R:
            _run(reader, child, part, style_id, link, runs, extra, in_instruction)
        elif tag == _HYPERLINK:
            target = _hyperlink(child, part) or link
            _inline(reader, child, part, style_id, target, runs, extra, in_instruction)
        elif tag == qn("w:fldSimple"):
            target = _field_link(child.get(qn("w:instr"), "")) or link
            _inline(reader, child, part, style_id, target, runs, extra, in_instruction)
        else:
            _inline(reader, _choice(child), part, style_id, link, runs, extra, in_instruction)


def _run(
    reader: _Reader,
    r: Any,
    part: Any,
    style_id: str,
    link: str,
    runs: list[_Run],
    extra: list[Block],
    in_instruction: list[bool],
) -> None:
    props = _RunProps()
    _formatting(r.find(_RPR), props)
    rpr = r.find(_RPR)
    char_style = ""
    if rpr is not None and rpr.find(qn("w:rStyle")) is not None:
        char_style = rpr.find(qn("w:rStyle")).get(_VAL, "")

    def pick(attribute: str, default: Any) -> Any:
        for source in (props, *_chain(reader, char_style), *_chain(reader, style_id)):
            value = getattr(source, attribute)
            if value is not None:
                return value
        return default

    text: list[str] = []
    for child in r.iterchildren():
        tag = child.tag
        if tag == qn("w:fldChar"):
            kind = child.get(qn("w:fldCharType"))
            in_instruction[0] = kind == "begin"
        elif tag == _INSTR or in_instruction[0]:
            continue
        elif tag == _T:
            text.append(child.text or "")
        elif tag == qn("w:tab"):
            text.append("\t")
        elif tag in (qn("w:br"), qn("w:cr")):
            if child.get(qn("w:type")) in (None, "textWrapping"):
                text.append("\n")
        elif tag == qn("w:noBreakHyphen"):
            text.append("-")
        elif tag == qn("w:sym"):
            text.append(_symbol(child.get(qn("w:char"), "")))
        elif tag in (_DRAWING, _PICT) or tag == f"{{{_MC}}}AlternateContent":
            extra.extend(_drawing(reader, _choice(child), part))
    joined = "".join(text)
    if joined:
        runs.append(
            _Run(
                joined,
                bool(pick("bold", False)),
                bool(pick("italic", False)),
                bool(pick("caps", False)),
                float(pick("size", reader.default_size)),
                link,
            )
        )


def _symbol(code: str) -> str:
    """A `w:sym` character; Symbol-font bullets live in the private use area (F0B7 is •)."""
    try:
        value = int(code, 16)
    except ValueError:
        return ""
    return {0xF0B7: "•", 0xF0A7: "▪", 0xF0D8: "\u2013", 0xF076: "•", 0xF0FC: "✓"}.get(
        value, chr(value) if value < 0xE000 else ""
    )


def _hyperlink(element: Any, part: Any) -> str:
    rid = element.get(qn("r:id"))
    if not rid:
        return ""
    try:
        relationship = part.rels[rid]
    except KeyError:
        return ""
    target = str(relationship.target_ref) if relationship.is_external else ""
    return target if target.lower().startswith(_LINK_SCHEMES) else ""


def _field_link(instruction: str) -> str:
    match = re.match(r'\s*HYPERLINK\s+"([^"]+)"', instruction)
    target = match.group(1) if match else ""
    return target if target.lower().startswith(_LINK_SCHEMES) else ""


def _drawing(reader: _Reader, element: Any, part: Any) -> Iterator[Block]:
    """Pictures and text boxes inside a drawing (DrawingML or old VML)."""
    for box in element.iter(_TXBX):
        if any(a.tag == _FALLBACK for a in box.iterancestors()):
            continue
        yield from _blocks(reader, box, part)
    alt = ""
    for doc_pr in element.iter(qn("wp:docPr")):
        alt = (doc_pr.get("descr") or doc_pr.get("title") or "").strip()
    for shape in element.iter("{urn:schemas-microsoft-com:vml}shape"):
        alt = alt or (shape.get("alt") or "").strip()
    rids = [b.get(qn("r:embed")) for b in element.iter(qn("a:blip"))]
    rids += [i.get(qn("r:id")) for i in element.iter("{urn:schemas-microsoft-com:vml}imagedata")]
    for rid in filter(None, rids):
        try:
            image = part.related_parts[rid]
        except KeyError:
            continue
        reader.pictures += 1
        data: bytes = image.blob
        kind = _PICTURE_KINDS.get(image.content_type, image.content_type)
        name = Path(str(getattr(image, "partname", f"picture{reader.pictures}"))).name
        if kind == "png" and not data.startswith(b"\x89PNG"):
            kind = "damaged PNG"
        if kind == "jpeg" and not data.startswith(b"\xff\xd8"):
            kind = "damaged JPEG"
        yield Block("picture", picture=Picture(name, data, kind, clean(alt)))


def _table(reader: _Reader, tbl: Any, part: Any) -> Iterator[Block]:
    """A grid of single-paragraph cells becomes a table; anything else (merged cells, lists or
    several paragraphs in a cell, a one-column box) is read as the blocks it holds."""
    reader.tables += 1
    grid: list[list[list[Block]]] = []
    simple = True
    for tr in tbl.iterchildren(_TR):
        row: list[list[Block]] = []
        for tc in tr.iterchildren(_TC):
            tcpr = tc.find(qn("w:tcPr"))
            if tcpr is not None and (
                tcpr.find(qn("w:gridSpan")) is not None or tcpr.find(qn("w:vMerge")) is not None
            ):
                simple = False
            cell = list(_blocks(reader, tc, part))
            if len(cell) > 1 or any(b.kind not in ("paragraph", "heading") for b in cell):
                simple = False
            row.append(cell)
        grid.append(row)
    widths = {len(row) for row in grid}
    columns = max(widths, default=0)
    if simple and len(widths) == 1 and columns > 1 and len(grid) > 1:
        rows = [[cell[0].text if cell else "" for cell in row] for row in grid]
        plain_rows = [[cell[0].plain if cell else "" for cell in row] for row in grid]
        plain = "\n".join("\t".join(row) for row in plain_rows)
        yield Block("table", rows=rows, plain_rows=plain_rows, plain=plain)
        return
    if columns > 1:
        reader.notes.append(
            f"table {reader.tables} ({len(grid)} rows, {columns} columns) has merged cells or "
            "more than one paragraph in a cell, so it cannot be a Markdown table: its text is "
            "kept as paragraphs, row by row; rewrite it as a list"
        )
    for row in grid:
        for cell in row:
            yield from cell


def _body_words(body: Any) -> Counter[str]:
    """Every word of the body's text, straight from the XML: the reference the importer's
    output is checked against. Text boxes count once (not their fallback copies)."""
    paragraphs: dict[Any, list[str]] = {}
    breaks = {qn("w:tab"), qn("w:br"), qn("w:cr")}
    for t in body.iter(_T, *breaks):
        owner = None
        fallback = False
        for ancestor in t.iterancestors():
            if ancestor.tag in (_FALLBACK, _DEL, _MOVE_FROM):
                fallback = True
                break
            if owner is None and ancestor.tag == _P:
                owner = ancestor
        if fallback:
            continue
        text = " " if t.tag in breaks else t.text
        if text:
            paragraphs.setdefault(owner, []).append(text)
    found: Counter[str] = Counter()
    for texts in paragraphs.values():
        found.update(words("".join(texts)))
    return found
