"""A batch whose rows point forward (a row's current state refers to a row that comes
later in the same batch) applies whole: refused changes are retried once the rest is in."""

from __future__ import annotations

import uuid
from typing import Any

from comptoir.catalogue.models import Article, Category
from comptoir.catalogue.services import article_create, article_update
from comptoir.sync import wire
from comptoir.syncengine.apply import apply_batch
from comptoir.syncengine.protocol import Change, ReferenceChange, change_of


def _state(label: str, row: Any) -> Change:
    kind, data = wire.states([(label, row)])[(label, row)]
    return change_of(kind, id=str(uuid.uuid4()), model=label, row=str(row), data=data)


def _as_born_elsewhere(article: Article, category: Category) -> tuple[Change, ...]:
    """The same two rows as another post would send them: new ids, new code and name."""
    art, cat = _state("catalogue.article", article.pk), _state("catalogue.category", category.pk)
    art_id, cat_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert isinstance(art, ReferenceChange)
    assert isinstance(cat, ReferenceChange)
    art.row = art.data.fields["id"] = art_id
    art.data.fields["code"] = "B"
    art.data.fields["category_id"] = cat_id
    cat.row = cat.data.fields["id"] = cat_id
    cat.data.fields["name"] = "Épicerie de l'autre poste"
    return art, cat


def test_an_article_sent_before_the_category_it_now_belongs_to_is_applied(till: Any) -> None:
    # Another post created an article, then a category, then moved the article into it:
    # the article comes first in its outbox, and its state names a category not here yet.
    article = article_create(code="A", name="Article A", sale_price="1.00")
    article = article_update(code="A", category="Épicerie fine")
    assert article.category is not None
    art, cat = _as_born_elsewhere(article, article.category)

    outcomes = apply_batch([art, cat], origin="node-b")

    assert [o.status for o in outcomes] == ["applied", "applied"]
    moved = Article.objects.get(code="B")
    assert moved.category is not None
    assert moved.category.name == "Épicerie de l'autre poste"


def test_a_change_that_can_never_apply_is_refused_after_the_retries(till: Any) -> None:
    article = article_create(code="A", name="Article A", sale_price="1.00")
    article = article_update(code="A", category="Épicerie fine")
    assert article.category is not None
    art, _cat = _as_born_elsewhere(article, article.category)  # its category never comes

    [outcome] = apply_batch([art], origin="node-b")

    assert outcome.status == "rejected"
    assert "inconnu" in outcome.reason
    assert not Article.objects.filter(code="B").exists()
