"""`POST /webhooks/lus` answers exactly as the spec's table says, through the real route and use case."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from referral_support import AGREEMENTS, CaseStore, FixedClock, wire

from devstack.cli import sign
from referral.adapters.memory import InMemoryAgreementStore, InMemoryAuditLog, InMemoryCaseQueries, InMemoryInbox
from referral.adapters.signatures import StandardWebhooksVerifier
from referral.bootstrap import bootstrap
from referral.config import Settings
from referral.entrypoints.lus_format import MAX_BODY_BYTES
from referral.main import http_app
from referral.service_layer.intake import apply_pending
from referral.service_layer.ports import Sender
from trygg_shared.contracts import referral as ev

SECRET_A = "whsec_" + "c2VjcmV0LWEtZm9yLXRlc3RzLW9ubHktMzJieXRlcyE="
SECRET_A_NEW = "whsec_" + "c2VjcmV0LWEtcm90YXRlZC1mb3ItdGVzdHMtb25seSE="
SECRET_B = "whsec_" + "c2VjcmV0LWItZm9yLXRlc3RzLW9ubHktMzJieXRlcyE="


class Intake:
    """The real route and use cases, wired by bootstrap with in-memory adapters and two senders."""

    def __init__(self) -> None:
        self.inbox = InMemoryInbox()
        self.store = CaseStore()
        self.clock = FixedClock(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
        verifier = StandardWebhooksVerifier(
            [(Sender("region-a", "01"), [SECRET_A, SECRET_A_NEW]), (Sender("region-b", None), [SECRET_B])]
        )
        referral = bootstrap(
            Settings(),
            store=self.store,
            queries=InMemoryCaseQueries(self.store, lambda: AGREEMENTS),
            inbox=self.inbox,
            audit=InMemoryAuditLog(),
            agreement_store=InMemoryAgreementStore(),
            clock=self.clock,
            verifier=verifier,
        )
        self.deps = referral.deps
        self.referral = referral
        self.client = TestClient(http_app(referral, lifespan_enabled=False))

    @property
    def published(self) -> list[Any]:
        return wire(self.store.events())

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
    assert [type(e) for e in intake.published] == [ev.ReadyForDischarge]


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
    assert len(intake.published) == 1


def test_webhooks_are_counted_by_outcome_for_the_operators(intake: Intake, lus_body: Any) -> None:
    intake.post(lus_body("utskrivningsklar"), webhook_id="w-2")
    intake.post(lus_body("utskrivningsklar"), webhook_id="w-2")
    intake.post(lus_body("utskrivningsklar"), timestamp=datetime.now(UTC) - timedelta(hours=1))
    intake.post(lus_body("utskrivningsklar"), headers={"content-type": "text/plain"})
    broken = lus_body("utskrivningsklar")
    broken["patient"]["id"] = "19401009-2388"  # wrong check digit
    intake.post(broken)

    text = intake.client.get("/metrics").text
    for outcome in ("accepted", "repeated", "bad_signature", "wrong_media_type", "invalid"):
        assert f'trygg_referral_webhooks_total{{outcome="{outcome}"}} 1.0' in text, outcome
    assert "19401009" not in text


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
        # Timestamps are computed when the test runs, not when it is collected (a slow run
        # would bring "6 minutes ahead" back inside the 5-minute tolerance).
        ("too old", {"timestamp": lambda: datetime.now(UTC) - timedelta(minutes=6)}),
        ("from the future", {"timestamp": lambda: datetime.now(UTC) + timedelta(minutes=6)}),
        ("signature missing", {"headers": {"webhook-signature": ""}}),
        ("tampered", {"headers": {"webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}}),
        ("malformed", {"headers": {"webhook-signature": "garbage"}}),
    ],
)
def test_a_bad_signature_is_refused_with_401_problem_json_that_reveals_nothing(
    intake: Intake, lus_body: Any, case: str, mutate: dict[str, Any]
) -> None:
    mutate = {k: v() if callable(v) else v for k, v in mutate.items()}
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
    assert intake.published == []


async def test_a_stored_message_that_could_not_be_applied_is_applied_by_the_sweeper(
    intake: Intake, lus_body: Any
) -> None:
    intake.store.fail_next_save = True
    response = intake.post(lus_body("utskrivningsklar"))

    assert response.status_code == 202  # stored durably: the answer stands
    assert intake.published == []
    assert await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5)) == 0  # too fresh
    intake.clock.moment += timedelta(seconds=6)
    applied = await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5))
    assert applied == 1
    assert [type(e) for e in intake.published] == [ev.ReadyForDischarge]
    assert await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5)) == 0


async def test_the_body_is_parsed_once_on_its_way_in_and_read_back_only_by_the_sweeper(
    intake: Intake, lus_body: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referral.entrypoints import lus_format

    parses: list[str] = []
    validate_json, validate_python = lus_format.LUS_MESSAGE.validate_json, lus_format.LUS_MESSAGE.validate_python
    adapter = type(lus_format.LUS_MESSAGE)

    class Counting(adapter):  # type: ignore[valid-type,misc]
        def validate_json(self, *args: Any, **kwargs: Any) -> Any:
            parses.append("json")
            return validate_json(*args, **kwargs)

        def validate_python(self, *args: Any, **kwargs: Any) -> Any:
            parses.append("python")
            return validate_python(*args, **kwargs)

    counting = Counting.__new__(Counting)
    monkeypatch.setattr(lus_format, "LUS_MESSAGE", counting)
    assert intake.post(lus_body("utskrivningsklar")).status_code == 202
    assert parses == ["json"]  # once: not json.loads + validate_json + dump + validate_python
    assert [type(e) for e in intake.published] == [ev.ReadyForDischarge]

    parses.clear()
    intake.store.fail_next_save = True
    assert intake.post(lus_body("utskrivningsklar")).status_code == 202
    intake.clock.moment += timedelta(seconds=6)
    assert await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5)) == 1
    assert parses == ["json", "python"]  # the sweeper reads the stored body back


def test_a_webhook_is_one_span(intake: Intake, lus_body: Any) -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    intake.referral.runtime.infra.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    assert intake.post(lus_body("utskrivningsklar")).status_code == 202
    # The request's span only: no `http receive` / `http send` spans beside it (CPU on every request).
    assert [s.name for s in exporter.get_finished_spans()] == ["POST /webhooks/lus"]


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
    intake.store.fail_next_save = True
    assert intake.post(lus_body("utskrivningsklar")).status_code == 202
    intake.clock.moment += timedelta(seconds=6)

    assert await apply_pending(intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5)) == 1
    assert [type(e) for e in intake.published] == [ev.ReadyForDischarge]


async def test_stored_messages_that_keep_failing_are_parked_and_never_starve_the_others(
    intake: Intake, lus_body: Any
) -> None:
    from prometheus_client import REGISTRY

    from referral.service_layer.ports import InboundRecord, IntakeAnswer
    from trygg_shared.batch import Backoff

    def failures() -> float:
        return REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": "inbox_sweep"}) or 0.0

    for n in range(2):  # older than the good one: they come first in every round
        bad = InboundRecord(
            "region-a",
            f"broken-{n}",
            f"c-{n}",
            "utskrivningsklar",
            {"not": "lus"},
            IntakeAnswer("c", "m"),
            intake.clock.now() - timedelta(minutes=1),
        )
        await intake.inbox.add(bad)
    intake.store.fail_next_save = True
    assert intake.post(lus_body("utskrivningsklar")).status_code == 202
    intake.clock.moment += timedelta(seconds=6)
    backoff, before = Backoff(first=timedelta(seconds=30)), failures()

    async def sweep() -> int:
        return await apply_pending(
            intake.deps, {"region-a": "01"}, older_than=timedelta(seconds=5), limit=2, backoff=backoff
        )

    assert await sweep() == 0  # the two broken ones fill the round's limit: each reported once
    assert failures() == before + 2
    assert await sweep() == 1  # parked: the good one is reached, the broken ones not retried yet
    assert [type(e) for e in intake.published] == [ev.ReadyForDischarge]
    assert failures() == before + 2
    intake.clock.moment += timedelta(seconds=31)
    assert await sweep() == 0  # after the pause they are tried (and reported) again
    assert failures() == before + 4
