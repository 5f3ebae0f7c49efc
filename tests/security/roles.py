"""Who may call what: the declared role table of every HTTP operation of every service.

The security suite compares each service's OpenAPI document with this table (an operation
missing here, or listed here but gone, fails the suite), then calls every operation as each
role, without a token, with a wrong token and (console) with an expired session, and checks
each answer against this table and against the responses the OpenAPI documents.

`Access.roles`: the roles allowed; the others must get 403. `Access.anonymous`: what a caller
without valid credentials gets (401; 303 to the login page for the console's pages).
`PUBLIC`: no credentials involved (health, the signed webhook, the SMS acknowledgement link, login).
"""

from __future__ import annotations

from dataclasses import dataclass

OFFICER, TEAM, ONCALL, OPS = "officer", "team", "oncall", "ops"
EVERYONE = frozenset({OFFICER, TEAM, ONCALL, OPS})


@dataclass(frozen=True)
class Access:
    roles: frozenset[str]
    anonymous: int = 401
    session: bool = False  # console: a signed session cookie (bearer too where the OpenAPI says so)

    @property
    def public(self) -> bool:
        return self.anonymous == 0


def bearer(*roles: str) -> Access:
    return Access(frozenset(roles))


def page(*roles: str) -> Access:
    return Access(frozenset(roles), anonymous=303, session=True)


def session_api(*roles: str) -> Access:
    return Access(frozenset(roles), anonymous=401, session=True)


PUBLIC = Access(EVERYONE, anonymous=0)

# The chassis's health routes (`trygg_shared.http`), which every service serves.
HEALTH: dict[tuple[str, str], Access] = {("GET", "/healthz"): PUBLIC, ("GET", "/readyz"): PUBLIC}

