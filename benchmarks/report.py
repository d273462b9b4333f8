"""Markdown tables of a benchmark result document (what docs/benchmarks.md shows)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

NOOP_TRACKS = 300_000
NOOP_SECONDS = 60.0
NOOP_RSS_MIB = 1.5 * 1024
FLOOR_RATIO = 1.5
OLD_REQUEST_RATIO = 10.0

_KINDS = {
    "GET /": "connect",
    "GET /identity": "connect",
    "GET /library": "connect",
    "GET /library/sections": "connect",
    "GET /library/sections/{id}/all": "listing",
    "GET /library/sections/{id}/albums": "listing",
    "GET /library/sections/{id}/collections": "meta",
    "GET /library/metadata/{ids}": "metadata",
    "GET /library/metadata/{id}/children": "children",
    "GET /library/metadata/{id}/allLeaves": "children",
    "PUT /library/sections/{id}/all": "multi-edit",
    "PUT /:/rate": "rate",
    "GET /:/rate": "rate",
}


def request_kinds(by_endpoint: Mapping[str, int]) -> str:
    """``listing 24, multi-edit 694, …``: requests grouped into the kinds people compare."""
    kinds: Counter[str] = Counter()
    for endpoint, n in by_endpoint.items():
        kind = _KINDS.get(endpoint)
        if kind is None:
            kind = "filter choices" if endpoint.startswith("GET /library/sections/") else endpoint
        kinds[kind] += n
    order = [
        "connect",
        "meta",
        "filter choices",
        "listing",
        "children",
        "metadata",
        "multi-edit",
        "rate",
    ]
    ranked = sorted(kinds, key=lambda k: (order.index(k) if k in order else len(order), k))
    return ", ".join(f"{k} {kinds[k]:,}" for k in ranked)


def _n(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: list[str], rows: Iterable[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _ratings_and_tags(changed: Mapping[str, Any]) -> str:
    if not changed:
        return "—"
    return f"{_n(changed['ratings'])} / {_n(changed['tags_added'] + changed['tags_removed'])}"


def _plexrate_scenarios(size: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in size["scenarios"] if not s["id"].startswith("old-")]


def scenario_table(size: Mapping[str, Any]) -> str:
    rows = []
    for s in _plexrate_scenarios(size):
        changed = s.get("changed", {})
        floor = s.get("floor", {})
        rows.append(
            [
                s["name"],
                _n(s["requests"]),
                f"{_n(s['reads'])} / {_n(s['writes'])}",
                request_kinds(s["by_endpoint"]),
                _n(changed.get("items")),
                _ratings_and_tags(changed),
                f"{s['wall_s']:,.1f}",
                f"{s['modeled_s']:,.1f}",
                f"{s['client_s']:,.1f} ({s['user_s'] + s['sys_s']:,.1f})",
                f"{s['peak_rss_mib']:,.0f}",
                _n(floor.get("seconds")),
                _n(s.get("floor_ratio")),
                f"{s['cooldown_extra_s']:,.0f}",
            ]
        )
    return _table(
        [
            "scenario",
            "requests",
            "reads / writes",
            "by kind",
            "items changed",
            "ratings / tags changed",
            "wall s",
            "modeled server s",
            "client s (CPU s)",
            "peak RSS MiB",
            "floor s",
            "wall / floor",
            "+cooldown s",
        ],
        rows,
    )


def growth_table(sizes: Iterable[Mapping[str, Any]]) -> str:
    """Requests of the first run against N: they should grow as N / batch, not N."""
    rows = []
    for size in sizes:
        for s in _plexrate_scenarios(size):
            if not s["id"].startswith("first-"):
                continue
            changed = s.get("changed", {}).get("items") or 0
            writes = s["writes"]
            rows.append(
                [
                    _n(size["tracks"]),
                    "tag" if s["id"] == "first-tag" else "no tag",
                    _n(changed),
                    _n(s["reads"]),
                    _n(writes),
                    _n(s.get("floor", {}).get("write_requests")),
                    f"{changed / writes:,.1f}" if writes else "—",
                    f"{s['requests'] / size['tracks'] * 1000:,.1f}",
                ]
            )
    return _table(
        [
            "tracks N",
            "variant",
            "items written",
            "read requests",
            "write requests",
            "floor's write requests",
            "items per write request",
            "requests per 1,000 tracks",
        ],
        rows,
    )


def old_pattern_table(sizes: Iterable[Mapping[str, Any]]) -> str:
    rows = []
    for size in sizes:
        for s in size["scenarios"]:
            if not s["id"].startswith("old-"):
                continue
            predicted = s["predicted"]
            versus = s.get("plexrate_vs_old", {})
            rows.append(
                [
                    _n(size["tracks"]),
                    s["name"].split(", ", 1)[1],
                    f"{_n(s['reads'])} / {_n(predicted['reads'])}",
                    f"{_n(s['writes'])} / {_n(predicted['writes'])}",
                    f"{_n(s['items_returned'])} / {_n(predicted['items'])}",
                    f"{s['wall_s']:,.1f}",
                    f"{s['estimated_wall_at_scale_1_s']:,.0f}",
                    f"{predicted['modeled_s']:,.0f}",
                    f"{s['cooldown_extra_s']:,.0f}",
                    _n(versus.get("requests_ratio")),
                    _n(versus.get("time_ratio")),
                    {True: "yes", False: "**no**", None: "—"}[s.get("same_result_as_plexrate")],
                ]
            )
    return _table(
        [
            "tracks",
            "variant",
            "reads measured / predicted",
            "writes measured / predicted",
            "items measured / predicted",
            "wall s (as run)",
            "wall s at scale 1",
            "model's estimate s",
            "+cooldown s",
            "requests old / plexrate",
            "time old / plexrate",
            "same result",
        ],
        rows,
    )


def targets_table(sizes: list[Mapping[str, Any]]) -> str:
    rows: list[list[str]] = []

    def find(size: Mapping[str, Any], scenario: str) -> Mapping[str, Any] | None:
        return next((s for s in size["scenarios"] if s["id"] == scenario), None)

    largest = max(sizes, key=lambda s: s["tracks"]) if sizes else None
    if largest is not None:
        noop = find(largest, "no-op")
        if noop is not None:
            n = _n(largest["tracks"]) + " tracks"
            if largest["tracks"] < NOOP_TRACKS:
                n += f" (the target is for {NOOP_TRACKS:,})"
            rows.append(
                [
                    f"no-op rerun on {n} writes nothing",
                    f"{noop['writes']} write requests",
                    "met" if noop["writes"] == 0 else "**missed**",
                ]
            )
            rows.append(
                [
                    f"no-op rerun on {n} < {NOOP_SECONDS:.0f} s",
                    f"{noop['wall_s']:,.1f} s ({noop['modeled_s']:,.1f} s modeled server time)",
                    "met"
                    if noop["wall_s"] < NOOP_SECONDS
                    else f"**missed** by {noop['wall_s'] - NOOP_SECONDS:,.1f} s",
                ]
            )
            rows.append(
                [
                    f"no-op rerun on {n}: peak RSS < 1.5 GB",
                    f"{noop['peak_rss_mib']:,.0f} MiB",
                    "met" if noop["peak_rss_mib"] < NOOP_RSS_MIB else "**missed**",
                ]
            )
    for size in sizes:
        for scenario in ("first-tag", "first-no-tag"):
            s = find(size, scenario)
            if s is None or s.get("floor_ratio") is None:
                continue
            ratio = float(s["floor_ratio"])
            rows.append(
                [
                    f"{s['name']} on {_n(size['tracks'])} tracks within {FLOOR_RATIO}× of floor",
                    f"{ratio:.2f}× ({s['wall_s']:,.1f} s vs {s['floor']['seconds']:,.1f} s)",
                    "met" if ratio <= FLOOR_RATIO else f"**missed** ({ratio / FLOOR_RATIO:.2f}×)",
                ]
            )
        for s in size["scenarios"]:
            versus = s.get("plexrate_vs_old")
            if not s["id"].startswith("old-") or not versus:
                continue
            ratio = float(versus["requests_ratio"])
            rows.append(
                [
                    f"≥ {OLD_REQUEST_RATIO:.0f}× fewer requests than the old pattern, "
                    f"{_n(size['tracks'])} tracks, {s['name'].split(', ')[1]}",
                    f"{ratio:,.1f}×",
                    "met" if ratio >= OLD_REQUEST_RATIO else "**missed**",
                ]
            )
    return _table(["target", "measured", "result"], rows)


def markdown(document: Mapping[str, Any]) -> str:
    sizes: list[Mapping[str, Any]] = list(document["sizes"])
    parts = [
        f"Measured {document['date']} on {document['machine']['cpus']} CPUs "
        f"({document['machine']['cpu']}), {document['machine']['memory']}, Python "
        f"{document['machine']['python']}; load average before {document['load_before']}, "
        f"after {document['load_after']}; latency model `{document['latency']['name']}`.",
        "",
        "Command: `" + document["command"] + "`",
    ]
    if document.get("settings"):
        shown = ", ".join(f"{k}={v}" for k, v in document["settings"].items())
        parts += ["", f"plexrate settings besides the defaults: {shown}."]
    for size in sizes:
        lib = size.get("library", {})
        parts += [
            "",
            f"### {size['tracks']:,} tracks"
            + (
                f" ({lib.get('artist', 0):,} artists, {lib.get('album', 0):,} albums)"
                if lib
                else ""
            ),
            "",
            scenario_table(size),
        ]
        for note in size.get("skipped", []):
            parts.append(f"\nSkipped: {note}")
    parts += ["", "### First-run requests against N", "", growth_table(sizes)]
    if any(s["id"].startswith("old-") for size in sizes for s in size["scenarios"]):
        parts += ["", "### Old access pattern", "", old_pattern_table(sizes)]
    parts += ["", "### Targets", "", targets_table(sizes)]
    return "\n".join(parts) + "\n"
