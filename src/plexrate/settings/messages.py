"""Problems with a setting as one-line bullets that name the key as the person wrote it and
say how to fix it."""

from __future__ import annotations

import difflib
import json
from enum import Enum
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, to_jsonable_python

from plexrate.redact import redact
from plexrate.settings.constants import DOCS, MAX_TAG_LENGTH, PLACEHOLDER_URL
from plexrate.settings.keys import UNSET_IN_NEW_CONFIGS, env_var, field_info, nested_model, walk
from plexrate.settings.layers import Layers
from plexrate.settings.models import Settings


def bullet(key: str, problem: str, fix: str) -> str:
    return redact(f"• {key}: {problem} — {fix}")


def suggest(key: str, model: type[BaseModel], *, nested: bool) -> str | None:
    """The known key closest to ``key``, spelled in the style the person used."""
    # The old UPPERCASE form unless the person wrote snake_case.
    upper = key != key.lower()
    candidates: dict[str, str] = {}
    for name in model.model_fields:
        candidates.setdefault(name.casefold(), name.upper() if upper else name)
    if nested:
        # A top-level key that belongs inside TWIN_LOGIC or UPWARD_EXCLUSION_RULES.
        for path, _ in walk(model):
            if "." in path:
                leaf = path.rsplit(".", 1)[1]
                candidates.setdefault(leaf.casefold(), path.upper() if upper else path)
    match = difflib.get_close_matches(key.casefold(), list(candidates), n=1, cutoff=0.6)
    return candidates[match[0]] if match else None


def unknown_key_fix(suggestion: str | None) -> str:
    if suggestion:
        return f"did you mean {suggestion}? (all keys are listed in {DOCS})"
    return f"remove it, or check the spelling against {DOCS}"


def _expected(parts: list[str]) -> str:
    """What a key accepts, phrased as the fix: ``set a number from 0 to 1 (default 0.8)``."""
    path = ".".join(parts)
    info = field_info(parts)
    if path == "plex_url":
        return f"set the server's address, e.g. {PLACEHOLDER_URL}"
    if path == "plex_token":
        return f"set your Plex token (see {DOCS})"
    if path == "watch_secret":
        # A secret has no useful default to show; `plexrate watch --webhook` makes one.
        return "leave it out and `plexrate watch --webhook` makes one, or set a longer one"
    if info is None:
        return f"see {DOCS}"
    annotation = info.annotation
    default = to_jsonable_python(info.get_default(call_default_factory=True))
    if path in UNSET_IN_NEW_CONFIGS:
        kind = "a whole number" if path == "cooldown_batch" else "a number"
        return f"set {_number_range(info, kind)}, or leave it out for adaptive pacing"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"write an object of its keys (see {DOCS})"
    if annotation is bool:
        what = "true or false"
    elif annotation in (int, float):
        what = _number_range(info, "a whole number" if annotation is int else "a number")
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        what = "one of " + ", ".join(str(member.value) for member in annotation)
    elif annotation is Path:
        what = "a file path"
    elif annotation == tuple[str, ...]:
        # The default lists are long; the docs show them.
        return 'set a list of words, e.g. ["live", "demo"]'
    elif path.endswith("_tag"):
        what = f"a mood name of at most {MAX_TAG_LENGTH} characters"
    else:
        what = "text"
    if default is None:
        return f"set {what}, or leave it out"
    return f"set {what} (default {json.dumps(default, ensure_ascii=False)})"


def _number_range(info: FieldInfo, kind: str) -> str:
    low: Any = None
    high: Any = None
    low_open = high_open = False
    for item in info.metadata:
        if isinstance(item, Ge):
            low = item.ge
        elif isinstance(item, Gt):
            low, low_open = item.gt, True
        elif isinstance(item, Le):
            high = item.le
        elif isinstance(item, Lt):
            high, high_open = item.lt, True
    if low is not None and high is not None and not (low_open or high_open):
        return f"{kind} from {low} to {high}"
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '≥'} {low}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '≤'} {high}")
    return f"{kind} {' and '.join(bounds)}" if bounds else kind


def _shown(value: Any, path: str) -> str:
    # The URL may embed a token (…?X-Plex-Token=…); neither it nor the token is ever echoed.
    if path in ("plex_url", "plex_token"):
        return "the value"
    text = json.dumps(to_jsonable_python(value), ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


_PROBLEMS = {
    "int_parsing": "{value} is not a whole number",
    "int_from_float": "{value} is not a whole number",
    "int_type": "{value} is not a whole number",
    "float_parsing": "{value} is not a number",
    "float_type": "{value} is not a number",
    "finite_number": "{value} is not a finite number",
    "int_parsing_size": "{value} is too long to be a whole number",
    "bool_not_number": "{value} is not a number",
    "bool_parsing": "{value} is not true or false",
    "bool_type": "{value} is not true or false",
    "string_type": "{value} is not text",
    "string_too_short": "is empty",
    "tuple_type": "{value} is not a list",
    "list_type": "{value} is not a list",
    "model_type": "{value} is not an object of keys",
    "model_attributes_type": "{value} is not an object of keys",
    "dict_type": "{value} is not an object of keys",
    "enum": "{value} is not one of the choices",
    "path_type": "{value} is not a file path",
    "greater_than_equal": "{value} is below {ge}",
    "greater_than": "{value} must be above {gt}",
    "less_than_equal": "{value} is above {le}",
    "less_than": "{value} must be below {lt}",
    "string_too_long": "is longer than {max_length} characters",
}


def describe(error: ErrorDetails, layers: Layers) -> str:
    loc = list(error["loc"])
    ctx = error.get("ctx") or {}
    if not loc and "keys" in ctx:
        # A rule across keys, raised by Settings._consistent.
        names = [layers.display(key.split(".")) for key in str(ctx["keys"]).split(",")]
        return bullet(" + ".join(names), error["msg"], str(ctx.get("fix", f"see {DOCS}")))
    parts = [part for part in loc if isinstance(part, str)]
    # Indexes of list items follow the key they belong to.
    indexes = "".join(f"[{part}]" for part in loc if isinstance(part, int))
    key = layers.display(parts) + indexes
    path = ".".join(parts)
    if error["type"] == "extra_forbidden":
        # Only a PLEXRATE_SECTION__KEY variable gets here: normalise checks file keys and flags.
        parent = field_info(parts[:-1])
        model = (nested_model(parent) if parent is not None else None) or Settings
        leaf = suggest(parts[-1].lower(), model, nested=False)
        suggestion = env_var([*parts[:-1], leaf]) if leaf else None
        return bullet(key, "is not a plexrate setting", unknown_key_fix(suggestion))
    template = _PROBLEMS.get(error["type"])
    if template is None:
        problem = error["msg"]
    else:
        bounds = {
            name: f"{value:g}"
            for name, value in ctx.items()
            if name in ("ge", "gt", "le", "lt", "max_length")
        }
        problem = template.format_map({**bounds, "value": _shown(error.get("input"), path)})
    return bullet(key, problem, _expected(parts))
