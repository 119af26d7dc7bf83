"""A store's legal identity, checked before it is printed on receipts and invoices. Pure:
no ORM, so the CLI, the back office and tests check it the same way.

French rules: a SIRET (14 digits, Luhn key, ``stdnum.fr.siret``) for a French store; a
store elsewhere gives its own registration number instead (free text). An EU VAT number
is checked with its country's rules (``stdnum.eu.vat``); a French one must also carry
the SIREN of the SIRET when both are given (``stdnum.fr.tva``). Outside the EU a VAT
number is free text. Every value may be empty (a store not yet set up prints nothing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret, tva

from comptoir.lib.errors import ValidationError
from comptoir.lib.money import parse_amount
from comptoir.lib.numbers import parse_decimal
from comptoir.lib.validators import clean_text, stdnum_clean

# The fields ``clean_identity`` knows, in the order the settings page and ``store show``
# list them.
FIELDS = (
    "legal_name",
    "legal_form",
    "address",
    "postcode",
    "city",
    "country",
    "siret",
    "registration_number",
    "vat_number",
    "rcs",
    "share_capital",
    "receipt_header",
    "receipt_footer",
    "fiscal_year_start",
    "payment_terms",
    "late_penalty_rate",
)

MAX_RECEIPT_LINES = 6
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _texts() -> dict[str, tuple[int, str, bool]]:
    """Free text fields: maximum length, label for messages (translated now), multi-line."""
    return {
        "legal_name": (200, _("La raison sociale"), False),
        "legal_form": (60, _("La forme juridique"), False),
        "address": (300, _("L'adresse"), True),
        "postcode": (12, _("Le code postal"), False),
        "city": (120, _("La ville"), False),
        "registration_number": (40, _("Le numéro d'immatriculation"), False),
        "rcs": (120, _("Le RCS"), False),
        "receipt_header": (500, _("L'en-tête des tickets"), True),
        "receipt_footer": (500, _("Le pied des tickets"), True),
        "payment_terms": (300, _("Les conditions de paiement"), True),
    }


def _text(name: str, value: str) -> str:
    max_length, label, multiline = _texts()[name]
    value = clean_text(value.strip(), label=label, multiline=multiline)
    if multiline:
        value = "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").split("\n"))
    if len(value) > max_length:
        raise ValidationError(
            _("%(label)s dépasse %(n)d caractères.") % {"label": label, "n": max_length}
        )
    if name.startswith("receipt_") and value.count("\n") >= MAX_RECEIPT_LINES:
        raise ValidationError(
            _("%(label)s tient en %(n)d lignes au plus.") % {"label": label, "n": MAX_RECEIPT_LINES}
        )
    return value


def clean_country(value: str) -> str:
    value = value.strip().upper()
    if not _COUNTRY.match(value):
        raise ValidationError(
            _("Pays invalide : « %(value)s » (code à deux lettres, par exemple FR).")
            % {"value": value}
        )
    return value


def clean_siret(value: str) -> str:
    return stdnum_clean(
        siret.validate,
        value,
        _("SIRET invalide : « %(value)s » (14 chiffres avec une clé de contrôle)."),
    )


def clean_store_vat_number(value: str, *, country: str) -> str:
    """An EU number checked by its country's rules (any EU store may hold one); outside the
    EU, a store's number is free text."""
    value = value.strip()
    if not value:
        return ""
    if country.lower() in vat.MEMBER_STATES or value[:2].lower() in {*vat.MEMBER_STATES, "el"}:
        try:
            return str(vat.validate(value))
        except StdnumError:
            raise ValidationError(
                _("Numéro de TVA intracommunautaire invalide : « %(value)s ».") % {"value": value}
            ) from None
    value = clean_text(value, label=_("Le numéro de TVA"))
    if len(value) > 20:
        raise ValidationError(_("Le numéro de TVA dépasse %(n)d caractères.") % {"n": 20})
    return value


def clean_late_penalty_rate(value: str | Decimal | None) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    rate = parse_decimal(value.strip() if isinstance(value, str) else value)
    if rate is None or not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.01")):
        raise ValidationError(
            _(
                "Taux des pénalités de retard invalide : « %(value)s » (un pourcentage entre 0 "
                "et 100, deux décimales au plus)."
            )
            % {"value": value}
        )
    return rate.quantize(Decimal("0.01"))


def clean_fiscal_year_start(value: str | int) -> int:
    text = str(value).strip()
    month = int(text) if text.isdigit() else 0
    if not 1 <= month <= 12:
        raise ValidationError(
            _("Premier mois de l'exercice invalide : « %(value)s » (un mois de 1 à 12).")
            % {"value": value}
        )
    return month


def clean_share_capital(value: str | int | None, *, currency: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    minor = parse_amount(value.strip() if isinstance(value, str) else value, currency)
    if minor < 0:
        raise ValidationError(
            _("Le capital social ne peut pas être négatif : « %(value)s ».") % {"value": value}
        )
    return minor


def clean_identity(
    changes: Mapping[str, Any], *, current: Mapping[str, Any], currency: str
) -> dict[str, Any]:
    """The checked values of ``changes`` (field -> typed value; ``None``: unchanged).

    ``current``: the store's stored identity, for the checks that involve two fields
    (a SIRET only for a French store, a French VAT number that matches the SIRET).
    Raises :class:`ValidationError` with one French sentence on the first bad value.
    """
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown store fields: {sorted(unknown)}")
    given = {k: v for k, v in changes.items() if v is not None}
    out: dict[str, Any] = {}
    if "country" in given:
        out["country"] = clean_country(given["country"])
    country = out.get("country", current.get("country") or "FR")
    for name, value in given.items():
        if name in _texts():
            out[name] = _text(name, value)
        elif name == "siret":
            out[name] = clean_siret(value)
        elif name == "vat_number":
            out[name] = clean_store_vat_number(value, country=country)
        elif name == "share_capital":
            out[name] = clean_share_capital(value, currency=currency)
        elif name == "fiscal_year_start":
            out[name] = clean_fiscal_year_start(value)
        elif name == "late_penalty_rate":
            out[name] = clean_late_penalty_rate(value)
    merged = {**current, **out}
    # The checks across two fields run when one of them changes: a store whose stored
    # identity predates them still gets its receipt footer edited.
    if merged.get("siret") and country != "FR" and {"siret", "country"} & set(out):
        raise ValidationError(
            _(
                "Le SIRET est un numéro français : pour un magasin hors de France, donnez son "
                "numéro d'immatriculation."
            )
        )
    number = merged.get("vat_number") or ""
    if (
        merged.get("siret")
        and number.startswith("FR")
        and {"siret", "vat_number"} & set(out)
        and tva.to_siren(number) != siret.to_siren(merged["siret"])
    ):
        raise ValidationError(
            _("Le numéro de TVA « %(vat)s » ne correspond pas au SIREN du SIRET « %(siret)s ».")
            % {"vat": number, "siret": merged["siret"]}
        )
    return out
