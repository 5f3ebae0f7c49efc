"""MongoDB adapters: the aggregate stores' collections, the queries on them, and the small stores.

Every query leads with an equality on an indexed top-level field (see `INDEXES`), the only
filter FerretDB 1.24 on PostgreSQL pushes down; due-time comparisons run on that selection.
The dispatcher's due query reads hour buckets (`due_hour`, see `MongoMessageQueries`), not every
queued message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any, cast

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from notification.adapters.codec import AlertCodec, CaseFileCodec, MessageCodec
from notification.domain.alert import Alert, AlertState, Responder, Rota, Shift
from notification.domain.casefile import CaseFile, WatchState
from notification.domain.contacts import DayHours, TeamContact
from notification.domain.message import Message, MessageState
from notification.domain.templates import AlertTopic
from notification.service_layer.ports import Clock, StoredSms
from trygg_shared.aggregate import ConcurrencyConflict, Loaded
from trygg_shared.audit import AuditShape
from trygg_shared.indexes import Index
from trygg_shared.lanes import batch_reads
from trygg_shared.mongo import Document
from trygg_shared.mongo_audit import MongoAuditLog as SharedMongoAuditLog
from trygg_shared.mongo_store import MongoAggregateStore
from trygg_shared.timers import hour_key

CASES = "cases"
MESSAGES = "messages"
ALERTS = "alerts"
CAPS = "daily_caps"
CLAIMS = "claims"
ROTAS = "rotas"
TEAMS = "teams"
AUDIT = "audit"
LOCAL_SMS = "local_sms"

INDEXES = [
    Index(CASES, ("watch_state",)),
    Index(CASES, ("person_ref",)),
    Index(CASES, ("period_active",)),
    Index(MESSAGES, ("state",)),
    Index(MESSAGES, ("due_hour",)),  # the dispatcher's due query: one hour's bucket by equality
    Index(MESSAGES, ("case_id",)),
    Index(MESSAGES, ("alert_id",)),
    Index(ALERTS, ("state",)),
    Index(ALERTS, ("notify_pending",)),
    Index(ALERTS, ("unrouted",)),  # mostly false: the timer round's look for alerts to route is small
    Index(ALERTS, ("ack_code",), unique=True),
    Index(ALERTS, ("team_id",)),
    Index(ALERTS, ("case_id",)),
    Index(CAPS, ("day",)),
    Index(CAPS, ("key",)),
    Index(CLAIMS, ("day",)),
    Index(TEAMS, ("name",)),
    Index(AUDIT, ("subject",)),
    Index(LOCAL_SMS, ("message_id",)),
    Index(LOCAL_SMS, ("created_day",)),
]

# Every read of personal data (rota phones, local SMS texts) and change of a rota: what it was about.
AUDIT_SHAPE = AuditShape(AUDIT, ("subject",))
MongoAuditLog = partial(SharedMongoAuditLog, shape=AUDIT_SHAPE)


class Stores:
    """The three aggregate stores on one database."""

    def __init__(self, db: AsyncDatabase[Document], timezone: Any, clock: Clock | None = None) -> None:
        self.cases: MongoAggregateStore[CaseFile] = MongoAggregateStore(db, CASES, CaseFileCodec())
        # A message's outcome is saved here just before its delivery report comes (`saved_here`).
        # The clock puts a message whose due time is past in the current hour's bucket.
        self.messages: MongoAggregateStore[Message] = MongoAggregateStore(
            db, MESSAGES, MessageCodec(clock), remember_saved=4096
        )
        self.alerts: MongoAggregateStore[Alert] = MongoAggregateStore(db, ALERTS, AlertCodec(timezone))


class MongoCaseQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[CASES]

    async def due_watches(self, now: datetime) -> list[str]:
        cursor = self._c.find({"watch_state": WatchState.ARMED.value, "watch_alert_at": {"$lte": now}}, {"_id": 1})
        return [str(d["_id"]) async for d in cursor]

    async def next_watch_at(self, excluding: Sequence[str] = ()) -> datetime | None:
        query: Document = {"watch_state": WatchState.ARMED.value}
        if excluding:
            query["_id"] = {"$nin": list(excluding)}
        doc = await self._c.find_one(query, {"watch_alert_at": 1}, sort=[("watch_alert_at", 1)])
        return doc["watch_alert_at"] if doc else None

    async def active_periods_of(self, person_ref: str) -> list[str]:
        cursor = self._c.find({"person_ref": person_ref, "period_active": True}, {"_id": 1})
        return [str(d["_id"]) async for d in cursor]


DUE_HOUR = "due_hour"
# For this long after the hour turns, the due query also reads the hour before's bucket: a message
# written just before the turn may not have been visible yet to the sweep at the turn.
TURN_GRACE = timedelta(seconds=60)
_HOUR = timedelta(hours=1)


def _due_at(doc: Document, now: datetime) -> datetime | None:
    """When the message in `doc` became due (queued: `not_before`; `sending`: its lapsed claim), or None."""
    state, at = doc.get("state"), None
    if state == MessageState.QUEUED.value:
        at = doc.get("not_before")
    elif state == MessageState.SENDING.value:
        at = doc.get("claim_until")
    return at if isinstance(at, datetime) and at <= now else None


class MongoMessageQueries:
    """The message queries. The due query reads buckets, not every queued message.

    A queued or `sending` message carries `due_hour` (`MessageCodec`): the UTC hour of the moment
    a dispatcher should take it, or the current hour when that moment had passed when it was
    written. A poll reads the current hour's bucket by equality (GIN-indexed), plus the hour
    before's for `TURN_GRACE` after the turn, plus the older buckets a sweep found due messages
    in (until they hold none), and compares the exact times here: its cost follows what is due
    within the hour, not the future reminders queued days ahead (before: every queued message
    was read and decoded by FerretDB each second, which pushes only `state` down).

    A sweep (every queued and `sending` message: two equality queries on `state`) runs at the
    first poll of this process and at the first poll of each new hour: it finds what is due in
    an older bucket (a message whose dispatch failed and waits, one another replica wrote
    before the turn) and gives a bucket to messages written before buckets existed (a save at
    their version, which writes nothing else; a conflict means someone else saved, and so
    bucketed, it). A sweep that found more due messages than the poll's limit runs again.
    """

    def __init__(self, db: AsyncDatabase[Document], store: MongoAggregateStore[Message] | None = None) -> None:
        self._c = db[MESSAGES]
        self._codec = MessageCodec()
        self._store = store or MongoAggregateStore(db, MESSAGES, self._codec)
        self._swept: datetime | None = None  # the hour of this process's last complete sweep
        self._stale: set[str] = set()  # older buckets a sweep found due messages in
        self.sweeps = 0

    async def _due(self, now: datetime, limit: int, projection: Document) -> list[Document]:
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        if self._swept is None or hour > self._swept:
            found = await self._sweep(now, hour, limit)
        else:
            buckets = {hour_key(hour), *self._stale}
            if now - hour < TURN_GRACE:
                buckets.add(hour_key(hour - _HOUR))
            found = []
            for bucket in sorted(buckets):
                docs = [d async for d in self._c.find({DUE_HOUR: bucket}, projection)]
                if bucket in self._stale and not any(_due_at(d, now) for d in docs):
                    self._stale.discard(bucket)
                found += docs
        due = [(at, str(d["_id"]), d) for d in found if (at := _due_at(d, now)) is not None]
        due.sort(key=lambda x: (x[0], x[1]))
        return [d for _, _, d in due[:limit]]

    async def _sweep(self, now: datetime, hour: datetime, limit: int) -> list[Document]:
        """Every queued and `sending` message (the outbox left out); unbucketed ones get their bucket."""
        self.sweeps += 1
        found: list[Document] = []
        for state in (MessageState.QUEUED, MessageState.SENDING):
            found += [d async for d in self._c.find({"state": state.value}, {"outbox": 0})]
        for doc in found:
            if doc.get(DUE_HOUR) is None:
                await self._bucket(doc)
        due = [d for d in found if _due_at(d, now) is not None]
        self._stale = {str(d[DUE_HOUR]) for d in due if d.get(DUE_HOUR) and d[DUE_HOUR] != hour_key(hour)}
        if len(due) <= limit:
            self._swept = hour
        return due

    async def _bucket(self, doc: Document) -> None:
        """Save a message written without `due_hour` at its version: the codec writes its bucket."""
        loaded = self._store.loaded(doc)
        try:
            saved = await self._store.save(
                str(doc["_id"]), loaded.version, loaded.state, [], last_sequence=loaded.last_sequence
            )
        except ConcurrencyConflict:
            return  # saved meanwhile, and so bucketed; the poll's claim reads it again if it is due
        doc["version"] = saved.version
        doc[DUE_HOUR] = self._codec.due_hour(loaded.state)

    async def due(self, now: datetime, limit: int) -> list[str]:
        return [
            str(d["_id"])
            for d in await self._due(now, limit, {"_id": 1, "state": 1, "not_before": 1, "claim_until": 1})
        ]

    async def due_messages(self, now: datetime, limit: int) -> list[Loaded[Message]]:
        # Whole documents but their outbox: the claim needs no read of its own.
        return [self._store.loaded(d) for d in await self._due(now, limit, {"outbox": 0})]

    def saved_here(self, message_id: str) -> Loaded[Message] | None:
        return self._store.saved_here(message_id)

    async def queued_for_case(self, case_id: str) -> list[Message]:
        cursor = self._c.find({"case_id": case_id, "state": MessageState.QUEUED.value}, {"outbox": 0})
        return [self._codec.from_document(d) async for d in cursor]

    async def queued_for_alert(self, alert_id: str) -> list[str]:
        cursor = self._c.find({"alert_id": alert_id, "state": MessageState.QUEUED.value}, {"_id": 1})
        return [str(d["_id"]) async for d in cursor]

    async def get(self, message_id: str) -> Message | None:
        doc = await self._c.find_one({"_id": message_id}, {"outbox": 0})
        return self._codec.from_document(doc) if doc else None

    async def for_case(self, case_id: str, limit: int) -> list[Message]:
        cursor = self._c.find({"case_id": case_id}, {"outbox": 0})
        found = [self._codec.from_document(d) async for d in cursor]
        found.sort(key=lambda m: m.created_at, reverse=True)
        return found[:limit]


class MongoAlertQueries:
    def __init__(self, db: AsyncDatabase[Document], timezone: Any) -> None:
        self._c = db[ALERTS]
        self._codec = AlertCodec(timezone)

    async def escalation_due(self, now: datetime) -> list[str]:
        cursor = self._c.find({"state": AlertState.OPEN.value, "escalate_at": {"$lte": now}}, {"_id": 1})
        return [str(d["_id"]) async for d in cursor]

    async def notify_pending(self) -> list[str]:
        return [str(d["_id"]) async for d in self._c.find({"notify_pending": True}, {"_id": 1})]

    async def by_ack_code(self, code: str) -> str | None:
        doc = await self._c.find_one({"ack_code": code}, {"_id": 1})
        return str(doc["_id"]) if doc else None

    async def open_for_case(self, case_id: str, topic: AlertTopic) -> list[str]:
        query = {"case_id": case_id, "state": AlertState.OPEN.value, "topic": topic.value}
        return sorted([str(d["_id"]) async for d in self._c.find(query, {"_id": 1})])

    async def unrouted(self) -> int:
        return await self._c.count_documents({"state": AlertState.OPEN.value, "unrouted": True})

    async def unrouted_teams(self) -> dict[str, str | None]:
        cursor = self._c.find({"unrouted": True, "state": AlertState.OPEN.value}, {"_id": 1, "team_id": 1})
        return {str(d["_id"]): d.get("team_id") async for d in cursor}

    async def next_escalation_at(self, excluding: Sequence[str] = ()) -> datetime | None:
        query: Document = {"state": AlertState.OPEN.value, "escalate_at": {"$ne": None}}
        if excluding:
            query["_id"] = {"$nin": list(excluding)}
        doc = await self._c.find_one(query, {"escalate_at": 1}, sort=[("escalate_at", 1)])
        return doc["escalate_at"] if doc else None

    async def list(self, *, state: AlertState | None, team_id: str | None, limit: int) -> list[Alert]:
        query: dict[str, Any] = {}
        if state is not None:
            query["state"] = state.value
        if team_id is not None:
            query["team_id"] = team_id
        found = [self._codec.from_document(d) async for d in self._c.find(query, {"outbox": 0})]
        found.sort(key=lambda a: a.raised_at, reverse=True)
        return found[:limit]


class MongoDailyCap:
    """A recipient's day has `cap` numbered slots; a message takes one by inserting it (atomic on FerretDB).

    Conditional updates are not atomic on FerretDB 1.24, inserts of a unique `_id` are: so the
    count is never exceeded however many dispatchers reserve at once.
    """

    def __init__(self, db: AsyncDatabase[Document], clock: Any) -> None:
        self._c = db[CAPS]
        self._clock = clock

    async def reserve(self, key: str, message_id: str, cap: int, *, first_attempt: bool = False) -> bool:
        """One insert for a recipient's first message of the day on a first attempt; otherwise the
        key's slots are read once (does this message hold one? which are free?), then one is taken."""
        if cap < 1:
            return False
        taken: set[int] = set()
        if first_attempt:  # the message holds no slot: try the first one straight away
            if await self._take(key, 0, message_id):
                return True
            taken.add(0)
        async for doc in self._c.find({"key": key}, {"_id": 1, "message_id": 1}):
            if doc.get("message_id") == message_id:
                return True  # this message holds a slot already
            taken.add(int(str(doc["_id"]).rsplit(":", 1)[-1]))
        for slot in range(cap):
            if slot not in taken and await self._take(key, slot, message_id):
                return True
        return False

    async def _take(self, key: str, slot: int, message_id: str) -> bool:
        day = key.rsplit("_", 1)[-1]
        try:
            await self._c.insert_one({"_id": f"{key}:{slot}", "key": key, "message_id": message_id, "day": day})
        except DuplicateKeyError:
            return False
        return True

    async def sweep(self, keep_days: int = 3) -> int:
        """Slots of past days are no longer needed (FerretDB v1 has no TTL index)."""
        return await _sweep_days(self._c, self._clock, keep_days)


