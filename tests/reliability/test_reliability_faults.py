"""``plexrate run --apply`` against a failing server, at the level of the real command.

A seeded share of requests fails (500s, timeouts past a short TIMEOUT, dropped connections; faulted
writes sometimes applied before the failure): the run still ends with the library and the
ownership record of a clean run. A server that goes away mid-run gives one clear error line and
exit code 4; once it is back, a rerun finishes the job and ends where an uninterrupted run ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import FaultPlan, LatencyModel, generate_library
from plexrate.plex import RetryPolicy
from tests.reliability.reliability_helpers import (
    TOKEN,
    Outcome,
    Target,
    assert_one_line_error,
    assert_same_outcome,
    serve,
    wait_for,
)

pytestmark = pytest.mark.integration

# Small pages and batches: more requests, so more of them meet a fault.
SETTINGS = {"PAGE_SIZE": "100", "WRITE_BATCH_SIZE": "20"}


@pytest.fixture(scope="module")
def library() -> dict[str, Any]:
    return generate_library(tracks=400, seed=41).to_dict()


@pytest.fixture(scope="module")
def clean_run(
    library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], tuple[Outcome, dict[str, Any]]]]:
    """``clean_run(mode)``: the outcome and JSON summary of an uninterrupted, fault-free run."""
    done: dict[str, tuple[Outcome, dict[str, Any]]] = {}

    def run(mode: str) -> tuple[Outcome, dict[str, Any]]:
        if mode not in done:
            emu = serve(library)
            try:
                folder = tmp_path_factory.mktemp(f"clean-{mode}")
                target = Target(emu, folder, {**SETTINGS, "RATING_WRITE_MODE": mode})
                summary = target.invoke_json("run", "--apply", "--yes")
                summary["ratings_stored"] = emu.stats().ratings_written
                done[mode] = (target.outcome(), summary)
            finally:
                emu.stop()
        return done[mode]

    yield run


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries happen as configured, without the back-off pauses between them (test speed)."""
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt: 0.0)


@pytest.mark.slow
@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize(
    "case",
    # (write mode, fault seed, share of requests that fail). The seeds give fault streams that
    # hold all three kinds (a stream depends only on its seed); /:/rate sends a request per item.
    [("auto", 1, 0.15), ("edit", 5, 0.15), ("rate", 3, 0.04)],
    ids=["auto", "edit", "rate"],
)
def test_a_run_through_faults_ends_like_a_clean_run(
    library: dict[str, Any],
    clean_run: Callable[[str], tuple[Outcome, dict[str, Any]]],
    tmp_path: Path,
    case: tuple[str, int, float],
) -> None:
    mode, seed, rate = case
    clean, clean_summary = clean_run(mode)
    plan = FaultPlan(rate=rate, seed=seed, timeout_seconds=0.5, applied_fraction=0.5)
    emu = serve(library, faults=plan)
    try:
        target = Target(
            emu,
            tmp_path,
            {**SETTINGS, "RATING_WRITE_MODE": mode, "TIMEOUT": "0.2", "RETRIES": "10"},
        )
        summary = target.invoke_json("run", "--apply", "--yes")
        stats = emu.stats()
        faults = dict(stats.faults)
        emu.set_faults(None)

        assert set(faults) == {"error", "timeout", "drop"}, faults
        assert summary["status"] == "completed"
        assert summary["planned"] == summary["written"] == clean_summary["planned"] > 300
        assert (summary["failed"], summary["pending"]) == (0, 0)
        assert summary["requests"]["retries"] > 0
        # Some faulted writes had landed before their answer was lost, and were sent again.
        assert stats.ratings_written > clean_summary["ratings_stored"]
        assert_same_outcome(clean, target.outcome())
        assert target.pending() == []

        # Invariant 4 holds after a faulty run too: the next run has nothing to write.
        emu.reset_stats()
        again = target.invoke_json("run", "--apply", "--yes")
        assert (again["planned"], again["written"]) == (0, 0)
        assert emu.stats().writes == 0
    finally:
        emu.stop()


