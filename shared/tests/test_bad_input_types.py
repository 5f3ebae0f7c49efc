"""The shared edge types refuse control characters and implausible dates; store errors are told apart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from bson.errors import InvalidDocument
from pydantic import BaseModel, ValidationError
from pymongo.errors import AutoReconnect, OperationFailure, ServerSelectionTimeoutError

from trygg_shared.aggregate import StorageRejected, StorageUnavailable
from trygg_shared.batch import Failures, compute_isolated
from trygg_shared.contracts import referral as ref
from trygg_shared.fields import FreeText, NonBlankText, PlausibleDate, PlausibleDatetime, Text
from trygg_shared.mongo_store import MongoAggregateStore
from trygg_shared.store_errors import is_permanent_store_error, storage_error

from .test_event_consumer import always_failing


class _Edge(BaseModel):
    text: Text = ""
    name: NonBlankText = "x"
    free: FreeText = ""
    day: PlausibleDate = date(2024, 1, 1)
    moment: PlausibleDatetime = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("control", [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))])
def test_every_c0_and_c1_control_and_del_is_refused_in_text(control: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Edge(text=f"a{control}b")
    assert [e["loc"] for e in caught.value.errors()] == [("text",)]
    assert "a" + control not in str(caught.value.errors(include_input=False))


def test_free_text_allows_tab_and_line_breaks_but_not_nul() -> None:
    assert _Edge(free="a\tb\nc\r\nd").free == "a\tb\nc\r\nd"
    with pytest.raises(ValidationError):
        _Edge(free="a\u0000b")


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(ValidationError):
        _Edge(text="a\ud800")


def test_a_blank_name_is_refused_and_letters_of_any_script_are_not() -> None:
    with pytest.raises(ValidationError):
        _Edge(name="   ")
    assert _Edge(name="Åsa Øberg-Ñúñez 李").name == "Åsa Øberg-Ñúñez 李"


@pytest.mark.parametrize("day", ["0378-04-01", "1999-12-31", "2100-01-01", "9999-12-31"])
def test_a_date_outside_2000_to_2099_is_refused(day: str) -> None:
    with pytest.raises(ValidationError):
        _Edge(day=day)
    with pytest.raises(ValidationError):
        _Edge(moment=f"{day}T12:00:00Z")


def test_the_window_edges_are_accepted() -> None:
    assert _Edge(day="2000-01-01", moment="2099-12-31T23:59:59+01:00").day == date(2000, 1, 1)


def test_the_json_schema_says_what_is_refused() -> None:
    props = _Edge.model_json_schema()["properties"]
    assert props["text"]["pattern"] == r"^[^\x00-\x1F\x7F-\x9F]*$"
    assert props["day"]["pattern"] == "^20[0-9]{2}-"
    assert props["day"]["format"] == "date"


def test_an_event_contract_refuses_a_nul_in_a_name() -> None:
    with pytest.raises(ValidationError) as caught:
        ref.PersonContact(given_name="A\u0000", family_name="B")
    assert [e["loc"] for e in caught.value.errors()] == [("given_name",)]


def test_postgresql_refusing_a_nul_is_permanent_and_a_failover_is_not() -> None:
    nul = OperationFailure("[msg_insert.go:168] ERROR: unsupported Unicode escape sequence (SQLSTATE 22P05)", code=1)
    assert is_permanent_store_error(nul)
    assert isinstance(storage_error(nul), StorageRejected)
    assert isinstance(storage_error(InvalidDocument("Key names must not contain the NULL byte")), StorageRejected)
    for transient in (
        AutoReconnect("primary stepped down"),
        ServerSelectionTimeoutError("no server"),
        OperationFailure("not primary", code=10107),
        OperationFailure("database is locked", code=1),
        OperationFailure("ERROR: terminating connection (SQLSTATE 57P01)", code=1),
    ):
        assert not is_permanent_store_error(transient), transient
        assert isinstance(storage_error(transient), StorageUnavailable)


def test_the_port_error_never_quotes_the_store_text() -> None:
    error = storage_error(OperationFailure("value 'Astrid\u0000' (SQLSTATE 22P05)", code=1))
    assert "Astrid" not in str(error)


def test_a_batch_reports_a_failing_record_and_goes_on_but_stops_when_the_store_is_down() -> None:
    failures = Failures("test_batch")
    done = []
    for ref_ in ("a", "b", "c"):
        with failures.isolate(ref_):
            if ref_ == "b":
                raise ValueError("not a month: 378-4")
            done.append(ref_)
    assert done == ["a", "c"]
    assert failures.refs == ["b"]
    with pytest.raises(StorageUnavailable), failures.isolate("d"):
        raise StorageUnavailable("AutoReconnect")


def test_a_report_over_many_records_leaves_out_the_one_that_breaks_it() -> None:
    def total(days: Sequence[date]) -> int:
        return sum(day.replace(year=day.year + 1).toordinal() - day.toordinal() for day in days)

    days = [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]  # 29 Feb + 1 year does not exist
    result, left_out = compute_isolated(days, total, lambda d: d.isoformat(), "test_report")
    assert result == 365 + 366
    assert left_out == ("2024-02-29",)
    assert compute_isolated([date(2024, 3, 1)], total, str, "test_report") == (365, ())


async def test_a_consumer_dead_letters_content_the_store_refuses_at_once_with_the_reason() -> None:
    rejected = StorageRejected("OperationFailure code 1")
    calls, guard, dead = await always_failing(rejected, back_to_broker=False, max_delivery_attempts=5)
    assert calls == 1  # a retry cannot fix it
    assert dead[0].headers["dlq_reason"] == "database refuses the content: OperationFailure code 1"
    assert guard.ids == set()


async def test_a_consumer_redelivers_when_the_store_is_down_and_never_dead_letters() -> None:
    # back to the broker: NACK, redelivered later
    _calls, guard, dead = await always_failing(
        StorageUnavailable("AutoReconnect"), back_to_broker=True, max_delivery_attempts=1
    )
    assert dead == []
    assert guard.ids == set()


class _Codec:
    def to_document(self, state: dict[str, Any]) -> dict[str, Any]:
        return dict(state)

    def from_document(self, doc: dict[str, Any]) -> dict[str, Any]:
        return doc

    def to_wire(self, aggregate_id: str, event: object) -> list[Any]:
        return []


class _Collection:
    """A collection whose every call fails with `error` (what the database answered)."""

    name = "things"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def find_one(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    async def insert_one(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    async def insert_many(self, *args: Any, **kwargs: Any) -> Any:  # the store's group commit of new aggregates
        raise self.error


def _store(error: Exception) -> MongoAggregateStore[dict[str, Any]]:
    return MongoAggregateStore({"things": _Collection(error)}, "things", _Codec())  # type: ignore[arg-type]


async def test_the_aggregate_store_tells_a_refused_write_from_a_busy_database() -> None:
    with pytest.raises(StorageRejected):
        await _store(OperationFailure("ERROR: unsupported Unicode escape sequence (SQLSTATE 22P05)", code=1)).save(
            "a", 0, {"name": "x"}, []
        )
    with pytest.raises(StorageUnavailable):
        await _store(OperationFailure("not primary", code=10107)).save("a", 0, {"name": "x"}, [])
    with pytest.raises(StorageUnavailable):
        await _store(OperationFailure("not primary", code=10107)).load("a")
