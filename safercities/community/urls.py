"""Working groups, appraisals and the accountability chain, under ``/<lang>/community/``."""

from django.urls import path

from safercities.community import views

app_name = "community"

urlpatterns = [
    # Public pages
    path("<slug:city>/", views.city, name="city"),
    path("<slug:city>/groups/<int:pk>/", views.group, name="group"),
    path("<slug:city>/appraisals/<int:pk>/", views.appraisal, name="appraisal"),
    path("<slug:city>/appraisals/<int:pk>/photos/<int:photo>.jpg", views.photo, name="photo"),
    path("<slug:city>/actions/", views.dashboard, name="dashboard"),
    path("<slug:city>/actions/<int:pk>/", views.action, name="action"),
    path("<slug:city>/actions/<int:pk>/follow/", views.follow, name="follow"),
    path("<slug:city>/follow/<str:token>/", views.follow_confirm, name="follow_confirm"),
    path("<slug:city>/unfollow/<str:token>/", views.unfollow, name="unfollow"),
    # Recording appraisals (group members, community monitors, staff)
    path("<slug:city>/groups/<int:pk>/appraisals/new/", views.appraisal_new, name="appraisal_new"),
    path("<slug:city>/appraisals/<int:pk>/edit/", views.appraisal_edit, name="appraisal_edit"),
    path("<slug:city>/appraisals/<int:pk>/locations/", views.location_add, name="location_add"),
    path("<slug:city>/appraisals/<int:pk>/points/", views.point_add, name="point_add"),
    path("<slug:city>/appraisals/<int:pk>/findings/", views.finding_add, name="finding_add"),
    path("<slug:city>/appraisals/<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("<slug:city>/appraisals/<int:pk>/finalise/", views.appraisal_finalise, name="appraisal_finalise"),
    # Management (analysts and above)
    path("<slug:city>/manage/", views.manage, name="manage"),
    path("<slug:city>/manage/groups/new/", views.group_new, name="group_new"),
    path("<slug:city>/manage/groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("<slug:city>/manage/groups/<int:pk>/members/", views.member_add, name="member_add"),
    path("<slug:city>/manage/groups/<int:pk>/members/<int:member>/remove/", views.member_remove, name="member_remove"),
    path("<slug:city>/manage/groups/<int:pk>/meetings/", views.meeting_new, name="meeting_new"),
    path("<slug:city>/manage/recommendations/new/", views.recommendation_new, name="recommendation_new"),
    path("<slug:city>/manage/actions/new/", views.action_new, name="action_new"),
    path("<slug:city>/manage/actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("<slug:city>/manage/actions/<int:pk>/updates/", views.action_update, name="action_update"),
]
