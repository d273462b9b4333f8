"""Years of nightly runs (issue 21.1) through the CLI: older runs are compacted after each run,
`admin runs` says which, `admin undo --run` on a compacted run says what it can still do, and
undo of everything ends in the same library as with the full journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from plexrate.emulator import Emulator, generate_library
from tests.reliability.reliability_helpers import (
    Target,
    assert_one_line_error,
    assert_same_outcome,
    serve,
)

pytestmark = pytest.mark.integration

NIGHTS = 5


def _rate(emu: Emulator, key: int, value: float) -> None:
    query: dict[str, str | int | float] = {
        "key": key,
        "identifier": "com.plexapp.plugins.library",
        "rating": value,
    }
    response = requests.put(
        f"{emu.url}/:/rate",
        params=query,
        headers={"X-Plex-Token": emu.token},
        timeout=10,
    )
    response.raise_for_status()


def _nights(folder: Path, keep: int) -> tuple[Target, Emulator]:
    """A first run, then nights on which the person re-rates a few tracks before the run."""
    folder.mkdir(exist_ok=True)
    library = generate_library(tracks=300, seed=21)
    emu = serve(library)
    target = Target(emu, folder, {"JOURNAL_KEEP_RUNS": str(keep)})
    tracks = next(s for s in emu.dump()["sections"] if s["type"] == "artist")["tracks"]
    rated = [t["ratingKey"] for t in tracks if t.get("userRating")]
    for night in range(NIGHTS):
        if night:
            for key in rated[night * 3 : night * 3 + 3]:
                _rate(emu, int(key), 2.0 if night % 2 else 9.0)
        assert target.invoke_json("run", "--apply", "--yes")["status"] == "completed"
    return target, emu


def _runs(target: Target, *args: str) -> dict[str, Any]:
    result = target.invoke("admin", "runs", "--json", *args)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_nightly_runs_keep_the_newest_whole_and_undo_everything_the_same(tmp_path: Path) -> None:
    full, full_emu = _nights(tmp_path / "full", keep=0)
    kept, kept_emu = _nights(tmp_path / "kept", keep=2)
    try:
        rows = _runs(kept)["runs"]
        assert len(rows) == NIGHTS
        assert [r["compacted"] for r in rows] == [True] * (NIGHTS - 2) + [False, False]
        assert [r["changed"] for r in rows] == [r["changed"] for r in _runs(full)["runs"]]
        assert kept.state.stat().st_size <= full.state.stat().st_size

        first = rows[0]["id"]
        refused = kept.invoke("admin", "undo", "--run", str(first), "--apply", "--yes")
        assert refused.exit_code == 2, refused.stderr
        error = assert_one_line_error(refused.stderr, contains=f"run {first} is older")
        assert "`plexrate admin undo` without --run still returns every item" in error
        assert f"runs {rows[-2]['id']}–{rows[-1]['id']} can be undone one by one" in error

        for target in (full, kept):
            result = target.invoke("admin", "undo", "--apply", "--yes")
            assert result.exit_code == 0, result.stderr
        assert_same_outcome(full.outcome(), kept.outcome())
    finally:
        full_emu.stop()
        kept_emu.stop()


def test_prune_compacts_now_and_says_what_it_did(tmp_path: Path) -> None:
    target, emu = _nights(tmp_path, keep=0)
    try:
        assert not any(r["compacted"] for r in _runs(target)["runs"])
        result = target.invoke("admin", "runs", "--prune", "--keep", "1")
        assert result.exit_code == 0, result.stderr
        said = " ".join(result.stderr.split())
        assert f"Compacted {NIGHTS - 1} runs (1–{NIGHTS - 1}): " in said
        assert "journal entries folded into" in said
        document = _runs(target)
        assert [r["compacted"] for r in document["runs"]] == [True] * (NIGHTS - 1) + [False]
        again = _runs(target, "--prune", "--keep", "1")
        assert again["pruned"]["runs"] == []
        assert target.invoke("admin", "runs", "--keep", "1").exit_code == 2
    finally:
        emu.stop()
