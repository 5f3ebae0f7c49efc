"""Alerts that reached nobody: a banner on every page of on-call staff and ops; alerts that closed themselves."""

from __future__ import annotations

from datetime import datetime

import pytest
from console_support import ConsoleHarness, Stream, alert, march_2026, raise_alert, utc

from trygg_shared.contracts import notification as nt


def unrouted(stream: Stream, alert_id: str = "liability:U") -> None:
    topic = nt.AlertTopic.LIABILITY_NO_DECISION
    raise_alert(stream, "U", None, alert_id, topic, at=utc(2026, 3, 28, 8), due_at=utc(2026, 3, 29, 8), responders=0)


@pytest.mark.parametrize(
    ("role", "pages"), [("oncall", ["/cases", "/today", "/alerts"]), ("ops", ["/ops", "/figures", "/audit"])]
)
async def test_an_alert_that_reached_nobody_is_shown_on_every_page_of_oncall_and_ops(
    role: str, pages: list[str]
) -> None:
    h = ConsoleHarness()
    stream = march_2026()
    unrouted(stream)
    await h.replay(stream)
    client = h.login(role)
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert 'id="unrouted-alerts"' in response.text, page
        assert "1 larm nådde ingen" in response.text


async def test_no_banner_for_other_roles_or_when_every_alert_reached_someone() -> None:
    h = ConsoleHarness()
    await h.replay(march_2026())  # every alert there had someone on call
    assert 'id="unrouted-alerts"' not in h.login("oncall").get("/alerts").text

    other = ConsoleHarness()
    stream = march_2026()
    unrouted(stream)
    await other.replay(stream)
    assert 'id="unrouted-alerts"' not in other.login("officer").get("/cases").text


def decision_came(stream: Stream, case_id: str, at: datetime) -> None:
    """The case's liability alert closed itself: its decision came."""
    stream.add(
        nt.AlertResolved(
            **alert(case_id, None, f"liability:{case_id}", nt.AlertTopic.LIABILITY_NO_DECISION),
            reason=nt.AlertResolution.DECISION_GRANTED,
            resolved_at=at,
        ),
        at,
    )


async def test_an_alert_that_closed_itself_leaves_the_open_list_and_the_banner() -> None:
    h = ConsoleHarness()
    stream = march_2026()
    unrouted(stream)
    decision_came(stream, "U", utc(2026, 3, 28, 8, 30))
    await h.replay(stream)
    state = await h.console.deps.read_model.alert("liability:U")
    assert state is not None
    assert not state.open
    assert state.resolved_reason == "decision_granted"
    page = h.login("oncall").get("/alerts").text
    assert 'id="unrouted-alerts"' not in page
    assert "stängdes av sig självt: beslut fattat" in page


async def test_a_case_page_says_its_alert_closed_itself_and_why() -> None:
    h = ConsoleHarness()
    stream = march_2026()
    decision_came(stream, "D", utc(2026, 3, 28, 8, 45))
    await h.replay(stream)

    page = h.login("officer").get("/cases/D").text

    assert "larmat 2026-03-28 08:00, stängdes av sig självt: beslut fattat" in page  # not "kvitterat av None"
    assert "None" not in page
    assert "Jourlarm stängdes av sig självt" in page  # its timeline line
