"""The hierarchical model: what it learns from the person's ratings, and how the phases use it.

Libraries here are drawn from the model's own assumptions with a seeded generator (so the truth
is known), or taken from the emulator's generator; figures asserted are well inside what was
measured.
"""

from __future__ import annotations

import dataclasses
import random
import statistics

import pytest

from plexrate.emulator import generate_library
from plexrate.emulator.generator import Selection
from plexrate.emulator.offline import snapshot_of
from plexrate.engine import (
    EngineConfig,
    Evidence,
    InferenceModel,
    LibraryIndex,
    build_plan,
    infer,
)
from plexrate.engine.hierarchical import fit
from plexrate.model import LibrarySnapshot, Phase
from tests.support.library import Lib

HIERARCHICAL = EngineConfig()
CLASSIC = EngineConfig(inference_model=InferenceModel.CLASSIC)


def manual_of(snapshot: LibrarySnapshot) -> dict[int, float]:
    return {i.key: i.rating for i in snapshot.all_items() if i.rating is not None}


def drawn(
    *,
    artists: int = 60,
    seed: int = 1,
    rated: float = 0.6,
    critic_noise: float | None = 0.7,
    filler_offset: float = 0.0,
) -> tuple[LibrarySnapshot, dict[int, float]]:
    """A library drawn from the model itself: artist and album effects, track noise, a critic
    who sees the album level, filler ``filler_offset`` below its album. Returns the truth too."""
    rng = random.Random(seed)
    lib = Lib()
    truth: dict[int, float] = {}
    key = 1
    for _ in range(artists):
        artist = lib.artist(key, f"Artist {key}")
        key += 1
        a = rng.gauss(0, 1.0)
        for _ in range(rng.randint(1, 4)):
            level = 6.0 + a + rng.gauss(0, 0.8)
            critic = None
            if critic_noise is not None:
                critic = round(min(10.0, max(0.0, level + 0.5 + rng.gauss(0, critic_noise))), 1)
            album = lib.album(key, artist, f"Album {key}", critic=critic)
            key += 1
            for number in range(10):
                filler = number == 0 and filler_offset != 0.0
                value = min(10.0, max(1.0, round(level + filler_offset * filler + rng.gauss(0, 1))))
                truth[key] = value
                lib.track(
                    key,
                    album,
                    f"Intro {key}" if filler else f"Song {key}",
                    rating=value if rng.random() < rated else None,
                    seconds=200.0,
                    index=number + 1,
                )
                key += 1
    return lib.snapshot(), truth


def grown(snapshot: LibrarySnapshot) -> Lib:
    """A builder holding ``snapshot``'s items, to add a few more to."""
    lib = Lib()
    lib.artists.update(snapshot.artists)
    lib.albums.update(snapshot.albums)
    lib.tracks.update(snapshot.tracks)
    return lib


def test_the_model_recovers_the_levels_it_was_drawn_from() -> None:
    snapshot, _ = drawn(artists=200, seed=3)
    manual = manual_of(snapshot)
    model = fit(
        snapshot, LibraryIndex.build(snapshot, HIERARCHICAL), manual=manual.get, confidence=3.0
    )
    p = model.parameters

    assert not p.fallback
    assert p.mu == pytest.approx(6.0, abs=0.3)
    assert p.sigma_within == pytest.approx(1.0, abs=0.15)
    assert p.tau_album == pytest.approx(0.8, abs=0.3)
    assert p.tau_artist == pytest.approx(1.0, abs=0.3)
    # The critic sees the album level 0.5 higher, with a noise of 0.7: calibrated, not trusted
    # blindly.
    assert p.critic_used
    assert p.critic_scale == pytest.approx(1.0, abs=0.25)
    assert p.critic_noise == pytest.approx(0.7, abs=0.3)
    # No selection in how this library was rated, no plays: nothing to correct.
    assert p.theta == pytest.approx(0.0, abs=0.1)
    assert p.beta == (0.0, 0.0, 0.0)


