"""Use cases of the catalogue: articles, categories, suppliers, label rules.

Each use case ``<entity>_<verb>`` is ``use_case(<entity>_<verb>_block)``: the block joins
the caller's transaction (the admin calls blocks inside its own), the use case is the
block in one durable transaction of its own (see ``core.usecases``). The reads
(``article_get``, ``supplier_get``) are in ``catalogue.selectors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.catalogue.labels import LAST_DATA_POSITION, label_format_default
from comptoir.catalogue.models import Article, Barcode, Category, LabelRule, Supplier
from comptoir.catalogue.selectors import article_get, supplier_get, supplier_ref
from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.lib.money import parse_amount
from comptoir.lib.numbers import parse_decimal
from comptoir.lib.quantity import UNITS, parse_quantity
from comptoir.lib.usecases import use_case
from comptoir.lib.validators import (
    clean_barcode,
    clean_code,
    clean_contact_fields,
    clean_name,
    clean_text,
)
from comptoir.stores.models import Store
from comptoir.stores.services import stores_editable_here

Amount = str | Decimal | int


def parse_price(value: Amount, *, what: str) -> int:
    """A price in minor units; refuses a negative one (``what`` names it in the message)."""
    minor = parse_amount(value, settings.COMPTOIR_CURRENCY)
    if minor < 0:
        raise ValidationError(_("%(what)s ne peut pas être négatif.") % {"what": what})
    return minor


def parse_vat_rate(value: str | Decimal | int) -> Decimal:
    rate = parse_decimal(value.strip().rstrip("%") if isinstance(value, str) else value)
    if rate is None:
        raise ValidationError(_("Taux de TVA invalide : « %(value)s ».") % {"value": value})
    if rate < 0 or rate >= 100 or rate != rate.quantize(Decimal("0.01")):
        raise ValidationError(
            _("Taux de TVA invalide : « %(value)s » (entre 0 et 99,99 %%, deux décimales au plus).")
            % {"value": value}
        )
    return rate.quantize(Decimal("0.01"))


def clean_unit(unit: str) -> str:
    if unit not in UNITS:
        raise ValidationError(_("Unité inconnue : « %(unit)s ».") % {"unit": unit})
    return unit


def category_get_or_create(*, name: str) -> Category:
    """The category named ``name`` (case-insensitive), created if missing. A building
    block: joins the caller's transaction."""
    name = clean_name(name, max_length=120)
    # The oldest of twins created offline on two tills, so that every post picks the same.
    category = Category.objects.filter(name__iexact=name).order_by("id").first()
    return category or Category.objects.create(name=name)


def _check_barcodes_free(codes: Sequence[str], article: Article | None) -> list[str]:
    cleaned = list(dict.fromkeys(clean_barcode(c) for c in codes))
    # A removed (archived) barcode is free again: another article may take it.
    taken = (
        Barcode.objects.filter(code__in=cleaned, archived=False)
        .select_related("article")
        .order_by("id")
    )
    clashes = Article.objects.filter(code__in=cleaned).order_by("id")
    if article is not None:
        taken = taken.exclude(article=article)
        clashes = clashes.exclude(pk=article.pk)
    for barcode in taken:
        raise ValidationError(
            _("Le code-barres « %(code)s » est déjà celui de l'article %(article)s.")
            % {"code": barcode.code, "article": barcode.article.code}
        )
    clash = clashes.first()
    if clash:
        raise ValidationError(
            _("Le code-barres « %(code)s » est déjà le code d'un article.") % {"code": clash.code}
        )
    return cleaned


@transaction.atomic(savepoint=False)
def article_create_block(
    *,
    code: str,
    name: str,
    sale_price: Amount,
    vat_rate: str | Decimal | int = "20",
    cost: Amount = "0",
    barcodes: Sequence[str] = (),
    category: str | None = None,
    supplier: str | UUID | None = None,
    unit: str = "piece",
    alert_threshold: str | Decimal | int = "0",
) -> Article:
    code = clean_code(code, what=_("article"))
    if Article.objects.filter(code=code).exists():
        raise ValidationError(_("Un article porte déjà le code « %(code)s ».") % {"code": code})
    # A code that is another article's barcode would hide that article from the scanner
    # (``article_get`` looks codes up first), the mirror of the check on new barcodes.
    owner = (
        Barcode.objects.select_related("article")
        .filter(code=code, archived=False)
        .order_by("id")
        .first()
    )
    if owner is not None:
        raise ValidationError(
            _("Le code « %(code)s » est déjà un code-barres de l'article %(article)s.")
            % {"code": code, "article": owner.article.code}
        )
    clean_unit(unit)
    article = Article(
        code=code,
        name=clean_name(name),
        sale_price=parse_price(sale_price, what=_("Le prix de vente")),
        vat_rate=parse_vat_rate(vat_rate),
        cost=parse_price(cost, what=_("Le prix de revient")),
        unit=unit,
        alert_threshold=parse_quantity(alert_threshold, unit=unit, allow_zero=True),
        category=category_get_or_create(name=category) if category else None,
        supplier=supplier_ref(supplier) if supplier else None,
    )
    cleaned = _check_barcodes_free(barcodes, None)
    if code in cleaned:
        cleaned.remove(code)
    article.save()
    for barcode in cleaned:
        Barcode.objects.create(article=article, code=barcode)
    return article


