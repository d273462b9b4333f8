"""``plexrate evaluate`` and ``plexrate tune`` against the emulator: read-only, stable JSON, and
the same figures as the core computes from the same library."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import Emulator, generate_library
from plexrate.emulator.offline import snapshot_of
from plexrate.engine import EngineConfig, InferenceModel
from plexrate.evaluate import Baseline, CrossValidation, FillPath, settings_values
from plexrate.settings import load_settings
from tests.support.cli import NO_WAITING, PLAIN, PlexrateCli, plexrate_in

pytestmark = pytest.mark.integration

TRACKS, SEED = 2000, 3
EVALUATE_KEYS = {
    "schema_version",
    "command",
    "library",
    "scale",
    "folds",
    "seed",
    "stratified",
    "filler_included",
    "settings",
    "manual_tracks",
    "evaluated",
    "filler_evaluated",
    "prior",
    "plexrate",
    "baselines",
    "paths",
    "filler",
    "calibration",
    "per_fold",
    "unrated",
}
METRIC_KEYS = {"count", "covered", "coverage", "mae", "rmse", "bias", "within_half_star"}
TUNE_KEYS = {
    "schema_version",
    "command",
    "library",
    "scale",
    "folds",
    "seed",
    "stratified",
    "filler_included",
    "evaluated",
    "search",
    "objective",
    "grid",
    "rounds",
    "evaluations",
    "current",
    "best",
    "improvement",
    "changed",
    "steps",
    "written",
}


@pytest.fixture(scope="module")
def expected() -> CrossValidation:
    """The core's cross-validation of the library the emulator serves."""
    snapshot = snapshot_of(generate_library(tracks=TRACKS, seed=SEED))
    return CrossValidation(snapshot, owned={}, config=EngineConfig())


