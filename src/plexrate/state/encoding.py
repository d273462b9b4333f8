"""How the state file stores a record's fields: item types by their value, tag lists as JSON text.

Shared by the store's row readers and writers and by the pure folds over its rows, which must
agree on both forms.
"""

from __future__ import annotations

import functools
import json

from plexrate.model import ItemType

ITEM_TYPES = {t.value: t for t in ItemType}
"""Item types by their stored value: a dict lookup, faster than ``ItemType(value)`` per row."""


# Nearly every entry carries one of a handful of tag lists; parse and format each once.
@functools.lru_cache(maxsize=256)
def tags_from_json(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


@functools.lru_cache(maxsize=256)
def tags_to_json(tags: tuple[str, ...]) -> str:
    return json.dumps(list(tags))
