"""Baskets (invoice drafts): ring up, change, park, resume and abandon, before validation.

Drafts are local to their post and never synced; what a draft holds is refused as
validation would refuse it (bounds, archived articles, a discount nobody granted).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.catalogue.selectors import article_get
from comptoir.customers.models import Customer
from comptoir.customers.selectors import customer_get
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.lib.quantity import parse_quantity
from comptoir.lib.usecases import use_case
from comptoir.lib.validators import clean_text
from comptoir.sales.calculations import SaleLine, basket_discount_parse, discount_parse
from comptoir.sales.models import InvoiceDraft, InvoiceDraftLine
from comptoir.sales.services.pricing import discount_check, line_check
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current
from comptoir.sync.wire.checks import check_rows

MAX_LINES = 1000


def _customer(ref: Customer | str | None) -> Customer | None:
    if ref is None or isinstance(ref, Customer):
        return ref
    return customer_get(ref=ref)


@transaction.atomic(savepoint=False)
def invoice_draft_create_block(
    *, till: Till | None = None, customer: Customer | str | None = None, cashier: str = ""
) -> InvoiceDraft:
    """Open a basket on ``till`` (this post's till by default)."""
    cashier = clean_text(cashier, label=_("Le nom du caissier"))
    draft = InvoiceDraft(till=till or till_current(), customer=_customer(customer), cashier=cashier)
    # What the invoice will carry is refused now, as the hub would refuse it (and as
    # PostgreSQL refuses the draft itself on the hub's own till).
    check_rows(InvoiceDraft, [draft])
    draft.save(force_insert=True)
    return draft


@transaction.atomic(savepoint=False)
def invoice_draft_add_line_block(*, draft: InvoiceDraft, line: SaleLine) -> InvoiceDraftLine:
    """Ring up ``line`` at the article's current price, refusing what validation would."""
    article = article_get(code=line.article)
    if article.archived:
        raise ValidationError(
            _("L'article « %(code)s » est archivé : il ne se vend plus.") % {"code": article.code}
        )
    last = draft.lines.aggregate(last=Max("position"))["last"] or 0
    if last >= MAX_LINES:
        raise ValidationError(
            _("Une facture ne peut pas dépasser %(n)d lignes.") % {"n": MAX_LINES}
        )
    quantity = parse_quantity(line.quantity, unit=article.unit)
    discount_rate = discount_parse(line.discount_rate)
    line_check(article, quantity, article.sale_price, draft.till.store.currency)
    return InvoiceDraftLine.objects.create(
        draft=draft,
        position=last + 1,
        article=article,
        quantity=quantity,
        unit_price=article.sale_price,
        discount_rate=discount_rate,
    )


invoice_draft_create = use_case(invoice_draft_create_block)
invoice_draft_add_line = use_case(invoice_draft_add_line_block)


@transaction.atomic(durable=True)
def invoice_draft_remove_line(*, draft: InvoiceDraft, position: int) -> None:
    deleted, _detail = draft.lines.filter(position=position).delete()
    if not deleted:
        raise NotFoundError(_("Ligne %(n)d introuvable.") % {"n": position})


@transaction.atomic(durable=True)
def invoice_draft_update_line(
    *,
    draft: InvoiceDraft,
    position: int,
    quantity: str | Decimal | int | None = None,
    discount_rate: str | Decimal | int | None = None,
) -> InvoiceDraftLine:
    """Change the quantity and/or the discount (%) of a basket line; the price stays as rung."""
    line = (
        draft.lines.select_for_update().select_related("article").filter(position=position).first()
    )
    if line is None:
        raise NotFoundError(_("Ligne %(n)d introuvable.") % {"n": position})
    if quantity is not None:
        line.quantity = parse_quantity(quantity, unit=line.article.unit)
        line_check(line.article, line.quantity, line.unit_price, draft.till.store.currency)
    if discount_rate is not None:
        line.discount_rate = discount_parse(discount_rate)
    line.save(update_fields=["quantity", "discount_rate"])
    return line


@transaction.atomic(durable=True)
def invoice_draft_set_customer(
    *, draft: InvoiceDraft, customer: Customer | str | None
) -> InvoiceDraft:
    """Attach a customer (code, id or instance) to a basket, or detach it with ``None``."""
    draft.customer = _customer(customer)
    draft.save(update_fields=["customer"])
    return draft


@transaction.atomic(savepoint=False)
def invoice_draft_set_discount_block(
    *, draft: InvoiceDraft, discount: str, approved_by: str | None = None
) -> InvoiceDraft:
    """Set the basket discount (``10%``, ``1.50``; empty: none) of a basket.

    Above the threshold (:func:`discount_threshold`, percent of the basket) it needs
    ``approved_by``: the name of a manager whose approval the caller has checked (the till
    screen: the manager is logged in, or typed their password; the CLI: ``--manager``).
    Validation checks it again on the basket as it then is."""
    currency = draft.till.store.currency
    parsed = basket_discount_parse(discount, currency)
    approver = clean_text(approved_by or "", label=_("Le nom du gérant")) if parsed else ""
    discount_check(parsed, list(draft.lines.select_related("article")), approver, currency)
    draft.discount = parsed.text(currency) if parsed else ""
    draft.discount_approved_by = approver
    draft.save(update_fields=["discount", "discount_approved_by"])
    return draft


invoice_draft_set_discount = use_case(invoice_draft_set_discount_block)


MAX_PARKED = 50


@transaction.atomic(durable=True)
def invoice_draft_park(*, draft: InvoiceDraft, label: str = "") -> InvoiceDraft:
    """Put a basket on hold (the till serves the next customer meanwhile). Its lines,
    customer and discount stay as they are; :func:`invoice_draft_resume` takes it back."""
    label = clean_text(label.strip(), label=_("Le libellé"))[:60]
    locked = InvoiceDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:
        raise NotFoundError(
            _("Vente en cours introuvable : elle a déjà été validée ou abandonnée.")
        )
    if not locked.lines.exists():
        raise ValidationError(_("Un panier vide ne se met pas en attente."))
    parked = InvoiceDraft.objects.filter(till_id=locked.till_id, parked_at__isnull=False)
    if locked.parked_at is None and parked.count() >= MAX_PARKED:
        raise ValidationError(
            _("Pas plus de %(n)d paniers en attente par caisse : reprenez-en un d'abord.")
            % {"n": MAX_PARKED}
        )
    locked.parked_at = timezone.now()
    locked.label = label
    locked.save(update_fields=["parked_at", "label"])
    return locked


@transaction.atomic(durable=True)
def invoice_draft_resume(*, till: Till, draft_id: str) -> InvoiceDraft:
    """Take a parked basket of ``till`` back. Exactly one caller gets it: a second one
    (another tab, a double click) is told it was taken back already."""
    try:
        claimed = InvoiceDraft.objects.filter(
            pk=draft_id, till=till, parked_at__isnull=False
        ).update(parked_at=None)
    except (ValueError, DjangoValidationError):  # not a UUID
        claimed = 0
    if not claimed:
        raise NotFoundError(
            _("Panier en attente introuvable : il a déjà été repris, validé ou abandonné.")
        )
    return InvoiceDraft.objects.get(pk=draft_id)


@transaction.atomic(durable=True)
def invoice_draft_abandon(*, draft: InvoiceDraft) -> None:
    """Drop a basket and its lines (nothing was sold: drafts are local and never synced)."""
    InvoiceDraft.objects.filter(pk=draft.pk).delete()
