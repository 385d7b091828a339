from django.urls import path

from safercities.practices import views

app_name = "practices"

urlpatterns = [
    path("", views.library, name="library"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("cities/<slug:slug>/", views.city_library, name="city"),
    path("manage/<slug:city>/", views.manage, name="manage"),
    path("manage/<slug:city>/new/", views.new, name="new"),
    path("manage/<slug:city>/<int:pk>/edit/", views.edit, name="edit"),
    path("manage/<slug:city>/<int:pk>/status/", views.publish, name="publish"),
    path("manage/<slug:city>/comments/<int:pk>/", views.moderate, name="moderate"),
]
