"""PostgreSQL's table counters behind FerretDB, per service database and collection.

A FerretDB database is a PostgreSQL schema; each collection a table (`cases_fd985966`) named in
that schema's `_ferretdb_database_metadata`. `pg_stat_user_tables` counts, per table, the rows
inserted, updated and deleted, the sequential scans and the rows they read (`seq_tup_read`: the
cost of a query no index serves), and the index scans. Taken before and after a phase, the
difference says which collection a workload reads whole (see `trygg_shared.indexes` for which
filters FerretDB v1 can serve from a GIN index at all). A backend flushes its counters at most
every second, so the last second of a phase may be missing.

    before = table_counters(url)
    ...  # the phase
    per_table = minus(table_counters(url), before)
    per_database = by_database(per_table)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.table import Table

COUNTERS = ("inserted", "updated", "deleted", "seq_scans", "seq_rows", "idx_scans")
COUNTER_HEADINGS = {
    "inserted": "rows inserted",
    "updated": "updated",
    "deleted": "deleted",
    "seq_scans": "seq. scans",
    "seq_rows": "rows read by seq. scans",
    "idx_scans": "index scans",
}
METADATA = "_ferretdb_database_metadata"

Counters = dict[str, dict[str, dict[str, int]]]  # database → collection → counter → value

_QUERY = (
    "select schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del, seq_scan, seq_tup_read, coalesce(idx_scan, 0)"
    " from pg_stat_user_tables"
)


def table_counters(postgres_url: str | None, databases: Iterable[str] | None = None) -> Counters:
    """Every table's counters so far, by database and collection (a table FerretDB does not name,
    such as its metadata table, under its own name)."""
    if not postgres_url:
        return {}
    import psycopg
    from psycopg import sql

    wanted = set(databases) if databases is not None else None
    out: Counters = {}
    with psycopg.connect(postgres_url, autocommit=True, connect_timeout=10) as conn:
        found = conn.execute(_QUERY).fetchall()
        schemas = {str(r[0]) for r in found if wanted is None or str(r[0]) in wanted}
        names: dict[tuple[str, str], str] = {}
        for schema in schemas:
            query = sql.SQL("select _jsonb->>'_id', _jsonb->>'table' from {}").format(sql.Identifier(schema, METADATA))
            try:
                for collection, table in conn.execute(query).fetchall():
                    names[(schema, str(table))] = str(collection)
            except psycopg.errors.UndefinedTable:
                continue  # not a FerretDB database
    for schema, table, *values in found:
        if str(schema) not in schemas:
            continue
        collection = names.get((str(schema), str(table)), str(table))
        out.setdefault(str(schema), {})[collection] = dict(zip(COUNTERS, (int(v or 0) for v in values), strict=True))
    return out


def minus(after: Counters, before: Counters) -> Counters:
    return {
        db: {
            c: {k: v - before.get(db, {}).get(c, {}).get(k, 0) for k, v in counts.items()}
            for c, counts in collections.items()
        }
        for db, collections in after.items()
    }


def by_database(counters: Mapping[str, Mapping[str, Mapping[str, float]]]) -> dict[str, dict[str, float]]:
    """Each database's counters summed over its collections."""
    return {
        db: {k: float(sum(counts.get(k, 0) for counts in collections.values())) for k in COUNTERS}
        for db, collections in counters.items()
    }


def top_tables(
    per_journey: Mapping[str, Mapping[str, Mapping[str, float]]], *, most: int = 15
) -> list[tuple[str, str, dict[str, float]]]:
    """The `most` collections read by sequential scans most: by rows read that way, then by scans."""
    flat = [(db, c, dict(counts)) for db, collections in per_journey.items() for c, counts in collections.items()]
    flat.sort(key=lambda item: (item[2].get("seq_rows", 0.0), item[2].get("seq_scans", 0.0)), reverse=True)
    return [item for item in flat[:most] if item[2].get("seq_rows", 0.0) > 0 or item[2].get("seq_scans", 0.0) > 0]


def counters_table(
    title: str,
    names: Sequence[str],
    rows: Iterable[tuple[Sequence[str], Mapping[str, float]]],
    *,
    digits: int = 1,
) -> Table:
    """A table of counters: each row's names (under the headings `names`), then its counters in `COUNTERS` order."""
    table = Table(title=title)
    for col in names:
        table.add_column(col, justify="left")
    for key in COUNTERS:
        table.add_column(COUNTER_HEADINGS[key], justify="right")
    for row_names, counts in rows:
        table.add_row(*row_names, *(f"{counts.get(key, 0.0):.{digits}f}" for key in COUNTERS))
    return table
