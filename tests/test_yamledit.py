"""Saving an edited leaflet back into its YAML: only the lines that changed may change."""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import random
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from build_leaflets.model import STANDARD_SECTIONS
from build_leaflets.yamledit import YamlEditWarning, detect_indent, update_yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SAMPLES = DATA / "yamledit"

#: The leaflets' top-level field order, as the sample files write it.
ORDER = (
    "reference",
    "language",
    "version",
    "translation_of",
    "translated_on",
    "title",
    "summary",
    "status",
    "last_updated",
    "archive_date",
    "owner",
    "approved_by",
    "approved_on",
    "contact",
    *STANDARD_SECTIONS,
    "extra_sections",
    "changes",
    "sources",
    "source_hashes",
)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def leaflet(name: str) -> tuple[str, dict[str, Any]]:
    """A sample file's text and its data, as the project's loader (PyYAML) reads it."""
    if name.startswith("psy-"):
        path = ROOT / "leaflets" / name
    elif name == "minimal.yaml":  # one of the project's own test files
        path = DATA / name
    else:
        path = SAMPLES / name
    text = read(path)
    return text, yaml.safe_load(text)


def normalised(data: Any) -> Any:
    """Data as the model reads it: a section as plain text is a mapping with only a body."""
    result = dict(data)
    for key in STANDARD_SECTIONS:
        value = result.get(key)
        if isinstance(value, str):
            result[key] = {"body": value}
        elif isinstance(value, dict) and value.get("heading", "") is None:
            result[key] = {k: v for k, v in value.items() if k != "heading"}
    return result


def save(text: str, data: dict[str, Any], **options: Any) -> str:
    """`update_yaml`, checked: no whole-file rewrite, and the result reads back as `data`."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", YamlEditWarning)
        result = update_yaml(text, data, order=ORDER, **options)
    assert normalised(yaml.safe_load(result)) == normalised(data)
    return result


def index(text: str, line: str, start: int = 0) -> int:
    """The number (from 0) of the first line equal to `line` at or after `start`."""
    return text.splitlines().index(line, start)


def without(text: str, first: str, stop: str) -> str:
    """`text` without the lines from the line `first` up to (not including) the line `stop`."""
    lines = text.splitlines(keepends=True)
    a, b = index(text, first), index(text, stop)
    return "".join(lines[:a] + lines[b:])


def touched(old: str, new: str) -> set[int]:
    """The lines of `old` (from 0) that the diff replaces or deletes, and for an insertion the
    line it follows."""
    lines: set[int] = set()
    matcher = difflib.SequenceMatcher(
        None, old.splitlines(keepends=True), new.splitlines(keepends=True), autojunk=False
    )
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            lines.update(range(i1, i2))
        elif tag == "insert":
            lines.add(i1 - 1)
    return lines


# --- Unchanged data gives the file back exactly -----------------------------------------------


def yaml_files() -> list[Any]:
    """Every sample leaflet and test YAML whose text the project's loader reads as a mapping."""
    params = []
    paths = sorted((ROOT / "leaflets").glob("*.yaml")) + sorted(DATA.rglob("*.yaml"))
    for path in paths:
        try:
            text = read(path)
            data = yaml.safe_load(text)
        except (UnicodeDecodeError, yaml.YAMLError, ValueError):
            continue
        if isinstance(data, dict) and path.name != "duplicate_key.yaml":
            params.append(pytest.param(path, id=str(path.relative_to(ROOT))))
    return params


@pytest.mark.parametrize("path", yaml_files())
def test_unchanged_data_returns_the_text_byte_for_byte(path: Path) -> None:
    text = read(path)
    assert save(text, yaml.safe_load(text)) == text


def test_a_plain_section_given_as_a_body_mapping_is_unchanged() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["copies_of_letters"] = {"body": data["copies_of_letters"]}
    data["what"]["heading"] = data["what"]["heading"]
    data["who"] = {"heading": data["who"]["heading"], "body": data["who"]["body"]}
    assert save(text, data) == text


def test_duplicate_keys_are_refused() -> None:
    # PyYAML keeps the last of two equal keys; the project's loader refuses the file, and so
    # does this module rather than guess which one the form edited.
    text = read(DATA / "bad" / "duplicate_key.yaml")
    with pytest.raises(ValueError, match="not valid YAML"):
        update_yaml(text, yaml.safe_load(text))


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "", "title: [open\n"])
def test_text_that_is_not_a_mapping_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        update_yaml(text, {"title": "x"})


