"""Message catalogues: every catalogue translates exactly the template's messages, keeps their
placeholders, and is served for the tags a leaflet may give; dates, direction and names."""

from __future__ import annotations

import datetime
import gettext
import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from jinja2 import Environment

from build_leaflets import messages
from build_leaflets.messages import (
    catalogue_for,
    is_right_to_left,
    language_name,
    long_date,
    parse_language,
    supported_languages,
)

LOCALE = Path(messages.__file__).parent / "locale"
FOLDERS = sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/leaflets.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
DAY = datetime.date(2026, 10, 1)


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale, abort_invalid=True)


def catalogue(folder: str) -> Catalog:
    return read(LOCALE / folder / "LC_MESSAGES" / "leaflets.po", folder)


def messages_of(catalog: Catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id}


TEMPLATE = read(LOCALE / "leaflets.pot")
MSGIDS = [str(m.id) for m in TEMPLATE if m.id]


def test_the_catalogues_are_the_languages_offered():
    assert FOLDERS == ["ar", "bn", "cy", "pa", "pl", "ro", "uk", "ur", "zh_Hans"]
    assert supported_languages() == (
        "en",
        *("ar", "bn", "cy", "pa", "pl", "ro", "uk", "ur", "zh-Hans"),
    )


def test_the_template_has_no_translations_and_flags_every_placeholder():
    assert len(MSGIDS) == len(set(MSGIDS)) == 43
    for message in TEMPLATE:
        if not message.id:
            continue
        assert message.string == ""
        assert ("python-format" in message.flags) == bool(PLACEHOLDER.search(str(message.id)))


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_catalogue_translates_exactly_the_template(folder):
    catalog = catalogue(folder)
    assert not catalog.fuzzy
    assert str(catalog.locale) == folder
    text = (LOCALE / folder / "LC_MESSAGES" / "leaflets.po").read_text(encoding="utf-8")
    headers = dict(re.findall(r'^"([\w-]+): (.*)\\n"$', text, re.MULTILINE))
    assert headers["Language"] == folder
    assert headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert headers["Plural-Forms"] == get_plural(folder).plural_forms
    assert "not yet checked by a professional translator" in catalog.header_comment

    assert [str(m.id) for m in catalog if m.id] == MSGIDS  # same messages, same order
    for message in catalog:
        if not message.id:
            continue
        msgid, msgstr = str(message.id), str(message.string)
        assert not message.fuzzy, msgid
        assert msgstr.strip(), f"{folder}: {msgid!r} is not translated"
        assert msgstr != msgid, f"{folder}: {msgid!r} is left in English"


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_translation_keeps_the_placeholders_and_nothing_html_would_read(folder):
    for msgid, msgstr in messages_of(catalogue(folder)).items():
        assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid)), msgstr
        # Jinja's newstyle gettext always applies `%`, so a lone % would fail at render time
        assert "%" not in PLACEHOLDER.sub("", msgstr), msgstr
        # and it marks a translation safe, so these would reach the page unescaped
        assert not set(msgstr) & set("<>&\"'"), msgstr


@pytest.mark.parametrize("folder", FOLDERS)
def test_babels_checkers_pass(folder):
    assert [(str(m.id), errors) for m, errors in catalogue(folder).check() if errors] == []


@pytest.mark.parametrize("tag", supported_languages())
def test_every_message_renders_through_jinja_in_every_language(tag):
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_translations(catalogue_for(tag), newstyle=True)
    values = {name: f"<{name}>" for msgid in MSGIDS for name in PLACEHOLDER.findall(msgid)}
    expected = messages_of(catalogue(tag.replace("-", "_"))) if tag != "en" else {}
    for msgid in MSGIDS:
        names = PLACEHOLDER.findall(msgid)
        template = env.from_string(
            "{{ _(msgid, " + ", ".join(f"{n}={n}" for n in names) + ") }}"
            if names
            else "{{ _(msgid) }}"
        )
        rendered = template.render(msgid=msgid, **values)
        escaped = {name: f"&lt;{name}&gt;" for name in names}
        assert rendered == expected.get(msgid, msgid) % escaped


