"""Readability: Flesch Reading Ease, Flesch-Kincaid grade and SMOG for patient leaflets.

Leaflets must be easy to read, so we measure them. We compute the scores ourselves, counting
syllables with pyphen's hyphenation dictionary plus a vowel-group heuristic, rather than use a
readability library: the usual one (textstat) downloads data at run time, which fails on locked
down hospital networks. This module imports nothing else from the package, so it can be used
(and tested) on its own.

Input is plain text already free of markup, one block per line, where a block is a paragraph, a
list item or a heading. The counting rules:

Sentences
    A sentence ends at ``.``, ``!`` or ``?`` (or a run of them, or ``…``), optionally followed by
    closing quotes or brackets, and then by a space or the end of the line. A full stop does not
    end a sentence when it is part of a number (``2.5``) or follows a common abbreviation
    (``e.g.``, ``i.e.``, ``etc.``, ``Dr.``, ``Mr.``, ``Mrs.``, ``Ms.``, ``St.``, ``approx.``,
    ``Prof.``, ``vs.``). ``No.``, ``Tel.`` and ``Ext.`` are abbreviations only before a number
    (``No. 5``), so that "No. You do not have to pay." is still two sentences. The cost: a
    sentence that really does end with an abbreviation ("... pens, paper etc. Then ...") runs
    on into the next one, unless it is the end of the line.

    Every line that has words after its last sentence end counts as one more sentence, so a
    list item or a heading without a full stop is a sentence-like unit of its own. This is how
    readability tools treat bullet points: otherwise a list would merge into one giant
    sentence and the leaflet would be scored as harder than it is. Empty lines, and lines
    with no words (such as a lone ``-``), count for nothing.

Words
    Runs of letters and digits, with internal apostrophes (``don't``, straight or curly) and
    hyphens (``self-harm``): a hyphenated word is one word, whose syllables are the sum of its
    parts.
    A token with a digit in it (``16``, ``12-16``, ``2.5``, ``9:30``, ``9am``) is a number:
    one word of one syllable, as Flesch's own instructions count "figures, symbols and their
    combinations". A phone number written with spaces is several such words. An abbreviation
    written with full stops between single letters (``e.g.``, ``i.e.``, ``a.m.``) is likewise
    one word of one syllable.

Syllables
    See `count_syllables`. A polysyllable (for SMOG) is a word of three syllables or more.

Scores
    See `scores`. Text with no words (or no sentences) scores 0.0 on all three, with zero
    counts, rather than dividing by zero. Scores are not rounded: round them for display.
"""

from __future__ import annotations

import collections
import functools
import math
import re
import unicodedata
from dataclasses import dataclass

import pyphen

__all__ = ["Readability", "count_syllables", "measure", "scores"]


@dataclass(frozen=True)
class Readability:
    """The counts a text was scored on, with the scores, so a report can show its working."""

    words: int
    sentences: int
    syllables: int
    polysyllables: int
    flesch_reading_ease: float
    flesch_kincaid_grade: float
    smog: float


# ---------------------------------------------------------------------------------------------
# Scores


def scores(
    words: int, sentences: int, syllables: int, polysyllables: int
) -> tuple[float, float, float]:
    """Flesch Reading Ease, Flesch-Kincaid grade and SMOG grade from counts.

    Kept apart from the counting so that the formulas can be checked against published worked
    examples, whose counts are given, without depending on our syllable counter:

    - Flesch Reading Ease = 206.835 - 1.015 * (words / sentences) - 84.6 * (syllables / words)
    - Flesch-Kincaid grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59
    - SMOG grade = 1.0430 * sqrt(polysyllables * 30 / sentences) + 3.1291

    McLaughlin (1969) defined SMOG on a sample of 30 sentences; a leaflet usually has fewer, so
    the polysyllable count is scaled to 30 sentences (the normalised form above). That is the
    usual practice, but SMOG on a very short text is only a rough guide.

    With no words or no sentences all three are 0.0: there is nothing to score.
    """
    if min(words, sentences, syllables, polysyllables) < 0:
        raise ValueError("counts cannot be negative")
    if words == 0 or sentences == 0:
        return 0.0, 0.0, 0.0
    words_per_sentence = words / sentences
    syllables_per_word = syllables / words
    reading_ease = 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word
    grade = 0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59
    smog = 1.0430 * math.sqrt(polysyllables * 30 / sentences) + 3.1291
    return reading_ease, grade, smog


# ---------------------------------------------------------------------------------------------
# Syllables

_VOWELS = frozenset("aeiou")  # "y" is decided by position: see `_vowel_flags`

