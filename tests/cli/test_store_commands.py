"""``comptoir store set|show``: the store's legal identity from the command line."""

from __future__ import annotations

from comptoir.cli.commands import command_table
from comptoir.stores.models import Store
from comptoir.stores.services import store_get_or_create
from tests.factories import db_state


def test_store_set_changes_the_given_fields_and_show_prints_them(cli, cli_json):
    cli(
        "store", "set", "--legal-name", "Boulangerie Martin SAS", "--address", "12 rue du Port",
        "--address", "Bâtiment B", "--postcode", "69002", "--city", "Lyon",
        "--siret", "732 829 320 00074", "--vat-number", "FR44732829320", "--rcs", "RCS Lyon",
        "--share-capital", "10000", "--header", "Bienvenue", "--footer", "Merci",
        "--fiscal-year-start", "4", "--late-penalty-rate", "10",
    )  # fmt: skip
    data = cli_json("store", "show")
    assert data == {
        "name": "Magasin principal",
        "currency": "EUR",
        "legal_name": "Boulangerie Martin SAS",
        "legal_form": "",
        "address": "12 rue du Port\nBâtiment B",
        "postcode": "69002",
        "city": "Lyon",
        "country": "FR",
        "siret": "73282932000074",
        "registration_number": "",
        "vat_number": "FR44732829320",
        "rcs": "RCS Lyon",
        "share_capital": "10000.00",
        "receipt_header": "Bienvenue",
        "receipt_footer": "Merci",
        "fiscal_year_start": 4,
        "payment_terms": "",
        "late_penalty_rate": "10.00",
    }
    assert cli_json("store", "set", "--city", "Villeurbanne")["legal_name"] == (
        "Boulangerie Martin SAS"
    )
    text = cli("store", "show")
    assert "Raison sociale" in text
    assert "Boulangerie Martin SAS" in text
    assert "Villeurbanne" in text


def test_store_set_names_another_store_on_the_hub(cli_json):
    store_get_or_create(name="Annexe")
    data = cli_json("store", "set", "--store", "Annexe", "--city", "Nantes")
    assert (data["name"], data["city"]) == ("Annexe", "Nantes")
    assert Store.objects.get(name="Magasin principal").city == ""


def test_bad_input_exits_2_with_one_french_sentence_and_writes_nothing(cli_fail):
    state = db_state()
    for args, message in (
        (("--siret", "123"), "SIRET invalide : « 123 »"),
        (("--vat-number", "FR00123"), "Numéro de TVA intracommunautaire invalide"),
        (("--fiscal-year-start", "13"), "Premier mois de l'exercice invalide"),
        (("--legal-name", "X", "--siret", "73282932000075"), "SIRET invalide"),
        (("--store", "Nulle part", "--city", "Lyon"), "Magasin inconnu"),
    ):
        err = cli_fail("store", "set", *args)
        assert err.startswith("Erreur : "), err
        assert message in err, err
        assert err.count("\n") == 1
        assert "Traceback" not in err
    assert db_state() == state


def test_store_is_in_the_command_table():
    assert ("store",) in command_table()
