# Test that no Mailman template can read, mail or cache the list-key passphrase.

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.error import HTTPError, URLError

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.cache import ICacheManager
from mailman.interfaces.mailinglist import IMailingList
from mailman.interfaces.template import ITemplateLoader, ITemplateManager
from mailman.interfaces.usermanager import IUserManager
from mailman.runners.outgoing import OutgoingRunner
from mailman.runners.virgin import VirginRunner
from mailman.testing.helpers import call_api, make_testable_runner
from mailman.utilities import protocols
from zope.component import getGlobalSiteManager, getUtility
from zope.interface.verify import verifyObject

from mailman_pgp.app.template_guard import (
    GuardedCacheManager,
    GuardedTemplateManager,
    SecretTemplate,
    check_configuration,
    install,
    secret_directory,
)
from mailman_pgp.config import pgp_config
from mailman_pgp.config.tests.logs import plugin_log

LIST_ID = "ant.example.com"
WELCOME = "list:user:notice:welcome"
# The first line of Mailman's own welcome template, which a refused template leaves in
# place, as the loader returns it and as the member receives it.
DEFAULT_TEMPLATE = 'Welcome to the "$display_name" mailing list!'
DEFAULT_WELCOME = 'Welcome to the "Ant" mailing list!'
REFUSED_SET = (
    "The URI of template list:user:notice:welcome of ant.example.com names the PGP "
    "plugin's list-key passphrase file or its secret directory; templates cannot be "
    "read from there."
)


@dataclass
class Secrets:
    """The secrets of this test run, and ways to name them that a test can make."""

    file: Path
    directory: Path
    scratch: Path

    @property
    def passphrase(self) -> str:
        return pgp_config().key_passphrase

    def symlink(self, target: Path, name: str = "innocent.txt") -> Path:
        link = self.scratch / name
        link.symlink_to(target)
        return link

    def hard_link(self) -> Path:
        # A hard link must be on the passphrase's file system, so beside its directory.
        link = self.directory.parent / "innocent-hard-link.txt"
        os.link(self.file, link)
        return link


@pytest.fixture
def secrets(mailman, tmp_path) -> Iterator[Secrets]:
    secrets = Secrets(pgp_config().passphrase_path, secret_directory(), tmp_path)
    assert secrets.file.read_text().strip() == secrets.passphrase
    yield secrets
    (secrets.directory.parent / "innocent-hard-link.txt").unlink(missing_ok=True)


@pytest.fixture
def ant(mailman) -> IMailingList:
    with transaction():
        mlist = create_list("ant@example.com")
        mlist.display_name = "Ant"
    return mlist


@pytest.fixture
def stock(mailman) -> ITemplateManager:
    """Mailman's own manager behind the guard, to store what was set before the guard."""
    return getUtility(ITemplateManager).wrapped


@pytest.fixture
def unguarded(mailman) -> Iterator[None]:
    """Mailman as it is without the guard, in this process only."""
    site = getGlobalSiteManager()
    templates, cache = getUtility(ITemplateManager), getUtility(ICacheManager)
    site.registerUtility(templates.wrapped, ITemplateManager)
    site.registerUtility(cache.wrapped, ICacheManager)
    try:
        yield
    finally:
        site.registerUtility(templates, ITemplateManager)
        site.registerUtility(cache, ICacheManager)