article_create = use_case(article_create_block)


@transaction.atomic(savepoint=False)
def article_update_block(
    *,
    code: str | None = None,
    pk: UUID | None = None,
    name: str | None = None,
    sale_price: Amount | None = None,
    vat_rate: str | Decimal | int | None = None,
    cost: Amount | None = None,
    add_barcodes: Sequence[str] = (),
    remove_barcodes: Sequence[str] = (),
    category: str | None = None,
    supplier: str | UUID | None = None,
    unit: str | None = None,
    alert_threshold: str | Decimal | int | None = None,
    archived: bool | None = None,
) -> Article:
    """Change the given fields only; ``None`` leaves a field as it is.

    The article is ``pk`` (what a screen that lists twins edits), else the one ``code``
    names as ``article_get`` picks it (the CLI). ``supplier`` is a code or an id (see
    :func:`supplier_ref`); ``""`` removes it. ``remove_barcodes`` archives those of the
    article's barcodes (a synced field: reference data is never deleted); one added again
    is brought back.
    """
    if pk is None:
        pk = article_get(code=code).pk
    article = Article.objects.select_for_update().filter(pk=pk).first()
    if article is None:
        raise NotFoundError(_("Article inconnu : « %(code)s ».") % {"code": code or pk})
    changed: set[str] = set()
    if name is not None:
        article.name = clean_name(name)
        changed.add("name")
    if sale_price is not None:
        article.sale_price = parse_price(sale_price, what=_("Le prix de vente"))
        changed.add("sale_price")
    previous_rate = article.vat_rate
    if vat_rate is not None:
        article.vat_rate = parse_vat_rate(vat_rate)
        changed.add("vat_rate")
    if cost is not None:
        article.cost = parse_price(cost, what=_("Le prix de revient"))
        changed.add("cost")
    if unit is not None:
        article.unit = clean_unit(unit)
        changed.add("unit")
    if alert_threshold is not None:
        article.alert_threshold = parse_quantity(
            alert_threshold, unit=article.unit, allow_zero=True
        )
        changed.add("alert_threshold")
    if category is not None:
        article.category = category_get_or_create(name=category) if category else None
        changed.add("category")
    if supplier is not None:
        article.supplier = supplier_ref(supplier) if supplier else None
        changed.add("supplier")
    if archived is not None:
        article.archived = archived
        changed.add("archived")
    cleaned = _check_barcodes_free(add_barcodes, article)
    rows: dict[str, list[Barcode]] = {}
    for row in article.barcodes.order_by("id"):
        rows.setdefault(row.code, []).append(row)
    for code in remove_barcodes:
        if not any(not row.archived for row in rows.get(code, [])):
            raise ValidationError(
                _("« %(code)s » n'est pas un code-barres de l'article %(article)s.")
                % {"code": code, "article": article.code}
            )
    if changed:
        article.save(update_fields=changed)
    if article.vat_rate != previous_rate:
        event_record(
            kind=EventKind.VAT_RATE_CHANGE,
            details={
                "article": article.code,
                "from": str(previous_rate),
                "to": str(article.vat_rate),
            },
        )
    for barcode in cleaned:
        if barcode == article.code:
            continue
        if barcode not in rows:
            Barcode.objects.create(article=article, code=barcode)
        elif all(row.archived for row in rows[barcode]):
            _set_archived(rows[barcode][0], archived=False)
    for code in remove_barcodes:
        for row in rows[code]:
            if not row.archived:
                _set_archived(row, archived=True)
    return article


def _set_archived(barcode: Barcode, *, archived: bool) -> None:
    barcode.archived = archived
    barcode.save(update_fields=["archived"])


article_update = use_case(article_update_block)


@transaction.atomic(savepoint=False)
def supplier_create_block(
    *,
    code: str,
    name: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    siren: str = "",
    vat_number: str = "",
) -> Supplier:
    code = clean_code(code, what=_("fournisseur"))
    if Supplier.objects.filter(code=code).exists():
        raise ValidationError(_("Un fournisseur porte déjà le code « %(code)s ».") % {"code": code})
    fields = clean_contact_fields(
        phone=phone, email=email, address=address, siren=siren, vat_number=vat_number
    )
    return Supplier.objects.create(code=code, name=clean_name(name), **fields)


supplier_create = use_case(supplier_create_block)


