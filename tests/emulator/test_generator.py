"""The generator: deterministic per seed, and every case the rules care about is present."""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict

import pytest

from plexrate.emulator import EmulatorLibrary, generate_library
from plexrate.emulator.generator import VARIOUS_ARTISTS, Selection
from plexrate.emulator.library import AlbumItem, TrackItem

FILLER = re.compile(r"^(Intro|Outro|Skit|Interlude|Applause)$")
REMASTER = re.compile(r" \(Remastered \d{4}\)$")


def as_json(lib: EmulatorLibrary) -> str:
    return json.dumps(lib.to_dict(), sort_keys=True)


def test_same_seed_same_library_different_seed_different_library() -> None:
    assert as_json(generate_library(tracks=800, seed=4)) == as_json(
        generate_library(tracks=800, seed=4)
    )
    assert as_json(generate_library(tracks=800, seed=4)) != as_json(
        generate_library(tracks=800, seed=5)
    )


@pytest.mark.parametrize("tracks", [1, 37, 500, 2001])
def test_exactly_the_requested_number_of_tracks(tracks: int) -> None:
    lib = generate_library(tracks=tracks, seed=2)
    assert lib.counts()["tracks"] == tracks
    section = lib.default_section
    assert all(lib.children_of(a.rating_key) for a in section.albums)
    assert all(lib.children_of(a.rating_key) for a in section.artists)


