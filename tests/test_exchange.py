"""Exchange files: a leaflet's units out as XLIFF 1.2 or PO and back, exactly, through the
edits an agency's tools make; and every hostile file refused with a Problem, quickly."""

# Urdu and Chinese text is the point here: their full stops and brackets are not typos.
# ruff: noqa: RUF001

from __future__ import annotations

import re
import threading
import time
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from build_leaflets.errors import Problem
from build_leaflets.exchange import MAX_BYTES, Imported, Unit, export, format_of, read

DATA = Path(__file__).resolve().parent / "data" / "exchange"
XLIFF = "{urn:oasis:names:tc:xliff:document:1.2}"
FORMATS = ("xliff", "po")

#: Markdown as leaflets write it: the whitespace is the structure.
BODY = (
    "Interpersonal psychotherapy (IPT) looks at:\n"
    "\n"
    "* your relationships & roles\n"
    "* changes such as a <bereavement>\n"
    "  * a line indented by two spaces\n"
    "\n"
    "1. You meet weekly.\n"
    "2. Sessions last 50 minutes.  \n"
    "\n"
    '    four leading spaces, a tab\there, "quotes" and a back\\slash\n'
)
SOURCES = {
    "title": "Interpersonal psychotherapy",
    "summary": "Interpersonal psychotherapy",  # the same English as the title: kept apart
    "what.body": BODY,
    "what.heading": "What is IPT?",
    "extra_sections.0.body": "*Bold* & <i>not HTML</i>\n\n\n",  # trailing blank lines
}
TRANSLATIONS = {
    "cy": {
        "title": "Seicotherapi ryngbersonol",
        "summary": "Seicotherapi ryngbersonol",
        "what.body": (
            "Mae seicotherapi ryngbersonol (IPT) yn edrych ar:\n\n"
            "* eich perthnasoedd a'ch rolau & mwy\n* newidiadau fel <profedigaeth>\n"
            "  * llinell â dau fwlch o'i blaen\n\n"
            "1. Rydych chi'n cwrdd bob wythnos.\n2. Mae sesiynau'n para 50 munud.  \n\n"
            '    pedwar bwlch, tab\tyma, "dyfyniadau" a slaes\\ôl\n'
        ),
        "what.heading": "Beth yw IPT?",
        "extra_sections.0.body": "*Trwm* & <i>nid HTML</i>\n\n\n",
    },
    "ur": {
        "title": "باہمی تعلقات کی سائیکوتھراپی",
        "summary": "باہمی تعلقات کی سائیکوتھراپی",
        "what.body": (
            "باہمی تعلقات کی سائیکوتھراپی (IPT) دیکھتی ہے:\n\n"
            "* آپ کے رشتے اور کردار & مزید\n* تبدیلیاں جیسے <سوگ>\n"
            "  * دو خالی جگہوں والی سطر\n\n"
            "1. آپ ہر ہفتے ملتے ہیں۔\n2. سیشن 50 منٹ کا ہوتا ہے۔  \n\n"
            '    چار خالی جگہیں، ٹیب\tیہاں، "اقتباس" اور \\\n'
        ),
        "what.heading": "IPT کیا ہے؟",
        "extra_sections.0.body": "*نمایاں* & <i>HTML نہیں</i>\n\n\n",
    },
    "zh-Hans": {
        "title": "人际心理治疗",
        "summary": "人际心理治疗",
        "what.body": (
            "人际心理治疗（IPT）关注：\n\n"
            "* 你的人际关系和角色 & 更多\n* 例如<丧亲>之类的变化\n"
            "  * 缩进两个空格的一行\n\n"
            "1. 每周见面一次。\n2. 每次 50 分钟。  \n\n"
            '    四个空格、制表符\t在此、"引号"和反斜杠\\\n'
        ),
        "what.heading": "什么是 IPT？",
        "extra_sections.0.body": "*粗体* & <i>不是 HTML</i>\n\n\n",
    },
}


def units(language: str | None = None) -> list[Unit]:
    """The leaflet's units, translated into `language` (or not yet: targets empty)."""
    targets = TRANSLATIONS[language] if language else {}
    return [
        Unit(
            id=key,
            source=source,
            target=targets.get(key, ""),
            note="Markdown: keep the * and 1. at line starts" if key.endswith("body") else "",
            hash=f"{index:08x}",
        )
        for index, (key, source) in enumerate(SOURCES.items())
    ]


