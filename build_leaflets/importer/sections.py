"""Sections: each heading matched to a standard section by what it asks, not by its exact words.

Leaflets ask the standard questions in their own words ("Are there any side effects?" is
`risks`, "Do I need to do anything before my appointment?" is `preparation`). A heading is
matched in three steps, and the report says which one matched:

1. **wording**: the heading is normalised (lower case, no punctuation, the leaflet's own subject
   such as "integrated psychological therapy" or "IPT", and "the therapy", "this treatment",
   replaced by "it"), then searched for the key words of each section ("side effects",
   "other options", "referred", "how long"), most specific section first;
2. **fuzzy**: failing that, compared with a table of usual wordings using the standard
   library's `difflib.SequenceMatcher`; a ratio of 0.8 or more is a match. This catches typing
   mistakes ("alternitives", "side affects"). rapidfuzz is faster and has token-set scorers,
   but a leaflet has a dozen short headings and about sixty wordings to try, which difflib
   compares in about a millisecond, and word order is already handled by step 1: not worth a
   compiled dependency;
3. otherwise the heading and its text become an extra section, in their original place.

The original wording is always kept as the section's heading.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from build_leaflets.importer.blocks import Block
from build_leaflets.model import STANDARD_SECTIONS

CONTACT = "contact"
FUZZY_MINIMUM = 0.8

#: Key words of each section, most specific first (a heading about "the risks of not having
#: treatment" is about risks, and "copies of letters" is not `what`).
_RULES: list[tuple[str, tuple[str, ...]]] = [
    (
        "copies_of_letters",
        (
            r"\bcop(?:y|ies)\b.*\b(?:letters?|reports?)\b",
            r"\bletters? (?:and|or) reports?\b",
            r"\bcorrespondence\b",
        ),
    ),
    (
        "referral",
        (
            r"\brefer(?:ral|red|ring|rals)?\b",
            r"\bhow (?:do|can|will|should) i (?:get|access|start|book|ask for|be seen|apply)\b"
            r"(?! ready)",
            r"\bhow to (?:get|access|book|apply)\b",
        ),
    ),
    (
        "alternatives",
        (
            r"\balternatives?\b",
            r"\bother (?:options?|treatments?|therap(?:y|ies)|choices|approaches|services)\b",
            r"\bwhat else\b",
            r"\binstead\b",
            r"\bif i (?:do not|dont) (?:want|have)",
        ),
    ),
    (
        "risks",
        (
            r"\brisks?\b",
            r"\bside effects?\b",
            r"\bcomplications?\b",
            r"\bdisadvantages?\b",
            r"\bdownsides?\b",
            r"\bdangers?\b",
            r"\bis it safe\b",
            r"\bgo wrong\b",
            r"\bharm(?:ful)?\b",
        ),
    ),
    (
        "benefits",
        (
            r"\bbenefits?\b",
            r"\badvantages?\b",
            r"\bhow (?:can|will|might|could|does|would) it help\b",
            r"\bwhy (?:should|would|might) i\b",
            r"\bgood (?:can|will|does) it do\b",
        ),
    ),
    (
        "duration",
        (
            r"\bhow long\b",
            r"\bduration\b",
            r"\bhow many (?:sessions|appointments|visits|weeks)\b",
            r"\bhow often\b",
            r"\blength of\b",
        ),
    ),
    (
        "preparation",
        (
            r"\bprepar(?:e|ation|ing)\b",
            r"\bget(?:ting)? ready\b",
            r"\bbefore (?:my|your|the|i|it|starting|you)\b",
            r"\bwhat (?:should|do) i (?:need to )?bring\b",
            r"\bneed to do anything\b",
        ),
    ),
    (
        "first_appointment",
        (
            r"\bfirst (?:appointment|session|visit|meeting)\b",
            r"\bassessment\b",
            r"\binitial (?:appointment|session|meeting)\b",
            r"\bwhen i (?:arrive|come)\b",
        ),
    ),
    (
        CONTACT,
        (
            r"\bcontact\b",
            r"\bget in touch\b",
            r"\bhow to (?:reach|find|call) us\b",
            r"\buseful (?:numbers|contacts)\b",
        ),
    ),
    (
        "who",
        (
            r"^who\b",
            r"\bwho\b.*\bfor\b",
            r"\bwho (?:can|could|might|may|should) (?:have|use|get|benefit|attend|come|be)\b",
            r"\bis it (?:right|suitable) for\b",
            r"\bsuitable\b",
            r"\beligib",
        ),
    ),
    (
        "involves",
        (
            r"\binvolv",
            r"\bwhat happens (?:during|in|at) (?:the |each |a |my |your )?"
            r"(?:sessions?|therapy|treatment|it)\b",
            r"\bhow does it work\b",
            r"\bwhat to expect\b",
            r"\bwhat will happen\b",
            r"\bwhat happens\b$",
        ),
    ),
    (
        "what",
        (
            r"^what (?:is|are) (?:it|they)\b",
            r"^about it$",
            r"^what is\b",
            r"\bintroduction\b",
            r"\boverview\b",
            r"\bwhat does it mean\b",
            r"\babout (?:this|the|our) (?:leaflet|service)\b",
        ),
    ),
]
_COMPILED = [(key, re.compile("|".join(patterns))) for key, patterns in _RULES]

#: Usual wordings, for fuzzy matching (normalised as headings are).
WORDINGS: dict[str, tuple[str, ...]] = {
    "what": ("what is it", "what is this", "what are they", "about it", "introduction"),
    "who": ("who is it for", "who is this leaflet for", "who can have it", "is it right for me"),
    "preparation": (
        "what preparation is needed",
        "how do i prepare",
        "getting ready",
        "do i need to do anything before",
    ),
    "first_appointment": ("what happens at the first appointment", "your first appointment"),
    "involves": ("what does it involve", "what happens during it", "how does it work"),
    "duration": ("how long does it last", "how long will it take", "how many sessions"),
    "benefits": ("what are the benefits", "how can it help", "advantages"),
    "risks": ("what are the risks", "are there any side effects", "are there any risks"),
    "alternatives": ("what are the alternatives", "what other options are there"),
    "referral": ("how can i be referred", "how to be referred", "how do i get referred"),
    "copies_of_letters": ("copies of letters and reports", "letters and reports"),
    CONTACT: ("contact us", "contact details", "how to contact us"),
}

_GENERIC_SUBJECT = re.compile(
    r"\b(?:the|this|your|my|our) (?:therapy|treatment|procedure|operation|test|scan|service|"
    r"course|programme|program|group|medicine|medication|examination|investigation|leaflet|"
    r"approach|intervention|sessions?)\b"
)


def normalise(heading: str, subjects: tuple[str, ...] = ()) -> str:
    """A heading reduced to what it asks: lower case, words only, the subject as "it"."""
    text = heading.casefold().replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"^\s*(?:q\d*|\d+(?:\.\d+)*|[a-z]\))[.):]?\s+", "", text)
    text = re.sub(r"\([^)]*\)", " ", text)  # "(IPT)"
    text = text.replace("'", "")
    text = re.sub(r"[^\w\s]|_", " ", text)
    text = " ".join(text.split())
    for subject in sorted(subjects, key=len, reverse=True):
        if subject:
            text = re.sub(rf"\b{re.escape(subject)}\b", "it", text)
    text = _GENERIC_SUBJECT.sub("it", text)
    return " ".join(text.split())


def subjects_of(title: str) -> tuple[str, ...]:
    """What a leaflet is about, as its headings may name it: the title without its
    parenthesis, and any abbreviation in it ("Interpersonal psychotherapy (IPT)": both)."""
    found = [normalise(title)]
    found += [normalise(a) for a in re.findall(r"\(([^)]{2,12})\)", title)]
    words = found[0].split()
    if len(words) > 2:
        found.append(" ".join(words[-2:]))  # "psychological therapy" of a longer title
    return tuple(s for s in found if s and s not in ("it",))


@dataclass(frozen=True)
class Match:
    """Which section a heading answers, and how that was decided."""

    key: str | None
    how: str


def match_heading(heading: str, subjects: tuple[str, ...] = ()) -> Match:
    """The standard section (or `contact`) a heading asks about, if any."""
    text = normalise(heading, subjects)
    if not text:
        return Match(None, "no section matched")
    for key, question in STANDARD_SECTIONS.items():
        if text == normalise(question):
            return Match(key, "the standard question")
    for key, pattern in _COMPILED:
        found = pattern.search(text)
        if found:
            return Match(key, f'matched by wording "{found.group(0).strip()}"')
    best: tuple[float, str, str] = (0.0, "", "")
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(text)
    for key, wordings in WORDINGS.items():
        for wording in wordings:
            matcher.set_seq1(wording)
            if matcher.real_quick_ratio() < best[0] or matcher.quick_ratio() < best[0]:
                continue
            ratio = matcher.ratio()
            if ratio > best[0]:
                best = (ratio, key, wording)
    if best[0] >= FUZZY_MINIMUM:
        return Match(best[1], f'matched fuzzily, {best[0]:.2f} like "{best[2]}"')
    return Match(None, "no section matched")


@dataclass
class Placed:
    """A heading and the blocks under it, and where they went."""

    key: str  # a standard section, "extra", "contact"
    heading: str
    found_by: str  # how the heading was recognised: 'style "Heading 2"', "bold, 14 pt"
    matched_by: str  # how the section was chosen
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Layout:
    """A document sorted into the leaflet's parts."""

    intro: list[Block] = field(default_factory=list)
    sections: dict[str, Placed] = field(default_factory=dict)
    extras: list[Placed] = field(default_factory=list)  # and contact blocks, in their order
    notes: list[str] = field(default_factory=list)


