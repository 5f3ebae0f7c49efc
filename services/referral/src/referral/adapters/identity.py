"""Pseudonymous person references: a keyed hash of the identity number (HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac

from referral.domain.identity import PersonIdentity


class HmacPseudonymizer:
    """The same person gets the same reference; without the key it cannot be reversed or guessed."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the person reference key must be at least 16 bytes")
        self._key = key

    def person_ref(self, identity: PersonIdentity) -> str:
        digest = hmac.new(self._key, f"{identity.id_type.value}:{identity.value}".encode(), hashlib.sha256)
        return "p_" + digest.hexdigest()[:32]