def out(fmt: str, items: list[Unit], language: str = "cy") -> bytes:
    return export(
        items, fmt=fmt, source_language="en-GB", target_language=language, original="PSY-0101"
    )


def back(
    data: bytes, fmt: str, language: str = "cy", original: str | None = "PSY-0101"
) -> tuple[dict[str, Imported], list[Problem]]:
    return read(
        data,
        fmt=fmt,
        display="psy-0101.cy.xlf",
        source_language="en-GB",
        target_language=language,
        original=original,
    )


def read_cleanly(data: bytes, fmt: str, language: str = "cy") -> dict[str, Imported]:
    found, problems = back(data, fmt, language)
    assert problems == []
    return found


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("language", sorted(TRANSLATIONS))
def test_round_trip_keeps_every_character(fmt, language):
    sent = units(language)
    found = read_cleanly(out(fmt, sent, language), fmt, language)
    assert list(found) == [unit.id for unit in sent]
    for unit in sent:
        assert found[unit.id].source == unit.source
        assert found[unit.id].target == unit.target
        assert found[unit.id].hash == unit.hash
        assert not found[unit.id].fuzzy


@pytest.mark.parametrize("fmt", FORMATS)
def test_untranslated_units_come_back_empty(fmt):
    found = read_cleanly(out(fmt, units()), fmt)
    assert {unit.target for unit in found.values()} == {""}
    assert found["what.body"].source == BODY


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_deterministic(fmt):
    assert out(fmt, units("cy")) == out(fmt, units("cy"))
    assert out(fmt, units()) == out(fmt, list(units()))


def test_xliff_is_1_2_with_states_notes_and_hashes():
    root = etree.fromstring(out("xliff", [*units("cy")[:2], *units()[2:]]))
    assert root.get("version") == "1.2"
    file = root.find(f"{XLIFF}file")
    assert file is not None
    assert (file.get("source-language"), file.get("target-language")) == ("en-GB", "cy")
    assert file.get("original") == "PSY-0101"
    body = root.find(f".//{XLIFF}trans-unit[@id='what.body']")
    assert body is not None
    assert body.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    assert (body.get("resname"), body.get("extradata")) == ("what.body", "00000002")
    assert body.findtext(f"{XLIFF}note") == "Markdown: keep the * and 1. at line starts"
    states = [target.get("state") for target in root.iter(f"{XLIFF}target")]
    assert states == ["translated", "translated"] + ["needs-translation"] * 3
    assert root.find(f".//{XLIFF}trans-unit[@approved]") is None


def test_po_has_contexts_comments_and_a_plain_header():
    text = out("po", units("zh-Hans"), "zh-Hans").decode("utf-8")
    assert '"Language: zh_Hans\\n"' in text
    assert '"Content-Type: text/plain; charset=UTF-8\\n"' in text
    assert "Date: 2" not in text  # no creation date that changes every run
    assert text.count('msgid "Interpersonal psychotherapy"') == 2
    assert 'msgctxt "title"' in text
    assert 'msgctxt "summary"' in text
    assert "#. Markdown: keep the * and 1. at line starts\n#. source hash: 00000002\n" in text


def test_format_of():
    assert format_of(Path("a/psy-0101.cy.xlf")) == "xliff"
    assert format_of(Path("PSY-0101.XLIFF")) == "xliff"
    assert format_of(Path("psy-0101.cy.po")) == "po"
    assert format_of(Path("psy-0101.cy.yaml")) is None
    assert format_of(Path("po")) is None


@pytest.mark.parametrize(
    "bad",
    [
        [Unit("title", "A", ""), Unit("title", "B", "")],
        [Unit("", "A", "")],
        [Unit("title", "", "")],
        [Unit("title", "A\x1b[31m", "")],
        [Unit("title", "A", "", hash="not a hash")],
    ],
)
def test_export_refuses_units_no_file_can_hold(bad):
    with pytest.raises(ValueError):
        out("xliff", bad)


# --- what agencies' tools do to the files -------------------------------------------------


