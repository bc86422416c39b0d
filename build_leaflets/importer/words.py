"""Words: proof that every word of the document's text is somewhere in the draft.

The words of the source are counted by the reader straight from the document (for Word, from
the XML's text elements, independently of how paragraphs were read). The words of the draft are
counted from the YAML as written: every value, and the lines its comments record as taken out
of the text (governance and contact lines). Any word the source has more often than the draft
was dropped, and is reported by name. Counting (not just looking up) means a paragraph lost
whose words happen to appear elsewhere is still found.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from build_leaflets.importer.blocks import words
from build_leaflets.importer.emit import used_lines


def in_draft(text: str) -> Counter[str]:
    """The words of a draft leaflet file: its values and the lines it records as used."""
    found: Counter[str] = Counter()
    for value in _strings(yaml.safe_load(text)):
        found.update(words(value))
    for line in used_lines(text):
        found.update(words(line))
    return found


def dropped(source: Counter[str], draft: Counter[str]) -> list[str]:
    """The words the source has that the draft lacks, in a stable order, each as often as
    it is missing."""
    missing = source - draft
    return sorted(missing.elements())


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [str(value)] if value is not None else []
