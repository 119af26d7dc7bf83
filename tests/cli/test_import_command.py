from __future__ import annotations

import functools
import importlib

import pytest
from django.core.management import call_command
from rich.console import Console

from comptoir.catalogue.models import Article, Barcode, Supplier
from comptoir.catalogue.services import supplier_create
from comptoir.customers.models import Customer
from comptoir.ops import imports
from comptoir.ops.imports import ImportRefusedError, guess_delimiter, import_rows, parse_csv

ARTICLES = (
    "code;name;price;vat;cost;barcode;category;supplier;unit\n"
    "A1;Pomme;2,50;5,5;1,10;3017620422003;Fruits;F1;kg\n"
    "A2;Baguette;1.20;;;B-1|B-2;Boulangerie;;\n"
)


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, *, bom: bool = False) -> str:
        path = tmp_path / "data.csv"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        return str(path)

    return write


def test_import_articles_with_semicolons_and_a_bom(till, cli_json, csv_file):
    supplier_create(code="F1", name="Fournil")
    assert cli_json("import", "articles", csv_file(ARTICLES, bom=True)) == {
        "kind": "articles",
        "imported": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    apple = Article.objects.get(code="A1")
    assert (apple.sale_price, apple.vat_rate, apple.cost, apple.unit) == (250, 5.5, 110, "kg")
    assert (apple.category.name, apple.supplier.code) == ("Fruits", "F1")
    bread = Article.objects.get(code="A2")
    assert (bread.vat_rate, bread.cost, bread.unit) == (20, 0, "piece")
    assert sorted(Barcode.objects.filter(article=bread).values_list("code", flat=True)) == [
        "B-1",
        "B-2",
    ]


def test_import_customers_and_suppliers_with_commas(till, cli, csv_file):
    out = cli(
        "import",
        "customers",
        csv_file('name,email,code\n"Martin, Jeanne",j@example.org,\nDupont,,DUP\n'),
    )
    assert "2 ligne(s) importée(s)" in out
    assert Customer.objects.get(name="Martin, Jeanne").code.startswith("CL-")
    cli("import", "suppliers", csv_file("code,name,siren\nF9,Fournil,732829320\n"))
    assert Supplier.objects.get().siren == "732829320"


def test_one_bad_row_imports_nothing_and_every_bad_line_is_reported(till, cli_fail, csv_file):
    text = (
        "code;name;price\n"
        "A1;Pomme;2.50\n"
        "A2;Poire;deux euros\n"
        "A3;Prune;1\n"
        "A1;Pomme encore;3\n"
        "A4;;1\n"
        "A5;Trop;1;de champs\n"
    )
    err = cli_fail("import", "articles", csv_file(text))
    assert "Import refusé, rien n'a été importé : 4 lignes en erreur." in err
    assert "ligne 3 : Montant invalide : « deux euros »." in err
    assert "ligne 5 : Un article porte déjà le code « A1 »." in err
    assert "ligne 6 : La colonne « name » est vide." in err
    assert "ligne 7 : 4 champs au lieu de 3." in err
    assert "ligne 2 " not in err
    assert "ligne 4 " not in err
    assert not Article.objects.exists()


def test_import_with_a_bad_row_and_json_lists_the_errors_on_stdout(till, capsys, csv_file):
    path = csv_file("code,name\nF1,Fournil\nF 2,Espace\n")
    with pytest.raises(ImportRefusedError, match="Import refusé"):
        call_command("import", "suppliers", path, "--json")
    assert '"line": 3' in capsys.readouterr().out
    assert not Supplier.objects.exists()


def test_import_refuses_an_unknown_column(till, cli_fail, csv_file):
    err = cli_fail("import", "suppliers", csv_file("code,name,fax\nF1,Fournil,0102\n"))
    assert "colonnes inconnues : fax" in err
    assert not Supplier.objects.exists()


def test_import_refuses_a_file_that_is_not_utf8(till, cli_fail, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("code,name\nF1,Fournil à Noël\n".encode("latin-1"))
    assert "n'est pas un fichier texte UTF-8" in cli_fail("import", "suppliers", str(path))


def test_import_of_a_missing_file(till, cli_fail, tmp_path):
    assert "Impossible de lire" in cli_fail("import", "suppliers", str(tmp_path / "none.csv"))


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("code;name;price", ";"), ("code,name,price", ","), ("code", ","), ("a\tb", "\t")],
)
def test_the_delimiter_is_guessed_from_the_header(header, delimiter):
    assert guess_delimiter(header) == delimiter


def test_import_rows_reports_the_check_then_each_chunk_written(till, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    monkeypatch.setattr(imports, "CHUNK_SECONDS", None)
    rows = parse_csv("suppliers", "code,name\nF1,Un\nF2,Deux\nF3,Trois\n")
    seen: list[tuple[str, int]] = []
    assert import_rows("suppliers", rows, progress=lambda *a: seen.append(a)).rows == 3
    assert seen == [("check", 3), ("write", 2), ("write", 3)]


def test_large_imports_show_a_progress_bar_on_a_terminal(till, cli, csv_file, monkeypatch, capsys):
    module = importlib.import_module("comptoir.ops.management.commands.import")
    monkeypatch.setattr(module, "PROGRESS_FROM", 2)
    monkeypatch.setattr(module, "Console", functools.partial(Console, force_terminal=True))
    text = "code,name\n" + "".join(f"F{i},Fournisseur {i}\n" for i in range(5))
    assert "5 ligne(s) importée(s)" in cli("import", "suppliers", csv_file(text))
    assert Supplier.objects.count() == 5
    assert "5/5" in capsys.readouterr().err
