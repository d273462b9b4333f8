"""``execute``: one journaled run per plan, finished with the status that says how it ended."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.emulator import Emulator, FaultPlan, generate_library
from plexrate.errors import PlexUnreachable, StateError
from plexrate.model import ItemType, Plan
from plexrate.plex import RatingsNotStored
from plexrate.session import (
    Session,
    SilentDialog,
    StagedPlan,
    execute,
    open_session,
    reconcile,
)
from plexrate.settings import Settings
from plexrate.state import EntryStatus, RunStatus
from tests.session.session_helpers import TAG, rate, settings_for, unrated_tracks

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]


@pytest.fixture
def emu(emulator_factory: Factory) -> Emulator:
    return emulator_factory(generate_library(tracks=200, seed=5))


def session_for(settings: Settings) -> Session:
    return open_session(settings, write=True, command="run", dialog=SilentDialog())


def plan_for(keys: list[int]) -> Plan:
    return Plan([rate(k, ItemType.TRACK, 5.0 + k % 3) for k in keys])


def test_a_plan_runs_to_completion(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path, rating_write_mode="edit", write_batch_size=20)
    keys = unrated_tracks(emu)[:50]
    plan = plan_for(keys)
    with session_for(settings) as session:
        outcome = execute(session, plan, command="run", args={"start_letter": "B"})
        assert outcome.status is RunStatus.COMPLETED
        assert outcome.run_id is not None and outcome.seconds >= 0
        assert outcome.report.written == 50 and not outcome.report.stopped
        [run] = session.store.runs()
        assert (run.id, run.command, run.status) == (outcome.run_id, "run", RunStatus.COMPLETED)
        assert run.args == {"start_letter": "B"}
        assert (run.entries, run.confirmed, run.pending) == (50, 50, 0)
        assert {k: o.value for k, o in session.owned().items()} == {
            c.key: c.after for c in plan.changes
        }
    for change in plan.changes:
        assert emu.library.rating(change.key) == change.after
        assert TAG in emu.library.item_tags(change.key)
    # Grouped by value (three values) in chunks of 20: not one request per item.
    per_value = Counter(c.after for c in plan.changes)
    assert len(per_value) == 3
    assert emu.stats().writes == sum(math.ceil(n / 20) for n in per_value.values())


def test_the_token_never_reaches_the_run_record(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    with session_for(settings) as session:
        execute(
            session,
            plan_for(unrated_tracks(emu)[:1]),
            command="run",
            args={"url": f"{emu.url}/?X-Plex-Token={emu.token}"},
        )
        [run] = session.store.runs()
    assert emu.token not in str(run.args)
    assert emu.token.encode() not in settings.state_path.read_bytes()


def test_an_empty_plan_opens_no_run(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    with session_for(settings) as session:
        outcome = execute(session, Plan(), command="run", marks_ownership_built=True)
        assert (outcome.run_id, outcome.status, outcome.report.written) == (
            None,
            RunStatus.COMPLETED,
            0,
        )
        assert session.store.runs() == []
        assert not session.store.ownership_built()
    assert emu.stats().writes == 0


def test_marks_ownership_built_when_the_run_completes(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    # Tag-only changes (a tag sync) claim nothing, so only the flag can say the record is whole.
    keys = unrated_tracks(emu)[:4]
    plan = Plan([rate(k, ItemType.TRACK, None, set_rating=False, own=None) for k in keys])
    with session_for(settings) as session:
        stopped = execute(
            session, plan, command="admin sync-tags", checkpoint=lambda: True,
            marks_ownership_built=True,
        )  # fmt: skip
        assert stopped.status is RunStatus.INTERRUPTED
        assert not session.store.ownership_built()  # an interrupted run proves nothing
        done = execute(session, plan, command="admin sync-tags", marks_ownership_built=True)
        assert done.status is RunStatus.COMPLETED
        assert session.store.ownership_built()
        assert session.owned() == {}
    assert emu.library.tagged(TAG) == set(keys)


def test_a_checkpoint_stop_is_an_interrupted_run(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path, rating_write_mode="edit", write_batch_size=10)
    keys = unrated_tracks(emu)[:40]
    plan = Plan([rate(k, ItemType.TRACK, 6.0) for k in keys])  # one value: chunks in key order
    chunks = iter([False, False, True])
    with session_for(settings) as session:
        outcome = execute(session, plan, command="run", checkpoint=lambda: next(chunks))
        assert outcome.status is RunStatus.INTERRUPTED
        assert outcome.report.stopped and outcome.report.written == 20
        assert [r.status for r in session.store.runs()] == [RunStatus.INTERRUPTED]
        assert set(session.owned()) == set(keys[:20])
        assert session.store.pending() == []
    assert [k for k in keys if emu.library.rating(k) is not None] == keys[:20]
    # Nothing after the stop was touched.
    assert not emu.library.tagged(TAG) & set(keys[20:])


def test_an_unreachable_server_interrupts_the_run_until_reconciled(
    emu: Emulator, tmp_path: Path
) -> None:
    settings = settings_for(emu, tmp_path, rating_write_mode="edit", write_batch_size=10)
    keys = unrated_tracks(emu)[:40]
    plan = Plan([rate(k, ItemType.TRACK, 6.0) for k in keys])
    with session_for(settings) as session:
        emu.set_faults(FaultPlan(stop_after_writes=2))
        with pytest.raises(PlexUnreachable) as caught:
            execute(session, plan, command="run")
        assert caught.value.exit_code == 4
        [run] = session.store.runs()
        assert run.status is RunStatus.INTERRUPTED
        assert (run.confirmed, run.pending) == (20, 10)
        # No new run may start while the old one's last chunk is unsettled.
        with pytest.raises(StateError, match="not reconciled"):
            execute(session, plan, command="run")
        with pytest.raises(StateError, match="not reconciled"):
            session.store.begin_run(command="run")
        assert len(session.store.runs()) == 1

        emu.set_faults(None)
        emu.come_back()
        report = reconcile(session.store, session.client, dialog=SilentDialog())
        assert len(report.not_sent) == 10 and report.confirmed == ()
        rest = Plan([c for c in plan.changes if c.key not in session.owned()])
        assert len(rest) == 20
        outcome = execute(session, rest, command="run")
        assert outcome.status is RunStatus.COMPLETED
        assert [r.status for r in session.store.runs()] == [
            RunStatus.INTERRUPTED,
            RunStatus.COMPLETED,
        ]
        assert set(session.owned()) == set(keys)
    assert all(emu.library.rating(k) == 6.0 for k in keys)


def test_the_next_session_settles_an_unreachable_run(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path, rating_write_mode="auto", write_batch_size=10)
    keys = unrated_tracks(emu)[:30]
    plan = Plan([rate(k, ItemType.TRACK, 6.0) for k in keys])
    with session_for(settings) as session:
        # The first chunk's PUT lands, then the server stops before its read-back.
        emu.set_faults(FaultPlan(stop_after_writes=1))
        with pytest.raises(PlexUnreachable):
            execute(session, plan, command="run")
        assert len(session.store.pending()) == 10
    emu.set_faults(None)
    emu.come_back()
    with session_for(settings) as session:
        assert {e.key for e in session.reconciled.landed} == set(keys[:10])
        assert set(session.owned()) == set(keys[:10])
        assert session.snapshot.tracks[keys[0]].rating == 6.0
        rest = Plan([c for c in plan.changes if c.key not in session.owned()])
        assert execute(session, rest, command="run").status is RunStatus.COMPLETED
        assert set(session.owned()) == set(keys)
        journal = session.store.journal()
    assert sorted(e.key for e in journal if e.status is EntryStatus.CONFIRMED) == sorted(keys)


def test_a_server_that_stores_no_ratings_fails_the_run(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(
        generate_library(tracks=200, seed=5), ignore_edit_fields=("userRating",), ignore_rate=True
    )
    settings = settings_for(emu, tmp_path, write_batch_size=10)
    keys = unrated_tracks(emu)[:30]
    with session_for(settings) as session:
        with pytest.raises(RatingsNotStored) as caught:
            execute(session, Plan([rate(k, ItemType.TRACK, 6.0) for k in keys]), command="run")
        assert caught.value.exit_code == 4
        [run] = session.store.runs()
        assert run.status is RunStatus.FAILED
        assert run.pending == 10 and run.confirmed == 0
        assert session.owned() == {}


def test_ctrl_c_is_an_interrupted_run(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path, write_batch_size=10)
    keys = unrated_tracks(emu)[:30]
    answers = iter([False])

    def checkpoint() -> bool:
        if next(answers, None) is None:
            raise KeyboardInterrupt
        return False

    with session_for(settings) as session:
        with pytest.raises(KeyboardInterrupt):
            execute(session, Plan([rate(k, ItemType.TRACK, 6.0) for k in keys]), command="run",
                    checkpoint=checkpoint)  # fmt: skip
        [run] = session.store.runs()
        assert run.status is RunStatus.INTERRUPTED
        assert (run.confirmed, run.pending) == (10, 0)


def test_a_staged_plan_writes_its_first_part_before_the_rest_is_made(
    emu: Emulator, tmp_path: Path
) -> None:
    """One run: the first part is in Plex when the whole plan is made, and the whole plan's
    changes of the first part's items are not written twice."""
    settings = settings_for(emu, tmp_path, rating_write_mode="edit", write_batch_size=20)
    keys = unrated_tracks(emu)[:30]
    whole = plan_for(keys)
    first_keys = frozenset(keys[:5])
    first = Plan([c for c in whole.changes if c.key in first_keys])
    seen_when_made: dict[int, float | None] = {}

    def make_whole() -> Plan:
        seen_when_made.update({k: emu.library.rating(k) for k in keys})
        return whole

    with session_for(settings) as session:
        staged = StagedPlan(first=first, keys=first_keys, make_whole=make_whole)
        outcome = execute(session, staged, command="watch")
        assert outcome.status is RunStatus.COMPLETED and outcome.report.written == 30
        [run] = session.store.runs()
        assert (run.entries, run.confirmed) == (30, 30)
    assert staged.made
    by_key = {c.key: c.after for c in whole.changes}
    assert {k for k, v in seen_when_made.items() if v is not None} == first_keys
    assert all(emu.library.rating(k) == by_key[k] for k in keys)
    written: list[int] = []
    for request in emu.requests():
        if request.endpoint == "PUT /library/sections/{id}/all":
            written += [int(i) for i in (request.param("id") or "").split(",") if i]
    assert sorted(written) == sorted(keys)


