"""Classification and the five inference phases over one working map of values.

The working map starts as the values Plex holds now (manual and inferred). Each selected phase, in
run order, writes into it what it would leave in Plex once its writes landed: values rounded to
RATING_STEP, and an item that already has a value (one plexrate owns, or one an earlier phase
set) keeps that value when the new one is less than ε away. So a full run and the single phases
run one after another, each applied before the next, reach the same library. See
``docs/inference.md`` for the maths and the rules.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from plexrate.engine.config import ArtistEvidence, EngineConfig, InferenceModel
from plexrate.engine.gc_pause import paused_gc
from plexrate.engine.index import LibraryIndex
from plexrate.engine.maths import DEFAULT_PRIOR, album_prior, bayesian, gravity
from plexrate.engine.precision import (
    FLOAT_SLACK,
    moved,
    quantise,
    rewrite_threshold,
    worth_writing,
)
from plexrate.model import (
    INFERENCE_PHASES,
    Album,
    Artist,
    ItemType,
    LibrarySnapshot,
    OwnedItem,
    Phase,
    Track,
    stars,
)

if TYPE_CHECKING:
    # numpy is imported only when a hierarchical fit runs: `plexrate --help` and every command
    # that never infers start without it.
    from plexrate.engine.hierarchical import ModelFit


class RatingKind(StrEnum):
    MANUAL = "manual"
    """Rated in Plex and not owned by plexrate."""
    HIJACKED = "hijacked"
    """Owned, but the person changed the value in Plex: manual from now on."""
    INFERRED = "inferred"
    """Owned, and Plex still holds the value plexrate wrote (within the hijack tolerance)."""
    CLEARED = "cleared"
    """Owned, but now unrated in Plex: still plexrate's, re-inferred and rewritten."""
    HIDDEN = "hidden"
    """A manual rating the caller asked to treat as unrated (cross-validation)."""
    UNRATED = "unrated"

    @property
    def is_manual(self) -> bool:
        return self in _MANUAL_KINDS


_MANUAL_KINDS = frozenset({RatingKind.MANUAL, RatingKind.HIJACKED})


class TwinAnchor(StrEnum):
    MANUAL = "manual"
    """Some members are rated by hand; the others take the mean of those ratings."""
    INFERRED = "inferred"
    """No member is rated by hand; every member takes the mean of the members' current values."""
    NONE = "none"
    """No member has any value yet, so there is nothing to share."""


class Evidence(StrEnum):
    """The nearest of the person's ratings an item's value can draw on."""

    COPIES = "copies"
    """Other copies of the same recording the person rated (twins)."""
    ALBUM = "album"
    """The album's own rating or the ratings of its tracks."""
    ARTIST = "artist"
    """The artist's rating or the ratings on the artist's other albums."""
    NONE = "none"
    """Nothing the person rated: μ and the model alone."""


class Assignment(NamedTuple):
    """The last phase that set an item in this run, what it set, and why."""

    phase: Phase
    value: float
    """The value Plex will hold once the plan lands (rounded; an owned value within ε stays)."""
    exact: float
    """The formula's result before rounding and the ε rule."""
    reason: str


class HijackRule(StrEnum):
    """Which rule decided that a drift from plexrate's value is the person's change."""

    ANY_CHANGE = "any-change"
    """HIJACK_INTEGER_ONLY off (plexrate's default): every drift is the person's."""
    WHOLE_NUMBER = "whole-number"
    """HIJACK_INTEGER_ONLY on: the new value is a whole number, a half-star step a client sets."""
    RATED_SINCE = "rated-since"
    """HIJACK_INTEGER_ONLY on: Plex's lastRatedAt is newer than plexrate's write."""
    RATED_AGAIN = "rated-again"
    """Plex holds plexrate's value, but dates a rating since plexrate's last read that plexrate
    did not write (``LibrarySnapshot.rated_again``): the person chose that same value."""


@dataclass(frozen=True, slots=True)
class Hijack:
    key: int
    item_type: ItemType
    owned_value: float
    """What plexrate wrote."""
    current: float
    """What Plex holds now: the person's value."""
    rule: HijackRule = HijackRule.ANY_CHANGE