# Ways to name the passphrase file that a template URI might try; each is refused.
SECRET_URIS = [
    pytest.param(lambda s: f"file://{s.file}", id="file-uri"),
    pytest.param(lambda s: f"file:{s.file}", id="no-authority"),
    pytest.param(lambda s: f"file://localhost{s.file}", id="host"),
    pytest.param(lambda s: f"FILE://{s.file}", id="upper-case-scheme"),
    pytest.param(lambda s: f"file://{s.directory}/../pgp/./{s.file.name}", id="dot-segments"),
    pytest.param(lambda s: f"file://{s.directory}//{s.file.name}", id="double-slash"),
    pytest.param(lambda s: f"file://{s.directory}/a-backup-copy", id="other-file-in-directory"),
    pytest.param(lambda s: "file:pgp/list-key-passphrase", id="relative-to-var-dir"),
    pytest.param(lambda s: f"file://{s.symlink(s.file)}", id="symlink"),
    pytest.param(
        lambda s: f"file://{s.symlink(s.directory)}/{s.file.name}", id="symlinked-directory"
    ),
    pytest.param(lambda s: f"file://{s.hard_link()}", id="hard-link"),
    pytest.param(
        lambda s: f"file://{s.symlink(s.file, LIST_ID).parent}/$list_id", id="substitution"
    ),
    pytest.param(lambda s: f"file:///proc/self/root{s.file}", id="proc-self-root"),
]


def commit_and_call(url: str, **kws) -> tuple[dict | None, object]:
    """``call_api``, with this process's transaction out of the REST server's way."""
    config.db.commit()
    try:
        return call_api(url, **kws)
    finally:
        config.db.abort()


def rest_error(url: str, **kws) -> tuple[int, str]:
    with pytest.raises(HTTPError) as caught:
        commit_and_call(url, **kws)
    return caught.value.code, caught.value.reason


def subscribe(mlist: IMailingList, email: str = "bee@example.org") -> None:
    with transaction():
        address = getUtility(IUserManager).create_address(email, "Bee")
        mlist.subscribe(address, send_welcome_message=True)


def delivered(smtpd) -> list[Message]:
    """What Mailman's virgin and out runners send from their queues."""
    make_testable_runner(VirginRunner, "virgin").run()
    make_testable_runner(OutgoingRunner, "out").run()
    return list(smtpd.messages)


def welcome_text(mlist: IMailingList) -> str:
    return getUtility(ITemplateLoader).get(WELCOME, mlist)


def cache_holds(text: str) -> bool:
    for directory, _subdirectories, files in os.walk(config.CACHE_DIR):
        for name in files:
            if text.encode() in (Path(directory) / name).read_bytes():
                return True
    return False


# The attack, end to end through the REST server and Mailman's runners.


def test_rest_refuses_a_welcome_template_naming_the_passphrase_file(
    rest_url, mailman_rest, ant, secrets
):
    status, description = rest_error(
        rest_url(f"3.1/lists/{LIST_ID}/uris"),
        data={WELCOME: f"file://{secrets.file}"},
        method="PATCH",
    )
    assert (status, description) == (400, REFUSED_SET)
    assert getUtility(ITemplateManager).raw(WELCOME, LIST_ID) is None
    commit_and_call(
        rest_url("3.1/members"),
        data={
            "list_id": LIST_ID,
            "subscriber": "bee@example.org",
            "pre_verified": True,
            "pre_confirmed": True,
            "pre_approved": True,
        },
    )
    [welcome] = delivered(mailman_rest)
    assert welcome["To"] == "bee@example.org"
    assert welcome["Subject"] == 'Welcome to the "Ant" mailing list'
    assert DEFAULT_WELCOME in welcome.get_payload()
    assert secrets.passphrase not in welcome.as_string()


def test_rest_refuses_the_old_welcome_message_uri_setting_too(rest_url, ant, secrets):
    status, description = rest_error(
        rest_url(f"3.0/lists/{LIST_ID}/config"),
        data={"welcome_message_uri": f"file://{secrets.file}"},
        method="PATCH",
    )
    assert (status, description) == (400, REFUSED_SET)
    assert getUtility(ITemplateManager).raw(WELCOME, LIST_ID) is None


