"""The local provider for `make run`: keeps every message in the database instead of sending it.

`GET /ops/local-sms` (role `ops`, audited) shows them, so a person can see what would have gone
out. Delivery is immediate (`delivered`), and lookups answer from the same collection, so the
crash-recovery path is exercised locally too.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from pymongo.errors import ConnectionFailure, PyMongoError

from notification.domain.message import DeliveryStatus
from notification.service_layer.ports import (
    Accepted,
    Found,
    LookupFailed,
    LookupOutcome,
    NotFound,
    OutgoingSms,
    SendOutcome,
    StoredSms,
    Unavailable,
)


class LocalStore(Protocol):
    async def add(self, sms: StoredSms) -> None: ...

    async def find(self, message_id: str) -> StoredSms | None: ...


class LocalProvider:
    name = "local"
    supports_lookup = True

    def __init__(self, log: LocalStore, clock: Any) -> None:
        self._log = log
        self._clock = clock

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        provider_id = "local_" + uuid.uuid4().hex
        stored = StoredSms(provider_id, sms.message_id, sms.to, sms.sender, sms.text, self._clock.now())
        try:
            await self._log.add(stored)
        except ConnectionFailure as exc:
            return Unavailable(type(exc).__name__, ambiguous=True)
        return Accepted(provider_id, DeliveryStatus.DELIVERED)

    async def lookup(self, sms: OutgoingSms, since: Any) -> LookupOutcome:
        try:
            found = await self._log.find(sms.message_id)
        except PyMongoError as exc:
            return LookupFailed(type(exc).__name__)
        return Found(found.provider_id, DeliveryStatus.DELIVERED) if found else NotFound()
