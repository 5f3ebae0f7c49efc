"""What each role's pages show of the alerts: the SMS-cap alert to ops."""

from __future__ import annotations

from console_support import ConsoleHarness, Stream, march_2026, utc

from trygg_shared.contracts import notification as nt


def _sms_cap_alert() -> Stream:
    s = march_2026()
    s.add(
        nt.AlertRaised(
            stream_key="A",
            case_id="A",
            team_id=None,
            alert_id="sms-cap:per_case:A:2026-03-28",
            topic=nt.AlertTopic.SMS_CAP_CASE,
            raised_at=utc(2026, 3, 28, 8, 40),
            responders_on_call=1,
            rota="default",
        ),
        utc(2026, 3, 28, 8, 40),
    )
    return s


async def test_an_sms_cap_alert_is_shown_to_on_call_with_its_title() -> None:
    h = ConsoleHarness()
    await h.replay(_sms_cap_alert())

    page = h.login("oncall").get("/alerts").text

    assert 'data-alert-id="sms-cap:per_case:A:2026-03-28"' in page
    assert "SMS cap reached: too many consenting relatives on one decision (refused)" in page
