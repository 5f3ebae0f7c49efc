"""`POST /webhooks/lus` answers exactly as the spec's table says, through the real route and use case."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from devstack.cli import sign
from referral.adapters.identity import HmacPseudonymizer
from referral.adapters.memory import InMemoryAuditLog, InMemoryCaseRepository, InMemoryInbox
from referral.adapters.signatures import SignatureVerifier
from referral.bootstrap import lus_request_schema
from referral.domain.decision import MunicipalityProfile
from referral.domain.liability import REGION_STOCKHOLM_2024, AgreementTable
from referral.entrypoints.webhooks import webhook_router
from referral.lus_format import MAX_BODY_BYTES
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.intake import Sender, apply_pending
from trygg_shared.contracts import referral as ev
from trygg_shared.http import install_problem_handlers

SECRET_A = "whsec_" + "c2VjcmV0LWEtZm9yLXRlc3RzLW9ubHktMzJieXRlcyE="
SECRET_A_NEW = "whsec_" + "c2VjcmV0LWEtcm90YXRlZC1mb3ItdGVzdHMtb25seSE="
SECRET_B = "whsec_" + "c2VjcmV0LWItZm9yLXRlc3RzLW9ubHktMzJieXRlcyE="
AGREEMENTS = AgreementTable([REGION_STOCKHOLM_2024])


class FixedClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


class Intake:
    def __init__(self) -> None:
        self.inbox = InMemoryInbox()
        self.cases = InMemoryCaseRepository(AGREEMENTS)
        self.clock = FixedClock()
        self.deps = ReferralDeps(
            inbox=self.inbox,
            cases=self.cases,
            agreements=AGREEMENTS,
            audit=InMemoryAuditLog(),
            pseudonymizer=HmacPseudonymizer(b"k" * 32),
            clock=self.clock,
            profile=MunicipalityProfile(),
        )
        verifier = SignatureVerifier(
            [(Sender("region-a", "01"), [SECRET_A, SECRET_A_NEW]), (Sender("region-b", None), [SECRET_B])]
        )
        app = FastAPI()
        install_problem_handlers(app)
        schema, _defs = lus_request_schema()
        app.include_router(webhook_router(verifier, self.deps, schema))
        self.client = TestClient(app)

    def post(
        self,
        body: dict[str, Any] | bytes,
        *,
        secret: str = SECRET_A,
        webhook_id: str | None = None,
        timestamp: datetime | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        signed = sign(secret, webhook_id or f"msg_{uuid.uuid4().hex}", raw, timestamp or datetime.now(UTC))
        return self.client.post("/webhooks/lus", content=raw, headers={**signed, **(headers or {})})


@pytest.fixture
def intake() -> Intake:
    return Intake()


def test_a_signed_ready_notice_is_accepted_and_publishes_ready_for_discharge(intake: Intake, lus_body: Any) -> None:
    response = intake.post(lus_body("utskrivningsklar"))

    assert response.status_code == 202
    assert set(response.json()) == {"case_id", "message_id"}
    assert [type(e) for e in intake.cases.published] == [ev.ReadyForDischarge]


@pytest.mark.parametrize(
    "message_type",
    [
        "inskrivningsmeddelande",
        "planeringsunderlag",
        "utskrivningsklar",
        "aterkallad_utskrivningsklar",
        "utskrivningsmeddelande",
        "makulering",
    ],
)
def test_every_message_type_of_the_spec_is_accepted(intake: Intake, lus_body: Any, message_type: str) -> None:
    assert intake.post(lus_body(message_type)).status_code == 202


def test_a_repeated_webhook_id_is_answered_with_the_first_answer_and_emits_nothing(
    intake: Intake, lus_body: Any
) -> None:
    first = intake.post(lus_body("utskrivningsklar"), webhook_id="w-1")
    second = intake.post(lus_body("utskrivningsklar"), webhook_id="w-1")

    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json() == first.json()
    assert len(intake.cases.published) == 1


def test_the_same_webhook_id_from_two_senders_is_two_messages(intake: Intake, lus_body: Any) -> None:
    a = intake.post(lus_body("utskrivningsklar"), webhook_id="w-1", secret=SECRET_A)
    b = intake.post(lus_body("utskrivningsklar"), webhook_id="w-1", secret=SECRET_B)
    assert (a.status_code, b.status_code) == (202, 202)
    assert a.json()["case_id"] != b.json()["case_id"]  # one case per sender's episode


def test_a_rotated_secret_of_the_same_sender_is_accepted(intake: Intake, lus_body: Any) -> None:
    response = intake.post(lus_body("utskrivningsklar"), secret=SECRET_A_NEW)
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("case", "mutate"),
    [
        ("unknown secret", {"secret": "whsec_" + "dW5rbm93bi1zZWNyZXQtZm9yLXRlc3RzLW9ubHkhIQ=="}),
        ("too old", {"timestamp": datetime.now(UTC) - timedelta(minutes=6)}),
        ("from the future", {"timestamp": datetime.now(UTC) + timedelta(minutes=6)}),
        ("signature missing", {"headers": {"webhook-signature": ""}}),
        ("tampered", {"headers": {"webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}}),
        ("malformed", {"headers": {"webhook-signature": "garbage"}}),
    ],
)
def test_a_bad_signature_is_refused_with_401_problem_json_that_reveals_nothing(
    intake: Intake, lus_body: Any, case: str, mutate: dict[str, Any]
) -> None:
    response = intake.post(lus_body("utskrivningsklar"), **mutate)

    assert response.status_code == 401, case
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "The message signature could not be verified.",
        "instance": "/webhooks/lus",
    }
    assert intake.inbox.records == {}


def test_a_body_that_is_not_json_gets_400(intake: Intake) -> None:
    response = intake.post(b"{not json")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_json_nested_too_deeply_to_parse_gets_400_not_500(intake: Intake) -> None:
    response = intake.post(b"[" * 30_000 + b"]" * 30_000)
    assert response.status_code in (400, 413)
    deep = b"[" * 20_000 + b"]" * 20_000  # 40 KB: under the size limit
    assert intake.post(deep).status_code == 400


def test_a_body_over_64_kib_gets_413(intake: Intake, lus_body: Any) -> None:
    body = lus_body("inskrivningsmeddelande", needs_summary="x" * (MAX_BODY_BYTES + 1))
    assert intake.post(body).status_code == 413


def test_a_body_that_is_not_application_json_gets_415(intake: Intake, lus_body: Any) -> None:
    response = intake.post(lus_body("utskrivningsklar"), headers={"content-type": "text/plain"})
    assert response.status_code == 415


def test_json_that_breaks_the_format_gets_422_listing_each_field_without_values(intake: Intake, lus_body: Any) -> None:
    body = lus_body("utskrivningsklar")
    del body["ready_at"]
    body["patient"]["id"] = "19401009-2388"  # wrong check digit
    body["sent_at"] = "2026-11-23T09:14:00"  # no offset

    response = intake.post(body)

    assert response.status_code == 422
    problem = response.json()
    fields = {e["field"]: e["type"] for e in problem["errors"]}
    assert fields == {"ready_at": "missing", "patient.id": "value_error", "sent_at": "timezone_aware"}
    assert "19401009" not in response.text
    assert intake.inbox.records == {}


def test_an_unknown_message_type_gets_422_naming_the_field(intake: Intake, lus_body: Any) -> None:
    body = lus_body("utskrivningsklar")
    body["message_type"] = "remiss"
    response = intake.post(body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["message_type"]


def test_when_the_message_cannot_be_stored_the_sender_is_told_to_retry(intake: Intake, lus_body: Any) -> None:
    intake.inbox.available = False
    response = intake.post(lus_body("utskrivningsklar"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    assert intake.cases.published == []


async def test_a_stored_message_that_could_not_be_applied_is_applied_by_the_sweeper(
    intake: Intake, lus_body: Any
) -> None:
    intake.cases.fail_next_save = True
    response = intake.post(lus_body("utskrivningsklar"))

    assert response.status_code == 202  # stored durably: the answer stands
    assert intake.cases.published == []
    assert await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5)) == 0  # too fresh
    intake.clock.moment += timedelta(seconds=6)
    applied = await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5))
    assert applied == 1
    assert [type(e) for e in intake.cases.published] == [ev.ReadyForDischarge]
    assert await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5)) == 0


def test_referral_refuses_to_start_in_production_with_local_development_secrets() -> None:
    from referral.bootstrap import bootstrap
    from referral.config import Settings
    from trygg_shared.settings import TelemetrySettings

    settings = Settings(telemetry=TelemetrySettings(environment="production"))  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="REFERRAL_SENDERS, REFERRAL_PERSON_REF_KEY, REFERRAL_API_TOKENS"):
        bootstrap(settings)


async def test_the_sweeper_applies_what_it_can_when_one_stored_message_keeps_failing(
    intake: Intake, lus_body: Any
) -> None:
    from referral.service_layer.ports import InboundRecord, IntakeAnswer

    bad = InboundRecord(
        "region-a", "broken", "c-broken", "utskrivningsklar", {"not": "lus"}, IntakeAnswer("c", "m"), intake.clock.now()
    )
    await intake.inbox.add(bad)
    intake.cases.fail_next_save = True
    assert intake.post(lus_body("utskrivningsklar")).status_code == 202
    intake.clock.moment += timedelta(seconds=6)

    assert await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5)) == 1
    assert [type(e) for e in intake.cases.published] == [ev.ReadyForDischarge]
