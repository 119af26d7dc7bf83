"""The till screen: scan or search articles into the basket, pay, validate.

Every action posts to a small view that calls one sales service and answers with the
fragments of the screen that changed (``pos/_update.html``: elements replaced by id), or,
without JavaScript, redirects back to the screen. Business errors come back as French
messages next to the field the cashier is looking at (status 422), never as a crash, and
the services being atomic, a refused action has written nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.cash.selectors import session_open_get
from comptoir.catalogue.models import Article
from comptoir.customers.selectors import customer_list
from comptoir.lib.errors import ComptoirError, NotFoundError, ValidationError
from comptoir.lib.numbers import parse_decimal
from comptoir.pos.basket import (
    SESSION_KEY,
    basket_view,
    draft_current,
    draft_for_update,
    scan_parse,
)
from comptoir.pos.guards import is_fetch, till_required
from comptoir.pos.originals import A4, RECEIPT, original_grant, original_take
from comptoir.printing.selectors import printer_get
from comptoir.printing.services import SaleOutcome, sale_print
from comptoir.sales.calculations import MethodRule
from comptoir.sales.errors import ApprovalRequiredError
from comptoir.sales.models import PAYMENT_REFERENCE_LENGTH, Invoice, InvoiceDraft
from comptoir.sales.scanned import sale_line_read
from comptoir.sales.selectors import (
    customer_balance,
    draft_parked_list,
    invoice_detail,
    payment_rules,
)
from comptoir.sales.services import (
    PaymentInput,
    SaleLine,
    invoice_draft_abandon,
    invoice_draft_add_line,
    invoice_draft_park,
    invoice_draft_remove_line,
    invoice_draft_resume,
    invoice_draft_set_customer,
    invoice_draft_set_discount,
    invoice_draft_update_line,
    invoice_validate,
)
from comptoir.stock.selectors import article_list
from comptoir.stores.models import Till
from comptoir.training.models import TrainingSale
from comptoir.training.selectors import training_active, training_sale_detail
from comptoir.training.services import training_sale_validate
from comptoir.web.roles import is_manager

SEARCH_MIN = 2
SEARCH_LIMIT = 8
PAY_PREFIX = "pay_"
REF_PREFIX = "ref_"
# The payment form says which mode the screen showed: a sale is validated in that mode
# only (a cashier who saw no banner never hands out a « FORMATION » ticket, nor the
# reverse), whatever a manager switched meanwhile.
TRAINING_FIELD = "training"


def _is_zero(text: str) -> bool:
    return parse_decimal(text) == 0


def _cashier(request: HttpRequest) -> str:
    return request.user.get_username()


def _payment_methods(till: Till, draft: InvoiceDraft | None) -> list[tuple[str, MethodRule]]:
    """The store's active methods; a sale on account only for a basket with a customer."""
    with_customer = draft is not None and draft.customer_id is not None
    return [
        (PAY_PREFIX + code, rule)
        for code, rule in payment_rules(store=till.store).items()
        if with_customer or not rule.on_account
    ]


def _context(till: Till, draft: InvoiceDraft | None, **extra: Any) -> dict[str, Any]:
    currency = till.store.currency
    customer = draft.customer if draft is not None and draft.customer_id else None
    return {
        # What the basket's customer owes on account, from what this post knows.
        "customer_balance": customer_balance(customer=customer) if customer else None,
        "till": till,
        "basket": basket_view(draft, currency=currency),
        "parked": [basket_view(d, currency=currency) for d in draft_parked_list(till=till)],
        # The store's active methods and their rules (``payment_rules``): the screen
        # previews what ``settle`` accepts and asks for a reference where one is required.
        "payment_methods": _payment_methods(till, draft),
        **extra,
    }


