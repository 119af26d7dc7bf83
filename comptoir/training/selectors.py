"""Reads of the training mode: is a till in training, its training sales."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.lib.errors import NotFoundError
from comptoir.stores.models import Till
from comptoir.training.models import TrainingSale

SWITCHES = (EventKind.TRAINING_ON, EventKind.TRAINING_OFF)


def _last_switch(till: Till) -> TechnicalEvent | None:
    return TechnicalEvent.objects.filter(till=till, kind__in=SWITCHES).order_by("-number").first()


def training_active(*, till: Till) -> bool:
    """Is ``till`` in training mode? Its technical event log says so: the last
    ``training_on``/``training_off`` event of the till (none: not in training). The log is
    the one record of the switch, so a restored till is in the mode its log says."""
    last = _last_switch(till)
    return last is not None and last.kind == EventKind.TRAINING_ON


def training_status(*, till: Till) -> dict[str, Any]:
    """The training mode of ``till`` as plain data (``comptoir training status --json``)."""
    last = _last_switch(till)
    return {
        "till": till.prefix,
        "training": last is not None and last.kind == EventKind.TRAINING_ON,
        "since": timezone.localtime(last.occurred_at).isoformat() if last else None,
        "user": last.user if last else None,
        "sales": TrainingSale.objects.filter(till=till).count(),
    }


def training_sale_list(*, till: Till, limit: int | None = None) -> QuerySet[TrainingSale]:
    qs = TrainingSale.objects.filter(till=till).order_by("-sequence")
    return qs[:limit] if limit is not None else qs


def training_sale_detail(*, number: str, till: Till) -> TrainingSale:
    """A training sale of ``till`` with what its receipt prints."""
    sale = (
        TrainingSale.objects.select_related("till", "store")
        .prefetch_related("lines", "taxes", "payments")
        .filter(number=number, till=till)
        .first()
    )
    if sale is None:
        raise NotFoundError(_("Vente de formation inconnue : « %(number)s ».") % {"number": number})
    return sale
