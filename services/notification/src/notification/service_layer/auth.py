"""Who calls the API: the roles and what each may do, as data; the chassis checks them.

Routes ask for a permission (`require(authenticator, PERMISSIONS["read_alerts"])`, `trygg_shared.bearer`);
the actor and the authenticator port are the chassis' (`trygg_shared.auth`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from trygg_shared import auth


class Role(StrEnum):
    OFFICER = "officer"  # no access to notification's API
    TEAM = "team"  # no access to notification's API
    ONCALL = "oncall"  # on-call staff: read and acknowledge alerts
    OPS = "ops"  # operations: rotas, message status, the local provider's messages, audit


PERMISSIONS: Mapping[str, frozenset[Role]] = {
    "read_alerts": frozenset({Role.ONCALL, Role.OPS}),  # alerts and a case's messages
    "acknowledge": frozenset({Role.ONCALL}),
    "operate": frozenset({Role.OPS}),  # rotas, message status, consent log, local SMS, audit
}

Actor = auth.Actor
Authenticator = auth.Authenticator[Actor]
