"""Warm: imported once by the process that starts a build's workers (multiprocessing's fork
server), so every worker forked from it already has WeasyPrint and the bundled fonts' config.

Workers are not forked from the build itself, which by then holds the whole catalogue (about
0.1 MB a leaflet): a worker forked from it would carry all of it, so its memory would grow with
the catalogue. Forked from this small process instead, each worker holds only what it is sent:
one leaflet at a time. Importing WeasyPrint here, once, spares each worker doing it again.
"""

from __future__ import annotations

import contextlib

from build_leaflets import pdf, produce  # noqa: F401  (what every worker runs)

# A problem here (a font folder that cannot be written, say) is met again by each worker,
# which reports it against the leaflet it was laying out.
with contextlib.suppress(Exception):
    pdf.load_weasyprint()
