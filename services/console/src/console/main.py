"""The console's app factory: `uvicorn console.main:create_app --factory`."""

from __future__ import annotations

from console.bootstrap import bootstrap
from console.config import Settings
from console.entrypoints.web import static_files
from trygg_shared.service import ServiceApp

DESCRIPTION = """
The operations console of Trygg hemgång: cases by time left before payment liability, today's
visits, on-call alerts and the follow-up figures, built only from the other services' events
(its own read model). HTML pages for people (sign in at `/login`); the figures also as JSON and CSV.
"""


APP = ServiceApp(
    Settings,
    bootstrap,
    title="Trygg hemgång: operations console",
    description=DESCRIPTION,
    finish=lambda _console, app: app.mount("/static", static_files(), name="static"),
)
create_app = APP.create_app
http_app = APP.http_app