def test_a_patch_of_several_uris_keeps_those_before_the_refused_one(rest_url, ant, secrets):
    # Mailman answers the refusal's ValueError with 400 and then commits the request's
    # transaction: what the PATCH set before the refused URI stays (docs/admin.md).
    header = "list:member:regular:header"
    status, _description = rest_error(
        rest_url(f"3.1/lists/{LIST_ID}/uris"),
        data={header: f"file://{secrets.scratch}/header.txt", WELCOME: f"file://{secrets.file}"},
        method="PATCH",
    )
    assert status == 400
    assert getUtility(ITemplateManager).raw(header, LIST_ID).uri.endswith("/header.txt")
    assert getUtility(ITemplateManager).raw(WELCOME, LIST_ID) is None


def test_without_the_guard_the_welcome_message_mails_and_caches_the_passphrase(
    mailman, ant, secrets, unguarded
):
    # The attack works on Mailman as it comes, so the tests above detect a real leak.
    with transaction():
        getUtility(ITemplateManager).set(WELCOME, LIST_ID, f"file://{secrets.file}")
    subscribe(ant)
    [welcome] = delivered(mailman)
    assert secrets.passphrase in welcome.get_payload()
    assert cache_holds(secrets.passphrase)


def test_a_stored_uri_naming_the_passphrase_file_is_not_read(mailman, ant, secrets, stock):
    with transaction():
        stock.set(WELCOME, LIST_ID, f"file://{secrets.file}")
    with plugin_log() as records:
        subscribe(ant)
        [welcome] = delivered(mailman)
    assert DEFAULT_WELCOME in welcome.get_payload()
    assert secrets.passphrase not in welcome.as_string()
    assert not cache_holds(secrets.passphrase)
    assert records == [
        f"PGP plugin: refused to read template {WELCOME} of {LIST_ID} from "
        f"file://{secrets.file}: it names the list-key passphrase file or the PGP plugin's "
        "secret directory; Mailman's default is used instead"
    ]


# Each way to name the secrets, refused when set and when read.


@pytest.mark.parametrize("make_uri", SECRET_URIS)
def test_set_refuses_a_uri_naming_the_secrets(ant, secrets, make_uri: Callable):
    uri = make_uri(secrets)
    with plugin_log() as records, pytest.raises(SecretTemplate) as caught:
        getUtility(ITemplateManager).set(WELCOME, LIST_ID, uri)
    assert str(caught.value) == REFUSED_SET
    assert getUtility(ITemplateManager).raw(WELCOME, LIST_ID) is None
    assert records == [
        f"PGP plugin: refused to set template {WELCOME} of {LIST_ID} to {uri}: it names the "
        "list-key passphrase file or the PGP plugin's secret directory"
    ]


@pytest.mark.parametrize("make_uri", SECRET_URIS)
def test_get_refuses_a_stored_uri_naming_the_secrets(ant, secrets, stock, make_uri: Callable):
    (secrets.directory / "a-backup-copy").write_text(secrets.passphrase)
    try:
        stock.set(WELCOME, LIST_ID, make_uri(secrets))
        assert getUtility(ITemplateManager).get(WELCOME, LIST_ID, list_id=LIST_ID) is None
        assert welcome_text(ant).startswith(DEFAULT_TEMPLATE)
    finally:
        (secrets.directory / "a-backup-copy").unlink()


def test_get_checks_the_uri_as_expanded_for_the_reader(ant, secrets):
    # Set for the domain, $list_id names nothing; read for the list, it names the file.
    uri = f"file://{secrets.symlink(secrets.file, LIST_ID).parent}/$list_id"
    getUtility(ITemplateManager).set(WELCOME, "example.com", uri)
    assert welcome_text(ant).startswith(DEFAULT_TEMPLATE)


def test_get_checks_substitutions_a_caller_adds(ant, secrets, stock):
    # Footers expand member data such as $user_name into the URI.
    stock.set(WELCOME, LIST_ID, f"file://{secrets.directory.parent}/$user_name")
    manager = getUtility(ITemplateManager)
    assert manager.get(WELCOME, LIST_ID, user_name="pgp/list-key-passphrase") is None


