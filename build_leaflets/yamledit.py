"""Write edited leaflet data back into its YAML text, changing only the lines that changed.

A leaflet edited in the browser form is saved back into the git repository, where every
change is reviewed as a diff and the file's comments carry notes between authors. A save
that re-serialises the whole document (dropping comments, reordering keys, adding quotes,
re-wrapping lines) would bury the real edit in noise and lose those notes. So the document
is never written out whole:

* the text is parsed with ruamel.yaml's round-trip loader, which records the line and
  column of every key and list item;
* the new data is compared with the file's, node by node; a node that is equal keeps its
  lines exactly, byte for byte, comments and quoting included;
* a changed mapping or list is descended into, so that only its changed children change;
  a changed scalar (or a node that changes type) is rendered by ruamel.yaml from a copy of
  its own lines, so its quoting style and end-of-line comment stay, and spliced back at its
  original indentation; a new key or item is rendered by ruamel.yaml and inserted at its
  place in the model's order;
* the result is parsed again and compared with the data. Should they differ (a layout this
  module cannot splice, such as a block scalar kept with `|+` whose trailing blank lines are
  part of its value), the document is rewritten whole by ruamel.yaml's round trip instead and
  a `YamlEditWarning` says so: a save must never write anything but the data it was given.

Which lines belong to a key (or list item), so that removing it removes exactly them:

* its own lines: the key line and every line of its value, including comments indented
  deeper than the key;
* its leading comments: comment lines at the key's indentation (or less) directly above it,
  with no blank line between.

Comments separated from a key by a blank line, and the comments at the top of the file before
the first key, belong to no key and are always kept. A comment directly above a key therefore
stays with the key below it when the key above is removed, instead of being left to describe
the wrong key (ruamel.yaml itself attaches such a comment to the key above and drops it with
that key).

Plain values are read by PyYAML's rules (YAML 1.1, the project's loader), so a new value such
as `no`, `on` or `1:30` is quoted rather than written plain and read back as a boolean or a
number.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import itertools
import re
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml.resolver
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.error import YAMLError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from build_leaflets.model import STANDARD_SECTIONS, Change, Contact, ExtraSection, Section

#: For a key holding a mapping, the order of that mapping's keys; for a key holding a list of
#: mappings, the order of each item's keys. Taken from the model, so a key added in the form
#: lands where the model (and the JSON Schema editors use) lists it: a section's heading
#: before its body; contact: phone, email, address, hours; a change: version, date, summary.
NESTED_ORDERS: dict[str, tuple[str, ...]] = {
    **{key: tuple(Section.model_fields) for key in STANDARD_SECTIONS},
    "contact": tuple(Contact.model_fields),
    "extra_sections": tuple(ExtraSection.model_fields),
    "changes": tuple(Change.model_fields),
}

#: Top-level keys that the model lets be written either as plain text (`what: |`) or as a
#: mapping with `heading` and `body`; see `update_yaml`.
SECTION_KEYS: frozenset[str] = frozenset(STANDARD_SECTIONS)

_DEFAULT_INDENT = (2, 4, 2)  # mapping, sequence, offset: the sample leaflets' layout
_WIDTH = 1 << 30  # never re-wrap a long line
# The line breaks YAML (and so ruamel.yaml's line numbers) counts: \r\n, \r, \n, NEL, LS, PS.
_LINE_BREAK = re.compile(r"(?<=[\n\x85\u2028\u2029])|(?<=\r)(?!\n)")
_BREAKS = "\r\n\x85\u2028\u2029"
# Characters a literal block cannot hold as they are: a reader would turn them into plain
# line breaks (\r, NEL, LS, PS), or refuses them (non-printable characters).
_NOT_IN_BLOCK = re.compile(
    "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


class YamlEditWarning(UserWarning):
    """The edit could not be spliced into the text and the whole document was rewritten."""


class _Unspliceable(Exception):
    """A node laid out in a way the splicer does not handle; its parent renders it whole."""


class _PyYamlResolver(VersionedResolver):
    """Resolve plain scalars exactly as PyYAML's safe loader (the project's loader) does.

    PyYAML follows YAML 1.1: `no` and `on` are booleans, `0113` an octal number, `1:30` a
    number. ruamel.yaml defaults to YAML 1.2, and its own 1.1 rules differ from PyYAML's too
    (`y` and `n` are booleans there, not in PyYAML). With PyYAML's table the file's values
    compare equal to the data the caller got from PyYAML, and a new string that PyYAML would
    read as something else is written quoted. No `%YAML` directive is written.
    """

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__((1, 1), loader, loadumper)  # so `0113` is built as octal, too

    @property
    def versioned_resolver(self) -> Any:
        return _PYYAML_IMPLICIT


_PYYAML_IMPLICIT: dict[str | None, list[tuple[str, Any]]] = {
    first: list(rules) for first, rules in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}


class _Emitter(RoundTripEmitter):
    """ruamel.yaml's emitter, writing the right indentation indicator on a block scalar.

    A block whose text starts with a space or a line break needs an indicator (`|2`) saying
    how far its lines are indented. ruamel.yaml always writes 2, but indents by the layout
    set with `YAML.indent`; in a file indented by 4 the text would read back with two more
    spaces on every line.
    """

    def determine_block_hints(self, text: Any) -> Any:
        hints, indent, chomping = super().determine_block_hints(text)
        if hints[:1].isdigit():
            if self.sequence_context:
                indent = self.best_sequence_indent - self.sequence_dash_offset
            else:
                indent = self.best_map_indent
            hints = str(indent) + hints[1:]
        return hints, indent, chomping


def _yaml(indent: tuple[int, int, int]) -> YAML:
    """A round-trip ruamel.yaml instance: quotes kept, no line re-wrapped, PyYAML's values."""
    instance = YAML(typ="rt")
    instance.Resolver = _PyYamlResolver
    instance.Emitter = _Emitter
    instance.preserve_quotes = True
    instance.width = _WIDTH
    mapping, sequence, offset = indent
    instance.indent(mapping=mapping, sequence=max(sequence, offset + 2), offset=offset)
    return instance