def test_data_yaml_cannot_hold_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"sources\.0: set"):
        update_yaml("title: x\n", {"title": "x", "sources": [{"a", "b"}]})


# --- One change, one place ---------------------------------------------------------------------


def test_a_sentence_added_to_a_body_adds_only_that() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["risks"]["body"] += "\nIf you have any worries, talk to your therapist.\n"
    result = save(text, data)
    last = "    - in an emergency, call 999 or go to A&E.\n"
    assert result == text.replace(
        last + "alternatives:",
        last + "\n    If you have any worries, talk to your therapist.\nalternatives:",
    )
    body = range(index(text, "risks:") + 3, index(text, "alternatives:"))
    assert touched(text, result) <= set(body)


def test_a_word_changed_in_a_body_changes_that_line_only() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["risks"]["body"] = data["risks"]["body"].replace("This is common.", "This is normal.")
    result = save(text, data)
    assert len(touched(text, result)) == 1
    assert result == text.replace("This is common.", "This is normal.")


def test_a_heading_change_changes_its_line() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["risks"]["heading"] = "Are there any risks?"
    result = save(text, data)
    assert result == text.replace(
        "  heading: What are the risks?\n", "  heading: Are there any risks?\n"
    )


def test_a_plain_title_stays_plain() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["title"] = "Integrative psychological therapy"
    result = save(text, data)
    assert result == text.replace(
        "title: Integrated psychological therapy\n",
        "title: Integrative psychological therapy\n",
    )


def test_a_quoted_title_keeps_its_quotes() -> None:
    text, data = leaflet("commented.yaml")
    data["title"] = "Sleeping better"
    assert save(text, data) == text.replace('title: "Sleep problems"', 'title: "Sleeping better"')


def test_a_single_quoted_value_keeps_its_quotes() -> None:
    text, data = leaflet("commented.yaml")
    data["contact"]["address"] = "Sleep Clinic, Riverside House, Leeds"
    result = save(text, data)
    assert "  address: 'Sleep Clinic, Riverside House, Leeds'\n" in result
    assert len(touched(text, result)) == 1


def test_a_date_is_written_as_a_plain_date() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["last_updated"] = dt.date(2026, 12, 1)
    result = save(text, data)
    assert result == text.replace("last_updated: 2026-11-23\n", "last_updated: 2026-12-01\n")


def test_a_phone_number_change_changes_its_line() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["contact"]["phone"] = "0113 496 0999"
    result = save(text, data)
    assert result == text.replace("  phone: 0113 496 0123\n", "  phone: 0113 496 0999\n")


def test_a_missing_summary_is_added_at_its_place_in_the_order() -> None:
    text, data = leaflet("psy-0101.yaml")
    summary_line = f"summary: {data['summary']}\n"
    assert summary_line in text
    assert save(text.replace(summary_line, ""), data) == text


def test_a_missing_contact_detail_is_added_at_its_place_in_the_order() -> None:
    text, data = leaflet("psy-0101.yaml")
    email_line = f"  email: {data['contact']['email']}\n"
    assert save(text.replace(email_line, ""), data) == text


def test_a_removed_optional_section_takes_exactly_its_lines() -> None:
    text, data = leaflet("psy-0101.yaml")
    del data["duration"]
    assert save(text, data) == without(text, "duration:", "benefits:")


def test_an_extra_section_is_appended() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["extra_sections"].append({"heading": "Can I bring someone?", "body": "Yes.\n"})
    result = save(text, data)
    last = "      You can also ask your therapist at any of your sessions.\n"
    new = "  - heading: Can I bring someone?\n    body: |\n      Yes.\n"
    assert result == text.replace(last + "changes:", last + new + "changes:")


def test_the_middle_of_three_extra_sections_is_removed() -> None:
    text, data = leaflet("psy-0104.yaml")
    assert len(data["extra_sections"]) == 3
    del data["extra_sections"][1]
    result = save(text, data)
    assert result == without(
        text,
        "  - heading: How can I tell if it is working?",
        "  - heading: What if it does not feel right?",
    )


def test_two_extra_sections_swapped_move_with_their_text() -> None:
    text, data = leaflet("psy-0104.yaml")
    sections = data["extra_sections"]
    sections[0], sections[1] = sections[1], sections[0]
    result = save(text, data)
    lines = text.splitlines(keepends=True)
    first = index(text, "  - heading: Is it normal to have strong feelings about my therapist?")
    second = index(text, "  - heading: How can I tell if it is working?")
    third = index(text, "  - heading: What if it does not feel right?")
    expected = lines[:first] + lines[second:third] + lines[first:second] + lines[third:]
    assert result == "".join(expected)