def test_an_ordinary_file_template_is_set_and_read(ant, tmp_path):
    (tmp_path / "welcome.txt").write_text("Hello from $list_id.\n")
    getUtility(ITemplateManager).set(WELCOME, LIST_ID, f"file://{tmp_path}/welcome.txt")
    assert welcome_text(ant) == "Hello from $list_id.\n"


# What a template holds, whatever its URI: the last line of defence.


def test_a_template_holding_the_passphrase_is_neither_returned_nor_cached(ant, secrets):
    copy = secrets.scratch / "welcome.txt"
    copy.write_text(f"Welcome!\n{secrets.passphrase}\n")
    getUtility(ITemplateManager).set(WELCOME, LIST_ID, f"file://{copy}")
    with plugin_log() as records:
        assert welcome_text(ant).startswith(DEFAULT_TEMPLATE)
    assert not cache_holds(secrets.passphrase)
    assert records == [
        f"PGP plugin: refused to read template {WELCOME} of {LIST_ID} from file://{copy}: "
        "its text holds the list-key passphrase; Mailman's default is used instead"
    ]


def test_a_mailman_uri_template_holding_the_passphrase_is_refused(ant, secrets):
    site = Path(config.TEMPLATE_DIR) / "site" / "en"
    site.mkdir(parents=True, exist_ok=True)
    (site / "leak.txt").write_text(secrets.passphrase)
    try:
        getUtility(ITemplateManager).set(WELCOME, LIST_ID, "mailman:///leak.txt")
        assert welcome_text(ant).startswith(DEFAULT_TEMPLATE)
    finally:
        (site / "leak.txt").unlink()


def test_a_copy_cached_before_the_guard_is_evicted(ant, secrets, stock):
    uri = f"file://{secrets.scratch}/gone.txt"
    stock.set(WELCOME, LIST_ID, uri)
    getUtility(ICacheManager).wrapped.add(uri, secrets.passphrase)
    assert cache_holds(secrets.passphrase)
    assert welcome_text(ant).startswith(DEFAULT_TEMPLATE)
    assert not cache_holds(secrets.passphrase)


@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_the_cache_never_stores_the_passphrase(secrets, as_bytes: bool):
    contents = f"x{secrets.passphrase}x"
    with pytest.raises(SecretTemplate):
        getUtility(ICacheManager).add("key", contents.encode() if as_bytes else contents)
    assert getUtility(ICacheManager).get("key") is None
    assert not cache_holds(secrets.passphrase)
    getUtility(ICacheManager).add("key", "harmless")
    assert getUtility(ICacheManager).get("key") == "harmless"


# mailman: URIs name a template file inside Mailman's template directories only.


@pytest.mark.parametrize(
    "uri",
    [
        "mailman:///../../pgp/list-key-passphrase",
        "mailman:///../pgp/list-key-passphrase",
        "mailman:///ant.example.com/..%2F..%2F..%2Fpgp%2Flist-key-passphrase",
        "mailman:///ant.example.com/en/../../../../pgp/list-key-passphrase",
        "mailman:///list-key-passphrase",
        "mailman://../pgp/list-key-passphrase",
        # Opens a directory: IsADirectoryError, which Mailman does not catch.
        "mailman:///..",
    ],
)
def test_mailman_uris_cannot_leave_the_template_directories(ant, secrets, uri: str):
    with pytest.raises((URLError, OSError)):
        protocols.get(uri)


# Installing, and refusing to start.


def test_the_guards_provide_mailmans_interfaces(mailman):
    assert verifyObject(ITemplateManager, getUtility(ITemplateManager))
    assert verifyObject(ICacheManager, getUtility(ICacheManager))


def test_install_wraps_mailmans_managers_once(mailman):
    install()
    install()
    templates, cache = getUtility(ITemplateManager), getUtility(ICacheManager)
    assert isinstance(templates, GuardedTemplateManager)
    assert not isinstance(templates.wrapped, GuardedTemplateManager)
    assert isinstance(cache, GuardedCacheManager)
    assert not isinstance(cache.wrapped, GuardedCacheManager)


