"""URLs of the demo site: the Web Key Directory at the root, Postorius, this app, accounts."""

from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("mailman_pgp_web.wkd_urls")),
    path("", RedirectView.as_view(url=reverse_lazy("list_index"))),
    path("postorius/", include("postorius.urls")),
    path("pgp/", include("mailman_pgp_web.urls")),
    path("", include("django_mailman3.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
