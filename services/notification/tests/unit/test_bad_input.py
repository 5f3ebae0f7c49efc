"""Bad input at notification's edge is a 4xx: a rota shift in the year 378 or a provider callback with a NUL."""

from __future__ import annotations

from datetime import UTC, datetime

from notification_support import Harness, as_role

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_rota_shift_in_the_year_378_is_a_422_naming_the_field() -> None:
    client = Harness.create(now=T0).client()
    rota = {
        "shifts": [
            {
                "starts_at": "0378-11-23T00:00:00+01:00",
                "minutes": 1440,
                "responders": [{"responder_id": "anna", "phone": "+46700000001"}],
            }
        ]
    }
    response = client.put("/rotas/team-vast", json=rota, headers=as_role("ops"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["shifts.0.starts_at"]


def test_a_nul_in_the_audit_subject_query_is_a_422() -> None:
    client = Harness.create(now=T0).client()
    response = client.get("/audit", params={"subject": "case\u0000"}, headers=as_role("ops"))
    assert response.status_code == 422