def test_the_cache_guard_passes_on_what_it_does_not_guard(mailman):
    # Mailman's own tests call its cache manager's private _id_to_path.
    install()
    cache = getUtility(ICacheManager)
    assert cache._id_to_path("abc") == cache.wrapped._id_to_path("abc")
    with pytest.raises(AttributeError):
        cache.no_such_attribute  # noqa: B018


def test_check_configuration_names_each_stored_uri_naming_the_secrets(ant, secrets, stock):
    with transaction():
        stock.set(WELCOME, LIST_ID, f"file://{secrets.file}")
        stock.set("list:member:regular:footer", "example.com", "file:pgp/list-key-passphrase")
        stock.set("list:member:regular:header", LIST_ID, "mailman:///header.txt")
    with pytest.raises(SecretTemplate) as caught:
        check_configuration()
    message = str(caught.value)
    assert f"template {WELCOME} of {LIST_ID} has the URI file://{secrets.file}," in message
    assert "template list:member:regular:footer of example.com has the URI file:pgp/" in message
    assert "header" not in message
    assert secrets.passphrase not in message


def test_check_configuration_accepts_ordinary_templates(ant, tmp_path):
    with transaction():
        getUtility(ITemplateManager).set(WELCOME, LIST_ID, f"file://{tmp_path}/welcome.txt")
    check_configuration()


# Starts Mailman from a mailman.cfg in a child process, as `mailman` does.
START_MAILMAN = """
import sys
from mailman.core.initialize import initialize
initialize(sys.argv[1])
"""

PLUGIN_CFG = """
[plugin.pgp]
class: mailman_pgp.plugin.PGPPlugin
enabled: yes
component_package: mailman_pgp
"""


def start_mailman(directory: Path, cfg_text: str = PLUGIN_CFG) -> subprocess.CompletedProcess:
    cfg = directory / "mailman.cfg"
    cfg.write_text("[mailman]\nlayout: here\n" + cfg_text)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILMAN_")}
    return subprocess.run(
        [sys.executable, "-c", START_MAILMAN, str(cfg)],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_mailman_does_not_start_with_a_template_naming_the_passphrase_file(tmp_path):
    assert start_mailman(tmp_path).returncode == 0
    passphrase = tmp_path / "var" / "pgp" / "list-key-passphrase"
    with sqlite3.connect(tmp_path / "var" / "data" / "mailman.db") as db:
        db.execute(
            "INSERT INTO template (name, context, uri) VALUES (?, ?, ?)",
            (WELCOME, LIST_ID, f"file://{passphrase}"),
        )
    started = start_mailman(tmp_path)
    assert started.returncode == 1
    assert started.stderr.splitlines()[-1] == (
        f"PGP plugin: template {WELCOME} of {LIST_ID} has the URI file://{passphrase}, "
        "which names the list-key passphrase file or the plugin's secret directory "
        f"{passphrase.parent}; delete it (DELETE FROM template WHERE id = 1) or point it "
        "elsewhere."
    )
    assert passphrase.read_text().strip() not in started.stderr


def test_mailman_does_not_start_with_the_passphrase_file_among_its_templates(tmp_path):
    passphrase = tmp_path / "var" / "templates" / "site" / "en" / "list-key-passphrase"
    passphrase.parent.mkdir(parents=True)
    passphrase.write_text("a passphrase for this test only\n")
    passphrase.chmod(0o600)
    (tmp_path / "pgp.cfg").write_text(f"[keys]\npassphrase_file: {passphrase}\n")
    started = start_mailman(tmp_path, PLUGIN_CFG + f"configuration: {tmp_path}/pgp.cfg\n")
    assert started.returncode == 1
    assert started.stderr.splitlines()[-1] == (
        f"PGP plugin: the passphrase file {passphrase} is inside "
        f"{tmp_path}/var/templates/site, where Mailman looks for templates; move it out "
        "and set [keys] passphrase_file."
    )
