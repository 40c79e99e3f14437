"""The list owners' PGP tab: make the list a PGP list; its key, settings, members' keys,
and the log of its key events."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from postorius.auth.decorators import list_owner_required
from postorius.models import List

from mailman_pgp_web import pgp_rest
from mailman_pgp_web.forms import PGPListSettingsForm
from mailman_pgp_web.models import WebhookEvent
from mailman_pgp_web.receivers import KEY_EVENTS

EVENT_LOG_LENGTH = 50


@require_http_methods(["GET", "POST"])
@list_owner_required
def owner_page(request: HttpRequest, list_id: str) -> HttpResponse:
    """GET the tab; POST ``make_pgp`` to make the list a PGP list, or the settings form."""
    mlist = List.objects.get_or_404(fqdn_listname=list_id)
    settings = pgp_rest.pgp_list(mlist.list_id)
    if request.method == "POST" and "make_pgp" in request.POST:
        if settings is None:
            pgp_rest.make_pgp_list(mlist.list_id)
            messages.success(request, f"{mlist.fqdn_listname} is now a PGP list.")
        return redirect("mailman_pgp_web:owner", list_id=mlist.list_id)
    context = dict(list=mlist, pgp_list=settings)
    if settings is not None:
        current = pgp_rest.list_settings(settings)
        form = PGPListSettingsForm(current, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            changed = form.changed_values()
            try:
                if changed:
                    pgp_rest.change_settings(mlist.list_id, changed)
            except pgp_rest.PGPRestError as error:
                if error.status != 400:
                    raise
                form.refused(error.description)
            else:
                messages.success(request, "The PGP settings were saved.")
                return redirect("mailman_pgp_web:owner", list_id=mlist.list_id)
        context.update(
            form=form,
            key=pgp_rest.list_key(mlist.list_id),
            member_keys=pgp_rest.member_keys(mlist.list_id),
            events=WebhookEvent.objects.filter(list_id=mlist.list_id, name__in=KEY_EVENTS)
            [:EVENT_LOG_LENGTH],
        )
    return render(request, "mailman_pgp_web/owner.html", context)
