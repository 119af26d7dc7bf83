"""The closings' own clock: a thread of ``comptoir serve`` that closes the periods that are
over on this post's tills every ``CYCLE_SECONDS``, so that a post left running past
midnight with no action closes its day within a cycle.

``serve`` starts it where no sync worker does that job (``SyncWorker(on_cycle=...)``):
a till with no hub, a till served with ``--no-sync``, and the hub's own post (its web
till). A cycle on a day already closed costs nothing (``closings_close_due`` remembers
it); a cycle that fails is logged and tried again at the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections

from comptoir.closings.models import Closing
from comptoir.closings.services import closings_close_due
from comptoir.lib.errors import ComptoirError
from comptoir.lib.periodic import PeriodicWorker

log = logging.getLogger("comptoir.closings")

CYCLE_SECONDS = 60.0


class ClosingsWorker(PeriodicWorker):
    name = "comptoir-closings"

    def __init__(
        self,
        *,
        interval: float = CYCLE_SECONDS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(interval=interval)
        self.now = now  # the clock (tests); ``timezone.now`` by default

    def cycle(self) -> list[Closing]:
        """Close what is due now; never raises (the post keeps serving)."""
        close_old_connections()
        try:
            return closings_close_due(at=self.now() if self.now else None)
        except ComptoirError as exc:  # refused (a damaged database: said elsewhere)
            log.warning("clôtures non faites : %s", exc.message)
            return []
        except Exception:  # the till must keep working whatever happens here
            log.exception("clôtures non faites (nouvel essai au prochain cycle)")
            return []
        finally:
            close_old_connections()
