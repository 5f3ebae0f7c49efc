"""What the notification API's route modules share: patterns, the request base model, the HTML page
(response models are the chassis' `trygg_shared.http.Out`)."""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict

from trygg_shared.http import problem

ID = r"^[A-Za-z0-9_.:\-]{1,200}$"
CODE = r"^[A-Za-z0-9]{4,16}$"
E164 = r"^\+[1-9]\d{6,14}$"

PathId = Annotated[str, Path(pattern=ID)]
PathCode = Annotated[str, Path(pattern=CODE)]
Limit = Annotated[int, Query(ge=1, le=500)]  # how many items a list answers at the most


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


HTML_OK: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "An HTML page."}
}


LOCAL_ONLY: dict[int | str, dict[str, Any]] = {404: problem("The local provider is not in use here.")}


def page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='sv'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
