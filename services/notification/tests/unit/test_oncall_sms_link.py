"""The on-call SMS names no one and links to the console's Alerts page, where who and where are shown
after sign-in (issue #19 §2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from notification_support import Harness

from notification.domain.alert import Responder, Rota, Shift
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from notification.service_layer.dispatch import dispatch_due

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_the_alert_sms_links_to_the_alerts_page_in_the_console() -> None:
    h = Harness.create(now=T0)
    await h.deps.rotas.put(
        Rota("default", (Shift(T0 - timedelta(days=1), T0 + timedelta(days=7), (Responder("anna", "+46700000001"),)),))
    )
    case_id = str(uuid.uuid4())
    await rel.watch_liability(h.deps, case_id, "p1", T0, T0 + timedelta(hours=20))
    assert await al.fire_liability_watches(h.deps) == 1
    await dispatch_due(h.deps)
    [sms] = h.provider.sent
    assert "Mer i konsolen: http://127.0.0.1:8005/alerts." in sms.text
    assert case_id not in sms.text  # the case's reference (8 characters) only, as before
    assert "/ack/" in sms.text  # acknowledging stays one tap away