def _answer(
    request: HttpRequest,
    till: Till,
    draft: InvoiceDraft | None,
    *,
    scan_error: str = "",
    pay_error: str = "",
    customer_error: str = "",
    discount_error: str = "",
    approval: bool = False,
    pay_approval: bool = False,
    results: QuerySet[Article] | None = None,
    invoice: Invoice | None = None,
    training_sale: TrainingSale | None = None,
    training: bool = False,
    printed: SaleOutcome | None = None,
    payment_refresh: bool = False,
) -> HttpResponse:
    """The changed fragments for the script; a redirect back to the screen otherwise."""
    error = scan_error or pay_error or customer_error or discount_error
    if not is_fetch(request):
        if error:
            messages.error(request, error)
        if printed is not None and printed.error:
            messages.warning(
                request, _("Ticket non imprimé : %(error)s") % {"error": printed.error}
            )
        if invoice is not None:
            return redirect("pos:receipt", number=invoice.number)
        if training_sale is not None:
            return redirect("pos:training_receipt", number=training_sale.number)
        return redirect("pos:index")
    context = _context(
        till,
        draft,
        scan_error=scan_error,
        pay_error=pay_error,
        customer_error=customer_error,
        discount_error=discount_error,
        approval=approval,
        pay_approval=pay_approval,
        results=results,
        invoice=invoice,
        training_sale=training_sale,
        training=training,
        printed=printed,
        payment_refresh=payment_refresh,
        fragments=True,
    )
    return render(request, "pos/_update.html", context, status=422 if error else 200)


@require_GET
@till_required
def index(request: HttpRequest, *, till: Till) -> HttpResponse:
    draft = draft_current(request.session, till=till)
    # No open cash session: the screen asks for the float first (pos:session).
    context = _context(
        till,
        draft,
        cash_session=session_open_get(till=till),
        training=training_active(till=till),
        printer=printer_get(till=till),
    )
    return render(request, "pos/index.html", context)


@require_POST
@till_required
def scan(request: HttpRequest, *, till: Till) -> HttpResponse:
    """Enter in the scan field: ``CODE`` or ``3*CODE`` (a code or a barcode) adds a line;
    so does a scale's label (``sales.scanned``), with the quantity it carries."""
    code, quantity = scan_parse(request.POST.get("q", "")[:200])
    draft = draft_current(request.session, till=till)
    if not code:
        return _answer(request, till, draft)
    draft = draft_for_update(request.session, till=till, cashier=_cashier(request))
    try:
        line = sale_line_read(SaleLine(code, quantity), store=till.store)
        invoice_draft_add_line(draft=draft, line=line)
    except NotFoundError as error:
        # Perhaps a name typed faster than the suggestions: offer them to pick from.
        results = article_list(search=code, limit=SEARCH_LIMIT) if len(code) >= SEARCH_MIN else None
        return _answer(request, till, draft, scan_error=error.message, results=results)
    except ComptoirError as error:
        return _answer(request, till, draft, scan_error=error.message)
    return _answer(request, till, draft)


@require_GET
@till_required
def search(request: HttpRequest, *, till: Till) -> HttpResponse:
    """Suggestions while a name is typed in the scan field."""
    text = request.GET.get("q", "").strip()[:200]
    if "*" in text:
        text = scan_parse(text)[0]
    results = article_list(search=text, limit=SEARCH_LIMIT) if len(text) >= SEARCH_MIN else None
    return render(request, "pos/_results.html", {"results": results, "query": text})


@require_POST
@till_required
def line_update(request: HttpRequest, position: int, *, till: Till) -> HttpResponse:
    draft = draft_current(request.session, till=till)
    if draft is None:
        return _answer(request, till, draft, scan_error=_("Aucune vente en cours."))
    quantity = request.POST.get("quantity", "").strip()[:30] or None
    discount = request.POST.get("discount", "").strip()[:30] or None
    try:
        if quantity is not None and _is_zero(quantity):  # 0 takes the line off
            invoice_draft_remove_line(draft=draft, position=position)
        else:
            invoice_draft_update_line(
                draft=draft, position=position, quantity=quantity, discount_rate=discount
            )
    except ComptoirError as error:
        return _answer(request, till, draft, scan_error=error.message)
    return _answer(request, till, draft)