def _parse(text: str) -> Any:
    return _yaml(_DEFAULT_INDENT).load(text)


def _dump(value: Any, indent: tuple[int, int, int]) -> str:
    """`value` as YAML text. ruamel.yaml ends a document whose last value is a `|+` block
    with `...`; a rendered piece goes inside the file, so it has no such end."""
    out = io.StringIO()
    _yaml(indent).dump(value, out)
    text = out.getvalue()
    return text.removesuffix("...\n") if text.endswith("\n...\n") else text


# --- Lines -----------------------------------------------------------------------------------


def _split_lines(text: str) -> list[str]:
    """The text's lines with their line breaks, split where ruamel.yaml counts lines."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_blank(line: str) -> bool:
    return line.strip(" \t" + _BREAKS) == ""


def _is_level_comment(line: str, col: int) -> bool:
    """A comment line at indentation `col` or less: it belongs to no deeper value."""
    return line.lstrip(" \t").startswith("#") and _indent_of(line) <= col


def _is_content(line: str, col: int) -> bool:
    """A line of a value: not blank, not a comment at this level, not the `...` that ends
    the document (which stays at the end, after any key added last)."""
    if _is_blank(line) or _is_level_comment(line, col):
        return False
    return not (line.startswith("...") and _is_blank(line[3:]))


def _dedent(lines: Sequence[str], col: int) -> str:
    return "".join(line[min(col, _indent_of(line)) :] for line in lines)


def _shift(text: str, col: int) -> list[str]:
    """Lines rendered at column 0 moved to column `col` (every line but empty ones)."""
    pad = " " * col
    return [pad + line if line.strip(_BREAKS) else line for line in _split_lines(text)]


@dataclass(frozen=True)
class _Entry:
    """Where a key or list item sits: [gap, lead) free lines, [lead, start) its leading
    comments, [start, end) its own lines."""

    gap: int
    lead: int
    start: int
    end: int


def _layout(
    lines: Sequence[str], starts: Sequence[int], lo: int, hi: int, col: int, top: bool
) -> tuple[list[_Entry], int]:
    """The entries of a block mapping or sequence at column `col` spanning lines [lo, hi),
    and where the lines after the last entry's own lines begin."""
    if not starts or any(b <= a for a, b in itertools.pairwise(starts)):
        raise _Unspliceable("entries out of order")
    if starts[0] < lo or starts[-1] >= hi:
        raise _Unspliceable("entries outside their parent")
    entries: list[_Entry] = []
    previous_end = lo
    for index, start in enumerate(starts):
        next_start = starts[index + 1] if index + 1 < len(starts) else hi
        end = next_start
        while end > start + 1 and not _is_content(lines[end - 1], col):
            end -= 1
        lead = start
        if not (top and index == 0):  # the file's opening comments belong to no key
            while lead > previous_end and _is_level_comment(lines[lead - 1], col):
                lead -= 1
        entries.append(_Entry(previous_end, lead, start, end))
        previous_end = end
    return entries, previous_end


def _free_lines(lines: Sequence[str], out: Sequence[str], after_removal: bool) -> list[str]:
    """Free lines to write; after a removed entry, without blank lines that would double a
    blank line already written (or open the block)."""
    kept = list(lines)
    if after_removal and (not out or _is_blank(out[-1])):
        while kept and _is_blank(kept[0]):
            kept.pop(0)
    return kept


