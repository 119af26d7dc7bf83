"""Applying received changes: per-field LWW for reference rows, insert-once for facts.

Each change is applied in its own savepoint inside the caller's transaction, so a
rejected change leaves nothing behind while the others of the batch commit. Foreign keys
are checked up front (they are deferred to commit by the database, where a violation
would fail the whole batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, DataError, IntegrityError, models, transaction
from django.utils.translation import gettext as _

from comptoir.core.errors import ComptoirError
from comptoir.core.models import Till
from comptoir.sync import capture, clock, registry, wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ConflictLog
from comptoir.sync.protocol import CLOCK_TOLERANCE_MS, Change


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    change_id: str
    model: str
    status: str  # applied | duplicate | rejected
    reason: str = ""


@contextmanager
def _collected(origin: str) -> Iterator[None]:
    # One change-log entry per applied aggregate, whatever rows it inserted.
    with capture.collecting() as roots:
        yield
    with capture.applying(origin):
        capture.record(roots)


def _check_foreign_keys(obj: models.Model) -> None:
    for field in obj._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey):
            continue
        value = getattr(obj, field.attname)
        if value is None:
            continue
        target = field.related_model
        if not target._default_manager.filter(pk=value).exists():  # type: ignore[union-attr]
            raise Rejected(
                _("%(model)s %(id)s inconnu (référencé par %(field)s).")
                % {"model": target._meta.verbose_name, "id": value, "field": field.name}  # type: ignore[union-attr]
            )


def _authorize(spec: registry.ReferenceSpec, till: Till | None, obj: Any, names: set[str]) -> None:
    if till is not None and spec.authorize is not None and names:
        reason = spec.authorize(till, obj, names)
        if reason:
            raise Rejected(reason)


def _apply_reference(
    change: Change, origin: str, hub_now_ms: int | None, till: Till | None = None
) -> str:
    spec = registry.reference_spec(change["model"])
    if spec is None:
        raise Rejected(_("Modèle non synchronisé : %(model)s.") % {"model": change["model"]})
    fields: dict[str, Any] = change["data"]["fields"]
    clocks: dict[str, str] = change["data"]["clocks"]
    if str(fields.get("id")) != change["row"]:
        raise Rejected(_("Identifiant de ligne incohérent."))
    unknown = (set(fields) - {"id"} | set(clocks)) - set(spec.fields)
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
    obj: Any = model._default_manager.select_for_update().filter(pk=change["row"]).first()
    status = "applied"
    if obj is None:
        _authorize(spec, till, None, set(fields) - {"id"})
        obj = wire.build(model, fields, spec.fields)
        obj.sync_clocks = dict(clocks)
        _check_foreign_keys(obj)
        with capture.applying(origin):
            obj.save(force_insert=True)
    else:
        changed: list[str] = []
        for attname, raw in fields.items():
            if attname == "id":
                continue
            remote_clock, local_clock = clocks.get(attname, ""), obj.sync_clocks.get(attname, "")
            new, old = wire.from_wire(model, attname, raw), getattr(obj, attname)
            if remote_clock > local_clock:
                if local_clock and old != new:
                    _conflict(change, attname, kept=(new, remote_clock), lost=(old, local_clock))
                setattr(obj, attname, new)
                obj.sync_clocks[attname] = remote_clock
                changed.append(attname)
            elif remote_clock < local_clock and old != new:
                _conflict(change, attname, kept=(old, local_clock), lost=(new, remote_clock))
        if not changed:
            status = "duplicate"
        else:
            _authorize(spec, till, obj, set(changed))
            _check_foreign_keys(obj)
            names = [model._meta.get_field(a).name for a in changed]
            with capture.applying(origin):
                obj.save(update_fields=[*names, "sync_clocks"])
    if latest:
        clock.observe(latest.encode())
    return status


def _conflict(
    change: Change, attname: str, *, kept: tuple[Any, str], lost: tuple[Any, str]
) -> None:
    ConflictLog.objects.create(
        model=change["model"],
        row_id=change["row"],
        field=attname,
        kept_value=wire.to_wire(kept[0]),
        kept_clock=kept[1],
        lost_value=wire.to_wire(lost[0]),
        lost_clock=lost[1],
    )


def _apply_fact(change: Change, origin: str, till: Till | None) -> str:
    spec = registry.fact_spec(change["model"])
    if spec is None or spec.model not in {s.model for s in registry.fact_roots()}:
        raise Rejected(_("Modèle non synchronisé : %(model)s.") % {"model": change["model"]})
    rows: dict[str, Any] = change["data"]["rows"]
    roots = rows.get(spec.label)
    if (
        not isinstance(roots, list)
        or len(roots) != 1
        or not isinstance(roots[0], dict)
        or str(roots[0].get("id")) != change["row"]
    ):
        raise Rejected(_("Agrégat incomplet : la ligne principale manque."))
    allowed = {spec.label} | {registry.label_of(m) for m, _fk in spec.parts}
    if set(rows) - allowed:
        raise Rejected(
            _("Parties inattendues : %(p)s.") % {"p": ", ".join(sorted(set(rows) - allowed))}
        )
    root = wire.build(spec.model, roots[0], spec.fields)
    if spec.part_of is not None and spec.part_of(root) is not None:
        raise Rejected(_("Cette ligne appartient à un autre document."))
    parts: list[tuple[type[models.Model], list[Any]]] = []
    for part_model, fk in spec.parts:
        part_spec = registry.fact_spec(registry.label_of(part_model))
        assert part_spec is not None
        built = []
        raws = rows.get(part_spec.label, [])
        if not isinstance(raws, list):
            raise Rejected(_("Ligne d'agrégat invalide."))
        for raw in raws:
            if not isinstance(raw, dict):
                raise Rejected(_("Ligne d'agrégat invalide."))
            part = wire.build(part_model, raw, part_spec.fields)
            if getattr(part, fk) != root.pk:
                raise Rejected(_("Une partie de l'agrégat désigne un autre document."))
            built.append(part)
        parts.append((part_model, built))
    existing = spec.model._default_manager.filter(pk=root.pk).first()
    if existing is not None:
        stored = wire.fact_aggregates(spec.label, [root.pk])[root.pk]["rows"]
        if _normalised(stored) != _normalised(_rebuilt(spec, root, parts)):
            raise Rejected(_("Ce document existe déjà avec un autre contenu : refusé."))
        return "duplicate"
    if till is not None and spec.authorize is not None:
        reason = spec.authorize(till, root)
        if reason:
            raise Rejected(reason)
    _check_foreign_keys(root)
    with capture.applying(origin):
        root.save()  # first, so that the parts' checks find it (a rejection rolls it back)
        for part_model, objs in parts:
            for obj in objs:
                _check_foreign_keys(obj)
            if objs:
                part_model._default_manager.bulk_create(objs)
    if spec.on_apply is not None:
        spec.on_apply(root)
    return "applied"


def _rebuilt(
    spec: registry.FactSpec, root: Any, parts: list[tuple[type[models.Model], list[Any]]]
) -> dict[str, Any]:
    out = {spec.label: [wire.row_to_wire(root, spec.fields)]}
    for part_model, objs in parts:
        part_spec = registry.fact_spec(registry.label_of(part_model))
        assert part_spec is not None
        if objs:
            out[part_spec.label] = [wire.row_to_wire(o, part_spec.fields) for o in objs]
    return out


def _normalised(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {label: sorted(items, key=lambda r: str(r["id"])) for label, items in rows.items()}


def apply_change(
    change: Change, *, origin: str, till: Till | None = None, hub_now_ms: int | None = None
) -> Outcome:
    """Apply one change in a savepoint. ``till`` (hub only) is the pushing node's till."""
    try:
        with transaction.atomic(), _collected(origin):
            if change["kind"] == "reference":
                status = _apply_reference(change, origin, hub_now_ms, till)
            else:
                status = _apply_fact(change, origin, till)
    except Rejected as exc:
        return Outcome(change["id"], change["model"], "rejected", exc.reason)
    except ComptoirError as exc:
        return Outcome(change["id"], change["model"], "rejected", exc.message)
    except (IntegrityError, DataError) as exc:
        return Outcome(
            change["id"],
            change["model"],
            "rejected",
            _("Refusé par la base de données : %(e)s") % {"e": str(exc).splitlines()[0]},
        )
    except DatabaseError:
        raise
    return Outcome(change["id"], change["model"], status)


