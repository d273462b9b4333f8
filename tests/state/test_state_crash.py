"""Real processes: SIGKILL in the middle of journaling, and the one-writer-per-library lock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from plexrate.errors import StateLocked
from plexrate.state import EntryStatus, ObservedItem, RunStatus
from plexrate.state.lock import current_command
from tests.state.state_child import TAG, value_for
from tests.state.state_helpers import LIBRARY, OTHER_LIBRARY, open_store

CHILD = Path(__file__).with_name("state_child.py")
BATCH = 25


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _landed(server: Path) -> dict[int, float]:
    if not server.exists():
        return {}
    result = {}
    for line in server.read_text().splitlines():
        key, value = line.split()
        result[int(key)] = float(value)
    return result


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05, 0.12, 0.25, 0.4])
def test_sigkill_while_journaling_loses_nothing(tmp_path: Path, delay: float) -> None:
    state, server = tmp_path / "state.sqlite", tmp_path / "server.log"
    proc = _spawn("apply", str(state), str(server), str(BATCH))
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    assert first.startswith("I "), proc.stderr.read()
    time.sleep(delay)
    proc.kill()
    proc.wait()
    lines = [first, *proc.stdout.read().splitlines()]
    proc.stdout.close()
    proc.stderr.close()
    intents = {int(line.split()[1]) for line in lines if line.startswith("I ")}
    confirms = {int(line.split()[1]) for line in lines if line.startswith("C ")}

    # The kernel dropped the dead writer's lock: a new writer opens at once.
    with open_store(state) as store:
        assert [r.status for r in store.runs()] == [RunStatus.INTERRUPTED]
        journal = store.journal()
        by_key = {e.key: e for e in journal}
        assert len(by_key) == len(journal)
        # Whole batches or nothing: no half-written transaction survives.
        assert sorted(by_key) == list(range(1, len(by_key) + 1))
        assert len(by_key) % BATCH == 0
        for first_key in intents:
            assert all(k in by_key for k in range(first_key, first_key + BATCH))
        for first_key in confirms:
            batch = range(first_key, first_key + BATCH)
            assert all(by_key[k].status is EntryStatus.CONFIRMED for k in batch)

        # Confirmation and ownership were committed together, so they agree exactly.
        owned = store.owned()
        confirmed = {e.key for e in journal if e.status is EntryStatus.CONFIRMED}
        assert set(owned) == confirmed
        assert all(owned[k].value == value_for(k) for k in owned)
        assert {e.key for e in store.pending()} == set(by_key) - confirmed
        assert store.verify() == []

        # Reconcile from what the "server" holds: own exactly the writes that landed.
        landed = _landed(server)
        assert confirmed <= set(landed) <= set(by_key)
        observed = {
            k: ObservedItem(landed.get(k), frozenset({TAG}) if k in landed else frozenset())
            for k in by_key
        }
        report = store.resolve_pending(observed)
        assert report.changed == report.vanished == report.partial == ()
        assert set(store.owned()) == set(landed)
        assert store.pending() == []
        store.begin_run(command="run")


def test_a_second_writer_is_refused_naming_the_holder_until_it_dies(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    proc = _spawn("hold", str(state))
    assert proc.stdout is not None and proc.stderr is not None
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        with pytest.raises(StateLocked) as refused:
            open_store(state)
        message = str(refused.value)
        assert f"pid {proc.pid}" in message
        assert "'child hold'" in message
        assert "'Music'" in message
        # readers never lock, and another library of the same file has its own lock
        with open_store(state, readonly=True) as reader:
            assert reader.owned() == {}
        with open_store(state, OTHER_LIBRARY) as other:
            other.set_meta("x", "1")
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    with open_store(state) as store:
        store.begin_run(command="run")


def test_two_writers_in_one_process_also_conflict(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    with open_store(state) as store:
        with pytest.raises(StateLocked, match=r"pid \d+"):
            open_store(state)
        store.set_meta("still", "usable")
    with open_store(state, LIBRARY) as again:
        assert again.meta("still") == "usable"


def test_the_recorded_command_never_includes_option_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        sys, "argv", ["/usr/bin/plexrate", "admin", "undo", "--token", "abcd1234", "--run", "3"]
    )
    assert current_command() == "plexrate admin undo"


def test_a_symlinked_path_shares_the_lock(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    link = tmp_path / "link.sqlite"
    with open_store(state):
        link.symlink_to(state)
        with pytest.raises(StateLocked):
            open_store(link)


def test_a_store_dropped_without_close_releases_its_lock(tmp_path: Path) -> None:
    import gc

    state = tmp_path / "state.sqlite"
    store = open_store(state)
    store.set_meta("k", "v")
    del store
    gc.collect()
    with open_store(state) as again:
        assert again.meta("k") == "v"
