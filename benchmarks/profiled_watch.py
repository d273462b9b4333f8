"""``plexrate watch`` with every cycle after the start cycle under cProfile.

Used by ``benchmarks.watch_latency --profile``: the start cycle reads the whole library's changes
since the first run and would swamp what a cycle after one rating costs. Each profiled cycle's
wall time is appended to ``OUT.prof.cycles``; the stats go to ``OUT.prof`` on exit.

    python -m benchmarks.profiled_watch OUT.prof watch --webhook ...
"""

from __future__ import annotations

import atexit
import cProfile
import sys
import time
from pathlib import Path
from typing import Any

from plexrate.cli import watch as watch_cli
from plexrate.cli.app import main


def _install(out: str) -> None:
    profiler = cProfile.Profile()
    original = watch_cli._Cycle.__call__
    calls = 0

    def profiled(self: Any, trigger: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            return original(self, trigger)
        started = time.perf_counter()
        profiler.enable()
        try:
            return original(self, trigger)
        finally:
            profiler.disable()
            with Path(out + ".cycles").open("a", encoding="utf-8") as log:
                log.write(
                    f"cycle {calls - 1}: {time.perf_counter() - started:.2f}s ({trigger.reason})\n"
                )

    watch_cli._Cycle.__call__ = profiled  # type: ignore[method-assign]
    atexit.register(lambda: profiler.dump_stats(out))


if __name__ == "__main__":
    _install(sys.argv[1])
    sys.argv = ["plexrate", *sys.argv[2:]]
    main()