def test_unrated_tracks_beat_the_cascade_on_a_library_drawn_from_the_model() -> None:
    snapshot, truth = drawn(artists=150, seed=5, rated=0.3)
    values = infer(snapshot, owned={}, config=HIERARCHICAL).values
    unrated = [k for k, t in snapshot.tracks.items() if t.rating is None]
    rated = {k: t.rating for k, t in snapshot.tracks.items() if t.rating is not None}
    by_album: dict[int, list[float]] = {}
    for k, v in rated.items():
        by_album.setdefault(snapshot.tracks[k].album_key, []).append(v)
    library = statistics.fmean(rated.values())

    def cascade(key: int) -> float:
        album = by_album.get(snapshot.tracks[key].album_key)
        return statistics.fmean(album) if album else library

    model_mae = statistics.fmean(abs(values[k] - truth[k]) for k in unrated)
    cascade_mae = statistics.fmean(abs(cascade(k) - truth[k]) for k in unrated)
    assert model_mae < cascade_mae - 0.03


def test_an_unrated_album_takes_its_critic_into_account_never_the_bare_prior() -> None:
    snapshot, _ = drawn(artists=80, seed=2)
    lib = grown(snapshot)
    lone = lib.artist(90_000, "Nobody Rated")
    low = lib.album(90_001, lone, "Panned", critic=2.0)
    high = lib.album(90_002, lone, "Acclaimed", critic=9.5)
    bare = lib.album(90_003, lone, "Unknown")
    for offset, album in enumerate((low, high, bare)):
        lib.track(90_010 + offset, album, f"Only {offset}")
    library = lib.snapshot()

    inference = infer(library, owned={}, config=HIERARCHICAL)

    assert inference.value(low) < inference.value(bare) < inference.value(high)  # type: ignore[operator]
    for album in (low, high, bare):
        assert inference.value(album) != pytest.approx(inference.prior, abs=0.005)
        assert inference.evidence(album) is Evidence.NONE
        assert album in inference.no_evidence
        assert inference.explain(album).phase is Phase.ALBUM_DOWN  # type: ignore[union-attr]
        assert "nothing rated by the artist" in inference.explain(album).reason  # type: ignore[union-attr]


def test_filler_gets_a_learned_offset_below_its_album() -> None:
    snapshot, truth = drawn(artists=150, seed=4, filler_offset=-2.5)
    inference = infer(snapshot, owned={}, config=HIERARCHICAL)
    model = inference.model
    assert model is not None
    assert model.parameters.filler_offset < -1.2
    index = inference.index
    for members in index.tracks_by_album.values():
        intro, *songs = members
        unrated_songs = [k for k in songs if snapshot.tracks[k].rating is None]
        if snapshot.tracks[intro].rating is None and unrated_songs:
            assert inference.value(intro) < inference.value(unrated_songs[0]) - 1.0  # type: ignore[operator]
            assert "filler" in inference.explain(intro).reason  # type: ignore[union-attr]
            break
    else:
        pytest.fail("no album with an unrated intro and unrated songs")
    # Classic gives the intro its album's value.
    classic = infer(snapshot, owned={}, config=CLASSIC)
    errors = {
        name: statistics.fmean(
            abs(result.values[k] - truth[k])
            for k in index.filler
            if snapshot.tracks[k].rating is None
        )
        for name, result in (("hierarchical", inference), ("classic", classic))
    }
    assert errors["hierarchical"] < errors["classic"] - 0.5


