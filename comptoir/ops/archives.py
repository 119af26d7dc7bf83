"""Making the archive of a closed period (``comptoir journal archive`` and the managers'
download page: one code path).

Which posts: on a till, its own; on the hub, every post of one store (an archive is what
an accountant keeps per company: one store, one file; the hub's own post signs it and the
manifest lists each post's public key). A period can be archived once it is over and,
on every post that had a document by its end, closed (the closing of that year or month
exists); a post archived before the period, with no document in it, is not waited for.
The file appears whole or not at all; making it records an ``archive_made`` technical
event with the period and the file's SHA-256, in the transaction that puts the file in
place.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.closings.figures import fiscal_year_of, month_of
from comptoir.closings.models import Closing, ClosingKind
from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.fiscal.archive import archive_write, verify_archive
from comptoir.journal.archive import Period, archive_contents
from comptoir.journal.postkey import post_key
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.sales.models import CreditNote, Invoice
from comptoir.stores.models import Store, Till
from comptoir.stores.selectors import till_current

_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class ArchiveRefused(ValidationError):
    """The archive cannot be made as asked; nothing was written."""


@dataclass(frozen=True)
class ArchiveMade:
    path: Path
    period: Period
    sha256: str
    records: int
    posts: list[str]  # the prefixes of the posts whose records it holds
    whole: bool  # whether ``archive-verify`` finds it whole (a broken chain shows)
    problem: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "period": {
                "label": self.period.label,
                "kind": self.period.kind,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "sha256": self.sha256,
            "records": self.records,
            "posts": self.posts,
            "whole": self.whole,
            "problem": self.problem,
        }


def is_hub() -> bool:
    return bool(settings.COMPTOIR_ROLE == "hub")


def period_parse(*, year: str | None, month: str | None, store: Store) -> Period:
    """The period of ``--period YEAR`` (the store's fiscal year starting in that year)
    and/or ``--month YYYY-MM`` (within that fiscal year when both are given)."""
    fiscal: tuple[date, date] | None = None
    if year is not None:
        text = year.strip()
        if not _YEAR.fullmatch(text) or int(text) < 1:
            raise ArchiveRefused(
                _("Période invalide : « %(value)s » (une année, ex. 2026).") % {"value": year}
            )
        fiscal = fiscal_year_of(
            date(int(text), store.fiscal_year_start, 1), store.fiscal_year_start
        )
    if month is None:
        if fiscal is None:
            raise ArchiveRefused(_("Indiquez la période : --period AAAA et/ou --month AAAA-MM."))
        return Period(ClosingKind.YEAR, fiscal[0], fiscal[1], year.strip() if year else "")
    found = _MONTH.fullmatch(month.strip())
    if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        raise ArchiveRefused(
            _("Mois invalide : « %(value)s » (format AAAA-MM, ex. 2026-11).") % {"value": month}
        )
    start, end = month_of(date(int(found[1]), int(found[2]), 1))
    if fiscal is not None and not fiscal[0] <= start <= fiscal[1]:
        raise ArchiveRefused(
            _("Le mois %(month)s n'est pas dans l'exercice %(year)s (du %(start)s au %(end)s).")
            % {
                "month": month.strip(),
                "year": year,
                "start": fiscal[0].isoformat(),
                "end": fiscal[1].isoformat(),
            }
        )
    return Period(ClosingKind.MONTH, start, end, month.strip())


def store_posts(store: Store) -> list[Till]:
    """On the hub, every post of ``store`` (archived ones too: their records stay)."""
    return list(Till.objects.select_related("store").filter(store=store).order_by("prefix"))


def period_of_label(label: str, *, store: Store) -> Period:
    """The period a label names: ``2026`` (a fiscal year) or ``2026-11`` (a month)."""
    if "-" in label:
        return period_parse(year=None, month=label, store=store)
    return period_parse(year=label, month=None, store=store)


def archive_scope(*, store_name: str | None, post: str | None) -> tuple[Store, list[Till]]:
    """The store and the posts an archive covers (see the module docstring)."""
    if not is_hub():
        own = till_current()
        tills = list(
            Till.objects.select_related("store")
            .filter(node_id=own.node_id, store=own.store)
            .order_by("prefix")
        )
        if store_name and store_name != own.store.name:
            raise ArchiveRefused(
                _("Ce poste n'archive que son magasin, « %(name)s ».") % {"name": own.store.name}
            )
    else:
        if store_name:
            store = Store.objects.filter(name=store_name).first()
            if store is None:
                raise NotFoundError(_("Magasin inconnu : « %(name)s ».") % {"name": store_name})
        elif post:
            found = Till.objects.select_related("store").filter(prefix=post.strip().upper())
            store = found[0].store if found else None
        else:
            stores = list(Store.objects.order_by("name")[:2])
            if len(stores) != 1:
                raise ArchiveRefused(
                    _(
                        "Ce serveur tient plusieurs magasins : choisissez celui à archiver "
                        "avec --store NOM (une archive par magasin)."
                    )
                )
            store = stores[0]
        tills = store_posts(store) if store is not None else []
    if post:
        tills = [t for t in tills if t.prefix == post.strip().upper()]
        if not tills:
            raise NotFoundError(_("Poste inconnu : « %(post)s ».") % {"post": post})
    if not tills:
        raise ArchiveRefused(_("Aucun poste à archiver."))
    return tills[0].store, tills


def _documents(till: Till, **where: Any) -> bool:
    return any(m.objects.filter(till=till, **where).exists() for m in (Invoice, CreditNote))


def period_open_reason(tills: Sequence[Till], period: Period) -> str | None:
    """Why ``period`` cannot be archived yet on ``tills`` (None: it is closed)."""
    if period.end >= timezone.localdate():
        return _("La période %(period)s n'est pas terminée : elle ne peut pas être archivée.") % {
            "period": period.label
        }
    for till in tills:
        if not _documents(till, business_date__lte=period.end):
            continue  # no closing is ever made before a post's first document
        if till.archived and not _documents(till, business_date__range=(period.start, period.end)):
            continue
        if not Closing.objects.filter(
            till=till, kind=period.kind, period_start=period.start
        ).exists():
            return _(
                "La période %(period)s n'est pas close sur le poste %(post)s (pas de clôture "
                "%(kind)s) : elle ne peut pas être archivée."
            ) % {
                "period": period.label,
                "post": till.prefix,
                "kind": ClosingKind(period.kind).label,
            }
    return None


def out_check(out: Path, *, force: bool) -> None:
    if not out.parent.is_dir():
        raise ArchiveRefused(
            _("Le dossier %(folder)s n'existe pas : l'archive n'est pas écrite.")
            % {"folder": out.parent}
        )
    if out.is_dir():
        raise ArchiveRefused(_("%(path)s est un dossier.") % {"path": out})
    if out.exists() and not force:
        raise ArchiveRefused(
            _("%(path)s existe déjà : choisissez un autre nom, ou --force pour le remplacer.")
            % {"path": out}
        )


def journal_archive(
    *, tills: Sequence[Till], period: Period, out: Path, force: bool = False, user: str = ""
) -> ArchiveMade:
    """Write the archive of ``period`` for ``tills`` to ``out`` (see the module
    docstring). Raises :class:`ArchiveRefused` (nothing written) when it cannot."""
    out = Path(out)
    out_check(out, force=force)
    reason = period_open_reason(tills, period)
    if reason is not None:
        raise ArchiveRefused(reason)
    signer = till_current()
    records, posts = archive_contents(tills, period, signer=signer)
    staging = out.with_name(f".{out.name}.{uuid.uuid4().hex}.partial")
    try:
        try:
            archive_write(
                staging,
                records=records,
                posts=posts,
                period=(period.start, period.end),
                made_at=timezone.now(),
                signer=str(signer.pk),
                key=post_key(),
            )
        except OSError as exc:
            raise ArchiveRefused(
                _("Impossible d'écrire %(path)s : %(error)s.")
                % {"path": out, "error": exc.strerror or exc}
            ) from None
        report = verify_archive(staging)
        digest = hashlib.sha256(staging.read_bytes()).hexdigest()
        with transaction.atomic():
            event_record(
                kind=EventKind.ARCHIVE_MADE,
                details={
                    "period": period.label,
                    "from": period.start.isoformat(),
                    "to": period.end.isoformat(),
                    "sha256": digest,
                    "records": len(records),
                },
                user=user,
            )
            out_check(out, force=force)
            os.replace(staging, out)
    finally:
        staging.unlink(missing_ok=True)
    prefixes = {str(t.pk): t.prefix for t in tills}
    return ArchiveMade(
        path=out,
        period=period,
        sha256=digest,
        records=len(records),
        posts=sorted({prefixes[r.post_id] for r in records if r.post_id in prefixes}),
        whole=report.ok,
        problem=report.problem,
    )


def archive_periods(tills: Sequence[Till], store: Store) -> list[Period]:
    """The years and months closed on ``tills`` that can be archived, the latest first
    (what the download page offers). A period still open on one post is not offered."""
    rows = (
        Closing.objects.filter(till__in=tills, kind__in=(ClosingKind.YEAR, ClosingKind.MONTH))
        .values_list("kind", "period_start")
        .distinct()
    )
    periods = []
    for kind, start in sorted(set(rows), key=lambda r: r[1], reverse=True):
        label = f"{start.year:04d}" if kind == ClosingKind.YEAR else f"{start:%Y-%m}"
        period = period_of_label(label, store=store)
        if period.start == start and period_open_reason(tills, period) is None:
            periods.append(period)
    return periods
