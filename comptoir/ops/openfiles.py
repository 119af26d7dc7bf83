"""How many connections a server process can hold at once: its open-files limit.

Each till's live stream is a connection held for hours, and each connection is an open
file of the server process. Linux starts services with a soft limit of 1,024 (systemd's
default, whatever the hard limit), so a hub process would stop accepting tills at about a
thousand streams while the machine could hold many more: the soft limit is raised to the
hard one at start, as systemd's documentation asks of services that need more. The unit
also sets ``LimitNOFILE`` (``deploy/comptoir.service``).
"""

from __future__ import annotations

import sys

WANTED = 65536  # beyond this, a hub is split over more processes (serve --workers)


def open_files_raised(wanted: int = WANTED) -> tuple[int, int] | None:
    """Raise this process's soft open-files limit towards ``wanted``, within its hard
    limit; (before, after). ``None`` where there is no such limit (Windows)."""
    if sys.platform != "win32":
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return soft, soft
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        if soft >= ceiling:
            return soft, soft
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        except (ValueError, OSError):  # a platform that caps it lower (macOS: OPEN_MAX)
            return soft, soft
        return soft, ceiling
    return None  # Windows: no per-process limit of this kind
