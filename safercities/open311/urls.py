from django.urls import re_path

from safercities.open311 import views

app_name = "open311"

# Mounted at /open311/v2/ (not language-prefixed). The format is the file extension: .json or .xml.
urlpatterns = [
    re_path(r"^services\.(?P<fmt>\w{1,10})$", views.services, name="services"),
    re_path(r"^services/(?P<code>[^/]{1,64})\.(?P<fmt>json|xml)$", views.service_definition, name="service_definition"),
    re_path(r"^requests\.(?P<fmt>\w{1,10})$", views.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]{1,32})\.(?P<fmt>json|xml)$", views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]{1,100})\.(?P<fmt>json|xml)$", views.token_detail, name="token"),
]
