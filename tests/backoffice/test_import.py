"""CSV import from the web: all or nothing, a per-row report, never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from comptoir.backoffice import importjobs
from comptoir.catalogue.models import Article
from comptoir.catalogue.selectors import article_get
from comptoir.catalogue.services import article_create, article_update
from comptoir.stores.models import Till

pytestmark = pytest.mark.django_db

URL = reverse("backoffice:import_articles")
GOOD = "code;name;price;vat\nPAIN;Pain;1,20;5.5\nLAIT;Lait;0,95;5.5\n"


def upload(client: Client, content: bytes, name: str = "articles.csv") -> tuple[int, str]:
    response = client.post(URL, {"file": SimpleUploadedFile(name, content)}, follow=True)
    return response.status_code, response.content.decode()


def test_a_good_file_is_imported(manager: Client, till: Till) -> None:
    status, page = upload(manager, GOOD.encode())
    assert status == 200
    assert "Import terminé : 2 articles importés." in page
    assert set(Article.objects.values_list("code", flat=True)) == {"PAIN", "LAIT"}


def test_one_bad_row_imports_nothing_and_is_reported(manager: Client, till: Till) -> None:
    content = GOOD + "BEURRE;Beurre;deux euros;5.5\nOEUF;Œufs;2,10;5.5\n"
    status, page = upload(manager, content.encode())
    assert status == 200
    assert "Import refusé, rien n'a été importé : 1 ligne en erreur." in page
    assert '<td class="num">4</td><td>Montant invalide : « deux euros ».</td>' in page
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "est vide"),
        (b"   \n", "est vide"),
        ("code;name;price\nCAFÉ;Café;3\n".encode("cp1252"), "pas un fichier texte UTF-8"),
        (b"ref;designation\nA;B\n", "En-tête invalide"),
        (b"code;name;price\n", "aucune ligne"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "pas un fichier"),
    ],
)
def test_an_unreadable_file_is_refused_in_french(
    manager: Client, till: Till, content: bytes, reason: str
) -> None:
    status, page = upload(manager, content)
    assert status == 200
    assert reason in page
    assert Article.objects.count() == 0


def test_progress_is_polled_until_the_end(manager: Client, till: Till, monkeypatch) -> None:
    started: list[importjobs.Job] = []
    monkeypatch.setattr(importjobs, "starter", lambda job, rows: started.append(job))
    response = manager.post(URL, {"file": SimpleUploadedFile("a.csv", GOOD.encode())})
    assert response.status_code == 302
    running = manager.get(response["Location"], headers={"HX-Request": "true"})
    body = running.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert "0 ligne(s) vérifiée(s) sur 2" in body
    importjobs.run(started[0], importjobs.read_rows("articles", GOOD.encode(), "a.csv"))
    finished = manager.get(response["Location"], headers={"HX-Request": "true"})
    assert "hx-trigger" not in finished.content.decode()
    assert "2 articles importés" in finished.content.decode()


def test_an_unknown_job_is_a_404(manager: Client) -> None:
    assert manager.get(reverse("backoffice:import_status", args=["nope"])).status_code == 404


def test_an_import_may_give_a_removed_barcode_to_another_article(
    manager: Client, till: Till
) -> None:
    first = article_create(code="PAIN", name="Pain", sale_price="1.20", barcodes=["12345"])
    article_update(pk=first.pk, remove_barcodes=["12345"])
    _status, page = upload(manager, b"code;name;price;vat;barcode\nLAIT;Lait;0,95;5.5;12345\n")
    assert "Import terminé : 1 article importé." in page, page
    assert article_get(code="12345").code == "LAIT"
