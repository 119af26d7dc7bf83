"""The per-till chain of validated documents (French till-software inalterability). Pure.

Each invoice or credit note stores the hash of the previous document of its till and its
own hash: SHA-256 of the previous hash and the document's business values serialised as
canonical JSON (never database ids), so that any later alteration breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = ""


def chain_hash(previous: str, values: dict[str, Any]) -> str:
    payload = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous}\n{payload}".encode()).hexdigest()
