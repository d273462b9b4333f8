"""What the ``plexrate admin`` commands share: their JSON output and rating cells."""

from __future__ import annotations

import json
from typing import Any

from plexrate.cli.context import AppContext


def dump(app: AppContext, document: dict[str, Any]) -> None:
    from plexrate.cli.plan_output import print_json

    print_json(app.out, json.dumps(document, ensure_ascii=False))
