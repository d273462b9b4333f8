"""Search the inference settings for the lowest cross-validated error.

Coordinate descent over a fixed list of candidate values per setting: starting from the current
settings, each setting in turn is tried at every candidate while the others stay at the best found
so far, and the best candidate is kept; rounds repeat until one changes nothing or the grid's
round limit is reached. Every setting combination is scored once (cached), and the current
settings are always among the candidates, so the result is never worse than where it started.

The objective is ``Score.beats``: coverage, then MAE (a gain must exceed twice its paired
standard error), then RMSE on the same folds. INFERENCE_MODEL is searched like any setting; the
settings only the classic formulas read are skipped while the model is hierarchical (they would
change nothing), and the hierarchical model fits its own critic calibration and variances.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plexrate.engine import ArtistEvidence, EngineConfig, InferenceModel
from plexrate.evaluate.crossval import CrossValidation, Score
from plexrate.progress import NULL_PROGRESS, Progress

Value = float | ArtistEvidence | InferenceModel


@dataclass(frozen=True, slots=True)
class Tunable:
    field: str
    """The ``EngineConfig`` field."""
    setting: str
    """The ``Settings`` field (snake_case config key)."""

    @property
    def key(self) -> str:
        """The key as the old tool's config.json spells it."""
        return self.setting.upper()


TUNABLES: tuple[Tunable, ...] = (
    Tunable("inference_model", "inference_model"),
    Tunable("confidence_c", "confidence_c"),
    Tunable("weight_critic", "weight_critic"),
    Tunable("bias_critic", "bias_critic"),
    Tunable("album_gravity", "album_inheritance_gravity"),
    Tunable("track_gravity", "track_inheritance_gravity"),
    Tunable("artist_evidence", "artist_evidence"),
)
"""The settings ``tune`` searches, in the order each round visits them."""

_EVIDENCE = (ArtistEvidence.DERIVED, ArtistEvidence.MANUAL)
_MODELS = (InferenceModel.HIERARCHICAL, InferenceModel.CLASSIC)
CLASSIC_ONLY = frozenset(
    {"weight_critic", "bias_critic", "album_gravity", "track_gravity", "artist_evidence"}
)
"""Settings the hierarchical model does not read (CONFIDENCE_C stays: its fallback variance)."""


class GridName(StrEnum):
    QUICK = "quick"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class Grid:
    name: str
    candidates: Mapping[str, tuple[Value, ...]]
    """``EngineConfig`` field → the values to try (the current value is always added)."""
    max_rounds: int


GRIDS: dict[GridName, Grid] = {
    GridName.QUICK: Grid(
        name=GridName.QUICK.value,
        candidates={
            "inference_model": _MODELS,
            "confidence_c": (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0),
            "weight_critic": (0.0, 0.5, 1.0, 3.0, 6.0),
            "bias_critic": (-2.0, 0.0, 1.5, 3.0),
            "album_gravity": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
            "track_gravity": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
            "artist_evidence": _EVIDENCE,
        },
        max_rounds=3,
    ),
    GridName.FULL: Grid(
        name=GridName.FULL.value,
        candidates={
            "inference_model": _MODELS,
            "confidence_c": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0),
            "weight_critic": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0),
            "bias_critic": (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0),
            "album_gravity": tuple(round(0.1 * i, 1) for i in range(11)),
            "track_gravity": tuple(round(0.1 * i, 1) for i in range(11)),
            "artist_evidence": _EVIDENCE,
        },
        max_rounds=4,
    ),
}


def tuned_values(config: EngineConfig) -> dict[str, Value]:
    """The tuned settings of ``config`` by ``EngineConfig`` field, in ``TUNABLES`` order."""
    values: dict[str, Value] = {}
    for tunable in TUNABLES:
        values[tunable.field] = getattr(config, tunable.field)
    return values


def settings_values(config: EngineConfig) -> dict[str, Any]:
    """The tuned settings as config.json keys and JSON values: ``{"CONFIDENCE_C": 3.0, …}``."""
    out: dict[str, Any] = {}
    for tunable in TUNABLES:
        out[tunable.key] = json_value(getattr(config, tunable.field))
    return out


def json_value(value: Value) -> str | float:
    """A tuned value as config.json holds it."""
    return value.value if isinstance(value, ArtistEvidence | InferenceModel) else float(value)


