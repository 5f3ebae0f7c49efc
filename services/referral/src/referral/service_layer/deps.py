"""What the referral use cases need: the ports, the rules and the clock, in one place (built by bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass

from referral.domain.decision import MunicipalityProfile
from referral.domain.liability import AgreementTable
from referral.service_layer.agreements import AgreementBook
from referral.service_layer.ports import (
    AuditLog,
    CaseQueries,
    CaseStore,
    Clock,
    CurrentTraceId,
    Inbox,
    MessageReader,
    Pseudonymizer,
)
from referral.service_layer.sms_limits import SmsLimits


@dataclass
class ReferralDeps:
    inbox: Inbox
    cases: CaseStore
    queries: CaseQueries
    audit: AuditLog
    agreement_book: AgreementBook
    pseudonymizer: Pseudonymizer
    clock: Clock
    profile: MunicipalityProfile
    sms: SmsLimits  # caps and the allow-list for relatives' SMS
    read_message: MessageReader  # a stored hospital message back into the domain (the format is the edge's)
    trace_id: CurrentTraceId  # for audit records: the use cases do no tracing of their own

    @property
    def agreements(self) -> AgreementTable:
        """The payment-liability agreements in force now (refreshed from the store)."""
        return self.agreement_book.table
