"""Change a few top-level keys of an existing config file, keeping everything else as it was.

Used by ``plexrate tune --write``. The file is parsed as JSON and written back with its key order,
key spelling (the old UPPERCASE keys, or snake_case), indentation and file mode; only the named
keys change, and a key the file lacks is added in the UPPERCASE spelling. A timestamped copy of
the old file is kept beside it, and the new file must load with ``load_settings`` or the old one
is put back.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from plexrate.errors import ConfigError
from plexrate.fileio import atomic_writer, write_atomic
from plexrate.settings import load_settings

_INDENT = re.compile(r"\n([ \t]+)\S")
# A JSON number, string or literal: the values a top-level setting can hold.
_SCALAR = r'(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*"|true|false|null)'


@dataclass(frozen=True, slots=True)
class ConfigUpdate:
    path: Path
    backup: Path
    keys: tuple[str, ...]
    """The keys changed, spelled as they are in the file."""


def update_config(
    path: Path, values: Mapping[str, Any], *, now: datetime | None = None
) -> ConfigUpdate:
    """Set ``values`` (snake_case setting name → JSON value) in the config file at ``path``."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path} is not a plexrate config (not a JSON object)")
    changes: dict[str, Any] = {}
    for name, value in values.items():
        changes[_spelled(document, name)] = value
    edited = _edit_in_place(text, document, changes)
    document.update(changes)
    new_text = edited if edited is not None else _dumps(document, text)

    mode = stat.S_IMODE(path.stat().st_mode)
    backup = _backup_path(path, now or datetime.now())
    write_atomic(backup, raw, mode=mode)
    with atomic_writer(path, mode=mode) as handle:
        handle.write(new_text)
    try:
        load_settings(config_path=path, environ={})
    except ConfigError as exc:
        write_atomic(path, raw, mode=mode)
        raise ConfigError(
            f"the updated {path} did not load, so the original was put back: {exc}"
        ) from None
    return ConfigUpdate(path=path, backup=backup, keys=tuple(changes))


def _spelled(document: Mapping[str, Any], name: str) -> str:
    """The key for setting ``name`` as the file writes it; UPPERCASE for a key it lacks."""
    for key in (name.upper(), name):
        if key in document:
            return key
    return name.upper()


def _edit_in_place(
    text: str, document: Mapping[str, Any], changes: Mapping[str, Any]
) -> str | None:
    """``text`` with only the changed values rewritten and missing keys appended before the
    closing brace, so the person's layout survives; None when that cannot be done safely.

    The result must parse to exactly the intended document, or it is not used.
    """
    out = text
    added: list[str] = []
    for key, value in changes.items():
        literal = json.dumps(value, ensure_ascii=False)
        if key not in document:
            added.append(f"{json.dumps(key, ensure_ascii=False)}: {literal}")
            continue
        found = list(re.finditer(rf'("{re.escape(key)}"\s*:\s*){_SCALAR}', out))
        if len(found) != 1:
            return None
        match = found[0]
        out = out[: match.end(1)] + literal + out[match.end() :]
    if added:
        close = out.rfind("}")
        if close < 0:
            return None
        head, tail = out[:close].rstrip(), out[close:]
        if "\n" in text.strip():
            found_indent = _INDENT.search(text)
            indent = found_indent.group(1) if found_indent else "    "
            items = "".join(f",\n{indent}{item}" for item in added)
            out = f"{head}{items[1:] if head.endswith('{') else items}\n{tail}"
        else:
            items = "".join(f", {item}" for item in added)
            out = f"{head}{items[2:] if head.endswith('{') else items}{tail}"
    try:
        parsed = json.loads(out)
    except json.JSONDecodeError:
        return None
    return out if parsed == {**document, **changes} else None


def _dumps(document: Any, original: str) -> str:
    if "\n" not in original.strip():
        return json.dumps(document, ensure_ascii=False) + "\n"
    match = _INDENT.search(original)
    indent: int | str = match.group(1) if match else 4
    return json.dumps(document, indent=indent, ensure_ascii=False) + "\n"


def _backup_path(path: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{stamp}-{counter}.bak")
        counter += 1
    return candidate
