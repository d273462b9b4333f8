"""Writing a new config file (``config init``)."""

from __future__ import annotations

import json
from pathlib import Path

from plexrate.errors import ConfigError
from plexrate.fileio import atomic_writer, refuse_overwrite
from plexrate.settings.keys import example_config
from plexrate.settings.layers import Layers
from plexrate.settings.loading import normalise, validate
from plexrate.settings.models import Settings


def write_config(
    path: Path,
    *,
    plex_url: str,
    plex_token: str,
    library_name: str = "Music",
    force: bool = False,
) -> Path:
    """Write a complete config file atomically, readable only by its owner (it holds the token).

    The values are validated first, so the file written always loads. Returns the absolute path.
    """
    path = path.expanduser().absolute()
    refuse_overwrite(path, force=force)
    document = example_config(plex_url=plex_url, plex_token=plex_token, library_name=library_name)
    layers = Layers()
    values = normalise(
        {key: value for key, value in document.items() if key != "version"},
        Settings,
        problems=layers.problems,
        spelled=layers.spelled,
    )
    validate(values, layers)
    if layers.problems:
        raise ConfigError("cannot write the config:\n" + "\n".join(layers.problems))
    # The file holds a token: keep it 0600 (atomic_writer never exposes it with wider rights).
    with atomic_writer(path, mode=0o600) as handle:
        json.dump(document, handle, indent=4, ensure_ascii=False)
        handle.write("\n")
    return path
