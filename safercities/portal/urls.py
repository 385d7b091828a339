from django.urls import path

from safercities.portal import downloads, reports, views

app_name = "portal"

urlpatterns = [
    path("network/", views.network, name="network"),
    path("methodology/", views.methodology, name="methodology"),
    path("cities/<slug:slug>/", views.city, name="city"),
    path("cities/<slug:slug>/map.json", views.map_json, name="map_json"),
    path("cities/<slug:slug>/report.pdf", reports.city_report, name="city_report"),
    path("cities/<slug:slug>/download/<slug:dataset_name>.<slug:fmt>", downloads.download, name="download"),
    path("cities/<slug:slug>/areas/<str:code>/", views.area, name="area"),
    path("cities/<slug:slug>/areas/<str:code>/report.pdf", reports.area_report, name="area_report"),
    path("cities/<slug:slug>/indicators/<str:code>/", views.indicator, name="indicator"),
]
