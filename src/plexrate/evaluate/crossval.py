"""k-fold cross-validation of the engine over the person's manual track ratings.

Each fold's ratings are hidden from ``infer`` (``hidden=``: they look unrated, nothing is copied),
the engine runs in memory over the whole library with the rest, and what it would write for each
hidden track is compared with the rating the person gave it. The library index is built once and
shared by every run whose filler and twin rules are the same.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from plexrate.engine import EngineConfig, LibraryIndex, infer
from plexrate.errors import UsageError
from plexrate.evaluate.baselines import Baseline, Guess, baseline_guesses
from plexrate.evaluate.fills import Fills, fills_of
from plexrate.evaluate.folds import make_folds
from plexrate.evaluate.metrics import (
    CalibrationRow,
    Metrics,
    calibration,
    half_star_bucket,
    measure,
)
from plexrate.evaluate.paths import FillPath, PathFinder
from plexrate.model import LibrarySnapshot, OwnedItem
from plexrate.progress import NULL_PROGRESS, Progress

DEFAULT_FOLDS = 5
DEFAULT_SEED = 1


@dataclass(frozen=True, slots=True)
class Prediction:
    """One hidden manual rating and what plexrate and the baselines made of it (0–10 scale)."""

    key: int
    fold: int
    """0-based."""
    true: float
    predicted: float | None
    path: FillPath
    filler: bool
    guesses: tuple[Guess, ...]
    """One per ``Baseline``, in its order."""

    def guess(self, baseline: Baseline) -> Guess:
        return self.guesses[_BASELINE_POSITION[baseline]]


_BASELINE_POSITION = {baseline: position for position, baseline in enumerate(Baseline)}


@dataclass(frozen=True, slots=True)
class Score:
    """The figures ``tune`` compares settings by; errors in stars."""

    count: int
    covered: int
    mae: float | None
    rmse: float | None
    errors: tuple[float, ...] = ()
    """Each hidden rating's absolute error (stars; NaN when not covered), in the same order for
    every setting scored by one ``CrossValidation``: what ``beats`` pairs."""

    def beats(self, other: Score, *, tolerance: float = 1e-9) -> bool:
        """Better on the objective: more ratings covered, then a lower MAE, then lower RMSE.

        Coverage comes first so that leaving hard tracks unrated can never pass for accuracy;
        the tuned settings change it only when FILL_WITHOUT_EVIDENCE is off. A lower MAE counts
        only when it is more than noise: paired rating by rating, the mean gain must exceed
        twice its standard error, so a setting cannot win by fitting the folds' accidents.
        """
        if self.covered != other.covered:
            return self.covered > other.covered
        if self.mae is None or other.mae is None:
            return False
        if self.mae < other.mae - tolerance:
            return self.significant_gain(other)
        if self.mae > other.mae + tolerance:
            return False
        if self.rmse is None or other.rmse is None:
            return False
        return self.rmse < other.rmse - tolerance

    def significant_gain(self, other: Score) -> bool:
        """Whether this score's MAE is below ``other``'s by more than twice the paired
        standard error (True when the errors cannot be paired)."""
        if len(self.errors) != len(other.errors):
            return True
        gains = [
            b - a
            for a, b in zip(self.errors, other.errors, strict=True)
            if not (math.isnan(a) or math.isnan(b))
        ]
        n = len(gains)
        if n < 2:
            return True
        mean = math.fsum(gains) / n
        spread = math.fsum((g - mean) ** 2 for g in gains) / (n - 1)
        return mean > 2.0 * math.sqrt(spread / n)


@dataclass(frozen=True, slots=True, eq=False)
class Evaluation:
    """Every hidden rating of one cross-validation, and the figures computed from them."""

    config: EngineConfig
    folds: int
    seed: int
    stratified: bool
    include_filler: bool
    manual_tracks: int
    """Manual track ratings in the library (filler included)."""
    prior: float
    """μ with nothing hidden."""
    predictions: tuple[Prediction, ...]
    fills: Fills | None = None
    """What the tracks nobody hid, the ones the person did not rate, would be filled from."""

    def overall(self) -> Metrics:
        return measure((p.true, p.predicted) for p in self.predictions)

    def baseline(self, baseline: Baseline) -> Metrics:
        position = _BASELINE_POSITION[baseline]
        return measure((p.true, p.guesses[position].value) for p in self.predictions)

    def fallbacks(self, baseline: Baseline) -> int:
        """How many hidden ratings the baseline answered with the library mean instead."""
        position = _BASELINE_POSITION[baseline]
        return sum(1 for p in self.predictions if p.guesses[position].fallback)

    def by_path(self) -> dict[FillPath, tuple[Metrics, dict[Baseline, Metrics]]]:
        """Per fill path (in ``FillPath`` order, empty ones left out): plexrate's figures and the
        baselines' on the same tracks."""
        groups: dict[FillPath, list[Prediction]] = {}
        for prediction in self.predictions:
            groups.setdefault(prediction.path, []).append(prediction)
        return {
            path: (
                measure((p.true, p.predicted) for p in groups[path]),
                {b: measure((p.true, p.guess(b).value) for p in groups[path]) for b in Baseline},
            )
            for path in FillPath
            if path in groups
        }

    def filler_split(self) -> dict[bool, Metrics]:
        """plexrate's figures for filler tracks (True) and the others (False), where present."""
        return {
            flag: measure((p.true, p.predicted) for p in self.predictions if p.filler is flag)
            for flag in (False, True)
            if any(p.filler is flag for p in self.predictions)
        }

    def calibration(self) -> tuple[CalibrationRow, ...]:
        return calibration((p.true, p.predicted) for p in self.predictions)

    def per_fold(self) -> tuple[Metrics, ...]:
        return tuple(
            measure((p.true, p.predicted) for p in self.predictions if p.fold == fold)
            for fold in range(self.folds)
        )


