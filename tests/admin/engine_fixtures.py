"""The engine tests' library builder and hypothesis strategies, for the admin tests to reuse."""

from __future__ import annotations

import sys
from pathlib import Path

_ENGINE_TESTS = str(Path(__file__).resolve().parents[1] / "engine")
if _ENGINE_TESTS not in sys.path:
    sys.path.append(_ENGINE_TESTS)

from libbuilder import Lib  # noqa: E402
from strategies import INFERRED_TAG, TWIN_TAG, Case, cases  # noqa: E402

__all__ = ["INFERRED_TAG", "TWIN_TAG", "Case", "Lib", "cases"]
