"""The fault suite's fixtures and its ledger table (printed at the end of the run).

Generic on purpose: other modules in this folder may bring their own fixtures; the table shows
whatever rows `tests.faults.harness.RESULTS` holds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import FULL, RESULTS, FaultSystem

DESELECTED: list[str] = []


@pytest.fixture(scope="session")
def fault_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultSystem]:
    """Its own PostgreSQL, FerretDB and Kafka (scenarios kill them), the five services, a fake SMS gateway."""
    system = FaultSystem(tmp_path_factory.mktemp("faults"))
    try:
        system.start()
        yield system
    finally:
        system.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Short form (not TRYGG_FAULTS=full): scenarios marked `full_only` are deselected (counted
    as such in pytest's summary line, and named in the ledger's footer)."""
    if FULL:
        return
    chosen: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (dropped if getattr(getattr(item, "function", None), "full_only", False) else chosen).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen
        DESELECTED.extend(item.name for item in dropped)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    write = terminalreporter.write_line
    form = "full" if FULL else "short (TRYGG_FAULTS=full for the whole suite)"
    terminalreporter.section(f"fault ledger: {form}")
    header = ("scenario", "accepted", "effects exp/found", "duplicates", "dead-lettered", "seconds")
    rows = [
        (
            r.scenario,
            str(r.accepted),
            f"{r.expected}/{r.found}",
            str(r.duplicates),
            str(r.dead_lettered),
            f"{r.seconds:.1f}",
        )
        for r in RESULTS
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    write(line(header))
    write("-+-".join("-" * w for w in widths))
    for row in rows:
        write(line(row))
    write(f"total: {sum(r.seconds for r in RESULTS):.0f} s in scenarios")
    if DESELECTED:
        write(f"short form: {len(DESELECTED)} scenarios left to `make test-faults`: {', '.join(DESELECTED)}")
    for r in RESULTS:
        if r.note:
            write(f"  {r.scenario}: {r.note}")
