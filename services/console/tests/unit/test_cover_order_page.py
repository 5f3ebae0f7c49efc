"""The hemtjänst cover order in the console: each window with why (not one label for all), the team's
hours, the handover summary; a printable page and a CSV with formulas neutralised; who may read it."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from console_support import ConsoleHarness, march_2026, with_cover_order

from console.domain.access import Role
from trygg_shared.auth import token_hash
from trygg_shared.tokens import ApiToken, local_dev_tokens


@pytest.fixture
async def h() -> ConsoleHarness:
    tokens = [
        *local_dev_tokens(Role),
        ApiToken[Role](token_sha256=token_hash("hofors-lead"), subject="team:h", roles=[Role.TEAM], teams=["hofors"]),
    ]
    harness = ConsoleHarness(tokens=tokens)
    await harness.replay(with_cover_order(march_2026()))
    return harness


def test_each_window_says_why_from_its_cause_not_outside_the_teams_hours_for_all(h: ConsoleHarness) -> None:
    page = h.login("officer").get("/cases/G/cover-order")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Test Person G" in text
    assert 'data-cause="evening"' in text
    assert "Kväll, efter teamets arbetstid" in text  # Swedish first
    assert "Natt (22:00–07:00)" in text
    assert "Helg: teamet arbetar inte" in text
    assert "Helgdag: <strong>Långfredagen</strong>" in text
    assert "mån–fre 08:00–16:30" in text
    assert "inte helgdagar" in text
    assert text.count("Utanför teamets arbetstid") == 0
    # The handover summary, coded.
    assert "Behöver fullt stöd" in text  # medicines
    assert "rollator" in text


def test_in_english_the_windows_say_why_in_english(h: ConsoleHarness) -> None:
    client = h.login("officer")
    client.post("/language", data={"language": "en"})
    text = client.get("/cases/G/cover-order").text
    assert "Evening, after the team's hours" in text
    assert "Public holiday: <strong>Långfredagen</strong>" in text  # the holiday's own (Swedish) name
    assert "Mon–Fri 08:00–16:30" in text


def test_the_page_prints_without_navigation_chrome(h: ConsoleHarness) -> None:
    text = h.login("officer").get("/cases/G/cover-order").text
    assert 'class="no-print"' in text  # the back link and the CSV link
    css = h.client.get("/static/console.css").text
    assert "@media print" in css
    assert "header.site" in css.split("@media print", 1)[1]


def test_the_read_is_audited(h: ConsoleHarness) -> None:
    h.login("oncall").get("/cases/G/cover-order")
    record = h.audit.records[-1]
    assert (record.action, record.case_ids) == ("view_cover_order", ("G",))
    assert "needs_summary" in record.fields


def test_ops_and_another_teams_token_may_not_read_it(h: ConsoleHarness) -> None:
    assert h.login("ops").get("/cases/G/cover-order").status_code == 403
    h.client.cookies.clear()
    assert h.client.post("/login", data={"token": "hofors-lead"}).status_code == 303
    assert h.client.get("/cases/G/cover-order").status_code == 403
    other = h.client.get("/cases/G/cover-order.csv")
    assert (other.status_code, other.headers["content-type"]) == (403, "application/problem+json")


def test_a_case_without_an_order_says_so_and_its_csv_is_404(h: ConsoleHarness) -> None:
    client = h.login("officer")
    assert "Ingen beställning till hemtjänsten för det här ärendet." in client.get("/cases/D/cover-order").text
    missing = client.get("/cases/D/cover-order.csv")
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
    assert client.get("/cases/nobody/cover-order.csv").status_code == 404


def test_the_csv_has_one_line_per_window_and_neutralises_formulas() -> None:
    h = ConsoleHarness()
    asyncio.run(h.replay(with_cover_order(march_2026(), holiday='=HYPERLINK("http://x","y")')))
    response = h.client.get("/cases/G/cover-order.csv", headers={"Authorization": "Bearer dev-team"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["case_id", "person", "team", "from", "to", "hours", "cause", "why", "holiday"]
    assert [r[6] for r in rows[1:]] == ["evening", "night", "weekend", "holiday"]
    assert rows[1][1:6] == ["Test Person G", "Team Väst", "2026-03-26T16:30+01:00", "2026-03-26T22:00+01:00", "5.5"]
    assert rows[4][8] == '\'=HYPERLINK("http://x","y")'  # a spreadsheet shows it as text
    assert h.audit.records[-1].action == "view_cover_order"


def test_the_case_page_links_the_order_and_its_timeline_says_the_real_causes(h: ConsoleHarness) -> None:
    text = h.login("officer").get("/cases/G").text
    assert 'href="/cases/G/cover-order"' in text
    assert "4 tidsfönster för hemtjänst: kvällar, nätter, helger, helgdagar (Långfredagen)" in text
