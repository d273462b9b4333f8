"""``load_settings``: read each layer on its own, merge them and validate the result."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_settings import EnvSettingsSource, SettingsError

from plexrate.errors import ConfigError
from plexrate.redact import register_secret
from plexrate.settings.config_file import MAX_NESTING, read_file, too_deep_at
from plexrate.settings.constants import CONFIG_VERSION, DOCS, ENV_PREFIX, Source
from plexrate.settings.keys import nest, nested_model, setting_keys
from plexrate.settings.layers import Layers
from plexrate.settings.locations import (
    LOG_FILENAME,
    STATE_FILENAME,
    ConfigSource,
    PlatformFolders,
    locate_config,
)
from plexrate.settings.messages import bullet, describe, suggest, unknown_key_fix
from plexrate.settings.models import Settings

# Environment variables with the prefix that are not settings, so never "unknown".
_NOT_SETTINGS_ENV = frozenset({"config", "debug", "trace"})


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    config_path: Path | None
    sources: dict[str, Source]
    """Dotted snake_case key (``twin_logic.enabled``) → the layer its value came from."""
    warnings: list[str] = field(default_factory=list)
    found_by: ConfigSource | None = None
    """How the config file was found; None without one."""


class _Environment(EnvSettingsSource):
    """pydantic-settings' reader of ``PLEXRATE_*`` variables, fed from a given mapping."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # The model is case-insensitive for the environment, so keys are compared lower-cased.
        return {key.lower(): value for key, value in self._given.items()}


def normalise(
    raw: Mapping[str, Any],
    model: type[BaseModel],
    *,
    problems: list[str],
    spelled: dict[str, str],
    written_prefix: str = "",
    path_prefix: str = "",
) -> dict[str, Any]:
    """Map a file's or the flags' keys (UPPERCASE or snake_case) onto field names.

    Unknown and doubled keys become ``problems``; ``spelled`` learns how each key was written.
    """
    by_key = {name: name for name in model.model_fields}
    by_key.update({name.upper(): name for name in model.model_fields})
    out: dict[str, Any] = {}
    for key, value in raw.items():
        written = f"{written_prefix}{key}"
        name = by_key.get(key)
        if name is None:
            suggestion = suggest(key, model, nested=not path_prefix)
            if suggestion and written_prefix:
                suggestion = written_prefix + suggestion
            problems.append(
                bullet(written, "is not a plexrate setting", unknown_key_fix(suggestion))
            )
            continue
        path = path_prefix + name
        if name in out:
            problems.append(
                bullet(written, f"is given twice (also as {spelled[path]})", "keep one")
            )
            continue
        spelled[path] = written
        if path == "plex_token" and isinstance(value, str):
            register_secret(value.strip())
        sub = nested_model(model.model_fields[name])
        if sub is not None and isinstance(value, Mapping):
            out[name] = normalise(
                value,
                sub,
                problems=problems,
                spelled=spelled,
                written_prefix=f"{written}.",
                path_prefix=f"{path}.",
            )
        else:
            out[name] = value
    return out


def _rebase_paths(layer: dict[str, Any], base: Path) -> None:
    for name, info in Settings.model_fields.items():
        value = layer.get(name)
        rebased = info.annotation is Path or name == "log_file"
        if rebased and isinstance(value, str | Path) and str(value).strip():
            try:
                path = Path(value).expanduser()
            except RuntimeError:
                continue  # ~user of no known user: validation reports it against the key
            layer[name] = path if path.is_absolute() else base / path


def _deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = _deep_merge(below, value)
        else:
            out[key] = value
    return out


def _check_version(document: dict[str, Any], path: Path, layers: Layers) -> None:
    if "version" not in document:
        return
    version = document.pop("version")
    if isinstance(version, bool) or not isinstance(version, str | int | float):
        layers.problems.append(bullet("version", "is not text", f'write "{CONFIG_VERSION}"'))
    elif str(version) != CONFIG_VERSION:
        layers.warnings.append(
            f"{path} has config version {str(version)!r}, not plexrate's {CONFIG_VERSION!r}: it is "
            f"read as is, and keys it lacks take their defaults ({DOCS} lists them). Set "
            f'"version": "{CONFIG_VERSION}" to silence this warning.'
        )