@pytest.mark.parametrize("first_writes", [10, 5], ids=["during it", "right after it"])
def test_a_staged_plan_stopped_in_its_first_part_never_makes_the_rest(
    emu: Emulator, tmp_path: Path, first_writes: int
) -> None:
    settings = settings_for(emu, tmp_path, rating_write_mode="edit", write_batch_size=5)
    keys = unrated_tracks(emu)[:20]
    first = Plan([rate(k, ItemType.TRACK, 6.0) for k in keys[:first_writes]])

    def make_whole() -> Plan:
        raise AssertionError("made after a stop")

    # Asked before each chunk of 5, and once more between the two parts.
    chunks = iter([False, True])
    with session_for(settings) as session:
        staged = StagedPlan(first=first, keys=frozenset(keys[:first_writes]), make_whole=make_whole)
        outcome = execute(session, staged, command="watch", checkpoint=lambda: next(chunks))
        assert outcome.status is RunStatus.INTERRUPTED and outcome.report.written == 5
    assert not staged.made


def test_a_staged_plan_with_nothing_first_is_the_whole_plans_run(
    emu: Emulator, tmp_path: Path
) -> None:
    settings = settings_for(emu, tmp_path, rating_write_mode="edit")
    keys = unrated_tracks(emu)[:8]
    whole = plan_for(keys)
    with session_for(settings) as session:
        staged = StagedPlan(first=Plan(), keys=frozenset(), make_whole=lambda: whole)
        outcome = execute(session, staged, command="watch")
        assert outcome.report.written == 8 and len(session.store.runs()) == 1
