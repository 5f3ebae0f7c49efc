"""The console's app factory: `uvicorn console.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from console.bootstrap import Console, bootstrap
from console.config import Settings
from console.entrypoints.web import static_files
from trygg_shared.service import create_process_app, create_service_app

DESCRIPTION = """
The operations console of Trygg hemgång: cases by time left before payment liability, today's
visits, on-call alerts and the follow-up figures, built only from the other services' events
(its own read model). HTML pages for people (sign in at `/login`); the figures also as JSON and CSV.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_process_app(settings or Settings(), bootstrap, http_app)


def http_app(console: Console, *, lifespan_enabled: bool = True) -> FastAPI:
    app = create_service_app(
        console.runtime,
        title="Trygg hemgång: operations console",
        description=DESCRIPTION,
        lifespan_enabled=lifespan_enabled,
    )
    app.mount("/static", static_files(), name="static")
    return app
