"""« Synchroniser maintenant »: one sync cycle run for the web page, never for long.

The cycle runs in a thread of its own and the page waits for it at most
``SYNC_NOW_TIMEOUT`` seconds: under ASGI, synchronous views share one thread, so a hub
that accepts connections but never answers must not freeze every other page (the badge
included). When the wait runs out the cycle goes on in the background and the page says
so. One manual cycle at a time per process; the background worker may run beside it
(the engine is safe against concurrent pushes and pulls).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from django.db import close_old_connections, connection
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError
from comptoir.lib.numbers import format_seconds
from comptoir.syncengine import engine
from comptoir.syncengine.describe import describe_moves

log = logging.getLogger("comptoir.dashboard")

SYNC_NOW_TIMEOUT = 15.0
HTTP_TIMEOUT = 10.0

_running = threading.Lock()


@dataclass
class Outcome:
    """What the page tells: ``level`` is success, warning or error."""

    level: str
    text: str
    details: list[str] = field(default_factory=list)
    finished: bool = True


def _describe(report: engine.Report, seconds: float) -> Outcome:
    moves = describe_moves(report.sent, report.received)
    rejected = [
        _("Refusé (%(model)s) : %(reason)s") % {"model": model, "reason": reason}
        for model, reason in report.rejected
    ]
    if report.errors:
        return Outcome(
            "error",
            _("Échec de la synchronisation : %(errors)s")
            % {"errors": " ; ".join(dict.fromkeys(report.errors))},
            rejected,
        )
    if report.rejected:
        return Outcome(
            "warning",
            _("Synchronisation faite, mais %(n)d changement(s) refusé(s) par le serveur : %(m)s")
            % {"n": len(report.rejected), "m": moves},
            rejected,
        )
    return Outcome(
        "success",
        _("Synchronisation réussie en %(s)s. %(m)s")
        % {"s": format_seconds(seconds, 1), "m": moves},
    )


def _cycle(result: list[Outcome]) -> None:
    started = time.monotonic()
    try:
        close_old_connections()
        client = engine.client_from_settings(timeout=HTTP_TIMEOUT)
        try:
            report = engine.sync("sync", client=client)
        finally:
            client.close()
        outcome = _describe(report, time.monotonic() - started)
    except ComptoirError as exc:
        outcome = Outcome("error", _("Échec de la synchronisation : %(e)s") % {"e": exc.message})
    except Exception as exc:  # shown plainly, and logged with its traceback
        log.exception("synchronisation manuelle")
        outcome = Outcome(
            "error", _("Échec de la synchronisation : erreur interne (%(e)s).") % {"e": exc}
        )
    finally:
        connection.close()
        _running.release()
    log.log(
        logging.INFO if outcome.level == "success" else logging.WARNING,
        "synchronisation manuelle : %s",
        outcome.text,
    )
    result.append(outcome)


def sync_now(timeout: float = SYNC_NOW_TIMEOUT) -> Outcome:
    """Run a full cycle (pull then push) and describe it, waiting at most ``timeout`` s."""
    if not _running.acquire(blocking=False):
        return Outcome(
            "warning",
            _("Une synchronisation manuelle est déjà en cours : patientez un instant."),
            finished=False,
        )
    result: list[Outcome] = []
    thread = threading.Thread(target=_cycle, args=(result,), name="comptoir-sync-now", daemon=True)
    thread.start()
    thread.join(timeout)
    if result:
        return result[0]
    return Outcome(
        "warning",
        _(
            "Le serveur n'a pas répondu en %(s)d s : la synchronisation continue en "
            "arrière-plan. Rechargez la page dans un moment pour voir où elle en est."
        )
        % {"s": int(timeout)},
        finished=False,
    )