# --- Values ----------------------------------------------------------------------------------


def _canon(value: Any) -> Any:
    """A hashable form of a value in which equal data are equal: True is not 1, a date is not
    the string of its ISO form, and ruamel.yaml's styled types count as the plain ones."""
    if isinstance(value, Mapping):
        items = ((_canon(k), _canon(v)) for k, v in value.items())
        return ("map", tuple(sorted(items, key=repr)))
    if isinstance(value, list | tuple):
        return ("seq", tuple(_canon(v) for v in value))
    if isinstance(value, bool | ScalarBoolean):
        return ("bool", bool(value))
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", float(value))
    if isinstance(value, str):
        return ("str", str(value))
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    if value is None:
        return ("null",)
    return ("other", type(value).__name__, repr(value))


def _same(a: Any, b: Any) -> bool:
    return bool(_canon(a) == _canon(b))


def _check_types(value: Any, path: str) -> None:
    """Refuse values YAML cannot hold as plain data, naming where, before any text is made."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: key {key!r} is not a string")
            _check_types(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_types(item, f"{path}.{index}")
    elif not (value is None or isinstance(value, str | int | float | dt.date)):
        raise TypeError(f"{path}: {type(value).__name__} cannot be written to YAML")


def _block_safe(text: str) -> bool:
    return _NOT_IN_BLOCK.search(text) is None


def _styled_str(new: str, old: Any) -> Any:
    """A changed string in the style it had: a block stays a block, quotes stay."""
    block = isinstance(old, LiteralScalarString | FoldedScalarString)
    if ("\n" in new or block) and _block_safe(new):
        return LiteralScalarString(new)
    if "\n" not in new and isinstance(old, SingleQuotedScalarString | DoubleQuotedScalarString):
        return type(old)(new)
    return new


def _ordered(keys: Collection[str], order: Sequence[str]) -> list[str]:
    return [k for k in order if k in keys] + [k for k in keys if k not in order]


def _fresh(value: Any, order: Sequence[str] = (), quote: type[str] | None = None) -> Any:
    """A new value as ruamel.yaml should write it: multi-line strings as literal blocks, a
    mapping's keys (or, for a list, each item's keys) in `order`, then in the data's order."""
    if isinstance(value, str):
        if "\n" in value and _block_safe(value):
            return LiteralScalarString(value)
        return quote(value) if quote is not None and "\n" not in value else value
    if isinstance(value, Mapping):
        fresh = CommentedMap()
        for key in _ordered(value, order):
            fresh[key] = _fresh(value[key])
        return fresh
    if isinstance(value, list | tuple):
        return CommentedSeq([_fresh(item, order) for item in value])  # `order` is per item
    return value


def _place(present: Sequence[str], key: str, order: Sequence[str], keys: Sequence[str]) -> int:
    """Where a new key goes among the keys present: after its nearest predecessor in `order`
    (in the data's own key order if `order` does not name it), else before its nearest
    successor, else last."""
    reference = list(order) if key in order else list(keys)
    index = reference.index(key)
    for before in reversed(reference[:index]):
        if before in present:
            return present.index(before) + 1
    for after in reference[index + 1 :]:
        if after in present:
            return present.index(after)
    return len(present)


def _new_keys(old: Collection[str], new: Mapping[str, Any], order: Sequence[str]) -> list[str]:
    """Keys to add, in the order to add them, so one new key can follow another."""
    data_keys = list(new)
    added = [k for k in data_keys if k not in old]
    return sorted(
        added,
        key=lambda k: (0, order.index(k)) if k in order else (1, data_keys.index(k)),
    )


def _merge_map(
    old: CommentedMap,
    new: Mapping[str, Any],
    order: Sequence[str],
    child_orders: Mapping[str, Sequence[str]],
) -> CommentedMap:
    """`old` changed in place to hold `new`, keeping what ruamel.yaml keeps of unchanged keys."""
    for key in [k for k in old if k not in new]:
        del old[key]
    for key in list(old):
        if not _same(old[key], new[key]):
            old[key] = _styled(new[key], old[key], child_orders.get(key, ()))
    present = list(old)
    for key in _new_keys(present, new, order):
        position = _place(present, key, order, list(new))
        present.insert(position, key)
        old.insert(position, key, _fresh(new[key], child_orders.get(key, ())))
    return old


