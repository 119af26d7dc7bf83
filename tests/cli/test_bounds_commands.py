"""Numbers beyond the plausibility bounds (``core.bounds``) on the command line: exit code
2, one French sentence, no traceback, nothing written. The first four are the examples of
issue 13; the others are the same class elsewhere (other commands, options, products and
sums)."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.catalogue.models import Article
from comptoir.sales.services import SaleLine, invoice_sell
from tests.factories import db_state, make_article

# (arguments, what the French sentence says)
EXAMPLES = [
    (["sell", "OVF:9000000000000000"], "quantité « 9000000000000000 » : elle ne peut pas"),
    (["sell", "A01:10000000000000000000000000"], "elle ne peut pas dépasser 1 000 000 000"),
    (["stock", "receive", "A01", "100000000000000000000"], "Quantité « 100000000000000000000 »"),
    (
        ["article", "add", "--code", "B", "--name", "B", "--price", "100000000000000000"],
        "Montant « 100000000000000000 » : il ne peut pas dépasser 1 000 000 000,00 €",
    ),
    # Other commands and options.
    (["stock", "count", "A01", "2000000000"], "Quantité « 2000000000 » : elle ne peut pas"),
    (["stock", "loss", "A01", "10000000000000000000"], "elle ne peut pas dépasser"),
    (["article", "set", "A01", "--cost", "10000000000000"], "il ne peut pas dépasser"),
    (["article", "set", "A01", "--price", "-10000000000000"], "il ne peut pas dépasser"),
    (
        ["article", "add", "--code", "C", "--name", "C", "--price", "1", "--alert", "10" * 12],
        "elle ne peut pas dépasser",
    ),
    (["credit_note", "{invoice}", "A01:1" + "0" * 30], "elle ne peut pas dépasser"),
    (["sell", "A01:1", "--pay", "cash:100000000000000000000"], "il ne peut pas dépasser"),
    # Products and sums of bounded values.
    (["sell", "A01:400000001"], "Article « A01 » : le total de la ligne (quantité × prix)"),
    (["sell", "CHER:2"], "Article « CHER » : le coût de revient de la ligne"),
    (
        ["sell", "OVF:600000000", "OVF:600000000"],
        "Article « OVF » : la quantité vendue en tout (1 200 000 000) ne peut pas dépasser",
    ),
    (
        ["sell", "A01:1", "--pay", "cash:1000000000", "--pay", "cash:1000000000"],
        "Le total des paiements ne peut pas dépasser 1 000 000 000,00 €",
    ),
]


@pytest.fixture
def shelf(till: Any) -> str:
    make_article("A01", "2.50")
    make_article("OVF", "0.01", cost="0.00")
    make_article("CHER", "1.00", cost="600000000")  # a cost typed in cents, say
    return invoice_sell(lines=[SaleLine("A01", 2)], till=till).number


def _everything() -> dict[str, Any]:
    return {
        **db_state(),
        "articles": sorted(
            Article.objects.values_list("code", "sale_price", "cost", "alert_threshold")
        ),
    }


@pytest.mark.parametrize(
    ("args", "message"), EXAMPLES, ids=[" ".join(a)[:50] for a, _m in EXAMPLES]
)
def test_a_number_beyond_the_bounds_is_one_french_sentence_and_writes_nothing(
    shelf: str, cli_fail: Any, args: list[str], message: str
) -> None:
    before = _everything()
    err = (
        cli_fail(*(arg.format(invoice=shelf) for arg in args))
        .replace("\u202f", " ")
        .replace("\u00a0", " ")
    )
    assert err.startswith("Erreur : "), err
    assert message in err, err
    assert err.count("\n") == 1, err  # one sentence, no traceback
    assert _everything() == before


def test_a_csv_import_with_columns_beyond_the_bounds_imports_nothing(
    shelf: str, cli_fail: Any, tmp_path: Any
) -> None:
    path = tmp_path / "articles.csv"
    path.write_text(
        "code;name;price;cost;alert\n"
        "N1;Neuf;1,00;0,50;5\n"
        "N2;Coûteux;1,00;100000000000000;5\n"
        "N3;Alerte;1,00;0,50;1000000000000\n"
    )
    before = _everything()
    err = cli_fail("import", "articles", str(path))
    assert "2 lignes en erreur" in err, err
    assert "ligne 3 : Montant « 100000000000000 » : il ne peut pas dépasser" in err, err
    assert "ligne 4 : Quantité « 1000000000000 » : elle ne peut pas dépasser" in err, err
    assert _everything() == before