@transaction.atomic(savepoint=False)
def supplier_update_block(
    *,
    code: str | None = None,
    pk: UUID | None = None,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    address: str | None = None,
    siren: str | None = None,
    vat_number: str | None = None,
    archived: bool | None = None,
) -> Supplier:
    """Change the given fields only. The supplier is ``pk``, else the one ``code`` names
    as ``supplier_get`` picks it (see ``article_update``)."""
    if pk is None:
        pk = supplier_get(code=code).pk
    supplier = Supplier.objects.select_for_update().filter(pk=pk).first()
    if supplier is None:
        raise NotFoundError(_("Fournisseur inconnu : « %(code)s ».") % {"code": code or pk})
    fields: dict[str, object] = dict(
        clean_contact_fields(
            phone=phone, email=email, address=address, siren=siren, vat_number=vat_number
        )
    )
    if name is not None:
        fields["name"] = clean_name(name)
    if archived is not None:
        fields["archived"] = archived
    for field, value in fields.items():
        setattr(supplier, field, value)
    if fields:
        supplier.save(update_fields=set(fields))
    return supplier


supplier_update = use_case(supplier_update_block)


@transaction.atomic(savepoint=False)
def category_create_block(*, name: str) -> Category:
    """A new category; refuses a name already taken (case-insensitive)."""
    name = clean_name(name, max_length=120)
    if Category.objects.filter(name__iexact=name).exists():
        raise ValidationError(_("Une catégorie s'appelle déjà « %(name)s ».") % {"name": name})
    return Category.objects.create(name=name)


category_create = use_case(category_create_block)


@transaction.atomic(savepoint=False)
def category_update_block(
    *, pk: object, name: str | None = None, archived: bool | None = None
) -> Category:
    """Rename or (un)archive a category; ``None`` leaves a field as it is."""
    category = Category.objects.select_for_update().filter(pk=pk).first()
    if category is None:
        raise NotFoundError(_("Catégorie inconnue."))
    changed: set[str] = set()
    if name is not None:
        name = clean_name(name, max_length=120)
        if Category.objects.filter(name__iexact=name).exclude(pk=category.pk).exists():
            raise ValidationError(_("Une catégorie s'appelle déjà « %(name)s ».") % {"name": name})
        category.name = name
        changed.add("name")
    if archived is not None:
        category.archived = archived
        changed.add("archived")
    if changed:
        category.save(update_fields=changed)
    return category


category_update = use_case(category_update_block)


@transaction.atomic(savepoint=False)
def label_rule_create_block(
    *,
    store: Store,
    prefix: str,
    code_digits: int,
    value: str,
    code_start: int | None = None,
    value_start: int | None = None,
    value_digits: int | None = None,
    name: str = "",
) -> LabelRule:
    """A rule for reading ``store``'s scale labels (``catalogue.labels``): the code right
    after the prefix and the value up to position 12 unless positions are given. One
    active rule per prefix and store. Made where stores are (see ``sync_setup``)."""
    if not stores_editable_here():
        raise ValidationError(
            _("Les règles d'étiquettes se modifient sur le serveur, puis arrivent aux caisses.")
        )
    prefix = prefix.strip()
    layout = label_format_default(prefix=prefix, code_digits=code_digits, kind=value)
    layout = replace(
        layout,
        code_start=code_start or layout.code_start,
        value_start=value_start or (code_start or layout.code_start) + code_digits,
    )
    if value_digits is None:
        value_digits = LAST_DATA_POSITION - layout.value_start + 1
    layout = replace(layout, value_digits=value_digits)
    layout.check()
    if LabelRule.objects.filter(store=store, prefix=prefix, archived=False).exists():
        raise ValidationError(
            _("Le magasin « %(store)s » a déjà une règle d'étiquette pour le préfixe %(prefix)s.")
            % {"store": store.name, "prefix": prefix}
        )
    return LabelRule.objects.create(
        store=store,
        name=clean_text(name.strip(), label=_("Le nom de la règle")),
        prefix=layout.prefix,
        code_start=layout.code_start,
        code_digits=layout.code_digits,
        value_start=layout.value_start,
        value_digits=layout.value_digits,
        value=layout.kind,
    )


label_rule_create = use_case(label_rule_create_block)


@transaction.atomic(savepoint=False)
def label_rule_archive_block(*, store: Store, prefix: str) -> LabelRule:
    """Retire ``store``'s active rule for ``prefix``: its labels are read no more."""
    if not stores_editable_here():
        raise ValidationError(
            _("Les règles d'étiquettes se modifient sur le serveur, puis arrivent aux caisses.")
        )
    rule = LabelRule.objects.filter(store=store, prefix=prefix.strip(), archived=False).first()
    if rule is None:
        raise NotFoundError(
            _("Le magasin « %(store)s » n'a pas de règle d'étiquette pour le préfixe %(prefix)s.")
            % {"store": store.name, "prefix": prefix}
        )
    rule.archived = True
    rule.save(update_fields=["archived"])
    return rule


label_rule_archive = use_case(label_rule_archive_block)