def _styled(new: Any, old: Any, order: Sequence[str] = ()) -> Any:
    """The value to write for a changed node, keeping what it can of the old node's style."""
    if isinstance(new, str):
        return _styled_str(new, old)
    if isinstance(new, Mapping):
        if isinstance(old, CommentedMap) and len(old) and not old.merge:
            return _merge_map(old, new, order, {})
        return _fresh(new, order)
    if isinstance(new, list | tuple):
        if isinstance(old, CommentedSeq) and len(old):
            items: list[Any] = []
            for index, item in enumerate(new):
                equal = [o for o in old if _same(o, item)]
                if equal:
                    items.append(equal[0])
                else:
                    items.append(_styled(item, old[index] if index < len(old) else None, order))
            styled = CommentedSeq(items)
            if old.fa.flow_style():
                styled.fa.set_flow_style()
            return styled
        return _fresh(new, order)
    return new


def _eol_comment(text: str, token: Any) -> str | None:
    """The comment ending a scalar's first line, with the spaces before it, if that is the
    only comment ruamel.yaml attached to it."""
    if not isinstance(token, CommentToken) or token.start_mark is None:
        return None
    if token.start_mark.line != 0 or token.value.count("\n") > 1:
        return None
    first = _split_lines(text)[0]
    column = token.column
    gap = column - len(first[:column].rstrip(" "))
    comment = token.value.rstrip("\n")
    return " " * gap + comment if comment.startswith("#") and gap > 0 else None


def _keep_gap(lines: list[str], comment: str | None) -> list[str]:
    """ruamel.yaml writes an end-of-line comment at its old column, or one space after a value
    that has grown past it; keep at least the spaces it had before it."""
    if comment is None or not lines:
        return lines
    first = lines[0].rstrip(_BREAKS)
    text = comment.lstrip(" ")
    if first.endswith(" " + text):
        head = first[: -len(text)].rstrip(" ")
        if len(first) - len(text) - len(head) < len(comment) - len(text):
            lines[0] = head + comment + lines[0][len(first) :]
    return lines


# --- Indentation -----------------------------------------------------------------------------


def _dash(lines: Sequence[str], line: int, col: int) -> tuple[int, int]:
    """The line and column of the `-` of the list item whose value starts at (line, col)."""
    text = lines[line]
    at = min(col, len(text)) - 1
    while at >= 0 and text[at] == " ":
        at -= 1
    if at >= 0:
        if text[at] == "-":
            return line, at
        raise _Unspliceable("no dash before a list item")
    for above in range(line - 1, -1, -1):
        text = lines[above]
        at = _indent_of(text)
        after = text[at + 1 : at + 2]
        if at < col and text[at : at + 1] == "-" and (after in ("", " ", "\t") or after in _BREAKS):
            return above, at
    raise _Unspliceable("no dash before a list item")


def _is_block_map(value: Any) -> bool:
    return (
        isinstance(value, CommentedMap)
        and len(value) > 0
        and not value.fa.flow_style()
        and not value.merge
    )


def _is_block_seq(value: Any) -> bool:
    return isinstance(value, CommentedSeq) and len(value) > 0 and not value.fa.flow_style()


def _measure(root: Any, lines: Sequence[str]) -> tuple[int | None, int | None, int | None]:
    """(mapping, sequence, offset) as `YAML.indent` takes them, measured on the parsed nodes:
    the first nested mapping (else the first block scalar's text) under its key, the first
    block list's item content and its `-` under its key; None where there is none.

    ruamel.yaml's own `load_yaml_guess_indent` reads the first line starting with `- `, which
    in a leaflet is usually a Markdown list inside a section's body, so it guesses wrong (for
    the sample leaflets it says the dash is at the key's column, when it is two spaces in);
    the recorded positions of real keys and list items do not mislead.
    """
    mapping: int | None = None
    block: int | None = None
    sequence: int | None = None
    offset: int | None = None
    queue: list[Any] = [root]
    while queue:
        node = queue.pop(0)  # outer levels first
        if isinstance(node, CommentedSeq):
            queue.extend(node)
            continue
        if not _is_block_map(node):
            continue
        for key, value in node.items():
            if key not in node.lc.data:
                continue
            key_line, key_col = node.lc.key(key)
            if mapping is None and _is_block_map(value):
                first_line, first_col = value.lc.key(next(iter(value)))
                if first_line > key_line and first_col > key_col:
                    mapping = first_col - key_col
            elif sequence is None and _is_block_seq(value):
                item_line, item_col = value.lc.item(0)
                try:
                    dash_line, dash_col = _dash(lines, item_line, item_col)
                except _Unspliceable:
                    continue
                if dash_line > key_line and item_line == dash_line:
                    offset, sequence = dash_col - key_col, item_col - key_col
            elif block is None and isinstance(value, LiteralScalarString | FoldedScalarString):
                for text in lines[key_line + 1 :]:
                    if not _is_blank(text):
                        if _indent_of(text) > key_col:
                            block = _indent_of(text) - key_col
                        break
            queue.append(value)
    return (mapping or block, sequence, offset)


