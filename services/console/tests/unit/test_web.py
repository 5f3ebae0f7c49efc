"""The web UI over HTTP (TestClient, in-memory adapters): sign-in, roles, audit, acknowledge, CSV."""

from __future__ import annotations

import asyncio
import csv
import html
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest
from console_support import ConsoleHarness, answered_while_figures_compute, march_2026, memory_feed, slow_figures

from console.adapters.memory import MemorySessionStore
from console.domain.access import Role
from console.domain.figure_sources import SOURCES
from console.domain.figures import FIGURES, Row, Value
from console.entrypoints import i18n
from console.entrypoints.figures import figures_to_csv
from console.entrypoints.live import change_events, first_seen
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.auth import token_hash
from trygg_shared.tokens import ApiToken, local_dev_tokens


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page(harness: ConsoleHarness) -> None:
    response = harness.client.get("/cases")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcases"
    assert harness.audit.records == []


@pytest.mark.parametrize(
    ("form", "back_to"),
    [
        ("/alerts/missed:V-G-3/acknowledge", "/login?next=%2Falerts%2Fmissed%3AV-G-3%2Facknowledge"),
        ("/ops/dead-letters/dlq:0:1/replay", "/login?next=%2Fops%2Fdead-letters%2Fdlq%3A0%3A1%2Freplay"),
        ("/invoices", "/login?next=%2Finvoices"),
    ],
)
def test_a_form_posted_without_a_session_does_nothing_and_goes_to_the_login_page(
    harness: ConsoleHarness, form: str, back_to: str
) -> None:
    response = harness.client.post(form)

    assert response.status_code == 303
    assert response.headers["location"] == back_to
    assert harness.notifications.acknowledged == []
    assert harness.republisher.published == []
    assert harness.billing.imported == []  # type: ignore[attr-defined]
    assert harness.audit.records == []


def test_a_wrong_token_is_refused_and_a_right_one_gives_a_strict_http_only_secure_cookie(
    harness: ConsoleHarness,
) -> None:
    wrong = harness.client.post("/login", data={"token": "dev-nobody"})
    assert wrong.status_code == 401
    assert "Den nyckeln är inte giltig." in wrong.text
    assert "set-cookie" not in wrong.headers

    right = harness.client.post("/login", data={"token": "dev-officer", "next": "/figures"})
    assert right.status_code == 303
    assert right.headers["location"] == "/figures"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "secure" in cookie
    assert "samesite=strict" in cookie
    assert "dev-officer" not in cookie  # the token itself never goes to the browser


def test_login_never_redirects_to_another_site(harness: ConsoleHarness) -> None:
    response = harness.client.post("/login", data={"token": "dev-officer", "next": "//evil.example/x"})

    assert response.headers["location"] == "/cases"


def test_a_tampered_or_expired_session_counts_as_signed_out(harness: ConsoleHarness) -> None:
    harness.login("officer")
    cookie = harness.client.cookies["trygg_console"]
    payload, _, mac = cookie.partition(".")
    harness.client.cookies.clear()
    harness.client.cookies.set("trygg_console", payload + "." + mac[::-1])
    assert harness.client.get("/cases").status_code == 303

    harness.client.cookies.clear()
    harness.login("officer")
    harness.clock.moment += timedelta(hours=9)  # sessions last 8 hours
    assert harness.client.get("/cases").status_code == 303


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("officer", ["/cases", "/cases/A", "/figures"], ["/today", "/alerts", "/audit", "/ops"]),
        ("team", ["/cases", "/today", "/alerts", "/figures"], ["/audit", "/ops"]),
        ("oncall", ["/cases", "/today", "/alerts"], ["/figures", "/audit", "/ops"]),
        ("ops", ["/ops", "/figures", "/audit"], ["/cases", "/cases/A", "/today", "/alerts"]),
    ],
)
def test_each_role_sees_its_pages_and_only_those(
    harness: ConsoleHarness, role: str, allowed: list[str], refused: list[str]
) -> None:
    client = harness.login(role)
    for path in allowed:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
    for path in refused:
        assert client.get(path).status_code == 403, path
    nav = client.get(allowed[0]).text
    for path in refused:
        assert f'href="{path}"' not in nav


