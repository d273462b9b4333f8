"""Reading only what changed gives exactly what a whole read gives (issue 23, item 1).

The property drives an emulator over real HTTP through random sequences of what happens to a
library between runs — the person rating, re-rating and clearing tracks, albums and artists
through ``/:/rate``, playing and skipping tracks, albums added, re-matched (with and without new
rating keys) and deleted, plexrate's own runs writing through the journal — and after
every step compares the library read by its changes (``read_library`` with the cached copy) with
a whole read made at the same moment: artists, albums, tracks and the managed tags' members.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexrate.emulator import Emulator, generate_library
from plexrate.engine.plan import build_plan
from plexrate.incremental import read_library
from plexrate.model import INFERENCE_PHASES, LibrarySnapshot
from plexrate.plex import connect
from plexrate.plex.snapshot import read_snapshot
from plexrate.session import SilentDialog, execute, managed_tags, open_session
from plexrate.settings import Settings
from plexrate.state import StateStore
from plexrate.state.snapcache import SnapshotCache, cache_path
from tests.session.session_helpers import settings_for
from tests.support.statefile import copy_state

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]

RATE = "/:/rate"


def _rate(emu: Emulator, key: int, value: float | None) -> None:
    response = requests.put(
        emu.url + RATE,
        params={
            "key": str(key),
            "identifier": "com.plexapp.plugins.library",
            "rating": "-1" if value is None else f"{value:.1f}",
        },
        headers={"X-Plex-Token": emu.token},
        timeout=10,
    )
    response.raise_for_status()


def _pick(keys: list[int], index: int) -> int:
    return keys[index % len(keys)]


def _act(emu: Emulator, settings: Settings, step: tuple[str, int, float]) -> None:
    kind, index, value = step
    lib = emu.library
    if kind in ("rate-track", "clear-track"):
        _rate(emu, _pick(lib.keys("track"), index), value if kind == "rate-track" else None)
    elif kind in ("rate-album", "clear-album"):
        _rate(emu, _pick(lib.keys("album"), index), value if kind == "rate-album" else None)
    elif kind in ("rate-artist", "clear-artist"):
        _rate(emu, _pick(lib.keys("artist"), index), value if kind == "rate-artist" else None)
    elif kind == "play":
        emu.play(_pick(lib.keys("track"), index))
    elif kind == "skip":
        emu.skip(_pick(lib.keys("track"), index))
    elif kind == "add-album":
        artists = lib.keys("artist")
        artist = None if index % 3 == 0 else _pick(artists, index)
        emu.add_album(artist, tracks=1 + index % 4, seed=index)
    elif kind == "rematch-album":
        emu.rematch_album(_pick(lib.keys("album"), index), rekey=index % 2 == 1, seed=index)
    elif kind == "rename-artist":
        emu.rename_artist(_pick(lib.keys("artist"), index), f"Renamed {index}")
    elif kind == "delete-album":
        albums = lib.keys("album")
        if len(albums) > 3:
            lib.delete([_pick(albums, index)])
    elif kind == "plexrate-run":
        _run(settings)


def _same(changed: LibrarySnapshot, whole: LibrarySnapshot) -> None:
    assert dict(changed.artists) == dict(whole.artists)
    assert dict(changed.albums) == dict(whole.albums)
    assert dict(changed.tracks) == dict(whole.tracks)
    # In the same order too: exports and reports list items as the snapshot holds them.
    assert list(changed.tracks) == list(whole.tracks)
    assert list(changed.albums) == list(whole.albums)
    assert list(changed.artists) == list(whole.artists)
    tags = set(changed.tagged) | set(whole.tagged)
    for tag in tags:
        assert changed.tagged.get(tag, frozenset()) == whole.tagged.get(tag, frozenset()), tag


def _read_changed(
    settings: Settings, emu: Emulator, *, upper_hint: set[int] | None = None
) -> tuple[LibrarySnapshot, Any]:
    """The library as a run reads it (by its changes where it can), keeping the copy."""
    client = connect(url=emu.url, token=emu.token, library=emu.section_title, page_size=100)
    store = StateStore(
        settings.state_path,
        library_uuid=client.section.uuid,
        library_title=client.section.title,
        server_id=client.machine_id,
        command="test",
    )
    try:
        return read_library(
            settings, client, store, tags=managed_tags(settings), keep=True, upper_hint=upper_hint
        )
    finally:
        store.close()


def _whole(settings: Settings, emu: Emulator) -> LibrarySnapshot:
    client = connect(url=emu.url, token=emu.token, library=emu.section_title, page_size=100)
    return read_snapshot(client, tags=managed_tags(settings), page_size=100)


def _read_both(settings: Settings, emu: Emulator) -> tuple[LibrarySnapshot, Any, LibrarySnapshot]:
    changed, info = _read_changed(settings, emu)
    return changed, info, _whole(settings, emu)


RATING_KINDS = ["rate-track", "clear-track", "rate-album", "rate-artist", "play", "skip"]
LIBRARY_KINDS = ["delete-album", "add-album", "rematch-album", "rename-artist"]


def _steps(kinds: list[str], *, max_size: int) -> st.SearchStrategy[list[tuple[str, int, float]]]:
    return st.lists(
        st.tuples(
            st.sampled_from([*kinds, "plexrate-run"]),
            st.integers(0, 10_000),
            st.sampled_from([2.0, 4.0, 6.0, 7.0, 8.0, 10.0]),
        ),
        min_size=1,
        max_size=max_size,
    )


STEPS = _steps([*RATING_KINDS, "clear-album", "clear-artist", *LIBRARY_KINDS], max_size=8)
# A server that filters artists and albums by lastRatedAt and updatedAt (plexapi's CI searches
# both on a real server; docs/real-servers.md, "Finding what changed").
UPPER_DATES = frozenset({"album-artist-rated-filters", "album-artist-updated-filters"})


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, first_run=st.booleans())
@pytest.mark.parametrize("lenient", [frozenset(), UPPER_DATES], ids=["strict", "upper-dates"])
def test_a_change_read_equals_a_whole_read(
    emulator_factory: Factory,
    tmp_path_factory: pytest.TempPathFactory,
    lenient: frozenset[str],
    steps: list[Any],
    first_run: bool,
) -> None:
    emu = emulator_factory(generate_library(tracks=150, seed=7), lenient=set(lenient))
    folder = tmp_path_factory.mktemp("inc")
    settings_ = settings_for(emu, folder)
    if first_run:
        _act(emu, settings_, ("plexrate-run", 0, 0.0))
    _read_both(settings_, emu)
    for step in steps:
        _act(emu, settings_, step)
        listed = emu.stats().listings.get("album", 0)
        changed, info = _read_changed(settings_, emu)
        listed = emu.stats().listings.get("album", 0) - listed
        _same(changed, _whole(settings_, emu))
        kind = step[0]
        # Only a cleared rating leaves no date behind: the rated-track count finds it and the
        # tracks are read whole; an added album (or re-keyed one) comes with a scan, which may
        # have changed tracks silently, so that is a whole read too. Everything else, a re-match
        # chosen in Plex included, is found by its changes.
        scanned = kind == "add-album" or (kind == "rematch-album" and step[1] % 2 == 1)
        cleared = kind == "clear-track" and "rated tracks" in info.why
        if scanned and "scanned" in info.why:
            assert info.whole, info.why
        elif not lenient:
            assert info.whole == cleared, info.why
        else:
            # Artists and albums too are read by their changes, but for what only their counts
            # show (a rating cleared, an album deleted) and a new album or rating key (one that
            # came with a scan Plex dated in the second of the last one).
            assert not info.whole, info.why
            if kind not in ("clear-album", "clear-artist", "delete-album") and not scanned:
                assert "artists and albums by their changes" in info.why, info.why
                assert listed <= 8, f"{listed} album listings for {kind}"


def test_the_first_read_is_whole_and_the_next_reads_changes(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(generate_library(tracks=150, seed=3))
    settings_ = settings_for(emu, tmp_path)
    _, first, _ = _read_both(settings_, emu)
    assert first.whole and first.why == "no copy of the library from an earlier run"
    track = emu.library.keys("track")[5]
    _rate(emu, track, 3.0)
    changed, second, whole = _read_both(settings_, emu)
    assert not second.whole
    assert changed.tracks[track].rating == 3.0
    _same(changed, whole)


def _run(settings: Settings, *, write: bool = True) -> Any:
    with open_session(settings, write=write, command="run", dialog=SilentDialog()) as session:
        plan = build_plan(
            session.snapshot,
            owned=session.owned(),
            config=settings.engine_config(),
            phases=INFERENCE_PHASES,
        )
        if write:
            execute(session, plan, command="run")
        return session.snapshot, plan, session.owned()


def test_an_owned_item_the_person_rates_at_plexrates_value_becomes_theirs(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """Rating an inferred item at exactly the value plexrate wrote changes nothing but its
    lastRatedAt; that date, compared with the last read's, is what makes the value the
    person's. A dry run in between and a run that reads the library whole both still see it."""
    emu = emulator_factory(generate_library(tracks=150, seed=3))
    settings_ = settings_for(emu, tmp_path)
    _, _, owned = _run(settings_)
    album = next(k for k in emu.library.keys("album") if k in owned)
    track = next(k for k in emu.library.keys("track") if k in owned)
    other = next(k for k in emu.library.keys("album") if k in owned and k != album)
    # Two minutes after plexrate's write: sooner, Plex's date cannot be told from plexrate's own
    # (incremental.RERATED_SLACK; the last test here).
    later = int(time.time()) + 120
    for key in (album, track):
        emu.person_rate(key, owned[key].value, at=later)

    snapshot, plan, _ = _run(settings_, write=False)
    assert snapshot.rated_again == {album, track}
    hijacked = {c.key for c in plan.changes if c.phase.value == "hijack"}
    assert hijacked == {album, track}

    snapshot, plan, owned_after = _run(settings_)
    assert snapshot.rated_again == {album, track}
    assert album not in owned_after and track not in owned_after
    assert other in owned_after
    # The person's values stay where they put them.
    assert emu.library.get(album).user_rating == owned[album].value  # type: ignore[union-attr]
    assert emu.library.get(track).user_rating == owned[track].value  # type: ignore[union-attr]

    # Acted on: the next read flags nothing, and plexrate's own writes never count.
    snapshot, plan, _ = _run(settings_, write=False)
    assert snapshot.rated_again == frozenset()


