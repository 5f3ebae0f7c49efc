"""Every service's import contracts from one template, checked with import-linter (`make lint`).

`python -m devstack.importcontracts [SERVICE ...]` renders `tools/importlinter/contracts.ini` for
each service under `services/` (or the ones named) with that service's data from
`tools/importlinter/services.toml`, and runs `lint-imports` on each rendering; it exits non-zero
when any contract of any service is broken. `--print SERVICE` shows one rendering instead.
"""

from __future__ import annotations

import argparse
import string
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TEMPLATE = Path("tools/importlinter/contracts.ini")
DATA = Path("tools/importlinter/services.toml")


def repository_root(start: Path | None = None) -> Path:
    """The nearest folder (from `start`, by default the current one) holding the template."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / TEMPLATE).is_file():
            return folder
    raise FileNotFoundError(f"{TEMPLATE} not found above {here}")


def services(root: Path) -> list[str]:
    """The services: every `services/<name>` with a package `src/<name>`."""
    return sorted(p.name for p in (root / "services").iterdir() if (p / "src" / p.name / "__init__.py").is_file())


def render(template: str, service: str, data: Mapping[str, Any]) -> str:
    """The contracts of one service: the template with its name and its data (modules outside the
    layers, known exceptions to them, contracts of its own)."""
    exceptions = [str(i) for i in data.get("layers_ignore_imports", [])]
    text = string.Template(template).substitute(
        service=service,
        outside_layers=_listing("exhaustive_ignores", [str(m) for m in data.get("outside_layers", [])]),
        layers_ignore_imports=_listing("ignore_imports", exceptions)
        + ("unmatched_ignore_imports_alerting = warn\n" if exceptions else ""),
        extra=str(data.get("extra", "")).strip("\n"),
    )
    return text.rstrip("\n") + "\n"


def _listing(option: str, values: Sequence[str]) -> str:
    return f"{option} =\n" + "".join(f"    {v}\n" for v in values) if values else ""


def renderings(root: Path, names: Sequence[str] = ()) -> dict[str, str]:
    template = (root / TEMPLATE).read_text(encoding="utf-8")
    data = tomllib.loads((root / DATA).read_text(encoding="utf-8"))
    known = services(root)
    unknown = sorted(set(names) - set(known)) + sorted(set(data) - set(known))
    if unknown:
        raise SystemExit(f"not a service under services/: {', '.join(unknown)}")
    return {name: render(template, name, data.get(name, {})) for name in (names or known)}


def check(root: Path, names: Sequence[str] = ()) -> int:
    """`lint-imports` on every rendering; the number of services whose contracts are broken."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    broken = 0
    with tempfile.TemporaryDirectory(prefix="importlinter-") as folder:
        for name, text in renderings(root, names).items():
            config = Path(folder) / f"{name}.ini"
            config.write_text(text, encoding="utf-8")
            print(f"lint-imports {name} ({TEMPLATE})", flush=True)
            command = [str(lint_imports), "--no-logo", "--no-cache", str(config)]
            run = subprocess.run(command, cwd=root, check=False)  # noqa: S603 - our own venv tool, our own file
            broken += run.returncode != 0
    return broken


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.importcontracts", description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="*", help="only these services (default: every one under services/)")
    parser.add_argument("--print", dest="show", metavar="SERVICE", help="print the rendered contracts of SERVICE")
    args = parser.parse_args(argv)
    root = repository_root()
    if args.show:
        print(renderings(root, [args.show])[args.show], end="")
        return 0
    broken = check(root, args.services)
    if broken:
        print(f"import contracts broken in {broken} service(s)", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
