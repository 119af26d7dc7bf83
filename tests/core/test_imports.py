"""CSV imports: the whole file checked first, then written in chunks; all or nothing, and a
re-run of the same file reaches the same state without doubles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import OperationalError

from comptoir.catalogue.models import Article, Barcode, Category
from comptoir.catalogue.services import article_create, supplier_create
from comptoir.customers.models import Customer
from comptoir.ops import imports
from comptoir.ops.imports import ImportInterruptedError, ImportRefusedError, import_rows, parse_csv
from comptoir.sync import registry
from comptoir.sync.models import ChangeLog

pytestmark = pytest.mark.django_db

HEADER = "code;name;price;vat;barcode;category\n"

# What an import writes, without the technical event that logs the import itself.
DATA_LOG = ChangeLog.objects.exclude(model="events.technicalevent")


def articles_csv(n: int, *, extra: str = "") -> str:
    lines = [
        f"A{i:05d};Article {i};{1 + i % 50},{i % 100:02d};5,5;B{i:05d};Rayon {i % 7}\n"
        for i in range(n)
    ]
    return HEADER + "".join(lines) + extra


def expected_state(n: int) -> set[tuple[object, ...]]:
    """What a single clean import of ``articles_csv(n)`` leaves."""
    return {
        (
            f"A{i:05d}",
            f"Article {i}",
            (1 + i % 50) * 100 + i % 100,
            Decimal("5.5"),
            f"Rayon {i % 7}",
        )
        for i in range(n)
    } | {("barcode", f"B{i:05d}", f"A{i:05d}") for i in range(n)}


def state() -> set[tuple[object, ...]]:
    """What the catalogue holds, ids aside."""
    return {
        (a.code, a.name, a.sale_price, a.vat_rate, a.category.name if a.category else None)
        for a in Article.objects.select_related("category")
    } | {("barcode", b.code, b.article.code) for b in Barcode.objects.select_related("article")}


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(imports, "CHUNK_ROWS", 50)
    monkeypatch.setattr(imports, "CHUNK_SECONDS", None)  # every chunk 50 rows
    return 50


def test_a_bad_row_at_the_end_of_a_many_chunk_file_writes_nothing(till, small_chunks) -> None:
    rows = parse_csv("articles", articles_csv(400, extra="Z1;Zèbre;gratuit;5,5;;\n"))
    log_before = ChangeLog.objects.count()
    with pytest.raises(ImportRefusedError) as refused:
        import_rows("articles", rows)
    assert [(e.line, e.message) for e in refused.value.errors] == [
        (402, "Montant invalide : « gratuit ».")
    ]
    assert not Article.objects.exists()
    assert not Category.objects.exists()
    assert ChangeLog.objects.count() == log_before  # nothing captured, nothing to sync


def test_a_barcode_clash_with_a_later_line_is_found_before_any_write(till, small_chunks) -> None:
    # Line 300's barcode is line 2's article code: refused by the check, not by a chunk.
    text = articles_csv(298, extra="X1;Double;1;5,5;A00000;\n")
    with pytest.raises(ImportRefusedError) as refused:
        import_rows("articles", parse_csv("articles", text))
    assert [(e.line, e.message) for e in refused.value.errors] == [
        (300, "Le code-barres « A00000 » est déjà le code d'un article.")
    ]
    assert not Article.objects.exists()


def test_the_same_file_twice_changes_nothing_the_second_time(till, small_chunks) -> None:
    rows = parse_csv("articles", articles_csv(120))
    first = import_rows("articles", rows)
    assert (first.created, first.updated, first.unchanged) == (120, 0, 0)
    data = ChangeLog.objects.exclude(model="events.technicalevent")
    after_first, log_after_first = state(), data.count()
    second = import_rows("articles", rows)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 120)
    assert state() == after_first
    assert data.count() == log_after_first  # nothing rewritten, nothing sent
    # ... but the import itself is in the technical event log (one event per import).
    assert ChangeLog.objects.filter(model="events.technicalevent").count() == 2


def test_an_import_interrupted_between_chunks_is_finished_by_a_rerun(
    till, small_chunks, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = imports.KINDS["articles"]
    calls = 0

    def third_chunk_fails(plans, memo):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OperationalError("connexion perdue")
        return kind.write(plans, memo)

    broken = imports.ImportKind(kind.columns, kind.required, kind.check, third_chunk_fails)
    monkeypatch.setitem(imports.KINDS, "articles", broken)
    rows = parse_csv("articles", articles_csv(200))
    with pytest.raises(ImportInterruptedError) as stopped:
        import_rows("articles", rows)
    assert stopped.value.message == (
        "Import interrompu à la ligne 102 (connexion perdue) : 100 ligne(s) sur 200 sont "
        "importées. Importez à nouveau le même fichier pour terminer : les lignes déjà "
        "importées seront reconnues."
    )
    assert Article.objects.count() == 100  # the chunks before the failure stay

    monkeypatch.setitem(imports.KINDS, "articles", kind)
    again = import_rows("articles", rows)
    assert (again.created, again.updated, again.unchanged) == (100, 0, 100)
    assert state() == expected_state(200)
    assert Category.objects.count() == 7  # shelves created by the first run are reused


def test_a_line_whose_code_exists_updates_that_article_and_is_captured(till) -> None:
    article_create(code="A00001", name="Ancien nom", sale_price="9", vat_rate="20")
    supplier_create(code="F1", name="Fournil")
    seq = ChangeLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    text = "code;name;price;supplier\nA00001;Nouveau nom;2,50;F1\n"
    result = import_rows("articles", parse_csv("articles", text))
    assert (result.created, result.updated) == (0, 1)
    article = Article.objects.get(code="A00001")
    assert (article.name, article.sale_price, article.supplier.code) == ("Nouveau nom", 250, "F1")
    assert article.vat_rate == Decimal("20")  # no vat column: left as it was
    assert list(DATA_LOG.filter(seq__gt=seq).values_list("model", "row_id")) == [
        ("catalogue.article", article.pk)
    ]
    assert set(article.sync_clocks) >= {"name", "sale_price", "supplier_id"}


def test_customers_without_code_are_recognised_on_a_rerun(till, small_chunks) -> None:
    text = "name;email\n" + "".join(f"Client {i % 30};c{i}@example.org\n" for i in range(60))
    text += "Client 0;c0@example.org\n"  # the same person twice in the file: two customers
    rows = parse_csv("customers", text)
    assert import_rows("customers", rows).created == 61
    codes = set(Customer.objects.values_list("code", flat=True))
    again = import_rows("customers", rows)
    assert (again.created, again.unchanged) == (0, 61)
    assert set(Customer.objects.values_list("code", flat=True)) == codes


def test_imported_rows_are_captured_and_clocked_like_any_write(till) -> None:
    """The fast inserts of an import leave a trace per row (article, barcode, shelf) and
    stamp every synced field, as ``save`` would."""
    seq = ChangeLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    import_rows("articles", parse_csv("articles", articles_csv(30)))
    logged = set(DATA_LOG.filter(seq__gt=seq).values_list("model", "row_id"))
    rows = {("catalogue.article", pk) for pk in Article.objects.values_list("pk", flat=True)}
    rows |= {("catalogue.barcode", pk) for pk in Barcode.objects.values_list("pk", flat=True)}
    rows |= {("catalogue.category", pk) for pk in Category.objects.values_list("pk", flat=True)}
    assert len(rows) == 30 + 30 + 7
    assert logged == rows
    for model in (Article, Barcode):
        spec = registry.reference_spec(registry.label_of(model))
        assert spec is not None
        for clocks in model.objects.values_list("sync_clocks", flat=True):
            assert set(clocks) == set(spec.fields)


@pytest.mark.parametrize(
    ("rows", "seconds", "expected"),
    [
        (200, 0.1, 400),  # fast: grows, at most twofold
        (200, 0.15, 267),
        (200, 1.0, 40),  # slow (a checkpoint, a busy server): shrinks at once
        (200, 30.0, 20),  # never below the floor
        (4000, 0.01, 5000),  # nor above the ceiling
    ],
)
def test_chunks_are_sized_to_the_time_budget(rows: int, seconds: float, expected: int) -> None:
    assert imports.next_chunk_rows(rows, seconds, 0.2) == expected


def test_a_slow_database_makes_chunks_smaller(till, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunk sizes follow the time each one takes, not a fixed count."""
    kind = imports.KINDS["articles"]
    sizes: list[int] = []

    def slow_write(plans, memo):
        sizes.append(len(plans))
        clock_now[0] += 0.02 * len(plans)  # 20 ms a row: 10 rows fit in the budget
        return kind.write(plans, memo)

    clock_now = [0.0]
    monkeypatch.setattr(imports.time, "monotonic", lambda: clock_now[0])
    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    monkeypatch.setattr(imports, "CHUNK_SECONDS", 0.2)
    monkeypatch.setattr(imports, "MIN_CHUNK_ROWS", 5)
    broken = imports.ImportKind(kind.columns, kind.required, kind.check, slow_write)
    monkeypatch.setitem(imports.KINDS, "articles", broken)
    assert import_rows("articles", parse_csv("articles", articles_csv(130))).created == 130
    assert sizes == [100, 10, 10, 10]