def test_argument_checks() -> None:
    with pytest.raises(ValueError, match="at least one"):
        generate_library(tracks=0, seed=1)
    with pytest.raises(ValueError, match="rated_fraction"):
        generate_library(tracks=10, seed=1, rated_fraction=2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_rule_has_cases_in_a_small_library(seed: int) -> None:
    lib = generate_library(tracks=500, seed=seed)
    section = lib.default_section
    artists = {a.rating_key: a for a in section.artists}
    albums: dict[int, AlbumItem] = {a.rating_key: a for a in section.albums}
    tracks: list[TrackItem] = list(section.tracks)
    kinds = {a.rating_key: (a.latent or {}).get("kind") for a in albums.values()}

    assert max(len(lib.children_of(k)) for k in artists) >= 3, "an artist with several albums"
    assert any(a.user_rating is not None for a in albums.values()), "a manual album rating"
    assert any(a.user_rating is not None for a in artists.values()), "a manual artist rating"
    critic = sum(1 for a in albums.values() if a.critic_rating is not None)
    assert critic >= len(albums) * 0.3, "critic ratings on many albums"

    various = [a for a in artists.values() if a.title == VARIOUS_ARTISTS]
    assert various, "a Various Artists compilation"
    compilation = [t for t in tracks if t.artist_key == various[0].rating_key]
    assert compilation and all(t.original_title for t in compilation)

    # Greatest hits repeat studio recordings within two seconds: twins.
    by_recording: dict[int, list[TrackItem]] = defaultdict(list)
    for t in tracks:
        assert t.recording is not None
        by_recording[t.recording].append(t)
    hits = [t for t in tracks if kinds[t.album_key] == "greatest_hits"]
    assert hits
    for t in hits:
        twins = [o for o in by_recording[t.recording or 0] if o is not t]
        # A remaster of the studio album is the same recording under a "(Remastered …)" title.
        assert twins and all(REMASTER.sub("", o.title) == t.title for o in twins)
        for o in twins:
            if o.duration is not None and t.duration is not None:
                assert abs(o.duration - t.duration) <= 2000

    # Live albums: same song titles as the studio takes, different durations.
    live = [a for a in albums.values() if "Live" in a.subformats]
    assert live
    studio_titles = {
        (t.artist_key, t.title): t for t in tracks if kinds[t.album_key] in ("studio",)
    }
    live_takes = [
        t
        for t in tracks
        if t.album_key in {a.rating_key for a in live} and not FILLER.match(t.title)
    ]
    matched = [
        (t, studio_titles[(t.artist_key, t.title.removesuffix(" (Live)"))])
        for t in live_takes
        if (t.artist_key, t.title.removesuffix(" (Live)")) in studio_titles
    ]
    assert matched
    assert all(
        abs((t.duration or 0) - (s.duration or 0)) > 5000
        for t, s in matched
        if t.duration and s.duration
    )

    titles = [t.title for t in tracks]
    for marker in ("(Live)", "(Remastered", "[Demo]"):
        assert any(marker in title for title in titles), marker
    filler = [t for t in tracks if FILLER.match(t.title)]
    assert {t.title for t in filler} >= {"Intro", "Skit", "Interlude"}
    assert any(t.duration is not None and t.duration < 60_000 for t in filler)

    the = [a for a in artists.values() if a.title.startswith("The ")]
    assert the and all(a.title_sort == a.title[4:] for a in the)
    names = [a.title for a in artists.values()] + titles
    assert any(re.search(r"\d", n) for n in names), "digits"
    assert any(re.search(r"[&!?'./,-]", n) for n in names), "punctuation"
    assert any(not n.isascii() for n in names), "non-ASCII letters"
    assert any(t.duration is None for t in tracks), "tracks without a duration"
    for group in (tracks, list(albums.values()), list(artists.values())):
        tagged = [i for i in group if i.moods]
        assert tagged and all(i.locked == ("mood",) for i in tagged), "the person's own moods"


def test_ratings_are_sparse_half_stars_driven_by_hidden_quality() -> None:
    lib = generate_library(tracks=6000, seed=11)
    section = lib.default_section
    rated = [t for t in section.tracks if t.user_rating is not None]
    assert 0.18 <= len(rated) / len(section.tracks) <= 0.32
    assert {t.user_rating for t in rated} <= {float(v) for v in range(1, 11)}
    assert all(t.user_rating == t.true_rating for t in rated)
    assert all(t.true_rating is not None for t in section.tracks)
    quality = {a.rating_key: float((a.latent or {})["quality"]) for a in section.albums}
    per_album: dict[int, list[float]] = defaultdict(list)
    for t in rated:
        per_album[t.album_key].append(t.user_rating or 0)
    pairs = [(quality[k], statistics.mean(v)) for k, v in per_album.items() if len(v) >= 3]
    assert len(pairs) > 50
    assert statistics.correlation(*zip(*pairs, strict=True)) > 0.5
    halves = generate_library(tracks=6000, seed=11, rated_fraction=0.5).default_section.tracks
    assert sum(1 for t in halves if t.user_rating is not None) > 1.6 * len(rated)


def test_proportions_resemble_a_real_collection() -> None:
    counts = generate_library(tracks=20_000, seed=1).counts()
    # About 300,000 tracks ≈ 27,000 albums and 12,000 artists at full scale.
    assert 9.5 <= counts["tracks"] / counts["albums"] <= 12.5
    assert 20 <= counts["tracks"] / counts["artists"] <= 30


# ------------------------------------------------------------------------------------ the person
def _structure(lib: EmulatorLibrary) -> list[tuple[int, str, float | None, int | None]]:
    return [(t.rating_key, t.title, t.true_rating, t.duration) for t in lib.default_section.tracks]


def test_selection_levels_share_the_library_and_its_truth_but_not_who_rated_what() -> None:
    levels = {s: generate_library(tracks=3000, seed=6, selection=s) for s in Selection}
    structures = {s: _structure(lib) for s, lib in levels.items()}
    assert structures[Selection.NONE] == structures[Selection.MODERATE]
    assert structures[Selection.MODERATE] == structures[Selection.STRONG]
    rated = {
        s: {t.rating_key for t in lib.default_section.tracks if t.user_rating is not None}
        for s, lib in levels.items()
    }
    assert rated[Selection.NONE] != rated[Selection.MODERATE] != rated[Selection.STRONG]
    # The original person is unchanged by the new option (the same draws as before it existed).
    assert as_json(generate_library(tracks=800, seed=4)) == as_json(
        generate_library(tracks=800, seed=4, selection=None)
    )


def test_a_selective_person_leaves_the_worse_tracks_unrated() -> None:
    gaps = {}
    for selection in Selection:
        tracks = generate_library(tracks=6000, seed=3, selection=selection).default_section.tracks
        rated = [t.true_rating or 0.0 for t in tracks if t.user_rating is not None]
        unrated = [t.true_rating or 0.0 for t in tracks if t.user_rating is None]
        assert 0.15 < len(rated) / len(tracks) < 0.3
        gaps[selection] = statistics.fmean(rated) - statistics.fmean(unrated)
    assert abs(gaps[Selection.NONE]) < 0.35
    assert gaps[Selection.NONE] + 0.5 < gaps[Selection.MODERATE] < gaps[Selection.STRONG] - 0.3


def _liking_and_plays(signal: float) -> float:
    """Correlation, within albums, between how much the person likes a track and its plays."""
    lib = generate_library(tracks=4000, seed=8, play_signal=signal)
    section = lib.default_section
    quality = {a.rating_key: float((a.latent or {}).get("quality", 6.0)) for a in section.albums}
    pairs = [
        ((t.true_rating or 0.0) - quality[t.album_key], float(t.view_count)) for t in section.tracks
    ]
    return statistics.correlation([p[0] for p in pairs], [p[1] for p in pairs])


def test_plays_follow_taste_only_as_far_as_the_signal_says() -> None:
    assert abs(_liking_and_plays(0.0)) < 0.06
    assert _liking_and_plays(1.0) > 0.2


def test_plays_are_seeded_and_leave_the_rest_of_the_library_alone() -> None:
    quiet = generate_library(tracks=1500, seed=9, play_signal=0.0)
    loud = generate_library(tracks=1500, seed=9, play_signal=1.0)
    assert _structure(quiet) == _structure(loud)
    assert [t.user_rating for t in quiet.default_section.tracks] == [
        t.user_rating for t in loud.default_section.tracks
    ]
    again = generate_library(tracks=1500, seed=9, play_signal=1.0)
    assert as_json(loud) == as_json(again)
    tracks = loud.default_section.tracks
    assert any(t.view_count for t in tracks) and any(t.skip_count for t in tracks)
    assert all((t.last_viewed_at is not None) == (t.view_count > 0) for t in tracks)
    assert 0.75 < sum(t.rating_count is not None for t in tracks) / len(tracks) < 0.95
    # The file keeps them and reads them back.
    assert as_json(EmulatorLibrary.from_dict(loud.to_dict())) == as_json(loud)
    with pytest.raises(ValueError, match="play_signal"):
        generate_library(tracks=10, seed=1, play_signal=1.5)