class CrossValidation:
    """The folds of one library, ready to score any number of settings.

    Which tracks are manual is decided once, with the settings given here (only the hijack
    tolerance matters for that). ``include_filler`` False leaves filler tracks out of the folds:
    they stay rated and visible, and are not scored.
    """

    def __init__(
        self,
        snapshot: LibrarySnapshot,
        *,
        owned: Mapping[int, OwnedItem],
        config: EngineConfig,
        folds: int = DEFAULT_FOLDS,
        seed: int = DEFAULT_SEED,
        stratify: bool = False,
        include_filler: bool = True,
        index: LibraryIndex | None = None,
    ) -> None:
        if folds < 2:
            raise UsageError(f"cross-validation needs at least 2 folds, not {folds}")
        self.snapshot = snapshot
        self.owned = owned
        self.seed = seed
        self.stratified = stratify
        self.include_filler = include_filler
        self._indexes: list[LibraryIndex] = []
        base = self.index_for(config, given=index)
        classified = infer(snapshot, owned=owned, config=config, phases=(), index=base)
        self.prior = classified.prior
        tracks = snapshot.tracks
        self.manual: tuple[int, ...] = tuple(
            sorted(k for k in tracks if classified.kind(k).is_manual)
        )
        evaluated = [k for k in self.manual if include_filler or k not in base.filler]
        if len(evaluated) < folds:
            what = "manual track ratings" if include_filler else "manual non-filler track ratings"
            raise UsageError(
                f"the library has {len(evaluated):,} {what}; cross-validation with {folds} "
                f"folds needs at least {folds}",
                hint="rate a few more tracks, or use fewer folds",
            )
        strata = None
        if stratify:
            strata = {k: half_star_bucket(tracks[k].rating or 0.0) for k in evaluated}
        self.evaluated: tuple[int, ...] = tuple(evaluated)
        self.folds: tuple[frozenset[int], ...] = make_folds(
            evaluated, folds=folds, seed=seed, strata=strata
        )
        self._visible = tuple(
            tuple(k for k in self.manual if k not in hidden) for hidden in self.folds
        )

    def index_for(self, config: EngineConfig, *, given: LibraryIndex | None = None) -> LibraryIndex:
        """An index for ``config``'s filler and twin rules: a cached one, else built once."""
        for index in (given, *self._indexes):
            if index is not None and index.matches(self.snapshot, config):
                if index not in self._indexes:
                    self._indexes.append(index)
                return index
        index = LibraryIndex.build(self.snapshot, config)
        self._indexes.append(index)
        return index

    def _predict(self, config: EngineConfig, fold: int) -> tuple[PathFinder, Mapping[int, float]]:
        inference = infer(
            self.snapshot,
            owned=self.owned,
            config=config,
            hidden=self.folds[fold],
            index=self.index_for(config),
        )
        return PathFinder(inference), inference.values

    def run(self, config: EngineConfig, *, progress: Progress = NULL_PROGRESS) -> Evaluation:
        """Every hidden rating with plexrate's value, its fill path and the baselines' guesses."""
        tracks = self.snapshot.tracks
        filler = self.index_for(config).filler
        predictions: list[Prediction] = []
        with progress.task("Cross-validating", total=len(self.folds)) as task:
            for fold, hidden in enumerate(self.folds):
                finder, values = self._predict(config, fold)
                guesses = baseline_guesses(tracks, visible=self._visible[fold], hidden=hidden)
                for key in sorted(hidden):
                    true = tracks[key].rating
                    assert true is not None
                    predictions.append(
                        Prediction(
                            key=key,
                            fold=fold,
                            true=true,
                            predicted=values.get(key),
                            path=finder.track(key),
                            filler=key in filler,
                            guesses=guesses[key],
                        )
                    )
                task.advance(label=f"fold {fold + 1} of {len(self.folds)}")
        everything = infer(
            self.snapshot, owned=self.owned, config=config, index=self.index_for(config)
        )
        return Evaluation(
            fills=fills_of(everything),
            config=config,
            folds=len(self.folds),
            seed=self.seed,
            stratified=self.stratified,
            include_filler=self.include_filler,
            manual_tracks=len(self.manual),
            prior=self.prior,
            predictions=tuple(predictions),
        )

    def score(self, config: EngineConfig) -> Score:
        """MAE and RMSE in stars over every fold, without the per-track detail of ``run``."""
        tracks = self.snapshot.tracks
        absolute: list[float] = []
        squared: list[float] = []
        paired: list[float] = []
        count = 0
        for hidden in self.folds:
            values = infer(
                self.snapshot,
                owned=self.owned,
                config=config,
                hidden=hidden,
                index=self.index_for(config),
            ).values
            count += len(hidden)
            for key in sorted(hidden):
                predicted = values.get(key)
                if predicted is None:
                    paired.append(math.nan)
                    continue
                error = (predicted - (tracks[key].rating or 0.0)) / 2.0
                absolute.append(abs(error))
                squared.append(error * error)
                paired.append(abs(error))
        return dataclasses.replace(_score(count, absolute, squared), errors=tuple(paired))


def _score(count: int, absolute: Sequence[float], squared: Sequence[float]) -> Score:
    n = len(absolute)
    if n == 0:
        return Score(count=count, covered=0, mae=None, rmse=None)
    return Score(
        count=count,
        covered=n,
        mae=math.fsum(absolute) / n,
        rmse=math.sqrt(math.fsum(squared) / n),
    )
