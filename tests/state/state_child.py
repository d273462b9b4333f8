"""A child process for the crash and lock tests: ``python state_child.py MODE STATE ...``.

``hold``: open the store as a writer, say ``ready``, and wait to be killed.

``apply SERVER BATCH``: journal and "send" batches of writes forever, the way the Applier does:
record the intents, append each write to the SERVER file (a stand-in for Plex: one line per
landed write), confirm. It prints ``I <first key>`` once a batch's intents are committed and
``C <first key>`` once its confirmation is committed, so the parent knows what must survive.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from plexrate.model import Change, ItemType, Phase
from plexrate.state import StateStore

LIBRARY = "5f1c0e5e-7a1b-4c33-9e55-000000000001"
TAG = "Rating_Inferred"


def value_for(key: int) -> float:
    return round(1.0 + (key % 90) / 10, 1)


def main() -> None:
    mode, state = sys.argv[1], Path(sys.argv[2])
    store = StateStore(state, library_uuid=LIBRARY, library_title="Music", command="child " + mode)
    if mode == "hold":
        print("ready", flush=True)
        time.sleep(600)
        return
    server, batch = Path(sys.argv[3]), int(sys.argv[4])
    run = store.begin_run(command="run")
    fd = os.open(server, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    first = 1
    while True:
        keys = range(first, first + batch)
        changes = [
            Change(
                key=k,
                item_type=ItemType.TRACK,
                title=f"track {k}",
                phase=Phase.TRACK_DOWN,
                reason="crash test",
                before=None,
                after=value_for(k),
                add_tags=(TAG,),
                own=True,
                guid=f"plex://track/{k}",
            )
            for k in keys
        ]
        ids = store.record_intents(run, changes)
        print(f"I {first}", flush=True)
        for k in keys:
            os.write(fd, f"{k} {value_for(k)}\n".encode())
            time.sleep(0.0005)  # a request takes time, so a kill often lands mid-batch
        store.confirm(ids)
        print(f"C {first}", flush=True)
        first += batch


if __name__ == "__main__":
    main()
