"""One correction to how Typer draws help: a flag takes no value, so it shows no type.

Typer 0.29's rich help puts a type in every option's row, flags included, so ``--apply``,
``--yes`` and ``--help`` all read ``<bool>`` as if they wanted a value typed after them. The fix
is bounded by the pin in pyproject.toml (``typer>=0.29,<0.30``); tests/cli/test_help_types.py
fails if a later Typer changes what this relies on.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption

_drawn_type = TyperOption.display_type_rich


def _type_unless_flag(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag and not self.count:
        return None
    return _drawn_type(self, ctx)


def install() -> None:
    """Draw flags without a type in every help screen from now on (idempotent)."""
    TyperOption.display_type_rich = _type_unless_flag  # type: ignore[method-assign]
