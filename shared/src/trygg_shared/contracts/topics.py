"""Every Kafka topic the system uses, in one place.

Retention follows purpose (set by the platform in production, see `deploy/k8s/topics/topics.yaml`):
topics that carry personal data keep it only as long as a consumer may need to replay it.
"""

from __future__ import annotations

# One topic per aggregate stream, keyed by case id: a case's events keep their order across
# event types (a revocation never overtakes the ready notice it revokes).
REFERRAL_CASE_EVENTS = "trygg.referral.case-events.v1"
# Who is billed (identity number inside): only billing may read it.
REFERRAL_BILLING_SUBJECTS = "trygg.referral.billing-subjects.v1"
# Phone numbers and languages of the relatives the person agreed to inform (keyed by case id):
# only notification may read it (it sends them SMS); kept 7 days.
REFERRAL_RELATIVE_CONTACTS = "trygg.referral.relative-contacts.v1"
# The person's own name, home address and phone, for the team that visits (keyed by case id):
# only scheduling and the console may read it; kept 14 days, like the case events.
REFERRAL_PERSON_CONTACTS = "trygg.referral.person-contacts.v1"
# The team's work for one case: visits, follow-ups, handover, period end (keyed by case id).
SCHEDULING_PERIOD_EVENTS = "trygg.scheduling.period-events.v1"
# The team as a whole: capacity and the waiting list (keyed by team id).
SCHEDULING_TEAM_EVENTS = "trygg.scheduling.team-events.v1"
# Messages to relatives and on-call alerts (keyed by case id, or by team for team alerts).
NOTIFICATION_EVENTS = "trygg.notification.events.v1"
# Fee statements and payment-liability accruals (keyed by case id or person reference).
BILLING_EVENTS = "trygg.billing.events.v1"

ALL_TOPICS: tuple[str, ...] = (
    REFERRAL_CASE_EVENTS,
    REFERRAL_BILLING_SUBJECTS,
    REFERRAL_RELATIVE_CONTACTS,
    REFERRAL_PERSON_CONTACTS,
    SCHEDULING_PERIOD_EVENTS,
    SCHEDULING_TEAM_EVENTS,
    NOTIFICATION_EVENTS,
    BILLING_EVENTS,
)

# Partitions of every topic and dead-letter topic, here and in deploy/k8s/topics. Six, so that up
# to six replicas of a consumer group share the work; a key (case or team id) stays on one
# partition, in order. Adding partitions later moves keys to other partitions (the order of one
# aggregate's events across the change is lost), so choose the number once.
PARTITIONS = 6


def dead_letter_topic(group_id: str) -> str:
    """The dead-letter topic of one consumer group: messages it could not handle, with reasons."""
    return f"trygg.dlq.{group_id}"
