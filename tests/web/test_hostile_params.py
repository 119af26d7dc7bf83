"""No URL answers 500 to hostile query or path parameters.

Walks EVERY URL pattern of the resolver (the screens, the admin, the sync API; whatever is
added later), fills its path parameters with real objects made through the services, and
requests it as a manager, a cashier and a superuser (the admin), on a till and on a hub,
with every query parameter name the code knows set to a NUL byte, a number typed with
slashes, a 10,000-character value and non-UTF-8 bytes; then with each path parameter
replaced by the same values. Nothing may answer 500 (a NUL reaches PostgreSQL as a
``DataError``: run it there too, ``python -m tests.pgcluster run -- pytest ...``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern
from django.utils import timezone

import comptoir
from comptoir.backoffice import forms as backoffice_forms
from comptoir.backoffice import importjobs
from comptoir.cash.services import session_close, session_open
from comptoir.catalogue.services import category_create, supplier_create
from comptoir.closings.services import closings_close
from comptoir.customers.services import customer_create
from comptoir.dashboard import forms as dashboard_forms
from comptoir.sales.services import (
    SaleLine,
    credit_note_issue,
    invoice_draft_add_line,
    invoice_draft_create,
    invoice_draft_park,
    invoice_sell,
)
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Till
from comptoir.web.roles import CASHIER, MANAGER, role_set
from tests.factories import make_article

SOURCE = Path(comptoir.__file__).parent

# Percent-encoded as they travel: a NUL, a number typed with slashes, a very long value,
# bytes that are not UTF-8.
HOSTILE = {
    "nul": "A%00B",
    "slashes": "C1/2026/000001",
    "long": "9" * 10_000,
    "not-utf8": "%ff%fe",
}
# Django's admin reads these (search, ordering, page, popups, filters kept across pages).
ADMIN_PARAMS = {"q", "o", "p", "e", "_popup", "_to_field", "_changelist_filters", "all"}


def _query_names() -> list[str]:
    """Every query parameter name the code reads: ``GET.get("x")`` and friends in the
    views, field names of the forms, ``name="x"`` in the templates, the admin's, and ``q``."""
    names = {"q"} | ADMIN_PARAMS
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'\b(?:GET|get|source|params)\.get(?:list)?\(\s*"([a-z_]+)"', text))
        names |= set(re.findall(r'\bGET\[\s*"(\w+)"\s*\]', text))
    for path in SOURCE.rglob("*.html"):
        names |= set(re.findall(r'\bname="(\w+)"', path.read_text(encoding="utf-8")))
    for module in (backoffice_forms, dashboard_forms):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                names |= set(cls.base_fields)
    names.discard("viewport")  # <meta name="viewport">
    return sorted(names)


QUERY_NAMES = _query_names()


