"""Stopping a real ``plexrate run --apply`` process in the middle, and carrying on afterwards.

The emulator runs in the test process with a per-request latency and small write batches, so
the run lasts long enough to be interrupted between its write requests. SIGTERM, or Ctrl-C
without a terminal, stops it cleanly (exit 130, every confirmed write recorded, nothing left
pending); on a terminal Ctrl-C pauses and asks Resume or Quit. A server that stops answering
ends the run with exit 4 and an unconfirmed write, which the next run settles by reading it
back. Running the command again finishes the job, and the library ends as an uninterrupted run
leaves it.
"""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest

from plexrate.emulator import FaultPlan, LatencyModel
from plexrate.engine import epsilon
from plexrate.state import RunStatus, StateStore
from tests.e2e.e2e_support import (
    TAG,
    expected_run,
    item_kinds,
    moods,
    one_line,
    rating_differences,
    ratings,
    wait_for,
    wait_for_writes,
)
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRACKS, SEED = 500, 3
# Every request takes 8 ms and a write carries at most 5 changes: about 120 write requests.
SLOW = LatencyModel(per_request=0.008)
SMALL_BATCHES = {"PLEXRATE_WRITE_BATCH_SIZE": "5"}
CONTINUE = "run `plexrate run --apply` again to carry on"


def runs(cli: PlexrateCli) -> list[Any]:
    with StateStore(cli.state_path, library_uuid=cli.emulator.section_uuid, readonly=True) as store:
        return store.runs()


def assert_stopped_cleanly(cli: PlexrateCli, *, total: int) -> None:
    """Something but not everything was written, all of it recorded, nothing left pending."""
    assert cli.pending() == []
    owned = cli.owned()
    assert 0 < len(owned) < total
    library = cli.emulator.library
    for key, item in owned.items():
        assert library.rating(key) == pytest.approx(item.value, abs=0.005)
        assert TAG in library.item_tags(key, "mood")
    assert [run.status for run in runs(cli)] == [RunStatus.INTERRUPTED]


def assert_same_library(finished: PlexrateCli, reference: dict[str, Any]) -> None:
    """Equal to an uninterrupted run's library: ratings within ε, identical moods."""
    dump = finished.emulator.dump()
    eps = epsilon(len(item_kinds(dump)), dynamic=True)
    assert rating_differences(ratings(dump), ratings(reference), tolerance=eps) == {}
    assert moods(dump) == moods(reference)


@pytest.mark.parametrize(("signum", "flags"), [(signal.SIGTERM, ()), (signal.SIGINT, ("--json",))])
def test_a_signal_without_a_terminal_stops_cleanly_and_a_rerun_finishes(
    cli_for: Any, signum: signal.Signals, flags: tuple[str, ...]
) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED, latency=SLOW)
    total = len(expected_run(cli.emulator.dump()).plan.changes)

    process = cli.popen("run", "--apply", *flags, env=SMALL_BATCHES)
    wait_for_writes(cli.emulator, 8)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 130, err
    if flags:
        document = json.loads(out)
        assert (document["status"], document["stopped"]) == ("interrupted", True)
        assert 0 < document["written"] < document["planned"] == total
    else:
        assert out == ""
        assert "Wrote " in err
    assert CONTINUE in one_line(err)
    assert "Paused" not in err  # nobody to ask: no prompt
    assert "━" not in err and "\x1b[" not in err  # no progress bars in a pipe
    assert_stopped_cleanly(cli, total=total)
    stopped_at = cli.emulator.stats().writes
    assert stopped_at < 60

    cli.emulator.set_latency(None)
    rest = cli.ok_json("run", "--apply")

    assert rest["status"] == "completed"
    assert rest["stats"]["unchanged"] >= len(cli.owned()) - rest["written"] > 0
    reference = cli_for(tracks=TRACKS, seed=SEED)
    reference.ok_json("run", "--apply")
    assert_same_library(cli, reference.emulator.dump())
    assert set(cli.owned()) == set(reference.owned())


def test_sigterm_before_the_writes_stops_with_130(cli_for: Any) -> None:
    """Reading a big library takes a while; a SIGTERM then ends the command as Ctrl-C does."""
    cli = cli_for(tracks=TRACKS, seed=SEED, latency=LatencyModel(per_request=0.25))

    process = cli.popen("run", "--apply")
    wait_for(lambda: cli.emulator.stats().reads >= 3)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 130, err
    assert "Interrupted." in err
    assert cli.emulator.stats().writes == 0
    assert cli.pending() == []
    assert runs(cli) == []