def _read_environment(environ: Mapping[str, str], layers: Layers) -> dict[str, Any]:
    # Checked before pydantic-settings parses the JSON of a section, for the reason MAX_NESTING
    # gives; the variable is then left out so the rest can still be checked.
    too_deep = {
        name
        for name, value in environ.items()
        if name.upper().startswith(ENV_PREFIX) and too_deep_at(value) is not None
    }
    layers.problems.extend(
        bullet(
            name,
            f"lists or objects are nested more than {MAX_NESTING} deep",
            f"see {DOCS} for the shape of this setting",
        )
        for name in sorted(too_deep)
    )
    if too_deep:
        environ = {name: value for name, value in environ.items() if name not in too_deep}
    try:
        values = _Environment(environ)()
    except SettingsError as exc:
        layers.problems.append(
            bullet(
                "environment",
                f"a {ENV_PREFIX}* variable could not be read ({exc})",
                "give an object as JSON, e.g. PLEXRATE_TWIN_LOGIC='{\"ENABLED\": false}'",
            )
        )
        return {}
    token = values.get("plex_token")
    if isinstance(token, str):
        register_secret(token.strip())
    known = {name.casefold() for name in Settings.model_fields}
    for name in environ:
        if not name.upper().startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        head = rest.split("__", 1)[0]
        if head in known or rest in _NOT_SETTINGS_ENV:
            continue
        # Other parts of plexrate may use the prefix; only a near miss of a setting is reported.
        suggestion = suggest(head, Settings, nested=False)
        if suggestion:
            layers.warnings.append(
                f"{name} is not a plexrate setting and is ignored; did you mean "
                f"{ENV_PREFIX}{suggestion.upper()}?"
            )
    return values


def load_settings(
    *,
    config_path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Read, merge and validate the settings; ConfigError lists every problem found.

    ``overrides`` are the command-line flags, keyed by dotted snake_case names
    (``{"library_name": "Jazz", "twin_logic.enabled": False}``); ``None`` values mean "not given".
    ``environ`` defaults to the process environment.
    """
    environ = os.environ if environ is None else environ
    folders = PlatformFolders.current()
    location = locate_config(config_path, environ, folders)
    path = location.path
    layers = Layers()
    base = path.parent if path is not None else Path.cwd()

    if path is not None:
        document = read_file(path, layers)
        _check_version(document, path, layers)
        layers.file = normalise(
            document, Settings, problems=layers.problems, spelled=layers.spelled
        )
        _rebase_paths(layers.file, base)
    layers.env = _read_environment(environ, layers)
    _rebase_paths(layers.env, Path.cwd())
    # Flags arrive as {"library_name": x, "twin_logic.enabled": y}, None meaning "not given"; only
    # file keys need their spelling remembered.
    layers.flag = normalise(
        nest((key, value) for key, value in (overrides or {}).items() if value is not None),
        Settings,
        problems=layers.problems,
        spelled={},
    )
    _rebase_paths(layers.flag, Path.cwd())
    # Default paths sit beside the config file (or in the working directory without one).
    defaults: dict[str, Any] = {
        name: base / info.default
        for name, info in Settings.model_fields.items()
        if info.annotation is Path
    }
    if location.found_by == "platform":
        # A config in the platform's config folder keeps its state in the data folder, as the
        # platform expects; a config named or found in the working folder keeps it beside it.
        defaults["state_path"] = folders.data / STATE_FILENAME
    defaults["log_file"] = folders.log / LOG_FILENAME

    merged = _deep_merge(_deep_merge(_deep_merge(defaults, layers.file), layers.env), layers.flag)
    log_file = merged.get("log_file")
    if log_file is None or (isinstance(log_file, str) and not log_file.strip()):
        # null or empty means "the default place" (config.example.json writes null), not "none".
        merged["log_file"] = defaults["log_file"]
    settings = validate(merged, layers)
    if layers.problems or settings is None:
        where = f"config file {path}" if path is not None else "no config file"
        count = len(layers.problems)
        raise ConfigError(
            f"{count} problem{'s' if count != 1 else ''} in the settings ({where}):\n"
            + "\n".join(layers.problems)
        )

    sources = {key.path: layers.origin(key.path.split(".")) for key in setting_keys()}
    return LoadedSettings(
        settings=settings,
        config_path=path,
        sources=sources,
        warnings=layers.warnings,
        found_by=location.found_by,
    )


def validate(values: dict[str, Any], layers: Layers) -> Settings | None:
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        layers.problems.extend(describe(error, layers) for error in exc.errors())
        return None