def test_too_few_rated_albums_fall_back_to_confidence_c() -> None:
    lib = Lib()
    artist = lib.artist(1, "Solo")
    album = lib.album(2, artist, "Only")
    for key, rating in ((3, 8.0), (4, 6.0), (5, None)):
        lib.track(key, album, f"T{key}", rating=rating)
    snapshot = lib.snapshot()
    for confidence in (1.0, 3.0):
        config = dataclasses.replace(HIERARCHICAL, confidence_c=confidence)
        inference = infer(snapshot, owned={}, config=config)
        model = inference.model
        assert model is not None
        p = model.parameters
        assert p.fallback
        assert p.tau_album**2 == pytest.approx(p.sigma_within**2 / confidence)
    # A larger C shrinks the album more toward μ: what CONFIDENCE_C means under classic too.
    loose = infer(snapshot, owned={}, config=dataclasses.replace(HIERARCHICAL, confidence_c=0.5))
    tight = infer(snapshot, owned={}, config=dataclasses.replace(HIERARCHICAL, confidence_c=20.0))
    assert loose.model is not None and tight.model is not None
    assert abs(loose.model.album(2) - 7.0) < abs(tight.model.album(2) - 7.0) + 1e-9


def test_each_phase_sets_the_items_it_means() -> None:
    snapshot, _ = drawn(artists=40, seed=6, rated=0.3)
    lib = grown(snapshot)
    lone = lib.artist(80_000, "Unheard")
    album = lib.album(80_001, lone, "Never Played", critic=6.0)
    lib.track(80_002, album, "Quiet")
    library = lib.snapshot()
    inference = infer(library, owned={}, config=HIERARCHICAL)

    with_rated_tracks = {t.album_key for t in library.tracks.values() if t.rating is not None}
    for key, assignment in inference.assignments.items():
        if key in library.artists:
            assert assignment.phase is Phase.ARTIST_UP
        elif key in library.albums:
            expected = Phase.ALBUM_UP if key in with_rated_tracks else Phase.ALBUM_DOWN
            assert assignment.phase is expected
        else:
            assert library.tracks[key].rating is None
            assert assignment.phase in (Phase.TRACK_DOWN, Phase.TWINS)
            assert assignment.reason.startswith(("model: album level", "twin"))
    # Every item without a rating of the person's gets a value, once.
    unrated = [i.key for i in library.all_items() if i.rating is None]
    assert set(unrated) == set(inference.assignments)
    plan = build_plan(library, owned={}, config=HIERARCHICAL, inference=inference)
    assert len({c.key for c in plan.changes}) == len(plan.changes) == len(unrated)
    assert plan.stats["no_evidence"] == len(inference.no_evidence) >= 3
    # A phase run alone sets only its own items, to the same values as in the full run.
    alone = infer(library, owned={}, config=HIERARCHICAL, phases=[Phase.ALBUM_DOWN])
    assert {a.phase for a in alone.assignments.values()} == {Phase.ALBUM_DOWN}
    for key, assignment in alone.assignments.items():
        assert assignment.value == inference.assignments[key].value


def test_without_fill_items_with_no_evidence_are_left_alone() -> None:
    snapshot, _ = drawn(artists=30, seed=7)
    lib = grown(snapshot)
    lone = lib.artist(70_000, "Unheard")
    album = lib.album(70_001, lone, "Never Played", critic=8.0)
    lib.track(70_002, album, "Quiet")
    library = lib.snapshot()
    config = dataclasses.replace(HIERARCHICAL, fill_without_evidence=False)

    inference = infer(library, owned={}, config=config)

    for key in (70_000, 70_001, 70_002):
        assert inference.value(key) is None
    assert inference.no_evidence == frozenset()
    filled = infer(library, owned={}, config=HIERARCHICAL)
    assert {70_000, 70_001, 70_002} <= filled.no_evidence
    plan = build_plan(library, owned={}, config=config, inference=inference)
    assert plan.stats["without_value"] == 3


def test_hidden_ratings_are_not_seen_by_the_fit() -> None:
    snapshot, _ = drawn(artists=40, seed=8)
    rated = sorted(k for k, t in snapshot.tracks.items() if t.rating is not None)
    hidden = frozenset(rated[::3])
    index = LibraryIndex.build(snapshot, HIERARCHICAL)

    seen = infer(snapshot, owned={}, config=HIERARCHICAL, hidden=hidden, index=index)
    without = Lib()
    without.artists.update(snapshot.artists)
    without.albums.update(snapshot.albums)
    without.tracks.update(
        {
            k: dataclasses.replace(t, rating=None) if k in hidden else t
            for k, t in snapshot.tracks.items()
        }
    )
    stripped = infer(without.snapshot(), owned={}, config=HIERARCHICAL)
    assert seen.model is not None and stripped.model is not None
    assert seen.model.parameters == stripped.model.parameters
    for key in hidden:
        assert seen.value(key) == stripped.value(key)


