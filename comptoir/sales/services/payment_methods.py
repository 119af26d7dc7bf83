"""Use cases of payment methods: a store's ways of taking money are data (reference data,
per store, edited where stores are: on the hub, or on a till with no hub).

A default method (``DEFAULT_PAYMENT_METHODS``) that a store does not store yet is stored
on its first edit, with the id every post derives for it (``method_seed_id``).
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.lib.errors import ValidationError
from comptoir.lib.usecases import use_case
from comptoir.lib.validators import clean_name
from comptoir.sales.models import METHOD_CODE_LENGTH, PaymentKind, PaymentMethod
from comptoir.sales.selectors import payment_method_get, payment_method_list
from comptoir.stores.models import Store
from comptoir.stores.services import stores_editable_here

CODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
NAME_LENGTH = 60


def _check_editable() -> None:
    if not stores_editable_here():
        raise ValidationError(
            _("Les moyens de paiement se modifient sur le serveur : ce poste les reçoit.")
        )


def _clean_kind(kind: str) -> str:
    if kind not in PaymentKind.values:
        raise ValidationError(
            _("Type de moyen de paiement inconnu : « %(kind)s » (types : %(kinds)s).")
            % {"kind": kind, "kinds": ", ".join(PaymentKind.values)}
        )
    return kind


def _clean_method_code(code: str) -> str:
    code = code.strip().lower()
    if not CODE_PATTERN.fullmatch(code) or len(code) > METHOD_CODE_LENGTH:
        raise ValidationError(
            _(
                "Code de moyen de paiement invalide : « %(code)s » (lettres minuscules sans "
                "accent, chiffres, - et _, %(n)d caractères au plus)."
            )
            % {"code": code, "n": METHOD_CODE_LENGTH}
        )
    return code


@transaction.atomic(savepoint=False)
def payment_method_create_block(
    *,
    store: Store,
    code: str,
    name: str,
    kind: str,
    reference_required: bool = False,
    position: int | None = None,
) -> PaymentMethod:
    _check_editable()
    code = _clean_method_code(code)
    kind = _clean_kind(kind)
    existing = {m.code: m for m in payment_method_list(store=store, include_inactive=True)}
    if code in existing:
        raise ValidationError(
            _("Ce magasin a déjà un moyen de paiement « %(code)s ».") % {"code": code}
        )
    if kind in (PaymentKind.CASH, PaymentKind.ACCOUNT):
        # The drawer's expected cash and the customer's balance read the one method of
        # each of these kinds that every store has (« cash », « compte »).
        raise ValidationError(
            _("Le magasin a déjà son moyen « %(kind)s » : modifiez-le plutôt (set).")
            % {"kind": PaymentKind(kind).label}
        )
    if position is None:
        position = max((m.position for m in existing.values()), default=0) + 10
    return PaymentMethod.objects.create(
        store=store,
        code=code,
        name=clean_name(name, max_length=NAME_LENGTH),
        kind=kind,
        reference_required=reference_required,
        position=position,
    )


payment_method_create = use_case(payment_method_create_block)


@transaction.atomic(savepoint=False)
def payment_method_update_block(
    *,
    store: Store,
    code: str,
    name: str | None = None,
    active: bool | None = None,
    reference_required: bool | None = None,
    position: int | None = None,
) -> PaymentMethod:
    """Change the given fields of a method (a default one is stored first)."""
    _check_editable()
    method = payment_method_get(store=store, code=code)
    if method._state.adding:  # a default the store did not store yet
        method.save(force_insert=True)
        method = PaymentMethod.objects.get(pk=method.pk)
    if name is not None:
        method.name = clean_name(name, max_length=NAME_LENGTH)
    if active is not None:
        method.active = active
    if reference_required is not None:
        method.reference_required = reference_required
    if position is not None:
        method.position = position
    method.save()
    return method


payment_method_update = use_case(payment_method_update_block)
