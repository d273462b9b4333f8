"""Where plexrate looks for its config, and the per-user folders its files default to."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from platformdirs import user_config_path, user_data_path, user_log_path

from plexrate.errors import ConfigError
from plexrate.settings.constants import CONFIG_ENV, CONFIG_FILENAME, ENV_PREFIX

APP_NAME = "plexrate"
LOG_FILENAME = "plexrate.log"
STATE_FILENAME = "plexrate_state.sqlite"


@dataclass(frozen=True)
class PlatformFolders:
    """The per-user folders the operating system sets aside for plexrate (``platformdirs``):
    on Linux ``~/.config/plexrate``, ``~/.local/share/plexrate`` and
    ``~/.local/state/plexrate/log`` (or the ``XDG_*`` folders), on macOS ``~/Library/Application
    Support/plexrate`` and ``~/Library/Logs/plexrate``, on Windows ``%LOCALAPPDATA%\\plexrate``
    and its ``Logs`` folder."""

    config: Path
    data: Path
    log: Path

    @classmethod
    def current(cls) -> PlatformFolders:
        return cls(
            config=user_config_path(APP_NAME, appauthor=False),
            data=user_data_path(APP_NAME, appauthor=False),
            log=user_log_path(APP_NAME, appauthor=False),
        )

    @property
    def config_file(self) -> Path:
        return self.config / CONFIG_FILENAME


def default_log_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The log file when the settings could not be read: ``PLEXRATE_LOG_FILE`` if set, else
    the platform's log folder."""
    environ = os.environ if environ is None else environ
    named = environ.get(f"{ENV_PREFIX}LOG_FILE", "").strip()
    if named:
        try:
            return Path(named).expanduser().absolute()
        except RuntimeError:
            return None
    return PlatformFolders.current().log / LOG_FILENAME


ConfigSource = Literal["--config", "PLEXRATE_CONFIG", "working folder", "platform"]


@dataclass(frozen=True)
class ConfigLocation:
    """The config file in effect and how it was found (``None``: no config file)."""

    path: Path | None
    found_by: ConfigSource | None


def find_config(config_path: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The config file to read (see ``locate_config``)."""
    return locate_config(config_path, environ).path


def locate_config(
    config_path: Path | None,
    environ: Mapping[str, str],
    folders: PlatformFolders | None = None,
) -> ConfigLocation:
    """The config file to read: ``--config``, else ``PLEXRATE_CONFIG``, else ./config.json (the
    old tool's habit), else ``config.json`` in the platform's config folder.

    A named file that does not exist is an error (pydantic-settings would skip it silently); a
    missing ./config.json or platform config just means defaults.
    """
    named = config_path if config_path is not None else environ.get(CONFIG_ENV) or None
    if named is None:
        candidates: list[tuple[Path, ConfigSource]] = [
            (Path.cwd() / CONFIG_FILENAME, "working folder"),
            ((folders or PlatformFolders.current()).config_file, "platform"),
        ]
        for default, found_by in candidates:
            if default.exists() and not default.is_file():
                # Skipping it silently would run on defaults while the person believes their
                # config is read.
                raise ConfigError(
                    f"{default} is not a file (a folder?), so it cannot be read as the config",
                    hint="move it away, or name your config with --config",
                )
            if default.is_file():
                return ConfigLocation(default.resolve(), found_by)
        return ConfigLocation(None, None)
    named_by = f" (named by {CONFIG_ENV})" if config_path is None else ""
    try:
        path = Path(named).expanduser()
    except RuntimeError:
        raise ConfigError(
            f"config file {named}{named_by} starts with ~ but names no user whose home folder "
            "is known",
            hint="write the folder out in full",
        ) from None
    if not path.exists():
        raise ConfigError(
            f"config file {path}{named_by} does not exist",
            hint=f"check the path, or create it with `plexrate config init {path}`",
        )
    return ConfigLocation(
        path.resolve(), "--config" if config_path is not None else "PLEXRATE_CONFIG"
    )
