"""The measured scenarios: plexrate's commands and the old-pattern client against one emulator.

Per library size: a first ``run --apply`` with the inferred tag, a no-op rerun, a full
``admin undo --apply``, a bulk track export and an import of changed ratings (on the library the
undo restored), and, on a fresh library, a first run without the tag. Each scenario resets the
emulator's counters first and records the child's wall time, peak RSS and CPU time, the requests
by kind, what changed in the library (from dumps) and the floor for that change.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.floor import (
    ItemState,
    difference,
    floor,
    library_state,
    same_result,
)
from benchmarks.harness import (
    PYTHON,
    ChildResult,
    EmulatorProcess,
    clean_env,
    command_available,
    load_average,
    plexrate_argv,
    plexrate_env,
    run_child,
)
from plexrate.emulator.latency import LatencyModel, old_tool_workload
from plexrate.emulator.library import EmulatorLibrary
from plexrate.emulator.stats import EmulatorStats

REPO = Path(__file__).resolve().parent.parent
DEFAULT_COOLDOWN_BATCH = 25
DEFAULT_COOLDOWN_SLEEP = 5.0

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@dataclass
class Options:
    latency: str = "plex"
    seed: int = 1
    bulk_rows: int = 30_000
    old_scales: tuple[float, ...] = (0.1,)
    old_tags: tuple[bool, ...] = (True, False)
    old_sizes: tuple[int, ...] = (7_500,)
    scenarios: tuple[str, ...] = ("first-tag", "no-op", "undo", "bulk", "first-no-tag")
    profile_dir: Path | None = None
    settings: dict[str, str] = field(default_factory=dict)
    """Extra ``PLEXRATE_*`` settings for every plexrate child (``--set PAGE_SIZE=500``)."""
    log: Log = _stderr


def cooldown_extra(write_requests: int) -> float:
    """What the default pacing (5 s after every 25 write requests) would add, in seconds."""
    return (write_requests // DEFAULT_COOLDOWN_BATCH) * DEFAULT_COOLDOWN_SLEEP


def stats_dict(stats: EmulatorStats) -> dict[str, Any]:
    return {
        "requests": stats.requests,
        "reads": stats.reads,
        "writes": stats.writes,
        "items_returned": stats.items_returned,
        "ratings_written": stats.ratings_written,
        "tags_added": stats.tags_added,
        "tags_removed": stats.tags_removed,
        "by_endpoint": dict(sorted(stats.by_endpoint.items())),
        "listings": dict(sorted(stats.listings.items())),
        "modeled_s": round(stats.modeled_seconds, 3),
        "busy_s": round(stats.busy_seconds, 3),
        "faults": dict(stats.faults),
        "statuses": {str(k): v for k, v in sorted(stats.by_status.items())},
    }


@dataclass
class Measured:
    """A scenario's figures, ready for JSON."""

    id: str
    name: str
    command: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "command": self.command, **self.data}


def measure(
    child: ChildResult,
    stats: EmulatorStats,
    *,
    before: Mapping[int, ItemState] | None,
    after: Mapping[int, ItemState] | None,
    item_counts: Mapping[str, int],
    model: LatencyModel,
) -> dict[str, Any]:
    """Combine a child's measurement, the emulator's counters and the floor of its result."""
    data: dict[str, Any] = {
        "wall_s": round(child.wall, 3),
        "peak_rss_mib": round(child.peak_rss_mib, 1),
        "user_s": round(child.user, 3),
        "sys_s": round(child.system, 3),
        "load": [round(x, 2) for x in load_average()],
        **stats_dict(stats),
        # Wall time the server was not answering: the client's own work, startup included.
        "client_s": round(max(0.0, child.wall - stats.busy_seconds), 3),
        "emulator_cpu_s": round(max(0.0, stats.busy_seconds - stats.modeled_seconds), 3),
        "cooldown_extra_s": cooldown_extra(stats.writes),
    }
    if before is not None and after is not None:
        diff = difference(before, after)
        low = floor(item_counts=item_counts, diff=diff, model=model)
        data["changed"] = {
            "items": diff.items,
            "ratings": diff.ratings,
            "tags_added": diff.tags_added,
            "tags_removed": diff.tags_removed,
            "by_type": dict(sorted(diff.by_kind.items())),
            "groups": len(diff.groups),
        }
        data["floor"] = low.as_dict()
        data["floor_ratio"] = round(child.wall / low.seconds, 3) if low.seconds > 0 else None
    return data


