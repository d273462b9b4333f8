"""The raw layers (file, environment, flags) before validation, and how to name their keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plexrate.settings.constants import Source
from plexrate.settings.keys import env_var


@dataclass
class Layers:
    """The raw layers before validation, and what is needed to name their keys in messages."""

    file: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    flag: dict[str, Any] = field(default_factory=dict)
    spelled: dict[str, str] = field(default_factory=dict)
    """Dotted snake_case key → the key as written in the file (``TWIN_LOGIC.ENABLED``)."""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def origin(self, parts: list[str]) -> Source:
        ranked: tuple[tuple[Source, dict[str, Any]], ...] = (
            ("flag", self.flag),
            ("env", self.env),
            ("file", self.file),
        )
        for source, layer in ranked:
            if _has_path(layer, parts):
                return source
        return "default"

    def display(self, parts: list[str]) -> str:
        dotted = ".".join(parts)
        source = self.origin(parts)
        if source == "env":
            return env_var(parts)
        if source == "flag":
            return f"{dotted} (command line)"
        return self.spelled.get(dotted, dotted.upper())


def _has_path(layer: Mapping[str, Any], parts: list[str]) -> bool:
    node: Any = layer
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True
