"""URL configuration: health check, admin, and the language-prefixed pages."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from safercities.places import views as place_views

urlpatterns = [
    path("health", place_views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", place_views.home, name="home"),
    prefix_default_language=True,
)