def test_an_item_found_rated_again_stays_flagged_until_a_run_acts_on_it(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(generate_library(tracks=150, seed=3))
    settings_ = settings_for(emu, tmp_path)
    _, _, owned = _run(settings_)
    album = next(k for k in emu.library.keys("album") if k in owned)
    emu.person_rate(album, owned[album].value, at=int(time.time()) + 120)
    # A read that keeps its copy (as a run does before it plans) but whose run never acts.
    changed, _, _ = _read_both(settings_, emu)
    assert changed.rated_again == {album}
    changed, _, _ = _read_both(settings_, emu)
    assert changed.rated_again == {album}


@pytest.mark.parametrize(
    ("dates_edits", "after", "found"), [(False, 5, True), (True, 5, False), (True, 120, True)]
)
def test_a_server_that_dates_plexrates_ratings_hides_a_same_value_rating_for_a_minute(
    emulator_factory: Factory, tmp_path: Path, dates_edits: bool, after: int, found: bool
) -> None:
    """A server that does not date edit-form ratings (the strict emulator) shows any later date
    as someone's. One that does dates plexrate's own write too: within a minute of it, the same
    value set by the person is not told apart (the limit in docs/run.md)."""
    emu = emulator_factory(
        generate_library(tracks=150, seed=3),
        lenient={"edit-sets-last-rated"} if dates_edits else set(),
    )
    settings_ = settings_for(emu, tmp_path)
    _, _, owned = _run(settings_)
    album = next(k for k in emu.library.keys("album") if k in owned)
    emu.person_rate(album, owned[album].value, at=int(time.time()) + after)
    changed, _, _ = _read_both(settings_, emu)
    assert changed.rated_again == ({album} if found else frozenset())


RATING_STEPS = _steps(RATING_KINDS, max_size=6)


def _rated_upper(emu: Emulator, step: tuple[str, int, float]) -> set[int]:
    """The artist or album a step rated: what its media.rate webhook names."""
    kind, index, _ = step
    if kind == "rate-album":
        return {_pick(emu.library.keys("album"), index)}
    if kind == "rate-artist":
        return {_pick(emu.library.keys("artist"), index)}
    return set()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=RATING_STEPS)
