from django.urls import path

from safercities.learning import views

app_name = "learning"

urlpatterns = [
    path("", views.home, name="home"),
    path("human-security/", views.human_security, name="human_security"),
    path("indicators/", views.indicators, name="indicators"),
    path("indicators/<slug:slug>/", views.city_indicators, name="city_indicators"),
    path("methods/", views.methods, name="methods"),
    path("safety-audit/", views.audit_walk, name="audit_walk"),
    path("walkthrough/", views.walkthrough, name="walkthrough"),
    path("walkthrough/<slug:slug>/", views.walkthrough, name="city_walkthrough"),
]
