"""How good are the inferred ratings? Cross-validation on the person's own manual ratings.

Pure: takes a snapshot, the ownership record and settings, returns figures. ``CrossValidation``
splits the manual track ratings into seeded folds and runs the engine with each fold hidden;
``Evaluation`` holds every hidden rating with plexrate's value, how it got there and what simple
baselines guessed; ``tune`` searches the inference settings for the lowest error on the same
folds. The method is described in ``docs/evaluate.md``.
"""

from plexrate.evaluate.baselines import Baseline, Guess, baseline_guesses
from plexrate.evaluate.crossval import (
    DEFAULT_FOLDS,
    DEFAULT_SEED,
    CrossValidation,
    Evaluation,
    Prediction,
    Score,
)
from plexrate.evaluate.fills import LEVELS, UNFILLED, Fills, fills, fills_of
from plexrate.evaluate.folds import make_folds
from plexrate.evaluate.metrics import (
    CalibrationRow,
    Metrics,
    calibration,
    half_star_bucket,
    measure,
)
from plexrate.evaluate.paths import FillPath, PathFinder
from plexrate.evaluate.tune import (
    GRIDS,
    TUNABLES,
    Grid,
    GridName,
    Step,
    Tunable,
    TuneResult,
    candidates,
    json_value,
    settings_values,
    tunable,
    tune,
    tuned_values,
)

__all__ = [
    "DEFAULT_FOLDS",
    "DEFAULT_SEED",
    "GRIDS",
    "LEVELS",
    "TUNABLES",
    "UNFILLED",
    "Baseline",
    "CalibrationRow",
    "CrossValidation",
    "Evaluation",
    "FillPath",
    "Fills",
    "Grid",
    "GridName",
    "Guess",
    "Metrics",
    "PathFinder",
    "Prediction",
    "Score",
    "Step",
    "Tunable",
    "TuneResult",
    "baseline_guesses",
    "calibration",
    "candidates",
    "fills",
    "fills_of",
    "half_star_bucket",
    "json_value",
    "make_folds",
    "measure",
    "settings_values",
    "tunable",
    "tune",
    "tuned_values",
]
