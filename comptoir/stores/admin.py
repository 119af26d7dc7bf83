"""Admin of stores and tills (reference data) and of the numbering counters (read-only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from comptoir.lib.adminlib import ReadOnlyAdmin, ReferenceAdmin
from comptoir.stores.models import SeriesCounter, Store, Till

admin.site.site_header = _("comptoir — administration")
admin.site.site_title = _("comptoir")
admin.site.index_title = _("Gestion du magasin")


class HubOwnedAdmin(ReferenceAdmin):
    """Stores and tills are edited on the hub only (it refuses a till's edits of them):
    on a till they are shown read-only instead of letting an edit be rejected later."""

    def _on_node(self) -> bool:
        return bool(settings.COMPTOIR_ROLE == "node")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not self._on_node() and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._on_node() and super().has_change_permission(request, obj)


@admin.register(Store)
class StoreAdmin(HubOwnedAdmin):
    list_display = ("name", "currency", "siret", "vat_number", "archived")
    list_filter = ("archived", "currency")
    search_fields = ("name", "siret", "vat_number")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Amounts are stored in the currency's minor units: changing it would rescale them.
        return ("currency",) if obj else ()


@admin.register(Till)
class TillAdmin(HubOwnedAdmin):
    list_display = ("name", "prefix", "store", "node_id", "archived")
    list_filter = ("archived", "store")
    search_fields = ("name", "prefix", "node_id")
    list_select_related = ("store",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The prefix starts every number of the till's series; the post owns the series.
        return ("prefix", "node_id") if obj else ()


@admin.register(SeriesCounter)
class SeriesCounterAdmin(ReadOnlyAdmin):
    list_display = ("till", "kind", "year", "last_number")
    list_filter = ("kind", "year")
    list_select_related = ("till",)
