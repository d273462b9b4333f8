"""docs/evaluate.md stays in step with the code: every JSON key, path, baseline and grid value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plexrate.cli.evaluate import evaluation_dict, tune_dict
from plexrate.engine import EngineConfig, InferenceModel
from plexrate.evaluate import GRIDS, Baseline, CrossValidation, FillPath, GridName, tune
from tests.evaluate.evalkit import generated

DOC = (Path(__file__).parents[2] / "docs" / "evaluate.md").read_text(encoding="utf-8")


def keys(document: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            found.add(key)
            found |= keys(value)
    elif isinstance(document, list):
        for item in document:
            found |= keys(item)
    return found


@pytest.fixture(scope="module")
def cv() -> CrossValidation:
    return CrossValidation(
        generated(1200, 2),
        owned={},
        config=EngineConfig(inference_model=InferenceModel.CLASSIC),
        folds=3,
    )


def test_every_json_key_is_documented(cv: CrossValidation) -> None:
    evaluation = evaluation_dict(cv.run(EngineConfig(inference_model=InferenceModel.CLASSIC)))
    tuned = tune_dict(
        tune(cv, config=EngineConfig(inference_model=InferenceModel.CLASSIC)), cv, update=None
    )
    documented = keys(evaluation) | keys(tuned) | {"command", "library", "written", "path"}

    missing = sorted(k for k in documented if f"`{k}`" not in DOC and f'"{k}"' not in DOC)

    assert not missing, f"not in docs/evaluate.md: {missing}"


def test_every_path_and_baseline_is_explained() -> None:
    for name in [p.value for p in FillPath] + [b.value for b in Baseline]:
        assert f"| `{name}` |" in DOC, name


def test_the_grid_table_shows_the_grids() -> None:
    def shown(values: tuple[Any, ...]) -> str:
        return ", ".join(f"{v:g}".replace("-", "−") for v in values)

    for name in GridName:
        grid = GRIDS[name]
        for setting in ("confidence_c", "weight_critic", "bias_critic"):
            assert f" {shown(grid.candidates[setting])} |" in DOC, (name, setting)
    assert f"| {shown(GRIDS[GridName.QUICK].candidates['album_gravity'])} |" in DOC
    rounds = " | ".join(str(GRIDS[name].max_rounds) for name in GridName)
    assert f"| rounds at most | {rounds} |" in DOC