def assign(blocks: list[Block], section_level: int, subjects: tuple[str, ...]) -> Layout:
    """Split the document at its section headings and give each part its place."""
    layout = Layout()
    groups: list[tuple[Block, list[Block]]] = []
    for block in blocks:
        if block.kind == "heading" and block.level <= section_level:
            groups.append((block, []))
        elif groups:
            groups[-1][1].append(block)
        else:
            layout.intro.append(block)
    previous: list[Block] = layout.intro
    for heading, body in groups:
        if not body:
            layout.notes.append(
                f'heading "{heading.plain}" has no text under it: kept as a bold line where it was'
            )
            previous.append(Block("paragraph", f"**{heading.text}**", heading.plain))
            continue
        match = match_heading(heading.plain, subjects)
        placed = Placed("extra", heading.plain, heading.how, match.how, body)
        previous = body
        if match.key == CONTACT:
            placed.key = CONTACT
            layout.extras.append(placed)
        elif match.key is None:
            layout.extras.append(placed)
        elif match.key in layout.sections:
            first = layout.sections[match.key]
            placed.matched_by = f"{match.how}; also {match.key}, which {first.heading!r} already is"
            layout.extras.append(placed)
        else:
            placed.key = match.key
            layout.sections[match.key] = placed
    return layout


def choose_section_level(blocks: list[Block], subjects: tuple[str, ...]) -> int:
    """The heading level that splits the document into sections: the level whose headings
    answer the most standard questions (the higher level on a tie); a document whose headings
    answer none is split at its highest level."""
    levels: dict[int, int] = {}
    for block in blocks:
        if block.kind == "heading":
            hit = match_heading(block.plain, subjects).key not in (None, CONTACT)
            levels[block.level] = levels.get(block.level, 0) + hit
    if not levels:
        return 1
    return max(sorted(levels), key=lambda level: (levels[level], -level))
