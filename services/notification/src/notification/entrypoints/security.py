"""Bearer-token authentication for the HTTP API: a FastAPI dependency over the `Authenticator` port."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from notification.service_layer.auth import Actor, Authenticator, Role
from trygg_shared.http import ProblemError

_bearer = HTTPBearer(auto_error=False, description="Bearer token issued per API client.")


def require(authenticator: Authenticator, *allowed: Role) -> Any:
    """A dependency that yields the caller's `Actor`: 401 without a known token, 403 without a role in `allowed`."""
    names = {role.value for role in allowed}

    async def actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
        found = authenticator.authenticate(credentials.credentials) if credentials else None
        if found is None:
            raise ProblemError(
                401, "Unauthorized", "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
            )
        if not set(found.roles) & names:
            raise ProblemError(403, "Forbidden", "Your role may not do this.")
        return found

    return Depends(actor)
