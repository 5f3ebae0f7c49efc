"""Bearer-token authentication for the HTTP API: a FastAPI dependency over the `Authenticator` port.

`ROLES` names which roles may do what; a route asks for one of its permissions with `require`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from scheduling.service_layer.ports import Actor, Authenticator
from trygg_shared.http import ProblemError

ROLES: dict[str, tuple[str, ...]] = {
    "configure_teams": ("ops",),
    "read_teams": ("ops", "team", "oncall", "officer"),
    "absences": ("ops", "team"),
    "field": ("team",),
    "read_day": ("team", "oncall"),
    "read_plan": ("team", "oncall", "officer"),
    "read_audit": ("ops",),
}

_bearer = HTTPBearer(auto_error=False, description="Bearer token issued per API client.")


def require(authenticator: Authenticator, permission: str) -> Any:
    """A dependency that yields the caller's `Actor`: 401 without a known token, 403 without a role of `permission`."""
    allowed = set(ROLES[permission])

    async def actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
        found = authenticator.authenticate(credentials.credentials) if credentials else None
        if found is None:
            raise ProblemError(
                401, "Unauthorized", "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
            )
        if not set(found.roles) & allowed:
            raise ProblemError(403, "Forbidden", "Your role may not do this.")
        return found

    return Depends(actor)