@require_POST
@till_required
def line_remove(request: HttpRequest, position: int, *, till: Till) -> HttpResponse:
    draft = draft_current(request.session, till=till)
    if draft is None:
        return _answer(request, till, draft, scan_error=_("Aucune vente en cours."))
    try:
        invoice_draft_remove_line(draft=draft, position=position)
    except ComptoirError as error:
        return _answer(request, till, draft, scan_error=error.message)
    return _answer(request, till, draft)


@require_GET
@till_required
def customer_search(request: HttpRequest, *, till: Till) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:200]
    results = customer_list(search=text, limit=SEARCH_LIMIT) if len(text) >= SEARCH_MIN else None
    return render(request, "pos/_customers.html", {"customers": results, "query": text})


@require_POST
@till_required
def customer_set(request: HttpRequest, *, till: Till) -> HttpResponse:
    """Attach the customer whose code is posted (typed, or picked from the suggestions)."""
    ref = request.POST.get("customer", "").strip()[:200]
    draft = draft_for_update(request.session, till=till, cashier=_cashier(request))
    try:
        invoice_draft_set_customer(draft=draft, customer=ref or None)
    except ComptoirError as error:
        return _answer(request, till, draft, customer_error=error.message)
    # The payment methods depend on the customer (a sale on account needs one).
    return _answer(request, till, draft, payment_refresh=True)


@require_POST
@till_required
def abandon(request: HttpRequest, *, till: Till) -> HttpResponse:
    """Cancel the sale being rung up (nothing was sold; the basket is dropped)."""
    draft = draft_current(request.session, till=till)
    if draft is not None:
        invoice_draft_abandon(draft=draft)
    request.session.pop(SESSION_KEY, None)
    return _answer(request, till, None)


@require_POST
@till_required
def validate(request: HttpRequest, *, till: Till) -> HttpResponse:
    """Pay and validate: one amount per payment method, those left empty are not used."""
    draft = draft_current(request.session, till=till)
    payments = [
        PaymentInput(
            code,
            request.POST[PAY_PREFIX + code].strip()[:30],
            request.POST.get(REF_PREFIX + code, "")[: PAYMENT_REFERENCE_LENGTH + 1],
        )
        for code in payment_rules(store=till.store)
        if request.POST.get(PAY_PREFIX + code, "").strip()
    ]
    if draft is None or not draft.lines.exists():
        return _answer(request, till, draft, pay_error=_("La vente ne contient aucune ligne."))
    if not payments:
        return _answer(
            request,
            till,
            draft,
            pay_error=_("Saisissez le montant reçu dans l'un des moyens de paiement."),
        )
    training = training_active(till=till)
    if (request.POST.get(TRAINING_FIELD) == "1") != training:
        message = (
            _("Le mode formation vient d'être activé : rechargez l'écran de caisse.")
            if training
            else _("Le mode formation vient d'être désactivé : rechargez l'écran de caisse.")
        )
        return _answer(request, till, draft, pay_error=message, training=training)
    if training:
        return _validate_training(request, till, draft, payments)
    try:
        # A sale on account beyond the customer's limit: a manager's session, or a
        # manager's name and password typed on the cashier's screen.
        approver = _approver(
            request, _("Gérant ou mot de passe incorrect : la vente n'est pas validée.")
        )
    except ComptoirError as error:
        return _answer(request, till, draft, pay_error=error.message, pay_approval=True)
    try:
        invoice = invoice_validate(
            draft=draft, payments=payments, allow_over_limit=approver is not None
        )
    except ApprovalRequiredError as error:
        return _answer(request, till, draft, pay_error=error.message, pay_approval=True)
    except ComptoirError as error:
        return _answer(request, till, draft, pay_error=error.message)
    request.session.pop(SESSION_KEY, None)
    original_grant(request.session, invoice.number, RECEIPT, A4)
    # The sale is committed: the printer (if any) is reached now, and its failure costs
    # the paper receipt only (the browser print stays, as the original).
    printed = sale_print(till=till, number=invoice.number)
    if printed is not None and printed.printed:
        original_take(request.session, invoice.number, RECEIPT)
    return _answer(
        request, till, None, invoice=invoice_detail(number=invoice.number), printed=printed
    )


