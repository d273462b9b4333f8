"""``plexrate admin undo`` on the emulator: everything, one run, interruptions, undo of undo."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from plexrate.emulator import FaultPlan
from plexrate.emulator.library import TrackItem
from plexrate.engine.config import DEFAULT_FILLER_KEYWORDS
from plexrate.state import RunStatus
from tests.admin.admin_helpers import (
    TAG,
    library_state,
    ownership,
    person_adds_mood,
    person_rates,
    rated_keys,
    unrated_keys,
)
from tests.support.cli import PlexrateCli

pytestmark = pytest.mark.integration


def run_apply(px: PlexrateCli, *args: str) -> dict[str, object]:
    result = px.invoke(*(args or ("run",)), "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, object] = result.json()
    return document


def test_undo_everything_restores_every_rating_and_mood_of_the_library(px: PlexrateCli) -> None:
    emu = px.emulator
    # Moods the person set on items the run is about to rate must survive the run and the undo.
    mine = [unrated_keys(emu, kind)[0] for kind in ("artist", "album", "track")]
    for key in mine:
        person_adds_mood(emu, key, "Late Night")
    before = library_state(emu)

    run = run_apply(px)
    assert run["written"] == 276
    during = library_state(emu)
    for key in mine:
        assert during[key][0] is not None
        assert during[key][1] == ("Late Night", TAG)

    result = px.invoke("admin", "undo", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    undo = result.json()
    assert (undo["command"], undo["run"], undo["status"]) == ("admin undo", None, "completed")
    assert undo["written"] == 276
    assert undo["stats"]["cleared"] == 276
    assert undo["stats"]["ownership_dropped"] == 276
    assert undo["left_alone"] == []
    assert library_state(emu) == before
    assert ownership(px) == {}

    verify = px.invoke("admin", "verify", "--json")
    assert verify.exit_code == 0
    assert verify.json()["consistent"] is True


def test_defect_5_undo_really_reverts_the_values(px: PlexrateCli) -> None:
    """The old tool compared a dict with a float, swallowed the error and undid nothing."""
    emu = px.emulator
    run_apply(px)
    written = sorted(ownership(px))
    assert len(written) == 276
    assert all(emu.library.rating(key) is not None for key in written)

    assert px.invoke("admin", "undo", "--apply", "--quiet").exit_code == 0

    assert [key for key in written if emu.library.rating(key) is not None] == []
    assert [key for key in written if TAG in emu.library.item_tags(key)] == []
    with px.store() as store:
        undo_run = store.runs()[-1]
    assert (undo_run.command, undo_run.status, undo_run.confirmed) == (
        "admin undo",
        RunStatus.COMPLETED,
        276,
    )


def test_the_persons_change_between_run_and_undo_survives(px: PlexrateCli) -> None:
    emu = px.emulator
    before = library_state(emu)
    run_apply(px)
    owned = ownership(px)
    track = next(k for k, (kind, _, _) in sorted(owned.items()) if kind == "track")
    album, cleared = [k for k, (kind, _, _) in sorted(owned.items()) if kind == "album"][:2]
    person_rates(emu, track, 9.0)
    person_rates(emu, album, 2.0)
    # Cleared since: still plexrate's (as for a run), and unrated is where undo takes it anyway.
    person_rates(emu, cleared, None)

    result = px.invoke("admin", "undo", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    left = {s["key"]: s for s in document["left_alone"]}
    assert set(left) == {track, album}
    assert (left[track]["why"], left[track]["written"], left[track]["found"]) == (
        "changed",
        owned[track][1],
        9.0,
    )
    assert (left[album]["why"], left[album]["found"]) == ("changed", 2.0)
    assert document["left_alone_counts"]["changed"] == 2

    after = library_state(emu)
    assert after[track] == (9.0, before[track][1])  # the rating stays, plexrate's tag is gone
    assert after[album] == (2.0, before[album][1])
    assert after[cleared] == before[cleared]
    assert {k: v for k, v in after.items() if k not in (track, album)} == {
        k: v for k, v in before.items() if k not in (track, album)
    }
    assert ownership(px) == {}


def test_a_rating_set_at_plexrates_own_value_survives_undo(px: PlexrateCli) -> None:
    """The person rated an album at exactly the value plexrate wrote, two minutes later: Plex
    dates the rating, and undo leaves it as theirs (``rated_again``)."""
    emu = px.emulator
    run_apply(px)
    owned = ownership(px)
    album = next(k for k, (kind, _, _) in sorted(owned.items()) if kind == "album")
    value = owned[album][1]
    emu.person_rate(album, value, at=int(time.time()) + 120)

    result = px.invoke("admin", "undo", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    left = {s["key"]: s for s in result.json()["left_alone"]}
    assert left[album]["why"] == "changed"
    assert library_state(emu)[album][0] == value


def test_the_report_names_the_items_left_alone_in_text_mode(px: PlexrateCli) -> None:
    emu = px.emulator
    run_apply(px)
    track = next(k for k, (kind, _, _) in sorted(ownership(px).items()) if kind == "track")
    person_rates(emu, track, 9.0)
    title = emu.library.item(track).title  # type: ignore[union-attr]
    owned = ownership(px)
    rated = rated_keys(emu, "artist") + rated_keys(emu, "album") + rated_keys(emu, "track")
    manual = sum(1 for k in rated if k not in owned)

    result = px.invoke("admin", "undo", "--apply")
    assert result.exit_code == 0, result.stderr
    assert "Your rating stays on 1 item you changed after plexrate's write" in result.err
    assert title in result.err
    assert "now 4.5★" in result.err
    # And what undo never touches, in so many words (issue 19), dry run or not.
    text = " ".join(result.err.split())
    assert f"Left alone: your own {manual:,} ratings (plexrate never wrote them" in text
    dry = px.invoke("admin", "undo", "--dry-run")
    assert "Left alone: your own" in " ".join(dry.err.split())


def test_a_second_undo_writes_nothing(px: PlexrateCli) -> None:
    emu = px.emulator
    run_apply(px)
    assert px.invoke("admin", "undo", "--apply", "--quiet").exit_code == 0
    writes = emu.stats().writes

    again = px.run("admin", "undo", "--apply", "--json")
    assert again.exit_code == 0, again.stderr
    document = again.json()
    assert (document["planned"], document["written"], document["run_id"]) == (0, 0, None)
    assert emu.stats().writes == writes
    # Undoing the run itself again finds every item already undone.
    one = px.invoke("admin", "undo", "--run", "1", "--apply", "--json").json()
    assert one["planned"] == 0
    assert one["left_alone_counts"]["undone"] == 276
    assert emu.stats().writes == writes


def test_a_dry_run_sends_nothing_and_leaves_the_state_file_alone(px: PlexrateCli) -> None:
    emu = px.emulator
    run_apply(px)
    digest = hashlib.sha256(px.state_path.read_bytes()).hexdigest()
    writes = emu.stats().writes
    state = library_state(emu)

    result = px.invoke("admin", "undo", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    plan = result.json()
    assert plan["dry_run"] is True
    assert len(plan["changes"]) == 276
    change = plan["changes"][0]
    assert (change["phase"], change["after"], change["own"], change["remove_tags"]) == (
        "undo",
        None,
        False,
        [TAG],
    )
    assert emu.stats().writes == writes
    assert library_state(emu) == state
    assert hashlib.sha256(px.state_path.read_bytes()).hexdigest() == digest

    text = px.invoke("admin", "undo", "--dry-run", "--sample", "2")
    assert text.exit_code == 0
    assert "Undo" in text.stdout
    assert "nothing was written" in text.err


def test_undo_of_an_unknown_run_is_a_usage_error(px: PlexrateCli) -> None:
    run_apply(px)
    result = px.invoke("admin", "undo", "--run", "99", "--dry-run")
    assert result.exit_code == 2
    assert "run 99 does not exist" in result.err
    assert "plexrate admin runs" in result.err


def _album_with_unrated_track(px: PlexrateCli, albums: set[int]) -> tuple[int, int]:
    """An album the first run rated from its tracks, and one of its unrated tracks."""
    emu = px.emulator
    for album in sorted(albums):
        for track in emu.library.children_of(album):
            item = emu.library.item(track)
            assert isinstance(item, TrackItem)
            filler = any(word in item.title.casefold() for word in DEFAULT_FILLER_KEYWORDS)
            # A filler track is no evidence, so rating it would not move the album.
            if item.user_rating is None and not filler and (item.duration or 0) > 60_000:
                return album, track
    raise AssertionError("no album-up album with an unrated track")


def test_undo_of_the_second_run_restores_the_state_after_the_first(px: PlexrateCli) -> None:
    emu = px.emulator
    run_apply(px, "up-albums")  # run 1: albums from their tracks
    after_first = library_state(emu)
    owned_first = ownership(px)
    album, track = _album_with_unrated_track(px, set(owned_first))
    person_rates(emu, track, 10.0)  # the person's change between the runs
    run_apply(px)  # run 2: rewrites that album, and rates everything else

    after_second = library_state(emu)
    # The new evidence (and the prior it moves) makes run 2 rewrite some of run 1's albums.
    rewritten = {k for k in owned_first if after_second[k] != after_first[k]}
    assert album in rewritten
    result = px.invoke("admin", "undo", "--run", "2", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert (document["command"], document["run"]) == ("admin undo --run 2", 2)
    assert document["left_alone"] == []
    assert document["stats"]["ownership_restored"] == len(rewritten)

    expected = dict(after_first)
    expected[track] = (10.0, after_first[track][1])
    assert library_state(emu) == expected
    assert ownership(px) == owned_first
    assert px.invoke("admin", "verify", "--quiet").exit_code == 0


def test_undo_of_one_run_touches_only_its_items_and_skips_superseded_ones(px: PlexrateCli) -> None:
    emu = px.emulator
    run_apply(px, "up-albums")
    first = set(ownership(px))
    album, track = _album_with_unrated_track(px, first)
    person_rates(emu, track, 10.0)
    first_state = library_state(emu)
    run_apply(px)
    second_state = library_state(emu)
    second = set(ownership(px)) - first
    overlap = {k for k in first if second_state[k] != first_state[k]}  # run 2 wrote them again
    assert album in overlap
    assert second and first - overlap

    result = px.invoke("admin", "undo", "--run", "1", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert [(s["key"], s["why"], s["run"]) for s in document["left_alone"]] == [
        (key, "superseded", 2) for key in sorted(overlap)
    ]
    assert document["written"] == len(first - overlap)

    after = library_state(emu)
    changed = {k for k in after if after[k] != second_state[k]}
    assert changed == first - overlap
    for key in changed:
        assert after[key] == (None, tuple(m for m in second_state[key][1] if m != TAG))
    assert overlap | second <= set(ownership(px))

    notes = px.invoke("admin", "undo", "--run", "1", "--dry-run")
    assert "undo run 2 first" in notes.err


def test_undo_of_an_undo_puts_the_runs_values_back(px: PlexrateCli) -> None:
    emu = px.emulator
    run_apply(px)
    after_run = library_state(emu)
    owned = ownership(px)
    assert px.invoke("admin", "undo", "--apply", "--quiet").exit_code == 0
    assert ownership(px) == {}

    result = px.invoke("admin", "undo", "--run", "2", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["stats"]["ownership_restored"] == 276
    assert library_state(emu) == after_run
    assert ownership(px) == owned
    # And the library is plexrate's again in every sense: a run finds nothing to do.
    assert run_apply(px)["planned"] == 0


def test_an_undo_stopped_by_a_dead_server_finishes_when_rerun(px: PlexrateCli) -> None:
    emu = px.emulator
    before = library_state(emu)
    run_apply(px)
    px.env["PLEXRATE_WRITE_BATCH_SIZE"] = "10"
    emu.set_faults(FaultPlan(stop_after_writes=7))

    stopped = px.invoke("admin", "undo", "--apply", "--quiet")
    assert stopped.exit_code == 4, stopped.stderr
    assert 0 < len(ownership(px)) < 276  # halfway: some items reverted, some not
    emu.set_faults(None)
    emu.come_back()

    result = px.invoke("admin", "undo", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    assert library_state(emu) == before
    assert ownership(px) == {}
    with px.store() as store:
        statuses = [(r.command, r.status) for r in store.runs()]
        assert store.pending() == []
    assert statuses == [
        ("run", RunStatus.COMPLETED),
        ("admin undo", RunStatus.INTERRUPTED),
        ("admin undo", RunStatus.COMPLETED),
    ]


def test_an_undo_killed_with_sigkill_halfway_ends_like_an_uninterrupted_one(
    px: PlexrateCli,
) -> None:
    emu = px.emulator
    before = library_state(emu)
    run_apply(px)
    px.env["PLEXRATE_WRITE_BATCH_SIZE"] = "10"
    px.env["PLEXRATE_RETRIES"] = "20"  # keeps retrying against the dead server until killed
    emu.set_faults(FaultPlan(stop_after_writes=9))
    proc = subprocess.Popen(
        [sys.executable, "-m", "plexrate", "admin", "undo", "--apply", "--yes", "--quiet"],
        env=px.process_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not emu.is_down:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the undo never reached the ninth write"
            time.sleep(0.02)
        time.sleep(0.3)  # the process is now between a sent intent and its confirmation
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    assert 0 < len(ownership(px)) < 276
    with px.store() as store:
        assert len(store.pending()) == 10  # the batch whose request never got an answer
    emu.set_faults(None)
    emu.come_back()

    result = px.invoke("admin", "undo", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    assert library_state(emu) == before  # what the uninterrupted undo above ends in
    assert ownership(px) == {}
    with px.store() as store:
        assert store.pending() == []
        assert [(r.command, r.status) for r in store.runs()] == [
            ("run", RunStatus.COMPLETED),
            ("admin undo", RunStatus.INTERRUPTED),
            ("admin undo", RunStatus.COMPLETED),
        ]
