"""Use cases of customers (the seed's ``Client``).

Each use case ``customer_<verb>`` is ``use_case(customer_<verb>_block)``: the block joins
the caller's transaction (the admin calls blocks inside its own), the use case is the
block in one durable transaction of its own (see ``core.usecases``).
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.customers.models import Customer
from comptoir.customers.selectors import customer_get
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.lib.ids import new_id
from comptoir.lib.money import parse_amount
from comptoir.lib.usecases import use_case
from comptoir.lib.validators import clean_code, clean_contact_fields, clean_name


def customer_default_code(pk: UUID) -> str:
    """The code of a customer created without one: from its UUIDv7, so that a code born
    offline never collides with one born on another till."""
    return f"CL-{pk.hex[-8:].upper()}"


def _credit_limit(value: str | Decimal | int) -> int:
    limit = parse_amount(value, settings.COMPTOIR_CURRENCY)
    if limit < 0:
        raise ValidationError(_("Le plafond de crédit ne peut pas être négatif."))
    return limit


@transaction.atomic(savepoint=False)
def customer_create_block(
    *,
    name: str,
    code: str | None = None,
    phone: str = "",
    email: str = "",
    address: str = "",
    siren: str = "",
    vat_number: str = "",
    credit_limit: str | Decimal | int = 0,
) -> Customer:
    pk = new_id()
    code = clean_code(code, what=_("client")) if code else customer_default_code(pk)
    if Customer.objects.filter(code=code).exists():
        raise ValidationError(_("Un client porte déjà le code « %(code)s ».") % {"code": code})
    fields = clean_contact_fields(
        phone=phone, email=email, address=address, siren=siren, vat_number=vat_number
    )
    return Customer.objects.create(
        id=pk,
        code=code,
        name=clean_name(name),
        credit_limit=_credit_limit(credit_limit),
        **fields,
    )


customer_create = use_case(customer_create_block)


@transaction.atomic(savepoint=False)
def customer_update_block(
    *,
    ref: str | None = None,
    pk: UUID | None = None,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    address: str | None = None,
    siren: str | None = None,
    vat_number: str | None = None,
    archived: bool | None = None,
    credit_limit: str | Decimal | int | None = None,
) -> Customer:
    """Change the given fields only. The customer is ``pk`` (what a screen that lists
    twins edits), else the one ``ref`` names as ``customer_get`` picks it."""
    if pk is None:
        if ref is None:
            raise TypeError("give the customer's pk or its ref")
        pk = customer_get(ref=ref).pk
    customer = Customer.objects.select_for_update().filter(pk=pk).first()
    if customer is None:
        raise NotFoundError(_("Client inconnu : « %(ref)s ».") % {"ref": ref or pk})
    fields: dict[str, object] = dict(
        clean_contact_fields(
            phone=phone, email=email, address=address, siren=siren, vat_number=vat_number
        )
    )
    if name is not None:
        fields["name"] = clean_name(name)
    if archived is not None:
        fields["archived"] = archived
    if credit_limit is not None:
        fields["credit_limit"] = _credit_limit(credit_limit)
    for field, value in fields.items():
        setattr(customer, field, value)
    if fields:
        customer.save(update_fields=set(fields))
    return customer


customer_update = use_case(customer_update_block)