def hijack_rule(
    current: float, rated_at: int | None, claim: OwnedItem, *, integer_only: bool
) -> HijackRule | None:
    """Whether a drift from ``claim.value`` to ``current`` is the person's change, and by which
    rule; None keeps the value plexrate's (HIJACK_INTEGER_ONLY, neither test met).

    A Plex app rates in half stars, whole numbers on the 0–10 scale (3 stars is userRating 6.0:
    StashPlexAgent.bundle PR #21), and ``/:/rate`` stamps lastRatedAt (plexapi
    tests/test_mixins.py); a fractional drift with no rating after plexrate's write is not a
    person's click (docs/real-servers.md, "Your change or drift").
    """
    if not integer_only:
        return HijackRule.ANY_CHANGE
    if abs(current - round(current)) <= FLOAT_SLACK:
        return HijackRule.WHOLE_NUMBER
    if rated_at is not None and claim.written_at is not None and rated_at > claim.written_at:
        return HijackRule.RATED_SINCE
    return None


@dataclass(frozen=True, slots=True)
class TwinGroup:
    artist: str
    """Cleaned (casefolded, normalised) artist name the group was formed under."""
    title: str
    """Cleaned title the group was formed under."""
    members: tuple[int, ...]
    anchors: tuple[int, ...]
    """Members rated by hand; empty unless ``anchor`` is MANUAL."""
    anchor: TwinAnchor
    value: float | None
    """The shared value before rounding, or None when the group had nothing to share."""
    dropped: tuple[int, ...] = ()
    """Tracks grouped by name but left out: no duration, or too far from the median."""


@dataclass(frozen=True, slots=True, eq=False)
class Inference:
    """The result of ``infer``: every value the selected phases arrive at, and why."""

    snapshot: LibrarySnapshot
    config: EngineConfig
    index: LibraryIndex
    phases: tuple[Phase, ...]
    hidden: frozenset[int]
    prior: float
    """μ: the mean of the manual track ratings that are not filler, or 6.0 without any."""
    prior_tracks: int
    """How many manual track ratings μ is the mean of."""
    epsilon: float
    kinds: Mapping[int, RatingKind]
    """Classification of every item that is not plainly unrated (see ``kind``)."""
    values: Mapping[int, float]
    """Every item's value after the run: manual, inferred and newly set."""
    assignments: Mapping[int, Assignment]
    hijacks: tuple[Hijack, ...]
    cleared: tuple[int, ...]
    twin_groups: tuple[TwinGroup, ...]
    drifted: tuple[int, ...] = ()
    """Owned items whose Plex value drifted by a fraction with no rating since plexrate's write:
    HIJACK_INTEGER_ONLY keeps them plexrate's (see ``hijack_rule``)."""
    no_evidence: frozenset[int] = frozenset()
    """Items this run sets whose value rests on none of the person's ratings: nothing rated on
    the album, by the artist, or among the track's copies; μ and the model alone."""
    model: ModelFit | None = None
    """The hierarchical model's fit (None under ``classic``)."""
    rated_albums: frozenset[int] = frozenset()
    """Albums the person rated, or some of whose tracks they rated (hidden ones not counted)."""
    rated_artists: frozenset[int] = frozenset()
    """Artists the person rated, or under whom they rated an album or a track."""
    anchored: frozenset[int] = frozenset()
    """Tracks in a twin group with copies the person rated (when Twins ran)."""
    only: frozenset[int] | None = None
    """The items the phases were limited to (``scope_closure``), or None for every item."""
    owned: Mapping[int, OwnedItem] | None = None
    """The ownership record it was made with (what ``infer(reuse=...)`` checks)."""

    def kind(self, key: int) -> RatingKind:
        return self.kinds.get(key, RatingKind.UNRATED)

    def evidence(self, key: int) -> Evidence:
        """The nearest of the person's ratings behind the value of ``key``."""
        track = self.snapshot.tracks.get(key)
        album_key: int | None
        if track is not None:
            if key in self.anchored:
                return Evidence.COPIES
            album_key, artist_key = track.album_key, track.artist_key
        else:
            album = self.snapshot.albums.get(key)
            album_key = key if album is not None else None
            artist_key = album.artist_key if album is not None else key
        if album_key is not None and album_key in self.rated_albums:
            return Evidence.ALBUM
        if artist_key in self.rated_artists:
            return Evidence.ARTIST
        return Evidence.NONE

    def value(self, key: int) -> float | None:
        return self.values.get(key)

    def explain(self, key: int) -> Assignment | None:
        return self.assignments.get(key)


