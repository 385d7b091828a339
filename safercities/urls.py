"""URL configuration: health check, admin, and the language-prefixed pages."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from safercities.accounts import views as account_views
from safercities.places import views as place_views
from safercities.portal import views as portal_views

# A failure outside the views (e.g. the session store) is a 503 too when the database is down.
handler500 = "safercities.audit.availability.server_error"

urlpatterns = [
    path("health", place_views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The JSON API is not language-prefixed: scripts need one stable address (docs/api.md).
    path("api/v1/", include("safercities.api.urls")),
    # Open311 GeoReport v2: a fixed address that existing clients are configured with (INTERFACES.md).
    path("open311/v2/", include("safercities.open311.urls")),
]
urlpatterns += i18n_patterns(
    # Before the admin: its own sign-in page would skip throttling and the second factor.
    path("admin/login/", account_views.admin_login, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("accounts/", include("safercities.accounts.urls")),
    path("audit/", include("safercities.audit.urls")),
    path("workspace/", include("safercities.workspace.urls")),
    path("reports/", include("safercities.reports.urls")),
    path("surveys/", include("safercities.surveys.urls")),
    path("community/", include("safercities.community.urls")),
    path("practices/", include("safercities.practices.urls")),
    path("learn/", include("safercities.learning.urls")),
    path("crises/", include("safercities.crises.urls")),
    path("", portal_views.home, name="home"),
    path("", include("safercities.portal.urls")),
    prefix_default_language=True,
)
