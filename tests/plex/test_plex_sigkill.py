"""SIGKILL a real process mid-apply: reconciliation then owns exactly what landed in Plex."""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.emulator import Emulator, LatencyModel, generate_library
from plexrate.model import Change
from plexrate.plex import Applier, WriteMode
from plexrate.session import SilentDialog, reconcile
from plexrate.state import EntryStatus, RunStatus
from tests.plex.plex_apply_child import BATCH
from tests.plex.plex_helpers import TAG, client_for, inference_plan, open_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Factory = Callable[..., Emulator]
CHILD = Path(__file__).with_name("plex_apply_child.py")


def write_plan(path: Path, plan: list[Change]) -> None:
    rows = [
        {
            "key": c.key,
            "type": c.item_type.value,
            "phase": c.phase.value,
            "after": c.after,
            "add_tags": list(c.add_tags),
        }
        for c in plan
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")


def spawn(emu: Emulator, state: Path, plan: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PLEXRATE_CHILD_TOKEN": emu.token}
    return subprocess.Popen(
        [sys.executable, str(CHILD), emu.url, emu.section_title, str(state), str(plan), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def expected_writes(plan: list[Change], mode: str) -> int:
    """Write requests the child sends for ``plan`` (chunks per value; /:/rate per item)."""
    groups = Counter((c.item_type, c.after) for c in plan)
    chunks = sum(math.ceil(count / BATCH) for count in groups.values())
    return chunks + (len(plan) if mode == "rate" else 0)


def kill_after(
    proc: subprocess.Popen[str], emu: Emulator, writes: int, *, in_flight: bool, delay: float
) -> str:
    """SIGKILL the child at a moment defined by the writes the emulator has seen.

    ``in_flight``: as soon as write number ``writes + 1`` has changed the library, while the
    emulator still holds its answer (the write latency), so the write landed but the child cannot
    know. Otherwise ``delay`` seconds after the emulator answered ``writes`` writes: between
    requests, or between a request and its confirmation.
    """
    assert proc.stdout is not None and proc.stderr is not None
    base = emu.library.version
    line = proc.stdout.readline()
    assert line == "started\n", proc.stderr.read()
    deadline = time.monotonic() + 60

    def reached() -> bool:
        if in_flight:
            return emu.library.version > base + writes
        return emu.stats().writes >= writes

    while not reached() and proc.poll() is None:
        assert time.monotonic() < deadline, "the child stopped writing"
        time.sleep(0.0002)
    if not in_flight:
        time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read()
    proc.stdout.close()
    proc.stderr.close()
    return rest


def landed_and_owned(emu: Emulator, by_key: dict[int, Change], state: Path) -> set[int]:
    """Reconcile in the parent, check ownership against the emulator's dump, return what landed."""
    with open_store(state, emu) as store:
        # The dead child's run was left "running"; opening as a writer settles it.
        assert store.runs()[-1].status is RunStatus.INTERRUPTED
        reconcile(store, client_for(emu), dialog=SilentDialog())
        assert store.pending() == []
        owned = store.owned()
        confirmed = [e for e in store.journal() if e.status is EntryStatus.CONFIRMED]
    section = next(s for s in emu.dump()["sections"] if s["type"] == "artist")
    dumped = {
        item["ratingKey"]: item
        for kind in ("artists", "albums", "tracks")
        for item in section[kind]
    }
    landed = {k for k, c in by_key.items() if dumped[k].get("userRating") == c.after}
    # Exactly the items whose writes landed are owned, at the value written.
    assert set(owned) == landed
    assert all(owned[k].value == by_key[k].after for k in owned)
    assert all(TAG in dumped[k].get("moods", []) for k in landed)
    # Each item confirmed once over all the runs: nothing recorded twice, nothing lost.
    assert len(confirmed) == len({e.key for e in confirmed}) == len(landed)
    return landed


@pytest.mark.parametrize(("mode", "kills"), [("auto", 3), ("rate", 2)])
def test_sigkill_at_seeded_moments_loses_no_ownership(
    emulator_factory: Factory, tmp_path: Path, mode: str, kills: int
) -> None:
    # Writes take a few milliseconds after they change the library, so a kill can land while
    # the answer is on its way.
    latency = LatencyModel(per_request=0.006, per_rate_call=0.001)
    emu = emulator_factory(generate_library(tracks=1500, seed=31), latency=latency)
    full = inference_plan(emu, distinct=3, limit=900 if mode == "auto" else 150)
    by_key = {c.key: c for c in full}
    state, plan_file = tmp_path / "state.sqlite", tmp_path / "plan.json"
    rng = random.Random(f"sigkill-{mode}")
    remaining = full
    for _ in range(kills):
        write_plan(plan_file, remaining)
        emu.reset_stats()
        proc = spawn(emu, state, plan_file, mode)
        # A seeded moment inside the run: while a write is in flight, or between requests.
        # Within the first half of what is left, so a slow parent never misses the run.
        target = rng.randrange(0, expected_writes(remaining, mode) // 2)
        in_flight = rng.random() < 0.5
        out = kill_after(proc, emu, target, in_flight=in_flight, delay=rng.uniform(0, 0.004))
        assert proc.returncode == -signal.SIGKILL
        assert "done" not in out, "the child finished before the kill"
        landed = landed_and_owned(emu, by_key, state)
        remaining = [c for c in full if c.key not in landed]
        assert remaining

    # A rerun of what is left finishes the job.
    with open_store(state, emu) as store:
        run = store.begin_run(command="rerun")
        applier = Applier(
            client_for(emu), journal=store, run_id=run, mode=WriteMode(mode), cooldown_sleep=0
        )
        assert applier.apply(remaining).written == len(remaining)
        store.finish_run(run, status=RunStatus.COMPLETED)
        assert {k: o.value for k, o in store.owned().items()} == {c.key: c.after for c in full}
    assert all(emu.library.rating(c.key) == c.after for c in full)
