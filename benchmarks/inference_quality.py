"""How close plexrate's values for the tracks a person left unrated come to the truth.

The generator keeps, for every track, the rating the person would give it (``latent``, never
served). This benchmark generates libraries for several kinds of person, infers the unrated
tracks with each model and with simple baselines, and scores every predictor against that truth.
No server is involved: the snapshot is built from the generated library directly
(``plexrate.emulator.offline``, the same records the HTTP snapshot reads).

    python -m benchmarks.inference_quality                      # the target setting, 3 seeds
    python -m benchmarks.inference_quality --grid --seeds 1     # every selection × play signal
    python -m benchmarks.inference_quality --heldout            # + plexrate evaluate's measure
    python -m benchmarks.inference_quality --markdown           # the tables of docs/inference.md

Predictors:

- ``hierarchical``, ``classic``: plexrate's two models with default settings.
- ``old tool``: the classic formulas as the old tool effectively ran them: the critic rating
  unused (its clamp bug), artist evidence from albums rated by hand only.
- ``library``, ``album``, ``artist``: the mean of the person's track ratings in the library, on
  the track's album (else the library's), by the track's album artist (else the library's).
- ``cascade``: the album's mean, else the artist's, else the library's.

Figures, all over the unrated tracks: ``mae`` and ``bias`` (predicted − true) in stars,
``spearman`` (rank correlation with the truth), ``above3`` (share predicted above three stars, to
set beside ``truth_above3``). plexrate's models are scored on the values they would write
(``written``: rounded as written) and on the formula's values before rounding (``raw``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from plexrate.emulator import generate_library
from plexrate.emulator.generator import DEFAULT_PLAY_SIGNAL, Selection
from plexrate.emulator.library import EmulatorLibrary
from plexrate.emulator.offline import snapshot_of
from plexrate.engine import ArtistEvidence, EngineConfig, InferenceModel, LibraryIndex, infer
from plexrate.evaluate import CrossValidation
from plexrate.model import LibrarySnapshot

HIERARCHICAL = EngineConfig()
CLASSIC = EngineConfig(inference_model=InferenceModel.CLASSIC)
OLD_TOOL = replace(CLASSIC, weight_critic=0.0, artist_evidence=ArtistEvidence.MANUAL)
MODELS: dict[str, EngineConfig] = {
    "hierarchical": HIERARCHICAL,
    "classic": CLASSIC,
    "old tool": OLD_TOOL,
}
BASELINES = ("library", "album", "artist", "cascade")
PERSONS: dict[str, Selection | None] = {
    "original": None,
    "none": Selection.NONE,
    "moderate": Selection.MODERATE,
    "strong": Selection.STRONG,
}
PLAY_SIGNALS = (0.0, 0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Score:
    mae: float
    bias: float
    spearman: float
    above3: float


@dataclass(frozen=True, slots=True)
class Row:
    person: str
    play_signal: float
    tracks: int
    seed: int
    unrated: int
    truth_above3: float
    predictor: str
    written: Score
    raw: Score


def truth_of(library: EmulatorLibrary) -> dict[int, float]:
    return {
        t.rating_key: t.true_rating
        for t in library.default_section.tracks
        if t.true_rating is not None
    }


def _ranks(values: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Ranks with ties given their average rank (Spearman's convention)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=np.float64)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return np.asarray(sums[inverse] / counts[inverse], dtype=np.float64)


def score(predicted: Mapping[int, float], truth: Mapping[int, float], keys: Sequence[int]) -> Score:
    p = np.array([predicted[k] for k in keys], dtype=np.float64)
    t = np.array([truth[k] for k in keys], dtype=np.float64)
    errors = (p - t) / 2.0
    rp, rt = _ranks(p), _ranks(t)
    spread = float(np.std(rp) * np.std(rt))
    rho = float(np.mean((rp - rp.mean()) * (rt - rt.mean())) / spread) if spread > 0 else 0.0
    return Score(
        mae=float(np.mean(np.abs(errors))),
        bias=float(np.mean(errors)),
        spearman=rho,
        above3=float(np.mean(p > 6.0)),
    )


def baselines(snapshot: LibrarySnapshot) -> dict[str, dict[int, float]]:
    """Each baseline's guess for every unrated track."""
    rated = {k: t.rating for k, t in snapshot.tracks.items() if t.rating is not None}
    library = statistics.fmean(rated.values()) if rated else 6.0
    by_album: dict[int, list[float]] = {}
    by_artist: dict[int, list[float]] = {}
    for key, value in rated.items():
        track = snapshot.tracks[key]
        by_album.setdefault(track.album_key, []).append(value)
        by_artist.setdefault(track.artist_key, []).append(value)
    album = {k: statistics.fmean(v) for k, v in by_album.items()}
    artist = {k: statistics.fmean(v) for k, v in by_artist.items()}
    out: dict[str, dict[int, float]] = {name: {} for name in BASELINES}
    for key, track in snapshot.tracks.items():
        if key in rated:
            continue
        a = album.get(track.album_key)
        b = artist.get(track.artist_key)
        out["library"][key] = library
        out["album"][key] = library if a is None else a
        out["artist"][key] = library if b is None else b
        out["cascade"][key] = a if a is not None else b if b is not None else library
    return out


