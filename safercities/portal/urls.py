from django.urls import path

from safercities.portal import views

app_name = "portal"

urlpatterns = [
    path("network/", views.network, name="network"),
    path("methodology/", views.methodology, name="methodology"),
    path("cities/<slug:slug>/", views.city, name="city"),
    path("cities/<slug:slug>/map.json", views.map_json, name="map_json"),
    path("cities/<slug:slug>/areas/<str:code>/", views.area, name="area"),
    path("cities/<slug:slug>/indicators/<str:code>/", views.indicator, name="indicator"),
]
