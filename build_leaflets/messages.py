"""Messages: the fixed text of a leaflet (headings, labels, notes) in each language a leaflet
can be translated into, and what the layout needs to know about a language: how it writes a
date, which way it runs, and what it is called.

The fixed text lives in gettext catalogues in the package, `locale/<locale>/LC_MESSAGES/
leaflets.po`, with `locale/leaflets.pot` as the template each one translates. The English
source strings are the message ids, so English needs no catalogue. Each .po file is compiled in
memory the first time it is used: there is no .mo file to forget to rebuild, and a catalogue
edited by a translator is what the next build uses. Nothing is fetched while building (hospital
networks are locked down): Babel carries the CLDR data for dates and language names.

Languages are named by BCP 47 tags ("cy", "zh-Hans", "ur-PK"); the catalogue folders are named
the way gettext and Babel name locales ("zh_Hans").
"""

from __future__ import annotations

import datetime
import functools
import gettext
import io
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable

from babel import Locale, UnknownLocaleError
from babel.core import get_global, get_locale_identifier, parse_locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "leaflets"
"""The gettext domain: each catalogue is `<locale>/LC_MESSAGES/leaflets.po`."""

SOURCE_LANGUAGE = "en"
"""The language of the message ids, which is served without a catalogue."""

# Plain "en" writes its dates as British English does: the leaflets are written for the NHS.
_BRITISH = Locale("en", "GB")


def parse_language(tag: str) -> Locale | None:
    """The Babel locale for a BCP 47 language tag ("cy", "zh-Hans", "pa-Guru", "en-GB",
    "ur-PK"), or None when Babel does not know the language.

    A tag names a language more finely than Babel's data always goes: "ar-GB" (Arabic as
    written in Britain) and "pl-GB" are good tags for an NHS leaflet, but CLDR has no such
    locales. So the variant, and then the region, are let go until Babel knows what is left.
    The script never is, as "pa-Arab" and "pa-Guru" are read in different alphabets; nor may
    Babel's own guess change it (Babel reads "zh-Hant-CN" as Simplified Chinese; here it is
    "zh-Hant", Traditional). Extensions and private use ("en-GB-u-ca-gregory", "cy-x-clinic")
    say nothing Babel reads and are dropped. Underscores are taken as hyphens, so a catalogue
    folder's name ("zh_Hans") parses too.
    """
    subtags: list[str] = []
    for subtag in tag.strip().replace("_", "-").split("-"):
        if len(subtag) == 1:  # a singleton starts an extension or private use
            break
        subtags.append(subtag)
    try:
        language, territory, script, variant = parse_locale("-".join(subtags), sep="-")[:4]
    except ValueError:
        return None
    if language == "und":  # "undetermined": Babel would make it American English
        return None
    tried: list[tuple[str | None, ...]] = []
    for parts in (
        (language, territory, script, variant),
        (language, territory, script, None),
        (language, None, script, None),
    ):
        if parts in tried:
            continue
        tried.append(parts)
        try:
            locale = Locale.parse(get_locale_identifier(parts))
        except (ValueError, UnknownLocaleError):
            continue
        if script is None or _script(locale) == script:
            return locale
    return None


def supported_languages() -> tuple[str, ...]:
    """The tags of the languages a leaflet's fixed text can be written in: English (the
    message ids) first, then each language with a catalogue, by tag.

    Read from the catalogue folders, so adding a language is adding its .po file.
    """
    return (SOURCE_LANGUAGE, *sorted(_tag(folder) for folder in _catalogue_locales()))


def catalogue_for(tag: str) -> gettext.NullTranslations:
    """The translations of the fixed text for a language, ready for Jinja2's i18n extension
    (`install_gettext_translations(catalogue_for(tag), newstyle=True)`).

    English ("en", "en-GB", "en-US", ...) is served by a `gettext.NullTranslations`, which
    gives back the English message ids. Any other tag takes the catalogue of the same language
    written in the same script, preferring one for the same region, then one for no region:
    "cy-GB" takes cy, "ur-PK" takes ur, "pa" and "pa-Guru" take pa (Gurmukhi), "zh",
    "zh-CN" and "zh-Hans-CN" take zh_Hans. A script the tag leaves out is the one CLDR says
    the language is most likely written in for that region, so "zh-TW" (Traditional Chinese)
    and "pa-Arab" (Shahmukhi) find no catalogue rather than one their readers cannot read.

    Each catalogue is read and compiled once and then shared.

    Raises LookupError, naming the languages that have a catalogue, for a tag Babel does not
    know or a language with no catalogue.
    """
    locale = parse_language(tag)
    if locale is None:
        raise LookupError(
            f"{tag!r} is not a language tag that Babel knows (write it as BCP 47, like 'cy' "
            f"or 'zh-Hans'); the languages with a catalogue are {_offered()}"
        )
    if locale.language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    folder = _closest_catalogue(locale)
    if folder is None:
        raise LookupError(
            f"there is no catalogue of the leaflets' fixed text in "
            f"{locale.get_display_name('en')} ({tag!r}); the languages with one are "
            f"{_offered()}"
        )
    return _compiled(folder)


