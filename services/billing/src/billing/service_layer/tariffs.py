"""Use cases on the versioned tariff books: seed, read, change (audited, never retroactive)."""

from __future__ import annotations

from typing import TypeVar

from billing.domain.tariffs import (
    SEED_AUTHOR,
    SEED_TIME,
    LiabilityPrice,
    Tariff,
    Version,
    VersionedBook,
    price_key,
    seed_liability_prices,
    seed_tariffs,
    tariff_key,
)
from billing.service_layer.ports import Actor, AuditRecord, BillingDeps
from trygg_shared.aggregate import AggregateStore, update_aggregate

T = TypeVar("T")


async def seed_books(deps: BillingDeps) -> None:
    """Write the seed rows that do not exist yet (an existing row, changed or not, is kept)."""
    for key, tariff in seed_tariffs().items():
        await _seed(deps.tariffs, key, tariff)
    for key, price in seed_liability_prices().items():
        await _seed(deps.prices, key, price)


async def _seed(store: AggregateStore[VersionedBook[T]], key: str, terms: T) -> None:
    def change(book: VersionedBook[T]) -> tuple[None, list[object] | None]:
        if book.versions:
            return None, None
        book.change(terms, by=SEED_AUTHOR, at=SEED_TIME, note="seed")
        return None, []

    await update_aggregate(store, key, change, create=lambda: VersionedBook[T](key))


async def list_tariffs(deps: BillingDeps) -> list[VersionedBook[Tariff]]:
    return sorted(await deps.book_queries.tariffs(), key=lambda b: b.key)


async def list_prices(deps: BillingDeps) -> list[VersionedBook[LiabilityPrice]]:
    return sorted(await deps.book_queries.prices(), key=lambda b: b.key)


async def get_tariff(deps: BillingDeps, municipality_code: str, year: int) -> VersionedBook[Tariff] | None:
    loaded = await deps.tariffs.load(tariff_key(municipality_code, year))
    return loaded.state if loaded else None


async def get_price(deps: BillingDeps, region_code: str, year: int) -> VersionedBook[LiabilityPrice] | None:
    loaded = await deps.prices.load(price_key(region_code, year))
    return loaded.state if loaded else None


async def change_tariff(
    deps: BillingDeps, actor: Actor, municipality_code: str, year: int, terms: Tariff, note: str
) -> tuple[VersionedBook[Tariff], bool]:
    """A new version of the municipality's tariff for the year (statements already issued keep theirs)."""
    key = tariff_key(municipality_code, year)
    return await _change(deps, deps.tariffs, actor, key, terms, note, "change_tariff")


async def change_price(
    deps: BillingDeps, actor: Actor, region_code: str, year: int, terms: LiabilityPrice, note: str
) -> tuple[VersionedBook[LiabilityPrice], bool]:
    key = price_key(region_code, year)
    return await _change(deps, deps.prices, actor, key, terms, note, "change_liability_price")


async def _change(
    deps: BillingDeps,
    store: AggregateStore[VersionedBook[T]],
    actor: Actor,
    key: str,
    terms: T,
    note: str,
    action: str,
) -> tuple[VersionedBook[T], bool]:
    now = deps.clock.now()
    made: list[Version[T]] = []

    def change(book: VersionedBook[T]) -> tuple[VersionedBook[T], list[object] | None]:
        made.clear()
        version = book.change(terms, by=actor.subject, at=now, note=note)
        if version is None:
            return book, None
        made.append(version)
        return book, []

    book = await update_aggregate(store, key, change, create=lambda: VersionedBook[T](key))
    if made:
        await deps.audit.append(
            AuditRecord.new(
                now,
                actor.subject,
                actor.roles,
                action,
                subjects=(key,),
                detail=f"version {made[0].number}" + (f": {note}" if note else ""),
            )
        )
    return book, bool(made)
