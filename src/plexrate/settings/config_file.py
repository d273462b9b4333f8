"""Reading a config file's JSON, with the place of every syntax error named the same way on
every interpreter."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from plexrate.errors import ConfigError
from plexrate.settings.layers import Layers
from plexrate.settings.messages import bullet


def _duplicate_keys(found: list[str]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                found.append(key)
            seen[key] = value
        return seen

    return hook


def read_file(path: Path, layers: Layers) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except IsADirectoryError:
        raise ConfigError(
            f"{path} is a folder, not a config file", hint="name a config.json file"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"cannot read {path}: permission denied", hint="check the file's permissions"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", hint="save it as UTF-8 JSON") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    deep = too_deep_at(text)
    if deep is not None:
        line, column = deep
        raise ConfigError(
            f"{path} is not a plexrate config:\n"
            + bullet(
                f"line {line}, column {column}",
                f"lists or objects are nested more than {MAX_NESTING} deep",
                "see config.example.json for the shape of a config",
            )
        )
    duplicates: list[str] = []
    try:
        document = json.loads(
            text, object_pairs_hook=_duplicate_keys(duplicates), parse_int=_parse_int
        )
    except RecursionError:
        raise ConfigError(
            f"{path} is not a plexrate config:\n"
            + bullet(
                path.name,
                "its lists or objects are nested too deeply to read",
                "see config.example.json for the shape of a config",
            )
        ) from None
    except json.JSONDecodeError as exc:
        if not text.strip():
            problem, fix = (
                "the file is empty",
                "write a JSON object, e.g. with `plexrate config init`",
            )
        else:
            problem = exc.msg
            fix = "fix the JSON there (a missing comma or quote, or a trailing comma, is typical)"
        line, column = exc.lineno, exc.colno
        comma = _trailing_comma(text, exc.pos)
        if comma is not None:
            line, column = _line_column(text, comma)
            problem = f"a comma before the closing {text[_next_token(text, comma + 1)]}"
            fix = "remove it (JSON allows no trailing comma)"
        where = f"line {line}, column {column}"
        raise ConfigError(f"{path} is not valid JSON:\n{bullet(where, problem, fix)}") from None
    if not isinstance(document, dict):
        kinds = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}
        kind = kinds.get(type(document), "a number")
        raise ConfigError(
            f"{path} is not a plexrate config:\n"
            + bullet(
                path.name,
                f"holds {kind}, not a JSON object",
                'the config must be one object, {"PLEX_URL": …, …}; see config.example.json',
            )
        )
    layers.problems.extend(
        bullet(key, "appears more than once in the file", "keep one (JSON silently uses the last)")
        for key in dict.fromkeys(duplicates)
    )
    return document


MAX_NESTING = 32
"""Deepest nesting of lists and objects read from a config or a variable. A real config nests
three deep; far deeper input only ever fails, and how it fails depends on the interpreter:
Python 3.11 and 3.12 raise RecursionError inside json.loads at a few thousand levels, 3.13 reads
it and pydantic then stops with "Maximum serialization depth exceeded"."""

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def too_deep_at(text: str) -> tuple[int, int] | None:
    """Line and column (from 1, as ``json`` counts) of the first list or object that opens more
    than ``MAX_NESTING`` deep, found before parsing so no interpreter limit is ever met."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return _line_column(text, match.start())
        elif token in "]}":
            depth -= 1
    return None


def _line_column(text: str, at: int) -> tuple[int, int]:
    """Line and column of offset ``at``, from 1 as ``json`` counts them."""
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def _next_token(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _trailing_comma(text: str, at: int) -> int | None:
    """The offset of a comma right before a closing bracket, if that is the error at ``at``.

    Python 3.11 reports a trailing comma at the bracket after it, 3.13 at the comma itself, each
    in its own words; plexrate names the comma, so the place is the same on every interpreter.
    """
    if at < len(text) and text[at] == ",":
        after = _next_token(text, at + 1)
        return at if after < len(text) and text[after] in "]}" else None
    if at < len(text) and text[at] in "]}":
        before = text[:at].rstrip(" \t\r\n")
        return len(before) - 1 if before.endswith(",") else None
    return None


def _parse_int(text: str) -> int | float:
    # Python refuses to turn more than 4,300 digits into an int (a ValueError json.loads would
    # pass on). No setting takes such a number: as a float it becomes infinity, which the key's
    # validation then reports.
    try:
        return int(text)
    except ValueError:
        return float(text)