def long_date(day: datetime.date, tag: str) -> str:
    """A date written out the way the language writes it in running text, from CLDR's "long"
    date format through Babel (for 1 October 2026):

    - en, en-GB: "1 October 2026" (plain "en" is taken as British English; "en-US" gives
      "October 1, 2026")
    - cy: "1 Hydref 2026"
    - pl: "1 października 2026" (the month in the genitive, as Polish writes a date)
    - ro: "1 octombrie 2026"
    - uk: "1 жовтня 2026", then a narrow no-break space (U+202F) and the Ukrainian
      abbreviation of "year"
    - ar: "1 أكتوبر 2026"
    - ur: "1 اکتوبر، 2026"
    - bn: "1 অক্টোবর, 2026"
    - pa: "1 ਅਕਤੂਬਰ 2026"
    - zh-Hans: "2026年10月1日"

    Babel writes the numbers of a date in Latin digits (0-9) in every language: Arabic, Urdu
    and Punjabi too, and Bengali, whose usual digits in CLDR are Bengali ones.

    Raises LookupError for a tag Babel does not know.
    """
    return format_date(day, format="long", locale=_known(tag, for_dates=True))


def is_right_to_left(tag: str) -> bool:
    """Whether the language is written from right to left (Arabic, Urdu, Punjabi in Shahmukhi:
    "pa-Arab"), from CLDR's character order, so the page can set `dir="rtl"`.

    Raises LookupError for a tag Babel does not know.
    """
    return _known(tag).character_order == "right-to-left"


def language_name(tag: str, in_tag: str | None = None) -> str:
    """The name of a language: in its own language (the autonym: "Cymraeg", "اردو",
    "简体中文") when `in_tag` is None, otherwise in the language of `in_tag`
    (`language_name("cy", "en")` is "Welsh").

    A script the tag names is part of the name ("zh-Hans" is "简体中文" or "Simplified
    Chinese", "pa-Guru" is "ਪੰਜਾਬੀ (ਗੁਰਮੁਖੀ)"), since readers of one script cannot read
    another; a region is not, as it does not change the language a reader reads.

    An autonym stands alone, as a reader's way in to their language ("This leaflet in other
    languages"), so its first letter is a capital, as a list of languages has it in Polish,
    Romanian or Ukrainian ("Polski", "Română", "Українська"), though CLDR (and Babel) write
    those names in lower case. A name in another language is as CLDR writes it in running text
    ("angielski" in Polish), for a sentence such as "Translated from the %(language)s leaflet".

    Raises LookupError for a tag Babel does not know.
    """
    locale = _known(tag)
    where = locale if in_tag is None else _known(in_tag)
    name = None
    if locale.script:
        name = where.languages.get(f"{locale.language}_{locale.script}")
    if name is None:
        name = where.languages.get(locale.language) or locale.language
        script = where.scripts.get(locale.script) if locale.script else None
        if script:
            name = f"{name} ({script})"
    if in_tag is None:
        name = name[:1].upper() + name[1:]
    return name


# --- the catalogues ------------------------------------------------------------------------


def _locale_folder() -> Traversable:
    return resources.files("build_leaflets") / "locale"


@functools.cache
def _catalogue_locales() -> dict[str, Locale]:
    """Each catalogue folder's name, with its locale (read once: the folders are package
    data, which does not change while the tool runs)."""
    found: dict[str, Locale] = {}
    for folder in _locale_folder().iterdir():
        if folder.is_dir() and (folder / "LC_MESSAGES" / f"{DOMAIN}.po").is_file():
            locale = parse_language(folder.name)
            if locale is not None:
                found[folder.name] = locale
    return found


def _closest_catalogue(locale: Locale) -> str | None:
    """The folder of the catalogue for the locale's language in its script: the one for its
    region, else the one for no region, else one for another region."""
    script = _script(locale)
    matches = [
        folder
        for folder, offered in sorted(_catalogue_locales().items())
        if offered.language == locale.language and _script(offered) == script
    ]
    for wanted in (locale.territory, None):
        for folder in matches:
            if _catalogue_locales()[folder].territory == wanted:
                return folder
    return matches[0] if matches else None


def _script(locale: Locale) -> str | None:
    """The locale's script, or the one CLDR says is most likely for its language and region
    ("zh-TW" is written in Hant, "pa" in Guru)."""
    if locale.script:
        return locale.script
    likely: Mapping[str, str] = get_global("likely_subtags")
    keys = [f"{locale.language}_{locale.territory}"] if locale.territory else []
    for key in [*keys, locale.language]:
        if key in likely:
            script: str | None = parse_locale(likely[key])[2]
            return script
    return None


@functools.cache
def _compiled(folder: str) -> Translations:
    """A catalogue read from its .po file and compiled in memory. A catalogue that is not
    well formed fails here, loudly, rather than leaving its messages in English."""
    po = _locale_folder() / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as file:
        catalogue = read_po(file, locale=folder, domain=DOMAIN, abort_invalid=True)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _tag(folder: str) -> str:
    return folder.replace("_", "-")


def _offered() -> str:
    """The languages with a catalogue, for a message: "en (English), ar (Arabic), ..."."""
    return ", ".join(f"{tag} ({language_name(tag, 'en')})" for tag in supported_languages())


def _known(tag: str, *, for_dates: bool = False) -> Locale:
    locale = parse_language(tag)
    if locale is None:
        raise LookupError(
            f"{tag!r} is not a language tag that Babel knows (write it as BCP 47, like 'cy' "
            f"or 'zh-Hans')"
        )
    if for_dates and locale.language == SOURCE_LANGUAGE and locale.territory is None:
        return _BRITISH
    return locale
