"""A child process for the SIGKILL test: ``python plex_apply_child.py URL LIBRARY STATE PLAN MODE``.

It connects to the emulator the parent runs (the token comes in ``PLEXRATE_CHILD_TOKEN``, never on
the command line), opens the StateStore as a writer, begins a run, prints ``started``, and applies
the plan in PLAN (a JSON list of changes) with the real Applier until it is killed or done.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from plexrate.model import Change, ItemType, Phase
from plexrate.plex import Applier, RetryPolicy, WriteMode, connect
from plexrate.state import RunStatus, StateStore

BATCH = 25


def load_plan(path: Path) -> list[Change]:
    return [
        Change(
            key=row["key"],
            item_type=ItemType(row["type"]),
            title=f"item {row['key']}",
            phase=Phase(row["phase"]),
            reason="sigkill test",
            before=None,
            after=row["after"],
            add_tags=tuple(row["add_tags"]),
            own=True,
        )
        for row in json.loads(path.read_text(encoding="utf-8"))
    ]


def main() -> None:
    url, library, state, plan_path, mode = sys.argv[1:6]
    client = connect(
        url=url,
        token=os.environ["PLEXRATE_CHILD_TOKEN"],
        library=library,
        retry=RetryPolicy(attempts=2, base_delay=0.0),
    )
    plan = load_plan(Path(plan_path))
    with StateStore(
        Path(state), library_uuid=client.section.uuid, library_title=library, command="child"
    ) as store:
        run = store.begin_run(command="sigkill-test")
        print("started", flush=True)
        applier = Applier(
            client,
            journal=store,
            run_id=run,
            batch_size=BATCH,
            mode=WriteMode(mode),
            cooldown_sleep=0,
        )
        report = applier.apply(plan)
        store.finish_run(run, status=RunStatus.COMPLETED)
    print(f"done {report.written}", flush=True)


if __name__ == "__main__":
    main()
