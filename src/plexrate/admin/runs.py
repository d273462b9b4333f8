"""``admin runs``: the runs of one library as plain rows (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from plexrate.state import RunInfo


def when(timestamp: float | None) -> str | None:
    """Unix seconds as local ISO 8601 with the UTC offset, to the second."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def run_rows(runs: Sequence[RunInfo]) -> list[dict[str, Any]]:
    """One row per run, oldest first: what ``admin runs --json`` prints.

    ``changed`` counts the run's confirmed journal entries: the items it changed (a run writes
    each item once). ``failed`` were refused or never landed; ``pending`` are still unconfirmed.
    ``compacted``: the run's journal was folded into per-item records (JOURNAL_KEEP_RUNS); its
    counts are the ones it had then, and it can only be undone with everything else.
    """
    return [
        {
            "id": run.id,
            "command": run.command,
            "args": run.args,
            "status": run.status.value,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "started": when(run.started_at),
            "finished": when(run.finished_at),
            "changed": run.confirmed,
            "failed": run.failed,
            "pending": run.pending,
            "compacted": run.compacted,
        }
        for run in sorted(runs, key=lambda r: r.id)
    ]
