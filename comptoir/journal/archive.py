"""A period's fiscal records read from the database, as an archive holds them
(**archiving**: :mod:`comptoir.fiscal.archive` writes and verifies the file).

Every chain registered in :mod:`comptoir.journal.kinds` is read as ``journal verify``
reads it (:func:`~comptoir.journal.verify.chain_stored`: each kind's values, version 1
rebuilds, prefetches), so a kind registered later is archived by itself. A record
belongs to the day of its ``business_date`` when it has one (documents: the day their
closing counts them in), else to the local day of its instant. A period's records of a
chain are taken as one unbroken run, from its first record of the period to its last,
so that the archive's chains link from the record before the period to their head.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.fiscal.archive_format import ArchivedRecord, PostInfo
from comptoir.fiscal.keys import public_key_text
from comptoir.journal.kinds import chains
from comptoir.journal.postkey import till_public_key
from comptoir.journal.verify import Stored, chain_stored
from comptoir.lib.errors import ValidationError
from comptoir.stores.models import Till


@dataclass(frozen=True)
class Period:
    """A legal period an archive covers: a fiscal year or a month, both days included.
    ``kind`` is the kind of the closing that closes it (``year`` or ``month``)."""

    kind: str
    start: date
    end: date
    label: str  # ``2026`` (the fiscal year starting in 2026) or ``2026-11``


def record_day(stored: Stored) -> date:
    """The day a stored record belongs to (see the module docstring)."""
    day = getattr(stored.obj, "business_date", None)
    if isinstance(day, date):
        return day
    return timezone.localtime(getattr(stored.obj, stored.spec.instant)).date()


def period_records(till: Till, start: date, end: date) -> list[ArchivedRecord]:
    """The till's records of every chain from ``start`` to ``end`` (see the module
    docstring), each chain in its order."""
    out: list[ArchivedRecord] = []
    for chain in chains():
        stored = chain_stored(till, chain)
        inside = [n for n, item in enumerate(stored) if start <= record_day(item) <= end]
        if inside:
            out += [
                ArchivedRecord(str(till.pk), chain, item.record)
                for item in stored[inside[0] : inside[-1] + 1]
            ]
    return out


def post_info(till: Till) -> PostInfo:
    """What the manifest says of a post: its id, prefix and public key (this post's own
    key for its own till, else the one registered with the hub)."""
    key = till_public_key(till)
    if key is None:
        raise ValidationError(
            _(
                "La clé publique du poste %(post)s est inconnue : ses enregistrements ne "
                "peuvent pas être archivés (ré-enrôlez le poste)."
            )
            % {"post": till.prefix}
        )
    return PostInfo(str(till.pk), till.prefix, public_key_text(key))


def archive_contents(
    tills: Iterable[Till], period: Period, *, signer: Till
) -> tuple[list[ArchivedRecord], list[PostInfo]]:
    """The records of ``tills`` in ``period`` and the posts the manifest lists: the
    signing post (``signer``, this side's own) and every post with a record."""
    records: list[ArchivedRecord] = []
    posts = {str(signer.pk): post_info(signer)}
    for till in tills:
        found = period_records(till, period.start, period.end)
        if found and str(till.pk) not in posts:
            posts[str(till.pk)] = post_info(till)
        records += found
    return records, list(posts.values())
