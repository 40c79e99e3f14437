"""Fixtures shared by the whole suite: real Mailman through its own test layers.

Tests of the pure libraries (``openpgp/``, ``mime/``) use none of this. A test that
needs Mailman asks for the ``mailman`` fixture (configuration, database, SMTP sink)
or ``mailman_rest`` (also the REST server, a real subprocess).
"""

import os
import signal
import socket
import tempfile
import threading
from contextlib import contextmanager, suppress
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Ports of this run, free ones rather than Mailman's fixed testing ports, so that
# several test runs on one machine do not answer each other's connections.
PORTS_CFG = f"""
[mta]
smtp_port: {_free_port()}
lmtp_port: {_free_port()}
[webservice]
port: {_free_port()}
"""


def _extra_testing_cfg() -> str:
    """The extra config file for this run: plugins, ports, PostgreSQL when asked.

    Mailman's runner and REST subprocesses push this file last, so it wins there;
    in this process Mailman's testing.cfg is pushed after it, hence the second push
    of the ports in ``_mailman_session``.
    """
    text = EXTRA_CFG.read_text() + PORTS_CFG
    url = os.environ.get("MAILMAN_TEST_DATABASE_URL")
    if url:
        text += (
            "\n[database]\nclass: mailman.database.postgresql.PostgreSQLDatabase\n"
            f"url: {url}\n"
        )
    handle, path = tempfile.mkstemp(prefix="mailman-test-", suffix=".cfg")
    with os.fdopen(handle, "w") as fp:
        fp.write(text)
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
    os.environ["MAILMAN_EXTRA_TESTING_CFG"] = _extra_testing_cfg()
    from mailman.config import config
    from mailman.testing.layers import ConfigLayer, RESTLayer, SMTPLayer

    ConfigLayer.setUp()
    config.push("test ports", PORTS_CFG)
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


@pytest.fixture(scope="session")
def mailman_rest_server(_mailman_session):
    """Mailman's REST server, in its own process like in production, started once per run.

    For a module that keeps one database for all its tests; ``mailman_rest`` gives each
    test a fresh one.
    """
    from mailman.testing.layers import RESTLayer

    if not _Layers.rest:
        with _deadline(REST_SETUP_TIMEOUT, "Mailman's REST server start"):
            _start_rest_layer(RESTLayer)
        _Layers.rest = True
    return RESTLayer


@pytest.fixture
def mailman_rest(mailman_rest_server, mailman):
    """Real Mailman for one test (``mailman``), and its REST server."""
    yield mailman


def _start_rest_layer(layer) -> None:
    """``RESTLayer.setUp()``, with a master thread that reaps only its own REST runner.

    Mailman's TestableMaster calls ``os.wait()`` in a thread of this process, which
    reaps *every* child of the test process: a sqop or gpg run by a later test then
    loses its exit status and ``subprocess`` reports 0, so failures look like success.
    """
    from mailman.testing.helpers import TestableMaster, wait_for_webservice

    class OwnChildrenMaster(TestableMaster):
        def loop(self):
            while any(_not_started(pid) for pid in self._kids):
                pass
            self._started_kids = set(self._kids)
            self.start_check()
            self.event.set()
            for pid in self._started_kids:
                with suppress(ChildProcessError):
                    os.waitpid(pid, 0)

    assert layer.server is None, "Layer already set up"
    layer.server = OwnChildrenMaster(wait_for_webservice)
    layer.server.start("rest")


def _not_started(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def rest_url(mailman_rest):
    """Absolute URL of a REST path of this run's server: ``rest_url("3.1/lists")``."""
    from mailman.config import config

    def url(path: str) -> str:
        return f"http://localhost:{config.webservice.port}/{path.lstrip('/')}"

    return url
