"""docs/inference.md's worked example is what the engine computes."""

from __future__ import annotations

import re
from pathlib import Path

from plexrate.engine import ArtistEvidence, EngineConfig, InferenceModel, infer
from plexrate.engine.infer import fmt
from tests.support.library import worked_example

DOC = Path(__file__).resolve().parents[2] / "docs" / "inference.md"


def table_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- worked-example:start -->")[1].split("<!-- worked-example:end -->")[0]
    lines = [line for line in block.strip().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_the_worked_example_table_matches_the_engine() -> None:
    snapshot = worked_example().snapshot()
    inference = infer(
        snapshot, owned={}, config=EngineConfig(inference_model=InferenceModel.CLASSIC)
    )
    keys_by_label: dict[str, int] = {}
    for artist in snapshot.artists.values():
        keys_by_label[f"artist {artist.title}"] = artist.key
    for album in snapshot.albums.values():
        keys_by_label[f"album {album.title}"] = album.key
    for track in snapshot.tracks.values():
        keys_by_label[f"track {track.title} ({track.album_title})"] = track.key

    rows = table_rows()
    assert len(rows) == len(inference.assignments), "the table lists every item the run sets"
    for label, phase, value, why in rows:
        assignment = inference.assignments[keys_by_label[label]]
        assert (phase, value, why) == (
            assignment.phase.value,
            fmt(assignment.value),
            assignment.reason,
        ), label


def test_the_worked_example_prose_matches_the_engine() -> None:
    text = DOC.read_text(encoding="utf-8")
    snapshot = worked_example().snapshot()
    inference = infer(
        snapshot, owned={}, config=EngineConfig(inference_model=InferenceModel.CLASSIC)
    )
    assert inference.prior == 7.0
    assert "μ = (9 + 7 + 5) / 3 = **7.0**" in text
    manual = infer(
        snapshot,
        owned={},
        config=EngineConfig(
            inference_model=InferenceModel.CLASSIC, artist_evidence=ArtistEvidence.MANUAL
        ),
    )
    assert manual.values[1] == 6.3
    assert "(21 + 4) / 4 = 6.25, written\n  as 6.3" in text
    section = text.split("## 6. A worked example")[1].split("<!-- worked-example:start -->")[0]
    bold = {float(n) for n in re.findall(r"\*\*(\d+\.\d+)\*\*", section)}
    assert bold == {7.0, 7.4, 6.5, 4.9}
    assert bold <= set(inference.values.values())