def test_the_cases_page_lists_ready_and_planning_cases_soonest_liability_first_and_audits_the_read(
    harness: ConsoleHarness,
) -> None:
    page = harness.login("officer").get("/cases").text
    board = page[: page.index("waiting-heading")]

    # now: 28 Mar 09:00 UTC; D and F become liable at 23:00 the same day; B2 is planning.
    assert board.index('data-case-id="D"') < board.index('data-case-id="F"') < board.index('data-case-id="B2"')
    assert 'data-deadline="2026-03-28T23:00:00+00:00"' in board
    assert "14:00:00 kvar" in board
    assert "Inväntar beslut" in board
    assert 'data-case-id="A"' not in board  # discharged
    waiting = page[page.index("waiting-heading") :]
    assert 'data-case-id="F"' in waiting
    record = harness.audit.records[-1]
    assert record.actor == "officer:dev"
    assert record.action == "view_cases"
    assert set(record.case_ids) == {"D", "F", "B2"}
    assert "name" in record.fields


def test_nothing_is_shown_when_the_read_cannot_be_audited(harness: ConsoleHarness) -> None:
    client = harness.login("officer")
    harness.audit.failing = True

    response = client.get("/cases/A")

    assert response.status_code == 503
    assert "Test Person A" not in response.text


def test_the_case_page_shows_the_timeline_with_a_link_to_the_trace(harness: ConsoleHarness) -> None:
    page = harness.login("team").get("/cases/A").text

    assert "Test Person A" in page
    for what in (
        "Utskrivningsklar",
        "Biståndsbeslut: Trygg hemgång",
        "Besök genomfört: Hembesök vid hemkomst",
        "Perioden avslutad",
        "Sms till anhörig",
        "Dagligt besök",
    ):
        assert what in page, what
    assert "http://127.0.0.1:16686/search?service=referral" in page
    assert harness.audit.records[-1].case_ids == ("A",)
    assert harness.login("team").get("/cases/nope").status_code == 404


def test_today_highlights_missed_and_unstaffed_visits_and_shows_capacity(harness: ConsoleHarness) -> None:
    page = harness.login("team").get("/today?day=2026-03-28").text

    assert 'class="missed" data-visit-id="V-G-3"' in page
    assert 'class="unstaffed" data-visit-id="V-G-4"' in page
    assert "Obemannat" in page
    assert "Anna" in page
    assert "1 / 4" in page  # one client with visits that day, four a day possible
    assert harness.audit.records[-1].action == "view_today"


def test_on_call_acknowledges_an_open_alert_through_the_notification_service(harness: ConsoleHarness) -> None:
    client = harness.login("oncall")
    page = client.get("/alerts").text
    assert 'data-alert-id="missed:V-G-3"' in page
    assert "Kvittera</button>" in page

    response = client.post("/alerts/missed:V-G-3/acknowledge")

    assert response.status_code == 303
    assert harness.notifications.acknowledged == [("missed:V-G-3", "oncall:dev")]


@pytest.mark.parametrize(
    ("alert_id", "answer", "status"),
    [("nope", "ok", 404), ("capacity:F", "ok", 409), ("liability:D", "down", 502), ("liability:D", "conflict", 409)],
)
def test_an_acknowledgement_that_cannot_be_made_says_why(
    harness: ConsoleHarness, alert_id: str, answer: str, status: int
) -> None:
    harness.notifications.answer = answer
    response = harness.login("oncall").post(f"/alerts/{alert_id}/acknowledge")

    assert response.status_code == status
    assert 'class="message"' in response.text
    assert harness.notifications.acknowledged == []


def test_the_team_sees_alerts_but_may_not_acknowledge(harness: ConsoleHarness) -> None:
    client = harness.login("team")
    alerts = client.get("/alerts").text
    assert "Jourlarm" in alerts
    assert "Kvittera</button>" not in alerts
    assert client.post("/alerts/liability:D/acknowledge").status_code == 403
    assert harness.notifications.acknowledged == []


def test_the_figures_page_shows_every_figure_with_its_definition_and_a_chart(harness: ConsoleHarness) -> None:
    page = harness.login("ops").get("/figures?from=2026-02&to=2026-03").text

    swedish = i18n.translations("sv")
    for figure in FIGURES:
        assert swedish.gettext(figure.title) != figure.title  # in Swedish, by default
        assert swedish.gettext(figure.title) in html.unescape(page)
        assert swedish.gettext(figure.definition) in html.unescape(page)
    assert swedish.gettext(SOURCES["home_before_liability"]) in html.unescape(page)
    assert "Personer som fått insatsen" in page
    assert "<svg" in page
    assert "Personer som fått insatsen per månad" in page
    assert "33\u00a0% (1/3)" in page  # home before liability, March, all teams (Swedish number format)
    assert "mars 2026" in page
    assert harness.audit.records == []  # aggregates only: no personal data