def model_values(
    snapshot: LibrarySnapshot, config: EngineConfig, index: LibraryIndex | None = None
) -> tuple[dict[int, float], dict[int, float]]:
    """What the model would write for every track, and its values before rounding."""
    inference = infer(snapshot, owned={}, config=config, index=index)
    written: dict[int, float] = {}
    raw: dict[int, float] = {}
    for key in snapshot.tracks:
        value = inference.value(key)
        assignment = inference.explain(key)
        if value is None or assignment is None:
            continue
        written[key] = value
        raw[key] = assignment.exact
    return written, raw


def measure(person: str, play_signal: float, tracks: int, seed: int) -> list[Row]:
    library = generate_library(
        tracks=tracks, seed=seed, selection=PERSONS[person], play_signal=play_signal
    )
    truth = truth_of(library)
    snapshot = snapshot_of(library)
    unrated = [k for k, t in snapshot.tracks.items() if t.rating is None and k in truth]
    truth_above3 = sum(1 for k in unrated if truth[k] > 6.0) / len(unrated)
    rows = []

    def row(name: str, written: Mapping[int, float], raw: Mapping[int, float]) -> Row:
        keys = [k for k in unrated if k in written]
        if len(keys) != len(unrated):
            raise RuntimeError(f"{name} left {len(unrated) - len(keys)} unrated tracks without")
        return Row(
            person=person,
            play_signal=play_signal,
            tracks=tracks,
            seed=seed,
            unrated=len(unrated),
            truth_above3=truth_above3,
            predictor=name,
            written=score(written, truth, keys),
            raw=score(raw, truth, keys),
        )

    index = LibraryIndex.build(snapshot, HIERARCHICAL)
    for name, config in MODELS.items():
        written, raw = model_values(snapshot, config, index)
        rows.append(row(name, written, raw))
    for name, guesses in baselines(snapshot).items():
        rows.append(row(name, guesses, guesses))
    return rows


def heldout(person: str, play_signal: float, tracks: int, seed: int) -> dict[str, float]:
    """``plexrate evaluate``'s held-out MAE (stars, 5 folds) for both models."""
    library = generate_library(
        tracks=tracks, seed=seed, selection=PERSONS[person], play_signal=play_signal
    )
    snapshot = snapshot_of(library)
    cv = CrossValidation(snapshot, owned={}, config=HIERARCHICAL)
    out = {}
    for name in ("hierarchical", "classic"):
        mae = cv.score(MODELS[name]).mae
        out[name] = float("nan") if mae is None else mae
    return out


def fit_speed(tracks: int, seed: int) -> dict[str, float]:
    """Wall time and peak allocations of inferring every value from scratch, per model."""
    import tracemalloc

    library = generate_library(tracks=tracks, seed=seed, selection=Selection.MODERATE)
    snapshot = snapshot_of(library)
    del library
    out: dict[str, float] = {}
    for name in ("hierarchical", "classic"):
        config = MODELS[name]
        best = math.inf
        for _ in range(2):
            started = time.perf_counter()
            infer(snapshot, owned={}, config=config)
            best = min(best, time.perf_counter() - started)
        tracemalloc.start()
        infer(snapshot, owned={}, config=config)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[f"{name}_seconds"] = best
        out[f"{name}_peak_mib"] = peak / 2**20
    return out


Setting = tuple[int, str, float]
"""Library size, person, play signal."""


