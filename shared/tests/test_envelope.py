"""The CloudEvents envelope in Kafka binary mode."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from trygg_shared.envelope import EnvelopeError, EventMeta, decode, encode


def _meta() -> EventMeta:
    return EventMeta(
        id=str(uuid.uuid4()),
        type="se.trygghemgang.referral.ready_for_discharge.v1",
        source="urn:trygghemgang:referral",
        subject=str(uuid.uuid4()),
        time=datetime(2026, 11, 23, 9, 14, tzinfo=UTC),
    )


def test_an_event_is_keyed_by_its_case_and_carries_ce_headers() -> None:
    meta = _meta()
    record = encode(meta, {"case_id": meta.subject, "n": 1})

    assert record.key == meta.subject.encode()
    assert record.headers["ce_id"] == meta.id.encode()
    assert record.headers["ce_type"] == meta.type.encode()
    assert record.headers["ce_source"] == meta.source.encode()
    assert record.headers["ce_subject"] == meta.subject.encode()
    assert record.headers["ce_specversion"] == b"1.0"
    assert record.headers["content-type"] == b"application/json"
    assert "ce_time" in record.headers
    assert json.loads(record.value) == {"case_id": meta.subject, "n": 1}


def test_decoding_gives_back_what_was_encoded() -> None:
    meta = _meta()
    record = encode(meta, {"x": "å"})
    decoded_meta, data = decode(record.headers, record.key, record.value)
    assert decoded_meta == meta
    assert data == {"x": "å"}


def test_a_message_without_cloudevents_headers_is_rejected() -> None:
    with pytest.raises(EnvelopeError, match="missing CloudEvents headers"):
        decode({}, b"k", b"{}")


def test_a_message_whose_value_is_not_json_is_rejected() -> None:
    record = encode(_meta(), {"a": 1})
    with pytest.raises(EnvelopeError, match="not a JSON object"):
        decode(record.headers, record.key, b"\xff not json")


def test_a_message_whose_value_is_a_json_array_is_rejected() -> None:
    record = encode(_meta(), {"a": 1})
    with pytest.raises(EnvelopeError, match="not a JSON object"):
        decode(record.headers, record.key, b"[1, 2]")


def test_a_message_without_subject_is_rejected() -> None:
    record = encode(_meta(), {"a": 1})
    headers = {k: v for k, v in record.headers.items() if k != "ce_subject"}
    with pytest.raises(EnvelopeError, match="subject"):
        decode(headers, record.key, record.value)