@pytest.mark.parametrize(
    ("tag", "folder"),
    [
        ("cy", "cy"),
        ("cy-GB", "cy"),
        ("pa", "pa"),
        ("pa-Guru", "pa"),
        ("pa-IN", "pa"),
        ("ur-PK", "ur"),
        ("ar-GB", "ar"),
        ("pl-GB", "pl"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
        ("ZH-hans-cn", "zh_Hans"),
        ("zh_Hans", "zh_Hans"),
        ("uk-UA-x-clinic", "uk"),
    ],
)
def test_a_tag_takes_the_catalogue_of_its_language_and_script(tag, folder):
    translations = catalogue_for(tag)
    assert translations is catalogue_for(folder)  # compiled once, then shared
    expected = messages_of(catalogue(folder))["Patient information"]
    assert translations.gettext("Patient information") == expected


@pytest.mark.parametrize("tag", ["en", "en-GB", "en-US", "en-GB-oxendict"])
def test_english_is_the_message_ids(tag):
    translations = catalogue_for(tag)
    assert type(translations) is gettext.NullTranslations
    assert translations.gettext("Page %(page)s of %(pages)s") == "Page %(page)s of %(pages)s"


def test_a_language_with_no_catalogue_names_those_with_one():
    with pytest.raises(LookupError) as caught:
        catalogue_for("fr")
    message = str(caught.value)
    assert "no catalogue" in message
    assert "French ('fr')" in message
    assert message.endswith(
        "en (English), ar (Arabic), bn (Bangla), cy (Welsh), pa (Punjabi), pl (Polish), "
        "ro (Romanian), uk (Ukrainian), ur (Urdu), zh-Hans (Simplified Chinese)"
    )


@pytest.mark.parametrize("tag", ["zh-TW", "zh-Hant", "zh-Hant-CN", "pa-Arab", "pa-PK"])
def test_the_same_language_in_another_script_has_no_catalogue(tag):
    with pytest.raises(LookupError, match="no catalogue"):
        catalogue_for(tag)


@pytest.mark.parametrize("tag", ["xx", "", "und", "not a tag", "en_GB_"])
def test_a_tag_babel_does_not_know_is_refused(tag):
    assert parse_language(tag) is None
    with pytest.raises(LookupError, match=re.escape(f"{tag!r} is not a language tag")):
        catalogue_for(tag)
    with pytest.raises(LookupError):
        long_date(DAY, tag)


@pytest.mark.parametrize(
    ("tag", "identifier"),
    [
        ("cy", "cy"),
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans_CN"),
        ("zh-TW", "zh_Hant_TW"),
        ("zh-Hant-CN", "zh_Hant"),  # not Babel's guess, zh_Hans_CN: the script is kept
        ("pa", "pa"),
        ("pa-Guru", "pa_Guru"),
        ("pa-Arab", "pa_Arab"),
        ("en-GB", "en_GB"),
        ("ur-PK", "ur_PK"),
        ("ar-GB", "ar"),  # a region CLDR has no data for is let go; the language is kept
        ("en-GB-u-ca-gregory", "en_GB"),
    ],
)
def test_parse_language(tag, identifier):
    locale = parse_language(tag)
    assert isinstance(locale, Locale)
    assert str(locale) == identifier


@pytest.mark.parametrize(
    ("tag", "written"),
    [
        ("en-GB", "1 October 2026"),
        ("en", "1 October 2026"),
        ("en-US", "October 1, 2026"),
        ("cy", "1 Hydref 2026"),
        ("pl", "1 października 2026"),
        ("ar", "1 أكتوبر 2026"),
        ("zh-Hans", "2026年10月1日"),
    ],
)
def test_long_date(tag, written):
    assert long_date(DAY, tag) == written


@pytest.mark.parametrize(
    ("tag", "rtl"),
    [
        *[("ar", True), ("ur", True), ("ur-PK", True), ("pa-Arab", True)],
        *[("cy", False), ("zh-Hans", False), ("pa", False), ("en-GB", False)],
    ],
)
def test_is_right_to_left(tag, rtl):
    assert is_right_to_left(tag) is rtl


@pytest.mark.parametrize(
    ("tag", "in_tag", "name"),
    [
        ("cy", None, "Cymraeg"),
        ("ur", None, "اردو"),
        ("ar", None, "العربية"),
        ("pl", None, "Polski"),  # standing alone, so capitalised
        ("uk", None, "Українська"),
        ("zh-Hans", None, "简体中文"),
        ("pa-Guru", None, "ਪੰਜਾਬੀ (ਗੁਰਮੁਖੀ)"),
        ("ur-PK", None, "اردو"),  # the region is not part of a language's name
        ("cy", "en", "Welsh"),
        ("cy-GB", "en-GB", "Welsh"),
        ("zh-Hans", "en", "Simplified Chinese"),
        ("en", "pl", "angielski"),  # in running text, as CLDR writes it
        ("en", "cy", "Saesneg"),
    ],
)
def test_language_name(tag, in_tag, name):
    assert language_name(tag, in_tag) == name