def test_a_new_change_is_added_first_in_the_history() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["version"] = 3
    data["changes"].insert(
        0, {"summary": "Clearer risks.", "date": dt.date(2027, 1, 5), "version": 3}
    )
    result = save(text, data)
    new = "changes:\n  - version: 3\n    date: 2027-01-05\n    summary: Clearer risks.\n"
    assert result == text.replace("version: 2\n", "version: 3\n", 1).replace("changes:\n", new)


def test_a_new_source_is_quoted_like_the_others() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["sources"].append("NICE guideline NG225: Self-harm")
    result = save(text, data)
    assert result == text + '  - "NICE guideline NG225: Self-harm"\n'


def test_a_new_top_level_list_follows_the_file_layout() -> None:
    text, data = leaflet("minimal.yaml")
    data["sources"] = ["First", "Second"]
    assert save(text, data) == text + "sources:\n  - First\n  - Second\n"


def test_a_key_not_in_the_order_follows_its_predecessor_in_the_data() -> None:
    text, data = leaflet("psy-0101.cy.yaml")
    items = list(data.items())
    items.insert([k for k, _ in items].index("translated_on") + 1, ("translator", "Ann Jones"))
    result = save(text, dict(items))
    # After translated_on, and before the comment that introduces the next key.
    assert result == text.replace(
        "translated_on: 2026-11-30\n", "translated_on: 2026-11-30\ntranslator: Ann Jones\n"
    )


# --- Sections written as text or as a mapping --------------------------------------------------


def test_a_plain_section_stays_plain_text() -> None:
    text, data = leaflet("psy-0101.yaml")
    body = data["copies_of_letters"] + "\nYou can ask for large print.\n"
    last = "You can also ask at any time after that.\n"
    expected = text.replace(
        last + "extra_sections:", last + "\n  You can ask for large print.\nextra_sections:"
    )
    for given in ({"body": body}, {"heading": None, "body": body}, body):
        data["copies_of_letters"] = given
        assert save(text, data) == expected


def test_a_plain_section_becomes_a_mapping_when_given_a_heading() -> None:
    text, data = leaflet("minimal.yaml")
    data["risks"] = {"body": data["risks"], "heading": "Are there risks?"}
    result = save(text, data)
    assert result == text.replace(
        "risks: |\n  None known.\n",
        "risks:\n  heading: Are there risks?\n  body: |\n    None known.\n",
    )


def test_a_removed_heading_leaves_the_body_mapping() -> None:
    text, data = leaflet("psy-0101.yaml")
    for given in ({"body": data["what"]["body"]}, {"heading": None, "body": data["what"]["body"]}):
        data["what"] = given
        result = save(text, data)
        assert result == text.replace("  heading: What is integrated psychological therapy?\n", "")


def test_a_heading_added_to_a_body_mapping_goes_before_the_body() -> None:
    text, data = leaflet("commented.yaml")
    data["risks"]["heading"] = "Are there risks?"
    result = save(text, data)
    assert result == text.replace("risks:\n  body:", "risks:\n  heading: Are there risks?\n  body:")


# --- Comments ------------------------------------------------------------------------------


def comment_lines(text: str) -> list[str]:
    """The lines of the commented sample that hold a comment (the Markdown `#` heading in a
    body is text, not a comment)."""
    return [line for line in text.splitlines() if "#" in line and "Not a comment" not in line]


def test_every_comment_survives_edits_around_it() -> None:
    text, data = leaflet("commented.yaml")
    data["version"] = 4
    data["title"] = "Sleeping better"
    data["contact"]["phone"] = "0113 496 0299"
    data["contact"]["hours"] = "Monday to Friday, 9am to 5pm"
    data["what"] += "\nAsk your GP first.\n"
    data["extra_sections"][1]["body"] = "Two, in winter.\n"
    data["changes"].insert(0, {"version": 4, "date": dt.date(2027, 1, 1), "summary": "Fourth."})
    data["sources"].append("Sleep Council")
    result = save(text, data)
    edited = {
        'title: "Sleep problems"': 'title: "Sleeping better"',
        "  phone: 0113 496 0200  # answered 9 to 5": "  phone: 0113 496 0299  # answered 9 to 5",
    }
    for line in comment_lines(text):
        assert edited.get(line, line) in result.splitlines()
    assert result.splitlines()[0] == text.splitlines()[0]
    assert result.endswith("\n# End of leaflet.\n")


