"""Validation of text, identifiers and contact fields, with French messages. Uses
python-stdnum.

Every text a user types (names, codes, barcodes, addresses...) goes through
:func:`clean_text`, directly or through the cleaners below, which the services call: the
CLI, the back office, the till screen and CSV imports thus refuse the same characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from stdnum import ean
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren

from comptoir.lib.errors import ValidationError
from comptoir.lib.text import first_unprintable

_PHONE = re.compile(r"^\+?[0-9 .()/-]{6,25}$")


def clean_text(value: str, *, label: str, multiline: bool = False) -> str:
    """``value`` unchanged if it is printable text; else a French error naming ``label``
    (« Le nom », « L'adresse »...) and the refused character. Only a ``multiline`` text
    (an address) may hold line breaks and tabs. See :mod:`comptoir.lib.text`."""
    char = first_unprintable(value, multiline=multiline)
    if char is not None:
        raise ValidationError(
            _(
                "%(label)s contient un caractère de contrôle ou invisible (U+%(code)04X) : "
                "seul du texte imprimable est accepté."
            )
            % {"label": label, "code": ord(char)}
        )
    return value


def stdnum_clean(validate: Callable[[str], object], value: str, message: str) -> str:
    """``value`` checked by a python-stdnum ``validate`` (its compact form), "" when empty;
    else ``message`` (with ``%(value)s``) as a :class:`ValidationError`."""
    value = value.strip()
    if not value:
        return ""
    try:
        return str(validate(value))
    except StdnumError:
        raise ValidationError(message % {"value": value}) from None


def clean_siren(value: str) -> str:
    return stdnum_clean(
        siren.validate,
        value,
        _("SIREN invalide : « %(value)s » (9 chiffres avec une clé de contrôle)."),
    )


def clean_vat_number(value: str) -> str:
    return stdnum_clean(
        vat.validate, value, _("Numéro de TVA intracommunautaire invalide : « %(value)s ».")
    )


def clean_email(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValidationError(
            _("Adresse e-mail invalide : « %(value)s ».") % {"value": value}
        ) from None
    return value


def clean_phone(value: str) -> str:
    value = value.strip()
    if value and not _PHONE.match(value):
        raise ValidationError(_("Numéro de téléphone invalide : « %(value)s ».") % {"value": value})
    return value


def clean_barcode(value: str) -> str:
    """EAN/UPC codes (8, 12, 13 or 14 digits) must have a valid check digit; others are in-house."""
    value = clean_text(value.strip(), label=_("Le code-barres"))
    if not value or len(value) > 64 or any(c.isspace() for c in value):
        raise ValidationError(_("Code-barres invalide : « %(value)s ».") % {"value": value})
    if value.isdigit() and len(value) in (8, 12, 13, 14):
        try:
            ean.validate(value)
        except StdnumError:
            raise ValidationError(
                _("Code-barres « %(value)s » : la clé de contrôle EAN est fausse.")
                % {"value": value}
            ) from None
    return value


def clean_code(value: str, *, what: str) -> str:
    value = clean_text(value.strip(), label=_("Le code %(what)s") % {"what": what})
    if not value:
        raise ValidationError(_("Le code %(what)s est obligatoire.") % {"what": what})
    if len(value) > 40 or any(c.isspace() for c in value):
        raise ValidationError(
            _("Code %(what)s invalide : « %(value)s » (40 caractères au plus, sans espace).")
            % {"what": what, "value": value}
        )
    return value


def clean_name(value: str, *, max_length: int = 200) -> str:
    value = clean_text(value.strip(), label=_("Le nom"))
    if not value:
        raise ValidationError(_("Le nom est obligatoire."))
    if len(value) > max_length:
        raise ValidationError(_("Le nom dépasse %(n)d caractères.") % {"n": max_length})
    return value


def clean_contact_fields(
    *,
    phone: str | None,
    email: str | None,
    address: str | None,
    siren: str | None,
    vat_number: str | None,
) -> dict[str, str]:
    fields: dict[str, str] = {}
    if phone is not None:
        fields["phone"] = clean_phone(phone)
    if email is not None:
        fields["email"] = clean_email(email)
    if address is not None:
        fields["address"] = clean_text(address.strip(), label=_("L'adresse"), multiline=True)
    if siren is not None:
        fields["siren"] = clean_siren(siren)
    if vat_number is not None:
        fields["vat_number"] = clean_vat_number(vat_number)
    return fields
