"""The moderators' page of a PGP list: the requests to join waiting for a moderator, each
with the key the subscriber proved; approve, reject or discard through Mailman's REST."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from postorius.auth.decorators import list_moderator_required
from postorius.models import List

from mailman_pgp_web import pgp_rest

ACTIONS = {"accept": "approved", "reject": "rejected", "discard": "discarded"}


@require_http_methods(["GET", "POST"])
@list_moderator_required
def moderator_page(request: HttpRequest, list_id: str) -> HttpResponse:
    """GET the waiting requests; POST ``token`` and ``action`` (accept, reject, discard)."""
    mlist = List.objects.get_or_404(fqdn_listname=list_id)
    if pgp_rest.pgp_list(mlist.list_id) is None:
        raise Http404(f"{mlist.list_id} is not a PGP list.")
    if request.method == "POST":
        action = request.POST.get("action", "")
        token = request.POST.get("token", "")
        if action not in ACTIONS or not token:
            messages.error(request, "Choose accept, reject or discard for a request.")
        else:
            mlist.moderate_request(token, action, request.POST.get("reason") or None)
            messages.success(request, f"The request was {ACTIONS[action]}.")
        return redirect("mailman_pgp_web:moderator", list_id=mlist.list_id)
    pending = [dict(request, key=pgp_rest.address_key(request["email"]))
               for request in mlist.get_requests(token_owner="moderator")]
    return render(request, "mailman_pgp_web/moderator.html",
                  dict(list=mlist, requests=pending))