def test_a_removed_key_takes_the_comment_above_it() -> None:
    text, data = leaflet("commented.yaml")
    del data["title"]
    assert save(text, data) == text.replace(
        '# Keep the title short: it is printed on the spine.\ntitle: "Sleep problems"\n', ""
    )


def test_the_comment_above_the_next_key_stays_with_that_key() -> None:
    text, data = leaflet("commented.yaml")
    del data["version"]
    result = save(text, data)
    assert result == text.replace("version: 3\n", "", 1)
    assert "# Keep the title short: it is printed on the spine.\ntitle:" in result


def test_a_comment_set_apart_by_a_blank_line_belongs_to_no_key() -> None:
    text, data = leaflet("commented.yaml")
    del data["owner"]
    result = save(text, data)
    assert result == text.replace("owner: Sleep Clinic\n", "")
    assert "# --- Governance" in result


def test_a_removed_nested_key_takes_its_comments() -> None:
    text, data = leaflet("commented.yaml")
    del data["contact"]["phone"]
    result = save(text, data)
    assert result == text.replace(
        "  # The clinic's own line, not the switchboard.\n"
        "  phone: 0113 496 0200  # answered 9 to 5\n",
        "",
    )


def test_removing_the_key_above_a_commented_key_keeps_that_comment() -> None:
    text, data = leaflet("commented.yaml")
    del data["contact"]["email"]
    result = save(text, data)
    assert result == text.replace("  email: sleep.clinic@riverside.example\n", "")
    assert "  # Ask reception before changing the address.\n  address:" in result


def test_a_removed_list_item_takes_its_comments() -> None:
    text, data = leaflet("commented.yaml")
    del data["extra_sections"][1]
    result = save(text, data)
    assert result == without(text, "  # The second one is seasonal.", "  - heading: Third")


def test_the_last_key_removed_leaves_the_closing_comment() -> None:
    text, data = leaflet("commented.yaml")
    del data["sources"]
    result = save(text, data)
    assert result == text.replace(
        "sources:\n  - \"NICE guideline NG215: Insomnia\"\n  - 'Sleep Foundation: sleep hygiene'\n",
        "",
    )
    assert result.endswith("    summary: Second edition.\n\n# End of leaflet.\n")


def test_a_removed_item_first_key_hands_the_dash_to_the_next_key() -> None:
    text, data = leaflet("commented.yaml")
    del data["extra_sections"][1]["heading"]
    result = save(text, data)
    assert result == text.replace(
        "  - heading: Second  # check each winter\n    body: |\n", "  - body: |\n"
    )


def test_an_end_of_line_comment_keeps_its_spacing() -> None:
    text, data = leaflet("commented.yaml")
    data["summary"] = "How to sleep better, and when to ask for help."
    result = save(text, data)
    assert result == text.replace(
        "summary: How to sleep better.  # one sentence",
        "summary: How to sleep better, and when to ask for help.  # one sentence",
    )


def test_an_end_of_line_comment_moves_to_the_block_indicator() -> None:
    text, data = leaflet("commented.yaml")
    data["summary"] = "How to sleep better.\nAnd when to ask for help."
    result = save(text, data)
    assert result == text.replace(
        "summary: How to sleep better.  # one sentence\n",
        "summary: |-  # one sentence\n  How to sleep better.\n  And when to ask for help.\n",
    )


def test_items_set_apart_by_blank_lines_stay_so_when_moved_or_added() -> None:
    text, data = leaflet("spaced.yaml")
    sections = data["extra_sections"]
    sections[0], sections[2] = sections[2], sections[0]
    sections.append({"heading": "Four", "body": "Fourth.\n"})
    result = save(text, data)
    item = "  - heading: {}\n    body: |\n      {}\n"
    old = "\n".join(
        item.format(*pair) for pair in [("One", "First."), ("Two", "Second."), ("Three", "Third.")]
    )
    new = "\n".join(
        item.format(*pair)
        for pair in [
            ("Three", "Third."),
            ("Two", "Second."),
            ("One", "First."),
            ("Four", "Fourth."),
        ]
    )
    assert old in text
    assert result == text.replace(old, new)


