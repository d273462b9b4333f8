"""``plexrate evaluate`` and ``plexrate tune``: how good the inferred ratings are, measured on the
person's own manual ratings, and which settings would make them better.

Both only read: one snapshot through ``read_session``, nothing sent to Plex but its listings,
the StateStore opened read-only. ``tune --write`` changes the config file and nothing else.
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from plexrate.cli.context import AppContext, get_app
from plexrate.cli.options import ConfigOpt, JsonOpt, LibraryOpt, QuietOpt
from plexrate.cli.write_flow import read_session

if TYPE_CHECKING:
    from plexrate.configedit import ConfigUpdate
    from plexrate.engine import EngineConfig
    from plexrate.evaluate import CrossValidation, Evaluation, Metrics, Score, TuneResult

evaluate_app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]})

SCALE = (
    "ratings (prior, bucket, mean_true, mean_predicted) are on Plex's 0-10 scale (stars x 2); "
    "errors (mae, rmse, bias) are in stars"
)


EVALUATE_HELP = "\n\n".join(
    (
        "Measure how close plexrate's inferred ratings come to yours, by cross-validation.",
        "Your manual track ratings are split into seeded folds. Each fold in turn is hidden, "
        "plexrate infers those tracks from the rest (in memory), and its values are compared "
        "with yours: mean absolute error and RMSE in stars, the share within half a star, a "
        "calibration table, and the same figures for three simple baselines (library mean, "
        "album mean, artist mean). The errors are also split by how plexrate filled each track.",
        "Nothing is written to Plex or to the state file.",
        "Example: plexrate evaluate --folds 5 --seed 1",
    )
)
TUNE_HELP = "\n\n".join(
    (
        "Search the inference settings for the ones that reproduce your ratings best.",
        "INFERENCE_MODEL, CONFIDENCE_C and, for the classic model, WEIGHT_CRITIC, BIAS_CRITIC, "
        "ALBUM_ and TRACK_INHERITANCE_GRAVITY and ARTIST_EVIDENCE are tried over a fixed grid "
        "of values by coordinate descent, each scored by the cross-validation of `plexrate "
        "evaluate` on the same folds: the lowest mean absolute error wins, if it beats the "
        "current one by more than twice its standard error (so no setting wins on noise); RMSE "
        "breaks ties. The best settings are printed next to the current ones with their errors.",
        "Nothing is written to Plex or to the state file. --write saves the best settings to the "
        "config file they came from: only those keys change, and a backup is kept beside it.",
        "Example: plexrate tune --grid quick --write",
    )
)


class GridChoice(StrEnum):
    QUICK = "quick"
    FULL = "full"


FoldsOpt = Annotated[
    int,
    typer.Option(
        "--folds",
        min=2,
        max=100,
        metavar="K",
        help="Split your manual track ratings into K folds; each is hidden once.",
    ),
]
SeedOpt = Annotated[
    int,
    typer.Option(
        "--seed", metavar="N", help="Seed of the random split (the same seed, the same folds)."
    ),
]
StratifyOpt = Annotated[
    bool,
    typer.Option(
        "--stratify", help="Give every fold the same mix of true ratings (per half star)."
    ),
]
FillerOpt = Annotated[
    bool,
    typer.Option(
        "--filler/--no-filler",
        help="Hide and score filler tracks too (intros, skits, short tracks): plexrate rates "
        "those as well, so they count by default.",
    ),
]
GridOpt = Annotated[
    GridChoice,
    typer.Option(
        "--grid",
        help="The candidate values to search: quick (about half a minute on 50,000 tracks) or "
        "full (finer, about twice as long).",
    ),
]
WriteOpt = Annotated[
    bool,
    typer.Option(
        "--write",
        help="Save the best settings to the config file they came from (a timestamped backup "
        "is kept beside it).",
    ),
]

_PATH_LABELS = {
    "album-tracks": "album's other rated tracks",
    "manual-album": "album you rated (gravity)",
    "artist": "artist's rating or other albums",
    "prior": "prior only (no evidence)",
    "twins": "copies of the recording (twins)",
    "kept": "value kept from an earlier run",
    "unfilled": "left unrated",
}
_LEVEL_LABELS = {
    "copies": "Copies you rated",
    "album": "Album",
    "artist": "Artist",
    "none": "Nothing of yours",
    "unfilled": "Left unrated",
}
_BASELINE_LABELS = {
    "library-mean": "library mean",
    "album-mean": "album mean",
    "artist-mean": "artist mean",
}


# ------------------------------------------------------------------------------------------------
# Commands


@evaluate_app.command("evaluate", help=EVALUATE_HELP)
def evaluate_command(
    ctx: typer.Context,
    *,
    folds: FoldsOpt = 5,
    seed: SeedOpt = 1,
    stratify: StratifyOpt = False,
    filler: FillerOpt = True,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    app = get_app(ctx)
    from plexrate.cli.progress import progress_for
    from plexrate.evaluate.usecases import Sampling, evaluate_library

    started = time.monotonic()
    with (
        progress_for(app.err, quiet=quiet, json_output=json_output) as progress,
        read_session(
            app,
            command="evaluate",
            config=config,
            library=library,
            quiet=quiet,
            json_output=json_output,
            progress=progress,
        ) as session,
    ):
        sampling = Sampling(folds=folds, seed=seed, stratify=stratify, filler=filler)
        evaluated = evaluate_library(session, sampling, warn=app.warn, progress=progress)
    evaluation, library_info = evaluated.evaluation, evaluated.library
    seconds = time.monotonic() - started

    if json_output:
        from plexrate.cli.plan_output import print_json

        document = {"command": "evaluate", "library": library_info, **evaluation_dict(evaluation)}
        print_json(app.out, json.dumps(document, ensure_ascii=False))
        return
    for table in evaluation_tables(evaluation):
        app.out.print(table)
    if not quiet:
        for line in evaluation_summary(evaluation, seconds=seconds):
            app.err.print(line)


@evaluate_app.command("tune", help=TUNE_HELP)
def tune_command(
    ctx: typer.Context,
    *,
    grid: GridOpt = GridChoice.QUICK,
    write: WriteOpt = False,
    folds: FoldsOpt = 5,
    seed: SeedOpt = 1,
    stratify: StratifyOpt = False,
    filler: FillerOpt = True,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    app = get_app(ctx)
    from plexrate.cli.progress import progress_for
    from plexrate.errors import ConfigError
    from plexrate.evaluate import GridName
    from plexrate.evaluate.usecases import Sampling, tune_library

    app.load_settings(config, {"library_name": library})
    config_path = app.loaded.config_path if app.loaded is not None else None
    if write and config_path is None:
        raise ConfigError(
            "tune --write saves to the config file the settings came from, and none was read",
            hint="pass --config PATH, or create ./config.json with `plexrate config init`",
        )
    started = time.monotonic()
    with (
        progress_for(app.err, quiet=quiet, json_output=json_output) as progress,
        read_session(
            app,
            command="tune",
            config=config,
            library=library,
            quiet=quiet,
            json_output=json_output,
            progress=progress,
        ) as session,
    ):
        sampling = Sampling(folds=folds, seed=seed, stratify=stratify, filler=filler)
        tuned = tune_library(
            session, sampling, grid=GridName(grid.value), warn=app.warn, progress=progress
        )
    result, cv, library_info = tuned.result, tuned.cv, tuned.library
    seconds = time.monotonic() - started

    update = None
    if write and config_path is not None and result.changed():
        update = _write_best(app, result, config_path, quiet=quiet)

    if json_output:
        from plexrate.cli.plan_output import print_json

        document = {
            "command": "tune",
            "library": library_info,
            **tune_dict(result, cv, update=update),
        }
        print_json(app.out, json.dumps(document, ensure_ascii=False))
        return
    app.out.print(tune_table(result))
    if not quiet:
        for line in tune_summary(result, cv, seconds=seconds, write=write, update=update):
            app.err.print(line)


# ------------------------------------------------------------------------------------------------
# Shared steps


def _write_best(app: AppContext, result: TuneResult, path: Path, *, quiet: bool) -> ConfigUpdate:
    from plexrate.configedit import update_config

    best = _json_settings(result.best)
    changed = result.changed()
    update = update_config(path, {t.setting: best[t.key] for t in changed})
    sources = app.loaded.sources if app.loaded is not None else {}
    for tunable in changed:
        source = sources.get(tunable.setting)
        if source in ("env", "flag") and not quiet:
            app.warn(
                f"{tunable.key} is set by PLEXRATE_{tunable.key}, which overrides the "
                "config file; unset it for the new value to take effect."
            )
    return update


def _json_settings(config: EngineConfig) -> dict[str, Any]:
    from plexrate.evaluate import settings_values

    return settings_values(config)


# ------------------------------------------------------------------------------------------------
# JSON


def _num(value: float | None) -> float | None:
    # Six decimals: the figures stay exact enough to compare and free of binary noise.
    return None if value is None else round(value, 6)


def metrics_dict(metrics: Metrics) -> dict[str, Any]:
    return {
        "count": metrics.count,
        "covered": metrics.covered,
        "coverage": _num(metrics.coverage),
        "mae": _num(metrics.mae),
        "rmse": _num(metrics.rmse),
        "bias": _num(metrics.bias),
        "within_half_star": _num(metrics.within_half),
    }


def evaluation_dict(evaluation: Evaluation) -> dict[str, Any]:
    from plexrate.evaluate import Baseline

    overall = evaluation.overall()
    total = len(evaluation.predictions)
    paths = []
    for path, (metrics, baselines) in evaluation.by_path().items():
        paths.append(
            {
                "path": path.value,
                "share": _num(metrics.count / total if total else None),
                **metrics_dict(metrics),
                "baselines": {b.value: _num(m.mae) for b, m in baselines.items()},
            }
        )
    split = evaluation.filler_split()
    return {
        "scale": SCALE,
        "folds": evaluation.folds,
        "seed": evaluation.seed,
        "stratified": evaluation.stratified,
        "filler_included": evaluation.include_filler,
        "settings": _json_settings(evaluation.config),
        "manual_tracks": evaluation.manual_tracks,
        "evaluated": total,
        "filler_evaluated": sum(1 for p in evaluation.predictions if p.filler),
        "prior": _num(evaluation.prior),
        "plexrate": metrics_dict(overall),
        "baselines": {
            b.value: {**metrics_dict(evaluation.baseline(b)), "fallbacks": evaluation.fallbacks(b)}
            for b in Baseline
        },
        "paths": paths,
        "filler": {("filler" if flag else "other"): metrics_dict(m) for flag, m in split.items()},
        "calibration": [
            {
                "bucket": row.bucket,
                "count": row.count,
                "covered": row.covered,
                "mean_true": _num(row.mean_true),
                "mean_predicted": _num(row.mean_predicted),
                "mae": _num(row.mae),
            }
            for row in evaluation.calibration()
        ],
        "per_fold": [
            {"fold": number, **metrics_dict(metrics)}
            for number, metrics in enumerate(evaluation.per_fold(), start=1)
        ],
        "unrated": _fills_dict(evaluation),
    }


def _fills_dict(evaluation: Evaluation) -> dict[str, Any] | None:
    fills = evaluation.fills
    if fills is None:
        return None
    return {
        "tracks": fills.unrated,
        "on_unrated_albums": fills.on_unrated_albums,
        "filled_from": {method: dict(levels) for method, levels in fills.methods.items()},
    }


def _score_dict(score: Score) -> dict[str, Any]:
    return {
        "count": score.count,
        "covered": score.covered,
        "mae": _num(score.mae),
        "rmse": _num(score.rmse),
    }


def tune_dict(
    result: TuneResult, cv: CrossValidation, *, update: ConfigUpdate | None
) -> dict[str, Any]:
    from plexrate.evaluate import json_value, tunable

    start, best = result.start_score, result.best_score
    improvement: dict[str, Any] = {"mae": None, "rmse": None, "mae_percent": None}
    if start.mae is not None and best.mae is not None:
        improvement["mae"] = _num(start.mae - best.mae)
        improvement["mae_percent"] = _num(
            100.0 * (start.mae - best.mae) / start.mae if start.mae else 0.0
        )
    if start.rmse is not None and best.rmse is not None:
        improvement["rmse"] = _num(start.rmse - best.rmse)
    return {
        "scale": SCALE,
        "folds": len(cv.folds),
        "seed": cv.seed,
        "stratified": cv.stratified,
        "filler_included": cv.include_filler,
        "evaluated": len(cv.evaluated),
        "search": "coordinate-descent",
        "objective": "mae",
        "grid": result.grid,
        "rounds": result.rounds,
        "evaluations": result.evaluations,
        "current": {"settings": _json_settings(result.start), **_score_dict(start)},
        "best": {"settings": _json_settings(result.best), **_score_dict(best)},
        "improvement": improvement,
        "changed": [t.key for t in result.changed()],
        "steps": [
            {
                "round": step.round,
                "setting": tunable(step.field).key,
                "value": json_value(step.value),
                "mae": _num(step.score.mae),
                "rmse": _num(step.score.rmse),
            }
            for step in result.steps
        ],
        "written": None
        if update is None
        else {"path": str(update.path), "backup": str(update.backup), "keys": list(update.keys)},
    }


# ------------------------------------------------------------------------------------------------
# Tables and summaries


def _err(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100.0 * value:.1f} %"


def _signed(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:+.3f}"
    return "0.000" if text[1:] == "0.000" else text


def _table(title: str, label: str, figures: tuple[str, ...]) -> Table:
    """A table with a text column, then right-aligned figure columns.

    Without vertical rules, so that nine columns fit 80 terminal columns with no cell cut short
    (issue 19: "Predict…", "Libra…"); the figures never wrap, the labels do.
    """
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0)
    )
    table.add_column(label, min_width=12)
    for name in figures:
        # A header of several words stacks them, so the column is as wide as its figures.
        table.add_column(name.replace(" ", "\n"), justify="right", no_wrap=True)
    return table


def evaluation_tables(evaluation: Evaluation) -> list[Table]:
    from plexrate.evaluate import Baseline
    from plexrate.wording import stars

    accuracy = _table(
        "Accuracy on your hidden ratings (errors in stars)",
        "Predictor",
        ("Tracks", "Coverage", "MAE", "RMSE", "Within ½★", "Bias", "Fell back"),
    )

    def metric_cells(metrics: Metrics) -> list[str]:
        return [
            f"{metrics.count:,}",
            _share(metrics.coverage),
            _err(metrics.mae),
            _err(metrics.rmse),
            _share(metrics.within_half),
            _signed(metrics.bias),
        ]

    accuracy.add_row("plexrate", *metric_cells(evaluation.overall()), "")
    for baseline in Baseline:
        accuracy.add_row(
            _BASELINE_LABELS[baseline.value],
            *metric_cells(evaluation.baseline(baseline)),
            f"{evaluation.fallbacks(baseline):,}",
        )

    paths = _table(
        "How plexrate filled the hidden tracks",
        "Filled from",
        (
            "Tracks",
            "Share",
            "MAE",
            "RMSE",
            "Within ½★",
            "Bias",
            "Album mean MAE",
            "Library mean MAE",
        ),
    )
    total = len(evaluation.predictions)
    for path, (metrics, baselines) in evaluation.by_path().items():
        paths.add_row(
            _PATH_LABELS.get(path.value, path.value),
            f"{metrics.count:,}",
            _share(metrics.count / total if total else None),
            _err(metrics.mae),
            _err(metrics.rmse),
            _share(metrics.within_half),
            _signed(metrics.bias),
            _err(baselines[Baseline.ALBUM_MEAN].mae),
            _err(baselines[Baseline.LIBRARY_MEAN].mae),
        )
    split = evaluation.filler_split()
    if True in split:
        paths.add_section()
        for flag, metrics in split.items():
            paths.add_row(
                "filler tracks" if flag else "other tracks",
                f"{metrics.count:,}",
                _share(metrics.count / total if total else None),
                _err(metrics.mae),
                _err(metrics.rmse),
                _share(metrics.within_half),
                _signed(metrics.bias),
                "",
                "",
            )

    calibration = Table(title="Calibration: plexrate's mean value per true rating")
    for name in ("Your rating", "Tracks", "Mean true", "Mean inferred", "MAE"):
        calibration.add_column(name, justify="right")
    for row in evaluation.calibration():
        calibration.add_row(
            stars(row.bucket),
            f"{row.count:,}",
            stars(row.mean_true),
            stars(row.mean_predicted),
            _err(row.mae),
        )
    tables = [accuracy, paths, calibration]
    fills = evaluation.fills
    if fills is not None and fills.unrated:
        from plexrate.evaluate import LEVELS

        model = evaluation.config.inference_model.value
        filled = _table(
            f"What your {fills.unrated:,} unrated tracks would be filled from ({model})",
            "Method",
            tuple(_LEVEL_LABELS[level] for level in LEVELS),
        )
        for method, levels in fills.methods.items():
            name = "plexrate" if method == "plexrate" else _BASELINE_LABELS[method]
            filled.add_row(name, *(f"{levels[level]:,}" for level in LEVELS))
        tables.append(filled)
    return tables


def evaluation_summary(evaluation: Evaluation, *, seconds: float) -> list[str]:
    from plexrate.evaluate import Baseline
    from plexrate.wording import stars

    overall = evaluation.overall()
    library_mean = evaluation.baseline(Baseline.LIBRARY_MEAN)
    filler = "filler included" if evaluation.include_filler else "filler left out"
    lines = [
        f"Hid {len(evaluation.predictions):,} of {evaluation.manual_tracks:,} manual track "
        f"ratings in {evaluation.folds} folds (seed {evaluation.seed}, {filler}); "
        f"μ = {stars(evaluation.prior)}; {seconds:.1f}s. Nothing was written."
    ]
    if overall.mae is not None and library_mean.mae is not None:
        lines.append(
            f"plexrate is off by {overall.mae:.3f}★ on average "
            f"(the library mean: {library_mean.mae:.3f}★)."
        )
    fills = evaluation.fills
    if fills is not None and fills.unrated:
        share = 100.0 * fills.on_unrated_albums / fills.unrated
        lines.append(
            "What this cannot see: it scores tracks you rated, which sit on albums you rated. "
            f"Of the {fills.unrated:,} tracks you did not rate, {fills.on_unrated_albums:,} "
            f"({share:.0f} %) are on albums where you rated nothing, and people rate what they "
            "like, so the tracks left unrated are likely worse than the ones hidden here. "
            "docs/inference.md §9 measures that part on generated libraries."
        )
    return lines


def tune_table(result: TuneResult) -> Table:
    current, best = _json_settings(result.start), _json_settings(result.best)
    table = Table(title=f"Settings: current and best found ({result.grid} grid)")
    table.add_column("Setting")
    table.add_column("Current", justify="right")
    table.add_column("Best", justify="right")
    for key, value in current.items():
        changed = best[key] != value
        shown = _setting(best[key])
        table.add_row(key, _setting(value), f"[bold]{shown}[/]" if changed else shown)
    table.add_section()
    table.add_row("MAE (★)", _err(result.start_score.mae), _err(result.best_score.mae))
    table.add_row("RMSE (★)", _err(result.start_score.rmse), _err(result.best_score.rmse))
    return table


def _setting(value: Any) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def tune_summary(
    result: TuneResult,
    cv: CrossValidation,
    *,
    seconds: float,
    write: bool,
    update: ConfigUpdate | None,
) -> list[str]:
    lines = [
        f"Scored {result.evaluations:,} combinations of settings in {result.rounds} round"
        f"{'s' if result.rounds != 1 else ''} (coordinate descent, {result.grid} grid) on "
        f"{len(cv.evaluated):,} hidden ratings, {len(cv.folds)} folds, seed {cv.seed}; "
        f"{seconds:.1f}s."
    ]
    start, best = result.start_score, result.best_score
    if not result.changed():
        lines.append("Your current settings are the best found; nothing to change.")
        return lines
    if start.mae is not None and best.mae is not None and start.mae > 0:
        gain = start.mae - best.mae
        lines.append(
            f"The best settings lower the mean error by {gain:.3f}★ "
            f"({100.0 * gain / start.mae:.1f} %)."
        )
    if update is not None:
        lines.append(f"Saved {', '.join(update.keys)} to {update.path} (backup: {update.backup}).")
    elif not write:
        lines.append("Nothing was written; add --write to save them to your config file.")
    return lines
