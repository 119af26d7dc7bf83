"""A hub restored from an older backup starts a new post for itself (drill 2).

What the hub's own post recorded after the backup (technical events of enrollments,
revocations, verifications, alerts; sales made on the hub) is lost with the hub's
database, while the tills hold copies. Were the hub to go on recording on that post, it
would number records at chain positions and series numbers the tills already hold: two
records for one position, a forked chain, a number issued twice.

So ``comptoir restore`` on a hub marks its home (``hub-restored.json``,
:func:`comptoir.backups.restore_backup`), and the hub's next start (``comptoir serve``)
opens a new post for it (:func:`hub_new_post`): a new till (a new prefix, so a new
invoice series), a new signing key, new chains; the old till is archived, with no post
holding it, its public key kept so that its records still verify. An integrity alert on
the new post says the hub was restored and from when. Until then, the hub writes nothing
of its own (:func:`ensure_new_post`): a command run before the start says so.

The old post's chains are completed by the tills: a till that notices the hub went back
sends again every fact of its store the hub lacks whatever post made it
(``recovery._hub_went_back``); the hub takes a record of another post only when its chain
signature verifies with that post's registered key (``apply.facts``), so a till relays
records, never makes them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from comptoir.backups import HUB_RESTORED_MARK
from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.events.services import event_record
from comptoir.fiscal.keys import KEY_FILE
from comptoir.journal import postkey
from comptoir.journal.services import post_key_register
from comptoir.lib.errors import ComptoirError
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current
from comptoir.stores.services import till_create
from comptoir.sync.models import ChangeLog

log = logging.getLogger("comptoir.sync")


class HubRestoredError(ComptoirError):
    """This hub was restored and has not opened its new post yet."""


def _home() -> Path | None:
    home = settings.COMPTOIR_HOME
    if home is None or settings.COMPTOIR_ROLE != "hub":
        return None
    return Path(home)


def marked() -> bool:
    home = _home()
    return home is not None and (home / HUB_RESTORED_MARK).exists()


def ensure_new_post() -> None:
    """Refuse a local write of synced data on a restored hub that has not opened its new
    post yet. Registered with ``capture.on_local_write``."""
    if _opening:
        return
    if marked():
        raise HubRestoredError(
            _(
                "ce serveur a été restauré depuis une sauvegarde : démarrez-le une fois "
                "(« comptoir serve ») pour qu'il ouvre un nouveau poste, puis recommencez."
            )
        )


_opening = False

RESTORE_CAUSE = "hub_restore"


def last_restore() -> tuple[str, int] | None:
    """The hub's last restore from a backup (its event on the post it opened then): when
    (ISO 8601) and its log head then; None if it was never restored."""
    event = (
        TechnicalEvent.objects.filter(
            kind=EventKind.INTEGRITY_ALERT,
            till__node_id=str(settings.COMPTOIR_NODE_ID),
            details__contains=f'"cause":"{RESTORE_CAUSE}"',
        )
        .order_by("-occurred_at")
        .first()
    )
    if event is None:
        return None
    head = event.details_data.get("log_head")
    return event.occurred_at.isoformat(), head if isinstance(head, int) else 0


def _free_prefix(base: str) -> str:
    for n in range(1, 1000):
        suffix = f"R{n}"
        candidate = f"{base[: 12 - len(suffix) - 1]}-{suffix}"
        if not Till.objects.filter(prefix=candidate).exists():
            return candidate
    raise HubRestoredError(_("aucun préfixe libre pour le nouveau poste du serveur."))


def hub_new_post() -> Till | None:
    """Open the restored hub's new post (see the module), once: the new till, or None when
    the home is not marked. Removes the mark."""
    global _opening
    home = _home()
    if home is None or not (home / HUB_RESTORED_MARK).exists():
        return None
    try:
        data = json.loads((home / HUB_RESTORED_MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    since = str(data.get("since") or "") if isinstance(data, dict) else ""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    key = home / KEY_FILE
    _opening = True
    try:
        with transaction.atomic(durable=True):
            # The log's head as the backup left it: a till whose cursor is past it missed
            # what comes after (``recovery``: it pulls everything again).
            rewound_to = ChangeLog.objects.aggregate(head=Max("seq"))["head"] or 0
            old = Till.objects.select_related("store").get(pk=till_current().pk)
            post_key_register(till=old)  # its records verify with it from now on
            old.node_id, old.archived = "", True
            old.save(update_fields=["node_id", "archived"])
            name = f"{old.name[:80]} ({datetime.now(UTC):%Y-%m-%d %H:%M:%S})"
            new = till_create(
                store=old.store,
                name=name,
                prefix=_free_prefix(old.prefix),
                node_id=str(settings.COMPTOIR_NODE_ID),
            )
            # A new signing key: the old one stays aside (its public half is on the old
            # till), the new one is made in the home and registered on the new till.
            aside = key.with_name(f"{KEY_FILE}.{old.prefix}-{stamp}")
            if key.exists():
                key.replace(aside)
            postkey._loaded.clear()
            try:
                post_key_register(till=new)
                event_record(
                    kind=EventKind.INTEGRITY_ALERT,
                    details={
                        "cause": RESTORE_CAUSE,
                        "since": since or "-",
                        "previous_post": old.prefix,
                        "new_post": new.prefix,
                        "log_head": rewound_to,
                    },
                    till=new,
                )
            except BaseException:
                # Nothing of it commits: the old key goes back in place.
                key.unlink(missing_ok=True)
                if aside.exists():
                    aside.replace(key)
                postkey._loaded.clear()
                raise
    finally:
        _opening = False
    (home / HUB_RESTORED_MARK).unlink(missing_ok=True)
    log.warning(
        "serveur restauré (sauvegarde du %s) : nouveau poste %s, l'ancien (%s) est archivé",
        since or "-",
        new.prefix,
        old.prefix,
    )
    return new
