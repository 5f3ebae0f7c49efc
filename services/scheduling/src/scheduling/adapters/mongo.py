"""MongoDB adapters: queries across plans and teams, the audit log, and the timer scanner.

Every hot query is an equality filter on indexed top-level fields (see `trygg_shared.indexes`:
FerretDB 1.24 on PostgreSQL pushes only those down to SQL) and returns a bounded set:
`{team_id, active: true}` (a team's running periods), `{next_due_hour: "<hour>"}` (plans with
a timer due in one hour), `{_id}` for loads and claims.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import uuid4

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from scheduling.adapters.codec import CasePlanCodec, TeamCodec
from scheduling.domain.plan import CasePlan
from scheduling.domain.team import Team
from scheduling.service_layer.ports import Clock
from trygg_shared.aggregate import ConcurrencyConflict, StorageUnavailable
from trygg_shared.audit import AuditShape
from trygg_shared.batch import Failures, backoff_delay
from trygg_shared.indexes import Index
from trygg_shared.logging import get_logger
from trygg_shared.mongo import Document, compare_and_set
from trygg_shared.mongo_audit import MongoAuditLog as SharedMongoAuditLog
from trygg_shared.telemetry import traced_work
from trygg_shared.timers import HOUR_KEY_FORMAT, DueTimeLoop, hour_key

log = get_logger(__name__)

PLANS = "case_plans"
TEAMS = "teams"
AUDIT = "audit_log"
TIMER_CURSOR = "timer_cursor"
TIMER_CLAIMS = "timer_claims"

INDEXES = [
    Index(PLANS, ("team_id", "active")),
    Index(PLANS, ("next_due_hour",)),
    Index(AUDIT, ("case_ids", "at")),
]

# Reads of personal data, in their own collection (never in the application logs): the cases and fields shown.
AUDIT_SHAPE = AuditShape(AUDIT, ("case_ids", "fields"))
MongoAuditLog = partial(SharedMongoAuditLog, shape=AUDIT_SHAPE)


class MongoPlanQueries:
    def __init__(self, db: AsyncDatabase[Document], codec: CasePlanCodec) -> None:
        self._plans = db[PLANS]
        self._codec = codec

    async def active_plans(self, team_id: str) -> list[CasePlan]:
        cursor = self._plans.find({"team_id": team_id, "active": True}, {"state": 1})
        return [self._codec.from_document(doc) async for doc in cursor]


class MongoTeamQueries:
    def __init__(self, db: AsyncDatabase[Document], codec: TeamCodec) -> None:
        self._teams = db[TEAMS]
        self._codec = codec

    async def all_teams(self) -> list[Team]:
        # A municipality has a handful of teams: the whole (small) collection.
        return [self._codec.from_document(doc) async for doc in self._teams.find({}, {"state": 1})]


FireFn = Callable[[str], Awaitable[int]]


class TimerScanner:
    """Finds plans with a due timer and fires them, claiming each plan first.

    Buckets: a plan's `next_due_hour` is the UTC hour of its earliest timer (the current hour
    when already due). The scanner reads the buckets from its cursor (kept in `timer_cursor`)
    to the current hour, one equality query each; the cursor passes an hour only when no plan
    is left in it. Claim: a document `{_id: <case id>, owner, until}` inserted into
    `timer_claims` (a unique insert is the only atomic claim FerretDB v1 offers; a conditional
    update of the plan itself would be read-then-write there and could overwrite a concurrent
    save of the plan), so two replicas rarely work on one plan at once; a claim lapses after
    `lease`. Exactly once does not depend on the claim: firing is a compare-and-set save on the
    plan's version, and a plan whose timers fired has nothing due left.

    When: `run` sleeps until the earliest `next_due_at` of the current and the next hour's
    buckets (two equality queries on an indexed field), is woken by a plan saved in this process
    with an earlier timer (`loop.saved`, through the plan store's `on_written`), and looks again
    at least every `poll_seconds` for timers saved by another replica (`trygg_shared.timers`).

    One plan whose timers raise (a bug, a plan that breaks a rule) never stops the others: it is
    reported (`trygg_shared.batch`: logged by case id and error type, counted in
    `trygg_batch_record_failures_total{batch="plan_timers"}`) and parked: its `next_due_at`
    (and bucket) is pushed by a pause that doubles with each failure in a row (`backoff_first`
    up to `backoff_longest`, counted in the plan's `timer_failures`), by a compare-and-set on
    its version, so every replica leaves it alone until then, the loop sleeps to then instead
    of spinning, and the cursor moves on. Any save of the plan (a change that may mend it)
    writes its real due time again. A store that is down stops the round (it is run again).
    """

    def __init__(
        self,
        db: AsyncDatabase[Document],
        fire: FireFn,
        clock: Clock,
        *,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float = 5.0,
        first_scan_hours: int = 48,
        backoff_first: timedelta = timedelta(seconds=5),
        backoff_longest: timedelta = timedelta(minutes=30),
    ) -> None:
        self._plans: AsyncCollection[Document] = db[PLANS]
        self._claims: AsyncCollection[Document] = db[TIMER_CLAIMS]
        self._cursor: AsyncCollection[Document] = db[TIMER_CURSOR]
        self._fire = fire
        self._clock = clock
        self._lease = lease
        self.poll_seconds = poll_seconds
        self._first_scan = timedelta(hours=first_scan_hours)
        self._backoff = (backoff_first, backoff_longest)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"
        self.fired = 0
        self.loop = DueTimeLoop(self.scan_once, self.next_due, clock.now, recheck_seconds=poll_seconds)

    async def next_due(self) -> datetime | None:
        """The earliest timer of the current and the next UTC hour (older buckets: `scan_once`)."""
        hour = self._clock.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        earliest: datetime | None = None
        for bucket in (hour, hour + timedelta(hours=1)):
            async for doc in self._plans.find({"next_due_hour": hour_key(bucket)}, {"next_due_at": 1}):
                due = doc.get("next_due_at")
                if isinstance(due, datetime) and (earliest is None or due < earliest):
                    earliest = due
        return earliest

    async def _cursor_hour(self, now: datetime) -> datetime:
        doc = await self._cursor.find_one({"_id": "timers"})
        if doc is not None:
            hour: datetime = doc["hour"]
            return hour.astimezone(UTC)
        # The very first scan of this database: start at the earliest bucket any plan is in
        # (one full read of a projection, once), or a little before now when there is none.
        earliest = (now - self._first_scan).replace(minute=0, second=0, microsecond=0)
        async for plan in self._plans.find({}, {"next_due_hour": 1}):
            bucket = plan.get("next_due_hour")
            if isinstance(bucket, str):
                earliest = min(earliest, datetime.strptime(bucket, HOUR_KEY_FORMAT).replace(tzinfo=UTC))
        return earliest

    async def _advance(self, old: datetime, new: datetime) -> None:
        if new <= old:
            return
        result = await self._cursor.update_one({"_id": "timers", "hour": old}, {"$set": {"hour": new}})
        if result.matched_count == 0:
            try:
                await self._cursor.update_one({"_id": "timers"}, {"$setOnInsert": {"hour": new}}, upsert=True)
            except DuplicateKeyError:
                # Another replica created the cursor between our two writes (FerretDB's upsert is
                # an insert that may race): its value stands, and the next round reads it.
                log.debug("timer cursor created by another replica")

    async def scan_once(self) -> int:
        """One pass over the due buckets; returns how many plans had timers fired."""
        now = self._clock.now()
        start = await self._cursor_hour(now)
        current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hour = start
        advance_to = start
        stuck = False
        fired = 0
        failures = Failures("plan_timers")
        while hour <= current:
            fired += await self._scan_hour(hour_key(hour), now, failures)
            if hour < current and not stuck:
                left = await self._plans.find_one({"next_due_hour": hour_key(hour)}, {"_id": 1})
                if left is None:
                    advance_to = hour + timedelta(hours=1)
                else:
                    stuck = True  # a plan still waits in this hour (claimed elsewhere, or failing)
            hour += timedelta(hours=1)
        await self._advance(start, min(advance_to, current))
        self.fired += fired
        return fired

    async def _scan_hour(self, bucket: str, now: datetime, failures: Failures) -> int:
        fired = 0
        projection = {"_id": 1, "next_due_at": 1, "version": 1, "timer_failures": 1}
        cursor = self._plans.find({"next_due_hour": bucket}, projection)
        candidates = [doc async for doc in cursor]
        for doc in candidates:
            due = doc.get("next_due_at")
            if due is None or due > now:
                continue
            case_id = str(doc["_id"])
            if not await self._claim(case_id, now):
                continue  # another replica works on it
            try:
                with traced_work("scheduling.timer.fire", attributes={"case_id": case_id}):
                    if await self._fire(case_id):
                        fired += 1
            except ConcurrencyConflict:
                continue  # another writer kept changing the plan: looked at again next round
            except StorageUnavailable:
                raise  # the store is down: the round stops and is run again
            except Exception as exc:  # noqa: BLE001 - one bad plan must not stop the others
                failures.report(case_id, exc)
                await self._park(doc, now)
            finally:
                await self._claims.delete_one({"_id": case_id, "owner": self.owner})
        return fired

    async def _park(self, doc: Document, now: datetime) -> None:
        """Push a failing plan's due time by its pause (a compare-and-set on the version read)."""
        failed = int(doc.get("timer_failures") or 0) + 1
        until = now + backoff_delay(failed, *self._backoff)
        fields = {"next_due_at": until, "next_due_hour": hour_key(until), "timer_failures": failed}
        if await compare_and_set(self._plans, doc["_id"], int(doc["version"]), fields) is not None:
            log.warning("plan timers parked after a failure", case_id=str(doc["_id"]), failures=failed, until=until)

    async def _claim(self, case_id: str, now: datetime) -> bool:
        claim = {"_id": case_id, "owner": self.owner, "until": now + self._lease}
        for _ in range(2):
            try:
                await self._claims.insert_one(claim)
            except DuplicateKeyError:
                held = await self._claims.find_one({"_id": case_id})
                if held is not None and held["until"] > now:
                    return False
                # Lapsed (its owner died): remove it and try once more. Two replicas racing here
                # may both proceed; the plan's compare-and-set save lets only one fire.
                await self._claims.delete_one({"_id": case_id, "until": held["until"] if held else now})
                continue
            return True
        return False

    async def run(self) -> None:
        """The background loop (the runtime restarts it after an error)."""
        await self.loop.run()