def test_the_csv_has_one_line_per_month_team_and_figure(harness: ConsoleHarness) -> None:
    response = harness.client.get(
        "/figures.csv", params={"from": "2026-03", "to": "2026-03"}, headers={"Authorization": "Bearer dev-ops"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2 * len(FIGURES)  # all teams and Team Väst
    liability = next(r for r in rows if r["team"] == "*" and r["figure"] == "liability_cost")
    assert liability["value"] == "37200"
    share = next(r for r in rows if r["team"] == "vast" and r["figure"] == "contact_person_share")
    assert (share["numerator"], share["denominator"]) == ("8", "12")


@pytest.mark.parametrize("path", ["/figures.csv", "/api/figures"])
def test_a_repeated_query_parameter_is_refused_rather_than_one_value_quietly_used(
    harness: ConsoleHarness, path: str
) -> None:
    response = harness.client.get(f"{path}?team=vast&team=Xyzzy", headers={"Authorization": "Bearer dev-ops"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["query.team"]
    assert "Xyzzy" not in response.text  # request input is never echoed


def test_the_data_endpoints_need_a_token_or_session_with_the_role(harness: ConsoleHarness) -> None:
    assert harness.client.get("/figures.csv").status_code == 401
    assert harness.client.get("/api/figures", headers={"Authorization": "Bearer dev-oncall"}).status_code == 403
    response = harness.client.get("/api/figures?from=1999-12", headers={"Authorization": "Bearer dev-ops"})
    assert response.status_code == 422
    unknown = harness.client.get("/figures.csv?form=2026-03", headers={"Authorization": "Bearer dev-ops"})
    assert unknown.status_code == 422
    assert "form" not in unknown.text
    assert response.headers["content-type"] == "application/problem+json"
    body = harness.client.get(
        "/api/figures?from=2026-03&to=2026-02", headers={"Authorization": "Bearer dev-officer"}
    ).json()
    assert body["months"] == ["2026-02", "2026-03"]
    assert body["rows"][2]["values"]["people_served"]["value"] == 4
    assert len(body["definitions"]) == len(FIGURES)


def test_the_audit_page_shows_who_read_what(harness: ConsoleHarness) -> None:
    harness.login("officer").get("/cases/A")
    harness.client.cookies.clear()

    page = harness.login("ops").get("/audit").text

    assert "officer:dev" in page
    assert "visade ett ärende" in page


def test_pages_carry_a_strict_content_security_policy(harness: ConsoleHarness) -> None:
    response = harness.login("officer").get("/cases")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_a_live_refresh_returns_only_the_changing_part_of_the_page(harness: ConsoleHarness) -> None:
    response = harness.login("officer").get("/cases", headers={"X-Console-Partial": "1"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'data-case-id="D"' in response.text


def test_the_event_stream_needs_a_session(harness: ConsoleHarness) -> None:
    assert harness.client.get("/events").status_code == 401


def test_a_page_carries_the_read_model_version_it_was_rendered_at(harness: ConsoleHarness) -> None:
    version = harness.console.deps.feed.version

    page = harness.login("oncall").get("/alerts")

    assert f'data-live data-version="{version}"' in page.text


@pytest.mark.parametrize(
    ("last_event_id", "since", "expected"),
    [
        (None, None, 9),  # a plain connection counts from now
        (None, 4, 4),  # from the version the page was rendered at
        ("6", 4, 6),  # a reconnect resumes after the last event the browser had
        ("garbage", 4, 4),
    ],
)
def test_an_event_stream_counts_from_what_the_browser_has_seen(
    last_event_id: str | None, since: int | None, expected: int
) -> None:
    assert first_seen(last_event_id, since, current=9) == expected


async def test_a_change_while_the_page_loaded_is_sent_as_soon_as_the_stream_opens() -> None:
    feed = memory_feed()
    rendered_at = feed.version
    await feed.changed()  # e.g. the acknowledgement arrives between the page's read and its /events request

    async def connected() -> bool:
        return False

    stream = change_events(feed, first_seen(None, rendered_at, feed.version), connected, within=5.0)
    first = await asyncio.wait_for(anext(stream), timeout=1.0)

    assert first == {"event": "change", "data": "1", "id": "1"}
    await feed.changed()
    assert (await asyncio.wait_for(anext(stream), timeout=1.0))["id"] == "2"
    await stream.aclose()


async def test_a_stream_that_saw_everything_waits_for_the_next_change() -> None:
    feed = memory_feed()
    await feed.changed()

    async def connected() -> bool:
        return False

    stream = change_events(feed, first_seen(None, None, feed.version), connected, within=0.05)
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.2)  # several idle rounds: nothing to send
    assert not waiting.done()
    await feed.changed()
    assert (await asyncio.wait_for(waiting, timeout=1.0))["data"] == "2"
    await stream.aclose()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_a_day_outside_any_real_period_is_a_clear_422_not_a_server_error(harness: ConsoleHarness, day: str) -> None:
    response = harness.login("team").get(f"/today?day={day}")

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "query.day"


def test_the_first_and_last_allowed_days_show_their_page(harness: ConsoleHarness) -> None:
    client = harness.login("team")
    assert client.get("/today?day=2000-01-01").status_code == 200
    assert client.get("/today?day=2099-12-31").status_code == 200


# --- sessions that end, requests from elsewhere, formulas in CSV, bounded figures -----------------


def test_after_logout_the_old_cookie_no_longer_works_anywhere(harness: ConsoleHarness) -> None:
    client = harness.login("oncall")
    cookie = client.cookies["trygg_console"]
    assert client.get("/alerts").status_code == 200

    assert client.post("/logout").status_code == 303
    client.cookies.clear()
    client.cookies.set("trygg_console", cookie)  # kept by someone: the browser has dropped it

    assert client.get("/alerts").status_code == 303
    assert client.get("/events").status_code == 401
    assert client.get("/api/figures").status_code == 401
    assert harness.sessions.records == {}


async def test_a_revoked_token_ends_its_sessions() -> None:
    """The token behind a session is looked up on every request: removed from the configuration
    (the console restarted without it), its sessions end; the other tokens' sessions go on."""
    before = ConsoleHarness()
    officer = before.login("officer").cookies["trygg_console"]
    before.client.cookies.clear()
    ops = before.login("ops").cookies["trygg_console"]

    kept = [t for t in local_dev_tokens(Role) if t.subject != "officer:dev"]
    after = ConsoleHarness(tokens=kept, sessions=before.sessions)
    after.client.cookies.set("trygg_console", officer)
    assert after.client.get("/cases").status_code == 303
    after.client.cookies.clear()
    after.client.cookies.set("trygg_console", ops)
    assert after.client.get("/figures").status_code == 200
    assert len(before.sessions.records) == 1  # the revoked token's session is gone


async def test_ended_sessions_are_swept_from_the_store(harness: ConsoleHarness) -> None:
    harness.login("officer")
    harness.clock.moment += timedelta(hours=7)
    harness.client.cookies.clear()
    harness.login("ops")
    harness.clock.moment += timedelta(hours=2)  # the first has ended, the second has not

    assert await harness.console.sessions.sweep(harness.clock.now()) == 1
    assert len(harness.sessions.records) == 1
    assert harness.client.get("/figures").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "https://testserver:8443"},  # another port of the same host: SameSite lets it through
        {"Origin": "https://sub.testserver"},
        {"Origin": "null"},
        {"Origin": "", "Referer": "http://evil.example/page"},
        {"Origin": ""},  # neither Origin nor Referer
    ],
)
def test_an_acknowledgement_from_another_origin_is_refused(harness: ConsoleHarness, headers: dict[str, str]) -> None:
    client = harness.login("oncall")
    if headers.get("Origin") == "":
        del client.headers["Origin"]
        headers = {k: v for k, v in headers.items() if k != "Origin"}

    response = client.post("/alerts/missed:V-G-3/acknowledge", headers=headers)

    assert response.status_code == 403
    assert harness.notifications.acknowledged == []


def test_login_and_logout_from_another_origin_are_refused(harness: ConsoleHarness) -> None:
    evil = {"Origin": "http://evil.example"}
    assert harness.client.post("/login", data={"token": "dev-officer"}, headers=evil).status_code == 403
    assert harness.sessions.records == {}
    harness.login("officer")
    assert harness.client.post("/logout", headers=evil).status_code == 403
    assert harness.client.get("/cases").status_code == 200


def test_an_acknowledgement_from_the_console_page_or_a_referer_on_it_is_accepted(harness: ConsoleHarness) -> None:
    client = harness.login("oncall")
    del client.headers["Origin"]

    response = client.post("/alerts/missed:V-G-3/acknowledge", headers={"Referer": "https://testserver/alerts"})

    assert response.status_code == 303
    assert harness.notifications.acknowledged == [("missed:V-G-3", "oncall:dev")]


def test_a_team_name_that_would_be_a_formula_is_text_in_the_csv() -> None:
    value = Value(3.0)
    row = Row("2026-03", "x", '=HYPERLINK("http://x","y")', {f.key: value for f in FIGURES})

    lines = list(csv.DictReader(io.StringIO(figures_to_csv([row]))))

    assert {line["team_name"] for line in lines} == {'\'=HYPERLINK("http://x","y")'}
    assert {line["value"] for line in lines} == {"3"}


@pytest.mark.parametrize("path", ["/api/figures", "/figures.csv", "/figures"])
def test_more_than_24_months_of_figures_is_refused(harness: ConsoleHarness, path: str) -> None:
    harness.login("ops")

    wide = harness.client.get(path, params={"from": "2000-01", "to": "2099-12"})
    assert wide.status_code == 422
    if path == "/figures":  # a person asked: a page in their language (Swedish unless chosen)
        assert wide.headers["content-type"].startswith("text/html")
        assert "Be om högst 24 månader åt gången." in wide.text
    else:
        assert wide.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in wide.json()["errors"]] == ["query.to"]
    assert harness.client.get(path, params={"from": "2025-04", "to": "2027-03"}).status_code == 200  # 24


async def test_the_event_loop_answers_while_the_figures_are_computed(
    harness: ConsoleHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures are CPU work: computed in a thread, so that health checks, the event stream and
    other pages are answered meanwhile (on the loop, readiness stalled for the whole computation)."""
    slow_figures(monkeypatch)
    transport = httpx.ASGITransport(app=harness.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        health, waited = await answered_while_figures_compute(
            client, "/healthz", headers={"Authorization": "Bearer dev-ops"}, pause=0.1
        )
    assert health.status_code == 200
    assert waited < 0.4, f"the event loop was blocked for {waited:.2f} s"


async def test_an_open_event_stream_ends_with_its_session(harness: ConsoleHarness) -> None:
    harness.login("oncall")
    cookie = harness.client.cookies["trygg_console"]
    transport = httpx.ASGITransport(app=harness.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver", cookies={"trygg_console": cookie}
    ) as client:
        stream = asyncio.create_task(client.get("/events", params={"since": harness.console.deps.feed.version}))
        await asyncio.sleep(0.1)
        await harness.console.deps.feed.changed()
        await asyncio.sleep(0.1)
        assert not stream.done()  # signed in: the stream stays open

        await harness.console.sessions.end(cookie)  # logout (or the token revoked) elsewhere
        await harness.console.deps.feed.changed()
        response = await asyncio.wait_for(stream, timeout=3.0)

    assert response.status_code == 200
    assert response.text.count("event: change") == 1  # the change while signed in, nothing after


class _DownSessions(MemorySessionStore):
    async def add(self, record: Any) -> None:
        raise StorageUnavailable("down")

    async def get(self, key: str) -> Any:
        raise StorageUnavailable("down")


def test_sessions_that_cannot_be_stored_or_read_are_a_503_not_a_sign_in() -> None:
    harness = ConsoleHarness(sessions=_DownSessions())

    login = harness.client.post("/login", data={"token": "dev-officer"})
    assert login.status_code == 503
    assert "set-cookie" not in login.headers
    harness.client.cookies.set("trygg_console", "some-cookie")
    page = harness.client.get("/cases")
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert page.headers["content-type"].startswith("text/html")  # a page, as documented, in Swedish
    assert "Din session kan inte kontrolleras just nu." in page.text


async def test_a_team_token_scoped_to_its_teams_sees_only_their_visits_on_today() -> None:
    def team_token(token: str, teams: list[str]) -> ApiToken[Role]:
        return ApiToken[Role](token_sha256=token_hash(token), subject=f"team:{token}", roles=[Role.TEAM], teams=teams)

    harness = ConsoleHarness(tokens=[team_token("hofors-lead", ["hofors"]), team_token("vast-lead", ["vast"])])
    await harness.replay(march_2026())

    other = harness.client.post("/login", data={"token": "hofors-lead"})
    assert other.status_code == 303
    page = harness.client.get("/today?day=2026-03-28").text
    assert "V-G-3" not in page
    assert "Anna" not in page
    assert harness.audit.records[-1].case_ids == ()  # nothing of another team was read

    harness.client.cookies.clear()
    harness.client.post("/login", data={"token": "vast-lead"})
    assert 'data-visit-id="V-G-3"' in harness.client.get("/today?day=2026-03-28").text