def test_xliff_filled_in_by_a_tool_reads_back():
    """A tool that parses the file, fills the targets, adds its own notes and matches, and
    writes it out again in its own style (no indentation, CR LF line ends, no xml:space)."""
    welsh = TRANSLATIONS["cy"]
    root = etree.fromstring(out("xliff", units()))
    for unit in root.iter(f"{XLIFF}trans-unit"):
        target = unit.find(f"{XLIFF}target")
        assert target is not None
        target.text = welsh[unit.get("id", "")]
        target.set("state", "translated")
        note = etree.SubElement(unit, f"{XLIFF}note", {"from": "translator"})
        note.text = "Checked against the glossary."
        alt = etree.SubElement(unit, f"{XLIFF}alt-trans", {"match-quality": "75"})
        etree.SubElement(alt, f"{XLIFF}target").text = "Something else entirely"
        del unit.attrib["{http://www.w3.org/XML/1998/namespace}space"]
    written = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    found = read_cleanly(written.replace(b"\n", b"\r\n"), "xliff")
    assert {key: unit.target for key, unit in found.items()} == welsh
    assert found["what.body"].source == BODY
    assert found["what.body"].hash == "00000002"


def test_xliff_segmented_by_a_tool_reads_back_whole():
    found = read_cleanly((DATA / "returned-segmented.xlf").read_bytes(), "xliff")
    assert found["what.body"].target == (
        "Mae seicotherapi ryngbersonol (IPT) yn edrych ar:\n\n"
        "* eich perthnasoedd a'ch rolau\n* newidiadau fel profedigaeth\n\n"
        "1. Rydych chi'n cwrdd bob wythnos.\n2. Mae sesiynau'n para 50 munud.\n"
    )
    assert found["what.body"].source.startswith("Interpersonal psychotherapy (IPT) looks at:\n\n*")
    assert found["title"].target == "Seicotherapi ryngbersonol"  # not the alt-trans's
    assert (found["title"].state, found["title"].fuzzy) == ("signed-off", False)
    assert (found["summary"].state, found["summary"].fuzzy) == ("needs-review-translation", True)
    assert (found["help.body"].target, found["help.body"].fuzzy) == ("", False)
    assert found["help.body"].hash == ""  # the tool dropped it: the caller compares sources


def _po_string(text: str) -> str:
    """`text` as a PO string, one line of the file per line of text (gettext's layout)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = escaped.split("\n")
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return "\n".join(['""', *(f'"{part}"' for part in parts)])


def test_po_edited_as_text_reads_back():
    """A translator filling the msgstr lines in a text editor, as gettext's manual shows."""
    text = out("po", units()).decode("utf-8")
    for key, translation in TRANSLATIONS["cy"].items():
        entry = re.compile(rf'(msgctxt "{re.escape(key)}"\nmsgid (?:".*"\n)+)msgstr ""\n')
        text, count = entry.subn(lambda m, t=translation: f"{m[1]}msgstr {_po_string(t)}\n", text)
        assert count == 1
    found = read_cleanly(text.encode("utf-8"), "po")
    assert {key: unit.target for key, unit in found.items()} == TRANSLATIONS["cy"]
    assert found["what.body"].hash == "00000002"


@pytest.mark.parametrize("language", sorted(TRANSLATIONS))
def test_po_rewritten_by_babel_reads_back(language):
    """Another tool's reader and writer (Babel's): it rewraps lines, rewrites the header
    (Language as zh_Hans, no X-Source-Language) and keeps contexts, comments and flags."""
    catalog = read_po(BytesIO(out("po", units())))
    for key, translation in TRANSLATIONS[language].items():
        message = catalog.get(SOURCES[key], context=key)
        assert message is not None
        message.string = translation
    summary = catalog.get(SOURCES["summary"], context="summary")
    assert summary is not None
    summary.flags.add("fuzzy")
    catalog.locale = language.replace("-", "_")
    written = BytesIO()
    write_po(written, catalog, width=40)
    found = read_cleanly(written.getvalue(), "po", language)
    expected = dict(TRANSLATIONS[language])
    assert {key: unit.target for key, unit in found.items()} == expected
    assert {key: unit.source for key, unit in found.items()} == SOURCES
    assert [key for key, unit in found.items() if unit.fuzzy] == ["summary"]
    assert found["extra_sections.0.body"].hash == "00000004"


def test_poedit_style_file_reads():
    found, problems = back((DATA / "returned-poedit.po").read_bytes(), "po")
    assert problems == []
    assert list(found) == ["title", "summary", "what.body", "help.body"]  # not the obsolete one
    assert found["summary"].fuzzy
    assert found["what.body"].target.endswith("\n2. Mae sesiynau'n para 50 munud.\n")
    assert found["help.body"] == Imported(
        "help.body", "", "Ask your care coordinator.", "0cc175b9", False, "", 52
    )