def test_a_read_of_the_artists_and_albums_webhooks_named_equals_a_whole_read(
    emulator_factory: Factory, tmp_path_factory: pytest.TempPathFactory, steps: list[Any]
) -> None:
    """What ``plexrate watch --webhook`` reads: the tracks by their changes, and of artists and
    albums only those a webhook named (rated), the rest from the last read. When every rating
    came with its webhook, that is the library a whole read gives."""
    emu = emulator_factory(generate_library(tracks=150, seed=11))
    folder = tmp_path_factory.mktemp("hint")
    settings_ = settings_for(emu, folder)
    _act(emu, settings_, ("plexrate-run", 0, 0.0))
    _read_both(settings_, emu)
    for step in steps:
        named = _rated_upper(emu, step)
        _act(emu, settings_, step)
        before = emu.stats().listings.get("album", 0)
        changed, info = _read_changed(settings_, emu, upper_hint=named)
        listed_albums = emu.stats().listings.get("album", 0) - before
        _same(changed, _whole(settings_, emu))
        if not info.whole:
            assert listed_albums == 0, "albums were listed although webhooks named them"
            assert "artists and albums from the last read" in info.why
            if named:
                assert "read again as webhooks named them" in info.why


def test_a_change_read_names_what_others_rated_since_not_plexrates_own_writes(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """``ReadInfo.rerated``: what a watch cycle writes the consequences of first."""
    emu = emulator_factory(generate_library(tracks=150, seed=3))
    settings_ = settings_for(emu, tmp_path)
    _run(settings_)  # plexrate's own writes: laid over the copy, never counted
    _, info = _read_changed(settings_, emu)
    assert not info.whole and info.rerated == frozenset()
    track = next(k for k in emu.library.keys("track") if emu.library.rating(k) != 2.0)
    album = emu.library.keys("album")[3]
    _rate(emu, track, 2.0)
    _rate(emu, album, 9.0)
    _, info = _read_changed(settings_, emu)
    assert not info.whole and info.rerated == {track, album}
    # The webhook read takes the albums it was not told of from the copy: only the track.
    _rate(emu, track, 4.0)
    _rate(emu, album, 7.0)
    _, info = _read_changed(settings_, emu, upper_hint=set())
    assert info.rerated == {track}


def test_every_track_read_again_with_albums_from_the_copy_is_not_a_whole_read(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """A cleared rating makes a change read list every track; a webhook or poll cycle still
    takes artists and albums from the copy, so the read must not pass for a whole one and reset
    the time of the last whole read (WHOLE_READ_HOURS)."""
    emu = emulator_factory(generate_library(tracks=150, seed=3))
    settings_ = settings_for(emu, tmp_path)
    _run(settings_)
    cache = SnapshotCache(cache_path(settings_.state_path))

    def whole_read_at() -> float:
        kept = cache.load(emu.section_uuid)
        assert kept is not None
        return kept.header.whole_read_at

    whole_at = whole_read_at()
    track = next(k for k in emu.library.keys("track") if emu.library.rating(k) is not None)
    _rate(emu, track, None)
    _, info = _read_changed(settings_, emu, upper_hint=set())
    assert not info.whole
    assert info.why.startswith("every track read again (") and "from the last read" in info.why
    assert info.rerated == {track}
    assert whole_read_at() == whole_at


def _edit_tag(emu: Emulator, kind: int, key: int, field: str, name: str, *, add: bool) -> None:
    """The person adds or removes a tag in Plex's edit form (one item)."""
    params = {"type": str(kind), "id": str(key)}
    if add:
        params[f"{field}[0].tag.tag"] = name
    else:
        params[f"{field}[].tag.tag-"] = name
    response = requests.put(
        f"{emu.url}/library/sections/{emu.library.default_section.key}/all",
        params=params,
        headers={"X-Plex-Token": emu.token},
        timeout=10,
    )
    response.raise_for_status()


def test_artists_and_albums_read_by_their_changes_catch_tags_subformats_and_clears(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """A managed tag taken off an album or an artist or put on one, an album made Live: counts
    check them whatever the dates say. A cleared rating leaves no date: the rated count finds
    it."""
    emu = emulator_factory(generate_library(tracks=600, seed=3), lenient=set(UPPER_DATES))
    settings_ = settings_for(emu, tmp_path)
    _, _, owned = _run(settings_)
    changed, info = _read_changed(settings_, emu)
    assert "artists and albums by their changes" in info.why
    tag = managed_tags(settings_)[0]
    albums, artists = emu.library.keys("album"), emu.library.keys("artist")
    # The person's own album: plexrate's were written a moment ago and are listed again by
    # their date anyway, while this one is dated long before.
    rated = next(k for k in albums if changed.albums[k].rating is not None and k not in owned)
    tagged_album = next(k for k in albums if k in changed.tagged[tag])
    tagged_artist = next(k for k in artists if k in changed.tagged[tag])
    studio = next(
        k for k in albums if not changed.albums[k].live and k not in (rated, tagged_album)
    )
    steps: list[tuple[Callable[[], None], str]] = [
        (lambda: _edit_tag(emu, 9, tagged_album, "mood", tag, add=False), "by their changes"),
        (lambda: _edit_tag(emu, 8, tagged_artist, "mood", tag, add=False), "by their changes"),
        (lambda: _edit_tag(emu, 9, studio, "subformat", "Live", add=True), "by their changes"),
        # Found by the rated count, or listed again when its date is among the newest.
        (lambda: _rate(emu, rated, None), ""),
        (lambda: _edit_tag(emu, 9, rated, "mood", tag, add=True), "by their changes"),
    ]
    for step, path in steps:
        step()
        changed, info = _read_changed(settings_, emu)
        _same(changed, _whole(settings_, emu))
        assert not info.whole, info.why
        assert f"artists and albums {path}" in info.why, info.why
    assert tagged_album not in changed.tagged[tag] and tagged_artist not in changed.tagged[tag]
    assert rated in changed.tagged[tag]
    assert changed.albums[studio].live and changed.albums[rated].rating is None


def test_a_server_that_refuses_the_album_dates_costs_one_request_and_a_whole_listing(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(generate_library(tracks=150, seed=3))
    settings_ = settings_for(emu, tmp_path)
    _run(settings_)
    _read_changed(settings_, emu)
    emu.reset_stats()
    changed, info = _read_changed(settings_, emu)
    refused = [r for r in emu.requests() if r.status == 400]
    assert [sorted(dict(r.query)) for r in refused] == [["artist.lastRatedAt>>", "type"]]
    assert "artists and albums listed whole (the server does not filter them by date)" in info.why
    assert not info.whole
    _same(changed, _whole(settings_, emu))


def test_a_read_that_took_artists_and_albums_from_the_copy_leaves_their_marks(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """A webhook cycle lists no artist or album: a change made before it and not yet listed must
    still be after the marks the next read lists from."""
    emu = emulator_factory(generate_library(tracks=150, seed=3), lenient=set(UPPER_DATES))
    settings_ = settings_for(emu, tmp_path)
    _run(settings_)
    _read_changed(settings_, emu)
    before = _marks(settings_, emu)
    assert before.upper_updated is not None
    album = emu.library.keys("album")[2]
    # Dated just after the mark: made while that read ran, after its page was answered.
    emu.rematch_album(album, at=before.upper_updated + 1, title="Fixed In Plex")
    _rate(emu, emu.library.keys("track")[4], 3.0)
    _read_changed(settings_, emu, upper_hint=set())
    after = _marks(settings_, emu)
    upper = ("upper_rated", "upper_updated", "seen_upper_rated", "seen_upper_updated")
    assert [getattr(after, f) for f in upper] == [getattr(before, f) for f in upper]
    changed, _ = _read_changed(settings_, emu)
    assert changed.albums[album].title == "Fixed In Plex"
    _same(changed, _whole(settings_, emu))


def test_an_artist_renamed_in_plex_renames_its_albums_and_tracks(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """Plex serves an album's and a track's artist name from the artist, so renaming it dates the
    artist alone; the albums and tracks read by their changes must follow."""
    emu = emulator_factory(generate_library(tracks=150, seed=3), lenient=set(UPPER_DATES))
    settings_ = settings_for(emu, tmp_path)
    _run(settings_)
    _read_changed(settings_, emu)
    artist = emu.library.keys("artist")[1]
    emu.rename_artist(artist, "Zz Renamed")
    changed, info = _read_changed(settings_, emu)
    assert "artists and albums by their changes" in info.why, info.why
    _same(changed, _whole(settings_, emu))
    albums = [a for a in changed.albums.values() if a.artist_key == artist]
    assert albums and all(a.artist_title == "Zz Renamed" for a in albums)
    assert all(
        t.album_artist == "Zz Renamed" for t in changed.tracks.values() if t.artist_key == artist
    )


def _marks(settings: Settings, emu: Emulator) -> Any:
    kept = SnapshotCache(cache_path(settings.state_path)).load(emu.section_uuid)
    assert kept is not None
    return kept.header.marks


def test_a_state_file_older_than_the_copy_makes_the_library_be_read_whole(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """A backup of the state file put back (or a damaged file replaced) lacks the runs whose
    writes the copy of the library was read after: its journal cannot say what plexrate wrote
    since, so the library is read whole."""
    emu = emulator_factory(generate_library(tracks=120, seed=4))
    settings_ = settings_for(emu, tmp_path)
    _run(settings_)
    backup = tmp_path / "backup.sqlite"
    copy_state(settings_.state_path, backup)
    _rate(emu, emu.library.keys("track")[3], 2.0)
    _run(settings_)  # a run the backup lacks
    _, info = _read_changed(settings_, emu)
    assert not info.whole, info.why  # the copy now names that run
    copy_state(backup, settings_.state_path)
    _, info = _read_changed(settings_, emu)
    assert info.whole
    assert (
        info.why == "the state file is older than the copy of the library (restored from a backup?)"
    )