def _indent(root: Any, lines: Sequence[str]) -> tuple[int, int, int]:
    mapping, sequence, offset = _measure(root, lines)
    mapping = mapping or _DEFAULT_INDENT[0]
    if sequence is None or offset is None:
        return (mapping, mapping + 2, mapping)  # `- ` indented like a nested key
    return (mapping, sequence, offset)


def detect_indent(text: str) -> tuple[int, int, int]:
    """The indentation the YAML `text` is written with, as (mapping, sequence, offset) for
    ruamel.yaml's `YAML.indent`: how far a nested key (or a block's text) is indented under
    its parent key, how far a list item's content is, and how far its `-` is. A file without
    nested mappings is taken to indent by 2; one without lists, to indent `- ` like a key."""
    try:
        root = _parse(text)
    except YAMLError as error:
        raise ValueError(f"the text is not valid YAML: {error}") from None
    return _indent(root, _split_lines(text))


# --- Splicing --------------------------------------------------------------------------------


def _similarity(a: Any, b: Any) -> float:
    """How alike two list items are, above 0 when editing one into the other makes sense."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys = set(a) | set(b)
        equal = sum(1 for k in keys if k in a and k in b and _same(a[k], b[k]))
        return 0.01 + equal / max(len(keys), 1)
    if isinstance(a, str) and isinstance(b, str):
        return 0.01 + difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    if _canon(a)[0] == _canon(b)[0]:
        return 0.01
    return 0.0


def _pairs(old: Sequence[Any], new: Sequence[Any]) -> list[tuple[int, int]]:
    """The old items to edit into new ones in a replaced run: pairs in order, most alike."""
    n, m = len(old), len(new)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            score = _similarity(old[i], new[j])
            paired = score + best[i + 1][j + 1] if score > 0 else -1.0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], paired)
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        score = _similarity(old[i], new[j])
        if score > 0 and best[i][j] == score + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _match(old: Sequence[Any], new: Sequence[Any]) -> list[tuple[str, int]]:
    """For each new item: ("keep", i) the old item i unchanged in place, ("edit", i) old item i
    changed, ("copy", i) an equal old item moved here, or ("new", -1)."""
    a = [_canon(item) for item in old]
    b = [_canon(item) for item in new]
    plan: list[tuple[str, int]] = [("new", -1)] * len(new)
    used: set[int] = set()
    replaced: list[tuple[int, int, int, int]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                plan[j1 + k] = ("keep", i1 + k)
                used.add(i1 + k)
        elif tag == "replace":
            replaced.append((i1, i2, j1, j2))
    for i1, i2, j1, j2 in replaced:
        movable = {j for j in range(j1, j2) if any(b[j] == a[i] for i in range(len(a)))}
        olds = [i for i in range(i1, i2) if i not in used]
        news = [j for j in range(j1, j2) if j not in movable]
        for i, j in _pairs([old[i] for i in olds], [new[j] for j in news]):
            plan[news[j]] = ("edit", olds[i])
            used.add(olds[i])
    for j, (kind, _) in enumerate(plan):
        if kind == "new":
            equal = [i for i in range(len(a)) if a[i] == b[j]]
            if equal:
                unused = [i for i in equal if i not in used]
                chosen = (unused or equal)[0]
                plan[j] = ("copy", chosen)
                used.add(chosen)
    return plan


class _Splicer:
    """Writes changed nodes into the lines of the document, leaving the other lines alone."""

    def __init__(self, indent: tuple[int, int, int]) -> None:
        self.indent = indent  # the file's, for what is written new

    # Rendering by ruamel.yaml.

    def _local_indent(self, root: Any, text: str) -> tuple[int, int, int]:
        """The fragment's own indentation where it shows it, else the file's."""
        measured = _measure(root, _split_lines(text))
        return (
            measured[0] or self.indent[0],
            measured[1] if measured[1] is not None else self.indent[1],
            measured[2] if measured[2] is not None else self.indent[2],
        )

    def _rewrite_entry(
        self, lines: Sequence[str], col: int, key: str, new: Any, order: Sequence[str]
    ) -> list[str]:
        """A key's own lines with its value replaced, rendered from those lines so the key's
        comments and the value's quoting survive."""
        text = _dedent(lines, col)
        doc = _parse(text)
        if not isinstance(doc, CommentedMap) or list(doc) != [key]:
            raise _Unspliceable("a key's lines do not parse as that key")
        indent = self._local_indent(doc, text)
        slots = doc.ca.items.get(key)
        comment = _eol_comment(text, slots[2] if slots else None)
        was_block = isinstance(doc[key], LiteralScalarString | FoldedScalarString)
        doc[key] = _styled(new, doc[key], order)
        if comment and not was_block and isinstance(doc[key], LiteralScalarString):
            doc.ca.items[key] = [None, None, None, [comment]]  # on the `|` line
        return _keep_gap(_shift(_dump(doc, indent), col), comment)

    def _rewrite_item(
        self, lines: Sequence[str], dash_col: int, new: Any, order: Sequence[str], spacing: int
    ) -> list[str]:
        """A list item's own lines with its value replaced, rendered from those lines."""
        text = _dedent(lines, dash_col)
        doc = _parse(text)
        if not isinstance(doc, CommentedSeq) or len(doc) != 1:
            raise _Unspliceable("an item's lines do not parse as one item")
        mapping = self._local_indent(doc, text)[0]
        slots = doc.ca.items.get(0)
        comment = _eol_comment(text, slots[0] if slots else None)
        was_block = isinstance(doc[0], LiteralScalarString | FoldedScalarString)
        doc[0] = _styled(new, doc[0], order)
        if comment and not was_block and isinstance(doc[0], LiteralScalarString):
            doc.ca.items[0] = [None, [comment], None, None]  # on the `|` line
        return _keep_gap(_shift(_dump(doc, (mapping, spacing, 0)), dash_col), comment)

    def _new_entry(self, key: str, value: Any, col: int, order: Sequence[str]) -> list[str]:
        doc = CommentedMap()
        doc[key] = _fresh(value, order)
        return _shift(_dump(doc, self.indent), col)

    def _new_item(
        self, value: Any, dash_col: int, spacing: int, order: Sequence[str], quote: type[str] | None
    ) -> list[str]:
        doc = CommentedSeq([_fresh(value, order, quote)])
        return _shift(_dump(doc, (self.indent[0], spacing, 0)), dash_col)

    # Mappings.

    def edit_map(
        self,
        lines: Sequence[str],
        node: CommentedMap,
        new: Mapping[str, Any],
        lo: int,
        hi: int,
        order: Sequence[str],
        child_orders: Mapping[str, Sequence[str]],
        top: bool = False,
    ) -> list[str]:
        """The lines [lo, hi) holding the block mapping `node`, changed to hold `new`."""
        keys = list(node)
        if any(key not in node.lc.data for key in keys):
            raise _Unspliceable("a key without a position (merged from elsewhere)")
        positions = [node.lc.key(key) for key in keys]
        col = positions[0][1]
        if any(c != col for _, c in positions):
            raise _Unspliceable("keys at different columns")
        entries, trailer = _layout(lines, [line for line, _ in positions], lo, hi, col, top)

        present = [k for k in keys if k in new]
        for key in _new_keys(keys, new, order):
            present.insert(_place(present, key, order, list(new)), key)
        after: dict[str | None, list[str]] = {}
        anchor: str | None = None
        for key in present:
            if key in node:
                anchor = key
            else:
                after.setdefault(anchor, []).append(key)

        def added(anchor: str | None) -> list[str]:
            out: list[str] = []
            for key in after.get(anchor, []):
                out += self._new_entry(key, new[key], col, child_orders.get(key, ()))
            return out

        out: list[str] = []
        removed = False
        opened = False
        for key, entry in zip(keys, entries, strict=True):
            out += _free_lines(lines[entry.gap : entry.lead], out, removed)
            if key not in new:
                removed = True
                continue
            removed = False
            if not opened:
                out += added(None)
                opened = True
            out += lines[entry.lead : entry.start]
            if _same(node[key], new[key]):
                out += lines[entry.start : entry.end]
            else:
                out += self._edit_entry(
                    lines, node, key, new[key], entry, col, child_orders.get(key, ())
                )
            out += added(key)
        if not opened:
            out += added(None)
        out += _free_lines(lines[trailer:hi], out, removed)
        return out

    def _edit_entry(
        self,
        lines: Sequence[str],
        node: CommentedMap,
        key: str,
        new: Any,
        entry: _Entry,
        col: int,
        order: Sequence[str],
    ) -> list[str]:
        """A changed key's own lines: descend into a block mapping or list, else re-render."""
        old = node[key]
        start = entry.start
        try:
            # A block mapping or list starts on the line after its key.
            if (
                _is_block_map(old)
                and isinstance(new, Mapping)
                and new
                and old.lc.key(next(iter(old)))[0] > start
            ):
                inner = self.edit_map(lines, old, new, start + 1, entry.end, order, {})
                return [lines[start], *inner]
            if (
                _is_block_seq(old)
                and isinstance(new, list | tuple)
                and new
                and _dash(lines, *old.lc.item(0))[0] > start
            ):
                inner = self.edit_seq(lines, old, new, start + 1, entry.end, order)
                return [lines[start], *inner]
        except _Unspliceable:
            pass
        return self._rewrite_entry(lines[start : entry.end], col, key, new, order)

    # Sequences.

    def edit_seq(
        self,
        lines: Sequence[str],
        node: CommentedSeq,
        new: Sequence[Any],
        lo: int,
        hi: int,
        order: Sequence[str],
    ) -> list[str]:
        """The lines [lo, hi) holding the block sequence `node`, changed to hold `new`.

        Items are matched in order (difflib); an unchanged item keeps its lines, a changed
        one is edited in place, a moved one keeps its lines (with its leading comments) at
        its new place, a new one is rendered.
        """
        items = [node.lc.item(i) for i in range(len(node))]
        dashes = [_dash(lines, line, col) for line, col in items]
        dash_col = dashes[0][1]
        if any(c != dash_col for _, c in dashes):
            raise _Unspliceable("items at different columns")
        entries, trailer = _layout(lines, [line for line, _ in dashes], lo, hi, dash_col, False)
        compact = [
            col - dash_col
            for (line, col), (dash_line, _) in zip(items, dashes, strict=True)
            if line == dash_line
        ]
        spacing = compact[0] if compact else self.indent[1] - self.indent[2]
        quote: type[str] | None = None
        for style in (SingleQuotedScalarString, DoubleQuotedScalarString):
            if all(type(item) is style for item in node):
                quote = style  # new items quoted like all the others
        plan = _match(list(node), new)

        def lines_of(j: int) -> list[str]:
            """New item j's lines, with its leading comments."""
            kind, i = plan[j]
            if kind in ("keep", "copy"):
                return list(lines[entries[i].lead : entries[i].end])
            if kind == "edit":
                entry = entries[i]
                edited = self._edit_item(lines, node, i, new[j], entry, dash_col, order, spacing)
                return list(lines[entry.lead : entry.start]) + edited
            return self._new_item(new[j], dash_col, spacing, order, quote)

        gaps = {tuple(lines[e.gap : e.lead]) for e in entries[1:]}
        if len(gaps) <= 1 and all(_is_blank(line) for gap in gaps for line in gap):
            # Items set apart alike (by nothing, or by the same blank lines): the list is its
            # opening lines, then the items with that separator, then its closing lines.
            separator = list(gaps.pop()) if gaps else []
            out = list(lines[entries[0].gap : entries[0].lead])
            for j in range(len(new)):
                out += (separator if j else []) + lines_of(j)
            return out + list(lines[trailer:hi])

        # Otherwise each old item's place keeps the free lines before it; items new here (or
        # moved here) go after the item written before them.
        anchored = {i: j for j, (kind, i) in enumerate(plan) if kind in ("keep", "edit")}
        out = []
        removed = False
        written = False
        next_new = 0
        for i, entry in enumerate(entries):
            free = lines[entry.gap : entry.lead]
            if i not in anchored:
                out += _free_lines(free, out, removed)
                removed = True
                continue
            j = anchored[i]
            before = [line for k in range(next_new, j) for line in lines_of(k)]
            if written:
                out += before + _free_lines(free, out + before, removed)
            else:
                out += _free_lines(free, out, removed) + before
            out += lines_of(j)
            next_new, written, removed = j + 1, True, False
        for k in range(next_new, len(new)):
            out += lines_of(k)
        out += _free_lines(lines[trailer:hi], out, removed)
        return out

    def _edit_item(
        self,
        lines: Sequence[str],
        node: CommentedSeq,
        index: int,
        new: Any,
        entry: _Entry,
        dash_col: int,
        order: Sequence[str],
        spacing: int,
    ) -> list[str]:
        """A changed item's own lines: descend into a block mapping or list, else re-render."""
        old = node[index]
        item_line, item_col = node.lc.item(index)
        start = entry.start
        is_map = _is_block_map(old) and isinstance(new, Mapping) and bool(new)
        is_seq = _is_block_seq(old) and isinstance(new, list | tuple) and bool(new)

        def edit(view: Sequence[str], lo: int) -> list[str]:
            if is_map:
                return self.edit_map(view, old, new, lo, entry.end, order, {})
            return self.edit_seq(view, old, new, lo, entry.end, ())

        try:
            if (is_map or is_seq) and item_line == start:
                # `- key: value`: the item's first key shares the dash's line. Edit with the
                # dash blanked out, then put it back on whatever line now comes first.
                view = list(lines)
                view[start] = lines[start][:dash_col] + " " + lines[start][dash_col + 1 :]
                out = edit(view, start)
                prefix = lines[start][:item_col]
                if out and out[0][:item_col].strip() == "" and len(out[0]) > item_col:
                    out[0] = prefix + out[0][item_col:]
                else:
                    out.insert(0, prefix.rstrip() + "\n")
                return out
            if (is_map or is_seq) and item_line > start:
                return [lines[start], *edit(lines, start + 1)]
        except _Unspliceable:
            pass
        return self._rewrite_item(lines[start : entry.end], dash_col, new, order, spacing)