def test_a_comment_between_items_set_apart_belongs_to_no_item() -> None:
    text, data = leaflet("spaced.yaml")
    del data["changes"][1]
    result = save(text, data)
    assert result == text.replace("  - version: 1\n    date: 2026-01-01\n    summary: First.\n", "")
    assert "  # Older entries were moved from the paper file.\n" in result


def test_the_document_end_marker_stays_last() -> None:
    text, data = leaflet("spaced.yaml")
    data["sources"].append("Third source")
    data["summary"] = "Lists with room between items."
    result = save(text, data)
    assert result.endswith("  - Third source\n...\n")
    assert "title: Spaced lists\nsummary: Lists with room between items.\n" in result


# --- Indentation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "indent"),
    [
        ("psy-0101.yaml", (2, 4, 2)),
        ("psy-0101.cy.yaml", (2, 2, 0)),
        ("four-spaces.yaml", (4, 8, 4)),
        ("dash-at-parent.yaml", (2, 2, 0)),
        ("commented.yaml", (2, 4, 2)),
    ],
)
def test_the_files_indentation_is_detected(name: str, indent: tuple[int, int, int]) -> None:
    # The Markdown lists inside the bodies (`    - what started your problems`) must not
    # be taken for the file's own lists.
    assert detect_indent(leaflet(name)[0]) == indent


def test_a_file_indented_by_four_spaces_stays_so() -> None:
    text, data = leaflet("four-spaces.yaml")
    data["extra_sections"].insert(1, {"heading": "Between", "body": "Middle.\n"})
    data["contact"]["email"] = "four@riverside.example"
    data["sources"] = ["First source"]
    result = save(text, data)
    expected = (
        text.replace(
            "            First.\n",
            "            First.\n    -   heading: Between\n        body: |\n            Middle.\n",
        ).replace(
            "    phone: 0113 496 0201\n",
            "    phone: 0113 496 0201\n    email: four@riverside.example\n",
        )
        + "sources:\n    -   First source\n"
    )
    assert result == expected


def test_a_block_starting_with_spaces_keeps_them_in_a_four_space_file() -> None:
    text, data = leaflet("four-spaces.yaml")
    data["extra_sections"][1]["body"] = "    code block first\nthen text\n"
    result = save(text, data)
    assert "        body: |4\n                code block first\n            then text\n" in result


def test_lists_with_the_dash_at_the_keys_column_stay_so() -> None:
    text, data = leaflet("dash-at-parent.yaml")
    data["extra_sections"].append({"heading": "Three", "body": "Third.\n"})
    data["changes"].insert(0, {"version": 3, "date": dt.date(2027, 1, 1), "summary": "Third."})
    data["version"] = 3
    result = save(text, data)
    assert result == (
        text.replace("version: 2\n", "version: 3\n", 1)
        .replace(
            "    Second.\nchanges:\n",
            "    Second.\n- heading: Three\n  body: |\n    Third.\nchanges:\n",
        )
        .replace("changes:\n", "changes:\n- version: 3\n  date: 2027-01-01\n  summary: Third.\n")
    )


# --- How values are written ---------------------------------------------------------------


def test_a_multi_line_string_is_a_literal_block() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["summary"] = "First line.\nSecond line."
    result = save(text, data)
    assert "summary: |-\n  First line.\n  Second line.\nstatus:" in result


def test_a_block_stays_a_block_when_its_text_becomes_one_line() -> None:
    text, data = leaflet("minimal.yaml")
    data["who"] = "Everyone"
    assert save(text, data) == text.replace("who: |\n  Anyone.\n", "who: |-\n  Everyone\n")


@pytest.mark.parametrize("word", ["No", "yes", "on", "1:30", "0113", "2026-01-01", "null"])
def test_words_the_loader_would_misread_are_quoted(word: str) -> None:
    text, data = leaflet("psy-0101.yaml")
    data["owner"] = word
    result = save(text, data)
    assert f"owner: '{word}'\n" in result
    assert yaml.safe_load(result)["owner"] == word


def test_a_word_ruamel_alone_would_misread_stays_plain() -> None:
    # ruamel.yaml's YAML 1.1 rules read `y` as true; PyYAML (the project's loader) does not.
    result = save("title: x\n", {"title": "y", "n": 1})
    assert result == "title: y\nn: 1\n"


def test_a_long_line_is_not_wrapped() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["summary"] = "A long summary, " * 60 + "end."
    result = save(text, data)
    assert f"summary: {data['summary']}\n" in result


