"""The URLs of the tests' site: Postorius, allauth (django-mailman3) and this app."""

from django.urls import include, path

urlpatterns = [
    path("postorius/", include("postorius.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("django_mailman3.urls")),
    path("pgp/", include("mailman_pgp_web.urls")),
    path("", include("mailman_pgp_web.wkd_urls")),
]
