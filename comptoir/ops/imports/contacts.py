"""Customers and suppliers from a CSV: the check (no write) and the write of one chunk.

The rules are those of ``customer_create``/``supplier_create`` (same cleaning, same
messages). A line whose code names an existing row updates it (the columns the file
has). A customer line without a code is recognised by its identical name and details
(one existing customer per such line), so that importing the same file again creates
nobody twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from django.db.models import Model
from django.utils.translation import gettext as _

from comptoir.catalogue.models import Supplier
from comptoir.catalogue.selectors import TWIN_ORDER
from comptoir.customers.models import Customer
from comptoir.customers.services import customer_default_code
from comptoir.lib.ids import new_id
from comptoir.lib.validators import clean_code, clean_contact_fields, clean_name
from comptoir.ops.imports.base import (
    Counts,
    Plan,
    Row,
    RowError,
    check_rows,
    first_by_code,
    where_in,
)

COLUMNS = ("code", "name", "phone", "email", "address", "siren", "vat_number")
DETAILS = ("name", "phone", "email", "address", "siren", "vat_number")


def _fields(row: Row) -> dict[str, Any]:
    v = row.values
    return {
        "name": clean_name(v["name"]),
        **clean_contact_fields(
            phone=v.get("phone"),
            email=v.get("email"),
            address=v.get("address"),
            siren=v.get("siren"),
            vat_number=v.get("vat_number"),
        ),
    }


def _check(
    model: type[Model],
    what: str,
    taken: str,
    rows: Sequence[Row],
    required: tuple[str, ...],
    progress: Callable[[int], None] | None,
) -> tuple[list[Plan], list[RowError], list[tuple[Row, dict[str, Any]]]]:
    def clean(row: Row) -> tuple[str, dict[str, Any]]:
        code = row.values.get("code", "")
        return (clean_code(code, what=what) if code else ""), _fields(row)

    good, errors = check_rows(rows, required, clean, progress)
    targets = first_by_code(model, (code for _r, (code, _f) in good if code), TWIN_ORDER, "id")
    seen: set[str] = set()
    plans: list[Plan] = []
    without_code: list[tuple[Row, dict[str, Any]]] = []
    for row, (code, fields) in good:
        if not code:
            without_code.append((row, fields))
            continue
        if code in seen:
            errors.append(RowError(row.line, taken % {"code": code}))
            continue
        seen.add(code)
        target = targets.get(code)
        plans.append(Plan(row.line, target[0] if target else None, fields, {"code": code}))
    return plans, errors, without_code


def check_suppliers(
    rows: Sequence[Row], progress: Callable[[int], None] | None
) -> tuple[list[Plan], list[RowError]]:
    plans, errors, _none = _check(
        Supplier,
        _("fournisseur"),
        _("Un fournisseur porte déjà le code « %(code)s »."),
        rows,
        ("code", "name"),
        progress,
    )
    return plans, errors


def check_customers(
    rows: Sequence[Row], progress: Callable[[int], None] | None
) -> tuple[list[Plan], list[RowError]]:
    plans, errors, without_code = _check(
        Customer,
        _("client"),
        _("Un client porte déjà le code « %(code)s »."),
        rows,
        ("name",),
        progress,
    )
    # Existing customers with the same details (the columns the file has), each matched
    # by one line at most.
    names = sorted({fields["name"] for _row, fields in without_code})
    by_name: dict[str, list[tuple[UUID, dict[str, Any]]]] = {}
    for query in where_in(Customer.objects.order_by("archived", "id"), "name", names):
        for pk, *details in query.values_list("id", *DETAILS):
            by_name.setdefault(details[0], []).append(
                (pk, dict(zip(DETAILS, details, strict=True)))
            )
    for row, fields in without_code:
        candidates = by_name.get(fields["name"], [])
        match = next((c for c in candidates if all(c[1][f] == v for f, v in fields.items())), None)
        if match is not None:
            candidates.remove(match)
        plans.append(Plan(row.line, match[0] if match else None, fields, {"code": ""}))
    plans.sort(key=lambda plan: plan.line)
    return plans, errors


def _write(
    model: type[Model], plans: Sequence[Plan], code_of: Callable[[Plan, UUID], str]
) -> Counts:
    counts = Counts()
    # Existing rows first: locked before the clock is (the hub's lock order).
    updates = {p.target: p for p in plans if p.target}
    changed = model._default_manager.update_values(  # type: ignore[attr-defined]
        [{"id": pk, **p.fields} for pk, p in updates.items()]
    )
    counts.updated = len(changed)
    counts.unchanged = len(updates) - len(changed)
    created = []
    for plan in plans:
        if plan.target is None:
            pk = new_id()
            created.append({"id": pk, "code": code_of(plan, pk), **plan.fields})
    model._default_manager.insert_values(created)  # type: ignore[attr-defined]
    counts.created = len(created)
    return counts


def write_suppliers(plans: Sequence[Plan], memo: dict[str, Any]) -> Counts:
    return _write(Supplier, plans, lambda plan, _pk: plan.extra["code"])


def write_customers(plans: Sequence[Plan], memo: dict[str, Any]) -> Counts:
    return _write(Customer, plans, lambda plan, pk: plan.extra["code"] or customer_default_code(pk))
