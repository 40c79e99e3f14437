# Test that the PGP plugin is an IPlugin, wires Mailman in its hooks, and starts from the README.

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from mailman.config import config
from mailman.interfaces.plugin import IPlugin
from zope.interface.verify import verifyObject

from mailman_pgp.model import SCHEMA_VERSION
from mailman_pgp.plugin import OUTGOING, STOCK_OUTGOING, PGPPlugin

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"

# Starts Mailman from a mailman.cfg in a child process, as `mailman` does, and
# reports what a test needs to see.
START_MAILMAN = """
import json, sys
from mailman.config import config
from mailman.core.initialize import initialize
initialize(sys.argv[1])
print(json.dumps({
    "plugins": {name: type(plugin).__qualname__ for name, plugin in config.plugins.items()},
    "outgoing": config.mta.outgoing,
    "var_dir": config.VAR_DIR,
}))
"""


# Starts Mailman as START_MAILMAN does, runs the plugin's pre_hook once more (a test process
# may), and with an argument hands a post of a list that is not a PGP list to the
# [mta] outgoing callable, as Mailman's out runner does.
DELIVER_A_PLAIN_POST = """
import json, sys
from email import message_from_string
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.core.initialize import initialize
from mailman.database.transaction import transaction
from mailman.interfaces.domain import IDomainManager
from mailman.utilities.modules import find_name
from zope.component import getUtility
from mailman_pgp.mta.site_outgoing import site_outgoing_name
initialize(sys.argv[1])
config.plugins["pgp"].pre_hook()
if sys.argv[2:]:
    with transaction():
        getUtility(IDomainManager).add("example.com")
        mlist = create_list("plain@example.com")
    post = message_from_string("From: anne@example.com\\nSubject: Hi\\n\\nHello\\n")
    find_name(config.mta.outgoing)(mlist, post, {"recipients": ["bert@example.com"]})
print(json.dumps({"outgoing": config.mta.outgoing, "site_outgoing": site_outgoing_name(),
                  "var_dir": config.VAR_DIR}))
"""

# A site's own [mta] outgoing callable: it notes what it is given in a file.
SITE_MTA = """
import json

def deliver(mlist, msg, msgdata):
    with open("site-deliveries.json", "a") as fp:
        fp.write(json.dumps([mlist.list_id, msg["subject"], msgdata["recipients"]]) + "\\n")
"""


def readme_snippet() -> str:
    text = README.read_text()
    block = re.search(
        r"<!-- pgp-cfg-start -->\s*```ini\n(.*?)```\s*<!-- pgp-cfg-end -->", text, re.DOTALL
    )
    assert block is not None, "README.md has the [plugin.pgp] snippet between its markers"
    return block.group(1)


def start_mailman(directory: Path, cfg_text: str, script: str = START_MAILMAN,
                  *args: str) -> dict:
    """Run Mailman's start-up in ``directory`` (var/ goes there) with ``cfg_text``."""
    cfg = directory / "mailman.cfg"
    cfg.write_text("[mailman]\nlayout: here\n" + cfg_text)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILMAN_")}
    done = subprocess.run(
        [sys.executable, "-c", script, str(cfg), *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def tables(directory: Path) -> set[str]:
    with sqlite3.connect(directory / "var" / "data" / "mailman.db") as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_the_plugin_provides_iplugin(mailman):
    assert verifyObject(IPlugin, config.plugins["pgp"])


def test_a_fresh_plugin_object_provides_iplugin():
    assert verifyObject(IPlugin, PGPPlugin())


def test_pre_hook_pushed_the_pgp_deliver_for_every_process(mailman):
    assert config.mta.outgoing == OUTGOING


def test_the_readme_snippet_enables_the_plugin(tmp_path):
    started = start_mailman(tmp_path, readme_snippet())
    assert started["plugins"]["pgp"] == "PGPPlugin"
    assert started["outgoing"] == OUTGOING


def test_a_sites_own_outgoing_callable_still_delivers_lists_that_are_not_pgp_lists(tmp_path):
    (tmp_path / "site_mta.py").write_text(SITE_MTA)
    cfg = ("[mta]\nincoming: mailman.testing.mta.FakeMTA\noutgoing: site_mta.deliver\n"
           + readme_snippet())
    started = start_mailman(tmp_path, cfg, DELIVER_A_PLAIN_POST, "deliver")
    assert started["outgoing"] == OUTGOING
    assert started["site_outgoing"] == "site_mta.deliver"
    deliveries = (tmp_path / "site-deliveries.json").read_text().splitlines()
    assert [json.loads(line) for line in deliveries] == [
        ["plain.example.com", "Hi", ["bert@example.com"]]]
    log = (Path(started["var_dir"]) / "logs" / "plugins.log").read_text()
    assert "goes on to the site's [mta] outgoing site_mta.deliver" in log


def test_the_plugins_own_callable_set_by_the_site_is_not_taken_for_the_sites(tmp_path):
    cfg = f"[mta]\noutgoing: {OUTGOING}\n" + readme_snippet()
    started = start_mailman(tmp_path, cfg, DELIVER_A_PLAIN_POST)
    assert started["outgoing"] == OUTGOING
    assert started["site_outgoing"] == STOCK_OUTGOING


def test_first_start_generates_the_passphrase_and_logs_where(tmp_path):
    started = start_mailman(tmp_path, readme_snippet())
    passphrase = Path(started["var_dir"]) / "pgp" / "list-key-passphrase"
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    log = (Path(started["var_dir"]) / "logs" / "plugins.log").read_text()
    assert str(passphrase) in log
    assert passphrase.read_text().strip() not in log
    secret = passphrase.read_text()
    start_mailman(tmp_path, readme_snippet())
    assert passphrase.read_text() == secret


def test_a_misspelt_enabled_key_leaves_the_plugin_off(tmp_path):
    misspelt = readme_snippet().replace("enabled:", "enable:")
    started = start_mailman(tmp_path, misspelt)
    assert "pgp" not in started["plugins"]


def test_post_hook_adds_its_tables_to_an_existing_database(tmp_path):
    start_mailman(tmp_path, "")
    before = tables(tmp_path)
    assert "alembic_version" in before
    assert "pgp_mailinglist" not in before
    with sqlite3.connect(tmp_path / "var" / "data" / "mailman.db") as db:
        revision = db.execute("SELECT version_num FROM alembic_version").fetchall()
    start_mailman(tmp_path, readme_snippet())
    after = tables(tmp_path)
    assert after - before == {"pgp_mailinglist", "pgp_address_key", "pgp_archive_key",
                              "pgp_withheld_notice", "pgp_seen_signature",
                              "pgp_schema_version"}
    with sqlite3.connect(tmp_path / "var" / "data" / "mailman.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == revision
        versions = db.execute("SELECT version FROM pgp_schema_version").fetchall()
    assert versions == [(SCHEMA_VERSION,)]
