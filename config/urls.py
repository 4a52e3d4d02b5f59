from django.urls import include, path

from core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("regions/", include("regions.urls")),
    path("todo/", include("worklist.urls")),
    path("children/", include("registry.urls")),
    path("census/", include("census.urls")),
    path("exchange/", include("exchange.urls")),
    path("", include("accounts.urls")),
]

handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