class MongoClaims:
    """Exactly-once claims as inserts of a unique `_id` (the one atomic test-and-set FerretDB v1 has)."""

    def __init__(self, db: AsyncDatabase[Document], clock: Any) -> None:
        self._c = db[CLAIMS]
        self._clock = clock

    async def take(self, key: str, **facts: str) -> bool:
        now = self._clock.now()
        try:
            await self._c.insert_one({"_id": key, "facts": facts, "at": now, "day": now.date().isoformat()})
        except DuplicateKeyError:
            return False
        return True

    async def facts(self, key: str) -> dict[str, str] | None:
        doc = await self._c.find_one({"_id": key})
        return dict(doc.get("facts") or {}) if doc else None

    async def release(self, key: str) -> None:
        await self._c.delete_one({"_id": key})

    async def sweep(self, keep_days: int = 30) -> int:
        return await _sweep_days(self._c, self._clock, keep_days)


async def _sweep_days(collection: Any, clock: Any, keep_days: int) -> int:
    cutoff = (clock.now() - timedelta(days=keep_days)).date().isoformat()
    days = {d["day"] async for d in collection.find({}, {"day": 1}) if d.get("day")}
    removed = 0
    for day in sorted(d for d in days if d < cutoff):
        removed += (await collection.delete_many({"day": day})).deleted_count
    return int(removed)


