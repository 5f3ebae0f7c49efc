"""Bearer-token authentication for the HTTP API: a FastAPI dependency over the `Authenticator` port."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from billing.service_layer.ports import Actor, Authenticator, Role
from trygg_shared.http import ProblemError

_bearer = HTTPBearer(auto_error=False, description="Bearer token issued per API client.")


def require(authenticator: Authenticator, *allowed: Role) -> Any:
    """A dependency that yields the caller's `Actor`: 401 without a known token, 403 without a role in `allowed`."""
    names = {role.value for role in allowed}

    async def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
        if credentials is None:
            raise ProblemError(
                401, "Unauthorized", "A bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
            )
        actor = authenticator.authenticate(credentials.credentials)
        if actor is None:
            raise ProblemError(401, "Unauthorized", "The token is not valid.", headers={"WWW-Authenticate": "Bearer"})
        if not names & set(actor.roles):
            raise ProblemError(403, "Forbidden", f"Needs one of the roles: {', '.join(sorted(names))}.")
        return actor

    return Depends(check)