def candidates(grid: Grid, tunable: Tunable, config: EngineConfig) -> tuple[Value, ...]:
    """The values to try for one setting: the grid's, plus the current one, without values the
    settings would refuse (WEIGHT_CRITIC 0 while WEIGHT_GLOBAL is 0 leaves the prior undefined)."""
    current: Value = getattr(config, tunable.field)
    values = list(grid.candidates.get(tunable.field, ()))
    if current not in values:
        values.append(current)
    if tunable.field == "weight_critic" and config.weight_global == 0:
        values = [v for v in values if v != 0 or v == current]
    if tunable.field == "artist_evidence":
        return tuple(v for v in _EVIDENCE if v in values)
    if tunable.field == "inference_model":
        return tuple(v for v in _MODELS if v in values)
    if tunable.field in CLASSIC_ONLY and config.inference_model is not InferenceModel.CLASSIC:
        return (current,)
    return tuple(sorted(values, key=float))


@dataclass(frozen=True, slots=True)
class Step:
    """One accepted move of the search."""

    round: int
    field: str
    value: Value
    score: Score


@dataclass(frozen=True, slots=True)
class TuneResult:
    grid: str
    start: EngineConfig
    start_score: Score
    best: EngineConfig
    best_score: Score
    rounds: int
    evaluations: int
    """Distinct setting combinations scored (each is one ``infer`` per fold)."""
    steps: tuple[Step, ...]

    def changed(self) -> tuple[Tunable, ...]:
        return tuple(
            t for t in TUNABLES if getattr(self.start, t.field) != getattr(self.best, t.field)
        )


def tune(
    cv: CrossValidation,
    *,
    config: EngineConfig,
    grid: Grid = GRIDS[GridName.QUICK],
    progress: Progress = NULL_PROGRESS,
) -> TuneResult:
    """Coordinate descent from ``config`` over ``grid``, scored by ``cv``."""
    cache: dict[tuple[Value, ...], Score] = {}

    def score(candidate: EngineConfig) -> Score:
        signature = tuple(tuned_values(candidate).values())
        found = cache.get(signature)
        if found is None:
            found = cache[signature] = cv.score(candidate)
        return found

    start_score = score(config)
    best, best_score = config, start_score
    steps: list[Step] = []
    rounds = 0
    for round_number in range(1, grid.max_rounds + 1):
        rounds = round_number
        moved = False
        # Counted as if every setting were tried: a round that settles on the hierarchical
        # model skips the classic ones, and their share of the bar is advanced at once.
        widest = dataclasses.replace(best, inference_model=InferenceModel.CLASSIC)
        planned = {t.field: len(candidates(grid, t, widest)) for t in TUNABLES}
        with progress.task(f"Tuning, round {round_number}", total=sum(planned.values())) as task:
            for tunable in TUNABLES:
                before = getattr(best, tunable.field)
                tried = candidates(grid, tunable, best)
                for value in tried:
                    trial = with_value(best, tunable.field, value)
                    trial_score = score(trial)
                    if trial_score.beats(best_score):
                        best, best_score = trial, trial_score
                    task.advance(label=f"{tunable.key} {_shown(value)}")
                if planned[tunable.field] > len(tried):
                    task.advance(planned[tunable.field] - len(tried), label=tunable.key)
                after = getattr(best, tunable.field)
                if after != before:
                    moved = True
                    steps.append(Step(round_number, tunable.field, after, best_score))
        if not moved:
            break
    return TuneResult(
        grid=grid.name,
        start=config,
        start_score=start_score,
        best=best,
        best_score=best_score,
        rounds=rounds,
        evaluations=len(cache),
        steps=tuple(steps),
    )


def with_value(config: EngineConfig, field: str, value: Value) -> EngineConfig:
    """``config`` with one tuned setting changed."""
    changes: dict[str, Any] = {field: value}
    return dataclasses.replace(config, **changes)


def _shown(value: Value) -> str:
    return value.value if isinstance(value, ArtistEvidence | InferenceModel) else f"{value:g}"


def tunable(field: str) -> Tunable:
    for candidate in TUNABLES:
        if candidate.field == field:
            return candidate
    raise KeyError(field)
