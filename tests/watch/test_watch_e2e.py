"""``plexrate watch`` end to end: a real process, real HTTP, unmodified plexapi, the emulator.

A cycle must equal a full ``run --apply`` (so the person's ratings stay theirs and undo works),
idle polls must stay cheap, webhooks must land fast and a burst must make at most two cycles
(its lone first webhook at once, the rest after a quiet moment), and the
watch must survive Plex going away and stop cleanly on a signal. Latencies are printed (``-s``)
as the figures docs/watch.md quotes.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import EmulatorLibrary, generate_library
from plexrate.state import RunStatus, StateStore
from tests.e2e.e2e_support import SAME, rating_differences, ratings, snapshot_from_dump
from tests.support.cli import PlexrateCli
from tests.watch.watch_support import SECRET, Watched, WatchProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAST = {"PLEXRATE_RETRIES": "0", "PLEXRATE_TIMEOUT": "3"}


def library() -> EmulatorLibrary:
    return generate_library(tracks=240, seed=5)


def album_to_rate(watched: Watched) -> tuple[int, int, list[int]]:
    """The album with the most tracks, none rated: (album, artist, its tracks)."""
    snapshot = snapshot_from_dump(watched.emulator.dump())
    by_album: dict[int, list[int]] = {}
    for track in snapshot.tracks.values():
        by_album.setdefault(track.album_key, []).append(track.key)
    unrated = [
        (len(keys), album_key, sorted(keys))
        for album_key, keys in sorted(by_album.items())
        if all(snapshot.tracks[k].rating is None for k in keys)
    ]
    size, album_key, keys = max(unrated)
    assert size >= 6, "the generated library has no unrated album of six tracks"
    return album_key, snapshot.albums[album_key].artist_key, keys


def wait_until(condition: Callable[[], bool], *, timeout: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(0.05)
    return time.monotonic() - started


def fresh_run(
    initial: dict[str, Any], rate: dict[int, float], tmp: Path, *, runs_before: int = 0
) -> dict[int, Any]:
    """The ratings ``plexrate run --apply`` leaves on a copy of the library the person rated the
    same way: on a fresh state, or after ``runs_before`` runs made before the person rated (the
    watched library's history: the person then rates over inferred ratings)."""
    from plexrate.emulator import Emulator

    emulator = Emulator(EmulatorLibrary.from_dict(initial), token="fresh-token-0123456789").start()
    cli = PlexrateCli.at(emulator, workdir=tmp, state=tmp / f"fresh{runs_before}.sqlite")

    def run() -> None:
        result = cli.invoke("run", "--apply", "--yes", "--quiet")
        assert result.exit_code == 0, result.output

    try:
        for _ in range(runs_before):
            run()
        for key, value in rate.items():
            emulator.person_rate(key, value)
        run()
        return ratings(emulator.dump())
    finally:
        emulator.stop()


def cycle_after(watch: WatchProcess, count: int, *, timeout: float = 30) -> dict[str, Any]:
    """The first cycle after the ``count`` already printed that wrote something (a cycle's
    document comes once its writes are done)."""

    def wrote() -> list[dict[str, Any]]:
        return [d for d in watch.documents[count:] if d["written"] > 0]

    watch.wait_for(lambda: bool(wrote()), timeout=timeout, what="a cycle that wrote")
    return wrote()[0]


def quiet(watch: WatchProcess, seconds: float = 2.5) -> None:
    """Until no cycle has started for ``seconds`` (a cycle that wrote may be followed by one
    that reads its writes back)."""
    while True:
        count = len(watch.documents)
        time.sleep(seconds)
        if len(watch.documents) == count:
            return


def test_polling_brings_ratings_to_their_album_and_artist_as_a_full_run_would(
    watched_for: Callable[..., Watched], tmp_path: Path
) -> None:
    watched = watched_for(library())
    emulator = watched.emulator
    initial = emulator.dump()
    album, artist, tracks = album_to_rate(watched)
    watch = watched.start("--interval", "1", env=FAST)
    first = watch.wait_cycles(1, trigger="start")
    assert first["status"] == "completed" and first["written"] > 0
    quiet(watch)
    album_before = emulator.library.rating(album)
    assert album_before is not None

    # Three tracks of six or more: the album goes up from them, the rest come down from it.
    count = len(watch.documents)
    rated_at = time.monotonic()
    for key in tracks[:3]:
        emulator.person_rate(key, 2.0)
    cycle = cycle_after(watch, count, timeout=20)
    seconds = time.monotonic() - rated_at
    print(f"\npoll (interval 1s): written {seconds:.2f}s after the person's ratings")
    assert seconds <= 1 + 10
    assert cycle["trigger"] == "poll" and cycle["status"] == "completed"
    assert cycle["by_phase"].get("album-up") and cycle["by_phase"].get("artist-up")
    quiet(watch)
    assert watch.stop() == 0

    # The library is what one plexrate run --apply gives after the same ratings: on a fresh
    # state, and after a first run as here.
    rated = dict.fromkeys(tracks[:3], 2.0)
    got = ratings(emulator.dump())
    for runs_before in (0, 1):
        expected = fresh_run(initial, rated, tmp_path, runs_before=runs_before)
        assert rating_differences(expected, got, tolerance=SAME) == {}, runs_before
    assert [got[k] for k in tracks[:3]] == [2.0] * 3
    album_after = got[album]
    assert album_after is not None and album_after < album_before
    assert got[artist] is not None and all(got[k] is not None for k in tracks)


def test_an_idle_poll_costs_at_most_three_requests(
    watched_for: Callable[..., Watched],
) -> None:
    watched = watched_for(library())
    emulator = watched.emulator
    watch = watched.start("--interval", "1", env=FAST)
    watch.wait_cycles(1, trigger="start")
    quiet(watch)
    emulator.reset_stats()
    cycles = len(watch.documents)
    time.sleep(4.2)
    requests = emulator.requests()
    assert len(watch.documents) == cycles, "an idle library ran a cycle"
    stats = emulator.stats()
    print(f"\nidle: {stats.reads} requests over 4.2s of 1s polls")
    assert stats.writes == 0
    # Probes of three requests each: between three and five of them in 4.2 s.
    assert stats.reads % 3 == 0 and 9 <= stats.reads <= 15, stats.reads
    assert {r.endpoint for r in requests} == {"GET /library/sections/{id}/all"}
    assert all(r.page_size in (0, 1) for r in requests)
    assert watch.stop() == 0


def test_webhooks_bring_a_burst_in_two_cycles_within_ten_seconds(
    watched_for: Callable[..., Watched],
) -> None:
    watched = watched_for(library())
    emulator = watched.emulator
    album, _, tracks = album_to_rate(watched)
    port = free_port()
    emulator.add_webhook(f"http://127.0.0.1:{port}/{SECRET}")
    watch = watched.start("--webhook", "--listen", f"127.0.0.1:{port}", env=FAST)
    watch.wait_cycles(1, trigger="start")
    time.sleep(0.5)
    emulator.wait_for_webhooks()
    album_before = emulator.library.rating(album)
    emulator.reset_stats()

    burst = min(10, len(tracks))
    started = time.monotonic()
    for n, key in enumerate(tracks[:burst]):
        emulator.person_rate(key, 8.0 if n % 2 else 6.0)

    def events_seen() -> int:
        return sum(int(d["events"]) for d in watch.cycles(trigger="webhook"))

    watch.wait_for(lambda: events_seen() >= burst, timeout=20, what="the burst's cycles")
    seconds = time.monotonic() - started
    print(f"\nwebhook: a burst of {burst} ratings written in {seconds:.2f}s")
    assert seconds <= 10
    assert emulator.library.rating(album) != album_before
    assert events_seen() == burst
    assert sum(int(d["written"]) for d in watch.cycles(trigger="webhook")) > 0
    # plexrate's own /:/rate writes come back as webhooks too: they start no cycle.
    time.sleep(5)
    emulator.wait_for_webhooks()
    time.sleep(4)
    # The first webhook came alone and went at once; the rest of the burst made one more.
    assert 1 <= len(watch.cycles(trigger="webhook")) <= 2
    assert all(d.status == 200 for d in emulator.webhook_deliveries())
    # No polling with --webhook alone: no probe among the requests since the burst.
    sorts = {r.param("sort") for r in emulator.requests()}
    assert not sorts & {"lastRatedAt:desc", "lastViewedAt:desc"}

    # One more rating, alone: how long it takes.
    count = len(watch.documents)
    started = time.monotonic()
    emulator.person_rate(tracks[0], 1.0)
    cycle = cycle_after(watch, count, timeout=20)
    seconds = time.monotonic() - started
    print(f"webhook: a single rating written in {seconds:.2f}s")
    assert seconds <= 10 and cycle["trigger"] == "webhook"
    assert watch.stop() == 0


def test_an_added_album_is_rated_after_its_library_new_webhook(
    watched_for: Callable[..., Watched],
) -> None:
    watched = watched_for(library())
    emulator = watched.emulator
    port = free_port()
    emulator.add_webhook(f"http://127.0.0.1:{port}/{SECRET}")
    watch = watched.start("--webhook", "--listen", f"127.0.0.1:{port}", env=FAST)
    watch.wait_cycles(1, trigger="start")
    quiet(watch)
    artist = next(iter(snapshot_from_dump(emulator.dump()).artists))
    # One event for the album, none for its tracks (as Plex): the cycle finds them itself.
    added = emulator.add_album(artist, tracks=5, seed=3)
    cycle = watch.wait_cycles(1, trigger="webhook", timeout=20)
    assert cycle["events"] == 1 and cycle["written"] > 0
    assert emulator.library.rating(added.album_key) is not None
    assert all(emulator.library.rating(k) is not None for k in added.track_keys)
    assert watch.stop() == 0


def test_sigterm_while_writing_closes_the_run_and_undo_works(
    watched_for: Callable[..., Watched],
) -> None:
    watched = watched_for(library())
    emulator = watched.emulator
    initial = ratings(emulator.dump())
    env = {**FAST, "PLEXRATE_WRITE_BATCH_SIZE": "5"}
    watch: list[WatchProcess] = []

    def terminate(n: int) -> None:
        if n == 3:
            watch[0].process.send_signal(signal.SIGTERM)

    emulator.before_answer(terminate)
    watch.append(watched.start("--interval", "1", env=env))
    assert watch[0].process.wait(timeout=30) == 0
    emulator.before_answer(None)
    writes = emulator.stats().writes
    assert 3 <= writes < 20, writes  # stopped between two writes, long before the end
    assert not any("Traceback" in line for line in watch[0].errors)
    with StateStore(
        watched.cli.state_path, library_uuid=emulator.section_uuid, readonly=True
    ) as store:
        runs = store.runs()
        assert [r.status for r in runs] == [RunStatus.INTERRUPTED]
        assert store.pending() == []
    # A second watch carries on from there, and undo puts every rating back.
    again = watched.start("--once", env=env)
    assert again.process.wait(timeout=30) == 0
    assert again.documents[-1]["status"] == "completed"
    assert not any("Watching" in line for line in again.errors)  # one cycle is no watching
    undo = watched.cli.invoke("admin", "undo", "--apply", "--yes", "--quiet")
    assert undo.exit_code == 0, undo.output
    assert rating_differences(initial, ratings(emulator.dump()), tolerance=SAME) == {}


def test_ctrl_c_between_cycles_exits_130(watched_for: Callable[..., Watched]) -> None:
    watched = watched_for(library())
    watch = watched.start("--interval", "1", env=FAST)
    watch.wait_cycles(1, trigger="start")
    assert watch.stop(signal.SIGINT) == 130


def test_plex_going_away_and_coming_back_is_waited_out(
    watched_for: Callable[..., Watched],
) -> None:
    watched = watched_for(library())
    emulator = watched.emulator
    _, _, tracks = album_to_rate(watched)
    watch = watched.start("--interval", "1", env=FAST)
    watch.wait_cycles(1, trigger="start")
    quiet(watch)
    emulator.stop()
    watch.wait_for(
        lambda: any("trying again" in line for line in watch.errors),
        timeout=15,
        what="a message that Plex is away",
    )
    # The person rates while plexrate cannot see it, then Plex comes back on the same port.
    emulator.person_rate(tracks[0], 9.0)
    emulator.start()
    cycle = watch.wait_cycles(1, trigger="reconnect", timeout=30)
    assert cycle["written"] > 0
    assert watch.process.poll() is None
    line = next(line for line in watch.errors if "trying again" in line)
    assert "stopped answering" in line or "cannot reach" in line
    watch.wait_for(
        lambda: any("Plex answers again (away for" in line for line in watch.errors),
        timeout=5,
        what="a message that Plex is back",
    )
    # Said once, at the first connection; not again when Plex comes back.
    assert sum("Watching library" in line for line in watch.errors) == 1
    assert emulator.token not in "\n".join(watch.errors)
    assert watch.stop() == 0


def test_a_refused_token_is_a_clear_error(watched_for: Callable[..., Watched]) -> None:
    watched = watched_for(library())
    # Not --once: the loop itself must give up on a refused token, not wait for it.
    watch = watched.start(env={**FAST, "PLEXRATE_PLEX_TOKEN": "not-the-token-0123456789"})
    assert watch.process.wait(timeout=30) == 4
    watch.wait_for(lambda: len(watch.documents) == 1, timeout=5, what="the JSON error")
    assert watch.documents[0]["exit_code"] == 4
    stderr = "\n".join(watch.errors)
    assert "Error:" in stderr and "token" in stderr.lower()
    assert "not-the-token-0123456789" not in stderr + str(watch.documents)
    assert "Watching" not in stderr  # nothing was ever watched


def test_a_missing_secret_is_made_once_and_kept_in_the_config(
    watched_for: Callable[..., Watched], tmp_path: Path
) -> None:
    watched = watched_for(library())
    no_secret: dict[str, str | None] = {"PLEXRATE_WATCH_SECRET": None}
    # Without a config file there is nowhere to keep one: say how to set it.
    alone = watched.cli.invoke("watch", "--webhook", "--show-url", env=no_secret)
    assert alone.exit_code == 3 and "WATCH_SECRET" in alone.output
    init = watched.cli.invoke(
        "config", "init", "--yes", "--url", watched.emulator.url, env=no_secret
    )
    assert init.exit_code == 0, init.output
    first = watched.cli.invoke("watch", "--show-url", "--listen", "127.0.0.1:32555", env=no_secret)
    assert first.exit_code == 0, first.output
    url = first.stdout.strip()
    assert url.startswith("http://127.0.0.1:32555/") and len(url.rsplit("/", 1)[1]) >= 16
    assert "saved it as WATCH_SECRET" in first.stderr and url not in first.stderr
    again = watched.cli.invoke("watch", "--show-url", "--listen", "127.0.0.1:32555", env=no_secret)
    assert again.stdout.strip() == url


def test_a_rating_the_person_changes_while_watch_runs_stays_theirs(
    watched_for: Callable[..., Watched],
) -> None:
    watched = watched_for(library())
    emulator = watched.emulator
    watch = watched.start("--interval", "1", env=FAST)
    watch.wait_cycles(1, trigger="start")
    quiet(watch)
    owned = watched.cli.owned()
    track = next(
        k for k, item in sorted(owned.items()) if k in snapshot_from_dump(emulator.dump()).tracks
    )
    value = 3.0 if abs(owned[track].value - 3.0) > 0.5 else 9.0
    cycles = len(watch.documents)
    emulator.person_rate(track, value)
    cycle_after(watch, cycles, timeout=15)
    quiet(watch)
    assert emulator.library.rating(track) == value
    assert track not in watched.cli.owned()
    assert watch.stop() == 0


def test_show_url_prints_the_url_with_the_secret_and_nothing_else(
    watched_for: Callable[..., Watched],
) -> None:
    watched = watched_for(library())
    result = watched.cli.invoke("watch", "--show-url", "--listen", "10.1.2.3:32555")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"http://10.1.2.3:32555/{SECRET}\n"
    shown = watched.cli.invoke("config", "show", "--json")
    assert SECRET not in shown.output