def _expected(
    root: CommentedMap, data: Mapping[str, Any], sections: Collection[str]
) -> dict[str, Any]:
    """`data` with each section in the form the file already uses, where the model reads both
    forms alike: a section written as plain text stays plain text while it has no heading; a
    section given as plain text for one written as a mapping stays a mapping (with only
    `body`). A section's `heading` of None means no heading."""
    expected: dict[str, Any] = {}
    for key, value in data.items():
        if key in sections:
            old = root.get(key)
            if isinstance(value, Mapping) and "heading" in value and value["heading"] is None:
                value = {k: v for k, v in value.items() if k != "heading"}
            if isinstance(old, str) and isinstance(value, Mapping) and list(value) == ["body"]:
                value = value["body"]
            elif isinstance(old, Mapping) and isinstance(value, str):
                value = {"body": value}
        expected[key] = value
    return expected


def update_yaml(
    text: str,
    data: Mapping[str, Any],
    *,
    order: Sequence[str] = (),
    nested_orders: Mapping[str, Sequence[str]] = NESTED_ORDERS,
    sections: Collection[str] = SECTION_KEYS,
) -> str:
    """The YAML `text` changed to hold `data`, touching only what differs.

    `text` is the file as it is now, a mapping at the top; `data` is the complete new content
    as plain data (dict, list, str, int, float, bool, None, `datetime.date`), as
    `yaml.safe_load` gives it. When `data` equals what the file holds, `text` is returned
    unchanged, byte for byte; otherwise the lines of what did not change stay as they are.

    * A key absent from `data` is removed with its own lines and its leading comments.
    * A new key goes after its nearest predecessor present: in `order` (the leaflet's field
      order) at the top, in `nested_orders[top-level key]` (see `NESTED_ORDERS`) in the
      mapping under a top-level key or in each item of its list, else in `data`'s own key
      order; with no predecessor present, before its nearest successor.
    * List items are matched in order: unchanged items keep their lines, changed ones are
      edited where they are, moved ones keep their own lines (and leading comments) at their
      new place, removed ones go with their leading comments.
    * `sections` names the keys whose value may be plain text or a `heading`/`body`
      mapping; a section keeps the form the file gives it while the data allows it.
    * None is written as an empty value (`key:`), as PyYAML reads it; leave a key out of
      `data` to have it removed.

    Raises ValueError if `text` is not YAML with a mapping at the top (the caller checks the
    file with the project's loader first, so this is a programming error; duplicate keys are
    refused here too), TypeError if `data` holds something YAML cannot. Warns with
    `YamlEditWarning` when the whole document had to be rewritten.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a mapping, not {type(data).__name__}")
    _check_types(data, "")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    try:
        root = _parse(body)
    except YAMLError as error:
        raise ValueError(f"the text is not valid YAML: {error}") from None
    if not isinstance(root, CommentedMap):
        raise ValueError(f"the YAML text holds {type(root).__name__}, not a mapping, at the top")
    expected = _expected(root, data, sections)
    if _same(root, expected):
        return text

    crlf = "\r\n" in body and body.count("\r\n") == body.count("\n")
    work = body.replace("\r\n", "\n") if crlf else body
    unterminated = not work.endswith(tuple(_BREAKS))
    if unterminated:
        work += "\n"
    lines = _split_lines(work)
    splicer = _Splicer(_indent(root, lines))

    result: str | None = None
    try:
        if not _is_block_map(root):
            raise _Unspliceable("the top mapping is not a block mapping")
        spliced = "".join(
            splicer.edit_map(lines, root, expected, 0, len(lines), order, nested_orders, top=True)
        )
        if _same(_parse(spliced), expected):
            result = spliced
    except (_Unspliceable, YAMLError, ValueError, LookupError):
        pass
    if result is None:
        warnings.warn(
            "the edit could not be written line by line; the whole file was rewritten",
            YamlEditWarning,
            stacklevel=2,
        )
        whole = _merge_map(_parse(work), expected, order, nested_orders)
        result = _dump(whole, splicer.indent)
        if not _same(_parse(result), expected):
            raise ValueError("the data cannot be written to YAML so that it reads back the same")
    if unterminated and result.endswith("\n"):
        result = result[:-1]
    if crlf:
        result = result.replace("\n", "\r\n")
    return bom + result
