from comptoir.catalogue.services import article_create
from comptoir.sales.services import SaleLine, invoice_sell


def test_a_sale_gets_the_first_number_of_the_till_series(till):
    article_create(code="A", name="Article A", sale_price="2.50")
    invoice = invoice_sell(lines=[SaleLine("A", 2)])
    assert invoice.number.startswith("C1-")
    assert invoice.number.endswith("-000001")
    assert invoice.total_incl_tax == 500
