from django.urls import path

from safercities.crises import views

app_name = "crises"

urlpatterns: list = [
    path("<slug:city>/", views.crisis_list, name="list"),
    path("<slug:city>/new/", views.crisis_new, name="new"),
    path("<slug:city>/from-alert/<int:alert_id>/", views.from_alert, name="from_alert"),
    path("<slug:city>/<int:pk>/", views.crisis_detail, name="detail"),
    path("<slug:city>/<int:pk>/edit/", views.crisis_edit, name="edit"),
    path("<slug:city>/<int:pk>/phase/", views.crisis_phase, name="phase"),
    path("<slug:city>/<int:pk>/end/", views.crisis_end, name="end"),
    path("<slug:city>/<int:pk>/publish/", views.crisis_publish, name="publish"),
    path("<slug:city>/<int:pk>/checklist/", views.checklist, name="checklist"),
    path("<slug:city>/<int:pk>/4w/", views.fourw_page, name="fourw"),
    path("<slug:city>/<int:pk>/4w/new/", views.activity_new, name="activity_new"),
    path("<slug:city>/<int:pk>/4w/<int:aid>/delete/", views.activity_delete, name="activity_delete"),
    path("<slug:city>/<int:pk>/4w/export.<str:fmt>", views.fourw_export, name="fourw_export"),
    path("<slug:city>/<int:pk>/allocation/", views.allocation, name="allocation"),
    path("<slug:city>/<int:pk>/allocation/<int:sid>/delete/", views.scenario_delete, name="scenario_delete"),
    path("<slug:city>/<int:pk>/allocation/<int:sid>/export.<str:fmt>", views.scenario_export, name="scenario_export"),
    path("<slug:city>/<int:pk>/recovery/", views.recovery_page, name="recovery"),
    path("<slug:city>/<int:pk>/sitrep/", views.sitrep, name="sitrep"),
    path("<slug:city>/<int:pk>/sitrep.pdf", views.sitrep_pdf, name="sitrep_pdf"),
    path("<slug:city>/<int:pk>/public/", views.public_crisis, name="public"),
]
