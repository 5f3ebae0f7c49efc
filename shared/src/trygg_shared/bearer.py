"""The bearer-token check of every service's HTTP API: a FastAPI dependency over the `Authenticator` port.

A route asks for the roles of one of its service's permissions (the service declares them as data,
e.g. `require(authenticator, PERMISSIONS["decide"])`) and gets the caller's `Actor`; the OpenAPI
document states the `HTTPBearer` scheme on it. Answers: 401 problem+json with
`WWW-Authenticate: Bearer` without a known token, 403 without one of the roles. Team scope (the
`teams` claim) is the route's to check, with `trygg_shared.auth.may_act_for_team`.
For entrypoints only (it imports FastAPI; the import-linter contracts keep it out of the core).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from trygg_shared.auth import Actor, Authenticator
from trygg_shared.http import ProblemError, bearer_required

bearer_scheme = HTTPBearer(auto_error=False, description="Bearer token issued per API client.")


def require(authenticator: Authenticator[Actor], allowed: Collection[str]) -> Any:
    """A dependency that yields the caller's `Actor`: 401 without a known token, 403 without a role in `allowed`."""
    names = frozenset(str(role) for role in allowed)
    if not names:
        raise ValueError("a route needs at least one role")

    async def actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]) -> Actor:
        found = authenticator.authenticate(credentials.credentials) if credentials else None
        if found is None:
            raise bearer_required()
        if not found.has(*names):
            raise ProblemError(403, "Forbidden", "Your role may not do this.")
        return found

    return Depends(actor)
