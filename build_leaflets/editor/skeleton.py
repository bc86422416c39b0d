"""Skeleton: the text a new leaflet starts with, a draft that passes check as it stands.

Each required section holds a sentence saying what to write there, for the writer to replace;
the optional sections are left out (the form shows them, empty, to be filled in or not).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from build_leaflets.editor.parse import in_model_order

#: What to write in each required section, in the words a writer would use.
_PROMPTS = {
    "what": "Replace this text. Say what the treatment or service is, in a few short sentences.",
    "who": "Replace this text. Say who it is for, and who it may not suit.",
    "preparation": "Replace this text. Say what a patient needs to do to get ready, if anything.",
    "risks": "Replace this text. Say what could go wrong or feel hard, and what to do then.",
    "alternatives": "Replace this text. Say what else could help, including doing nothing.",
}


def new_leaflet_data(reference: str, today: dt.date) -> dict[str, Any]:
    """A new draft leaflet, version 1, last updated `today`, for the "New leaflet" form."""
    data: dict[str, Any] = {
        "reference": reference,
        "version": 1,
        "title": "Replace this with the leaflet's title",
        "last_updated": today,
        "status": "draft",
        **{key: f"{prompt}\n" for key, prompt in _PROMPTS.items()},
    }
    return in_model_order(data)
