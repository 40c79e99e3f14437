"""The subscribers' page: for each verified address of the logged-in user, their PGP lists
and the lists' keys, their key on file and its state, and a key upload that starts the
proof of possession by email (never a key in force by itself)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.error import HTTPError

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_mailman3.lib.mailman import get_mailman_client

from mailman_pgp_web import pgp_rest
from mailman_pgp_web.forms import KeyUploadForm
from mailman_pgp_web.pgp_rest import KeyInfo


@dataclass
class AddressKeys:
    """What the page shows of one verified address."""

    email: str
    key: KeyInfo | None
    lists: list[tuple[str, KeyInfo]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)

    @property
    def list_ids(self) -> list[str]:
        """The PGP lists a key can be sent through: those it is on, those it asks to join."""
        ids = {list_id for list_id, _ in self.lists}
        ids.update(each["list_id"] for each in self.waiting if each["waiting_for"] == "key")
        return sorted(ids)


def _address_keys(email: str) -> AddressKeys:
    found = AddressKeys(email=email, key=pgp_rest.address_key(email),
                        waiting=pgp_rest.waiting_keys(email))
    seen = set()
    for mlist in _lists_of(email):
        if mlist.list_id in seen:
            continue
        seen.add(mlist.list_id)
        key = pgp_rest.list_key(mlist.list_id)
        if key is not None:
            found.lists.append((mlist.list_id, key))
    found.lists.sort()
    return found


def _lists_of(email: str) -> list[Any]:
    """The Mailman lists that have ``email`` on a roster (Mailman answers 404 for none)."""
    try:
        lists: list[Any] = get_mailman_client().find_lists(email)
    except HTTPError as error:
        if error.code == 404:
            return []
        raise
    return lists


@require_http_methods(["GET", "POST"])
@login_required
def subscriber_page(request: HttpRequest) -> HttpResponse:
    """GET the user's addresses; POST a key (``email``, ``list_id``, the key) to prove."""
    emails = sorted(EmailAddress.objects.filter(user=request.user, verified=True)
                    .values_list("email", flat=True))
    addresses = [_address_keys(email) for email in emails]
    forms = {each.email: KeyUploadForm(each.list_ids, prefix=each.email)
             for each in addresses}
    if request.method == "POST":
        email = request.POST.get("email", "")
        address = next((each for each in addresses if each.email == email), None)
        if address is None:
            messages.error(request, "Upload a key for one of your verified addresses.")
            return redirect("mailman_pgp_web:subscriber")
        form = KeyUploadForm(address.list_ids, request.POST, request.FILES, prefix=email)
        forms[email] = form
        if form.is_valid():
            try:
                waiting = pgp_rest.prove_key(email, form.cleaned_data["list_id"],
                                             form.cleaned_data["public_key"])
            except pgp_rest.PGPRestError as error:
                if error.status not in (400, 404, 409):
                    raise
                form.add_error("public_key", error.description)
            else:
                messages.success(
                    request,
                    f"The list sent a message encrypted to the key {waiting['fingerprint']}"
                    f" to {email}: answer it signed with that key to prove that you hold"
                    " it.")
                return redirect("mailman_pgp_web:subscriber")
    return render(request, "mailman_pgp_web/subscriber.html",
                  dict(addresses=[(each, forms[each.email]) for each in addresses]))
