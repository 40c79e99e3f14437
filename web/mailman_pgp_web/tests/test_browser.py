"""End-to-end in a real browser (Debian's chromium through Selenium), against the live
Django server talking to the suite's real Mailman REST: what owners, moderators and
subscribers click, what they read, and the screenshots of docs/web.md."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from django.conf import settings
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from standardwebhooks.webhooks import Webhook

from mailman_pgp_web.tests.conftest import make_user
from mailman_pgp_web.tests.helpers import make_pgp_list, plugin, set_confirmed_key
from mailman_pgp_web.wkd.hashing import WKDAddress

pytestmark = [pytest.mark.browser, pytest.mark.mailman, pytest.mark.django_db(transaction=True)]

# docs/screenshots is rewritten only on request (`make screenshots`), so that a test run
# leaves the checkout as it was.
SCREENSHOTS = Path(os.environ.get("MAILMAN_PGP_SCREENSHOTS")
                   or Path(tempfile.gettempdir()) / "mailman-pgp-screenshots")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")
WAIT_SECONDS = 20


def _program(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"{' or '.join(names)} missing: run scripts/system-deps "
                "(apt-get install chromium chromium-driver)")


@pytest.fixture(scope="session")
def browser(_mailman_session):
    """One headless chromium for the whole session, with its own empty profile.

    It asks for Mailman's session so that it ends first: Mailman's test master ends its
    REST runner with ``os.wait()``, which waits for any child, chromedriver included.
    """
    # Selenium Manager must never fetch a driver or browser: both paths are given.
    previous = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"
    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = _program("chromium", "chromium-browser")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=_program("chromedriver")),
                              options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        if previous is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = previous


@pytest.fixture
def site(browser, live_server, mailman_client, settings):
    """The live server for this test, its hosts allowed, the browser logged out."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    browser.delete_all_cookies()
    yield live_server
    browser.delete_all_cookies()


def log_in(browser, site, email: str) -> None:
    """Log in through allauth's form, as a person does (make_user's password is "pw")."""
    browser.get(f"{site.url}/accounts/login/")
    browser.find_element(By.NAME, "login").send_keys(email.split("@")[0])
    password = browser.find_element(By.NAME, "password")
    password.send_keys("pw")
    password.submit()
    wait_until(browser, lambda driver: "/accounts/login/" not in driver.current_url)


def text_of(browser, selector: str) -> str:
    return wait_until(browser, lambda driver: (
        driver.find_element(By.CSS_SELECTOR, selector).text,))[0]


def wait_until(browser, condition):
    """``condition(browser)`` once it is true; an element found before the page changed
    under it (stale) or not there yet counts as not yet."""
    return WebDriverWait(
        browser, WAIT_SECONDS,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    ).until(condition)


def screenshot(browser, name: str) -> None:
    """``SCREENSHOTS/<name>.png``, the whole page tall."""
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, max(700, min(int(height) + 40, 3000)))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    browser.set_window_size(1280, 1000)


def test_owner_makes_the_list_a_pgp_list_and_sees_its_key(browser, site, crypto_list):
    crypto_list.add_owner("anne@example.com")
    make_user("anne@example.com")
    log_in(browser, site, "anne@example.com")
    browser.get(f"{site.url}/pgp/lists/crypto.example.com/")
    browser.find_element(By.NAME, "make_pgp").click()

    # The click returns before the form's answer has come: wait for the key on the page.
    shown = text_of(browser, ".pgp-fingerprint")
    key = plugin("GET", "lists/crypto.example.com/key").json()
    assert shown == key["fingerprint"]
    screenshot(browser, "owner")
    browser.get(f"{site.url}/pgp/lists/crypto.example.com/key/")
    assert key["fingerprint"] in text_of(browser, "body")
    screenshot(browser, "public-key")


def test_moderator_approves_a_pending_subscription_after_seeing_the_key(
        browser, site, crypto_list, mailman_client, gpg_keys):
    make_pgp_list("crypto.example.com")
    crypto_list.settings["subscription_policy"] = "moderate"
    crypto_list.settings.save()
    crypto_list.add_moderator("mo@example.com")
    set_confirmed_key("bart@example.com", gpg_keys.bart)
    crypto_list.subscribe("bart@example.com", pre_verified=True, pre_confirmed=True)
    make_user("mo@example.com")
    log_in(browser, site, "mo@example.com")
    browser.get(f"{site.url}/pgp/lists/crypto.example.com/moderation/")

    page = text_of(browser, "body")
    assert "bart@example.com" in page and gpg_keys.bart_fingerprint in page
    screenshot(browser, "moderator")
    browser.find_element(By.CSS_SELECTOR, "button[name=action][value=accept]").click()
    wait_until(browser, lambda driver: gpg_keys.bart_fingerprint not in driver.find_element(
        By.TAG_NAME, "body").text)
    member = mailman_client.get_list("crypto.example.com").get_member("bart@example.com")
    assert member.role == "member"