def _mean_rows(rows: Iterable[Row]) -> dict[tuple[Setting, str], dict[str, Any]]:
    """Per setting and predictor: every figure averaged over the seeds."""
    groups: dict[tuple[Setting, str], list[Row]] = {}
    for r in rows:
        groups.setdefault(((r.tracks, r.person, r.play_signal), r.predictor), []).append(r)
    out = {}
    for key, members in groups.items():

        def avg(get: Callable[[Row], float], members: list[Row] = members) -> float:
            return statistics.fmean(get(m) for m in members)

        out[key] = {
            "seeds": len(members),
            "truth_above3": avg(lambda m: m.truth_above3),
            "mae": avg(lambda m: m.written.mae),
            "raw_mae": avg(lambda m: m.raw.mae),
            "bias": avg(lambda m: m.written.bias),
            "raw_bias": avg(lambda m: m.raw.bias),
            "spearman": avg(lambda m: m.written.spearman),
            "above3": avg(lambda m: m.written.above3),
        }
    return out


def markdown(rows: Sequence[Row]) -> str:
    means = _mean_rows(rows)
    settings = sorted(
        {setting for setting, _ in means},
        key=lambda k: (k[0], list(PERSONS).index(k[1]), k[2]),
    )
    lines = []
    for setting in settings:
        tracks, person, signal = setting
        first = means[(setting, "hierarchical")]
        lines.append(
            f"**{tracks:,} tracks, {person} selection, play signal {signal:g}** "
            f"({first['seeds']} seed{'s' if first['seeds'] != 1 else ''}; "
            f"truly above 3★: {first['truth_above3']:.0%} of the unrated tracks)"
        )
        lines.append("")
        lines.append("| Predictor | MAE ★ | raw MAE ★ | Bias ★ | Spearman | Above 3★ |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for predictor in (*MODELS, *BASELINES):
            m = means[(setting, predictor)]
            lines.append(
                f"| {predictor} | {m['mae']:.3f} | {m['raw_mae']:.3f} | {m['bias']:+.3f} | "
                f"{m['spearman']:.2f} | {m['above3']:.0%} |"
            )
        h, c, k = (means[(setting, p)]["mae"] for p in ("hierarchical", "classic", "cascade"))
        lines.append("")
        lines.append(
            f"hierarchical vs classic: {100 * (h - c) / c:+.1f} %; vs cascade: "
            f"{100 * (h - k) / k:+.1f} %"
        )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, nargs="+", default=[20_000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--person", choices=list(PERSONS), nargs="+", default=["moderate"])
    parser.add_argument("--play-signal", type=float, nargs="+", default=[DEFAULT_PLAY_SIGNAL])
    parser.add_argument("--grid", action="store_true", help="every person × play signal")
    parser.add_argument("--heldout", action="store_true", help="also evaluate's held-out MAE")
    parser.add_argument("--speed", type=int, metavar="TRACKS", help="time the fit at this size")
    parser.add_argument("--markdown", action="store_true", help="tables instead of JSON lines")
    args = parser.parse_args(argv)
    persons = list(PERSONS) if args.grid else args.person
    signals = list(PLAY_SIGNALS) if args.grid else args.play_signal

    rows: list[Row] = []
    for tracks in args.tracks:
        for person in persons:
            for signal in signals:
                for seed in args.seeds:
                    started = time.perf_counter()
                    measured = measure(person, signal, tracks, seed)
                    rows.extend(measured)
                    extra: dict[str, Any] = {}
                    if args.heldout:
                        extra["heldout_mae"] = heldout(person, signal, tracks, seed)
                    if not args.markdown:
                        for r in measured:
                            print(json.dumps(asdict(r)))
                        if extra:
                            print(
                                json.dumps(
                                    {
                                        "person": person,
                                        "play_signal": signal,
                                        "tracks": tracks,
                                        "seed": seed,
                                        **extra,
                                    }
                                )
                            )
                    else:
                        note = f" held-out MAE {extra['heldout_mae']}" if extra else ""
                        print(
                            f"{person} play {signal:g} {tracks:,} tracks seed {seed}: "
                            f"{time.perf_counter() - started:.1f}s{note}",
                            file=sys.stderr,
                        )
    if args.markdown:
        print(markdown(rows))
    if args.speed:
        print(json.dumps({"speed_tracks": args.speed, **fit_speed(args.speed, args.seeds[0])}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
