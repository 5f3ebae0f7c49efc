"""What the referral use cases need: the ports, the rules tables and the clock, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from referral.domain.decision import MunicipalityProfile
from referral.domain.liability import AgreementTable
from referral.service_layer.ports import AuditLog, CaseRepository, Clock, Inbox, Pseudonymizer


@dataclass
class ReferralDeps:
    inbox: Inbox
    cases: CaseRepository
    audit: AuditLog
    agreements: AgreementTable
    pseudonymizer: Pseudonymizer
    clock: Clock
    profile: MunicipalityProfile
