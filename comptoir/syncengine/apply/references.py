"""Reference rows (articles, customers...): per-field last writer wins on hybrid clocks,
every value that loses to a concurrent edit kept in the conflict log; rows new here
inserted in bulk.

Which edits are concurrent (only what is logged depends on it, never the merge):

- a node's push carries ``bases``, the clock each edited field had when it was edited.
  The hub stores that clock still: a plain successor, applied without a log entry.
  Another clock: someone else wrote the field meanwhile, a conflict. A field the change
  did not edit (it carries the value the node had seen) is never a conflict of its own.
- on a node, a pulled value conflicts with a field only while this node has an edit of
  it not yet acknowledged by the hub (in its outbox): otherwise the hub had seen this
  node's value, and logged the conflict itself if there was one.
- a change without bases (a node of the previous version) on the hub: every overwritten
  value is logged, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import DataError, IntegrityError, models, transaction
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError
from comptoir.stores.models import Till
from comptoir.sync import capture, clock, registry, wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.inserts import insert_rows
from comptoir.sync.models import ConflictLog, OutboxEntry
from comptoir.syncengine.apply.base import Outcome, Rejected, check_foreign_keys
from comptoir.syncengine.protocol import CLOCK_TOLERANCE_MS, Change, ReferenceChange


def _authorize(spec: registry.ReferenceSpec, till: Till | None, obj: Any, names: set[str]) -> None:
    if till is not None and spec.authorize is not None and names:
        reason = spec.authorize(till, obj, names)
        if reason:
            raise Rejected(reason)


def apply_reference(
    change: ReferenceChange, origin: str, hub_now_ms: int | None, till: Till | None = None
) -> str:
    spec = registry.reference_spec(change.model)
    if spec is None:
        raise Rejected(_("Modèle non synchronisé : %(model)s.") % {"model": change.model})
    fields: dict[str, Any] = change.data.fields
    clocks: dict[str, str] = change.data.clocks
    if str(fields.get("id")) != change.row:
        raise Rejected(_("Identifiant de ligne incohérent."))
    bases: dict[str, str] | None = change.data.bases
    unknown = (set(fields) - {"id"} | set(clocks) | set(bases or ())) - set(spec.fields)
    if unknown:
        raise Rejected(_("Champs inconnus : %(f)s.") % {"f": ", ".join(sorted(unknown))})
    try:
        stamps = [Timestamp.decode(c) for c in clocks.values()]
    except (ValueError, AttributeError):
        raise Rejected(_("Horloge illisible.")) from None
    # Clocks are compared in their text form: only the canonical one sorts like the time
    # it encodes (``int`` also reads other digits, signs and spaces, which sort otherwise).
    if any(s.encode() != c for s, c in zip(stamps, clocks.values(), strict=True)):
        raise Rejected(_("Horloge illisible."))
    latest = max(stamps, default=None)
    if hub_now_ms is not None and latest and latest.wall_ms > hub_now_ms + CLOCK_TOLERANCE_MS:
        minutes = (latest.wall_ms - hub_now_ms) // 60_000
        raise Rejected(
            _(
                "L'horloge de ce poste est en avance d'environ %(m)d min sur le serveur : "
                "corrigez l'heure du poste."
            )
            % {"m": minutes}
        )
    model = spec.model
    obj: Any = model._default_manager.select_for_update().filter(pk=change.row).first()
    status = "applied"
    if obj is None:
        _authorize(spec, till, None, set(fields) - {"id"})
        obj = wire.build(model, fields, spec.fields)
        obj.sync_clocks = dict(clocks)
        check_foreign_keys(obj)
        with capture.applying(origin):
            obj.save(force_insert=True)
    else:
        changed: list[str] = []
        concurrent = _concurrency(change, bases)
        for attname, raw in fields.items():
            if attname == "id":
                continue
            remote_clock, local_clock = clocks.get(attname, ""), obj.sync_clocks.get(attname, "")
            new, old = wire.from_wire(model, attname, raw), getattr(obj, attname)
            if remote_clock > local_clock:
                if local_clock and old != new and concurrent(attname, local_clock, remote_clock):
                    _conflict(change, attname, kept=(new, remote_clock), lost=(old, local_clock))
                setattr(obj, attname, new)
                obj.sync_clocks[attname] = remote_clock
                changed.append(attname)
            elif (
                remote_clock < local_clock
                and old != new
                and concurrent(attname, local_clock, remote_clock)
            ):
                _conflict(change, attname, kept=(old, local_clock), lost=(new, remote_clock))
        if not changed:
            status = "duplicate"
        else:
            _authorize(spec, till, obj, set(changed))
            check_foreign_keys(obj)
            names = [model._meta.get_field(a).name for a in changed]
            with capture.applying(origin):
                obj.save(update_fields=[*names, "sync_clocks"])
    if latest:
        clock.observe(latest.encode())
    return status


def _concurrency(change: Change, bases: dict[str, str] | None) -> Callable[[str, str, str], bool]:
    """Whether a field's incoming value (at ``remote``) and the stored one (at ``local``)
    were written concurrently (see the module's docstring)."""
    if bases is not None:

        def from_bases(attname: str, local: str, remote: str) -> bool:
            base = bases.get(attname)
            edited = base is not None and base != remote
            return edited and base != local

        return from_bases
    if capture.is_hub():
        return lambda attname, local, remote: True
    unsent: list[set[str] | None] = []  # read once, when first needed

    def from_outbox(attname: str, local: str, remote: str) -> bool:
        if not unsent:
            unsent.append(_unsent_edits(change.model, change.row))
        edited = unsent[0]
        return edited is None or attname in edited

    return from_outbox


def _unsent_edits(label: str, row: str) -> set[str] | None:
    """The fields of a row this node edited and the hub has not acknowledged yet (None:
    unknown, as for a row created here or an entry older than bases)."""
    edited: set[str] = set()
    for bases in OutboxEntry.objects.filter(model=label, row_id=row).values_list(
        "bases", flat=True
    ):
        if bases is None:
            return None
        edited.update(bases)
    return edited


def _conflict(
    change: Change, attname: str, *, kept: tuple[Any, str], lost: tuple[Any, str]
) -> None:
    ConflictLog.objects.create(
        model=change.model,
        row_id=change.row,
        field=attname,
        kept_value=wire.to_wire(kept[0]),
        kept_clock=kept[1],
        lost_value=wire.to_wire(lost[0]),
        lost_clock=lost[1],
    )


def _new_reference_rows(
    spec: registry.ReferenceSpec, changes: list[Change], indexes: list[int]
) -> list[tuple[int, Any]]:
    """The rows of ``indexes`` that do not exist here yet and are well-formed, built."""
    rows = [changes[i].row for i in indexes]
    existing = {
        str(pk)
        for pk in spec.model._default_manager.filter(pk__in=rows).values_list("pk", flat=True)
    }
    built: list[tuple[int, Any]] = []
    taken: set[str] = set()
    canonical: set[str] = set()  # clocks seen well-formed (a batch shares a few stamps)
    for index in indexes:
        change = changes[index]
        if not isinstance(change, ReferenceChange) or change.row in existing or change.row in taken:
            continue
        fields, clocks = change.data.fields, change.data.clocks
        try:
            if str(fields.get("id")) != change.row or set(clocks) - set(spec.fields):
                continue
            for stamp in set(clocks.values()) - canonical:
                if Timestamp.decode(stamp).encode() != stamp:
                    raise ValueError(stamp)
                canonical.add(stamp)
            obj = wire.build(spec.model, fields, spec.fields)
        except (ComptoirError, ValueError, AttributeError, TypeError):
            continue  # the one-by-one path gives the reason
        obj.sync_clocks = dict(clocks)
        built.append((index, obj))
        taken.add(change.row)
    return built


def _resolvable(
    built: list[tuple[int, Any]], created: dict[type[models.Model], set[Any]]
) -> list[tuple[int, Any]]:
    """Those rows whose foreign keys all point to rows that exist (or were just made)."""
    if not built:
        return []
    model = type(built[0][1])
    ok = list(built)
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey):
            continue
        target: Any = field.related_model
        values = {getattr(obj, field.attname) for _i, obj in ok} - {None}
        found = set(target._default_manager.filter(pk__in=values).values_list("pk", flat=True))
        found |= created.get(target, set())
        ok = [(i, obj) for i, obj in ok if getattr(obj, field.attname) in found | {None}]
    return ok


