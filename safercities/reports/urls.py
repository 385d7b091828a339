from django.urls import path

from safercities.reports import views

app_name = "reports"

urlpatterns = [
    path("track/<str:token>/", views.track, name="track"),
    path("<slug:city>/", views.report_list, name="list"),
    path("<slug:city>/new/", views.new, name="new"),
    path("<slug:city>/accountability/", views.accountability, name="accountability"),
    # Staff (analyst and up); city admins alone designate sensitive access and handle personal data.
    path("<slug:city>/queue/", views.queue, name="queue"),
    path("<slug:city>/queue/comments/", views.comments, name="comments"),
    path("<slug:city>/queue/comments/<int:pk>/", views.comment_moderate, name="comment_moderate"),
    path("<slug:city>/queue/sensitive-access/", views.sensitive_access, name="sensitive_access"),
    path("<slug:city>/queue/sensitive-access/<int:pk>/revoke/", views.sensitive_revoke, name="sensitive_revoke"),
    path("<slug:city>/queue/person/", views.person, name="person"),
    path("<slug:city>/queue/<int:pk>/", views.manage, name="manage"),
    path("<slug:city>/queue/<int:pk>/publish/", views.publish, name="publish"),
    path("<slug:city>/queue/<int:pk>/moderate/", views.moderate, name="moderate"),
    path("<slug:city>/queue/<int:pk>/assign/", views.assign, name="assign"),
    path("<slug:city>/queue/<int:pk>/update/", views.update, name="update"),
    path("<slug:city>/queue/<int:pk>/merge/", views.merge, name="merge"),
    path("<slug:city>/queue/<int:pk>/photo/", views.photo, name="photo"),
    # Public pages of one report (after the fixed words above, so "new" is never a reference).
    path("<slug:city>/<str:reference>/", views.detail, name="detail"),
    path("<slug:city>/<str:reference>/support/", views.support, name="support"),
    path("<slug:city>/<str:reference>/comment/", views.comment, name="comment"),
]