def test_faults_while_connecting_are_retried(
    library: dict[str, Any],
    clean_run: Callable[[str], tuple[Outcome, dict[str, Any]]],
    tmp_path: Path,
    no_backoff: None,
) -> None:
    """The first requests of a run (server root, library sections) fail like any other."""
    clean, _ = clean_run("auto")
    emu = serve(library, faults=FaultPlan(rate=1.0, kinds=("error", "drop"), max_faults=3))
    try:
        target = Target(emu, tmp_path, {**SETTINGS, "RATING_WRITE_MODE": "auto"})
        summary = target.invoke_json("run", "--apply", "--yes")
        assert sum(emu.stats().faults.values()) == 3
        assert summary["status"] == "completed"
        assert_same_outcome(clean, target.outcome())
    finally:
        emu.stop()


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize(
    "after_writes",
    [1, 9],
    # 1: the first multi-edit landed, the read-back that verifies it finds the server gone.
    # 9: mid-run, between two write requests.
    ids=["before-the-verify-read", "mid-run"],
)
def test_a_server_that_stops_answering_exits_4_and_a_rerun_finishes(
    library: dict[str, Any],
    clean_run: Callable[[str], tuple[Outcome, dict[str, Any]]],
    tmp_path: Path,
    after_writes: int,
) -> None:
    clean, _ = clean_run("auto")
    emu = serve(library, faults=FaultPlan(stop_after_writes=after_writes))
    try:
        target = Target(emu, tmp_path, {**SETTINGS, "RATING_WRITE_MODE": "auto", "RETRIES": "2"})
        result = target.invoke("run", "--apply", "--yes", "--json")
        assert result.exit_code == 4, result.stderr
        # No outcome document for a run that did not finish: the error is the document.
        document = json.loads(result.stdout)
        assert document["exit_code"] == 4
        assert "stopped answering" in document["error"]
        error = assert_one_line_error(result.stderr, contains="stopped answering")
        assert error.startswith(f"Error: the Plex server at {emu.url} stopped answering")
        assert "then rerun: finished work is kept" in error
        assert emu.is_down
        with target.store() as store:
            assert store.runs()[-1].status.value == "interrupted"
            assert len(store.pending()) > 0  # the request in flight: its outcome is unknown
            # What was confirmed before the server went away is kept.
            assert bool(store.owned()) == (after_writes > 1)

        emu.set_faults(None)
        emu.come_back()
        again = target.invoke("run", "--apply", "--yes")
        assert again.exit_code == 0, again.stderr
        assert "unconfirmed write" in again.stderr and "of an interrupted run" in again.stderr
        assert target.pending() == []
        assert_same_outcome(clean, target.outcome())
    finally:
        emu.stop()


@pytest.mark.slow
def test_a_server_going_down_under_a_real_process(
    library: dict[str, Any],
    clean_run: Callable[[str], tuple[Outcome, dict[str, Any]]],
    tmp_path: Path,
) -> None:
    """``go_down`` while a real ``plexrate run --apply`` is writing, then ``come_back``."""
    clean, _ = clean_run("auto")
    emu = serve(library, latency=LatencyModel(per_request=0.01))
    try:
        target = Target(emu, tmp_path, {**SETTINGS, "RATING_WRITE_MODE": "auto", "RETRIES": "1"})
        proc = target.spawn("run", "--apply", "--yes")
        assert wait_for(lambda: emu.stats().writes >= 12, proc, limit=60)
        emu.go_down()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 4, err
        assert out == ""
        error = assert_one_line_error(err, contains="stopped answering")
        assert error.startswith("Error: the Plex server at")
        # Before giving up it said what it waited for (issue 19), and the error how long.
        assert err.startswith("Waiting for Plex, attempt 2 of 2 in ")
        # What happened, in words; not the request's internal kind ("the last count-track ...").
        assert "the last" not in err.splitlines()[0]
        assert "over 2 attempts" in error

        emu.come_back()
        rerun = target.run_process("run", "--apply", "--yes", "--json")
        assert rerun.exit_code == 0, rerun.stderr
        assert TOKEN not in rerun.stdout + rerun.stderr + out + err
        assert json.loads(rerun.stdout)["status"] == "completed"
        assert target.pending() == []
        assert_same_outcome(clean, target.outcome())
        target.assert_no_token_in_files()
    finally:
        emu.stop()