def test_plays_that_follow_taste_move_unrated_tracks_and_show_the_selection() -> None:
    library = generate_library(tracks=6000, seed=2, selection=Selection.MODERATE, play_signal=1.0)
    snapshot = snapshot_of(library)
    inference = infer(snapshot, owned={}, config=HIERARCHICAL)
    model = inference.model
    assert model is not None
    plays, skips, _ = model.parameters.beta
    assert plays > 0.2 and skips < -0.1
    assert model.parameters.theta > 0.1
    # On one album, the unrated track played most gets more than the one played least.
    for members in inference.index.tracks_by_album.values():
        unrated = [k for k in members if snapshot.tracks[k].rating is None]
        unrated = [k for k in unrated if k not in inference.index.filler]
        if len(unrated) >= 4:
            most = max(unrated, key=lambda k: snapshot.tracks[k].plays)
            least = min(unrated, key=lambda k: snapshot.tracks[k].plays)
            if snapshot.tracks[most].plays >= snapshot.tracks[least].plays + 5:
                assert inference.explain(most).exact > inference.explain(least).exact  # type: ignore[union-attr]
                return
    pytest.fail("no album with unrated tracks played very differently")


def test_noise_plays_carry_no_weight() -> None:
    library = generate_library(tracks=6000, seed=3, selection=Selection.MODERATE, play_signal=0.0)
    model = infer(snapshot_of(library), owned={}, config=HIERARCHICAL).model
    assert model is not None
    assert all(abs(b) < 0.1 for b in model.parameters.beta)


@pytest.mark.parametrize("selection", [None, Selection.MODERATE, Selection.STRONG])
def test_on_generated_libraries_unrated_tracks_beat_classic_and_the_cascade(
    selection: Selection | None,
) -> None:
    library = generate_library(tracks=8000, seed=11, selection=selection)
    truth = {t.rating_key: t.true_rating for t in library.default_section.tracks}
    snapshot = snapshot_of(library)
    unrated = [k for k, t in snapshot.tracks.items() if t.rating is None]
    rated = {k: t.rating for k, t in snapshot.tracks.items() if t.rating is not None}
    album: dict[int, list[float]] = {}
    artist: dict[int, list[float]] = {}
    for k, v in rated.items():
        album.setdefault(snapshot.tracks[k].album_key, []).append(v)
        artist.setdefault(snapshot.tracks[k].artist_key, []).append(v)
    mean = statistics.fmean(rated.values())

    def cascade(key: int) -> float:
        track = snapshot.tracks[key]
        found = album.get(track.album_key) or artist.get(track.artist_key)
        return statistics.fmean(found) if found else mean

    def errors(predict: dict[int, float]) -> tuple[float, float]:
        diffs = [(predict[k] - (truth[k] or 0.0)) / 2 for k in unrated]
        return statistics.fmean(abs(d) for d in diffs), statistics.fmean(diffs)

    model_mae, model_bias = errors(dict(infer(snapshot, owned={}, config=HIERARCHICAL).values))
    classic_mae, _ = errors(dict(infer(snapshot, owned={}, config=CLASSIC).values))
    cascade_mae, _ = errors({k: cascade(k) for k in unrated})
    # Measured (seed 11): MAE 0.49-0.51 star against 0.69-0.91 (classic) and 0.71-0.95
    # (cascade); bias +0.06 to +0.14 star where classic's is +0.37 to +0.82.
    assert model_mae < 0.9 * min(classic_mae, cascade_mae)
    assert abs(model_bias) < 0.17
