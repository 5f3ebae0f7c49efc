"""Events the billing service publishes (wire contracts: frozen, data only, a description per field).

All on `BILLING_EVENTS`. No identity numbers, names or addresses: a statement on the wire names
the person by the pseudonymous `person_ref`; the statement with the recipient is read from the
billing API (audited). Money is in öre (1 kr = 100 öre); months are `YYYY-MM`.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from trygg_shared.contracts.base import CaseEvent, IntegrationEvent, Part
from trygg_shared.contracts.topics import BILLING_EVENTS as BILLING_TOPIC
from trygg_shared.fields import PlausibleDatetime, Text

_PREFIX = "se.trygghemgang.billing."
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class StatementLine(Part):
    kind: Text = Field(
        description="trygg_hemgang_days, trygg_hemgang_hours, short_term_stay_days, short_term_stay_food "
        "(outside the cap) or cap (the reduction that keeps the month within maxtaxa / fee headroom)."
    )
    service_month: Text = Field(pattern=_MONTH, description="The month the fee is for (YYYY-MM).")
    case_id: Text | None = Field(None, description="The case the fee belongs to; None for the cap line.")
    decision_id: Text | None = Field(None, description="The decision the fee belongs to; None for the cap line.")
    days: int = Field(description="Fee days (negative in a correction that removes days).")
    minutes: int = Field(description="Charged visit minutes (hourly model; otherwise 0).")
    unit_price_ore: int = Field(description="Price per day or per hour (the cap line: the month's cap), öre.")
    amount_ore: int = Field(description="The line's amount in öre (negative for the cap and for refunds).")
    correction: bool = Field(description="A correction of an earlier month (never a rewrite of its statement).")
    description: Text = Field(description="The line's text on the statement (Swedish).")


class StatementIssued(IntegrationEvent):
    """A monthly fee statement was issued (once per person and month)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "statement_issued.v1"
    TOPIC: ClassVar[str] = BILLING_TOPIC
    PARTITION_KEY: ClassVar[str] = "person_ref"

    statement_id: Text = Field(description="Id of the statement: person reference and month.")
    person_ref: Text = Field(description="Pseudonymous reference to the person billed; also the Kafka key.")
    month: Text = Field(pattern=_MONTH, description="The month the statement is for (YYYY-MM).")
    issued_at: PlausibleDatetime = Field(description="When it was issued.")
    municipality_code: Text = Field(description="Kommunkod of the municipality whose tariff was applied.")
    lines: tuple[StatementLine, ...] = Field(description="One line per fee item, corrections last per month.")
    total_ore: int = Field(description="Sum of the lines, öre.")
    maxtaxa_ore: int | None = Field(None, description="The month's maxtaxa under the tariff applied, öre.")
    tariff_version: int | None = Field(None, description="Version of the month's tariff applied.")


class MonthLiability(Part):
    month: Text = Field(pattern=_MONTH, description="A month (YYYY-MM).")
    days: int = Field(ge=0, description="Liable days in that month.")
    amount_ore: int = Field(ge=0, description="Their cost at the region's price, öre.")


class LiabilityDaysAccrued(CaseEvent):
    """A case's payment-liability days became known or changed (a period stopped, or discharge)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "liability_days_accrued.v1"
    TOPIC: ClassVar[str] = BILLING_TOPIC

    person_ref: Text = Field(description="Pseudonymous reference to the person.")
    region_code: Text | None = Field(None, description="Region (län code, 2 digits) that invoices the days.")
    months: tuple[MonthLiability, ...] = Field(description="Liable days and cost per month.")
    liability_days: int = Field(ge=0, description="Liable days of the case in all.")
    amount_ore: int = Field(ge=0, description="Their cost in all, öre.")
    liability_starts_at: PlausibleDatetime | None = Field(
        None, description="When liability started (latest ready notice)."
    )
    ended_at: PlausibleDatetime | None = Field(None, description="Discharge, or when the clock stopped.")
    home_in_time: bool = Field(description="Discharged before liability started: nothing owed.")
    referral_liable_days: int = Field(ge=0, description="Liable days of the stay as referral computed them.")


class LiabilityMonthSummarized(IntegrationEvent):
    """A region's month of payment liability, summarised once by the monthly run."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "liability_month_summarized.v1"
    TOPIC: ClassVar[str] = BILLING_TOPIC
    PARTITION_KEY: ClassVar[str] = "region_code"

    region_code: Text = Field(description="Region (län code) or 'unknown'; also the Kafka key.")
    month: Text = Field(pattern=_MONTH, description="The month (YYYY-MM).")
    cases_liable: int = Field(ge=0, description="Cases with at least one liable day in the month.")
    liability_days: int = Field(ge=0, description="Liable days in the month.")
    amount_ore: int = Field(ge=0, description="Their cost at the region's price, öre.")
    cases_home_in_time: int = Field(ge=0, description="Cases discharged in the month before liability started.")
    summarized_at: PlausibleDatetime = Field(description="When the summary was made.")


BILLING_EVENTS: tuple[type[IntegrationEvent], ...] = (StatementIssued, LiabilityDaysAccrued, LiabilityMonthSummarized)