def _patterns(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            yield from _patterns(entry, f"{inner}" if inner else namespace)
        elif entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def _kinds(pattern: URLPattern) -> dict[str, str]:
    """Path parameter -> converter (``str``, ``uuid``...; ``regex`` for ``re_path``)."""
    if isinstance(pattern.pattern, RegexPattern):
        return dict.fromkeys(pattern.pattern.regex.groupindex, "regex")
    converters = pattern.pattern.converters
    return {k: type(c).__name__.replace("Converter", "").lower() for k, c in converters.items()}


@pytest.fixture
def objects(till: Till, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One real object of each kind a URL points at, made through the services."""
    monkeypatch.setattr(importjobs, "starter", importjobs.run)  # no thread in a test
    make_article("PAIN", "1.20", barcodes=["3017620422003"])
    article = make_article("VIN", "8.90")
    stock_receive(article="PAIN", quantity=50)
    customer = customer_create(name="Boulangerie Martin", address="1 rue du Four")
    supplier = supplier_create(code="MALONGO", name="Cafés Malongo")
    category = category_create(name="Épicerie")
    invoice = invoice_sell(lines=[SaleLine(article="PAIN", quantity=2)], customer=customer)
    note = credit_note_issue(invoice_number=invoice.number, cashier="alice")
    job = importjobs.job_start(kind="articles", rows=[], filename="vide.csv", user="gerant")
    tomorrow = timezone.localdate(invoice.validated_at) + timedelta(days=1)
    closing = closings_close(till=till, until=tomorrow)[0]  # the day (a month end adds more)
    session_open(amount="10", cashier="alice", till=till)
    cash_session = session_close(counted="10", cashier="alice", till=till).session
    parked = invoice_draft_create(till=till, cashier="alice")
    invoice_draft_add_line(draft=parked, line=SaleLine(article="PAIN", quantity=1))
    invoice_draft_park(draft=parked, label="M. Diop")
    return {
        "parked": parked,  # a basket on hold
        "closing": closing,
        "session_z": cash_session,  # a closed cash session's Z
        "invoice": invoice,
        "note": note,
        "article": article,
        "customer": customer,
        "supplier": supplier,
        "category": category,
        "job": job,
        "store": till.store,
    }


def _path_kwargs(name: str, pattern: URLPattern, objs: dict[str, Any]) -> dict[str, Any]:
    """Real values for the pattern's path parameters."""
    kwargs: dict[str, Any] = {}
    for key, kind in _kinds(pattern).items():
        if key == "number" and kind == "int":  # a cash session's number
            kwargs[key] = 1
        elif key == "number":
            kwargs[key] = (
                objs["note"] if "credit_note_receipt" in name else objs["invoice"]
            ).number
        elif key == "pk":
            target = re.sub(r"_(edit|archive|detail|history|account)$", "", name.split(":")[-1])
            kwargs[key] = objs[{"stock": "article", "credit_note": "note"}.get(target, target)].pk
        elif key == "job_id":
            kwargs[key] = objs["job"].id
        elif key == "store":
            kwargs[key] = objs["store"].pk
        elif key == "period":  # an archive's period: a fiscal year or a month
            kwargs[key] = objs["closing"].period_start.strftime("%Y-%m")
        elif key == "position":
            kwargs[key] = 1
        elif key == "draft_id":
            kwargs[key] = str(objs["parked"].pk)
        elif name.startswith("admin:") and key == "object_id":
            model = _admin_model(name)
            obj = model._default_manager.first() if model else None
            kwargs[key] = str(obj.pk) if obj else "1"
        elif name.startswith("admin:") and key == "app_label":
            kwargs[key] = "catalogue"
        elif name.startswith("admin:"):
            kwargs[key] = 1 if kind == "int" else "x"
        else:
            raise AssertionError(f"{name}: say which object fills <{kind}:{key}> here")
    return kwargs


def _admin_model(name: str) -> Any:
    stem = name.split(":")[1].rsplit("_", 1)[0]  # admin:catalogue_article_change
    for model in apps.get_models():
        if f"{model._meta.app_label}_{model._meta.model_name}" == stem:
            return model
    return None


def _client(username: str, role: str | None, *, superuser: bool = False) -> Client:
    users = get_user_model().objects
    if superuser:
        user = users.create_superuser(username, password="x-secret-123")
    else:
        user = users.create_user(username, password="x-secret-123")
    if role:
        role_set(user, role)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _server_errors(client: Client, urls: list[tuple[str, str]]) -> list[str]:
    failures = []
    for label, url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {label}")
    return failures


def _hostile_urls(objs: dict[str, Any], *, admin: bool) -> list[tuple[str, str]]:
    urls = []
    for name, pattern in _patterns(get_resolver()):
        if name.startswith("admin:") != admin:
            continue
        kwargs = _path_kwargs(name, pattern, objs)
        base = reverse(name, kwargs=kwargs)
        for value_name, value in HOSTILE.items():
            query = "&".join(f"{n}={value}" for n in QUERY_NAMES)
            urls.append((f"{name} ?{value_name}", f"{base}?{query}"))
        for key, kind in _kinds(pattern).items():
            if kind not in ("string", "path", "regex"):
                continue  # int and uuid converters refuse junk before any view runs
            marker = "ZZMARKERZZ"
            try:
                marked = reverse(name, kwargs={**kwargs, key: marker})
            except NoReverseMatch:
                continue  # a closed list (the admin's app labels): junk never matches
            for value_name, value in HOSTILE.items():
                urls.append((f"{name} <{key}>={value_name}", marked.replace(marker, value)))
    return urls


def test_the_walk_knows_the_query_parameters() -> None:
    for expected in ("q", "facture", "page", "store", "till", "date_from", "number", "imprimer"):
        assert expected in QUERY_NAMES


@pytest.mark.parametrize("post", ["node", "hub"])
def test_no_screen_answers_500_to_hostile_parameters(
    objects: dict[str, Any], settings: Any, post: str
) -> None:
    settings.COMPTOIR_ROLE = post
    urls = _hostile_urls(objects, admin=False)
    assert len(urls) > 200
    failures = []
    for who, role in (("gerant", MANAGER), ("caisse", CASHIER)):
        failures += [f"{who}: {f}" for f in _server_errors(_client(who, role), urls)]
    assert not failures, "\n".join(failures)


def test_no_admin_page_answers_500_to_hostile_parameters(objects: dict[str, Any]) -> None:
    urls = _hostile_urls(objects, admin=True)
    assert len(urls) > 100
    failures = _server_errors(_client("admin", None, superuser=True), urls)
    assert not failures, "\n".join(failures)
