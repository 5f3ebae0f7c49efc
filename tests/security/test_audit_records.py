"""Each read of personal data leaves exactly one audit record, per endpoint.

Every GET operation of every service (from its OpenAPI) is classified here: an audited read of
personal data (driven once through the app wired by `bootstrap()` with in-memory adapters, after
seeding what it shows) or a read without personal data. A new GET route must be classified, and
an audited read that writes no record, or two, fails.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devstack.cli import sign
from tests.security.apps import BUILDERS, operations


@dataclass
class Seeded:
    client: TestClient
    records: list[Any]  # the service's in-memory audit log
    url: str
    headers: dict[str, str]


def _bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{role}"}


def referral(path: str) -> Seeded:
    from referral_support import ApiHarness

    from referral.config import LOCAL_DEV_SENDER_SECRET
    from referral.entrypoints.lus_format import example_bodies

    h = ApiHarness()
    body = copy.deepcopy(example_bodies()["utskrivningsklar"])
    raw = json.dumps(body).encode()
    accepted = h.client.post("/webhooks/lus", content=raw, headers=sign(LOCAL_DEV_SENDER_SECRET, "msg_audit", raw))
    assert accepted.status_code == 202, accepted.text
    case_id = accepted.json()["case_id"]
    url = {"/cases": "/cases", "/cases/{case_id}": f"/cases/{case_id}"}[path]
    return Seeded(h.client, h.audit.records, url, _bearer("officer"))


def scheduling(path: str) -> Seeded:
    from scheduling_support import ApiHarness, grant_command

    from scheduling.service_layer import planning as uc

    h = ApiHarness()
    command = grant_command("audit-case", person_ref="p_audit", decision_id="d-audit", length=7)
    asyncio.run(uc.grant_decision(h.deps, command))
    if path in ("/cases/{case_id}/plan", "/cases/{case_id}/cover-order"):
        return Seeded(h.client, h.audit.records, path.replace("{case_id}", "audit-case"), _bearer("team"))
    plan = asyncio.run(h.plan("audit-case"))
    visit = plan.ordered_visits()[0]
    url = f"/visits?day={visit.day.isoformat()}&staff_id={visit.staff_id}"
    return Seeded(h.client, h.audit.records, url, _bearer("team"))


def notification(path: str) -> Seeded:
    from notification_support import Harness

    from notification.domain.alert import Responder, Rota, Shift

    h = Harness.create()
    now = h.clock.now()
    rota = Rota(
        "team-vast", (Shift(now - timedelta(hours=1), now + timedelta(hours=8), (Responder("r1", "+46701234567"),)),)
    )
    asyncio.run(h.deps.rotas.put(rota))
    url = {"/rotas/{team_id}": "/rotas/team-vast", "/ops/local-sms": "/ops/local-sms"}[path]
    return Seeded(h.client(), h.deps.audit.records, url, _bearer("ops"))


def billing(path: str) -> Seeded:
    from billing_support import ApiHarness

    h = ApiHarness()
    h.grant("p_abc", date(2024, 3, 4), 5, granted_at=datetime(2024, 3, 1, tzinfo=UTC))
    assert h.client.post("/statement-runs/2024-03", headers=_bearer("ops")).status_code == 200
    invoice_id = ""
    if "invoice" in path:
        from invoice_support import REGION, sample_csv, seed

        asyncio.run(seed(h.deps))
        imported = h.client.post(
            f"/invoices?region={REGION}&month=2024-03", content=sample_csv(), headers=_bearer("officer")
        )
        assert imported.status_code == 201, imported.text
        invoice_id = imported.json()["invoice_id"]
    url = {
        "/statements": "/statements?month=2024-03",
        "/statements.csv": "/statements.csv?month=2024-03",
        "/persons/{person_ref}/statements": "/persons/p_abc/statements",
        "/persons/{person_ref}/statements/{month}": "/persons/p_abc/statements/2024-03",
        "/reports/liability": "/reports/liability?month=2024-03",
        "/reports/liability.csv": "/reports/liability.csv?month=2024-03",
        "/reports/cost": "/reports/cost?month=2024-03",
        "/reports/cost.csv": "/reports/cost.csv?month=2024-03",
        "/fees": "/fees?month=2024-03",
        "/persons/{person_ref}/fees": "/persons/p_abc/fees?month=2024-03",
        "/invoices/{invoice_id}": f"/invoices/{invoice_id}",
        "/invoice-disputes.csv": "/invoice-disputes.csv?month=2024-03",
    }[path]
    return Seeded(h.client, h.audit.records, url, _bearer("officer"))


def console_billing(path: str) -> Seeded:
    """The console's billing pages over billing's real API (in process), with the sample invoice imported."""
    import httpx
    from billing_support import ApiHarness
    from console_support import ConsoleHarness
    from invoice_support import sample_csv, seed

    from console.adapters.billing_client import HttpBilling

    api = ApiHarness()
    asyncio.run(seed(api.deps))
    billing = HttpBilling("http://billing", "dev-officer", timeout=10, transport=httpx.ASGITransport(api.app))
    h = ConsoleHarness(billing=billing)
    client = h.login("officer")
    files = {"file": ("f.csv", sample_csv(), "text/csv")}
    imported = client.post("/invoices", data={"region": "01", "month": "2024-03"}, files=files)
    assert imported.status_code == 303, imported.text
    url = {
        "/fees": "/fees?month=2024-03",
        "/invoices/{invoice_id}": imported.headers["location"],
        "/invoice-disputes.csv": "/invoice-disputes.csv?month=2024-03",
    }[path]
    return Seeded(client, h.audit.records, url, {})


def console(path: str) -> Seeded:
    from console_support import ConsoleHarness, march_2026, with_cover_order

    if path in ("/fees", "/invoices/{invoice_id}", "/invoice-disputes.csv"):
        return console_billing(path)
    h = ConsoleHarness()
    asyncio.run(h.replay(with_cover_order(march_2026())))
    role = {"/cases": "officer", "/cases/{case_id}": "officer", "/today": "team", "/alerts": "oncall"}.get(
        path, "officer"
    )
    client = h.login(role)
    url = path.replace("{case_id}/cover-order", "G/cover-order")  # the case with a cover order
    if path == "/cases/{case_id}":
        assert client.get("/cases").status_code == 200
        url = f"/cases/{h.audit.records[-1].case_ids[0]}"
    return Seeded(client, h.audit.records, url, {})


SEEDERS: dict[str, Callable[[str], Seeded]] = {
    "referral": referral,
    "scheduling": scheduling,
    "notification": notification,
    "billing": billing,
    "console": console,
}

# GET operations that show personal data (identity numbers, names, addresses, phone numbers)
AUDITED: dict[str, set[str]] = {
    "referral": {"/cases", "/cases/{case_id}"},
    "scheduling": {"/visits", "/cases/{case_id}/plan", "/cases/{case_id}/cover-order"},
    "notification": {"/rotas/{team_id}", "/ops/local-sms"},
    "billing": {
        "/statements",
        "/statements.csv",
        "/persons/{person_ref}/statements",
        "/persons/{person_ref}/statements/{month}",
        "/reports/liability",
        "/reports/liability.csv",
        "/reports/cost",
        "/reports/cost.csv",
        "/fees",
        "/persons/{person_ref}/fees",
        "/invoices/{invoice_id}",
        "/invoice-disputes.csv",
    },
    "console": {
        "/cases",
        "/cases/{case_id}",
        "/cases/{case_id}/cover-order",
        "/cases/{case_id}/cover-order.csv",
        "/today",
        "/alerts",
        "/fees",
        "/invoices/{invoice_id}",
        "/invoice-disputes.csv",
    },
}
# GET operations that show none (ids, pseudonymous references, figures, configuration, audit trails)
NOT_PERSONAL: dict[str, set[str]] = {
    "referral": {"/healthz", "/readyz", "/audit", "/agreements", "/ops/sms-caps"},
    "scheduling": {"/healthz", "/readyz", "/teams", "/teams/{team_id}", "/teams/{team_id}/waiting-list",
                   "/teams/{team_id}/capacity", "/audit", "/cases/{case_id}/checklist"},
    "notification": {"/healthz", "/readyz", "/alerts", "/alerts/{alert_id}", "/ack/{code}", "/messages/{message_id}",
                     "/cases/{case_id}/messages", "/cases/{case_id}/consent-log", "/audit"},
    "billing": {"/healthz", "/readyz", "/tariffs", "/tariffs.csv", "/tariffs/{municipality_code}/{year}",
                "/liability-prices", "/statement-runs/{month}", "/audit", "/invoices"},
    "console": {"/healthz", "/readyz", "/", "/login", "/figures", "/audit", "/api/figures", "/figures.csv", "/events",
                "/ops", "/invoices"},
}  # fmt: skip


@pytest.mark.parametrize("service", sorted(BUILDERS))
def test_every_get_operation_is_classified_as_audited_or_without_personal_data(service: str) -> None:
    gets = {op.path for op in operations(BUILDERS[service]()) if op.method == "GET"}
    both = AUDITED[service] & NOT_PERSONAL[service]
    assert not both, f"{service}: classified twice: {both}"
    unclassified = gets - AUDITED[service] - NOT_PERSONAL[service]
    assert not unclassified, f"{service}: classify these GET operations (audited or not personal): {unclassified}"
    gone = (AUDITED[service] | NOT_PERSONAL[service]) - gets
    assert not gone, f"{service}: classified operations the OpenAPI no longer has: {gone}"


@pytest.mark.parametrize(("service", "path"), [(s, p) for s in sorted(AUDITED) for p in sorted(AUDITED[s])], ids=str)
def test_each_read_of_personal_data_leaves_exactly_one_audit_record(service: str, path: str) -> None:
    seeded = SEEDERS[service](path)
    before = len(seeded.records)
    answer = seeded.client.get(seeded.url, headers=seeded.headers)
    assert answer.status_code == 200, answer.text
    written = seeded.records[before:]
    assert len(written) == 1, f"{service} GET {path}: {len(written)} audit records for one read: {written}"
    again = seeded.client.get(seeded.url, headers=seeded.headers)
    assert again.status_code == 200
    assert len(seeded.records) == before + 2, "a second read is a second record"
