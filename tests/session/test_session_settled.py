"""A rerun with nothing new reuses the empty plan it settled on, and knows when it may not.

What a plan depends on besides the library is the settings, the command and the ownership record.
The record is vouched for by the state file's ownership stamp (``schema.META_OWNED_STAMP``), which
its triggers change with any claim made, changed or dropped, however it is made; so the reuse
reads no claim at all, and a hand edit of one claim is enough to plan again (issue 23).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from plexrate.emulator import Emulator, generate_library
from plexrate.model import Plan
from plexrate.phases.usecases import inference_plan
from plexrate.session import SilentDialog, execute, open_session, plan_fingerprint
from plexrate.settings import Settings
from plexrate.state import StateStore
from plexrate.state.schema import META_OWNED_STAMP
from tests.session.session_helpers import settings_for

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]


def _rerun(settings: Settings) -> tuple[Plan, bool]:
    """One ``run --apply``: its plan, and whether the read found nothing new."""
    with open_session(settings, write=True, command="run", dialog=SilentDialog()) as session:
        plan = inference_plan(session, command="run")
        if plan.changes:
            execute(session, plan, command="run")
        assert session.read is not None
        return plan, session.read.nothing_new


def _settle(settings: Settings) -> None:
    """Run until a run plans nothing (and so notes its fingerprint on the copy)."""
    for _ in range(5):
        plan, _ = _rerun(settings)
        if not plan.changes:
            return
    raise AssertionError("the library never settled")


class _Reads:
    """Counts reads of the ownership record."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = StateStore.owned

        def owned(store: StateStore) -> dict[int, object]:
            self.count += 1
            return original(store)  # type: ignore[return-value]

        monkeypatch.setattr(StateStore, "owned", owned)


def _stamp(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return str(
            conn.execute(
                "SELECT value FROM meta WHERE name = ? ORDER BY library_id LIMIT 1",
                (META_OWNED_STAMP,),
            ).fetchone()[0]
        )


@pytest.fixture
def settled(emulator_factory: Factory, tmp_path: Path) -> Settings:
    emu = emulator_factory(generate_library(tracks=120, seed=8))
    settings = settings_for(emu, tmp_path)
    _settle(settings)
    return settings


def test_a_rerun_with_nothing_new_reuses_the_plan_without_reading_a_claim(
    settled: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _Reads(monkeypatch)
    plan, nothing_new = _rerun(settled)
    assert nothing_new
    assert not plan.changes
    assert reads.count == 0


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE owned SET value = CASE WHEN value >= 5 THEN value - 1 ELSE value + 1 END "
        "WHERE key = (SELECT min(key) FROM owned)",
        "DELETE FROM owned WHERE key = (SELECT max(key) FROM owned)",
        "INSERT INTO owned (library_id, key, item_type, value) "
        "SELECT library_id, 999999, 'track', 5.0 FROM owned LIMIT 1",
    ],
    ids=["changed", "dropped", "added"],
)
def test_a_claim_edited_by_hand_changes_the_stamp_and_the_rerun_plans_again(
    settled: Settings, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    before = _stamp(settled.state_path)
    with closing(sqlite3.connect(settled.state_path)) as conn, conn:
        conn.execute(edit)
    assert _stamp(settled.state_path) != before
    reads = _Reads(monkeypatch)
    _, nothing_new = _rerun(settled)
    assert nothing_new  # the library is as it was: only the ownership record moved
    assert reads.count >= 1  # so the plan was made again, from the claims


def test_writes_that_touch_no_claim_leave_the_stamp(settled: Settings) -> None:
    before = _stamp(settled.state_path)
    _rerun(settled)  # records nothing about ownership: no run, no claim
    with StateStore(settled.state_path, library_uuid="other", library_title="Other") as other:
        other.set_meta("note", "another library in the same file")
    assert _stamp(settled.state_path) == before


def test_a_file_without_a_stamp_still_reuses_the_plan_by_hashing_the_claims(
    settled: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a schema-3 file read as it is would be: no stamp row, so the claims themselves count.
    with closing(sqlite3.connect(settled.state_path)) as conn, conn:
        conn.execute("DELETE FROM meta WHERE name = ?", (META_OWNED_STAMP,))
    _settle(settled)  # the fingerprint noted before was the stamp's: plan once more
    reads = _Reads(monkeypatch)
    plan, nothing_new = _rerun(settled)
    assert nothing_new and not plan.changes
    assert reads.count == 1  # read to be hashed, not planned from


def test_what_a_dry_run_adds_or_releases_in_memory_changes_the_fingerprint(
    settled: Settings,
) -> None:
    # A dry run keeps the claims an import would make (extra_owned) and the ones it would drop
    # (released) in memory only: the stamp cannot know them, so they are hashed beside it.
    args = {"command": "run"}
    with open_session(settled, write=False, command="run", dialog=SilentDialog()) as session:
        assert session.store.owned_stamp() is not None
        plain = plan_fingerprint(session, args)
        owned = session.owned()
        key = min(owned)
        session.released = {key}
        released = plan_fingerprint(session, args)
        session.released = set()
        session.extra_owned = {999_999: replace(owned[key], key=999_999)}
        extra = plan_fingerprint(session, args)
        session.extra_owned = {}
        assert plan_fingerprint(session, args) == plain
    assert len({plain, released, extra}) == 3
