"""Socialstyrelsen's national price per day of payment liability, as data (`liability_prices.json`).

The one place the national price is kept: referral's national-default agreement takes its yearly
prices from it (and publishes the price in force with every count of liable days), and billing
seeds the cost report's national comparison price from it. Reference data, not a rule: which
price a day is charged at is referral's agreements' to say.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

PRICES_FILE = "liability_prices.json"


@cache
def national_daily_prices() -> tuple[tuple[int, int], ...]:
    """`(year, SEK per day)` from each year on, in year order."""
    raw = json.loads(resources.files("trygg_shared").joinpath(PRICES_FILE).read_text())
    prices = tuple(sorted((int(year), int(price)) for year, price in raw["national_daily_price_sek"].items()))
    if not prices or any(price <= 0 for _, price in prices):
        raise ValueError(f"{PRICES_FILE}: every national price must be a positive number of SEK")
    return prices
