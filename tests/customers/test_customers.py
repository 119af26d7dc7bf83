import pytest

from comptoir.customers.models import Customer
from comptoir.customers.selectors import customer_get
from comptoir.customers.services import customer_create, customer_update
from comptoir.lib.errors import ComptoirError, NotFoundError
from tests.factories import db_state, twin_from_another_till

pytestmark = pytest.mark.django_db


def test_a_customer_without_a_code_gets_one_derived_from_its_id():
    customer = customer_create(name="Mme Martin")
    assert customer.code == f"CL-{customer.pk.hex[-8:].upper()}"
    assert customer_get(ref=customer.code) == customer
    assert customer_get(ref=str(customer.pk)) == customer
    assert customer.is_business is False


def test_a_business_customer_is_created_with_validated_identifiers():
    customer = customer_create(
        name="Boulangerie SARL",
        code="BOUL",
        siren="732829320",
        vat_number="FR44732829320",
        email="contact@boulangerie.example",
        phone="01 23 45 67 89",
    )
    customer.refresh_from_db()
    assert customer.is_business is True
    assert (customer.siren, customer.vat_number) == ("732829320", "FR44732829320")


@pytest.mark.parametrize(
    ("kwargs", "keyword"),
    [
        ({"siren": "732829321"}, "SIREN invalide"),
        ({"vat_number": "FR00732829320"}, "TVA intracommunautaire invalide"),
        ({"vat_number": "DE136695977"}, "TVA intracommunautaire invalide"),
        ({"email": "martin@"}, "e-mail invalide"),
        ({"phone": "06-abc"}, "téléphone invalide"),
        ({"code": "C1"}, "déjà le code"),
        ({"name": " "}, "nom est obligatoire"),
    ],
)
def test_a_bad_customer_is_refused_in_french_and_writes_nothing(kwargs, keyword):
    customer_create(name="Premier", code="C1")
    before = db_state()
    with pytest.raises(ComptoirError, match=keyword):
        customer_create(**{"name": "Second", **kwargs})
    assert db_state() == before


def test_a_customer_update_changes_only_the_given_fields():
    customer_create(name="Mme Martin", code="C1", phone="0601020304")
    customer_update(ref="C1", email="martin@example.org", vat_number="DE136695976")
    customer = Customer.objects.get(code="C1")
    assert (customer.name, customer.phone) == ("Mme Martin", "0601020304")
    assert (customer.email, customer.vat_number) == ("martin@example.org", "DE136695976")
    customer_update(ref="C1", archived=True)
    assert Customer.objects.get(code="C1").archived is True


def test_a_bad_customer_update_changes_nothing():
    customer_create(name="Mme Martin", code="C1")
    with pytest.raises(ComptoirError, match="e-mail invalide"):
        customer_update(ref="C1", name="M. Martin", email="nope")
    assert Customer.objects.get(code="C1").name == "Mme Martin"


@pytest.mark.parametrize("ref", ["INCONNU", "0190f0e0-0000-7000-8000-000000000000"])
def test_an_unknown_customer_is_refused(ref):
    with pytest.raises(NotFoundError, match="Client inconnu"):
        customer_get(ref=ref)
    with pytest.raises(NotFoundError, match="Client inconnu"):
        customer_update(ref=ref, name="x")


def test_customer_twins_from_two_offline_tills_pick_the_oldest_and_edit_by_id():
    customer = customer_create(name="M. Dupont", code="DUPONT")
    newer = twin_from_another_till(customer, name="Mme Dupont")
    older = twin_from_another_till(customer, older=True, name="Dupont père")

    assert customer_get(ref="DUPONT") == older
    assert customer_get(ref=str(newer.pk)) == newer
    customer_update(pk=newer.pk, phone="01 23 45 67 89")
    newer.refresh_from_db()
    older.refresh_from_db()
    assert (newer.phone, older.phone) == ("01 23 45 67 89", "")
    assert customer_update(ref="DUPONT", email="dupont@example.org") == older

    customer_update(pk=older.pk, archived=True)
    assert customer_get(ref="DUPONT") == customer
