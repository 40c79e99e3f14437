"""Fixtures shared by the whole suite: real Mailman through its own test layers.

Tests of the pure libraries (``openpgp/``, ``mime/``) use none of this. A test that
needs Mailman asks for the ``mailman`` fixture (configuration, database, SMTP sink)
or ``mailman_rest`` (also the REST server, a real subprocess).
"""

import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
EXTRA_CFG = ROOT / "tests" / "testing.cfg"
REST_SETUP_TIMEOUT = 120


class _Layers:
    """Mailman's layers, set up at most once per process, torn down at exit."""

    config = False
    smtp = False
    rest = False


def _extra_testing_cfg() -> str:
    """The extra config file for this run: the plugins, plus PostgreSQL when asked."""
    url = os.environ.get("MAILMAN_TEST_DATABASE_URL")
    if not url:
        return str(EXTRA_CFG)
    import tempfile

    handle, path = tempfile.mkstemp(prefix="mailman-test-", suffix=".cfg")
    with os.fdopen(handle, "w") as fp:
        fp.write(EXTRA_CFG.read_text())
        fp.write(
            "\n[database]\nclass: mailman.database.postgresql.PostgreSQLDatabase\n"
            f"url: {url}\n"
        )
    return path


@contextmanager
def _deadline(seconds: int, what: str):
    """Fail instead of hanging: RESTLayer.setUp waits forever when its child dies."""

    def expire(signum, frame):
        raise TimeoutError(f"{what} did not finish within {seconds} s")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def _mailman_session(request):
    os.environ.setdefault("MAILMAN_EXTRA_TESTING_CFG", _extra_testing_cfg())
    from mailman.testing.layers import ConfigLayer, RESTLayer, SMTPLayer

    ConfigLayer.setUp()
    _Layers.config = True
    SMTPLayer.setUp()
    _Layers.smtp = True

    def teardown():
        if _Layers.rest:
            RESTLayer.tearDown()
        SMTPLayer.tearDown()
        ConfigLayer.tearDown()

    request.addfinalizer(teardown)
    return ConfigLayer


@pytest.fixture
def mailman(_mailman_session):
    """Real Mailman for one test: fresh database with the example.com domain."""
    from mailman.testing.layers import ConfigLayer, SMTPLayer

    ConfigLayer.testSetUp()
    try:
        yield SMTPLayer.smtpd
    finally:
        SMTPLayer.testTearDown()
        ConfigLayer.testTearDown()


@pytest.fixture
def mailman_rest(mailman):
    """Also Mailman's REST server, in its own process like in production."""
    from mailman.testing.layers import RESTLayer

    if not _Layers.rest:
        with _deadline(REST_SETUP_TIMEOUT, "Mailman's REST server start"):
            RESTLayer.setUp()
        _Layers.rest = True
    yield mailman
