"""The codecs' domain-to-wire mapping gives exactly the recorded wire events, field for field.

`wire_samples` builds every domain event that referral's, scheduling's and notification's codecs
publish
(all optional fields set, and all empty) and the golden file holds what the hand-written
codecs put on the wire before the typed mapping replaced them: same fields, same values.
Running them records every (domain enum, wire enum) pair the mapping converted, so the enum
tests below see them all: a pair whose values drift apart fails here, not on a rare event.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from enum import Enum
from typing import Any, get_args

import pytest
from pydantic import BaseModel

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


# --- enums: one declaration for a shared word; a domain's own enum and its wire twin keep the same values ---

# Values a domain enum has on purpose and the wire has not (each must still exist, or the test says so).
_DOMAIN_ONLY = {sc_vocab.PeriodStatus: frozenset({"waiting"})}  # the waiting list is a team event, not a status
# Wire enums filled from domain strings rather than a domain enum: weekday names (a table in the
# calendar), the alert's resolution and the decision's change kinds (domain codes, checked by the wire).
_FROM_STRINGS = {sc_wire.Weekday, nt_wire.AlertResolution, rf_wire.DecisionChangeKind}
# Domain enums that stay twins of a wire enum, each for its reason: scheduling's period status has a
# state the wire lacks.
_OWN_TWINS = {sc_vocab.PeriodStatus}

_SERVICES = ("referral", "scheduling", "notification", "billing", "console")
_OURS = (*(f"{s}." for s in _SERVICES), "trygg_shared.contracts.")


def _services_pairs() -> set[tuple[type[Enum], type[Enum]]]:
    """The pairs of the services and the contracts (other tests in this process convert their own)."""

    def ours(e: type[Enum]) -> bool:
        return e.__module__.startswith(_OURS)

    return {(a, b) for a, b in enum_pairs() if ours(a) and ours(b)}


def _module_enums(package: str) -> dict[str, set[type[Enum]]]:
    """Every enum a module of `package` names (declared there or imported), by module."""
    found: dict[str, set[type[Enum]]] = {}
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        module = importlib.import_module(info.name)
        found[info.name] = {v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Enum)}
    return found


_VOCABULARY = {e for enums in _module_enums("trygg_shared.vocabulary").values() for e in enums}
_WIRE = {e for enums in _module_enums("trygg_shared.contracts").values() for e in enums if e not in _VOCABULARY}
_DOMAINS = {f"{s}.{layer}": _module_enums(f"{s}.{layer}") for s in _SERVICES for layer in ("domain", "service_layer")}


def test_every_domain_and_wire_enum_pair_has_the_same_values() -> None:
    pairs = _services_pairs()
    domains = {b if a.__module__.startswith("trygg_shared.") else a for a, b in pairs}
    assert domains >= _OWN_TWINS  # the samples convert each twin that stays, so its drift is checked here
    assert enum_drift(pairs, _DOMAIN_ONLY) == []


def test_each_shared_word_is_declared_once_and_spoken_by_a_domain_and_the_wire() -> None:
    spoken = {e for layers in _DOMAINS.values() for enums in layers.values() for e in enums}
    on_wire = {e for enums in _module_enums("trygg_shared.contracts").values() for e in enums}
    assert _VOCABULARY - spoken == set()  # a shared word no domain speaks belongs to the wire alone
    assert _VOCABULARY - on_wire == set()  # a shared word no contract publishes is a domain's alone


def test_no_domain_declares_a_copy_of_a_wire_enum() -> None:
    """A domain enum with the values of a wire enum is a copy kept equal by hand: use the shared word."""
    declared = {
        e
        for layers in _DOMAINS.values()
        for name, enums in layers.items()
        for e in enums
        if e.__module__ == name and e not in _OWN_TWINS
    }
    copies = [
        f"{d.__module__}.{d.__qualname__} ~ {w.__module__}.{w.__qualname__}"
        for d in declared
        for w in _WIRE | _VOCABULARY
        if {str(m.value) for m in d} == {str(m.value) for m in w}
    ]
    assert copies == []


def _enums(hint: Any, found: set[type[Enum]]) -> set[type[Enum]]:
    for arg in get_args(hint):
        _enums(arg, found)
    if isinstance(hint, type) and issubclass(hint, Enum):
        found.add(hint)
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        for info in hint.model_fields.values():
            _enums(info.annotation, found)
    return found


def test_every_wire_enum_of_the_published_events_is_a_shared_word_or_comes_from_a_domain_enum() -> None:
    on_wire: set[type[Enum]] = set()
    for contract in (*REFERRAL_EVENTS, *SCHEDULING_EVENTS, *NOTIFICATION_EVENTS):
        _enums(contract, on_wire)
    mapped = {wire for _, wire in _services_pairs()}
    assert on_wire - mapped - _VOCABULARY == _FROM_STRINGS
