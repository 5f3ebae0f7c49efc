"""`trygg demo`: a simulated fortnight through the running system (`make run`), in about a minute.

What it does, step by step (and says so as it goes):
1. checks that referral, scheduling and the console answer;
2. sends, for N people, the hospital's signed LUS webhooks (admission notice, ready for
   discharge) dated over the past two weeks, as a hospital system would have sent them;
3. the officer decides through referral's API: most get Trygg hemgång (a frame decision for the
   team), some ordinary home care only, and the newest case is left for the officer (it stays on
   the console's Cases page with its countdown);
4. the hospital sends the discharge notices (some home in time, some after liability started);
5. the team completes, through scheduling's field API, every planned visit whose time has come,
   with actual times, notes and the EQ-5D self-rating at the first and the last visit;
6. waits for the console to have seen it all, then prints the follow-up figures it computed and
   the console's URL.

A failed step names the service and its answer, never a traceback. Times are real: the people's
stays and periods are placed in the past so that two weeks of visits can be completed now.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from standardwebhooks.webhooks import Webhook

STOCKHOLM = ZoneInfo("Europe/Stockholm")
LOCAL_DEV_SENDER_SECRET = "whsec_dHJ5Z2ctaGVtZ2FuZy1sb2NhbC1kZXYtb25seSEh"  # noqa: S105 - referral's local dev secret
GIVEN = (
    "Astrid",
    "Gunnar",
    "Maj-Britt",
    "Sven",
    "Karin",
    "Bertil",
    "Ingrid",
    "Olof",
    "Aino",
    "Lennart",
    "Elsa",
    "Tore",
)
FAMILY = ("Lindqvist", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Virtanen", "Berg", "Holm", "Ek")
UNITS = (("SE2321000016-15CQ", "Geriatriska kliniken avd 61"), ("SE2321000016-16AB", "Ortopedavdelning 12"))
FIGURE_ROWS = (
    ("people_served", "People served"),
    ("people_new", "New people"),
    ("home_before_liability", "Home before payment liability"),
    ("days_ready_to_home", "Days from ready notice to home"),
    ("liability_days", "Liability days"),
    ("liability_cost", "Liability cost (kr)"),
    ("service_share", "Share of discharges with the service"),
    ("distinct_staff", "Distinct staff per client"),
    ("contact_person_share", "Visits by the contact person"),
    ("eq5d_vas_change", "EQ VAS change"),
)

app = typer.Typer(add_completion=False, help=__doc__)


class StepFailed(Exception):
    """A step could not be done: which service, and why (shown to the user as is)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


@dataclass(frozen=True)
class Urls:
    referral: str
    scheduling: str
    console: str


@dataclass
class Person:
    n: int
    given: str
    family: str
    identity: str
    episode_id: str
    admitted_at: datetime
    ready_at: datetime
    discharged_at: datetime
    decision: str  # trygg_hemgang, hemtjanst_only, none
    length_days: int
    case_id: str | None = None
    decision_id: str | None = None
    visits_done: int = 0


@dataclass
class Counts:
    webhooks: int = 0
    decisions: int = 0
    visits: int = 0
    failures: list[str] = field(default_factory=list)


def personnummer(born: date, serial: int) -> str:
    """A valid 12-digit personnummer (Luhn check digit over YYMMDDNNN)."""
    nine = f"{born:%y%m%d}{serial:03d}"
    total = 0
    for i, ch in enumerate(nine):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    check = (10 - total % 10) % 10
    return f"{born:%Y%m%d}-{serial:03d}{check}"


def people(count: int, now: datetime, rng: random.Random) -> list[Person]:
    """N people whose stays fall in the last two weeks; the newest is still in hospital."""
    out = []
    for n in range(count):
        days_ago = 15 - (n * 13) // max(count - 1, 1)  # spread from 15 days ago to 2 days ago
        admitted = (now - timedelta(days=days_ago + 3)).replace(minute=0, second=0, microsecond=0)
        ready = admitted + timedelta(days=2, hours=rng.randint(1, 6))
        home_after = timedelta(hours=rng.choice((20, 26, 30, 50, 74)))  # some in time, some late
        if n == count - 1:
            # The newest case waits for the officer: ready this morning, so that its liability
            # clock counts down (days left, not started days ago: a clock past its start with no
            # decision is what TryggLiabilityClockUndecided pages for, rightly).
            ready = (now - timedelta(hours=rng.randint(1, 3))).replace(second=0, microsecond=0)
            admitted = (ready - timedelta(days=2, hours=rng.randint(1, 6))).replace(minute=0)
            decision = "none"
        elif n % 5 == 3:
            decision = "hemtjanst_only"
        else:
            decision = "trygg_hemgang"
        born = date(1930 + rng.randint(0, 15), rng.randint(1, 12), rng.randint(1, 28))
        out.append(
            Person(
                n=n,
                given=GIVEN[n % len(GIVEN)],
                family=FAMILY[(n * 7) % len(FAMILY)],
                identity=personnummer(born, rng.randint(100, 989)),
                episode_id=f"DEMO-{uuid.uuid4().hex[:10].upper()}",
                admitted_at=admitted,
                ready_at=ready,
                discharged_at=ready + home_after,
                decision=decision,
                length_days=rng.choice((7, 10, 14)),
            )
        )
    return out