class SizeRun:
    """Every scenario for one library size."""

    def __init__(self, *, tracks: int, workdir: Path, options: Options) -> None:
        self.tracks = tracks
        self.workdir = workdir
        self.options = options
        self.model = LatencyModel.preset(options.latency)
        self.results: list[Measured] = []
        self.skipped: list[str] = []
        self.results_after: dict[bool, dict[int, ItemState]] = {}
        """plexrate's library after its first run, with (True) and without the tag."""
        self.info: dict[str, Any] = {}
        self.log = options.log

    def _emulator(self, name: str, *, scale: float = 1.0) -> EmulatorProcess:
        return EmulatorProcess(
            tracks=self.tracks,
            seed=self.options.seed,
            latency=self.options.latency,
            latency_scale=scale,
            workdir=self.workdir / name,
        )

    def _settings(self) -> dict[str, str]:
        return {f"PLEXRATE_{k.upper()}": v for k, v in self.options.settings.items()}

    def _profile(self, name: str) -> Path | None:
        if self.options.profile_dir is None:
            return None
        self.options.profile_dir.mkdir(parents=True, exist_ok=True)
        return self.options.profile_dir / f"{self.tracks}-{name}.txt"

    def _plexrate(
        self,
        emu: EmulatorProcess,
        scenario: str,
        name: str,
        args: list[str],
        *,
        state: Path,
        tag: bool = True,
        before: Mapping[int, ItemState] | None,
        item_counts: Mapping[str, int],
        keep_after: bool = True,
    ) -> tuple[Measured, ChildResult, dict[int, ItemState] | None]:
        remote = emu.remote
        remote.reset_stats()
        self.log(f"[{self.tracks:,}] {name}: plexrate {' '.join(args)}")
        child = run_child(
            plexrate_argv(*args, profile=self._profile(scenario)),
            env=plexrate_env(emu, state_path=state, tag=tag, extra=self._settings()),
            cwd=state.parent,
        ).check()
        stats = remote.stats()
        after = library_state(remote.dump()) if keep_after else None
        data = measure(
            child, stats, before=before, after=after, item_counts=item_counts, model=self.model
        )
        if self.options.profile_dir is not None:
            data["profiled"] = True
        shown = "plexrate " + " ".join(args)
        if not tag:
            shown = "PLEXRATE_INFERRED_TAG='' " + shown
        for key, value in self._settings().items():
            shown = f"{key}={value} {shown}"
        result = Measured(scenario, name, shown, data)
        self.results.append(result)
        self.log(
            f"[{self.tracks:,}] {name}: {child.wall:.1f}s, {stats.requests:,} requests "
            f"({stats.writes:,} writes), peak RSS {child.peak_rss_mib:.0f} MiB"
            + (f", floor ratio {data['floor_ratio']}" if data.get("floor_ratio") else "")
        )
        return result, child, after

    # ------------------------------------------------------------------------------ scenarios

    def run(self) -> dict[str, Any]:
        wanted = self.options.scenarios
        if {"first-tag", "no-op", "undo", "bulk"} & set(wanted):
            self._tagged_library(wanted)
        if "first-no-tag" in wanted:
            self._untagged_library()
        for tags in self.options.old_tags:
            if self.tracks in self.options.old_sizes:
                for scale in self.options.old_scales:
                    self.old_pattern(tag=tags, scale=scale)
        return {
            "tracks": self.tracks,
            **self.info,
            "scenarios": [r.as_dict() for r in self.results],
            "skipped": self.skipped,
        }

    def _tagged_library(self, wanted: tuple[str, ...]) -> None:
        state = self.workdir / "tagged" / "state.sqlite"
        with self._emulator("tagged") as emu:
            self.info["emulator_start_s"] = round(emu.start_seconds, 2)
            before = library_state(emu.remote.dump())
            item_counts = {k.rstrip("s"): v for k, v in emu.counts.items()}
            self.info["library"] = item_counts
            run = ["run", "--apply", "--yes", "--json"]
            _, child, after = self._plexrate(
                emu,
                "first-tag",
                "first run, inferred tag",
                run,
                state=state,
                before=before,
                item_counts=item_counts,
            )
            assert after is not None
            self.results_after[True] = after
            self.results[-1].data["written"] = child.json().get("written")
            if "no-op" in wanted:
                result, child, again = self._plexrate(
                    emu,
                    "no-op",
                    "no-op rerun",
                    run,
                    state=state,
                    before=after,
                    item_counts=item_counts,
                )
                result.data["checks"] = {
                    "no_writes": result.data["writes"] == 0,
                    "library_unchanged": again is not None and same_result(after, again)[0],
                }
            if "undo" in wanted:
                if command_available("admin", "undo"):
                    result, _, undone = self._plexrate(
                        emu,
                        "undo",
                        "full undo",
                        ["admin", "undo", "--apply", "--yes", "--json"],
                        state=state,
                        before=after,
                        item_counts=item_counts,
                    )
                    same, problems = same_result(before, undone or {})
                    result.data["checks"] = {"restored": same, "examples": problems}
                else:
                    self._skip("undo", "`plexrate admin undo` has not landed on this branch yet")
            if "bulk" in wanted:
                if command_available("bulk", "import") and command_available("bulk", "export"):
                    self._bulk(emu, state=state, item_counts=item_counts)
                else:
                    self._skip("bulk", "`plexrate bulk export/import` has not landed yet")
            self.info["emulator_peak_rss_mib"] = emu.peak_rss_mib()

    def _untagged_library(self) -> None:
        state = self.workdir / "untagged" / "state.sqlite"
        with self._emulator("untagged") as emu:
            before = library_state(emu.remote.dump())
            item_counts = {k.rstrip("s"): v for k, v in emu.counts.items()}
            _, child, after = self._plexrate(
                emu,
                "first-no-tag",
                "first run, no tag",
                ["run", "--apply", "--yes", "--json"],
                state=state,
                tag=False,
                before=before,
                item_counts=item_counts,
            )
            assert after is not None
            self.results_after[False] = after
            self.results[-1].data["written"] = child.json().get("written")

    def _skip(self, scenario: str, why: str) -> None:
        self.log(f"[{self.tracks:,}] skipped {scenario}: {why}")
        self.skipped.append(f"{scenario}: {why}")

    def _bulk(self, emu: EmulatorProcess, *, state: Path, item_counts: Mapping[str, int]) -> None:
        exported = state.parent / "tracks-export.csv"
        edited = state.parent / "tracks-edited.csv"
        before = library_state(emu.remote.dump())
        self._plexrate(
            emu,
            "bulk-export",
            "bulk export (tracks)",
            ["bulk", "export", "--type", "track", str(exported), "--force", "--json"],
            state=state,
            before=None,
            item_counts=item_counts,
            keep_after=False,
        )
        changed = edit_ratings(
            exported, edited, rows=self.options.bulk_rows, seed=self.options.seed
        )
        result, _, after = self._plexrate(
            emu,
            "bulk-import",
            f"bulk import ({len(changed):,} changed rows)",
            ["bulk", "import", "--type", "track", str(edited), "--apply", "--yes", "--json"],
            state=state,
            before=before,
            item_counts=item_counts,
        )
        landed = sum(
            1
            for key, value in changed.items()
            if after is not None
            and (got := after.get(key)) is not None
            and got.rating is not None
            and abs(got.rating - value) <= 0.005
        )
        result.data["rows_changed"] = len(changed)
        result.data["checks"] = {"changed_rows_landed": landed == len(changed), "landed": landed}

    # ------------------------------------------------------------------------------ old pattern

    def old_pattern(self, *, tag: bool, scale: float) -> None:
        variant = "tag" if tag else "no tag"
        name = f"old pattern, {variant}, latency x{scale:g}"
        workdir = self.workdir / f"old-{'tag' if tag else 'notag'}-{scale:g}"
        with self._emulator(workdir.name, scale=scale) as emu:
            remote = emu.remote
            dump = remote.dump()
            before = library_state(dump)
            item_counts = {k.rstrip("s"): v for k, v in emu.counts.items()}
            plan_path = workdir / "plan.json"
            # plexrate's plan for this very library: the values the reference client writes.
            planned = run_child(
                plexrate_argv("run", "--dry-run", "--json"),
                env=plexrate_env(
                    emu,
                    state_path=workdir / "plan-state.sqlite",
                    tag=tag,
                    extra=self._settings(),
                ),
                cwd=workdir,
            ).check()
            plan_path.write_text(planned.stdout, encoding="utf-8")
            remote.reset_stats()
            self.log(f"[{self.tracks:,}] {name}: running the reference client")
            child = run_child(
                [
                    PYTHON,
                    "-m",
                    "benchmarks.old_pattern",
                    "--url",
                    emu.url,
                    "--token",
                    emu.token,
                    "--library",
                    emu.library,
                    "--plan",
                    str(plan_path),
                ],
                env=clean_env({"PYTHONPATH": str(REPO)}),
                cwd=workdir,
            ).check()
            stats = remote.stats()
            after = library_state(remote.dump())
        model = self.model.scaled(scale)
        data = measure(
            child, stats, before=before, after=after, item_counts=item_counts, model=model
        )
        # Only the modeled latency scales; the client's and the emulator's own work do not.
        data["latency_scale"] = scale
        data["estimated_wall_at_scale_1_s"] = round(
            child.wall + stats.modeled_seconds * (1 / scale - 1), 3
        )
        if data.get("floor"):
            unscaled = floor(
                item_counts=item_counts, diff=difference(before, after), model=self.model
            )
            data["floor"] = unscaled.as_dict()
            data["floor_ratio"] = (
                round(data["estimated_wall_at_scale_1_s"] / unscaled.seconds, 3)
                if unscaled.seconds > 0
                else None
            )
        data["client_report"] = child.json()
        predicted = old_tool_workload(EmulatorLibrary.from_dict(dump), tags=tag)
        data["predicted"] = {
            "reads": predicted.reads,
            "writes": predicted.writes,
            "items": predicted.items,
            "rate_calls": predicted.rate_calls,
            "tag_edits": predicted.tags,
            "modeled_s": round(self.model.estimate(predicted), 1),
        }
        data["measured_minus_predicted"] = {
            "reads": stats.reads - predicted.reads,
            "writes": stats.writes - predicted.writes,
            "items": stats.items_returned - predicted.items,
        }
        reference = self.results_after.get(tag)
        if reference is not None:
            same, problems = same_result(reference, after)
            data["same_result_as_plexrate"] = same
            if problems:
                data["differences"] = problems
        mine = next(
            (r for r in self.results if r.id == ("first-tag" if tag else "first-no-tag")), None
        )
        if mine is not None:
            data["plexrate_vs_old"] = {
                "requests_ratio": round(stats.requests / max(1, mine.data["requests"]), 1),
                "time_ratio": round(data["estimated_wall_at_scale_1_s"] / mine.data["wall_s"], 1),
            }
        self.results.append(
            Measured(
                f"old-{'tag' if tag else 'no-tag'}-x{scale:g}",
                name,
                "python -m benchmarks.old_pattern --plan <plexrate's dry-run plan>",
                data,
            )
        )
        self.log(
            f"[{self.tracks:,}] {name}: {child.wall:.1f}s (at scale 1 about "
            f"{data['estimated_wall_at_scale_1_s']:.0f}s), {stats.requests:,} requests"
        )


