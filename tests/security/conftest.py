"""The security suite's tables: collected while the tests run, printed in the terminal summary
and written to `<pytest base temp>/security-matrix.txt`."""

from __future__ import annotations

from pathlib import Path

import pytest

# (service, method, path, {who: status}, expected note) for each probed operation
MATRIX: list[tuple[str, str, str, dict[str, int], str]] = []
COLUMNS = ("officer", "team", "oncall", "ops", "none", "wrong", "expired")


def render_matrix() -> str:
    if not MATRIX:
        return ""
    width = max(len(f"{s} {m} {p}") for s, m, p, _a, _e in MATRIX)
    head = f"{'operation':<{width}}  " + " ".join(f"{c:>7}" for c in COLUMNS) + "  allowed"
    lines = [head, "-" * len(head)]
    for service, method, path, answers, allowed in sorted(MATRIX):
        cells = " ".join(f"{answers.get(c, '-')!s:>7}" for c in COLUMNS)
        lines.append(f"{f'{service} {method} {path}':<{width}}  {cells}  {allowed}")
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    text = render_matrix()
    if not text:
        return
    terminalreporter.section("security: role matrix (status per operation and caller)")
    terminalreporter.write_line(text)
    base = Path(str(config._tmp_path_factory.getbasetemp()))  # type: ignore[attr-defined]
    target = base / "security-matrix.txt"
    target.write_text(text + "\n")
    terminalreporter.write_line(f"(also written to {target})")
