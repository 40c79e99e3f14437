"""The PGP plugin's entry point, named in ``[plugin.pgp] class:``.

The hooks only wire: read the plugin's settings, push the Mailman settings it
needs, create its tables, subscribe its event handlers, guard Mailman's templates.
A configuration the plugin cannot work with stops Mailman's start-up, naming the
problem. Chains, rules, handlers and pipelines under ``mailman_pgp`` are found by
Mailman itself through ``component_package: mailman_pgp``.
"""

import logging

from mailman.config import config
from mailman.interfaces.mailinglist import IMailingList
from mailman.interfaces.plugin import IPlugin
from mailman.interfaces.subscriptions import ISubscriptionManager
from public import public
from zope.component import getGlobalSiteManager
from zope.interface import implementer

from mailman_pgp.app import events, template_guard
from mailman_pgp.archivers.pgp_archive import ARCHIVER_CLASS, ARCHIVER_NAME
from mailman_pgp.commands.confirm import install_confirm
from mailman_pgp.config import ConfigError, load_pgp_config, pgp_config
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.model import PGPAddressKeyManager, PGPListManager, ensure_schema
from mailman_pgp.mta.site_outgoing import (
    OUTGOING,
    STOCK_OUTGOING,
    remember_site_outgoing,
    site_outgoing_name,
)
from mailman_pgp.rest.root import PGPRoot
from mailman_pgp.runners.archive import RUNNER_CLASS as ARCHIVE_RUNNER
from mailman_pgp.runners.command import RUNNER_CLASS as COMMAND_RUNNER
from mailman_pgp.runners.digest import RUNNER_CLASS as DIGEST_RUNNER
from mailman_pgp.workflows.manager import subscription_manager
from mailman_plugin_kit.rest import PluginPaths
from mailman_plugin_kit.schema import SchemaTooNew
from mailman_plugin_kit.startup import stops_start

log = logging.getLogger("mailman.plugins")

# Pushed in pre_hook, which every Mailman process runs, so all of them see it.
# The PGP deliver encrypts PGP list posts and hands all other mail on to the
# callable the site had configured, which pre_hook records just before. The command
# runner is Mailman's, opening the mails of PGP lists before it reads them; the digest and
# archive runners are Mailman's, opening a PGP list's posts in memory only.
MAILMAN_SETTINGS = f"""
[mta]
outgoing: {OUTGOING}

[runner.command]
class: {COMMAND_RUNNER}

[runner.digest]
class: {DIGEST_RUNNER}

[runner.archive]
class: {ARCHIVE_RUNNER}
"""
# The PGP list's own encrypted archive, on unless the site configures [archiver.pgp].
ARCHIVER_SETTINGS = f"""
[archiver.{ARCHIVER_NAME}]
class: {ARCHIVER_CLASS}
enable: yes
"""
STOCK_COMMAND_RUNNER = "mailman.runners.command.CommandRunner"
SETTINGS_NAME = "mailman_pgp settings"
ARCHIVER_SETTINGS_NAME = "mailman_pgp archiver"


@public
@implementer(IPlugin)
class PGPPlugin:
    """See `IPlugin`."""

    # Set by Mailman from the [plugin.<name>] section, after it creates the plugin.
    name: str

    def __init__(self) -> None:
        self.resource = PGPRoot(PluginPaths(self))

    def pre_hook(self) -> None:
        """See `IPlugin`."""
        with stops_start("PGP", ConfigError):
            settings = load_pgp_config(self.name)
        log.info("PGP plugin: list key passphrase from %s", settings.passphrase_path)
        remember_site_outgoing(config.mta.outgoing)
        if site_outgoing_name() != STOCK_OUTGOING:
            log.info(
                "PGP plugin: mail that is not a PGP list post goes on to the site's "
                "[mta] outgoing %s",
                site_outgoing_name(),
            )
        command_runner = getattr(config, "runner.command")["class"].strip()
        if command_runner not in (STOCK_COMMAND_RUNNER, COMMAND_RUNNER):
            log.warning("PGP plugin: replacing [runner.command] class %s with %s",
                        command_runner, COMMAND_RUNNER)
        config.push(SETTINGS_NAME, MAILMAN_SETTINGS)
        if f"archiver.{ARCHIVER_NAME}" not in {s.name for s in config.getByCategory("archiver")}:
            config.push(ARCHIVER_SETTINGS_NAME, ARCHIVER_SETTINGS)

    def post_hook(self) -> None:
        """See `IPlugin`.

        Mailman logs an exception raised here and starts anyway; a database ahead of the
        plugin, or a template that would mail the list-key passphrase, stops it instead.
        """
        site = getGlobalSiteManager()
        site.registerUtility(PGPListManager(pgp_config().key_passphrase), IPGPListManager)
        site.registerUtility(PGPAddressKeyManager(), IPGPAddressKeyManager)
        # PGP lists run their own workflows; every other list Mailman's (see the module).
        site.registerAdapter(subscription_manager, (IMailingList,), ISubscriptionManager)
        install_confirm()
        with stops_start("PGP", SchemaTooNew, template_guard.SecretTemplate):
            ensure_schema()
            events.initialize()
            template_guard.initialize()