TABLE: dict[str, dict[tuple[str, str], Access]] = {
    "referral": {
        **HEALTH,
        ("POST", "/webhooks/lus"): PUBLIC,  # signed by the hospital system: see test_webhook_matrix
        ("POST", "/cases"): bearer(OFFICER),
        ("GET", "/cases"): bearer(OFFICER, TEAM, ONCALL),
        ("GET", "/cases/{case_id}"): bearer(OFFICER, TEAM, ONCALL),
        ("POST", "/cases/{case_id}/decisions"): bearer(OFFICER),
        ("PATCH", "/cases/{case_id}/decisions/{decision_id}"): bearer(OFFICER),
        ("POST", "/cases/{case_id}/decisions/{decision_id}/end"): bearer(OFFICER),
        ("POST", "/cases/{case_id}/sip-invitations"): bearer(OFFICER),  # an officer records a SIP invitation
        ("GET", "/audit"): bearer(OPS),
        ("GET", "/ops/sms-caps"): bearer(OPS),  # decision changes refused by an SMS cap
        ("GET", "/agreements"): bearer(OPS),
        ("POST", "/agreements"): bearer(OPS),
    },
    "scheduling": {
        **HEALTH,
        ("GET", "/teams"): bearer(OFFICER, TEAM, ONCALL, OPS),
        ("GET", "/teams/{team_id}"): bearer(OFFICER, TEAM, ONCALL, OPS),
        ("PUT", "/teams/{team_id}"): bearer(OPS),
        ("POST", "/teams/{team_id}/absences"): bearer(TEAM, OPS),
        ("POST", "/teams/{team_id}/sick-calls"): bearer(TEAM, OPS),
        ("GET", "/teams/{team_id}/waiting-list"): bearer(TEAM, ONCALL),
        ("GET", "/teams/{team_id}/capacity"): bearer(TEAM, ONCALL),
        ("GET", "/visits"): bearer(TEAM, ONCALL),
        ("GET", "/cases/{case_id}/plan"): bearer(OFFICER, TEAM, ONCALL),
        ("GET", "/cases/{case_id}/cover-order"): bearer(OFFICER, TEAM, ONCALL),  # whom hemtjänst covers: not ops
        ("POST", "/cases/{case_id}/visits/{visit_id}/start"): bearer(TEAM),
        ("POST", "/cases/{case_id}/visits/{visit_id}/complete"): bearer(TEAM),
        ("POST", "/cases/{case_id}/visits/{visit_id}/cancel"): bearer(TEAM),
        ("POST", "/cases/{case_id}/visits/{visit_id}/reschedule"): bearer(TEAM),
        ("PUT", "/cases/{case_id}/home-location"): bearer(TEAM),
        ("GET", "/cases/{case_id}/checklist"): bearer(OFFICER, TEAM, ONCALL),
        ("PUT", "/cases/{case_id}/checklist/items/{item_id}"): bearer(TEAM),
        ("GET", "/audit"): bearer(OPS),
    },
    "notification": {
        **HEALTH,
        ("GET", "/alerts"): bearer(ONCALL, OPS),
        ("GET", "/alerts/{alert_id}"): bearer(ONCALL, OPS),
        ("POST", "/alerts/{alert_id}/acknowledgement"): bearer(ONCALL),
        ("GET", "/ack/{code}"): PUBLIC,  # the code is the credential (rate-limited guesses)
        ("POST", "/ack/{code}"): PUBLIC,
        ("GET", "/rotas/{team_id}"): bearer(OPS),
        ("PUT", "/rotas/{team_id}"): bearer(OPS),
        ("GET", "/messages/{message_id}"): bearer(OPS),
        ("GET", "/cases/{case_id}/messages"): bearer(ONCALL, OPS),
        ("GET", "/cases/{case_id}/consent-log"): bearer(OPS),
        ("GET", "/audit"): bearer(OPS),
        ("GET", "/ops/local-sms"): bearer(OPS),
    },
    "billing": {
        **HEALTH,
        ("GET", "/statements"): bearer(OFFICER, OPS),
        ("GET", "/statements.csv"): bearer(OFFICER, OPS),
        ("GET", "/persons/{person_ref}/statements"): bearer(OFFICER, OPS),
        ("GET", "/persons/{person_ref}/statements/{month}"): bearer(OFFICER, OPS),
        ("PUT", "/persons/{person_ref}/fee-headroom"): bearer(OFFICER),
        ("GET", "/fees"): bearer(OFFICER, OPS),  # the running month's fee lines per person
        ("GET", "/persons/{person_ref}/fees"): bearer(OFFICER, OPS),
        ("POST", "/invoices"): bearer(OFFICER),  # the region's liability invoice (CSV), checked
        ("GET", "/invoices"): bearer(OFFICER, OPS),
        ("GET", "/invoices/{invoice_id}"): bearer(OFFICER, OPS),
        ("GET", "/invoice-disputes.csv"): bearer(OFFICER, OPS),
        ("GET", "/reports/liability"): bearer(OFFICER, OPS),
        ("GET", "/reports/liability.csv"): bearer(OFFICER, OPS),
        ("GET", "/reports/cost"): bearer(OFFICER, OPS),
        ("GET", "/reports/cost.csv"): bearer(OFFICER, OPS),
        ("GET", "/tariffs"): bearer(OFFICER, OPS),
        ("GET", "/tariffs.csv"): bearer(OFFICER, OPS),
        ("GET", "/tariffs/{municipality_code}/{year}"): bearer(OFFICER, OPS),
        ("PUT", "/tariffs/{municipality_code}/{year}"): bearer(OPS),
        ("GET", "/liability-prices"): bearer(OFFICER, OPS),
        ("PUT", "/liability-prices/{region_code}/{year}"): bearer(OPS),
        ("POST", "/statement-runs/{month}"): bearer(OPS),
        ("GET", "/statement-runs/{month}"): bearer(OFFICER, OPS),
        ("GET", "/audit"): bearer(OPS),
    },
    "console": {
        **HEALTH,
        ("GET", "/login"): PUBLIC,
        ("POST", "/login"): PUBLIC,
        ("POST", "/logout"): PUBLIC,
        ("POST", "/language"): PUBLIC,  # the language switch (a cookie): on the login page too
        ("GET", "/"): page(OFFICER, TEAM, ONCALL, OPS),  # to the role's first page
        ("GET", "/cases"): page(OFFICER, TEAM, ONCALL),
        ("GET", "/cases/{case_id}"): page(OFFICER, TEAM, ONCALL),
        ("GET", "/cases/{case_id}/cover-order"): page(OFFICER, TEAM, ONCALL),  # the case's roles; not ops
        ("GET", "/cases/{case_id}/cover-order.csv"): session_api(OFFICER, TEAM, ONCALL),
        ("GET", "/today"): page(TEAM, ONCALL),
        ("GET", "/alerts"): page(TEAM, ONCALL),
        ("POST", "/alerts/{alert_id}/acknowledge"): page(ONCALL),
        ("GET", "/figures"): page(OFFICER, TEAM, OPS),
        ("GET", "/audit"): page(OPS),
        ("GET", "/ops"): page(OPS),  # the ops role's start page
        ("POST", "/ops/dead-letters/{letter_id}/replay"): page(OPS),  # audited, once
        ("GET", "/fees"): page(OFFICER),  # the running month's fees (billing's API)
        ("GET", "/invoices"): page(OFFICER),  # the region's invoices: list and upload form
        ("POST", "/invoices"): page(OFFICER),
        ("GET", "/invoices/{invoice_id}"): page(OFFICER),
        ("GET", "/invoice-disputes.csv"): session_api(OFFICER),
        ("GET", "/api/figures"): session_api(OFFICER, TEAM, OPS),
        ("GET", "/figures.csv"): session_api(OFFICER, TEAM, OPS),
        ("GET", "/events"): session_api(OFFICER, TEAM, ONCALL, OPS),  # server-sent events
    },
}

# A value for each path parameter (checked against the parameter's schema by the suite).
PATH_SAMPLES: dict[str, str] = {
    "case_id": "a81ac505-f085-519e-9ef6-973a857711b7",
    "decision_id": "b03c48db-e74a-4ca7-9c56-2db40d734e21",
    "team_id": "team-vast",
    "visit_id": "visit-1",
    "alert_id": "liability:a81ac505-f085-519e-9ef6-973a857711b7:1795507200",
    "code": "ABCD1234",
    "message_id": "message-1",
    "person_ref": "person-1",
    "month": "2024-03",
    "municipality_code": "2104",
    "year": "2026",
    "region_code": "01",
    "item_id": "aids",
    "letter_id": "trygg.dlq.scheduling.referral:0:7",
    "invoice_id": "0" * 64,
}
