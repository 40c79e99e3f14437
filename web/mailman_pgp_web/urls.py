"""URLs of the app; a site includes them, e.g. ``path("pgp/", include("mailman_pgp_web.urls"))``.

The Web Key Directory lives at the site's root (``/.well-known/openpgpkey/``), so a site
includes `mailman_pgp_web.wkd_urls` separately, at ``""`` (see docs/web.md).
"""

from django.urls import path

from mailman_pgp_web.views.moderator import moderator_page
from mailman_pgp_web.views.owner import owner_page
from mailman_pgp_web.views.public_key import public_key_file, public_key_page
from mailman_pgp_web.views.subscriber import subscriber_page
from mailman_pgp_web.views.webhooks import receive_webhook

app_name = "mailman_pgp_web"

urlpatterns = [
    path("lists/<str:list_id>/", owner_page, name="owner"),
    path("lists/<str:list_id>/moderation/", moderator_page, name="moderator"),
    path("lists/<str:list_id>/key/", public_key_page, name="public_key"),
    path("lists/<str:list_id>/key.asc", public_key_file, name="public_key_file"),
    path("keys/", subscriber_page, name="subscriber"),
    path("webhooks/", receive_webhook, name="webhooks"),
]
