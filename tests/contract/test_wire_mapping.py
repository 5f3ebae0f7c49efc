"""The codecs' domain-to-wire mapping gives exactly the recorded wire events, field for field.

`wire_samples` builds every domain event that referral's, scheduling's and notification's codecs
publish
(all optional fields set, and all empty) and the golden file holds what the hand-written
codecs put on the wire before the typed mapping replaced them: same fields, same values.
"""

from __future__ import annotations

import json

import pytest

from .wire_samples import GOLDEN, wire_output

_GOLDEN = json.loads(GOLDEN.read_text())
_OUTPUT = wire_output()


@pytest.mark.parametrize("key", sorted(_GOLDEN))
def test_each_domain_event_gives_the_recorded_wire_events(key: str) -> None:
    assert _OUTPUT[key] == _GOLDEN[key]


def test_every_sample_is_recorded() -> None:
    assert sorted(_OUTPUT) == sorted(_GOLDEN)
