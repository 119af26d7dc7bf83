from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("comptoir.web.urls")),
    path("caisse/", include(("comptoir.pos.urls", "pos"))),
    path("gestion/", include(("comptoir.backoffice.urls", "backoffice"))),
    path("tableau-de-bord/", include(("comptoir.dashboard.urls", "dashboard"))),
    path("synchro/", include(("comptoir.dashboard.sync_urls", "sync"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/sync/v1/", include("comptoir.syncengine.urls")),
]

# French (or English) error pages in the app's layout; 403 and 500 are Django's own views
# with this app's templates.
handler400 = "comptoir.web.error_pages.bad_request"
handler404 = "comptoir.web.error_pages.page_not_found"