def test_windows_line_breaks_in_a_translation_become_newlines():
    text = out("po", [Unit("what.body", "One\n\nTwo\n", "")]).decode()
    head, _, tail = text.rpartition('msgstr ""')
    text = head + 'msgstr "Un\\r\\n\\r\\nDau\\r\\n"' + tail
    found = read_cleanly(text.encode(), "po")
    assert found["what.body"].target == "Un\n\nDau\n"


# --- languages and files meant for something else -----------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("written", "expected", "accepted"),
    [
        ("cy", "cy-GB", True),
        ("cy-GB", "cy", True),
        ("CY-gb", "cy-GB", True),  # and in PO, written CY_gb
        ("zh-Hans", "zh-Hans", True),
        ("zh-Hant", "zh-Hans", False),
        ("ur", "cy", False),
    ],
)
def test_target_language_must_match(fmt, written, expected, accepted):
    found, problems = back(out(fmt, units("cy"), written), fmt, expected)
    if accepted:
        assert problems == []
        return
    assert found == {}
    [problem] = problems
    assert problem.field == ("target-language" if fmt == "xliff" else "Language")
    assert f"into '{expected}'" in problem.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_source_language_and_leaflet_must_match(fmt):
    data = export(
        units("cy"), fmt=fmt, source_language="fr", target_language="cy", original="PSY-0102"
    )
    found, problems = back(data, fmt)
    assert found == {}
    fields = {problem.field for problem in problems}
    assert fields == {"source-language" if fmt == "xliff" else "X-Source-Language", "original"}
    assert any("'PSY-0101'" in problem.message for problem in problems)
    # Without an original to check, only the language is wrong.
    assert [p.field for p in back(data, fmt, original=None)[1]] == [
        "source-language" if fmt == "xliff" else "X-Source-Language"
    ]


def test_missing_target_language_is_a_problem():
    data = out("xliff", units("cy")).replace(b' target-language="cy"', b"")
    [problem] = back(data, "xliff")[1]
    assert problem.field == "target-language"
    assert "should be 'cy'" in problem.message


# --- hostile and broken files -------------------------------------------------------------

#: Each file in tests/data/exchange that must be refused: (line, words of the message).
HOSTILE = {
    "billion-laughs.xlf": (2, "DOCTYPE"),
    "external-entity.xlf": (2, "DOCTYPE"),
    "external-dtd.xlf": (2, "DOCTYPE"),
    "parameter-entity.xlf": (3, "DOCTYPE"),
    "internal-entity.xlf": (2, "DOCTYPE"),
    "not-xml.xlf": (1, "not well-formed XML"),
    "not-xliff.xlf": (2, "root element is <html>"),
    "xliff-2.xlf": (2, "XLIFF 1.2"),
    "truncated.xlf": (11, "not well-formed XML"),
    "wrong-language.xlf": (3, "is 'fr', but this translation is into 'cy'"),
    "declared-latin-1.xlf": (1, "UTF-8"),
    "utf-16.xlf": (0, "UTF-16"),
    "truncated.po": (16, "msgid with no msgstr"),
    "unterminated-string.po": (11, "runs past the end of its line"),
    "not-po.po": (1, "not a valid PO file"),
    "wrong-language.po": (7, "is 'fr', but this translation is into 'cy'"),
    "declared-latin-1.po": (5, "charset=ISO-8859-1"),
    "latin-1.po": (11, "not UTF-8 text (byte 0xE2): it looks like Windows-1252"),
    "indented-previous.po": (10, "spaces or tabs"),
}


def _hostile_read(path: Path) -> tuple[dict[str, Imported], list[Problem], float]:
    """`read` of one file, in a thread that is given up on after a few seconds, so that a
    parser that loops for ever fails the test instead of hanging the run."""
    fmt = format_of(path)
    assert fmt is not None
    results: list[tuple[dict[str, Imported], list[Problem]]] = []
    reader = threading.Thread(
        target=lambda: results.append(back(path.read_bytes(), fmt, original=None)), daemon=True
    )
    started = time.perf_counter()
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), f"reading {path.name} did not finish"
    [(found, problems)] = results
    return found, problems, time.perf_counter() - started


