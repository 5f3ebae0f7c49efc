"""What the referral use cases need: the ports, the rules and the clock, in one place (built by bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass

from referral.domain.decision import MunicipalityProfile
from referral.domain.liability import AgreementTable
from referral.service_layer.agreements import AgreementBook
from referral.service_layer.ports import AuditLog, CaseQueries, CaseStore, Clock, Inbox, Pseudonymizer
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

    @property
    def agreements(self) -> AgreementTable:
        """The payment-liability agreements in force now (refreshed from the store)."""
        return self.agreement_book.table
