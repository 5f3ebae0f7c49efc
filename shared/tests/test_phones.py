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


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("070-123 45 67", "+46701234567"),  # the Swedish way: 0 for +46
        ("0701234567", "+46701234567"),
        ("0046 70 123 45 67", "+46701234567"),  # 00, the international prefix from Sweden
        ("+46 (0)70 123 45 67", "+46701234567"),
        ("+46701234567", "+46701234567"),
        ("+358 40 123 4567", "+358401234567"),  # abroad: with its country code
        ("08-123 456 78", "+46812345678"),  # a landline is still a number (refusal says it gets no SMS)
    ],
)
def test_numbers_are_normalised_to_e164(written: str, e164: str) -> None:
    assert DEFAULT.normalised(written) == e164
    assert DEFAULT.refusal(written) is DEFAULT.refusal(e164)


@pytest.mark.parametrize("written", ["070", "not a number", "+4670", "00000000", ""])
def test_what_is_not_a_valid_number_has_no_normal_form(written: str) -> None:
    assert DEFAULT.normalised(written) is None
    assert DEFAULT.refusal(written) is Refusal.INVALID