class MongoRotas:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[ROTAS]

    async def get(self, team_id: str) -> Rota | None:
        doc = await self._c.find_one({"_id": team_id})
        if doc is None:
            return None
        return Rota(
            team_id,
            tuple(
                Shift(
                    s["starts_at"],
                    s["ends_at"],
                    tuple(Responder(r["responder_id"], r["phone"]) for r in s["responders"]),
                )
                for s in doc.get("shifts") or []
            ),
            _responder(doc.get("team_lead")),
        )

    async def put(self, rota: Rota) -> None:
        shifts = [
            {
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "responders": [{"responder_id": r.responder_id, "phone": r.phone} for r in s.responders],
            }
            for s in rota.shifts
        ]
        lead = rota.team_lead
        team_lead = {"responder_id": lead.responder_id, "phone": lead.phone} if lead else None
        await self._c.replace_one(
            {"_id": rota.team_id}, {"_id": rota.team_id, "shifts": shifts, "team_lead": team_lead}, upsert=True
        )


def _responder(doc: Document | None) -> Responder | None:
    return Responder(doc["responder_id"], doc["phone"]) if doc else None


class MongoTeamDirectory:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[TEAMS]

    @staticmethod
    def _from(doc: Document) -> TeamContact:
        return TeamContact(
            team_id=str(doc["_id"]),
            name=doc["name"],
            phone=doc["phone"],
            hours=tuple(
                DayHours(h["weekday"], time.fromisoformat(h["start"]), time.fromisoformat(h["end"]))
                for h in doc.get("hours") or []
            ),
            hemtjanst_phone=doc.get("hemtjanst_phone"),
        )

    async def get(self, team_id: str) -> TeamContact | None:
        return await self._find({"_id": team_id})

    async def by_name(self, name: str) -> TeamContact | None:
        return await self._find({"name": name})

    async def _find(self, query: Document) -> TeamContact | None:
        """One read per team and consumer batch: the batch's records share it (`batch_reads`)."""
        shared, key = batch_reads(), (TEAMS, *query.items())
        if shared is not None and key in shared:
            return cast(TeamContact | None, shared[key])
        doc = await self._c.find_one(query)
        found = self._from(doc) if doc else None
        if shared is not None:
            shared[key] = found
        return found

    async def put(self, contact: TeamContact, version: int) -> bool:
        shared = batch_reads()
        if shared is not None:  # a batch that changes a team reads it again afterwards
            for key in [k for k in shared if isinstance(k, tuple) and k and k[0] == TEAMS]:
                del shared[key]
        fields = {
            "name": contact.name,
            "phone": contact.phone,
            "hemtjanst_phone": contact.hemtjanst_phone,
            "hours": [
                {"weekday": h.weekday, "start": h.start.isoformat("minutes"), "end": h.end.isoformat("minutes")}
                for h in contact.hours
            ],
            "version": version,
        }
        try:
            await self._c.update_one(
                {"_id": contact.team_id, "version": {"$lt": version}}, {"$set": fields}, upsert=True
            )
        except DuplicateKeyError:
            return False  # a newer (or the same) version is stored
        return True


