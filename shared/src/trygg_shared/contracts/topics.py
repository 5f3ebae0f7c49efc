"""Every Kafka topic the system uses, in one place."""

from __future__ import annotations

# One topic per aggregate stream, keyed by case id: a case's events keep their order across
# event types (a revocation never overtakes the ready notice it revokes).
REFERRAL_CASE_EVENTS = "trygg.referral.case-events.v1"
# Who is billed (identity number inside): only billing may read it.
REFERRAL_BILLING_SUBJECTS = "trygg.referral.billing-subjects.v1"

ALL_TOPICS: tuple[str, ...] = (REFERRAL_CASE_EVENTS, REFERRAL_BILLING_SUBJECTS)

PARTITIONS = 3


def dead_letter_topic(group_id: str) -> str:
    """The dead-letter topic of one consumer group: messages it could not handle, with reasons."""
    return f"trygg.dlq.{group_id}"
