"""Audit records name the trace their use case ran in, though the use cases do no tracing themselves:
the composition root gives them the current trace id (`ReferralDeps.trace_id`, `SmsLimits.trace_id`)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from referral_support import ApiHarness

from referral.entrypoints.lus_format import parse_lus
from referral.service_layer.cases import read_case
from referral.service_layer.intake import receive_hospital_message
from referral.service_layer.ports import Sender

TRACER = TracerProvider().get_tracer("test")


def test_a_read_audited_inside_a_trace_names_that_trace(api: ApiHarness, lus_body: Any) -> None:
    body = lus_body("utskrivningsklar")
    body["episode"]["episode_id"] = f"TC-{uuid.uuid4().hex[:8]}"
    deps = api.referral.deps
    case_id = asyncio.run(
        receive_hospital_message(deps, Sender("local-dev", "01"), "w-1", parse_lus(body))
    ).answer.case_id
    authenticate = api.referral.runtime.authenticate
    assert authenticate is not None
    officer = authenticate("dev-officer")
    assert officer is not None

    asyncio.run(read_case(deps, case_id, officer))  # outside any trace
    with TRACER.start_as_current_span("GET /cases/{case_id}") as span:
        asyncio.run(read_case(deps, case_id, officer))

    untraced, traced = api.audit.records[-2:]
    assert untraced.trace_id is None
    assert traced.trace_id == format(span.get_span_context().trace_id, "032x")


def test_the_sms_cap_alert_is_given_the_current_trace_too(api: ApiHarness) -> None:
    with TRACER.start_as_current_span("POST /cases/{case_id}/decisions") as span:
        assert api.referral.deps.sms.trace_id() == format(span.get_span_context().trace_id, "032x")
    assert api.referral.deps.sms.trace_id() is None