def edit_ratings(source: Path, target: Path, *, rows: int, seed: int) -> dict[int, float]:
    """Change the star rating of ``rows`` rows (all if fewer) of a track export.

    Returns the new ratings on Plex's 0–10 scale by key. The delimiter and decimal comma of the
    export are kept, so the import reads the file the way a spreadsheet would have left it.
    """
    text = source.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    records = list(reader)
    fields = list(reader.fieldnames or [])
    comma_decimal = dialect.delimiter == ";"
    chosen = random.Random(seed).sample(range(len(records)), k=min(rows, len(records)))
    changed: dict[int, float] = {}
    for index in chosen:
        record = records[index]
        raw = (record.get("userRating") or "").strip().replace(",", ".")
        old = float(raw) if raw else 0.0
        # Half-star steps, never 0 (0 means unrated) and always different from before.
        new = old + 1.5 if old + 1.5 <= 5 else old - 1.5
        new = max(0.5, math.floor(new * 2) / 2)
        if abs(new - old) < 0.25:
            new = 3.5 if old != 3.5 else 2.0
        shown = f"{new:g}"
        record["userRating"] = shown.replace(".", ",") if comma_decimal else shown
        changed[int(record["ratingKey"])] = new * 2
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, dialect=dialect, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    target.write_text(out.getvalue(), encoding="utf-8")
    return changed


def summary_json(results: Mapping[str, Any]) -> str:
    return json.dumps(results, indent=1, sort_keys=False)
