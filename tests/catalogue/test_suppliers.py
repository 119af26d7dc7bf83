import pytest

from comptoir.catalogue.models import Supplier
from comptoir.catalogue.selectors import supplier_get
from comptoir.catalogue.services import supplier_create, supplier_update
from comptoir.lib.errors import ComptoirError, NotFoundError
from tests.factories import db_state, twin_from_another_till

pytestmark = pytest.mark.django_db

VALID_SIREN = "732 829 320"
VALID_VAT = "FR 44 732829320"


def test_a_supplier_is_created_with_validated_identifiers():
    supplier = supplier_create(
        code="F1",
        name="Grossiste SA",
        phone="+33 1 23 45 67 89",
        email="achats@grossiste.example",
        address=" 1 rue du Port ",
        siren=VALID_SIREN,
        vat_number=VALID_VAT,
    )
    supplier.refresh_from_db()
    assert supplier.siren == "732829320"
    assert supplier.vat_number == "FR44732829320"
    assert supplier.email == "achats@grossiste.example"
    assert supplier.address == "1 rue du Port"


@pytest.mark.parametrize("vat_number", ["DE136695976", "BE0403170701", "FR44732829320"])
def test_european_vat_numbers_of_several_countries_are_accepted(vat_number):
    assert supplier_create(code="F", name="F", vat_number=vat_number).vat_number == vat_number


@pytest.mark.parametrize(
    ("kwargs", "keyword"),
    [
        ({"siren": "732829321"}, "SIREN invalide"),
        ({"siren": "12345"}, "SIREN invalide"),
        ({"vat_number": "FR00732829320"}, "TVA intracommunautaire invalide"),
        ({"vat_number": "XX123"}, "TVA intracommunautaire invalide"),
        ({"email": "pas-un-email"}, "e-mail invalide"),
        ({"phone": "appelez-moi"}, "téléphone invalide"),
        ({"code": "F1"}, "déjà le code"),
        ({"name": ""}, "nom est obligatoire"),
    ],
)
def test_a_bad_supplier_is_refused_in_french_and_writes_nothing(kwargs, keyword):
    supplier_create(code="F1", name="Premier")
    before = db_state()
    with pytest.raises(ComptoirError, match=keyword):
        supplier_create(**{"code": "F2", "name": "Second", **kwargs})
    assert db_state() == before


def test_a_supplier_update_changes_only_the_given_fields():
    supplier_create(code="F1", name="Premier", phone="0102030405")
    supplier = supplier_update(code="F1", email="new@example.org", siren="732829320")
    supplier.refresh_from_db()
    assert (supplier.name, supplier.phone) == ("Premier", "0102030405")
    assert (supplier.email, supplier.siren) == ("new@example.org", "732829320")
    supplier_update(code="F1", archived=True)
    assert Supplier.objects.get(code="F1").archived is True


def test_a_bad_supplier_update_changes_nothing():
    supplier_create(code="F1", name="Premier", siren=VALID_SIREN)
    with pytest.raises(ComptoirError, match="SIREN invalide"):
        supplier_update(code="F1", name="Renommé", siren="111111111")
    supplier = Supplier.objects.get(code="F1")
    assert (supplier.name, supplier.siren) == ("Premier", "732829320")


def test_updating_an_unknown_supplier_is_refused():
    with pytest.raises(NotFoundError, match="Fournisseur inconnu"):
        supplier_update(code="NOPE", name="x")


def test_supplier_twins_from_two_offline_tills_pick_the_oldest_and_edit_by_id():
    supplier = supplier_create(code="F1", name="Grossiste SA")
    newer = twin_from_another_till(supplier, name="Grossiste (caisse 2)")
    older = twin_from_another_till(supplier, older=True, name="Grossiste (caisse 0)")

    assert supplier_get(code="F1") == older
    supplier_update(pk=newer.pk, email="caisse2@grossiste.example")
    newer.refresh_from_db()
    older.refresh_from_db()
    assert (newer.email, older.email) == ("caisse2@grossiste.example", "")

    supplier_update(pk=older.pk, archived=True)
    assert supplier_get(code="F1") == supplier
