"""A store that refuses content for good is told apart from one that is down, on the real MongoDB wire.

FerretDB on PostgreSQL answers `InternalError` (code 1) quoting `SQLSTATE 22P05` for a U+0000 in a
string: a retry can never store it, so the port raises `StorageRejected` (HTTP 422), not
`StorageUnavailable` (HTTP 503 with Retry-After, which made a hospital system resend for ever).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from referral.adapters.mongo import MongoInbox
from referral.service_layer.ports import InboundRecord, IntakeAnswer
from trygg_shared.aggregate import StorageRejected


def _record(body: dict[str, Any]) -> InboundRecord:
    return InboundRecord(
        sender_id="region-a",
        webhook_id="msg-nul",
        case_id="case-nul",
        message_type="utskrivningsklar",
        body=body,
        answer=IntakeAnswer("case-nul", "m-1"),
        received_at=datetime.now(UTC),
    )


async def test_a_nul_the_store_refuses_is_storage_rejected_not_unavailable(db: AsyncDatabase[Any]) -> None:
    with pytest.raises(StorageRejected):
        await MongoInbox(db).add(_record({"patient": {"family_name": "Lind\u0000qvist"}}))


async def test_a_nul_in_a_key_the_driver_cannot_encode_is_storage_rejected(db: AsyncDatabase[Any]) -> None:
    with pytest.raises(StorageRejected):
        await MongoInbox(db).add(_record({"\u0000": 1}))
