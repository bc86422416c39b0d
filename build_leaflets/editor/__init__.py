"""Editor: the form in which clinic staff edit a leaflet without touching YAML.

The form's inputs are generated from the leaflet model (`fields`); the page is worked out
(`page`) from what the server gives it (`context`) and rendered as one accessible page
(`form`); what it posts comes back as plain data (`parse`); a small script checks as you type
against the server (`live`). A new leaflet starts from a skeleton that passes check
(`skeleton`). The routes that serve the page and save the file live with the preview server;
`form` holds the whole API they use.
"""

from __future__ import annotations

from build_leaflets.editor import form
from build_leaflets.editor.fields import FieldSpec
from build_leaflets.editor.form import *  # noqa: F403  (the API is `form`'s, listed once there)

__all__ = [*form.__all__, "FieldSpec"]