def test_subscriber_uploads_a_key_and_sees_it_waiting_for_confirmation(
        browser, site, crypto_list, gpg_keys):
    make_pgp_list("crypto.example.com")
    crypto_list.subscribe("cris@example.com")
    make_user("cris@example.com")
    log_in(browser, site, "cris@example.com")
    browser.get(f"{site.url}/pgp/keys/")
    assert "waits for your key" in text_of(browser, ".pgp-address")

    browser.find_element(By.NAME, "cris@example.com-public_key").send_keys(gpg_keys.cris)
    browser.find_element(By.CSS_SELECTOR, ".pgp-address button[type=submit]").click()
    state = wait_until(
        browser, lambda driver: "waiting for confirmation" in driver.find_element(
            By.CSS_SELECTOR, ".pgp-address").text
        and driver.find_element(By.CSS_SELECTOR, ".pgp-address").text)
    assert gpg_keys.cris_fingerprint in state
    stored = plugin("GET", "addresses/cris@example.com/key").json()
    assert (stored["fingerprint"], stored["confirmed"]) == (gpg_keys.cris_fingerprint, False)
    screenshot(browser, "subscriber")


def post_webhook(site, body: dict, secret: str) -> requests.Response:
    """POST ``body`` to the live receiver as the webhooks plugin does, signed with ``secret``."""
    data = json.dumps(body, separators=(",", ":"))
    now = datetime.now(UTC)
    return requests.post(
        f"{site.url}/pgp/webhooks/?key={settings.MAILMAN_PGP_WEB['webhook_api_key']}",
        data=data, timeout=30,
        headers={"Content-Type": "application/json", "webhook-id": body["id"],
                 "webhook-timestamp": str(int(now.timestamp())),
                 "webhook-signature": Webhook(secret).sign(body["id"], now, data)})


def test_bad_webhook_refused_good_one_in_the_owners_event_log(browser, site, crypto_list):
    make_pgp_list("crypto.example.com")
    crypto_list.add_owner("anne@example.com")
    make_user("anne@example.com")

    def key_set(fingerprint: str) -> dict:
        return {"id": str(uuid.uuid4()), "name": "KeySetEvent",
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "sequence": 1,
                "event": {"mlist": "crypto.example.com", "email": "bart@example.com",
                          "fingerprint": fingerprint}}

    forged, genuine = "F" * 40, "0123456789ABCDEF" * 2 + "01234567"
    other_secret = "whsec_" + "bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCwgMzIgYnl0ZXM="
    refused = post_webhook(site, key_set(forged), other_secret)
    assert refused.status_code in (400, 401, 403), refused.text
    assert "description" in refused.json()
    accepted = post_webhook(site, key_set(genuine), settings.MAILMAN_PGP_WEB["webhook_secret"])
    assert accepted.status_code == 200, accepted.text

    log_in(browser, site, "anne@example.com")
    browser.get(f"{site.url}/pgp/lists/crypto.example.com/")
    events = text_of(browser, "table.key-events")
    assert "KeySetEvent" in events and genuine in events
    assert forged not in events
    screenshot(browser, "event-log")


def test_wkd_key_readable_by_a_page_of_another_origin(browser, site, crypto_list):
    # The draft's CORS header at work: a page of localhost reads the key from 127.0.0.1.
    make_pgp_list("crypto.example.com")
    key = plugin("GET", "lists/crypto.example.com/key").json()
    address = WKDAddress.parse("crypto@example.com")
    other_origin = site.url.replace("localhost", "127.0.0.1")
    url = f"{other_origin}/.well-known/openpgpkey/example.com/hu/{address.hash}?l=crypto"
    browser.get(f"{site.url}/postorius/lists/")
    answer = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async r => done([r.status, r.headers.get("content-type"),
              Array.from(new Uint8Array(await r.arrayBuffer()))]))
          .catch(e => done(["failed", String(e), []]));""", url)
    status, content_type, body = answer
    assert (status, content_type) == (200, "application/octet-stream"), answer[:2]
    from mailman_pgp.testing.gnupg import GnuPGClient

    gpg = GnuPGClient()
    try:
        assert gpg.fingerprints(bytes(body)) == [key["fingerprint"]]
    finally:
        gpg.close()