def test_text_a_block_cannot_hold_is_quoted() -> None:
    text, data = leaflet("psy-0101.yaml")
    data["summary"] = "Carriage\rreturn\nand bell\x07"
    result = save(text, data)
    assert 'summary: "Carriage\\rreturn\\nand bell\\a"\n' in result


def test_line_endings_and_a_missing_final_newline_are_kept() -> None:
    text = "reference: TST-1\r\nwhat: |\r\n  One.\r\ntitle: Old"
    data = {"reference": "TST-1", "what": "One.\nTwo.\n", "title": "New"}
    assert save(text, data) == "reference: TST-1\r\nwhat: |\r\n  One.\r\n  Two.\r\ntitle: New"


def test_flow_collections_keep_their_style() -> None:
    text = "sources: [First, Second]  # short ones\ncontact: {phone: 0113 496 0000}\n"
    data = {"sources": ["First", "Second", "Third"], "contact": {"phone": "0113 496 0001"}}
    assert save(text, data) == (
        "sources: [First, Second, Third]  # short ones\ncontact: {phone: 0113 496 0001}\n"
    )


def test_what_cannot_be_spliced_is_rewritten_whole_with_a_warning() -> None:
    # A `|+` block keeps its trailing blank lines as text, which line splicing cannot tell
    # from the blank lines between keys; the whole document is rewritten instead.
    text = "what: |+\n  Kept.\n\nwho: |\n  Anyone.\n"
    data = {"what": "Changed.\n\n", "who": "Anyone.\n"}
    with pytest.warns(YamlEditWarning):
        result = update_yaml(text, data)
    assert yaml.safe_load(result) == data


# --- Many random edits ------------------------------------------------------------------------


WORDS = ["No", "a: b", "# not a comment", "- not an item", "it's", '"quoted"', "0113 496 0000"]
WORDS += [
    "2026-01-01",
    "Line one\nLine two\n",
    "two\nlines",
    "  indented\n",
    "Café \u2019 \u2713",
    "",
]


def mutate(rng: random.Random, value: Any) -> Any:
    """`value` with random edits: keys removed and added, items removed, added, shuffled."""
    if isinstance(value, dict):
        value = dict(value)
        for key in list(value):
            roll = rng.random()
            if roll < 0.05 and key != "reference":
                del value[key]
            elif roll < 0.35:
                value[key] = mutate(rng, value[key])
        if rng.random() < 0.1:
            value[rng.choice(["summary", "archive_date", "heading", "hours"])] = rng.choice(WORDS)
        return value
    if isinstance(value, list):
        value = list(value)
        roll = rng.random()
        if roll < 0.2 and value:
            value.pop(rng.randrange(len(value)))
        elif roll < 0.4:
            new = copy.deepcopy(rng.choice(value)) if value else "new"
            value.insert(rng.randrange(len(value) + 1), new)
        elif roll < 0.6:
            rng.shuffle(value)
        else:
            value = [mutate(rng, item) if rng.random() < 0.4 else item for item in value]
        return value
    if isinstance(value, str):
        return rng.choice([rng.choice(WORDS), value + rng.choice(WORDS), value.upper()])
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=rng.randrange(1, 30))
    if isinstance(value, int) and not isinstance(value, bool):
        return value + 1
    return value


def top_level_blocks(text: str) -> dict[str, str]:
    """Each top-level key's lines (up to the next key or comment at column 0)."""
    blocks: dict[str, list[str]] = {}
    key = None
    for line in text.splitlines(keepends=True):
        match = re.match(r"([a-z_]+):", line)
        if match:
            key = match.group(1)
            blocks[key] = [line]
        elif key and (line.startswith((" ", "-")) or not line.strip()):
            blocks[key].append(line)
        else:
            key = None
    return {key: "".join(lines).rstrip() for key, lines in blocks.items()}


@pytest.mark.parametrize(
    "name",
    [
        "psy-0101.yaml",
        "psy-0104.yaml",
        "psy-0101.cy.yaml",
        "commented.yaml",
        "four-spaces.yaml",
        "dash-at-parent.yaml",
        "spaced.yaml",
    ],
)
def test_random_edits_read_back_and_leave_unchanged_keys_alone(name: str) -> None:
    text, data = leaflet(name)
    rng = random.Random(name)
    for _ in range(15):
        edited = mutate(rng, data)
        result = save(text, edited)
        for key, block in top_level_blocks(text).items():
            if key in edited and edited[key] == data[key]:
                assert block in result, key
