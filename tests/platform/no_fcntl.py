"""Run plexrate the way Windows would see it: ``python no_fcntl.py [hold STATE UUID | ARGS...]``.

``fcntl`` exists only on POSIX. With ``sys.modules["fcntl"] = None`` every ``import fcntl`` in
this process raises ``ImportError``, as it does on Windows, so plexrate and everything it
imports must get by without it.

``hold STATE UUID``: open the state of library UUID as a writer, say ``ready`` and wait to be
killed. Anything else: plexrate's command line with those arguments.
"""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path

sys.modules["fcntl"] = None  # type: ignore[assignment]


def main() -> None:
    if sys.argv[1:2] == ["hold"]:
        from plexrate.state import StateStore

        state, uuid = Path(sys.argv[2]), sys.argv[3]
        store = StateStore(state, library_uuid=uuid, library_title="Music", command="holder hold")
        print("ready", flush=True)
        time.sleep(600)
        store.close()
        return
    sys.argv = ["plexrate", *sys.argv[1:]]
    try:
        runpy.run_module("plexrate", run_name="__main__", alter_sys=True)
    finally:
        # Nothing may have put a real fcntl module back behind the test's back.
        assert sys.modules.get("fcntl") is None, "fcntl was imported after all"


if __name__ == "__main__":
    main()
