"""Workspace pages under /<lang>/workspace/<city>/…"""

from django.urls import path

from safercities.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:city>/", views.dashboard, name="dashboard"),
    path("<slug:city>/imports/", views.import_history, name="import_history"),
    path("<slug:city>/imports/new/", views.import_new, name="import_new"),
    path("<slug:city>/imports/uploads/<int:pk>/", views.upload_detail, name="upload"),
    path("<slug:city>/imports/uploads/<int:pk>/status.json", views.upload_status, name="upload_status"),
    path("<slug:city>/imports/uploads/<int:pk>/confirm/", views.upload_confirm, name="upload_confirm"),
    path("<slug:city>/imports/runs/<int:pk>/", views.import_run_detail, name="import_run"),
    path("<slug:city>/alerts/", views.alert_list, name="alerts"),
    path("<slug:city>/alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("<slug:city>/alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("<slug:city>/alerts/<int:pk>/assign/", views.alert_assign, name="alert_assign"),
    path("<slug:city>/alerts/<int:pk>/comment/", views.alert_comment, name="alert_comment"),
    path("<slug:city>/alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("<slug:city>/index/", views.index_builder, name="index_builder"),
    path("<slug:city>/settings/", views.city_settings, name="settings"),
    path("<slug:city>/members/", views.members, name="members"),
    path("<slug:city>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("<slug:city>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
]
