"""Rendering shared by every command that plans or writes: stars, plan tables, run summaries.

Tables and JSON go to stdout (data); summaries and notes go to stderr (for people).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from plexrate.cli.progress import finish_live
from plexrate.incremental import ReadInfo
from plexrate.model import Change, ItemType, Phase, Plan
from plexrate.session import RunOutcome
from plexrate.usecase import SCALE_NOTE
from plexrate.wording import count, stars


def _phase_label(phase: Phase) -> str:
    return phase.value.replace("-", " ").capitalize()


def change_dict(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": change.key,
        "type": change.item_type.value,
        "title": change.title,
        "phase": change.phase.value,
        "reason": change.reason,
        "before": change.before,
        "after": change.after,
        "set_rating": change.set_rating,
        "add_tags": list(change.add_tags),
        "remove_tags": list(change.remove_tags),
        "own": change.own,
        "twin": change.twin,
    }
    if change.year is not None:
        data["year"] = change.year
    return data


def plan_counts(plan: Plan) -> dict[str, dict[str, int]]:
    """Changes per phase and item type, in plan order."""
    counts: dict[str, dict[str, int]] = {}
    for change in plan.changes:
        per_type = counts.setdefault(change.phase.value, {})
        per_type[change.item_type.value] = per_type.get(change.item_type.value, 0) + 1
    return counts


def plan_json(plan: Plan, *, extra: Mapping[str, Any] | None = None) -> str:
    document: dict[str, Any] = {
        "dry_run": True,
        "scale": SCALE_NOTE,
        **(extra or {}),
        "stats": plan.stats,
        "counts": plan_counts(plan),
        "notes": plan.notes,
        "changes": [change_dict(c) for c in plan.changes],
    }
    return json.dumps(document, ensure_ascii=False)


def counts_table(plan: Plan, *, verb: str = "would rate") -> Table:
    table = Table(title=f"What this {'dry run' if verb.startswith('would') else 'run'} covers")
    table.add_column("Phase")
    for item_type in ItemType:
        table.add_column(item_type.plural.capitalize(), justify="right")
    table.add_column("Total", justify="right")
    for phase, per_type in plan_counts(plan).items():
        row = [per_type.get(t.value, 0) for t in ItemType]
        table.add_row(
            _phase_label(Phase(phase)), *(f"{n:,}" if n else "" for n in row), f"{sum(row):,}"
        )
    return table


def sample_table(plan: Plan, *, per_phase: int) -> Table:
    table = Table(title=f"Sample of changes (up to {per_phase} per phase)")
    table.add_column("Phase")
    table.add_column("Item", overflow="fold")
    table.add_column("Before", justify="right")
    table.add_column("After", justify="right")
    table.add_column("Why", overflow="fold")
    for phase, changes in plan.by_phase().items():
        for change in changes[:per_phase]:
            after = stars(change.after) if change.set_rating else "(kept)"
            extra = []
            if change.add_tags:
                extra.append("+" + ",".join(change.add_tags))
            if change.remove_tags:
                extra.append("-" + ",".join(change.remove_tags))
            why = change.reason + (f" [{' '.join(extra)}]" if extra else "")
            table.add_row(
                _phase_label(phase),
                escape(change.title),
                stars(change.before),
                after,
                escape(why),
            )
    return table


def _joined(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def describe_plan(plan: Plan) -> str:
    """What a plan does, in one phrase: ``rate 1,234 albums and 7,890 tracks, clear 3 ratings``."""
    rated = dict.fromkeys(ItemType, 0)
    cleared = other = 0
    for change in plan.changes:
        if change.set_rating and change.after is not None:
            rated[change.item_type] += 1
        elif change.set_rating:
            cleared += 1
        else:
            other += 1
    phrases = []
    types = [count(n, t.value) for t, n in rated.items() if n]
    if types:
        phrases.append("rate " + _joined(types))
    if cleared:
        phrases.append("clear " + count(cleared, "rating"))
    if other:
        phrases.append("change only the tags or ownership of " + count(other, "item"))
    return _joined(phrases)


def evidence_line(plan: Plan) -> str | None:
    """How many values written rest on none of the person's ratings, or None if none do."""
    stats = plan.stats
    total = int(stats.get("no_evidence", 0))
    if not total:
        return None
    parts = [
        count(int(stats.get(f"no_evidence.{t.value}", 0)), t.value)
        for t in ItemType
        if stats.get(f"no_evidence.{t.value}")
    ]
    return (
        f"{_joined(parts)} rest on no rating of yours (nothing rated on the album, by the "
        "artist or among a track's copies): their values are the model's guess for such items. "
        "FILL_WITHOUT_EVIDENCE=false leaves them unrated."
    )


def print_plan(out: Console, err: Console, plan: Plan, *, per_phase: int) -> None:
    finish_live()
    if plan.changes:
        out.print(counts_table(plan))
        if per_phase > 0:
            out.print(sample_table(plan, per_phase=per_phase))
    what = (
        f"would {describe_plan(plan)}"
        if plan.changes
        else "nothing to do, Plex already holds every value"
    )
    err.print(f"Dry run: {what}; nothing was written.")
    evidence = evidence_line(plan)
    if evidence:
        err.print(escape(evidence))
    for note in plan.notes:
        err.print(f"[dim]{escape(note)}[/]")


