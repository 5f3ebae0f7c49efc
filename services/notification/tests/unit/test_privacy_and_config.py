"""No phone numbers or names in logs; production refuses local development values."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
import structlog
from notification_support import FakeProvider, FixedClock, Harness, make_settings

from notification.bootstrap import bootstrap, memory_backend, policy_from
from notification.domain.casefile import Relative
from notification.domain.contacts import DayHours, Language, TeamContact
from notification.service_layer import relatives as rel
from notification.service_layer.dispatch import dispatch_due
from notification.service_layer.ports import Rejected

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_a_flow_with_a_withdrawal_and_a_failure_logs_ids_but_no_phone_number() -> None:
    phone = "+46701112233"
    h = Harness.create(now=T0, provider=FakeProvider(script=[Rejected("http_400")]))
    case_id = str(uuid.uuid4())
    with structlog.testing.capture_logs() as logs:
        await rel.record_decision(
            h.deps,
            rel.GrantedDecision(
                case_id,
                "p",
                "d1",
                True,
                "Team Väst",
                date(2026, 11, 25),
                [],
                "officer:a",
                T0,
                "e1",
            ),
        )
        await rel.record_contacts(
            h.deps,
            rel.RelativeContacts(case_id, "p", "d1", [Relative("r1", phone, Language.SV)], (), "officer:a", T0, "e2"),
        )
        await dispatch_due(h.deps)
        await rel.record_decision_change(
            h.deps, rel.ChangedDecision(case_id, "p", "d1", [], "officer:b", T0, "e3", withdrawn=("r1",))
        )
    text = repr(logs)
    assert logs
    assert phone not in text
    assert "701112233" not in text
    assert case_id in text
    assert "consent withdrawn; queued messages cancelled" in text


def test_outside_local_environments_the_service_refuses_development_values() -> None:
    clock = FixedClock(T0)
    settings = make_settings(telemetry={"environment": "production"})
    with pytest.raises(RuntimeError, match="NOTIFICATION_CALLBACK_SECRET"):
        bootstrap(settings, backend=memory_backend(clock), clock=clock)


def test_a_sender_longer_than_eleven_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="sender"):
        make_settings(sender="TryggHemgang")
    assert make_settings(sender="+46701234567").sender == "+46701234567"


@pytest.mark.parametrize(
    ("setting", "value", "field", "expected"),
    [
        ("sender", "Hofors", "sender", "Hofors"),
        ("relative_daily_cap", 3, "relative_daily_cap", 3),
        ("oncall_daily_cap", 9, "oncall_daily_cap", 9),
        ("oncall_language", "fi", "oncall_language", Language.FI),
        ("hemtjanst_phone", "+46812345678", "hemtjanst_phone", "+46812345678"),
        ("default_rota", "ops", "default_rota", "ops"),
        ("resend_when_unknown", True, "resend_when_unknown", True),
        ("max_send_attempts", 7, "max_attempts", 7),
        ("ack_timeout_minutes", 20, "ack_timeout", timedelta(minutes=20)),
        ("public_base_url", "https://n.example.se/", "ack_link_base", "https://n.example.se/ack/"),
        (
            "fallback_contact",
            {"name": "Växeln", "phone": "+46811111111", "hours": [{"weekday": 6, "start": "07:00", "end": "16:00"}]},
            "fallback_contact",
            TeamContact("", "Växeln", "+46811111111", (DayHours(6, time(7), time(16)),)),
        ),
    ],
)
def test_the_policy_takes_each_setting_it_names_and_converts_the_others(
    setting: str, value: object, field: str, expected: object
) -> None:
    assert getattr(policy_from(make_settings(**{setting: value})), field) == expected