def selected_phases(phases: Sequence[Phase]) -> tuple[Phase, ...]:
    """The inference phases in ``phases``, in run order; anything else is a programming error."""
    chosen = set(phases)
    unknown = chosen.difference(INFERENCE_PHASES)
    if unknown:
        names = ", ".join(sorted(p.value for p in unknown))
        raise ValueError(f"not inference phases: {names}")
    return tuple(p for p in INFERENCE_PHASES if p in chosen)


def fmt(value: float) -> str:
    """A number for a reason text: two decimals at most, one at least ("0.8", "7.0", "6.83")."""
    text = f"{value:.2f}"
    return text[:-1] if text.endswith("0") else text


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def scope_closure(snapshot: LibrarySnapshot, index: LibraryIndex, keys: Set[int]) -> frozenset[int]:
    """``keys`` and every item their values depend on, so that phases limited to the result
    give those keys what the whole run gives them (``infer(only=...)``).

    What a value depends on besides the person's ratings and the model fitted to all of them:
    a track's, on its album's (Track-Down) and, in a twin group, on its copies' (Twins); an
    album's, under the classic model, on its artist's (Album-Down takes what Artist-Up gave it);
    an artist's, on nothing another phase sets. So: the keys, the copies of their tracks, and
    the album and artist of every track and album among those.
    """
    tracks, albums = snapshot.tracks, snapshot.albums
    closure = set(keys)
    if any(k in tracks for k in keys):
        for group in index.twin_groups:
            if any(k in closure for k in group.members):
                closure.update(group.members)
    for key in list(closure):
        track = tracks.get(key)
        if track is not None:
            closure.add(track.album_key)
            closure.add(track.artist_key)
    for key in list(closure):
        album = albums.get(key)
        if album is not None:
            closure.add(album.artist_key)
    return frozenset(closure)


def infer(
    snapshot: LibrarySnapshot,
    *,
    owned: Mapping[int, OwnedItem],
    config: EngineConfig,
    phases: Sequence[Phase] = INFERENCE_PHASES,
    hidden: Set[int] = frozenset(),
    index: LibraryIndex | None = None,
    only: Set[int] | None = None,
    reuse: Inference | None = None,
) -> Inference:
    """Classify every item and run the selected phases in order over one working map.

    ``hidden`` keys are manual ratings to treat as unrated (for cross-validation); their own
    value is then inferred like any unrated item's. Pass an ``index`` built by
    ``LibraryIndex.build`` for the same snapshot and rules to skip rebuilding it.

    ``only`` limits the phases to those items and what they depend on (``scope_closure``):
    classification and the model's fit still cover the library, and each item of the closure
    gets exactly what the whole run gives it (``plexrate watch`` writes what a rating reaches
    before it works out the rest).

    ``reuse``: an earlier inference of this very snapshot, ownership record, configuration and
    hidden set (a limited one, say), whose model fit is taken instead of fitting again.
    """
    chosen = selected_phases(phases)
    if index is None:
        index = LibraryIndex.build(snapshot, config)
    elif not index.matches(snapshot, config):
        raise ValueError("the index was built for another snapshot or other filler/twin rules")
    closure = None if only is None else scope_closure(snapshot, index, only)
    fitted = None
    if reuse is not None:
        if (
            reuse.snapshot is not snapshot
            or reuse.owned is not owned
            or reuse.config != config
            or reuse.hidden != frozenset(hidden)
        ):
            raise ValueError("the inference to reuse was made from other inputs")
        fitted = reuse.model
    with paused_gc():
        return _infer(
            snapshot,
            owned,
            config,
            chosen=chosen,
            hidden=frozenset(hidden),
            index=index,
            only=closure,
            fitted=fitted,
        )


