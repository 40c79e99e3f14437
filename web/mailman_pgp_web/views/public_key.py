"""A PGP list's public key, for anyone: a page with its fingerprint, and the key file."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from postorius.models import List

from mailman_pgp_web import pgp_rest
from mailman_pgp_web.pgp_rest import KeyInfo


def _key(list_id: str) -> KeyInfo:
    key = pgp_rest.list_key(list_id)
    if key is None:
        raise Http404(f"{list_id} is not a PGP list.")
    return key


def public_key_page(request: HttpRequest, list_id: str) -> HttpResponse:
    mlist = List.objects.get_or_404(fqdn_listname=list_id)
    return render(request, "mailman_pgp_web/public_key.html",
                  dict(list=mlist, key=_key(mlist.list_id)))


def public_key_file(request: HttpRequest, list_id: str) -> HttpResponse:
    """The key, ASCII-armored, as a file named after the list's posting address."""
    mlist = List.objects.get_or_404(fqdn_listname=list_id)
    key = _key(mlist.list_id)
    response = HttpResponse(key.public_key, content_type="application/pgp-keys")
    response["Content-Disposition"] = f'attachment; filename="{mlist.fqdn_listname}.asc"'
    return response