def lus_body(p: Person, message_type: str, sent_at: datetime) -> dict[str, Any]:
    hsa, unit = UNITS[p.n % len(UNITS)]
    body: dict[str, Any] = {
        "message_type": message_type,
        "sent_at": sent_at.isoformat(),
        "episode": {
            "episode_id": p.episode_id,
            "care_unit": {"hsa_id": hsa, "name": unit},
            "care_type": "somatic",
            "admitted_at": p.admitted_at.isoformat(),
        },
        "patient": {
            "id_type": "personnummer",
            "id": p.identity,
            "given_name": p.given,
            "family_name": p.family,
            "address": {
                "street": f"Demovägen {p.n + 1}",
                "postal_code": "17741",
                "city": "Järfälla",
                "municipality_code": "0123",
            },
        },
    }
    if message_type == "inskrivningsmeddelande":
        body["expected_discharge_date"] = p.discharged_at.astimezone(STOCKHOLM).date().isoformat()
    elif message_type == "utskrivningsklar":
        body["ready_at"] = p.ready_at.isoformat()
    elif message_type == "utskrivningsmeddelande":
        body["discharged_at"] = p.discharged_at.isoformat()
        body["destination"] = "home"
    return copy.deepcopy(body)


def signed(secret: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    webhook_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(webhook_id, now, raw.decode())
    return raw, {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def _problem(service: str, response: httpx.Response, doing: str) -> StepFailed:
    try:
        body = response.json()
        why = body.get("detail") or body.get("title") or response.reason_phrase
        errors = body.get("errors") or []
        if errors:
            why += " (" + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors[:3]) + ")"
    except ValueError:
        why = response.reason_phrase
    return StepFailed(service, f"{doing} answered {response.status_code}: {why}")


UNAVAILABLE = 503
RETRIES_WHEN_UNAVAILABLE = 5  # a service shedding load (503 + Retry-After) is asked again, as a sender would
LONGEST_RETRY_WAIT = 10.0


def retry_after_seconds(response: httpx.Response, longest: float = LONGEST_RETRY_WAIT) -> float:
    """The seconds a 503 asks the sender to wait (Retry-After in whole seconds), at most `longest`;
    1 s without one or with one that is not a number."""
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.0), longest)
    except ValueError:
        return 1.0


