from django.urls import path

from safercities.audit import views

app_name = "audit"
urlpatterns = [
    path("<slug:city>/", views.event_list, name="events"),
    path("<slug:city>/events.csv", views.event_export, name="export"),
]
