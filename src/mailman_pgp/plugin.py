"""The PGP plugin's entry point, named in ``[plugin.pgp] class:``.

The hooks only wire: read the plugin's settings, push the Mailman settings it
needs, create its tables, subscribe its event handlers, guard Mailman's templates.
A configuration the plugin cannot work with stops Mailman's start-up, naming the
problem. Chains, rules, handlers and pipelines under ``mailman_pgp`` are found by
Mailman itself through ``component_package: mailman_pgp``.
"""

import logging

from mailman.config import config
from mailman.interfaces.plugin import IPlugin
from public import public
from zope.interface import implementer

from mailman_pgp.app import events, template_guard
from mailman_pgp.config import ConfigError, load_pgp_config
from mailman_pgp.model import ensure_schema
from mailman_pgp.rest.root import PGPRoot
from mailman_plugin_kit.rest import PluginPaths
from mailman_plugin_kit.schema import SchemaTooNew
from mailman_plugin_kit.startup import stops_start

log = logging.getLogger("mailman.plugins")

STOCK_OUTGOING = "mailman.mta.deliver.deliver"
OUTGOING = "mailman_pgp.mta.deliver.deliver"

# Pushed in pre_hook, which every Mailman process runs, so all of them see it.
# The PGP deliver encrypts for PGP lists and hands every other list to Mailman's
# stock deliver unchanged.
MAILMAN_SETTINGS = f"""
[mta]
outgoing: {OUTGOING}
"""
SETTINGS_NAME = "mailman_pgp settings"


@public
@implementer(IPlugin)
class PGPPlugin:
    """See `IPlugin`."""

    def __init__(self) -> None:
        self.resource = PGPRoot(PluginPaths(self))

    def pre_hook(self) -> None:
        """See `IPlugin`."""
        with stops_start("PGP", ConfigError):
            settings = load_pgp_config(self.name)
        log.info("PGP plugin: list key passphrase from %s", settings.passphrase_path)
        outgoing = config.mta.outgoing.strip()
        if outgoing not in (STOCK_OUTGOING, OUTGOING):
            log.warning(
                "PGP plugin: replacing [mta] outgoing %s with %s, which delivers "
                "lists that are not PGP lists with Mailman's stock %s",
                outgoing,
                OUTGOING,
                STOCK_OUTGOING,
            )
        config.push(SETTINGS_NAME, MAILMAN_SETTINGS)

    def post_hook(self) -> None:
        """See `IPlugin`.

        Mailman logs an exception raised here and starts anyway; a database ahead of the
        plugin, or a template that would mail the list-key passphrase, stops it instead.
        """
        with stops_start("PGP", SchemaTooNew, template_guard.SecretTemplate):
            ensure_schema()
            events.initialize()
            template_guard.initialize()
