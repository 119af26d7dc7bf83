"""Base classes every synced model derives from, and the store/till structure.

- :class:`ReferenceModel`: reference data, edited on any side (per-field LWW when synced).
- :class:`FactModel`: immutable facts, inserted once and never updated nor deleted.
  The ORM refuses it here; database triggers (see ``core.db``) refuse raw UPDATEs.
- Derived tables (stock levels, statistics) are plain models rebuilt from facts.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.core.errors import ImmutableError
from comptoir.core.ids import new_id


def current_node_id() -> str:
    return str(settings.COMPTOIR_NODE_ID)


class SyncedModel(models.Model):
    """A row that exists on every side that needs it, identified by a UUIDv7 born where it was."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    origin_node = models.CharField(
        _("origine"),
        max_length=36,
        default=current_node_id,
        editable=False,
        help_text=_("Identifiant du poste (caisse ou serveur) où la ligne est née."),
    )

    class Meta:
        abstract = True


class ReferenceModel(SyncedModel):
    """Reference data: editable anywhere, never physically deleted once facts point to it."""

    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now, editable=False)
    archived = models.BooleanField(_("archivé"), default=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            self.updated_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)


class FactQuerySet(models.QuerySet[Any]):
    """Facts are append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableError(
            gettext("%(model)s : un fait enregistré ne se modifie pas.")
            % {"model": self.model._meta.verbose_name}
        )

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableError(
            gettext("%(model)s : un fait enregistré ne se supprime pas.")
            % {"model": self.model._meta.verbose_name}
        )

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        return self.update()


class FactModel(SyncedModel):
    """An immutable fact: inserted once by UUID, corrected only by another fact."""

    objects: ClassVar[models.Manager[Any]] = FactQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(
                gettext("%(model)s : un fait enregistré ne se modifie pas.")
                % {"model": self._meta.verbose_name}
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError(
            gettext("%(model)s : un fait enregistré ne se supprime pas.")
            % {"model": self._meta.verbose_name}
        )


class Store(ReferenceModel):
    name = models.CharField(_("nom"), max_length=120, unique=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    address = models.TextField(_("adresse"), blank=True)
    siret = models.CharField(_("SIRET"), max_length=20, blank=True)
    vat_number = models.CharField(_("n° de TVA"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("magasin")
        verbose_name_plural = _("magasins")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Till(ReferenceModel):
    """A point of sale. ``prefix`` starts its invoice numbers (``C1-2026-000123``)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="tills")
    name = models.CharField(_("nom"), max_length=120)
    prefix = models.CharField(_("préfixe"), max_length=12, unique=True)
    node_id = models.CharField(
        _("poste"),
        max_length=36,
        blank=True,
        help_text=_("Identifiant du poste qui tient cette caisse et sa série de numéros."),
    )

    class Meta:
        verbose_name = _("caisse")
        verbose_name_plural = _("caisses")
        ordering = ["store__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="till_unique_name_per_store"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class SeriesCounter(models.Model):
    """The last number used in a till's series for a document kind and a year.

    Local to the till that owns the series (never synced): only that till numbers its
    documents. The row is locked (``select_for_update``) while a number is assigned, in
    the same transaction as the document, so numbers are continuous and never reused.
    """

    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["till", "kind", "year"], name="series_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.till_id} {self.kind} {self.year}: {self.last_number}"