# Vowel pairs that the vowel-group count reads as one syllable but that are usually two. Each
# match adds one. The exceptions keep the common one-syllable spellings: "-cial", "-tian",
# "-tion", "-sion", "-gion", "-cious", "-lion", "-nion", "-iour", "quality", "language",
# "marriage", "guide", "build".
_SPLIT_VOWELS = re.compile(
    r"""
      (?<![cstg])ia(?!ges?$)        # dial, media, anorexia (not special, initial, marriage)
    | (?<=[cstg])ia(?![ln]|$)       # associate, initiate (but dementia, Asia are one)
    | (?<![cstxghln])io(?!ur)       # period, violence, serious (not behaviour, anxious)
    | iet                           # anxiety, quiet, diet, society
    | (?<![cst])ien[ct]             # experience, client, audience (not patient, ancient)
    | (?<![qg])u[ao]                # usual, actual, situation, continuous, fluoride
    | (?<![qgb])ui(?=[nd])          # ruin, genuine, fluid, continuing (not guide, build)
    | iu                            # lithium, medium, calcium
    | uici                          # suicide, suicidal (not juice)
    """,
    re.VERBOSE,
)

# Endings whose stem ends in a silent "e" ("safe-ly", "some-one", "there-fore"): the vowel
# groups of the whole word would count that "e" as a syllable, so the parts are counted apart.
_SUFFIXES = (
    "ly",
    "ful",
    "fully",
    "fulness",
    "ment",
    "ments",
    "ness",
    "less",
    "lessly",
    "lessness",
    "one",
    "thing",
    "things",
    "time",
    "times",
    "where",
    "body",
    "work",
    "fore",
    "line",
    "lines",
    "style",
)


def _vowel_flags(word: str) -> list[bool]:
    """Which letters are vowels; "y" is one unless a vowel follows ("yes", "beyond", "player")."""
    flags = [ch in _VOWELS for ch in word]
    for i, ch in enumerate(word):
        if ch == "y":
            flags[i] = not (i + 1 < len(word) and word[i + 1] in _VOWELS)
    return flags


def _is_consonant(word: str, flags: list[bool], i: int) -> bool:
    return 0 <= i < len(word) and word[i].isalpha() and not flags[i]


def _syllabic_ending(word: str, flags: list[bool], e_index: int) -> bool:
    """Is the "e" at `e_index` heard, as in "table", "centre", "settled" (consonant + l/r + e)?"""
    before = e_index - 1
    return (
        before >= 1
        and word[before] in "lr"
        and _is_consonant(word, flags, before - 1)
        and word[before - 1] != word[before]  # "gazelle", "bizarre": silent
    )


def _vowel_groups(word: str) -> int:
    """Syllables of one lower-case word by vowel groups, with the usual English adjustments."""
    for suffix in _SUFFIXES:
        stem = word[: -len(suffix)]
        if (
            word.endswith(suffix)
            and len(stem) >= 3
            and stem.endswith("e")
            and stem[-2] not in _VOWELS
            and any(ch in _VOWELS or ch == "y" for ch in stem[:-2])
        ):
            return max(1, _vowel_groups(stem)) + max(1, _vowel_groups(suffix))

    flags = _vowel_flags(word)
    groups = sum(1 for i, vowel in enumerate(flags) if vowel and (i == 0 or not flags[i - 1]))
    if groups == 0:
        return 0
    n = len(word)
    if groups > 1 and word.endswith("e") and _is_consonant(word, flags, n - 2):
        # Silent final "e" ("make", "hope"), but not "table" or "centre".
        if not _syllabic_ending(word, flags, n - 1):
            groups -= 1
    elif groups > 1 and word.endswith(("ed", "es")) and _is_consonant(word, flags, n - 3):
        # "hoped", "likes", "clothes" lose a syllable; "wanted", "needed", "boxes", "wishes",
        # "places", "changes" and "tables", "settled" keep it.
        heard_after = "td" if word.endswith("ed") else "sxzcg"
        if (
            word[n - 3] not in heard_after
            and not word.endswith(("ches", "shes"))
            and not _syllabic_ending(word, flags, n - 2)
        ):
            groups -= 1
    if groups > 1 and word.endswith(("que", "gue")):
        groups -= 1  # "technique", "fatigue"
    groups += len(_SPLIT_VOWELS.findall(word))
    if groups > 1 and word.endswith(("ea", "eas")):
        groups += 1  # "area", "ideas" (but "sea", "tea" have one group)
    if word.endswith(("ism", "isms")):
        groups += 1  # "autism": the "m" is heard as a syllable
    if re.search(r"[b-df-hj-np-tv-z]n't$", word):
        groups += 1  # "couldn't", "isn't" (but "don't", "can't")
    return groups


@functools.cache
def _dictionary() -> pyphen.Pyphen:
    """The en_GB hyphenation dictionary, loaded once on first use (pyphen ships it; no network)."""
    return pyphen.Pyphen(lang="en_GB")


@functools.lru_cache(maxsize=8192)
def _part_syllables(part: str) -> int:
    """Syllables of one lower-case word without hyphens: the larger count, and at least 1."""
    pieces = len(_dictionary().positions(part)) + 1
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", part) if not unicodedata.combining(ch)
    )
    return max(1, pieces, _vowel_groups(plain))


