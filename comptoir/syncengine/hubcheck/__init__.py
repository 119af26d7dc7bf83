"""``comptoir hub check``: what is wrong with a hub on its server, before a shop finds out.

Each check gives :class:`Finding` values: what was found, and for a problem what to do.
The checks read the settings, the home's configuration, the database, the backups folder
and the disk; with a public address (``url``) they also ask the hub through its reverse
proxy whether HTTPS reaches comptoir as HTTPS. Nothing is written anywhere.
"""

from __future__ import annotations

from pathlib import Path

from comptoir.home import HomeConfig
from comptoir.syncengine.hubcheck.findings import Finding
from comptoir.syncengine.hubcheck.storage import (
    check_backups,
    check_compaction,
    check_database,
    check_disk,
)
from comptoir.syncengine.hubcheck.web import (
    SECURE_TRANSPORT,
    SECURITY_MIDDLEWARE,
    check_allowed_hosts,
    check_debug,
    check_django_deploy,
    check_https,
)

__all__ = [
    "SECURE_TRANSPORT",
    "SECURITY_MIDDLEWARE",
    "Finding",
    "check_compaction",
    "hub_check",
]


def hub_check(
    *,
    config: HomeConfig | None,
    home: Path,
    backups: Path,
    url: str = "",
    ca_file: str = "",
) -> list[Finding]:
    """Every check, in the order an operator reads them."""
    return [
        *check_debug(),
        *check_allowed_hosts(url),
        *check_https(config, url, ca_file),
        *check_database(),
        *check_backups(backups),
        *check_disk(home, backups),
        *check_django_deploy(),
    ]
