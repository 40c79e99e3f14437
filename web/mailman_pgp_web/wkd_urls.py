"""URLs of the Web Key Directory, included by a site at its root (they start with
.well-known/openpgpkey/); the views are in mailman_pgp_web.wkd.views."""

from django.urls import URLPattern, path, re_path

from mailman_pgp_web.wkd import views

# 32 z-base-32 characters: what a SHA-1 encodes to.
HASH = r"(?P<hashed>[ybndrfg8ejkmcpqxot1uwisza345h769]{32})"
DOMAIN = r"(?P<domain>[A-Za-z0-9.-]+)"
ROOT = r"^\.well-known/openpgpkey/"

urlpatterns: list[URLPattern] = [
    re_path(ROOT + r"hu/" + HASH + r"$", views.direct_key, name="wkd-direct-key"),
    path(".well-known/openpgpkey/policy", views.direct_policy, name="wkd-direct-policy"),
    path(".well-known/openpgpkey/submission-address", views.no_submission_address,
         name="wkd-direct-submission-address"),
    re_path(ROOT + DOMAIN + r"/hu/" + HASH + r"$", views.advanced_key, name="wkd-advanced-key"),
    re_path(ROOT + DOMAIN + r"/policy$", views.advanced_policy, name="wkd-advanced-policy"),
    re_path(ROOT + DOMAIN + r"/submission-address$", views.no_submission_address,
            name="wkd-advanced-submission-address"),
]