_HYPHENS = re.compile(r"[-\u2010\u2011]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


@functools.lru_cache(maxsize=65536)  # a catalogue's vocabulary repeats: count each word once
def count_syllables(word: str) -> int:
    """Syllables in one word: the larger of pyphen's count and a vowel-group count, at least 1.

    pyphen alone undercounts. Hyphenation points are where a line may be broken, which is not
    the same as every syllable: the en_GB patterns never leave fewer than two letters on either
    side of a break, and leave many words whole. It gives "therapy" 2 (ther-apy, not 3),
    "anxiety" 2 (anxi-ety, not 4) and no break at all in "table", "people", "every" or
    "quiet". The vowel-group count catches those but misjudges others, such as "create" (1, not
    2) or "being" (1, not 2), where pyphen is right. Each errs mostly by counting too few, so
    taking the larger is the better of the two; the heuristic rarely overcounts.

    The vowel groups are runs of a, e, i, o, u and y (y not before a vowel), adjusted for a
    silent final "e" (but "-le"/"-re" after a consonant, "table", "centre", is heard), "-ed"
    and "-es" endings that are not heard ("hoped", "likes"; but "wanted", "boxes"), vowel
    pairs that are usually two syllables ("period", "anxiety", "usual"), and a silent "e" at
    the end of a stem ("safely", "someone"). A hyphenated word counts the sum of its parts.

    "every" counts 3 (ev-er-y), as dictionaries divide it; many speakers say 2 (ev-ry). Known
    misses include initialisms ("NHS" counts 1) and words like "maybe" and "recipe", whose
    final "e" is heard; input is lower-cased, so capitals cannot tell an initialism apart.
    The count is an estimate, as in every readability tool; it only has to be good on average.

    An empty string, or one with no letters or digits, has 0 syllables.
    """
    text = word.lower().translate(_APOSTROPHES)
    return sum(
        _part_syllables(part) for part in _HYPHENS.split(text) if any(ch.isalnum() for ch in part)
    )


# ---------------------------------------------------------------------------------------------
# Words and sentences

# Letters/digits, joined by internal apostrophes or hyphens; between digits, by the punctuation
# of numbers: "2.5", "1,000", "9:30", "24/7", "12-16" (with a hyphen or an en dash); between
# single letters, by the full stops of an abbreviation: "e.g", "i.e", "a.m".
_JOINER = (
    r"(?:['\u2019\u02bc\-\u2010\u2011]"
    r"|(?<=\d)[.,:/\u2013](?=\d)"
    r"|(?<=\b[^\W\d_])\.(?=[^\W\d_]\b))"
)
_TOKEN = re.compile(rf"[^\W_]+(?:{_JOINER}[^\W_]+)*")
_DIGIT = re.compile(r"\d")
_HAS_WORD = re.compile(r"[^\W_]")
_SENTENCE_END = re.compile(r"(?:[.!?\u2026]+)[\"'\u201d\u2019)\]]*(?=\s|$)")
_NUMBER_AFTER = re.compile(r"\s+\d")

# Abbreviations (lower case, without the final full stop) whose full stop ends no sentence, and
# those whose full stop ends no sentence only when a number follows ("No. 5", "Ext. 20").
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "dr", "mr", "mrs", "ms", "st", "approx", "prof", "vs"}
)
_NUMBER_ABBREVIATIONS = frozenset({"no", "tel", "ext"})


def _is_abbreviation(line: str, end: re.Match[str]) -> bool:
    """Is this sentence end really the full stop of an abbreviation ("e.g.", "Dr.", "No. 5")?"""
    if end.group() != ".":
        return False
    start = end.start()
    if start == 0 or not line[start - 1].isalpha():
        return False  # "2.", "word)." and the like: no abbreviation ends just before
    while start > 0 and (line[start - 1].isalpha() or line[start - 1] == "."):
        start -= 1
    before = line[start : end.start()].lstrip(".").lower()
    if before in _ABBREVIATIONS:
        return True
    return before in _NUMBER_ABBREVIATIONS and _NUMBER_AFTER.match(line, end.end()) is not None


def _count_sentences(line: str) -> int:
    """Sentences in one block: its sentence ends, plus one if words follow the last of them."""
    count = 0
    start = 0
    for end in _SENTENCE_END.finditer(line):
        if _is_abbreviation(line, end):
            continue
        if _HAS_WORD.search(line, start, end.start()):
            count += 1
        start = end.end()
    if _HAS_WORD.search(line, start):
        count += 1
    return count


def measure(text: str) -> Readability:
    """Count and score plain text, one block (paragraph, list item, heading) per line.

    The rules for sentences, words and syllables are in the module's docstring.
    """
    sentences = sum(_count_sentences(line) for line in text.splitlines() if line.strip())
    # No word runs across a line's end (no joiner matches one), so the whole text's words are
    # every line's; a leaflet's vocabulary repeats, so each distinct word is counted once.
    words = syllables = polysyllables = 0
    for word, times in collections.Counter(_TOKEN.findall(text)).items():
        count = 1 if "." in word or _DIGIT.search(word) else count_syllables(word)
        words += times
        syllables += count * times
        if count >= 3:
            polysyllables += times
    if words == 0 or sentences == 0:
        return Readability(0, 0, 0, 0, 0.0, 0.0, 0.0)
    reading_ease, grade, smog = scores(words, sentences, syllables, polysyllables)
    return Readability(words, sentences, syllables, polysyllables, reading_ease, grade, smog)
