"""The codecs' domain-to-wire mapping gives exactly the recorded wire events, field for field.

`wire_samples` builds every domain event that referral's, scheduling's and notification's codecs
publish
(all optional fields set, and all empty) and the golden file holds what the hand-written
codecs put on the wire before the typed mapping replaced them: same fields, same values.
Running them records every (domain enum, wire enum) pair the mapping converted, so the enum
tests below see them all: a pair whose values drift apart fails here, not on a rare event.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from billing.domain import care as bl_care
from notification.domain import contacts as nt_contacts
from scheduling.domain import vocab as sc_vocab
from trygg_shared.contracts import notification as nt_wire
from trygg_shared.contracts import referral as rf_wire
from trygg_shared.contracts import scheduling as sc_wire
from trygg_shared.contracts.notification import NOTIFICATION_EVENTS
from trygg_shared.contracts.referral import REFERRAL_EVENTS
from trygg_shared.contracts.scheduling import SCHEDULING_EVENTS
from trygg_shared.mapping import enum_drift, enum_pairs

from .wire_samples import GOLDEN, golden_output

_GOLDEN = json.loads(GOLDEN.read_text())
_OUTPUT = golden_output()


@pytest.mark.parametrize("key", sorted(_GOLDEN))
def test_each_domain_event_gives_the_recorded_wire_events(key: str) -> None:
    assert _OUTPUT[key] == _GOLDEN[key]


def test_every_sample_is_recorded() -> None:
    assert sorted(_OUTPUT) == sorted(_GOLDEN)


# --- enums: each domain enum and its wire twin keep the same values -------------------------------

# Values a domain enum has on purpose and the wire has not (each must still exist, or the test says so).
_DOMAIN_ONLY = {sc_vocab.PeriodStatus: frozenset({"waiting"})}  # the waiting list is a team event, not a status
# Wire enums read into domain enums by consumers (their entrypoints convert by value).
_INBOUND = [(rf_wire.DecisionType, bl_care.DecisionType), (rf_wire.Language, nt_contacts.Language)]
# Wire enums filled from domain strings rather than a domain enum: weekday names (a table in the
# calendar), the alert's resolution and the decision's change kinds (domain codes, checked by the wire).
_FROM_STRINGS = {sc_wire.Weekday, nt_wire.AlertResolution, rf_wire.DecisionChangeKind}


def _services_pairs() -> set[tuple[type[Enum], type[Enum]]]:
    """The pairs of the services and the contracts (other tests in this process convert their own)."""

    def ours(e: type[Enum]) -> bool:
        return e.__module__.startswith(_OURS)

    return {(a, b) for a, b in enum_pairs() if ours(a) and ours(b)}


_OURS = ("referral.", "scheduling.", "notification.", "billing.", "console.", "trygg_shared.contracts.")


def test_every_domain_and_wire_enum_pair_has_the_same_values() -> None:
    pairs = _services_pairs() | set(_INBOUND)
    assert len(pairs) >= 27  # the samples convert every enum field of every published event
    assert enum_drift(pairs, _DOMAIN_ONLY) == []


def _enums(hint: Any, found: set[type[Enum]]) -> set[type[Enum]]:
    for arg in get_args(hint):
        _enums(arg, found)
    if isinstance(hint, type) and issubclass(hint, Enum):
        found.add(hint)
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        for info in hint.model_fields.values():
            _enums(info.annotation, found)
    return found


def test_every_wire_enum_of_the_published_events_comes_from_a_domain_enum() -> None:
    on_wire: set[type[Enum]] = set()
    for contract in (*REFERRAL_EVENTS, *SCHEDULING_EVENTS, *NOTIFICATION_EVENTS):
        _enums(contract, on_wire)
    mapped = {wire for _, wire in _services_pairs()}
    assert on_wire - mapped == _FROM_STRINGS