class MongoLocalSmsLog:
    """The local provider's store: what would have been sent, for `make run` and the `ops` endpoint."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[LOCAL_SMS]

    async def add(self, sms: StoredSms) -> None:
        await self.collection.insert_one(
            {
                "_id": sms.provider_id,
                "message_id": sms.message_id,
                "to": sms.to,
                "sender": sms.sender,
                "text": sms.text,
                "created_at": sms.created_at,
                "created_day": sms.created_at.astimezone(UTC).date().isoformat(),
            }
        )

    async def find(self, message_id: str) -> StoredSms | None:
        doc = await self.collection.find_one({"message_id": message_id})
        return self._from(doc) if doc else None

    async def list(self, limit: int) -> Sequence[StoredSms]:
        today = datetime.now(UTC).date()
        found: list[StoredSms] = []
        for back in range(7):  # equality per day: the newest week, newest first
            day = (today - timedelta(days=back)).isoformat()
            found += [self._from(d) async for d in self.collection.find({"created_day": day})]
            if len(found) >= limit:
                break
        found.sort(key=lambda s: s.created_at, reverse=True)
        return found[:limit]

    @staticmethod
    def _from(doc: Document) -> StoredSms:
        return StoredSms(
            provider_id=str(doc["_id"]),
            message_id=doc["message_id"],
            to=doc["to"],
            sender=doc["sender"],
            text=doc["text"],
            created_at=doc["created_at"],
        )
