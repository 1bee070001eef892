from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from core.api import api_not_found

urlpatterns = [
    path("", core_views.home, name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="prometheus-django-metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("profiles.urls")),
    path("help/chat/", include("chat.customer_urls")),
    path("help/tickets/", include("tickets.customer_urls")),
    path("help/", include("knowledge.urls")),
    path("desk/tickets/", include("tickets.urls")),
    path("desk/customers/", include("profiles.desk_urls")),
    path("desk/quarantine/", include("core.quarantine_urls")),
    path("desk/", include("desk.urls")),
    path("aftersales/", include("aftersales.urls")),
    path("merchant/", include("aftersales.merchant_urls")),
    path("reports/quality/", include("quality.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("service_center.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file; Swagger UI still sets inline styles.
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("admin/", admin.site.urls),
    # Unknown addresses under /api/ (outside /api/v1/ too) answer the API's JSON 404, not the HTML page.
    re_path(r"^api/", api_not_found),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
