"""The payment-liability agreements as versioned data: loaded at start, read and extended by ops.

The agreements live in the service's database (`AgreementStore`); the shipped data file adds
the versions the database lacks at start. Every replica keeps the table in memory
(`AgreementBook.table`) and refreshes it periodically, so a version added on one replica is
used by all within the refresh interval.

Never retroactive: a new version may start today at the earliest, so no day that has passed
is counted differently; and a case pins the agreement version each ready notice was counted
under (`Case.agreement_pins`), so a clock that ran keeps its meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from referral.domain.liability import NATIONAL_DEFAULT, STOCKHOLM, AgreementTable, RegionalAgreement
from referral.service_layer.ports import (
    Actor,
    AgreementChange,
    AgreementStore,
    AuditLog,
    AuditRecord,
    Clock,
    ConcurrencyConflict,
)

SHIPPED_BY = "system:shipped-data"


class AgreementInThePast(Exception):
    """A version that would change how days that have already passed are counted."""


class AgreementRejected(ValueError):
    """Terms that break an agreement's own rules (the message says which)."""


class AgreementBook:
    """The agreements in force, from the store; changes through `add_version`, audited."""

    def __init__(self, store: AgreementStore, shipped: Sequence[RegionalAgreement], clock: Clock) -> None:
        self._store = store
        self._shipped = tuple(shipped)
        self._clock = clock
        self._changes: list[AgreementChange] = [AgreementChange(a, SHIPPED_BY, clock.now()) for a in shipped]
        self.table = AgreementTable(self._shipped, NATIONAL_DEFAULT)

    @property
    def changes(self) -> list[AgreementChange]:
        """Every version known, with who added it and when (the shipped ones by `system:shipped-data`)."""
        return list(self._changes)

    async def load(self) -> None:
        """At start: add the shipped versions the store lacks (stored ones win), then read them all."""
        for agreement in self._shipped:
            await self._store.add(AgreementChange(agreement, SHIPPED_BY, self._clock.now()))
        await self.refresh()

    async def refresh(self) -> None:
        """Reread the stored versions; a shipped version the store lacks (not loaded yet) still counts."""
        stored = await self._store.all()
        keys = {(c.agreement.region_code, c.agreement.version) for c in stored}
        shipped = [
            AgreementChange(a, SHIPPED_BY, self._clock.now())
            for a in self._shipped
            if (a.region_code, a.version) not in keys
        ]
        changes = sorted([*stored, *shipped], key=lambda c: (c.agreement.region_code, c.agreement.version))
        self.table = AgreementTable([c.agreement for c in changes], NATIONAL_DEFAULT)
        self._changes = changes

    async def add_version(self, terms: RegionalAgreement, actor: Actor, audit: AuditLog) -> AgreementChange:
        """Add `terms` as the region's next version (the version given in `terms` is ignored).

        Raises `AgreementInThePast` when it would start before today (Stockholm date),
        `AgreementRejected` when its terms break a rule, `ConcurrencyConflict` when another
        version of the region was added at the same moment.
        """
        await self.refresh()
        now = self._clock.now()
        today = now.astimezone(STOCKHOLM).date()
        if terms.valid_from < today:
            raise AgreementInThePast(
                f"valid_from {terms.valid_from.isoformat()} has passed: a new version may start today "
                f"({today.isoformat()}) at the earliest, so no day already counted changes"
            )
        region = [c.agreement for c in self._changes if c.agreement.region_code == terms.region_code]
        same_id = [a for a in self._changes if a.agreement.agreement_id == terms.agreement_id]
        if same_id and same_id[0].agreement.region_code != terms.region_code:
            raise AgreementRejected(f"agreement {terms.agreement_id} belongs to another region")
        version = max((a.version for a in region), default=0) + 1
        agreement = replace(terms, version=version)
        try:
            AgreementTable([*(c.agreement for c in self._changes), agreement], NATIONAL_DEFAULT)
        except ValueError as exc:
            raise AgreementRejected(str(exc)) from None
        change = AgreementChange(agreement, actor.subject, now)
        # Audit first: a change that cannot be audited is not made.
        await audit.append(
            AuditRecord.new(
                now,
                actor.subject,
                actor.roles,
                "add_agreement_version",
                case_ids=(),
                fields=("agreement",),
                subject=f"agreement:{agreement.agreement_id}:{agreement.version}",
            )
        )
        if not await self._store.add(change):
            raise ConcurrencyConflict(f"another version {version} of region {terms.region_code} was just added")
        await self.refresh()
        return change
