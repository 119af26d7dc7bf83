"""Articles from a CSV: the check (no write) and the write of one chunk.

The rules are those of ``article_create`` and ``article_update`` (the same cleaning
functions, the same messages), applied to the whole file at once: a code that is
another article's barcode, a barcode that is another article's (in the database or on
an earlier line), an unknown supplier. A line whose code names an existing article
updates it (the columns the file has), so that importing the same file again changes
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from comptoir.catalogue.models import Article, Barcode, Category, Supplier
from comptoir.catalogue.selectors import TWIN_ORDER
from comptoir.catalogue.services import clean_unit, parse_price, parse_vat_rate
from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.lib.ids import new_id
from comptoir.lib.quantity import parse_quantity
from comptoir.lib.validators import clean_barcode, clean_code, clean_name
from comptoir.ops.imports.base import (
    Counts,
    Plan,
    Row,
    RowError,
    check_rows,
    first_by_code,
    where_in,
)
from comptoir.sync import clock

COLUMNS = (
    "code",
    "name",
    "price",
    "vat",
    "cost",
    "barcode",
    "category",
    "supplier",
    "unit",
    "alert",
)
REQUIRED = ("code", "name", "price")


@dataclass
class _Line:
    code: str
    fields: dict[str, Any]
    barcodes: list[str]
    alert: str | None  # parsed once the unit is known (the file's, or the article's)
    category: str | None  # None: no such column; "": no shelf
    supplier: str | None  # None: no such column; "": no supplier


@dataclass(frozen=True)
class _Labels:
    """The words the checks put in their messages, translated once per file (a gettext
    per row and field was a tenth of the check's time)."""

    article: str
    sale_price: str
    cost: str

    @classmethod
    def current(cls) -> _Labels:
        return cls(_("article"), _("Le prix de vente"), _("Le prix de revient"))


def _clean(row: Row, labels: _Labels) -> _Line:
    v = row.values
    code = clean_code(v["code"], what=labels.article)
    fields: dict[str, Any] = {
        "name": clean_name(v["name"]),
        "sale_price": parse_price(v["price"], what=labels.sale_price),
    }
    if "vat" in v:
        fields["vat_rate"] = parse_vat_rate(v["vat"] or "20")
    if "cost" in v:
        fields["cost"] = parse_price(v["cost"] or "0", what=labels.cost)
    if "unit" in v:
        fields["unit"] = clean_unit(v["unit"] or "piece")
    barcodes = list(
        dict.fromkeys(clean_barcode(b) for b in re.split(r"[\s|]+", v.get("barcode", "")) if b)
    )
    if code in barcodes:
        barcodes.remove(code)
    category = v.get("category")
    return _Line(
        code=code,
        fields=fields,
        barcodes=barcodes,
        alert=v.get("alert"),
        category=clean_name(category, max_length=120) if category else category,
        supplier=v.get("supplier"),
    )


def check(
    rows: Sequence[Row], progress: Callable[[int], None] | None
) -> tuple[list[Plan], list[RowError]]:
    labels = _Labels.current()
    good, errors = check_rows(rows, REQUIRED, lambda row: _clean(row, labels), progress)
    targets = first_by_code(Article, (li.code for _r, li in good), TWIN_ORDER, "id", "unit")
    suppliers = first_by_code(
        Supplier, (li.supplier for _r, li in good if li.supplier), TWIN_ORDER, "id"
    )
    wanted = {b for _r, li in good for b in li.barcodes} | {li.code for _r, li in good}
    # Barcodes and codes already in the database, by code: (article id, article code).
    barcode_owner: dict[str, tuple[UUID, str]] = {}
    code_owners: dict[str, set[UUID]] = {}
    # A removed (archived) barcode belongs to no one any more.
    for query in where_in(Barcode.objects.filter(archived=False).order_by("id"), "code", wanted):
        for code, article_id, article_code in query.values_list(
            "code", "article_id", "article__code"
        ):
            barcode_owner.setdefault(code, (article_id, article_code))
    for query in where_in(Article.objects.all(), "code", wanted):
        for code, article_id in query.values_list("code", "id"):
            code_owners.setdefault(code, set()).add(article_id)
    seen_codes: dict[str, int] = {}  # code -> line, in this file
    seen_barcodes: dict[str, str] = {}  # barcode -> article code, in this file
    plans = []
    for row, li in good:
        try:
            plan = _plan(
                row, li, targets.get(li.code), suppliers, barcode_owner, code_owners, seen_codes
            )
            if plan.target is None and li.code in seen_barcodes:
                raise ValidationError(
                    _("Le code « %(code)s » est déjà un code-barres de l'article %(article)s.")
                    % {"code": li.code, "article": seen_barcodes[li.code]}
                )
            for barcode in li.barcodes:
                if barcode in seen_codes:
                    raise ValidationError(
                        _("Le code-barres « %(code)s » est déjà le code d'un article.")
                        % {"code": barcode}
                    )
                if seen_barcodes.get(barcode, li.code) != li.code:
                    raise ValidationError(
                        _("Le code-barres « %(code)s » est déjà celui de l'article %(article)s.")
                        % {"code": barcode, "article": seen_barcodes[barcode]}
                    )
        except ComptoirError as exc:
            errors.append(RowError(row.line, exc.message))
            continue
        plans.append(plan)
        seen_codes[li.code] = row.line
        for barcode in li.barcodes:
            seen_barcodes[barcode] = li.code
    return plans, errors


def _plan(
    row: Row,
    li: _Line,
    target: tuple[Any, ...] | None,
    suppliers: dict[str, tuple[Any, ...]],
    barcode_owner: dict[str, tuple[UUID, str]],
    code_owners: dict[str, set[UUID]],
    seen_codes: dict[str, int],
) -> Plan:
    if li.code in seen_codes:
        raise ValidationError(_("Un article porte déjà le code « %(code)s ».") % {"code": li.code})
    target_id: UUID | None = target[0] if target else None
    if target is None and li.code in barcode_owner:
        raise ValidationError(
            _("Le code « %(code)s » est déjà un code-barres de l'article %(article)s.")
            % {"code": li.code, "article": barcode_owner[li.code][1]}
        )
    for barcode in li.barcodes:
        owner = barcode_owner.get(barcode)
        if owner is not None and owner[0] != target_id:
            raise ValidationError(
                _("Le code-barres « %(code)s » est déjà celui de l'article %(article)s.")
                % {"code": barcode, "article": owner[1]}
            )
        if code_owners.get(barcode, set()) - {target_id}:
            raise ValidationError(
                _("Le code-barres « %(code)s » est déjà le code d'un article.") % {"code": barcode}
            )
    fields = dict(li.fields)
    if li.alert is not None:
        unit = fields.get("unit") or (target[1] if target else "piece")
        fields["alert_threshold"] = parse_quantity(li.alert or "0", unit=unit, allow_zero=True)
    if li.supplier is not None:
        if li.supplier and li.supplier not in suppliers:
            raise ValidationError(_("Fournisseur inconnu : « %(code)s ».") % {"code": li.supplier})
        fields["supplier_id"] = suppliers[li.supplier][0] if li.supplier else None
    extra: dict[str, Any] = {"code": li.code, "barcodes": li.barcodes}
    if li.category is not None:
        extra["category"] = li.category
    return Plan(row.line, target_id, fields, extra)


def write(plans: Sequence[Plan], memo: dict[str, Any]) -> Counts:
    """Write one chunk, in the caller's transaction (which holds the change-log lock).

    ``memo`` carries the shelves found or created by earlier chunks of the same import.
    """
    shelves: dict[str, UUID] = memo.setdefault("shelves", {})
    new_shelves = []
    for plan in plans:
        name = plan.extra.get("category")
        if name and name.casefold() not in shelves:
            # ``category_get_or_create``'s choice: the oldest of the same name.
            found = (
                Category.objects.filter(name__iexact=name)
                .order_by("id")
                .values_list("id", flat=True)
                .first()
            )
            if found is None:
                found = new_id()
                new_shelves.append(Category(id=found, name=name))
            shelves[name.casefold()] = found
        if name is not None:
            plan.fields["category_id"] = shelves[name.casefold()] if name else None
    Category.objects.bulk_create(new_shelves)

    counts = Counts()
    # Existing articles first: their rows are locked before the clock is (the hub's one
    # lock order: change log, rows, clock), and only the fields that differ are written.
    updates = {p.target: p for p in plans if p.target}
    changed = Article.objects.update_values([{"id": pk, **p.fields} for pk, p in updates.items()])
    have: set[tuple[UUID, str]] = set(
        Barcode.objects.filter(article_id__in=list(updates), archived=False).values_list(
            "article_id", "code"
        )
    )
    barcodes = []
    for pk, plan in updates.items():
        added = [
            {"article_id": pk, "code": code}
            for code in plan.extra["barcodes"]
            if (pk, code) not in have and code != plan.extra["code"]
        ]
        barcodes.extend(added)
        if pk in changed or added:
            counts.updated += 1
        else:
            counts.unchanged += 1

    new = [p for p in plans if not p.target]
    stamp = clock.tick() if new or barcodes else ""  # one for the new articles and barcodes
    ids = Article.objects.insert_values(
        [{"code": p.extra["code"], **p.fields} for p in new], stamp=stamp
    )
    counts.created = len(new)
    barcodes.extend(
        {"article_id": pk, "code": code}
        for pk, p in zip(ids, new, strict=True)
        for code in p.extra["barcodes"]
    )
    Barcode.objects.insert_values(barcodes, stamp=stamp)
    return counts
