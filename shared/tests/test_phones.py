"""The SMS allow-list: Nordic mobiles by default; satellite, premium-rate and fixed lines refused."""

from __future__ import annotations

import pytest

from trygg_shared.phones import Refusal, SmsNumberPolicy

pytestmark = pytest.mark.unit

DEFAULT = SmsNumberPolicy()


@pytest.mark.parametrize(
    "number", ["+46701234567", "+4741234567", "+4520123456", "+358401234567", "+3546112345", "+358457123456"]
)
def test_nordic_mobiles_may_get_sms(number: str) -> None:
    assert DEFAULT.refusal(number) is None


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("+881612345678", Refusal.COUNTRY),  # Iridium satellite
        ("+870773111632", Refusal.COUNTRY),  # Inmarsat
        ("+46900123456", Refusal.TYPE),  # Swedish premium rate
        ("+4681234567", Refusal.TYPE),  # Stockholm fixed line
        ("+4915123456789", Refusal.COUNTRY),  # a German mobile
        ("+447700900123", Refusal.INVALID),  # a range reserved for drama
        ("+4670", Refusal.INVALID),
        ("not a number", Refusal.INVALID),
    ],
)
def test_other_numbers_are_refused_with_the_reason(number: str, why: Refusal) -> None:
    assert DEFAULT.refusal(number) is why


def test_the_allow_list_is_configurable() -> None:
    policy = SmsNumberPolicy(["SE", "DE"], ["mobile"])

    assert policy.refusal("+4915123456789") is None
    assert policy.refusal("+4520123456") is Refusal.COUNTRY  # Denmark no longer listed
    with pytest.raises(ValueError, match="unknown number types"):
        SmsNumberPolicy(["SE"], ["cellphone"])
