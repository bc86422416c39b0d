"""`check`: every mistake reported with its place and a way to fix it; nothing written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from build_leaflets.cli import cli
from tests.conftest import DATA, ROOT, SAMPLES, TRANSLATIONS, tree

BAD = DATA / "bad"

# One defect per file; the whole message is asserted, so a vague message fails the test.
EXPECTED = {
    "syntax_error": "4:7: YAML syntax error: did not find expected ',' or ']' (while parsing a "
    "flow sequence that starts at line 3, column 8; if that is meant as text, put it in quotes)",
    "missing_section": "1:1: who: required section is missing: add 'who: |' followed by the "
    'text that answers "Who is it for?"',
    "unknown_key": "6:1: archve_date: unknown field; did you mean 'archive_date'?",
    "archive_before_update": "6:15: archive_date: must be after last_updated (2026-10-01)",
    "reference_slash": "1:12: reference: must be letters, digits and hyphens only, like "
    "PSY-0042 (found 'TST/0001'); it becomes part of file names",
    "wrong_type": "2:10: version: must be a whole number, like 2 (found 'one')",
    "duplicate_key": "16:1: risks: is written twice (first on line 14); YAML would keep only "
    "this one, so merge the two or delete one",
    "impossible_date": "5:15: last_updated: is not a real date (found '2026-02-30'); check the "
    "day and month",
    "approved_without_approver": "4:9: approved_by: is required for an approved leaflet: say "
    "who approved it and when, or set status: draft",
    "raw_html": "10:3: what: raw HTML is not allowed ('<script>alert(1)</script>'); use "
    "Markdown: **bold**, - lists, [text](https://...)",
    "image_file_url": "11:3: what: image 'file:///etc/passwd' refused: images are never "
    "fetched from other places; save the picture inside leaflets/images/ and write its path, "
    "e.g. images/scan.png",
    "image_http": "11:3: what: image 'http://127.0.0.1/scan.png' refused: images are never "
    "fetched from other places; save the picture inside leaflets/images/ and write its path, "
    "e.g. images/scan.png",
    "link_javascript": "11:3: who: link 'javascript:alert(1)' refused: a link must start with "
    "https://, http://, mailto: or tel:",
    "number_as_text": "20:10: contact.phone: must be text, not a number; put quotes around it, "
    'e.g. "0113 496 0000"',
    "section_as_list": "11:3: who: must be text, or a mapping with 'heading' and 'body' "
    "(found a list)",
    "bad_status": "4:9: status: must be one of: draft or approved (found 'aproved')",
    "empty_section": '12:13: preparation: is empty; write the text that answers "What '
    'preparation is needed?"',
    "not_a_mapping": "1:1: must be a mapping of fields (found a list)",
    # What a leaflet file may be at all (screen.py), and the limits on its values (model.py).
    "yaml_anchor": "10:6: who: anchors (&same) are not allowed in a leaflet; remove '&same'",
    "yaml_alias": "12:14: preparation: aliases (*who) are not allowed in a leaflet; write the "
    "text out in full",
    "yaml_merge_key": "20:3: contact.<<: merge keys (<<) are not allowed in a leaflet; write "
    "the fields out",
    "yaml_python_tag": "3:8: title: YAML tags (!!python/object/apply:os.system) are not "
    "allowed in a leaflet; write plain text",
    "yaml_deep_nesting": "19:17: sources.0.0.0.0.0.0.0: is nested more than 8 levels deep; a "
    "leaflet needs at most 3 (check the indentation)",
    "number_too_long": "2:10: version: is a number of 40 digits; if it is meant as text (a "
    'phone number, say), put it in quotes: "..."',
    "date_far_future": "5:15: last_updated: must be 2199-12-31 or earlier (found '9998-10-01')",
    "control_character_raw": "11:6: contains a NUL byte (U+0000), which cannot be printed; "
    "delete it",
    "control_character_escape": "3:8: title: contains an escape character (U+001B), which "
    "cannot be printed; delete it",
    "not_utf8": "11:10: is not UTF-8 text (byte 0x96): it looks like Windows-1252; save it as "
    "UTF-8",
    "reference_too_long": "1:12: reference: is 64 characters long; the most is 40: shorten it",
    "version_too_high": "2:10: version: must be 9999 or less (found 10000)",
    "image_path_too_long": "11:3: what: image path is 311 characters long; the most is 200: "
    "give the picture a shorter name",
    "image_outside_images": "11:3: what: image 'plan.png' refused: keep pictures in "
    "leaflets/images/ and write images/plan.png",
    "image_gif": "11:3: what: image 'images/plan.gif' refused: use a PNG, JPEG or SVG file",
    "font_missing_glyph": "9:24: what: no bundled font can show '→' (U+2192), '😀' (U+1F600); "
    "remove them, or write them in words",
}


def test_every_bad_file_has_an_expected_message() -> None:
    assert {p.stem for p in BAD.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_reports_one_placed_problem(runner, monkeypatch, name: str) -> None:
    monkeypatch.chdir(ROOT)
    before = tree(ROOT / "output")
    result = runner.invoke(cli, ["check", f"tests/data/bad/{name}.yaml"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"tests/data/bad/{name}.yaml:{EXPECTED[name]}"
    assert lines[1] == "1 problem in 1 file; nothing was written."
    assert "Traceback" not in result.output
    assert tree(ROOT / "output") == before


def test_all_problems_in_all_files_are_reported_at_once(runner, make_project) -> None:
    make_project(*(BAD / f"{name}.yaml" for name in ("wrong_type", "unknown_key", "raw_html")))
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "leaflets/raw_html.yaml:" + EXPECTED["raw_html"],
        "leaflets/unknown_key.yaml:" + EXPECTED["unknown_key"],
        "leaflets/wrong_type.yaml:" + EXPECTED["wrong_type"],
        "3 problems in 3 files; nothing was written.",
    ]


def test_one_file_can_have_several_problems(runner, make_project) -> None:
    text = (DATA / "minimal.yaml").read_text()
    text = text.replace("version: 1", "version: 1.5").replace("title: Test", "titel: Test")
    make_project(("several.yaml", text))
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "leaflets/several.yaml:1:1: title: required field is missing: add 'title: "
        "Interpersonal psychotherapy'",
        "leaflets/several.yaml:2:10: version: must be a whole number, like 2 (found 1.5)",
        "leaflets/several.yaml:3:1: titel: unknown field; did you mean 'title'?",
    ]


def test_duplicate_references_across_files(runner, make_project) -> None:
    text = (DATA / "minimal.yaml").read_text()
    make_project(("a.yaml", text), ("b.yaml", text.replace("TST-0001", "tst-0001")))
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "leaflets/b.yaml:1:12: reference: tst-0001 is already used by leaflets/a.yaml:1; "
        "each leaflet needs its own reference"
    )


def test_build_writes_nothing_when_any_leaflet_is_invalid(runner, make_project) -> None:
    root = make_project(SAMPLES[0], BAD / "wrong_type.yaml")
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "leaflets/wrong_type.yaml:2:10: version:" in result.output
    assert not (root / "output").exists()


def test_samples_check_clean(runner, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(cli, ["check", "--strict"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    total = len(SAMPLES) + len(TRANSLATIONS)
    assert lines[-1] == f"{total} leaflet(s) checked: no problems found."
    for translated in TRANSLATIONS:
        assert (
            f"leaflets/{translated.name}: reading ease not measured (the measures are made "
            "for English text)"
        ) in lines
    for sample in SAMPLES:
        line = next(line for line in lines if line.startswith(f"leaflets/{sample.name}:"))
        assert re.fullmatch(
            rf"leaflets/{sample.name}: reading ease \d+\.\d, grade \d+\.\d, SMOG \d+\.\d "
            r"\(\d+ words\)",
            line,
        ), line


def test_hard_text_warns_and_strict_fails(runner, make_project) -> None:
    text = (DATA / "minimal.yaml").read_text()
    hard = (
        "  Psychotherapeutic interventions necessitate comprehensive multidisciplinary "
        "evaluation, individualised formulation and collaborative prioritisation of "
        "interpersonal difficulties.\n"
    )
    make_project(("tst-0001.yaml", text.replace("  A short test leaflet.\n", hard)))
    warned = runner.invoke(cli, ["check"])
    assert warned.exit_code == 0
    assert re.search(
        r"leaflets/tst-0001.yaml: warning: reading ease -?\d+\.\d is below 60: use shorter "
        r"sentences and everyday words",
        warned.output,
    )
    assert warned.output.splitlines()[-1] == "1 leaflet(s) checked: 1 warning(s)."
    strict = runner.invoke(cli, ["check", "--strict"])
    assert strict.exit_code == 1
    assert "1 warning(s), and --strict makes warnings fail." in strict.output


def test_image_without_alt_text_and_missing_image(runner, make_project) -> None:
    text = (DATA / "minimal.yaml").read_text()
    body = "  A short test leaflet.\n\n  ![](images/scan.png)\n\n  ![A map](images/map.png)\n"
    root = make_project(("img.yaml", text.replace("  A short test leaflet.\n", body)))
    (root / "leaflets" / "images").mkdir(exist_ok=True)
    Image.new("RGB", (40, 30), "white").save(root / "leaflets" / "images" / "scan.png")
    result = runner.invoke(cli, ["check"])
    assert result.output.splitlines()[:2] == [
        "leaflets/img.yaml:11:3: what: image 'images/scan.png' needs alt text that says what "
        "it shows: ![what it shows](images/scan.png)",
        "leaflets/img.yaml:13:3: what: image 'images/map.png' not found in leaflets/",
    ]


def test_settings_errors_name_the_setting(runner, make_project) -> None:
    root = make_project(DATA / "minimal.yaml")
    settings = root / "pyproject.toml"
    settings.write_text(settings.read_text().replace("review_months = 36", "review_month = 36"))
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "pyproject.toml:" in result.output
    assert "tool.build_leaflets.review_month: unknown setting" in result.output


def test_schema_is_json_schema_of_the_leaflet(runner) -> None:
    result = runner.invoke(cli, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert set(schema["required"]) >= {"reference", "version", "title", "last_updated", "what"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["what"]["description"] == "Section: What is it?"


def test_help_explains_every_command(runner) -> None:
    for command in ([], ["build"], ["check"], ["schema"]):
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output
    assert "--out" in runner.invoke(cli, ["build", "--help"]).output
    assert "--page-size" in runner.invoke(cli, ["build", "--help"]).output


def test_python_dash_m_runs_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "build_leaflets", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(ROOT),
    )
    assert result.returncode == 0
    assert result.stdout.startswith("build-leaflets, version ")


def test_tabs_are_explained(runner, make_project) -> None:
    make_project(("tabs.yaml", "reference: TST-0001\n\tversion: 1\n"))
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("leaflets/tabs.yaml:2:1: YAML syntax error: ")
    assert result.output.splitlines()[0].endswith("; indent with spaces, not tabs")


def test_a_raised_version_needs_its_changes_entry(runner, make_project) -> None:
    text = (ROOT / "leaflets" / "psy-0103.yaml").read_text(encoding="utf-8")
    raised = text.replace("version: 1\n", "version: 2\n", 1)
    make_project(("psy-0103.yaml", raised))
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert (
        "leaflets/psy-0103.yaml:3:10: version: is 2, but changes has no entry for version 2: "
        "add one at the top of changes (version: 2, date: 2026-10-01, summary: what changed), "
        "for the version history printed on the leaflet"
    ) in result.output
    entry = "changes:\n  - version: 2\n    date: 2026-10-01\n    summary: Clearer.\n"
    (Path("leaflets") / "psy-0103.yaml").write_text(raised.replace("changes:\n", entry, 1))
    assert runner.invoke(cli, ["check"]).exit_code == 0
