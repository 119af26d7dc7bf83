"""The dashboard's store and till filter."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast
from uuid import UUID

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from comptoir.stores.models import Store, Till

#: With no store chosen, the till menu lists every till up to this many; a chain's
#: thousands of tills are offered once a store is chosen.
TILL_MENU_LIMIT = 50


def till_menu(tills: QuerySet[Till]) -> list[Till] | None:
    """``tills`` for a menu, or None past :data:`TILL_MENU_LIMIT` (the page then asks
    for a series in a text field): one query, however many tills the chain has."""
    menu = list(tills[: TILL_MENU_LIMIT + 1])
    return menu if len(menu) <= TILL_MENU_LIMIT else None


class ScopeForm(forms.Form):
    store = forms.ModelChoiceField(
        queryset=Store.objects.filter(archived=False).order_by("name"),
        required=False,
        empty_label=_("Tous les magasins"),
        label=_("Magasin"),
    )
    till = forms.ModelChoiceField(
        queryset=Till.objects.filter(archived=False).select_related("store"),
        required=False,
        empty_label=_("Toutes les caisses"),
        label=_("Caisse"),
    )

    till_hint: Any = ""

    def __init__(
        self, *args: Any, store_ids: Collection[UUID] | None = None, **kwargs: Any
    ) -> None:
        """``store_ids``: the stores (and their tills) that may be chosen; None: every
        one. With a list, « every store » is not offered: one of them must be chosen."""
        super().__init__(*args, **kwargs)
        if store_ids is not None:
            for name, path in (("store", "pk"), ("till", "store_id")):
                field = cast(forms.ModelChoiceField, self.fields[name])
                field.queryset = field.queryset.filter(  # type: ignore[union-attr]
                    **{f"{path}__in": store_ids}
                )
            store = cast(forms.ModelChoiceField, self.fields["store"])
            store.required = True
            store.empty_label = None

    def till_menu_for(self, store: Store | None) -> None:
        """After validation: the till menu lists ``store``'s tills, or with no store every
        till when there are at most :data:`TILL_MENU_LIMIT` (otherwise none: the page
        asks for a store first). Two queries, however many tills there are."""
        field = cast(forms.ModelChoiceField, self.fields["till"])
        tills = cast(Any, field.queryset).order_by("store__name", "prefix")
        if store is not None:
            field.queryset = tills.filter(store_id=store.pk)
        elif tills[: TILL_MENU_LIMIT + 1].count() > TILL_MENU_LIMIT:
            field.queryset = tills.none()
            self.till_hint = _("Choisissez d’abord un magasin pour filtrer par caisse.")
        else:
            field.queryset = tills

    def store_menu(self) -> list[tuple[str, str, bool]]:
        """The store menu's options as ``(value, name, selected)``, from one query of
        values: Django's widget renders a template per option, a quarter of a second
        for a chain's 2,000 stores; the page loops over these instead."""
        field = cast(forms.ModelChoiceField, self.fields["store"])
        chosen = str(self["store"].value() or "")
        options = [("", str(field.empty_label), not chosen)] if field.empty_label else []
        qs = cast(Any, field.queryset).values_list("pk", "name")
        return options + [(str(pk), name, str(pk) == chosen) for pk, name in qs]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        store, till = data.get("store"), data.get("till")
        if till is not None and store is not None and till.store_id != store.pk:
            raise forms.ValidationError(
                _("La caisse %(till)s n'est pas dans le magasin %(store)s."),
                params={"till": till, "store": store},
            )
        if till is not None and store is None:
            data["store"] = till.store
        return data
