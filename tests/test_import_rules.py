"""The importer's rules one by one: dates, heading wordings, Markdown escaping, YAML output,
governance lines, contact blocks and the word count that proves nothing was lost."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import yaml

from build_leaflets.importer import emit, governance, sections, words
from build_leaflets.importer.blocks import Block, escape, join_runs
from build_leaflets.importer.contact import Contact, extract
from build_leaflets.importer.markdown import body
from build_leaflets.markup import body_problems, plain_text


@pytest.mark.parametrize(
    ("text", "day", "assumed"),
    [
        ("14/03/2024", dt.date(2024, 3, 14), False),
        ("14.03.24", dt.date(2024, 3, 14), True),
        ("4-3-2024", dt.date(2024, 3, 4), False),
        ("2024-03-14", dt.date(2024, 3, 14), False),
        ("14 March 2024", dt.date(2024, 3, 14), False),
        ("14th of March, 2024", dt.date(2024, 3, 14), False),
        ("Thursday 14 March 2024", dt.date(2024, 3, 14), False),
        ("March 2024", dt.date(2024, 3, 1), True),
        ("Sept 2025", dt.date(2025, 9, 1), True),
        ("03/2027", dt.date(2027, 3, 1), True),
    ],
)
def test_dates_as_trusts_write_them(text, day, assumed):
    found, assumption = governance.parse_date(text)
    assert found == day
    assert bool(assumption) == assumed


@pytest.mark.parametrize(
    ("text", "reason"),
    [("31/02/2024", "is not a real date"), ("Spring 2024", "not a date the importer can read")],
)
def test_dates_that_cannot_be_read(text, reason):
    assert reason in governance.parse_date(text)


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("Are there any side effects?", "risks"),
        ("What other options are there?", "alternatives"),
        ("Do I need to do anything before my appointment?", "preparation"),
        ("Who is this leaflet for?", "who"),
        ("How do I get referred?", "referral"),
        ("What is integrated psychological therapy?", "what"),
        ("What does the therapy involve?", "involves"),
        ("How long will my treatment take?", "duration"),
        ("How can IPT help me?", "benefits"),
        ("Copies of letters", "copies_of_letters"),
        ("WHAT ARE THE RISKS?", "risks"),
        ("Q3. Is it safe?", "risks"),
        ("Contact us", "contact"),
        ("A patient's story", None),
        ("Useful websites", None),
    ],
)
def test_headings_matched_by_wording(heading, key):
    subjects = sections.subjects_of("Integrated psychological therapy (IPT)")
    assert sections.match_heading(heading, subjects).key == key


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("What are the alternitives?", "alternatives"),
        ("Are there any side affects?", "risks"),
        ("Coppies of leters and reports", "copies_of_letters"),
    ],
)
def test_headings_with_typing_mistakes_matched_fuzzily(heading, key):
    match = sections.match_heading(heading)
    assert match.key == key
    assert match.how.startswith("matched fuzzily, 0.")


@pytest.mark.parametrize(
    "text",
    [
        "2 * 3 = 6 and a_b_c or _this_",
        "<b>not HTML</b> & &amp; entities",
        "1. not a list",
        "- not a bullet",
        "# not a heading",
        "[not a link](https://example.org)",
        "> not a quote",
        "back\\slash and `code`",
    ],
)
def test_text_stays_text_in_markdown(text):
    markdown, plain = join_runs([(text, False, False, "")])
    assert plain == text
    assert body_problems(markdown, Path()) == []
    rendered = plain_text(markdown)
    assert words.words(rendered) == words.words(text), rendered


def test_bold_italic_and_links_merge_across_runs():
    runs = [
        ("Call ", False, False, ""),
        ("ri", True, False, ""),
        ("ver", True, False, ""),
        (" now", False, True, ""),
        (" or see ", False, False, ""),
        ("NHS 111", False, False, "https://111.nhs.uk/"),
    ]
    markdown, plain = join_runs(runs)
    assert markdown == "Call **river** *now* or see [NHS 111](https://111.nhs.uk/)"
    assert plain == "Call river now or see NHS 111"


def test_nested_lists_and_subheadings():
    blocks = [
        Block("paragraph", "Intro:", "Intro:"),
        Block("item", "one", "one", level=0, ordered=True),
        Block("item", "sub", "sub", level=1),
        Block("item", "two", "two", level=0, ordered=True),
        Block("heading", "Sub", "Sub", level=9),
        Block("item", "first\\\nsecond line", "first second line", level=0),
    ]
    assert body(blocks) == (
        "Intro:\n\n1. one\n   - sub\n2. two\n\n### Sub\n\n- first\\\n  second line\n"
    )


def test_yaml_output_quotes_what_needs_quoting_and_reads_back():
    hostile = {
        "title": "yes",
        "summary": "Key: value # not a comment, 'quotes' and \"double\"",
        "owner": "- a dash",
        "what": {"heading": "@home?", "body": "Line one\n\n  indented: yes\n- item\n"},
    }
    entries = [emit.Entry(k, v, [f"from {k}\nwith a newline"]) for k, v in hostile.items()]
    text = emit.render(["header"], entries, [], [("the text", "Leaflet reference: X-1")])
    assert yaml.safe_load(text) == hostile
    assert "what:\n  heading: '@home?'\n  body: |\n" in text
    assert "# from what with a newline" in text
    assert emit.used_lines(text) == ['the text: "Leaflet reference: X-1"']
    assert "&" not in text.split("#")[0] and "!!" not in text


def test_governance_lines_several_to_a_line():
    blocks = [
        Block("paragraph", plain="Ref: PIL 1234\tVersion 1.2\tReview date: 03/2027"),
        Block("paragraph", plain="Referral is easy."),
        Block("paragraph", plain="Approved by: Patient Information Group"),
        Block("paragraph", plain="Produced by the review team with patients."),
        Block("paragraph", plain="Date last reviewed:"),
        Block("paragraph", plain="1 June 2024"),
    ]
    kept, found = governance.extract(blocks, [])
    values = {name: f.value for name, f in found.fields.items()}
    assert values == {
        "reference": "PIL-1234",
        "version": 1,
        "archive_date": dt.date(2027, 3, 1),
        "approved_by": "Patient Information Group",
        "last_updated": dt.date(2024, 6, 1),
    }
    assert [b.plain for b in kept] == [
        "Referral is easy.",
        "Produced by the review team with patients.",
    ]
    assert "taken as 1" in found.fields["version"].note


def test_contact_block():
    blocks = [
        Block("paragraph", plain="Call us on 0113 496 0123 if you are worried."),
        Block("paragraph", plain="Tel: 0113 496 0999"),
        Block("paragraph", plain="E-mail: team@riverside.example"),
        Block("paragraph", plain="Opening hours: Mon to Fri, 9.00 to 17.00"),
    ]
    found = Contact()
    kept = extract(blocks, "Contact us", found)
    assert found.fields == {
        "phone": "0113 496 0123",
        "email": "team@riverside.example",
        "hours": "Mon to Fri, 9.00 to 17.00",
    }
    # The sentence gave the number and stays; the second number stays too (not lost).
    assert [b.plain for b in kept] == [
        "Call us on 0113 496 0123 if you are worried.",
        "Tel: 0113 496 0999",
    ]


def test_a_dropped_word_is_found():
    source = words.words("Talk to your GP. Talk to us.")
    draft_text = emit.render(
        [], [emit.Entry("what", "Talk to your GP. Talk to.\n")], [], [("the text", "us")]
    )
    assert words.dropped(source, words.in_draft(draft_text)) == []
    draft_text = emit.render([], [emit.Entry("what", "Talk to your GP. Talk to.\n")], [], [])
    assert words.dropped(source, words.in_draft(draft_text)) == ["us"]
    assert words.dropped(Counter({"talk": 2}), Counter({"talk": 1})) == ["talk"]


def test_escape_keeps_plain_words():
    assert escape("a*b") == "a\\*b"
    assert escape("snake_case") == "snake_case"
