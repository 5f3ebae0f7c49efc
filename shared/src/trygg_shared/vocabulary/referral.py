"""The referral service's words: care, destinations, decisions' languages and endings, SIP, SMS caps.

Spoken by `referral.domain` (and `notification.domain` for `Language`) and published in
`trygg_shared.contracts.referral` and `referral_ops`. Values, names and docstrings are the wire's:
see the package docstring.
"""

from __future__ import annotations

from enum import StrEnum


# Kind of inpatient care; psychiatric care usually has a longer grace period.
class CareType(StrEnum):
    SOMATIC = "somatic"
    PSYCHIATRIC = "psychiatric"


class Destination(StrEnum):
    HOME = "home"
    SHORT_TERM_STAY = "short_term_stay"
    SPECIAL_HOUSING = "special_housing"
    DECEASED = "deceased"
    OTHER = "other"


# Why an officer opened a case without a hospital message: the person is at home already but the
# support there is not enough (`already_at_home`), or declines hemtjänst but needs support.
class CaseOpenedReason(StrEnum):
    ALREADY_AT_HOME = "already_at_home"
    DECLINED_HOME_CARE = "declined_home_care"
    OTHER = "other"


# The decision's rules (which types grant a service, which a team carries out) are referral's domain's.
class DecisionType(StrEnum):
    TRYGG_HEMGANG = "trygg_hemgang"
    HEMGANGSBESLUT = "hemgangsbeslut"  # Gotland's variant: a pot of hours (`hours_granted`)
    HEMTJANST_ONLY = "hemtjanst_only"
    SHORT_TERM_STAY = "short_term_stay"
    DECLINED = "declined"
    REFUSED = "refused"


# Languages of messages: Swedish, Finnish (a national minority language) and English.
class Language(StrEnum):
    SV = "sv"
    FI = "fi"
    EN = "en"


class DecisionEndReason(StrEnum):
    ENDED_EARLY = "ended_early"
    READMITTED = "readmitted"
    DECEASED = "deceased"
    CASE_CANCELLED = "case_cancelled"


# Where a SIP meeting is held.
class SipPlace(StrEnum):
    HOME = "home"
    HOSPITAL = "hospital"


# How the municipality learnt of the invitation (an officer's record: by phone, on paper).
class SipSource(StrEnum):
    LUS = "lus"  # the hospital system's `sip_kallelse` message
    OFFICER = "officer"  # recorded by an officer


class SmsCap(StrEnum):
    """Which limit on relatives' SMS refused the change."""

    PER_CASE = "per_case"  # more consenting relatives on one decision than allowed
    OFFICER_DAY = "officer_day"  # more new consents by one officer in one local day than allowed
