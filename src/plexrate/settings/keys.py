"""The list of keys: every leaf setting with its file key, variable and default, for
``config show``, the docs and the example file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from plexrate.redact import REDACTED, redact
from plexrate.settings.constants import (
    CONFIG_VERSION,
    ENV_PREFIX,
    PLACEHOLDER_TOKEN,
    PLACEHOLDER_URL,
)
from plexrate.settings.models import Settings

SECRET_SETTINGS = frozenset({"plex_token", "watch_secret"})
"""Settings never shown: ``config show`` prints ``***`` for them."""


@dataclass(frozen=True, slots=True)
class SettingKey:
    path: str
    """Dotted snake_case name, the key of ``LoadedSettings.sources``: ``twin_logic.enabled``."""
    file_key: str
    """As written in config.json, dotted when nested: ``TWIN_LOGIC.ENABLED``."""
    env_var: str
    """``PLEXRATE_TWIN_LOGIC__ENABLED``."""
    default: Any
    """The default as it appears in config.json (JSON types)."""
    secret: bool = False


def nested_model(info: FieldInfo) -> type[BaseModel] | None:
    annotation = info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def walk(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    for name, info in model.model_fields.items():
        sub = nested_model(info)
        if sub is None:
            yield prefix + name, info
        else:
            yield from walk(sub, f"{prefix}{name}.")


def env_var(parts: list[str]) -> str:
    return ENV_PREFIX + "__".join(parts).upper()


@cache
def setting_keys() -> tuple[SettingKey, ...]:
    """Every leaf setting in file order, nested keys included."""
    return tuple(
        SettingKey(
            path=path,
            file_key=path.upper(),
            env_var=env_var(path.split(".")),
            default=to_jsonable_python(info.get_default(call_default_factory=True)),
            secret=path in SECRET_SETTINGS,
        )
        for path, info in walk(Settings)
    )


def field_info(parts: list[str]) -> FieldInfo | None:
    model: type[BaseModel] | None = Settings
    info: FieldInfo | None = None
    for part in parts:
        if model is None or part not in model.model_fields:
            return None
        info = model.model_fields[part]
        model = nested_model(info)
    return info


def public_value(settings: Settings, key: SettingKey) -> Any:
    """A setting's value as JSON types, fit to print: the token becomes ``***`` (or None)."""
    value = settings.value_at(key.path)
    if key.secret:
        return None if value is None else REDACTED
    # A token pasted into the wrong key (LIBRARY_NAME, a path) must not be shown either.
    return _redacted(to_jsonable_python(value))


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def nest(values: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    # ("TWIN_LOGIC.ENABLED", True) → {"TWIN_LOGIC": {"ENABLED": True}}
    document: dict[str, Any] = {}
    for dotted, value in values:
        node = document
        *parents, leaf = dotted.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return document


def public_config(settings: Settings) -> dict[str, Any]:
    """The effective settings shaped like config.json, with the token redacted."""
    return nest((key.file_key, public_value(settings, key)) for key in setting_keys())


UNSET_IN_NEW_CONFIGS = frozenset({"cooldown_batch", "cooldown_sleep"})
"""Keys a new config leaves out: unset, they mean adaptive pacing; written, they would pin a
fixed pause that the person never chose."""


def example_config(
    *,
    plex_url: str = PLACEHOLDER_URL,
    plex_token: str = PLACEHOLDER_TOKEN,
    library_name: str = "Music",
) -> dict[str, Any]:
    """A complete config.json document: every key at its default, with the given server values.

    ``config.example.json`` is this document with the placeholders; ``config init`` writes it with
    the person's values.
    """
    document = {"version": CONFIG_VERSION}
    document.update(
        nest(
            (key.file_key, key.default)
            for key in setting_keys()
            if key.path not in UNSET_IN_NEW_CONFIGS
        )
    )
    document.update(PLEX_URL=plex_url, PLEX_TOKEN=plex_token, LIBRARY_NAME=library_name)
    return document
