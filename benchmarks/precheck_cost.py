"""What the check before each write costs: requests and wall time, with and without it.

For each size it starts ``plexrate emulator serve`` (``plex`` latency preset) twice over the same
generated library and runs, as child processes, ``plexrate run --apply`` then ``plexrate admin
undo --apply``: once as shipped (every write request's items are read just before it, issue 16)
and once with the check switched off inside the child (``Baseline.of`` patched to return None,
for this measurement only; plexrate has no setting for it). It prints one JSON line per size and
mode with the requests the client sent by kind and the wall time of each command. Figures are in
``docs/benchmarks.md``.

    python -m benchmarks.precheck_cost --tracks 7500 50000
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import PYTHON, EmulatorProcess, plexrate_env, run_child

# The child with the check switched off: the same CLI, with the session's Baseline replaced.
_UNCHECKED = (
    "import sys, plexrate.session as w\n"
    "class NoBaseline:\n"
    "    @staticmethod\n"
    "    def of(snapshot):\n"
    "        return None\n"
    "w.Baseline = NoBaseline\n"
    "from plexrate.cli.app import main\n"
    "sys.argv[0] = 'plexrate'\n"
    "main()\n"
)


def _argv(checked: bool, *args: str) -> list[str]:
    if checked:
        return [PYTHON, "-m", "plexrate", *args]
    return [PYTHON, "-c", _UNCHECKED, *args]


def measure(tracks: int, *, checked: bool, seed: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"tracks": tracks, "check": checked}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        with EmulatorProcess(tracks=tracks, seed=seed, workdir=work / "emu") as emulator:
            env = plexrate_env(emulator, state_path=work / "state.sqlite")
            for name, args in (
                ("run", ("run", "--apply", "--yes", "--json")),
                ("undo", ("admin", "undo", "--apply", "--yes", "--json")),
            ):
                child = run_child(_argv(checked, *args), env=env, cwd=work).check()
                document = child.json()
                requests = document["requests"]
                out[name] = {
                    "wall_s": round(child.wall, 2),
                    "writes": requests.get("writes"),
                    "reads": requests.get("reads"),
                    "check_reads": requests.get("by_kind", {}).get("check", 0),
                    "items_checked": document.get("checked", 0),
                    "written": document.get("written"),
                    "changed_in_plex": document.get("changed_in_plex"),
                }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, nargs="+", default=[7500])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for tracks in args.tracks:
        for checked in (True, False):
            print(json.dumps(measure(tracks, checked=checked, seed=args.seed)), flush=True)


if __name__ == "__main__":
    main()