def outcome_dict(outcome: RunOutcome, *, requests: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
    report = outcome.report
    return {
        "dry_run": False,
        "run_id": outcome.run_id,
        "status": outcome.status.value,
        "seconds": round(outcome.seconds, 3),
        "planned": len(plan.changes),
        **report.as_dict(),
        "requests": dict(requests),
        "pacing": dict(outcome.pacing),
        "stats": plan.stats,
        "counts": plan_counts(plan),
    }


def pacing_line(pacing: Mapping[str, Any]) -> str | None:
    """What pacing cost, when it paused at all."""
    pauses = int(pacing.get("pauses", 0))
    if not pauses:
        return None
    seconds = float(pacing.get("paused_seconds", 0.0))
    if pacing.get("mode") == "adaptive":
        return (
            f"Paced: {count(pauses, 'pause')} ({seconds:.1f}s in all) to let Plex catch up when "
            f"it answered writes up to {float(pacing.get('peak_slowdown', 1)):.1f}x slower "
            "than at the start."
        )
    return f"Paused {count(pauses, 'time')} ({seconds:.1f}s in all) for COOLDOWN_BATCH/SLEEP."


def settled_line(stats: Mapping[str, Any]) -> str | None:
    """What the run did not write, and why, in words (no ε, no "hijacks")."""
    parts = []
    unchanged = int(stats.get("unchanged", 0))
    if unchanged:
        step = stars(float(stats.get("epsilon", 0)) or 0.1).removesuffix("★")
        left = "it was left as it is" if unchanged == 1 else "they were left as they are"
        parts.append(
            f"{count(unchanged, 'value')} plexrate set before moved by less than {step}★, so {left}"
        )
    hijacks = int(stats.get("hijacks", 0))
    if hijacks:
        one = hijacks == 1
        parts.append(
            f"{count(hijacks, 'rating')} plexrate had set {'was' if one else 'were'} changed by "
            f"you in Plex: {'it is' if one else 'they are'} yours now and plexrate no longer "
            f"touches {'it' if one else 'them'}"
        )
    without = int(stats.get("without_value", 0))
    if without:
        parts.append(f"{count(without, 'item')} stay unrated: nothing to infer them from")
    if not parts:
        return None
    text = escape("; ".join(parts)) + "."
    return text[0].upper() + text[1:]


def prior_line(stats: Mapping[str, Any]) -> str | None:
    """The prior, explained, with the filler named when the counts differ from a report's."""
    if "prior" not in stats:
        return None
    used = int(stats.get("prior_tracks", 0))
    mine = int(stats.get("manual_tracks", used))
    line = (
        f"Starting point for items with little evidence of their own: "
        f"{stars(float(stats['prior']))}, the average of "
        + (
            f"{used:,} of your {count(mine, 'track rating')}"
            if mine > used
            else f"{used:,} of your track ratings"
        )
    )
    if mine > used:
        line += f" ({mine - used:,} filler tracks, such as intros and very short tracks, left out)"
    return line + "."


def read_line(read: ReadInfo) -> str:
    """How the library was read, in one line (issue 23)."""
    if read.whole:
        return f"Read the whole library ({read.requests:,} requests): {escape(read.why)}."
    return (
        f"Read only what changed since the last run ({read.requests:,} requests, "
        f"{escape(read.why)})."
    )


def summary_lines(
    outcome: RunOutcome,
    plan: Plan,
    *,
    requests: Mapping[str, Any],
    read: ReadInfo | None = None,
) -> list[str]:
    report = outcome.report
    stats = plan.stats
    if plan.changes:
        first = (
            f"Wrote {report.written:,} of {count(len(plan.changes), 'planned change')} in "
            f"{outcome.seconds:.1f}s ({count(report.requests, 'write request')}, "
            f"{count(requests.get('reads', 0), 'read')})."
        )
    else:
        first = (
            "Nothing to write: Plex already holds every value "
            f"({count(requests.get('reads', 0), 'read')}, no write requests)."
        )
    lines = [first]
    if read is not None:
        lines.append(read_line(read))
    settled = settled_line(stats)
    if settled:
        lines.append(settled)
    integer_only = [
        f"{int(stats[f'hijacks.{rule}']):,} {text}"
        for rule, text in (("whole-number", "whole-number"), ("rated-since", "rated since"))
        if stats.get(f"hijacks.{rule}")
    ]
    if integer_only or stats.get("drifted"):
        lines.append(
            "HIJACK_INTEGER_ONLY: hijacks by "
            + (", ".join(integer_only) or "neither rule")
            + f"; {count(int(stats.get('drifted', 0)), 'fractional drift')} kept plexrate's."
        )
    prior = prior_line(stats)
    if prior:
        lines.append(prior)
    paced = pacing_line(outcome.pacing)
    if paced:
        lines.append(paced)
    evidence = evidence_line(plan)
    if evidence:
        lines.append(escape(evidence))
    if report.rated_meanwhile:
        lines.append(
            f"Rated in Plex while plexrate ran: {count(report.rated_meanwhile, 'track')} "
            "plexrate did not write; your ratings stay as you set them."
        )
    if report.changed:
        lines.append(
            f"Left {count(report.changed, 'item')} to you: changed in Plex during the run, "
            f"so not written ({escape(report.changed_notes[0])}"
            + (", …)." if report.changed > 1 else ").")
        )
    if report.pending and not report.stopped:
        lines.append(
            f"{count(report.pending, 'write')} landed but could not be read back; they stay "
            "recorded as unconfirmed and the next --apply command checks them against Plex."
        )
    if report.failed:
        lines.append(f"[red]{report.failed:,} changes were refused by Plex:[/] {report.errors[0]}")
    return lines


def print_json(out: Console, text: str) -> None:
    # print, not print_json: rich would re-indent and colour; scripts want the exact document.
    from plexrate.cli.context import stamped

    out.file.write(stamped(text) + "\n")
    out.file.flush()
    out.documents = getattr(out, "documents", 0) + 1  # type: ignore[attr-defined]


def phase_names(phases: Sequence[Phase]) -> str:
    return ", ".join(_phase_label(p) for p in phases)
