"""Base classes every synced model derives from.

- :class:`ReferenceModel`: reference data, edited on any side (per-field LWW when synced).
- :class:`FactModel`: immutable facts, inserted once and never updated nor deleted.
  The ORM refuses it here; database triggers (see ``core.db``) refuse raw UPDATEs.
- Derived tables (stock levels, statistics) are plain models rebuilt from facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.lib.errors import ImmutableError
from comptoir.lib.ids import new_id, part_id
from comptoir.sync import bulkwrites, capture, clock, registry


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


class _LockOrderQuerySet(models.QuerySet[Any]):
    def select_for_update(self, *args: Any, **kwargs: Any) -> Any:
        """On the hub, take the change-log lock before locking synced rows: a push takes
        it first, then locks the rows it merges into (and the clock), so a service that
        locked a row and then waited for the change-log lock to append would deadlock
        with it. One order everywhere: change log, rows, clock (``clock.state_locked``).
        """
        if capture.is_hub():
            capture.lock_log()
        return super().select_for_update(*args, **kwargs)


class ReferenceQuerySet(_LockOrderQuerySet):
    """Reference rows change one by one (each change is stamped and captured for sync).

    Bulk updates would escape the per-field clocks, and deletes would lose rows that facts
    may point to on another post: both are refused. ``bulk_create`` is captured.
    """

    def update(self, **kwargs: Any) -> int:
        raise ImmutableError(
            gettext("%(model)s : modifiez les lignes une à une (par les services).")
            % {"model": self.model._meta.verbose_name}
        )

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        return self.update()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableError(
            gettext("%(model)s : une donnée de référence ne se supprime pas, elle s'archive.")
            % {"model": self.model._meta.verbose_name}
        )

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        label = registry.label_of(self.model)
        spec = registry.reference_spec(label)
        with transaction.atomic():
            if spec is not None and capture.applying_origin() is None:
                capture.check_local(self.model, objs)
                stamp = clock.tick()
                for obj in objs:
                    obj.sync_clocks = dict.fromkeys(spec.fields, stamp)
            created = super().bulk_create(objs, *args, **kwargs)
            if spec is not None:
                capture.record((label, obj.pk, None) for obj in created)
        return created

    def insert_values(self, rows: Sequence[dict[str, Any]], *, stamp: str = "") -> list[Any]:
        """New rows from ``{attname: value}`` dicts, captured (see :mod:`.bulkwrites`)."""
        return bulkwrites.insert_values(self, rows, stamp=stamp)

    def update_values(
        self, rows: Sequence[dict[str, Any]], *, stamp: str = ""
    ) -> dict[Any, tuple[str, ...]]:
        """Changed fields of existing rows, captured (see :mod:`.bulkwrites`)."""
        return bulkwrites.update_values(self, rows, stamp=stamp)


class ReferenceModel(SyncedModel):
    """Reference data: editable anywhere, never physically deleted once facts point to it.

    Every local save stamps the fields it changed with a new hybrid-logical-clock value
    (``sync_clocks``: field -> timestamp) and records the row for sync, in the same
    transaction. Merges keep, field by field, the value with the latest timestamp.
    """

    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now, editable=False)
    archived = models.BooleanField(_("archivé"), default=False)
    sync_clocks = models.JSONField(default=dict, editable=False)

    objects: ClassVar[models.Manager[Any]] = ReferenceQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        label = registry.label_of(self)
        spec = registry.reference_spec(label)
        bases: dict[str, str] | None = None  # edited fields -> the clocks they replaced
        with transaction.atomic():
            if capture.applying_origin() is None:
                if not self._state.adding:
                    self.updated_at = timezone.now()
                    if kwargs.get("update_fields") is not None:
                        kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
                changed = (
                    self._changed_fields(spec.fields, kwargs.get("update_fields")) if spec else []
                )
                if not self._state.adding:
                    bases = {f: self.sync_clocks.get(f, "") for f in changed}
                if changed:
                    stamp = clock.tick()
                    self.sync_clocks = {**self.sync_clocks, **dict.fromkeys(changed, stamp)}
                    if kwargs.get("update_fields") is not None:
                        kwargs["update_fields"] = {*kwargs["update_fields"], "sync_clocks"}
                if spec is not None:
                    capture.check_local(type(self), [self])
            super().save(*args, **kwargs)
            self._loaded = self._current_values()
            if spec is not None:
                key = (label, self.pk)
                capture.record([(*key, None)], bases=None if bases is None else {key: bases})

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError(
            gettext("%(model)s : une donnée de référence ne se supprime pas, elle s'archive.")
            % {"model": self._meta.verbose_name}
        )

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        obj = super().from_db(db, field_names, values)
        obj._loaded = obj._current_values()
        return obj

    def _current_values(self) -> dict[str, Any]:
        deferred = self.get_deferred_fields()
        return {
            f.attname: getattr(self, f.attname)
            for f in self._meta.concrete_fields
            if f.attname not in deferred
        }

    def _changed_fields(self, spec_fields: tuple[str, ...], update_fields: Any) -> list[str]:
        if self._state.adding:
            return list(spec_fields)
        if update_fields is not None:
            names = {self._meta.get_field(name).attname for name in update_fields}  # type: ignore[union-attr]
            return [f for f in spec_fields if f in names]
        loaded = getattr(self, "_loaded", None)
        if loaded is None:
            return list(spec_fields)
        # A deferred field is neither loaded nor saved: clocking it would give its stale
        # stored value a new clock, which would then win over a newer edit made elsewhere.
        current = self._current_values()
        return [
            f for f in spec_fields if f in current and (f not in loaded or loaded[f] != current[f])
        ]


class FactQuerySet(_LockOrderQuerySet):
    """Facts are append-only: bulk updates and deletes are refused; inserts are captured."""

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

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        with transaction.atomic():
            capture.check_local(self.model, objs)
            created = super().bulk_create(objs, *args, **kwargs)
            capture.record(capture.fact_roots(created))
        return created


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
        with transaction.atomic():
            capture.check_local(type(self), [self])
            super().save(*args, **kwargs)
            capture.record(capture.fact_roots([self]))

    def part_keys(self, model: type[models.Model], n: int) -> dict[str, Any]:
        """The id and creation time of this aggregate's ``n``-th part (from 0) of ``model``.

        Derived from this root (:func:`comptoir.lib.ids.part_id`, the root's own moment),
        so that the wire leaves both out and the receiver finds the same values again.
        """
        return {"id": part_id(self.pk, model._meta.label_lower, n), "created_at": self.created_at}

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError(
            gettext("%(model)s : un fait enregistré ne se supprime pas.")
            % {"model": self._meta.verbose_name}
        )