def test_every_hostile_file_is_listed():
    samples = {
        "returned-segmented.xlf",
        "returned-poedit.po",
        "duplicate-id.xlf",
        "duplicate-id.po",
    }
    assert {path.name for path in DATA.iterdir()} == set(HOSTILE) | samples


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gives_a_problem_quickly(name):
    line, words = HOSTILE[name]
    found, problems, seconds = _hostile_read(DATA / name)
    assert found == {}
    [problem] = problems
    assert problem.path == "psy-0101.cy.xlf"
    assert problem.line == line
    assert words in problem.message
    assert "\n" not in str(problem)
    assert seconds < 1


@pytest.mark.parametrize("name", ["duplicate-id.xlf", "duplicate-id.po"])
def test_a_repeated_id_is_a_problem_and_the_first_counts(name):
    found, problems, _seconds = _hostile_read(DATA / name)
    [problem] = problems
    assert problem.field == "title"
    assert "appears twice (first on line" in problem.message
    assert found["title"].target == "Seicotherapi ryngbersonol"
    assert list(found) == ["title", "summary"]


def test_the_toolkit_parser_expands_internal_entities_so_doctypes_are_refused():
    """Why `read` refuses every DOCTYPE: translate-toolkit's parser (lxml with
    resolve_entities=False) leaves an external entity unread, but the text it reads back
    still expands an internal one, so a DOCTYPE could rewrite a translation."""
    from translate.storage.xliff import xlifffile  # noqa: PLC0415

    external = xlifffile.parsestring((DATA / "external-entity.xlf").read_bytes())
    assert external.units[0].target == "Seicotherapi "  # /etc/passwd was not read
    internal = xlifffile.parsestring((DATA / "internal-entity.xlf").read_bytes())
    assert internal.units[0].target == "Seicotherapi ryngbersonol"


def test_doctype_words_in_comments_and_text_are_not_a_doctype():
    data = out("xliff", [Unit("title", "<!DOCTYPE html> is a tag", "<!DOCTYPE html> yw tag")])
    data = data.replace(b"?>\n", b"?>\n<!-- <!DOCTYPE xliff> -->\n<?tool x?>\n", 1)
    assert read_cleanly(data, "xliff")["title"].target == "<!DOCTYPE html> yw tag"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_huge_file_is_refused_unread(fmt):
    data = out(fmt, units("cy"))
    huge = data + b" " * (MAX_BYTES + 1 - len(data))
    started = time.perf_counter()
    found, problems = back(huge, fmt)
    assert time.perf_counter() - started < 0.5
    assert found == {}
    [problem] = problems
    assert problem.message.startswith(f"is {MAX_BYTES + 1:,} bytes")


def test_deep_nesting_is_refused():
    data = out("xliff", [Unit("title", "A", "")])
    data = data.replace(b"<target", b"<g>" * 300 + b"</g>" * 300 + b"<target", 1)
    [problem] = back(data, "xliff")[1]
    assert "nested too deep" in problem.message


def test_control_character_in_a_translation_is_a_problem():
    """XML 1.0 lets a character reference name a control character such as DEL."""
    data = out("xliff", [Unit("title", "A", "B"), Unit("summary", "C", "D")])
    data = data.replace(b">B</target>", b">B&#x7F;</target>")
    found, problems = back(data, "xliff")
    [problem] = problems
    assert (problem.field, problem.line) == ("title", found["title"].line)
    assert "a delete character (U+007F)" in problem.message
    assert found["summary"].target == "D"


def test_a_unit_without_an_id_is_a_problem():
    data = out("xliff", [Unit("title", "A", "B"), Unit("summary", "C", "D")])
    data = data.replace(b'id="summary" ', b"")
    found, problems = back(data, "xliff")
    assert list(found) == ["title"]
    [problem] = problems
    assert "has no id" in problem.message


#: Any text a leaflet can hold: no control characters but tab and newline (the YAML loader
#: refuses the rest, and a carriage return is a newline once read).
LEAFLET_TEXT = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cs"), whitelist_characters="\t\n", max_codepoint=0x2FFFF
    ),
    max_size=200,
)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=150, deadline=None)
@given(source=LEAFLET_TEXT.filter(bool), target=LEAFLET_TEXT)
def test_any_leaflet_text_survives_a_round_trip(fmt, source, target):
    found = read_cleanly(out(fmt, [Unit("what.body", source, target, hash="abc")]), fmt)
    assert (found["what.body"].source, found["what.body"].target) == (source, target)