def _validate_training(
    request: HttpRequest, till: Till, draft: InvoiceDraft, payments: list[PaymentInput]
) -> HttpResponse:
    """The basket becomes a training sale (``comptoir.training``), not an invoice."""
    try:
        sale = training_sale_validate(draft=draft, payments=payments)
    except ComptoirError as error:
        return _answer(request, till, draft, pay_error=error.message, training=True)
    request.session.pop(SESSION_KEY, None)
    detail = training_sale_detail(number=sale.number, till=till)
    return _answer(request, till, None, training_sale=detail, training=True)


def _approver(request: HttpRequest, refused: str = "") -> str | None:
    """Who grants what needs a manager (a discount above the threshold, a sale beyond a
    customer's credit limit): the logged-in manager, or the manager whose user name and
    password were typed on the cashier's screen (checked like a login, failures counted
    against brute force); ``None`` when no one does. ``refused``: the sentence for a wrong
    name or password."""
    if is_manager(request.user):
        return request.user.get_username()
    username = request.POST.get("manager_user", "").strip()[:150]
    password = request.POST.get("manager_password", "")[:200]
    if not username:
        return None
    try:
        user = authenticate(request, username=username, password=password)
    except PermissionDenied:  # locked out after too many failures
        user = None
    if user is None or not is_manager(user):
        raise ValidationError(
            refused or _("Gérant ou mot de passe incorrect : la remise n'est pas accordée.")
        )
    return username


@require_POST
@till_required
def discount(request: HttpRequest, *, till: Till) -> HttpResponse:
    """F6: the basket discount, ``10 %`` or ``1,50`` (empty or 0: none). Above the threshold
    the screen asks for a manager (``_approver``)."""
    draft = draft_current(request.session, till=till)
    if draft is None or not draft.lines.exists():
        return _answer(request, till, draft, discount_error=_("La vente ne contient aucune ligne."))
    text = request.POST.get("discount", "").strip()[:30].replace(" ", "")
    if _is_zero(text.rstrip("%")):
        text = ""
    try:
        invoice_draft_set_discount(draft=draft, discount=text, approved_by=_approver(request))
    except ApprovalRequiredError as error:
        return _answer(request, till, draft, discount_error=error.message, approval=True)
    except ComptoirError as error:
        return _answer(request, till, draft, discount_error=error.message)
    return _answer(request, till, draft)


@require_POST
@till_required
def park(request: HttpRequest, *, till: Till) -> HttpResponse:
    """F7: put the basket on hold; the screen starts an empty one for the next customer."""
    draft = draft_current(request.session, till=till)
    if draft is None:
        return _answer(request, till, draft, scan_error=_("Aucune vente en cours."))
    try:
        invoice_draft_park(draft=draft, label=request.POST.get("label", "")[:60])
    except ComptoirError as error:
        return _answer(request, till, draft, scan_error=error.message)
    request.session.pop(SESSION_KEY, None)
    return _answer(request, till, None)


@require_POST
@till_required
def resume(request: HttpRequest, draft_id: str, *, till: Till) -> HttpResponse:
    """Take a parked basket back; the basket on screen, if it has lines, is parked in its
    place (an empty one is dropped)."""
    current = draft_current(request.session, till=till)
    if current is not None and str(current.pk) == draft_id:  # a second click
        return _answer(request, till, current)
    try:
        if current is not None and current.lines.exists():
            invoice_draft_park(draft=current)
        elif current is not None:
            invoice_draft_abandon(draft=current)
        request.session.pop(SESSION_KEY, None)
        draft = invoice_draft_resume(till=till, draft_id=draft_id)
    except ComptoirError as error:
        return _answer(
            request, till, draft_current(request.session, till=till), scan_error=error.message
        )
    request.session[SESSION_KEY] = str(draft.pk)
    return _answer(request, till, draft)