RETRY_PASSES = 3


def apply_batch(changes: list[Change], **options: Any) -> list[Outcome]:
    """Apply changes in order, then retry the refused ones while that makes progress.

    A row's current state may point to a row that comes later in the same batch (an
    article moved to a category created after it); once the rest is applied, it fits.
    Results are in the order of ``changes``.
    """
    outcomes: dict[int, Outcome] = {}
    if options.get("till") is None and options.get("hub_now_ms") is None:
        outcomes.update(_insert_new_references(changes, options["origin"]))
    pending = [i for i in range(len(changes)) if i not in outcomes]
    for _pass in range(RETRY_PASSES):
        refused = []
        for index in pending:
            outcome = apply_change(changes[index], **options)
            outcomes[index] = outcome
            if outcome.status == "rejected":
                refused.append(index)
        if not refused or len(refused) == len(pending):
            break
        pending = refused
    return [outcomes[i] for i in range(len(changes))]


def _new_reference_rows(
    spec: registry.ReferenceSpec, changes: list[Change], indexes: list[int]
) -> list[tuple[int, Any]]:
    """The rows of ``indexes`` that do not exist here yet and are well-formed, built."""
    rows = [changes[i]["row"] for i in indexes]
    existing = {
        str(pk)
        for pk in spec.model._default_manager.filter(pk__in=rows).values_list("pk", flat=True)
    }
    built: list[tuple[int, Any]] = []
    taken: set[str] = set()
    for index in indexes:
        change = changes[index]
        fields, clocks = change["data"]["fields"], change["data"]["clocks"]
        if change["row"] in existing or change["row"] in taken:
            continue
        try:
            if str(fields.get("id")) != change["row"] or set(clocks) - set(spec.fields):
                continue
            if any(Timestamp.decode(c).encode() != c for c in clocks.values()):
                continue
            obj = wire.build(spec.model, fields, spec.fields)
        except (ComptoirError, ValueError, AttributeError, TypeError):
            continue  # the one-by-one path gives the reason
        obj.sync_clocks = dict(clocks)
        built.append((index, obj))
        taken.add(change["row"])
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


def _insert_new_references(changes: list[Change], origin: str) -> dict[int, Outcome]:
    """Rows that a node receives for the first time (a bootstrap), inserted in bulk.

    Only what is plainly new and well-formed takes this path: there is nothing to merge
    and no conflict to log. Everything else, and any batch the database refuses, goes
    through :func:`apply_change` one by one, which says why.
    """
    by_label: dict[str, list[int]] = {}
    for index, change in enumerate(changes):
        if change["kind"] == "reference" and registry.reference_spec(change["model"]):
            by_label.setdefault(change["model"], []).append(index)
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
                spec.model._default_manager.bulk_create([obj for _i, obj in rows])
        except (IntegrityError, DataError):
            continue
        created.setdefault(spec.model, set()).update(obj.pk for _i, obj in rows)
        for index, obj in rows:
            outcomes[index] = Outcome(changes[index]["id"], label, "applied")
            latest = max([latest, *obj.sync_clocks.values()])
    if latest:
        clock.observe(latest)
    return outcomes
