"""Which store errors a retry can fix, and which it never can.

A 503 (and `Retry-After`) tells a sender to try again: that is right when the database is down,
busy or failing over, and wrong when it refuses the content itself, for example PostgreSQL
refusing U+0000 in JSONB behind FerretDB (`SQLSTATE 22P05`, reported as `InternalError`, code 1):
a hospital system told 503 resends such a message for ever. Adapters map a PyMongo error with
`storage_error`: `StorageRejected` (HTTP 422) for content the store refuses for good,
`StorageUnavailable` (HTTP 503) for everything else, so an error of unknown kind is retried
rather than lost.
"""

from __future__ import annotations

import re

from bson.errors import BSONError
from pymongo.errors import OperationFailure

from trygg_shared.aggregate import StorageRejected, StorageUnavailable
from trygg_shared.kafka import TRANSIENT_ERRORS, is_transient_operation_failure

# MongoDB codes that name the document, not the server's state: BadValue, DocumentValidationFailure,
# BSONObjectTooLarge, KeyTooLong.
PERMANENT_ERROR_CODES = frozenset({2, 121, 10334, 17280})
# PostgreSQL error classes (as FerretDB quotes them) that name the data: 22 data exception (e.g.
# 22P05 unsupported Unicode escape, 22021 invalid byte sequence), 23 integrity constraint
# violation, 54 program limit exceeded (e.g. an index row too large).
_PERMANENT_SQLSTATE = re.compile(r"SQLSTATE (22|23|54)[0-9A-Z]{3}")


def is_permanent_store_error(exc: BaseException) -> bool:
    """Whether the store (or the driver encoding for it) refuses this content for good."""
    if isinstance(exc, (BSONError, UnicodeEncodeError)):
        return True  # the driver cannot even encode it (a NUL in a key, a lone surrogate)
    if isinstance(exc, TRANSIENT_ERRORS) or not isinstance(exc, OperationFailure):
        return False
    if is_transient_operation_failure(exc):
        return False
    return exc.code in PERMANENT_ERROR_CODES or _PERMANENT_SQLSTATE.search(str(exc)) is not None


__all__ = ["PERMANENT_ERROR_CODES", "is_permanent_store_error", "is_transient_operation_failure", "storage_error"]


def storage_error(exc: BaseException) -> StorageRejected | StorageUnavailable:
    """The port's error for a store error: rejected for good, or unavailable now (retry).

    Only the error's class and code go into the message, never the store's text (it can quote
    the content).
    """
    code = getattr(exc, "code", None)
    name = type(exc).__name__ if code is None else f"{type(exc).__name__} code {code}"
    if is_permanent_store_error(exc):
        return StorageRejected(name)
    return StorageUnavailable(name)