async def call(
    client: httpx.AsyncClient, service: str, doing: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """One request; a 503 (the service sheds load or is starting) is sent again after its Retry-After.

    The same request is resent (a webhook keeps its id and signature, so the service takes it once).
    """
    for attempt in range(RETRIES_WHEN_UNAVAILABLE + 1):
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise StepFailed(
                service, f"{doing}: no answer from {url.split('/', 3)[2]} ({type(exc).__name__})"
            ) from None
        if response.status_code != UNAVAILABLE or attempt == RETRIES_WHEN_UNAVAILABLE:
            break
        await asyncio.sleep(retry_after_seconds(response))
    if response.status_code >= 400:
        raise _problem(service, response, doing)
    return response


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{role}"}


class Demo:
    def __init__(self, urls: Urls, client: httpx.AsyncClient, out: Console, secret: str) -> None:
        self.urls, self.client, self.out, self.secret = urls, client, out, secret
        self.counts = Counts()

    async def check_up(self) -> None:
        for service, url in (
            ("referral", self.urls.referral),
            ("scheduling", self.urls.scheduling),
            ("console", self.urls.console),
        ):
            await call(self.client, service, "readiness check", "GET", f"{url}/readyz", timeout=5)
            self.out.print(f"  [green]✓[/green] {service} is up at {url}")

    async def team(self) -> str:
        response = await call(
            self.client,
            "scheduling",
            "listing the teams",
            "GET",
            f"{self.urls.scheduling}/teams",
            headers=bearer("ops"),
        )
        teams = response.json()
        if not teams:
            raise StepFailed("scheduling", "has no team configured (PUT /teams/{team_id} as ops first)")
        chosen = teams[0]
        return str(chosen.get("name") or chosen.get("team_id"))

    async def webhook(self, p: Person, message_type: str, sent_at: datetime) -> str:
        raw, headers = signed(self.secret, lus_body(p, message_type, sent_at))
        response = await call(
            self.client,
            "referral",
            f"the {message_type} webhook",
            "POST",
            f"{self.urls.referral}/webhooks/lus",
            content=raw,
            headers=headers,
        )
        self.counts.webhooks += 1
        return str(response.json()["case_id"])

    async def decide(self, p: Person, team: str) -> None:
        assert p.case_id is not None
        start = p.discharged_at.astimezone(STOCKHOLM).date()
        body: dict[str, Any] = {"decision_type": p.decision, "start_date": start.isoformat()}
        if p.decision == "trygg_hemgang":
            body.update(length_days=p.length_days, team=team, hemtjanst_evenings_nights_weekends=True)
        response = await call(
            self.client,
            "referral",
            "recording the decision",
            "POST",
            f"{self.urls.referral}/cases/{p.case_id}/decisions",
            json=body,
            headers=bearer("officer"),
        )
        p.decision_id = response.json().get("decision_id")
        self.counts.decisions += 1

    async def plan(self, p: Person, within: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            response = await self.client.get(f"{self.urls.scheduling}/cases/{p.case_id}/plan", headers=bearer("team"))
            if response.status_code == 200 and response.json().get("visits"):
                return dict(response.json())
            # 404: not planned yet; 403: the plan has no team yet (the person's contact details can
            # reach scheduling before the grant does), so it is not this team token's to read yet.
            if response.status_code not in (200, 403, 404):
                raise _problem("scheduling", response, "reading the plan")
            await asyncio.sleep(0.5)
        return None

    async def complete_visits(self, p: Person, plan: dict[str, Any], rng: random.Random) -> None:
        """Complete the visits that are due: those already past, and today's as if made early.

        Scheduling plans a period from the moment the decision reaches it, so a period that began
        days ago has its first visits today; the team makes them now (times in the past).
        """
        now = datetime.now(UTC)
        today = now.astimezone(STOCKHOLM).date()
        due = sorted(
            (
                v
                for v in plan["visits"]
                if v.get("status") in ("scheduled", "missed", "started")
                and datetime.fromisoformat(v["planned_start"]).astimezone(STOCKHOLM).date() <= today
                and v.get("kind") != "follow_up_call"
            ),
            key=lambda v: v["planned_start"],
        )
        early = 0
        for i, visit in enumerate(due):
            minutes = rng.choice((25, 30, 40, 45, 60)) if visit.get("kind") != "homecoming" else 60
            start = datetime.fromisoformat(visit["planned_start"]) + timedelta(minutes=rng.randint(0, 10))
            if start + timedelta(minutes=minutes) > now:  # later today: made earlier than planned
                early += 1
                start = now - timedelta(minutes=(minutes + 15) * early)
            body: dict[str, Any] = {
                "started_at": start.isoformat(),
                "ended_at": (start + timedelta(minutes=minutes)).isoformat(),
                "notes": {
                    "food": "some_help",
                    "medicines": rng.choice(("independent", "some_help")),
                    "worry": max(1, 4 - i // 3),
                },
            }
            if i == 0 or i == len(due) - 1:
                better = 0 if i == 0 else 1
                body["self_rating"] = {
                    "mobility": 3 - better,
                    "self_care": 2,
                    "usual_activities": 3 - better,
                    "pain_discomfort": 2,
                    "anxiety_depression": 3 - better,
                    "vas": 50 + 15 * better + rng.randint(0, 10),
                    "worry": 3 - better,
                    "safety": 3 + better,
                }
            url = f"{self.urls.scheduling}/cases/{p.case_id}/visits/{visit['visit_id']}/complete"
            response = await self.client.post(url, json=body, headers=bearer("team"))
            if response.status_code == 409:
                continue  # already done, or the plan moved on (e.g. the period ended): nothing to do
            if response.status_code >= 400:
                raise _problem("scheduling", response, f"completing visit {visit['visit_id']}")
            p.visits_done += 1
            self.counts.visits += 1

    async def figures(self, months: list[str]) -> dict[str, Any]:
        response = await call(
            self.client,
            "console",
            "reading the figures",
            "GET",
            f"{self.urls.console}/api/figures",
            params={"from": months[0], "to": months[-1]},
            headers=bearer("ops"),
        )
        return dict(response.json())


async def _each(items: list[Person], work: Callable[[Person], Awaitable[None]], limit: int = 4) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(p: Person) -> None:
        async with gate:
            await work(p)

    await asyncio.gather(*(one(p) for p in items))


async def run_demo(urls: Urls, count: int, seed: int, secret: str, out: Console) -> int:
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    now = datetime.now(UTC)
    crowd = people(count, now, rng)
    async with httpx.AsyncClient(timeout=15) as client:
        demo = Demo(urls, client, out, secret)
        out.print("[bold]1. Checking the services[/bold]")
        await demo.check_up()
        team = await demo.team()
        out.print(f"  the team is [bold]{team}[/bold]")
        progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=out
        )
        with progress:
            task = progress.add_task("2. Hospital messages: admission and ready notices", total=count * 2)

            async def admit(p: Person) -> None:
                await demo.webhook(p, "inskrivningsmeddelande", p.admitted_at)
                progress.advance(task)
                p.case_id = await demo.webhook(p, "utskrivningsklar", p.ready_at)
                progress.advance(task)

            await _each(crowd, admit)
            deciding = [p for p in crowd if p.decision != "none"]
            task = progress.add_task("3. Officer decisions (biståndsbeslut)", total=len(deciding))

            async def decide(p: Person) -> None:
                await demo.decide(p, team)
                progress.advance(task)

            await _each(deciding, decide)
            going_home = crowd[:-1]
            task = progress.add_task("4. Discharge notices", total=len(going_home))

            async def discharge(p: Person) -> None:
                await demo.webhook(p, "utskrivningsmeddelande", p.discharged_at)
                progress.advance(task)

            await _each(going_home, discharge)
            served = [p for p in crowd if p.decision == "trygg_hemgang"]
            task = progress.add_task("5. Team visits completed in the field", total=len(served))
            unplanned: list[Person] = []

            async def visits(p: Person) -> None:
                plan = await demo.plan(p, within=30)
                if plan is None:
                    unplanned.append(p)
                else:
                    await demo.complete_visits(p, plan, rng)
                progress.advance(task)

            await _each(served, visits)
        out.print(
            f"  {demo.counts.webhooks} signed webhooks, {demo.counts.decisions} decisions, "
            f"{demo.counts.visits} visits completed"
        )
        if unplanned:
            out.print(
                f"  [yellow]scheduling planned no visits within 30 s for {len(unplanned)} people "
                "(team full: they wait on the waiting list)[/yellow]"
            )
        out.print("[bold]6. Waiting for the console to see it all[/bold]")
        months = sorted({f"{p.admitted_at.astimezone(STOCKHOLM):%Y-%m}" for p in crowd} | {f"{now:%Y-%m}"})
        deadline = time.monotonic() + 20
        body = await demo.figures(months)
        while time.monotonic() < deadline:
            served_now = sum(r["values"]["people_served"]["value"] or 0 for r in body["rows"] if r["team"] == "*")
            if served_now >= len(served) - len(unplanned):
                break
            await asyncio.sleep(1)
            body = await demo.figures(months)
        out.print(figures_table(body))
        out.print(
            f"\nOpen the console: [bold]{urls.console}[/bold] (sign in with dev-officer, dev-team, "
            "dev-oncall or dev-ops)"
        )
    return 0


def _text(key: str, value: dict[str, Any]) -> str:
    v = value.get("value")
    if v is None:
        return "—"
    if key in ("home_before_liability", "service_share", "contact_person_share"):
        return f"{v * 100:.0f} % ({value.get('numerator', 0):.0f}/{value.get('denominator')})"
    if key == "liability_cost":
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:g}"


def figures_table(body: dict[str, Any]) -> Table:
    rows = [r for r in body["rows"] if r["team"] == "*"]
    table = Table(title="Follow-up figures, all teams (from the console)", title_justify="left")
    table.add_column("figure")
    for r in rows:
        table.add_column(r["month"], justify="right")
    for key, title in FIGURE_ROWS:
        table.add_row(title, *(_text(key, r["values"].get(key, {})) for r in rows))
    return table


@app.command()
def demo(
    people_count: int = typer.Option(8, "--people", min=2, max=40, help="How many discharges to simulate."),
    referral: str = typer.Option("http://127.0.0.1:8001", help="Referral service URL."),
    scheduling: str = typer.Option("http://127.0.0.1:8002", help="Scheduling service URL."),
    console_url: str = typer.Option("http://127.0.0.1:8005", "--console", help="Console URL."),
    seed: int = typer.Option(2026, help="Seed of the simulation (same seed, same people)."),
    secret: str = typer.Option(LOCAL_DEV_SENDER_SECRET, help="The hospital sender's webhook secret."),
) -> None:
    """Drive a simulated fortnight through the running system and show the follow-up figures."""
    out = Console()
    out.print(f"[bold]Trygg hemgång demo:[/bold] {people_count} people over the last two weeks")
    try:
        code = asyncio.run(run_demo(Urls(referral, scheduling, console_url), people_count, seed, secret, out))
    except StepFailed as exc:
        out.print(f"[red]✗ {exc.service}[/red]: {exc.reason}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        out.print("[yellow]stopped[/yellow]")
        raise typer.Exit(130) from None
    raise typer.Exit(code)
