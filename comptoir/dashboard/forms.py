"""The dashboard's store and till filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.core.models import Store, Till


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
