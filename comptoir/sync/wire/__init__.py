"""Rows to and from their wire form (JSON-safe dicts keyed by attname).

- :mod:`.values`: one field's value either way, and unsaved instances (or light records)
  from wire rows;
- :mod:`.rows`: stored rows read as wire rows (reference states, fact aggregates);
- :mod:`.travel`: aggregates as they travel (protocol 2), the hub's fact cache, and the
  current states of rows that a push or a pull sends.
"""

from comptoir.sync.wire.rows import CHUNK, fact_aggregates, reference_states
from comptoir.sync.wire.travel import (
    FactCache,
    compact,
    expanded,
    fact_cache,
    states,
    wire_aggregates,
)
from comptoir.sync.wire.values import (
    Convert,
    build,
    build_record,
    from_wire,
    record_type,
    row_to_wire,
    to_wire,
)

__all__ = [
    "CHUNK",
    "Convert",
    "FactCache",
    "build",
    "build_record",
    "compact",
    "expanded",
    "fact_aggregates",
    "fact_cache",
    "from_wire",
    "record_type",
    "reference_states",
    "row_to_wire",
    "states",
    "to_wire",
    "wire_aggregates",
]