@pytest.mark.parametrize("answer", ["r", "q"])
def test_ctrl_c_on_a_terminal_pauses_and_asks(cli_for: Any, answer: str) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED, latency=SLOW)
    initial = cli.emulator.dump()
    expected = expected_run(initial)

    terminal = cli.terminal("run", "--apply", env=SMALL_BATCHES)
    try:
        terminal.wait_for(lambda: cli.emulator.stats().writes >= 8)
        terminal.signal(signal.SIGINT)
        terminal.wait_for(lambda: "[R]esume or [Q]uit?" in terminal.output)
        paused_at = cli.emulator.stats().writes
        # While it waits for an answer it still holds the library: a second run is refused.
        second = cli.invoke("run", "--apply")
        assert second.exit_code == 1
        assert "in use by another plexrate process" in one_line(second.stderr)
        terminal.idle(0.2)
        assert cli.emulator.stats().writes == paused_at  # nothing is written while it asks
        terminal.send(answer + "\n")
        code = terminal.finish()
    finally:
        terminal.kill()

    output = one_line(terminal.output)
    if answer == "r":
        assert code == 0, output[-2000:]
        assert "Resuming." in output
        assert f"Wrote {len(expected.plan.changes):,} of {len(expected.plan.changes):,}" in output
        assert_same_library(cli, expected_after_dump(cli, expected))
        assert [run.status for run in runs(cli)] == [RunStatus.COMPLETED]
    else:
        assert code == 130, output[-2000:]
        assert CONTINUE in output
        assert_stopped_cleanly(cli, total=len(expected.plan.changes))
        assert cli.emulator.stats().writes == paused_at


def expected_after_dump(cli: PlexrateCli, expected: Any) -> dict[str, Any]:
    """The emulator's dump rewritten with the engine's expected ratings and tags."""
    dump = cli.emulator.dump()
    section = next(s for s in dump["sections"] if s.get("type", "artist") == "artist")
    after = expected.after
    for kind, items in (("artists", after.artists), ("albums", after.albums)):
        for raw in section[kind]:
            _expect(raw, items[raw["ratingKey"]].rating, raw["ratingKey"] in expected.owned)
    for raw in section["tracks"]:
        _expect(raw, after.tracks[raw["ratingKey"]].rating, raw["ratingKey"] in expected.owned)
    return dump


def _expect(raw: dict[str, Any], rating: float | None, owned: bool) -> None:
    if rating is None:
        raw.pop("userRating", None)
    else:
        raw["userRating"] = rating
    others = [m for m in raw.get("moods", ()) if m != TAG]
    raw["moods"] = [*others, TAG] if owned else others
    if not raw["moods"]:
        raw.pop("moods")


def test_sigterm_while_paused_at_the_prompt_quits(cli_for: Any) -> None:
    """A service manager stopping plexrate must not wait for someone to answer the prompt."""
    cli = cli_for(tracks=TRACKS, seed=SEED, latency=SLOW)
    expected = expected_run(cli.emulator.dump())

    terminal = cli.terminal("run", "--apply", env=SMALL_BATCHES)
    try:
        terminal.wait_for(lambda: cli.emulator.stats().writes >= 8)
        terminal.signal(signal.SIGINT)
        terminal.wait_for(lambda: "[R]esume or [Q]uit?" in terminal.output)
        # A service manager's SIGTERM does not land in the instant between prompt and read.
        terminal.wait_for_read()
        terminal.signal(signal.SIGTERM)
        code = terminal.finish(timeout=10)
    finally:
        terminal.kill()

    assert code == 130, terminal.output[-2000:]
    assert CONTINUE in one_line(terminal.output)
    assert_stopped_cleanly(cli, total=len(expected.plan.changes))


@pytest.mark.parametrize(
    ("faults", "landed"),
    [
        # The server goes away after five write requests: the sixth never reaches it.
        (FaultPlan(stop_after_writes=5), False),
        # The fourth write is applied, but its answer is lost on the way back.
        (
            FaultPlan(rate=1.0, kinds=("drop",), only="writes", applied_fraction=1.0, max_faults=1),
            True,
        ),
    ],
)
def test_a_server_that_stops_answering_exits_4_and_the_rerun_settles_the_write(
    cli_for: Any, faults: FaultPlan, landed: bool
) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    expected = expected_run(cli.emulator.dump())
    cli.emulator.set_faults(faults)

    stopped = cli.invoke("run", "--apply", env={"PLEXRATE_RETRIES": "0"})

    assert stopped.exit_code == 4, stopped.output
    assert "stopped answering" in one_line(stopped.stderr)
    assert "finished work is kept" in one_line(stopped.stderr)
    unsure = cli.pending()
    assert len({entry.run_id for entry in unsure}) == 1
    assert unsure  # the unanswered request's changes: written or not, nobody knows yet
    assert [run.status for run in runs(cli)] == [RunStatus.INTERRUPTED]

    cli.emulator.come_back()
    cli.emulator.set_faults(None)
    rest = cli.invoke("run", "--apply")

    assert rest.exit_code == 0, rest.output
    writes = "write" if len(unsure) == 1 else "writes"
    settled = f"Checked {len(unsure)} unconfirmed {writes} of an interrupted run: "
    counts = f"{len(unsure)} had landed, 0 had not" if landed else f"0 had landed, {len(unsure)}"
    assert settled + counts in one_line(rest.stderr)
    assert cli.pending() == []
    assert set(cli.owned()) == set(expected.owned)
    assert_same_library(cli, expected_after_dump(cli, expected))
