from django.urls import path

from safercities.surveys import views

app_name = "surveys"

urlpatterns = [
    path("<slug:city>/", views.city_surveys, name="city"),
    path("<slug:city>/<int:pk>/", views.take, name="take"),
    path("<slug:city>/<int:pk>/thanks/", views.thanks, name="thanks"),
    path("<slug:city>/manage/", views.rounds, name="rounds"),
    path("<slug:city>/manage/<int:pk>/", views.results, name="results"),
    path("<slug:city>/manage/<int:pk>/results.csv", views.results_csv, name="results_csv"),
    path("<slug:city>/manage/<int:pk>/compute/", views.compute, name="compute"),
    path("<slug:city>/manage/<int:pk>/open/", views.toggle, name="toggle"),
]
