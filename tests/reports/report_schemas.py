"""The documented JSON schema of each report (docs/reports.md), as a checker tests share.

A spec is a dict (exactly these keys), a one-element list (every element matches it), or a type /
tuple of types. ``bool`` never passes for a number, although Python counts it as an int.
"""

from __future__ import annotations

from typing import Any

NUM = (int, float)
OPT_NUM = (int, float, type(None))
OPT_INT = (int, type(None))
OPT_STR = (str, type(None))

ENVELOPE: dict[str, Any] = {
    "report": str,
    "schema_version": int,
    "library": {"title": str, "uuid": str},
    "scale": str,
}

COVERAGE_ROW: dict[str, Any] = {
    "items": int,
    "manual": int,
    "inferred": int,
    "unrated": int,
    "twin_linked": OPT_INT,
    "hijacked": int,
    "cleared": int,
    "percent": {"manual": NUM, "inferred": NUM, "unrated": NUM, "twin_linked": OPT_NUM},
}

COVERAGE: dict[str, Any] = {
    **ENVELOPE,
    "types": {"artist": COVERAGE_ROW, "album": COVERAGE_ROW, "track": COVERAGE_ROW},
    "total": COVERAGE_ROW,
    "twin_groups": int,
}

HISTOGRAM: dict[str, Any] = {
    **ENVELOPE,
    "type": str,
    "items": int,
    "rated": int,
    "manual": int,
    "inferred": int,
    "unrated": int,
    "buckets": [
        {
            "stars": NUM,
            "above_stars": NUM,
            "manual": int,
            "inferred": int,
            "total": int,
            "percent": NUM,
            "manual_percent": NUM,
            "inferred_percent": NUM,
        }
    ],
}

TWIN_MEMBER: dict[str, Any] = {
    "key": int,
    "title": str,
    "artist": str,
    "album": str,
    "album_key": int,
    "duration_ms": OPT_INT,
    "duration": str,
    "rating": OPT_NUM,
    "status": str,
    "dropped": OPT_STR,
    "offset_ms": OPT_NUM,
}

TWINS: dict[str, Any] = {
    **ENVELOPE,
    "enabled": bool,
    "duration_tolerance_sec": NUM,
    "group_count": int,
    "member_count": int,
    "dropped_count": int,
    "by_basis": {"manual": int, "inferred": int, "none": int},
    "groups": [
        {
            "artist": str,
            "artist_form": str,
            "title": str,
            "rating": OPT_NUM,
            "basis": str,
            "reason": str,
            "anchors": [int],
            "median_ms": int,
            "members": [TWIN_MEMBER],
            "dropped": [TWIN_MEMBER],
        }
    ],
}

DISSENTERS: dict[str, Any] = {
    **ENVELOPE,
    "limit": int,
    "min_deviation_stars": NUM,
    "compared": int,
    "matching": int,
    "shown": int,
    "tracks": [
        {
            "key": int,
            "title": str,
            "album_key": int,
            "album": str,
            "rating": NUM,
            "status": str,
            "album_rating": NUM,
            "album_status": str,
            "deviation_stars": NUM,
        }
    ],
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "coverage": COVERAGE,
    "histogram": HISTOGRAM,
    "twins": TWINS,
    "dissenters": DISSENTERS,
}

STATUSES = {"manual", "inferred", "unrated"}


def check(value: Any, spec: Any, path: str = "$") -> None:
    """Raise AssertionError naming the first place where ``value`` does not match ``spec``."""
    if isinstance(spec, dict):
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        assert set(value) == set(spec), (
            f"{path}: keys differ: missing {sorted(set(spec) - set(value))}, "
            f"unexpected {sorted(set(value) - set(spec))}"
        )
        for key, sub in spec.items():
            check(value[key], sub, f"{path}.{key}")
    elif isinstance(spec, list):
        assert isinstance(value, list), f"{path}: expected an array, got {value!r}"
        for i, item in enumerate(value):
            check(item, spec[0], f"{path}[{i}]")
    else:
        types = spec if isinstance(spec, tuple) else (spec,)
        if isinstance(value, bool):
            assert bool in types, f"{path}: a boolean where {types} was expected"
        else:
            assert isinstance(value, types), f"{path}: {value!r} is not {types}"


def check_document(document: dict[str, Any]) -> None:
    """Check a report document against its schema, and the values the schema cannot express."""
    name = document.get("report")
    assert name in SCHEMAS, f"unknown report {name!r}"
    check(document, SCHEMAS[name])
    assert document["schema_version"] == 1
    if name == "histogram":
        assert [b["stars"] for b in document["buckets"]] == [i / 2 for i in range(1, 11)]
    if name == "twins":
        for group in document["groups"]:
            assert group["basis"] in {"manual", "inferred", "none"}
            for member in group["members"] + group["dropped"]:
                assert member["status"] in STATUSES
    if name == "dissenters":
        for track in document["tracks"]:
            assert {track["status"], track["album_status"]} <= STATUSES