def _infer(
    snapshot: LibrarySnapshot,
    owned: Mapping[int, OwnedItem],
    config: EngineConfig,
    *,
    chosen: tuple[Phase, ...],
    hidden: frozenset[int],
    index: LibraryIndex,
    only: frozenset[int] | None,
    fitted: ModelFit | None = None,
) -> Inference:
    run = _Run(snapshot, owned, config, index, hidden, only=only)
    run.classify()
    if config.inference_model is InferenceModel.CLASSIC:
        run.compute_prior()
        run.derive_albums()
        phases = {
            Phase.ALBUM_UP: run.album_up,
            Phase.ARTIST_UP: run.artist_up,
            Phase.ALBUM_DOWN: run.album_down,
            Phase.TRACK_DOWN: run.track_down,
        }
    else:
        run.fit_model(fitted)
        phases = {
            Phase.ALBUM_UP: run.model_album_up,
            Phase.ARTIST_UP: run.model_artist_up,
            Phase.ALBUM_DOWN: run.model_album_down,
            Phase.TRACK_DOWN: run.model_track_down,
        }
    phases[Phase.TWINS] = run.twins
    for phase in chosen:
        phases[phase]()
    run.settle()
    rated_albums, rated_artists, anchored = run.evidence_sets()
    inference = Inference(
        snapshot=snapshot,
        config=config,
        index=index,
        phases=chosen,
        hidden=run.hidden,
        prior=run.prior,
        prior_tracks=run.prior_tracks,
        epsilon=run.eps,
        kinds=run.kinds,
        values=run.working,
        assignments=run.assignments,
        hijacks=tuple(sorted(run.hijacks, key=lambda h: h.key)),
        cleared=tuple(sorted(run.cleared)),
        twin_groups=tuple(run.twin_groups),
        drifted=tuple(sorted(run.drifted)),
        model=run.model,
        rated_albums=rated_albums,
        rated_artists=rated_artists,
        anchored=anchored,
        only=only,
        owned=owned,
    )
    no_evidence = frozenset(k for k in run.assignments if inference.evidence(k) is Evidence.NONE)
    return dataclasses.replace(inference, no_evidence=no_evidence)


class _Derived(NamedTuple):
    exact: float
    n: int
    prior: float
    critic: float | None
    all_filler: bool


