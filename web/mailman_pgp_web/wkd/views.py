"""The WKD paths: keys by hashed local part, the policy file, no submission address.

Advanced method: ``/.well-known/openpgpkey/<domain>/hu/<hash>`` (on the host
``openpgpkey.<domain>``); direct method: ``/.well-known/openpgpkey/hu/<hash>`` on the
domain's own host, whose name is then the domain. Keys are answered in binary as
``application/octet-stream``; every answer allows any origin (the draft's CORS advice), and
HEAD works like GET. An unknown address is 404; Mailman's REST unreachable is 503, never
a 404 that a client could take for "no key".
"""

import logging

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from mailman_pgp_web.conf import pgp_web_settings
from mailman_pgp_web.wkd.directory import KeyDirectory, KeySourceError, ListGone
from mailman_pgp_web.wkd.rest_source import RESTKeySource

log = logging.getLogger(__name__)

# The policy file: its presence says this host runs a WKD. It names no flag: keys are the
# lists' own, so there is nothing to submit (no ``submission-address``, no ``auth-submit``).
POLICY = b"# Web Key Directory of the keys of PGP mailing lists; no key submission.\n"
RETRY_AFTER_SECONDS = 60


def directory() -> KeyDirectory:
    """The directory on Django's default cache, kept as long as the app's settings say."""
    return KeyDirectory(RESTKeySource(), cache, pgp_web_settings().cache_seconds)


def _answer(body: bytes, status: int = 200, content_type: str = "text/plain") -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _not_found(what: str) -> HttpResponse:
    return _answer(f"No {what} here.\n".encode(), status=404)


def _unavailable(error: KeySourceError) -> HttpResponse:
    log.warning("WKD: %s", error)
    response = _answer(b"The key directory cannot reach Mailman; try again later.\n", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def request_domain(request: HttpRequest) -> str:
    """The domain the direct method names: the request's host, without port."""
    host = request.get_host().lower()
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


def _key_answer(domain: str, hashed: str) -> HttpResponse:
    keys = directory()
    try:
        list_id = keys.find(domain, hashed)
        if list_id is None:
            return _not_found("key for this address")
        key = keys.key(list_id)
    except ListGone:
        return _not_found("key for this address")
    except KeySourceError as error:
        return _unavailable(error)
    response = _answer(key, content_type="application/octet-stream")
    response["Cache-Control"] = f"public, max-age={keys.timeout}"
    return response


def _policy_answer(domain: str) -> HttpResponse:
    try:
        known = domain in directory().domains()
    except KeySourceError as error:
        return _unavailable(error)
    return _answer(POLICY) if known else _not_found("key directory for this domain")


@require_safe
def advanced_key(request: HttpRequest, domain: str, hashed: str) -> HttpResponse:
    """A list key by the advanced method (the domain in the path)."""
    return _key_answer(domain.lower(), hashed)


@require_safe
def direct_key(request: HttpRequest, hashed: str) -> HttpResponse:
    """A list key by the direct method (the domain is the host)."""
    return _key_answer(request_domain(request), hashed)


@require_safe
def advanced_policy(request: HttpRequest, domain: str) -> HttpResponse:
    """The policy file of a domain by the advanced method."""
    return _policy_answer(domain.lower())


@require_safe
def direct_policy(request: HttpRequest) -> HttpResponse:
    """The policy file by the direct method."""
    return _policy_answer(request_domain(request))


@require_safe
def no_submission_address(request: HttpRequest, domain: str | None = None) -> HttpResponse:
    """No Web Key Service: list keys are the lists' own, nobody submits one."""
    return _not_found("key submission (Web Key Service)")