@pytest.fixture
def emulator(emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory(tracks=TRACKS, seed=SEED)


@pytest.fixture
def cli(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlexrateCli:
    return plexrate_in(
        tmp_path,
        emulator,
        monkeypatch,
        env={**NO_WAITING, **PLAIN},
    )


def assert_read_only(emulator: Emulator, tmp_path: Path) -> None:
    stats = emulator.stats()
    assert stats.writes == 0
    assert stats.ratings_written == 0
    assert all(record.method == "GET" for record in emulator.requests())
    assert not (tmp_path / "state.sqlite").exists()


def test_evaluate_json_has_the_documented_schema_and_the_cores_figures(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path, expected: CrossValidation
) -> None:
    result = cli.invoke("evaluate", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == EVALUATE_KEYS
    assert document["command"] == "evaluate"
    assert document["library"] == {"title": "Music", "uuid": emulator.section_uuid}
    assert (document["folds"], document["seed"], document["stratified"]) == (5, 1, False)
    assert document["settings"] == settings_values(EngineConfig())
    assert set(document["plexrate"]) == METRIC_KEYS
    assert set(document["baselines"]) == {b.value for b in Baseline}

    core = expected.run(EngineConfig())
    overall = core.overall()
    assert document["manual_tracks"] == core.manual_tracks == len(expected.manual)
    assert document["evaluated"] == len(core.predictions)
    assert document["prior"] == round(core.prior, 6)
    assert document["plexrate"]["mae"] == round(overall.mae or 0.0, 6)
    assert document["plexrate"]["rmse"] == round(overall.rmse or 0.0, 6)
    assert document["plexrate"]["coverage"] == 1.0
    library_mean = document["baselines"]["library-mean"]
    assert library_mean["mae"] == round(core.baseline(Baseline.LIBRARY_MEAN).mae or 0.0, 6)
    assert library_mean["mae"] - document["plexrate"]["mae"] > 0.15
    assert document["baselines"]["album-mean"]["fallbacks"] == core.fallbacks(Baseline.ALBUM_MEAN)
    paths = {entry["path"]: entry for entry in document["paths"]}
    assert list(paths) == [p.value for p in core.by_path()]
    assert sum(entry["count"] for entry in document["paths"]) == document["evaluated"]
    album_tracks = paths[FillPath.ALBUM_TRACKS.value]
    assert set(album_tracks) == METRIC_KEYS | {"path", "share", "baselines"}
    assert sum(row["count"] for row in document["calibration"]) == document["evaluated"]
    assert [row["bucket"] for row in document["calibration"]] == sorted(
        row["bucket"] for row in document["calibration"]
    )
    assert [fold["fold"] for fold in document["per_fold"]] == [1, 2, 3, 4, 5]
    # Every track the person did not rate, counted once per method by the evidence it uses.
    unrated = document["unrated"]
    fills = core.fills
    assert fills is not None
    snapshot = expected.snapshot
    assert unrated["tracks"] == fills.unrated == len(snapshot.tracks) - len(expected.manual)
    assert 0 < unrated["on_unrated_albums"] < unrated["tracks"]
    assert set(unrated["filled_from"]) == {"plexrate", *(b.value for b in Baseline)}
    for levels in unrated["filled_from"].values():
        assert sum(levels.values()) == unrated["tracks"]
    assert unrated["filled_from"]["library-mean"]["none"] == unrated["tracks"]
    plexrate = unrated["filled_from"]["plexrate"]
    assert plexrate["unfilled"] == 0
    assert plexrate["none"] > 0 and plexrate["album"] > 0 and plexrate["copies"] > 0
    assert_read_only(emulator, tmp_path)


def test_evaluate_prints_tables_on_stdout_and_a_summary_on_stderr(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path, expected: CrossValidation
) -> None:
    result = cli.invoke("evaluate", "--folds", "5")

    assert result.exit_code == 0, result.output
    mae = expected.run(EngineConfig()).overall().mae or 0.0
    rows = [line for line in result.stdout.splitlines() if line.startswith("plexrate ")]
    assert len(rows) == 2
    assert f"{mae:.3f}" in rows[0]
    fills = expected.run(EngineConfig()).fills
    assert fills is not None
    assert f"{fills.methods['plexrate']['none']:,}" in rows[1]
    for title in (
        "Accuracy on your hidden ratings",
        "How plexrate filled the hidden tracks",
        "Calibration",
        "library mean",
        "album's other rated tracks",
        f"What your {fills.unrated:,} unrated tracks would be filled from (hierarchical)",
    ):
        assert title in result.stdout
    assert "Nothing was written." in result.stderr
    assert f"plexrate is off by {mae:.3f}★ on average" in result.stderr
    stderr = " ".join(result.stderr.split())
    assert "What this cannot see" in stderr
    assert f"{fills.on_unrated_albums:,} (" in stderr
    assert_read_only(emulator, tmp_path)


def test_evaluate_leaves_an_existing_state_file_untouched_and_skips_owned_ratings(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path, expected: CrossValidation
) -> None:
    applied = cli.invoke("run", "--apply", "--yes", "--quiet")
    assert applied.exit_code == 0, applied.output
    state = tmp_path / "state.sqlite"
    before = state.read_bytes()
    emulator.reset_stats()

    result = cli.invoke("evaluate", "--json", "--no-filler", "--stratify", "--seed", "9")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # What plexrate wrote is owned, so only the person's own ratings are evaluated.
    assert document["manual_tracks"] == len(expected.manual)
    assert document["filler_included"] is False
    assert document["filler_evaluated"] == 0
    assert document["stratified"] is True
    assert set(document["filler"]) == {"other"}
    assert emulator.stats().writes == 0
    assert state.read_bytes() == before


def test_tune_json_reports_current_and_best_and_writes_nothing(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From the classic model, which the generated libraries show to be the worse one.
    monkeypatch.setenv("PLEXRATE_INFERENCE_MODEL", "classic")
    result = cli.invoke("tune", "--json", "--folds", "3")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == TUNE_KEYS
    assert (document["search"], document["objective"], document["grid"]) == (
        "coordinate-descent",
        "mae",
        "quick",
    )
    current, best = document["current"], document["best"]
    classic = EngineConfig(inference_model=InferenceModel.CLASSIC)
    assert current["settings"] == settings_values(classic)
    assert best["mae"] <= current["mae"]
    assert document["improvement"]["mae"] == pytest.approx(current["mae"] - best["mae"], abs=2e-6)
    assert document["changed"] == [
        key for key in current["settings"] if current["settings"][key] != best["settings"][key]
    ]
    assert "INFERENCE_MODEL" in document["changed"], "classic is not the better model here"
    assert [step["setting"] for step in document["steps"]]
    assert document["steps"][-1]["mae"] == best["mae"]
    assert document["written"] is None
    assert_read_only(emulator, tmp_path)


def test_tune_write_updates_only_the_tuned_keys_of_the_config_file(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.env["PLEXRATE_PLEX_URL"] = None
    original: dict[str, Any] = {
        "PLEX_URL": emulator.url,
        "LIBRARY_NAME": "Music",
        "INFERENCE_MODEL": "classic",
        "CONFIDENCE_C": 3.0,
        "TWIN_LOGIC": {"ENABLED": True},
        "DRY_RUN": True,
    }
    config = tmp_path / "config.json"
    config.write_text(json.dumps(original, indent=2), encoding="utf-8")

    result = cli.invoke("tune", "--json", "--folds", "3", "--write")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    written = document["written"]
    assert written["path"] == str(config.resolve())
    backup = Path(written["backup"])
    assert backup.parent == config.parent.resolve()
    assert json.loads(backup.read_text(encoding="utf-8")) == original
    updated = json.loads(config.read_text(encoding="utf-8"))
    best = document["best"]["settings"]
    assert written["keys"] == document["changed"]
    for key in document["changed"]:
        assert updated[key] == best[key]
    untouched = {k: v for k, v in updated.items() if k not in document["changed"]}
    assert untouched == {k: v for k, v in original.items() if k not in document["changed"]}
    settings = load_settings(config_path=config, environ={}).settings
    assert settings_values(settings.engine_config()) == best
    assert_read_only(emulator, tmp_path)


def test_tune_write_without_a_config_file_stops_before_reading_the_library(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path
) -> None:
    result = cli.invoke("tune", "--write")

    assert result.exit_code == 3
    assert "none was read" in result.stderr
    assert emulator.stats().requests == 0


def test_more_folds_than_ratings_is_a_usage_error(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path
) -> None:
    result = cli.invoke("evaluate", "--folds", "100", "--no-filler")
    assert result.exit_code == 0, result.output

    tiny = emulator_with_few_ratings(emulator)
    result = cli.invoke("evaluate", "--folds", str(tiny + 1))

    assert result.exit_code == 2
    assert f"{tiny:,} manual track ratings; cross-validation with {tiny + 1} folds" in (
        result.stderr
    )
    assert_read_only(emulator, tmp_path)


def emulator_with_few_ratings(emulator: Emulator) -> int:
    """Clear all but three of the served track ratings (in memory, not through the API)."""
    kept = 0
    for track in emulator.library.default_section.tracks:
        if track.user_rating is None:
            continue
        if kept < 3:
            kept += 1
        else:
            track.user_rating = None
    return kept


def test_both_commands_in_a_real_process_match_the_in_process_output(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path
) -> None:
    for args in (["evaluate", "--json", "--seed", "4"], ["tune", "--json", "--folds", "3"]):
        proc = cli.run(*args)
        assert proc.exit_code == 0, proc.stderr
        assert proc.stderr == ""
        in_process = cli.invoke(*args)
        assert json.loads(proc.stdout) == json.loads(in_process.stdout)
    assert_read_only(emulator, tmp_path)


def test_tune_write_warns_when_the_environment_overrides_the_file(
    cli: PlexrateCli, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLEXRATE_INFERENCE_MODEL", "classic")
    config = tmp_path / "config.json"
    config.write_text('{"inference_model": "classic"}\n', encoding="utf-8")

    result = cli.invoke("tune", "--folds", "3", "--write")

    assert result.exit_code == 0, result.output
    assert json.loads(config.read_text(encoding="utf-8"))["inference_model"] == "hierarchical"
    stderr = " ".join(result.stderr.split())
    assert "INFERENCE_MODEL is set by PLEXRATE_INFERENCE_MODEL" in stderr
    assert "Saved inference_model" in stderr


def test_evaluate_tables_fit_80_columns_with_no_cell_cut_short(
    cli: PlexrateCli, emulator: Emulator
) -> None:
    result = cli.invoke("evaluate", "--folds", "5", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    assert any(line.startswith("library mean") for line in lines)
