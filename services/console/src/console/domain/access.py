"""Who may see which page: the console's roles and what each may see, as data (the actor is the chassis's)."""

from __future__ import annotations

from enum import StrEnum

from console.domain.alerts import PersonShown
from console.domain.text import N_
from trygg_shared import auth


class Role(StrEnum):
    OFFICER = "officer"  # biståndshandläggare
    TEAM = "team"  # the Trygg hemgång team and its lead
    ONCALL = "oncall"  # on-call staff
    OPS = "ops"  # operations: the ops page, figures and the audit trail, no personal data


class Page(StrEnum):
    CASES = "cases"
    TODAY = "today"
    ALERTS = "alerts"
    FIGURES = "figures"
    AUDIT = "audit"
    OPS = "ops"
    FEES = "fees"  # the running month's fees (billing)
    INVOICES = "invoices"  # the region's liability invoices, checked (billing)


ACCESS: dict[Page, frozenset[Role]] = {
    Page.CASES: frozenset({Role.OFFICER, Role.TEAM, Role.ONCALL}),
    Page.TODAY: frozenset({Role.TEAM, Role.ONCALL}),
    Page.ALERTS: frozenset({Role.ONCALL, Role.TEAM}),
    Page.FIGURES: frozenset({Role.OFFICER, Role.TEAM, Role.OPS}),
    Page.AUDIT: frozenset({Role.OPS}),
    Page.OPS: frozenset({Role.OPS}),
    Page.FEES: frozenset({Role.OFFICER}),
    Page.INVOICES: frozenset({Role.OFFICER}),
}
ACKNOWLEDGE: frozenset[Role] = frozenset({Role.ONCALL})
# Told on every page when an alert reached nobody (no personal data: a count).
UNROUTED_BANNER: frozenset[Role] = frozenset({Role.ONCALL, Role.OPS})

# Need to know on the Alerts list: how much of the person a row shows. The team sees its own clients'
# names (only its teams' alerts reach it). On-call sees the name where acting on the alert means
# reaching or finding the person (a missed visit, a readmission during the period), and initials
# where it means reaching staff (the officer before liability starts, the team at capacity, a failed
# SMS to a relative): enough to tell two alerts apart; the case page (audited) has the rest.
ALERT_NAME_TOPICS_ONCALL = frozenset({"visit_missed", "readmitted_during_period"})

# The order pages appear in the navigation, with their names (English source text, shown translated);
# a role lands on the first it may see (ops on its own page).
NAVIGATION: tuple[tuple[Page, str], ...] = (
    (Page.OPS, N_("Operations")),
    (Page.CASES, N_("Cases")),
    (Page.TODAY, N_("Today")),
    (Page.ALERTS, N_("Alerts")),
    (Page.FIGURES, N_("Follow-up figures")),
    (Page.FEES, N_("Fees this month")),
    (Page.INVOICES, N_("Region invoices")),
    (Page.AUDIT, N_("Audit")),
)


class Actor(auth.Actor):
    """Who is signed in: the token's subject (written to audit records), roles and the team ids a team
    token is scoped to (None: every team)."""

    def may_see(self, page: Page) -> bool:
        return bool(set(self.roles) & {r.value for r in ACCESS[page]})

    def may_acknowledge(self) -> bool:
        return bool(set(self.roles) & {r.value for r in ACKNOWLEDGE})

    def alert_person(self, topic: str) -> PersonShown:
        """How much of the person an alert row of this topic shows this actor (`ALERT_NAME_TOPICS_ONCALL`)."""
        if Role.TEAM.value in self.roles or topic in ALERT_NAME_TOPICS_ONCALL:
            return PersonShown.NAME
        return PersonShown.INITIALS

    def sees_unrouted_alerts(self) -> bool:
        return bool(set(self.roles) & {r.value for r in UNROUTED_BANNER})

    def pages(self) -> list[tuple[Page, str]]:
        return [(page, label) for page, label in NAVIGATION if self.may_see(page)]

    def home(self) -> Page | None:
        pages = self.pages()
        return pages[0][0] if pages else None
