"""The store's legal identity: what ``store_update`` accepts, and what it refuses with one
French sentence and nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from comptoir.lib.errors import ValidationError
from comptoir.stores.models import Store
from comptoir.stores.services import store_update
from comptoir.sync.models import ChangeLog
from tests.factories import db_state

pytestmark = pytest.mark.django_db

GOOD = {
    "legal_name": "Boulangerie Martin SAS",
    "legal_form": "SAS",
    "address": "12 rue du Port\r\nBâtiment B  ",
    "postcode": "69002",
    "city": "Lyon",
    "siret": "732 829 320 00074",
    "vat_number": "FR 44 732829320",
    "rcs": "RCS Lyon 732 829 320",
    "share_capital": "10 000,50",
    "receipt_header": "Bienvenue",
    "receipt_footer": "À bientôt\nOuvert 7/7",
    "fiscal_year_start": "7",
    "payment_terms": "Paiement à 30 jours",
    "late_penalty_rate": "12,5",
}


def test_a_full_identity_is_stored_in_its_compact_forms(store: Store) -> None:
    store_update(pk=store.pk, **GOOD)
    store.refresh_from_db()
    assert store.siret == "73282932000074"
    assert store.vat_number == "FR44732829320"
    assert store.address == "12 rue du Port\nBâtiment B"
    assert store.share_capital == 1_000_050
    assert store.late_penalty_rate == Decimal("12.50")
    assert (store.fiscal_year_start, store.country, store.city) == (7, "FR", "Lyon")


def test_empty_values_clear_the_fields_and_none_leaves_them(store: Store) -> None:
    store_update(pk=store.pk, **GOOD)
    store_update(pk=store.pk, siret="", vat_number="", share_capital="", late_penalty_rate="")
    store.refresh_from_db()
    assert (store.siret, store.vat_number, store.share_capital) == ("", "", None)
    assert store.late_penalty_rate is None
    assert store.legal_name == "Boulangerie Martin SAS"  # not given: unchanged


def test_only_the_changed_fields_get_a_new_clock(store: Store) -> None:
    store_update(pk=store.pk, **GOOD)
    store.refresh_from_db()
    before = dict(store.sync_clocks)
    store_update(pk=store.pk, city="Lyon", rcs="RCS Lyon B 732 829 320")
    store.refresh_from_db()
    changed = {f for f in before if before[f] != store.sync_clocks[f]}
    assert changed == {"rcs"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"siret": "732 829 320 00075"}, "SIRET invalide : « 732 829 320 00075 »"),
        ({"siret": "123"}, "SIRET invalide"),
        ({"vat_number": "FR00732829320"}, "Numéro de TVA intracommunautaire invalide"),
        ({"vat_number": "BE0123456788"}, "Numéro de TVA intracommunautaire invalide"),
        (
            {"siret": "73282932000074", "vat_number": "FR40303265045"},
            "ne correspond pas au SIREN du SIRET",
        ),
        ({"siret": "73282932000074", "country": "SN"}, "Le SIRET est un numéro français"),
        ({"country": "France"}, "Pays invalide"),
        ({"fiscal_year_start": "13"}, "Premier mois de l'exercice invalide"),
        ({"fiscal_year_start": "0"}, "Premier mois de l'exercice invalide"),
        ({"share_capital": "-5"}, "Le capital social ne peut pas être négatif"),
        ({"share_capital": "10,001"}, "au plus 2 décimale(s)"),
        ({"late_penalty_rate": "101"}, "Taux des pénalités de retard invalide"),
        ({"late_penalty_rate": "3,125"}, "Taux des pénalités de retard invalide"),
        ({"legal_name": "Martin\x1b[2J"}, "La raison sociale contient un caractère de contrôle"),
        ({"receipt_footer": "a\nb\nc\nd\ne\nf\ng"}, "tient en 6 lignes au plus"),
        ({"rcs": "x" * 121}, "Le RCS dépasse 120 caractères"),
    ],
)
def test_bad_values_are_refused_in_french_and_nothing_is_written(
    store: Store, changes: dict[str, Any], message: str
) -> None:
    state, log = db_state(), ChangeLog.objects.count()
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        store_update(pk=store.pk, **changes)
    assert (db_state(), ChangeLog.objects.count()) == (state, log)


def test_a_store_outside_france_gives_a_registration_number_and_its_own_vat_number(
    store: Store,
) -> None:
    store_update(
        pk=store.pk,
        country="sn",
        registration_number="SN DKR 2020 B 1234",
        vat_number="0012345 2G3",
    )
    store.refresh_from_db()
    assert (store.country, store.registration_number) == ("SN", "SN DKR 2020 B 1234")
    assert store.vat_number == "0012345 2G3"


def test_a_store_in_another_eu_country_has_its_vat_number_checked_by_that_country(
    store: Store,
) -> None:
    store_update(pk=store.pk, country="BE", vat_number="BE 0403.019.261")
    store.refresh_from_db()
    assert store.vat_number == "BE0403019261"


def test_a_till_attached_to_a_hub_does_not_edit_stores(store: Store, settings: Any) -> None:
    settings.COMPTOIR_ROLE = "node"
    settings.COMPTOIR_HUB_URL = "http://127.0.0.1:9"
    state = db_state()
    with pytest.raises(ValidationError, match="se modifient sur le serveur seulement"):
        store_update(pk=store.pk, legal_name="Martin")
    assert db_state() == state