def insert_new_references(changes: list[Change], origin: str) -> dict[int, Outcome]:
    """Rows that a node receives for the first time (a bootstrap), inserted in bulk.

    Only what is plainly new and well-formed takes this path: there is nothing to merge
    and no conflict to log. Everything else, and any batch the database refuses, goes
    through :func:`apply_change` one by one, which says why.
    """
    by_label: dict[str, list[int]] = {}
    for index, change in enumerate(changes):
        if isinstance(change, ReferenceChange) and registry.reference_spec(change.model):
            by_label.setdefault(change.model, []).append(index)
    outcomes: dict[int, Outcome] = {}
    created: dict[type[models.Model], set[Any]] = {}
    latest = ""
    for label, indexes in by_label.items():
        spec = registry.reference_spec(label)
        assert spec is not None
        rows = _resolvable(_new_reference_rows(spec, changes, indexes), created)
        if not rows:
            continue
        try:
            with transaction.atomic(), capture.applying(origin):
                insert_rows(spec.model, [obj for _i, obj in rows])
                capture.record((label, obj.pk, None) for _i, obj in rows)
        except (IntegrityError, DataError):
            continue
        created.setdefault(spec.model, set()).update(obj.pk for _i, obj in rows)
        for index, obj in rows:
            outcomes[index] = Outcome(changes[index].id, label, "applied")
            latest = max([latest, *obj.sync_clocks.values()])
    if latest:
        clock.observe(latest)
    return outcomes
