"""Use cases of customer accounts (« ardoise »): a customer settles what they owe.

A settlement is a fact (immutable, synced once), chained in the post's fiscal journal
(``sales.journal_setup``, chain ``sett``); the balance is derived from the facts
(``selectors.customer_balance``), never stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.customers.models import Customer
from comptoir.customers.selectors import customer_get
from comptoir.journal.services import journal_link, snapshots
from comptoir.lib.errors import ValidationError
from comptoir.lib.money import format_money, parse_amount
from comptoir.lib.validators import clean_text
from comptoir.sales.calculations import payment_rule
from comptoir.sales.journal_setup import settlement_values
from comptoir.sales.models import PAYMENT_REFERENCE_LENGTH, AccountSettlement
from comptoir.sales.selectors import customer_balance, payment_rules
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current, till_store_id
from comptoir.stores.services import chain_head_lock
from comptoir.sync import capture

SETTLEMENT_KIND = "account_settlement"


@transaction.atomic(savepoint=False)
def account_settle_block(
    *,
    customer: Customer | str,
    amount: str | Decimal | int,
    method: str,
    reference: str = "",
    cashier: str = "",
    till: Till | None = None,
    at: datetime | None = None,
) -> AccountSettlement:
    """Record that ``customer`` paid ``amount`` towards their account, by ``method`` (one
    of the store's active methods, not the account itself), at ``till``. Refuses more than
    the balance this post knows (no credit balance: a change is given back instead)."""
    till = Till.objects.select_related("store").get(pk=(till or till_current()).pk)
    if not isinstance(customer, Customer):
        customer = customer_get(ref=customer)
    currency = till.store.currency
    cashier = clean_text(cashier, label=_("Le nom du caissier"))
    reference = clean_text(reference.strip(), label=_("La référence du paiement"))
    if len(reference) > PAYMENT_REFERENCE_LENGTH:
        raise ValidationError(
            _("La référence du paiement dépasse %(n)d caractères.")
            % {"n": PAYMENT_REFERENCE_LENGTH}
        )
    method = method.strip().lower()
    rule = payment_rule(method, reference, payment_rules(store=till.store))
    if rule.on_account:
        raise ValidationError(_("Un compte ne se règle pas « sur compte » : choisissez un moyen."))
    value = parse_amount(amount, currency)
    if value <= 0:
        raise ValidationError(_("Un paiement doit être d'un montant positif."))
    # The document chain first (the lock order of every fiscal use case): a cash session
    # read while it is held sees this settlement wholly or not at all.
    chain_head_lock(till=till)
    owed = customer_balance(customer=customer)
    if value > owed:
        raise ValidationError(
            _("%(name)s ne doit que %(owed)s : le règlement ne peut pas dépasser son solde.")
            % {"name": customer.name, "owed": format_money(max(owed, 0), currency)}
        )
    settlement = AccountSettlement(
        customer=customer,
        customer_name=customer.name,
        store=till.store,
        till=till,
        settled_at=(at or timezone.now()).astimezone(UTC),
        cashier=cashier,
        currency=currency,
        amount=value,
        method=method,
        reference=reference,
        **snapshots(till),
    )
    for name, value_ in journal_link(
        till=till, kind=SETTLEMENT_KIND, values=settlement_values(settlement)
    ).items():
        setattr(settlement, name, value_)
    settlement.save(force_insert=True)
    return settlement


account_settle = capture.store_use_case(till_store_id)(account_settle_block)