class _Run:
    """One inference pass. Private: ``infer`` is the interface."""

    def __init__(
        self,
        snapshot: LibrarySnapshot,
        owned: Mapping[int, OwnedItem],
        config: EngineConfig,
        index: LibraryIndex,
        hidden: frozenset[int],
        *,
        only: frozenset[int] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.owned = owned
        self.config = config
        self.index = index
        self.hidden = hidden
        self.only = only
        # Albums with tracks among ``only``: the ones Track-Down visits.
        self.only_albums: frozenset[int] | None = (
            None
            if only is None
            else frozenset(snapshot.tracks[k].album_key for k in only if k in snapshot.tracks)
        )
        self.step = config.rating_step
        self.eps = rewrite_threshold(
            snapshot.size, dynamic=config.dynamic_precision, step=self.step
        )
        self.kinds: dict[int, RatingKind] = {}
        self.working: dict[int, float] = {}
        self.assignments: dict[int, Assignment] = {}
        self.reassigned: set[int] = set()
        self.hijacks: list[Hijack] = []
        self.drifted: list[int] = []
        self.cleared: list[int] = []
        self.manual_tracks: list[int] = []
        self.prior = DEFAULT_PRIOR
        self.prior_tracks = 0
        self.derived: dict[int, _Derived] = {}
        self.with_manual_tracks: set[int] = set()
        self.twin_groups: list[TwinGroup] = []
        self.model: ModelFit | None = None
        # Copies whose group value is a mean of their Track-Down values. Those values are not
        # held within ε of Plex's: which copy kept its old value would depend on what the last
        # run wrote, and the mean (and so every copy) would move again on the next run.
        self.twin_copies = frozenset(k for group in index.twin_groups for k in group.members)

    # -- classification ----------------------------------------------------------------------

    def classify(self) -> None:
        tolerance = self.config.hijack_tolerance + 1e-9
        integer_only = self.config.hijack_integer_only
        owned = self.owned
        hidden = self.hidden
        kinds = self.kinds
        working = self.working
        rated_again = self.snapshot.rated_again
        items: tuple[Mapping[int, Artist | Album | Track], ...] = (
            self.snapshot.artists,
            self.snapshot.albums,
            self.snapshot.tracks,
        )
        for item_type, mapping in zip(
            (ItemType.ARTIST, ItemType.ALBUM, ItemType.TRACK), items, strict=True
        ):
            manual: list[int] | None = self.manual_tracks if item_type is ItemType.TRACK else None
            for key, item in mapping.items():
                rating = item.rating
                claim = owned.get(key)
                rule: HijackRule | None = None
                if claim is None:
                    if rating is None:
                        continue
                    kind = RatingKind.MANUAL
                elif rating is None:
                    kinds[key] = RatingKind.CLEARED
                    self.cleared.append(key)
                    continue
                elif abs(rating - claim.value) <= tolerance:
                    if key not in rated_again:
                        kinds[key] = RatingKind.INFERRED
                        working[key] = rating
                        continue
                    # Plex's value is plexrate's, but Plex dated a rating plexrate did not write.
                    rule = HijackRule.RATED_AGAIN
                    kind = RatingKind.HIJACKED
                else:
                    rule = hijack_rule(rating, item.rated_at, claim, integer_only=integer_only)
                    if rule is None and key in rated_again:
                        rule = HijackRule.RATED_AGAIN
                    if rule is None:
                        kinds[key] = RatingKind.INFERRED
                        working[key] = rating
                        self.drifted.append(key)
                        continue
                    kind = RatingKind.HIJACKED
                if key in hidden:
                    kinds[key] = RatingKind.HIDDEN
                    continue
                kinds[key] = kind
                working[key] = rating
                if claim is not None and rule is not None:
                    self.hijacks.append(Hijack(key, item_type, claim.value, rating, rule))
                if manual is not None:
                    manual.append(key)

    def is_manual(self, key: int) -> bool:
        return self.kinds.get(key) in _MANUAL_KINDS

    def within(self, keys: Sequence[int]) -> Sequence[int]:
        """The keys a phase sets: all of them, or those in ``only``."""
        only = self.only
        return keys if only is None else [k for k in keys if k in only]

    # -- evidence ----------------------------------------------------------------------------

    def compute_prior(self) -> None:
        filler = self.index.filler
        ratings = [self.working[k] for k in self.manual_tracks if k not in filler]
        if ratings:
            self.prior = math.fsum(ratings) / len(ratings)
            self.prior_tracks = len(ratings)

    def derive_albums(self) -> None:
        """What Album-Up makes of each album's own manual tracks, whether or not it runs.

        Artist-Up uses these as evidence, and Album-Down must leave alone every album that has
        evidence of its own (defect 2), so both need them even when Album-Up is not selected.
        Being a function of manual ratings only, they cannot feed back on themselves.
        """
        tracks = self.snapshot.tracks
        filler = self.index.filler
        per_album: dict[int, tuple[list[float], list[float]]] = {}
        for key in self.manual_tracks:
            rating = self.working[key]
            evidence, all_manual = per_album.setdefault(tracks[key].album_key, ([], []))
            all_manual.append(rating)
            if key not in filler:
                evidence.append(rating)
        self.with_manual_tracks = set(per_album)
        config = self.config
        albums = self.snapshot.albums
        for album_key, (evidence, all_manual) in per_album.items():
            album = albums.get(album_key)
            if album is None or self.is_manual(album_key):
                continue
            all_filler = not evidence
            used = all_manual if all_filler else evidence
            critic = album.critic_rating
            p = album_prior(
                self.prior,
                critic,
                bias=config.bias_critic,
                weight_critic=config.weight_critic,
                weight_global=config.weight_global,
            )
            exact = bayesian(p, math.fsum(used), len(used), confidence=config.confidence_c)
            shown_critic = critic if critic is not None and config.weight_critic > 0 else None
            self.derived[album_key] = _Derived(exact, len(used), p, shown_critic, all_filler)

    def fit_model(self, fitted: ModelFit | None = None) -> None:
        """The hierarchical model, fitted once to the manual ratings this run sees (``fitted``:
        already, by an inference of the same inputs)."""
        working = self.working
        manual_kinds = _MANUAL_KINDS
        kinds = self.kinds

        def manual(key: int) -> float | None:
            return working.get(key) if kinds.get(key) in manual_kinds else None

        tracks = self.snapshot.tracks
        self.with_manual_tracks = {tracks[k].album_key for k in self.manual_tracks}
        filler = self.index.filler
        self.prior_tracks = sum(1 for k in self.manual_tracks if k not in filler)
        if fitted is None:
            from plexrate.engine.hierarchical import fit  # noqa: PLC0415 - numpy only to fit

            fitted = fit(
                self.snapshot, self.index, manual=manual, confidence=self.config.confidence_c
            )
        self.model = fitted
        self.prior = fitted.parameters.mu

    def evidence_sets(self) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
        """The albums and artists with ratings of the person's, and the anchored twins."""
        tracks = self.snapshot.tracks
        albums = self.snapshot.albums
        is_manual = self.is_manual
        rated_albums = {tracks[k].album_key for k in self.manual_tracks}
        rated_albums.update(k for k in albums if is_manual(k))
        rated_artists = {albums[k].artist_key for k in rated_albums if k in albums}
        rated_artists.update(tracks[k].artist_key for k in self.manual_tracks)
        rated_artists.update(k for k in self.snapshot.artists if is_manual(k))
        anchored: set[int] = set()
        for group in self.twin_groups:
            if group.anchor is TwinAnchor.MANUAL:
                anchored.update(group.members)
        return frozenset(rated_albums), frozenset(rated_artists), frozenset(anchored)

    # -- writing into the working map --------------------------------------------------------

    def assign(self, key: int, exact: float, phase: Phase, reason: str) -> None:
        value = quantise(exact, self.step)
        baseline = self.working.get(key)
        if (
            baseline is not None
            and not (phase is Phase.TRACK_DOWN and key in self.twin_copies)
            and not worth_writing(exact, value, baseline, self.eps)
        ):
            value = baseline
        if key in self.assignments:
            self.reassigned.add(key)
        self.working[key] = value
        self.assignments[key] = Assignment(phase, value, exact, reason)

    def assign_many(
        self,
        keys: Sequence[int],
        exact: float,
        phase: Phase,
        reason: str,
        *,
        together: bool = False,
    ) -> None:
        """``assign`` for many items taking one value; they share one ``Assignment`` record.

        ``together`` is for twins, whose members must end up holding one value: ε is then
        measured on the rounded value. Measured on the unrounded one, a copy already at 1★
        would keep it while its unrated twin got the group's 2★ (whole-star steps), and the
        next run, averaging 1★ and 2★, would move the first copy after all.
        """
        value = quantise(exact, self.step)
        shared = Assignment(phase, value, exact, reason)
        threshold = self.eps - FLOAT_SLACK
        measured = value if together else exact
        working = self.working
        assignments = self.assignments
        exact_copies = self.twin_copies if phase is Phase.TRACK_DOWN else frozenset()
        for key in keys:
            baseline = working.get(key)
            # worth_writing, inlined: this loop runs once per track of a large library.
            if (
                baseline is None
                or baseline == value
                or abs(measured - baseline) >= threshold
                or key in exact_copies
            ):
                working[key] = value
                if key in assignments:
                    self.reassigned.add(key)
                assignments[key] = shared
            else:
                if key in assignments:
                    self.reassigned.add(key)
                assignments[key] = Assignment(phase, baseline, exact, reason)

    def settle(self) -> None:
        """Measure items set by two phases against what Plex holds, not the in-between value.

        Only Track-Down then Twins touch one item twice. An owned track whose final value is
        within ε of its current Plex value is not rewritten, so its recorded value is the
        current one. The rounded values are compared here, not the unrounded one as ``assign``
        does: run one phase at a time, Track-Down would already have written its value, and
        Twins would measure against that; a full run must end where that sequence ends.
        """
        tracks = self.snapshot.tracks
        for key in self.reassigned:
            if self.kinds.get(key) is not RatingKind.INFERRED:
                continue
            current = tracks[key].rating
            assignment = self.assignments[key]
            if current is None or assignment.value == current:
                continue
            if not moved(assignment.value, current, self.eps):
                self.working[key] = current
                self.assignments[key] = assignment._replace(value=current)

    # -- phases ------------------------------------------------------------------------------

    def album_up(self) -> None:
        prior_text = stars(self.prior)
        for album_key in self.within(sorted(self.derived)):
            d = self.derived[album_key]
            reason = _plural(d.n, "rated track")
            if d.all_filler:
                reason += " (all filler)"
            if d.critic is not None:
                reason += f", prior {stars(d.prior)} (critic {stars(d.critic)})"
            else:
                reason += f", prior {prior_text}"
            self.assign(album_key, d.exact, Phase.ALBUM_UP, reason)

    def artist_up(self) -> None:
        config = self.config
        use_derived = config.artist_evidence is ArtistEvidence.DERIVED
        prior = self.prior
        prior_text = stars(prior)
        working = self.working
        no_evidence = f"no rated albums: prior {prior_text}"
        for artist_key in self.within(self.index.artist_keys):
            if self.is_manual(artist_key):
                continue
            total: list[float] = []
            by_hand = 0
            for album_key in self.index.albums_by_artist.get(artist_key, ()):
                if self.is_manual(album_key):
                    total.append(working[album_key])
                    by_hand += 1
                elif use_derived:
                    d = self.derived.get(album_key)
                    if d is not None:
                        total.append(d.exact)
            n = len(total)
            if n == 0:
                if config.fill_without_evidence:
                    self.assign(artist_key, prior, Phase.ARTIST_UP, no_evidence)
                continue
            exact = bayesian(prior, math.fsum(total), n, confidence=config.confidence_c)
            reason = _plural(n, "rated album")
            if use_derived:
                reason += f" ({by_hand} by hand)"
            self.assign(artist_key, exact, Phase.ARTIST_UP, f"{reason}, prior {prior_text}")

    def album_down(self) -> None:
        config = self.config
        prior = self.prior
        fill_reason = f"no artist rating: prior {stars(prior)}"
        albums = self.snapshot.albums
        down_cache: dict[int, tuple[float, str] | None] = {}
        for album_key in self.within(self.index.album_keys):
            if album_key in self.with_manual_tracks or self.is_manual(album_key):
                continue
            artist_key = albums[album_key].artist_key
            if artist_key not in down_cache:
                down_cache[artist_key] = self._from_parent(
                    artist_key, "artist", config.album_gravity, fill_reason
                )
            inherited = down_cache[artist_key]
            if inherited is not None:
                self.assign(album_key, inherited[0], Phase.ALBUM_DOWN, inherited[1])

    def track_down(self) -> None:
        config = self.config
        fill_reason = f"no album rating: prior {stars(self.prior)}"
        kinds = self.kinds
        tracks_by_album = self.index.tracks_by_album
        albums = sorted(tracks_by_album)
        if self.only_albums is not None:
            albums = [k for k in albums if k in self.only_albums]
        for album_key in albums:
            inherited = self._from_parent(album_key, "album", config.track_gravity, fill_reason)
            if inherited is None:
                continue
            exact, reason = inherited
            members = self.within(tracks_by_album[album_key])
            targets = [k for k in members if kinds.get(k) not in _MANUAL_KINDS]
            self.assign_many(targets, exact, Phase.TRACK_DOWN, reason)

    def _from_parent(
        self, parent_key: int, label: str, g: float, fill_reason: str
    ) -> tuple[float, str] | None:
        """What a child without evidence of its own takes from its parent, and why."""
        value = self.working.get(parent_key)
        if value is not None and self.is_manual(parent_key):
            reason = f"from {label} {stars(value)} (manual, gravity {fmt(g)})"
            return gravity(value, self.prior, g), reason
        if value is not None:
            return value, f"from {label} {stars(value)} (inferred)"
        if self.config.fill_without_evidence:
            return self.prior, fill_reason
        return None

    def has_lineage(self, track_key: int) -> bool:
        """Whether Track-Down gives this track a value (its album has one, or μ fills in)."""
        if self.config.fill_without_evidence:
            return True
        album_key = self.snapshot.tracks[track_key].album_key
        if self.model is not None:
            return self.model.album_has_evidence(album_key)
        return album_key in self.working

    # -- the hierarchical model's phases: each sets its items to the model's value ----------

    def model_album_up(self) -> None:
        model = self.model
        assert model is not None
        albums = self.snapshot.albums
        keys = [k for k in sorted(self.with_manual_tracks) if k in albums]
        self._from_model(self.within(keys), Phase.ALBUM_UP, model.album, model.album_reason, None)

    def model_artist_up(self) -> None:
        model = self.model
        assert model is not None
        self._from_model(
            self.within(self.index.artist_keys),
            Phase.ARTIST_UP,
            model.artist,
            model.artist_reason,
            model.artist_has_evidence,
        )

    def model_album_down(self) -> None:
        model = self.model
        assert model is not None
        keys = [k for k in self.index.album_keys if k not in self.with_manual_tracks]
        self._from_model(
            self.within(keys),
            Phase.ALBUM_DOWN,
            model.album,
            model.album_reason,
            model.album_has_evidence,
        )

    def _from_model(
        self,
        keys: Sequence[int],
        phase: Phase,
        value: Callable[[int], float],
        reason: Callable[[int], str],
        has_evidence: Callable[[int], bool] | None,
    ) -> None:
        """Set every item of ``keys`` the person did not rate to the model's value for it; with
        FILL_WITHOUT_EVIDENCE off, only those ``has_evidence`` accepts."""
        check = None if self.config.fill_without_evidence else has_evidence
        for key in keys:
            if self.is_manual(key) or (check is not None and not check(key)):
                continue
            self.assign(key, value(key), phase, reason(key))

    def model_track_down(self) -> None:
        model = self.model
        assert model is not None
        fill = self.config.fill_without_evidence
        kinds = self.kinds
        filler = self.index.filler
        values = model.track_value.tolist()
        position = 0
        only, only_albums = self.only, self.only_albums
        # The model lists the tracks album by album in the index's order; walk it in step.
        for album_key, members in self.index.tracks_by_album.items():
            start, position = position, position + len(members)
            if only_albums is not None and album_key not in only_albums:
                continue
            if not fill and not model.album_has_evidence(album_key):
                continue
            # Tracks of one album with one value share one Assignment and one reason text (as
            # Track-Down does under classic): without plays to tell them apart, that is all of
            # them, and 300,000 records of their own would cost tens of megabytes.
            groups: dict[tuple[float, bool], list[int]] = {}
            for offset, key in enumerate(members):
                if kinds.get(key) in _MANUAL_KINDS or (only is not None and key not in only):
                    continue
                groups.setdefault((values[start + offset], key in filler), []).append(key)
            reasons: dict[bool, str] = {}
            for (value, is_filler), keys in groups.items():
                reason = reasons.get(is_filler)
                if reason is None:
                    reason = model.track_reason(album_key, filler=is_filler)
                    reasons[is_filler] = reason
                self.assign_many(keys, value, Phase.TRACK_DOWN, reason)

    def twins(self) -> None:
        working = self.working
        only = self.only
        for group in self.index.twin_groups:
            # ``scope_closure`` holds all of a group's members or none.
            if only is not None and group.members[0] not in only:
                continue
            anchors = tuple(k for k in group.members if self.is_manual(k))
            if anchors:
                value = math.fsum(working[k] for k in anchors) / len(anchors)
                reason = f"twin of {_plural(len(anchors), 'rated copy')}"
                targets = tuple(k for k in group.members if k not in anchors)
                anchor = TwinAnchor.MANUAL
            else:
                # A member whose album gives it no value (FILL_WITHOUT_EVIDENCE off) holds only
                # what an earlier twins run gave it; counting it would feed the group's result
                # back into itself and move it again on every run.
                current = [
                    working[k] for k in group.members if k in working and self.has_lineage(k)
                ]
                if not current:
                    self.twin_groups.append(
                        TwinGroup(
                            group.artist,
                            group.title,
                            group.members,
                            (),
                            TwinAnchor.NONE,
                            None,
                            group.dropped,
                        )
                    )
                    continue
                value = math.fsum(current) / len(current)
                reason = f"twin: mean of {_plural(len(current), 'copy')}"
                targets = group.members
                anchor = TwinAnchor.INFERRED
            self.assign_many(targets, value, Phase.TWINS, reason, together=True)
            self.twin_groups.append(
                TwinGroup(
                    group.artist, group.title, group.members, anchors, anchor, value, group.dropped
                )
            )
