"""Price and tariff lookups the use cases share: read the versioned books, answer synchronously."""

from __future__ import annotations

from billing.domain.fees import TariffUsed
from billing.domain.money import Month
from billing.domain.tariffs import ANY_REGION, LiabilityPrice, Tariff, VersionedBook, price_key, tariff_key
from billing.service_layer.ports import BillingDeps


class PriceTable:
    """The regions' liability prices, as read at one moment: the cost report's comparison only (the
    liability report's amounts are referral's, priced by its agreements)."""

    def __init__(self, books: list[VersionedBook[LiabilityPrice]]) -> None:
        self._prices = {b.key: b.current.terms.per_day_ore for b in books if b.versions}

    def latest(self, region: str | None, year: int) -> int | None:
        """The region's price for the year or the latest year before it; else the national one."""
        for code in ([region] if region else []) + [ANY_REGION]:
            years = [int(k.split(":")[1]) for k in self._prices if k.split(":")[0] == code]
            earlier = [y for y in years if y <= year]
            if earlier:
                return self._prices[price_key(code, max(earlier))]
        return None


async def price_table(deps: BillingDeps) -> PriceTable:
    return PriceTable(await deps.book_queries.prices())


class TariffTable:
    """One municipality's tariffs by year, current versions, as read at one moment."""

    def __init__(self, municipality_code: str, books: list[VersionedBook[Tariff]]) -> None:
        self.municipality_code = municipality_code
        self._books = {b.key: b for b in books if b.versions}

    def used(self, month: Month) -> TariffUsed | None:
        book = self._books.get(tariff_key(self.municipality_code, month.year))
        if book is None:
            return None
        current = book.current
        return TariffUsed(self.municipality_code, month.year, current.number, current.terms)


async def tariff_table(deps: BillingDeps) -> TariffTable:
    return TariffTable(deps.municipality_code, await deps.book_queries.tariffs())
