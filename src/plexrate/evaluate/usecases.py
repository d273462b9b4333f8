"""The use cases of ``plexrate evaluate`` and ``plexrate tune``, over a read-only session.

Both hide some of the person's manual ratings, infer them back and score the result; ``tune``
does so for every combination of settings its grid names. ``warn`` hears, before any scoring,
that the state has lost track of plexrate's own ratings (the measure would then be unfair).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plexrate.engine import EngineConfig
from plexrate.evaluate.crossval import CrossValidation, Evaluation
from plexrate.evaluate.tune import GRIDS, GridName, TuneResult, tune
from plexrate.progress import NULL_PROGRESS, Progress
from plexrate.session import Session, tagged_unowned
from plexrate.usecase import library_of


@dataclass(frozen=True, kw_only=True)
class Sampling:
    """How the manual ratings are split into folds (``--folds``, ``--seed``, ...)."""

    folds: int = 5
    seed: int = 1
    stratify: bool = False
    filler: bool = True


@dataclass(kw_only=True)
class Evaluated:
    evaluation: Evaluation
    library: dict[str, str]


@dataclass(kw_only=True)
class Tuned:
    result: TuneResult
    cv: CrossValidation
    library: dict[str, str]


def evaluate_library(
    session: Session,
    sampling: Sampling,
    *,
    warn: Callable[[str], None],
    progress: Progress = NULL_PROGRESS,
) -> Evaluated:
    """Cross-validate the session's settings on the person's manual ratings."""
    config = session.settings.engine_config()
    cv = _cross_validation(session, config, sampling, warn=warn)
    evaluation = cv.run(config, progress=progress)
    return Evaluated(evaluation=evaluation, library=library_of(session.snapshot))


def tune_library(
    session: Session,
    sampling: Sampling,
    *,
    grid: GridName,
    warn: Callable[[str], None],
    progress: Progress = NULL_PROGRESS,
) -> Tuned:
    """Search ``grid`` for the settings that score best on the person's manual ratings."""
    config = session.settings.engine_config()
    cv = _cross_validation(session, config, sampling, warn=warn)
    result = tune(cv, config=config, grid=GRIDS[grid], progress=progress)
    return Tuned(result=result, cv=cv, library=library_of(session.snapshot))


def _cross_validation(
    session: Session,
    config: EngineConfig,
    sampling: Sampling,
    *,
    warn: Callable[[str], None],
) -> CrossValidation:
    unknown = tagged_unowned(session)
    if unknown and not session.store.ownership_built():
        # These are most likely plexrate's own earlier values; scored as the person's ratings
        # they would measure plexrate against itself.
        warn(
            f"{len(unknown):,} items carry the {session.settings.inferred_tag!r} tag but "
            "the state file does not record plexrate as their owner; their ratings count as "
            "yours here. Run `plexrate admin reconstruct` first for a fair measure."
        )
    return CrossValidation(
        session.snapshot,
        owned=session.owned(),
        config=config,
        folds=sampling.folds,
        seed=sampling.seed,
        stratify=sampling.stratify,
        include_filler=sampling.filler,
    )
