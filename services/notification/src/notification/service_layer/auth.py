"""Who calls the API: an actor with roles (the authenticator adapter checks the bearer token)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    OFFICER = "officer"
    TEAM = "team"
    ONCALL = "oncall"  # on-call staff: read and acknowledge alerts
    OPS = "ops"  # operations: rotas, message status, the local provider's messages, audit


@dataclass(frozen=True)
class Actor:
    subject: str
    roles: tuple[str, ...]

    def has(self, *roles: Role) -> bool:
        return any(r.value in self.roles for r in roles)


class Authenticator(Protocol):
    def authenticate(self, bearer: str) -> Actor | None: ...
