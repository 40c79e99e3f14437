"""Keep the list-key passphrase out of Mailman's templates.

Mailman 3.3 reads a template from any ``file:`` URI that a REST administrator sets,
mails it (a welcome message, a footer), and keeps a copy of what it fetched in
``var/cache``. The file holding the passphrase that unlocks every PGP list's secret
key must never be such a template. This module wraps Mailman's `ITemplateManager`
and `ICacheManager` utilities, delegating everything else to the stock ones:

* setting a URI that names the passphrase file or the plugin's secret directory
  is refused (a `ValueError`, so Mailman's REST server answers 400);
* a template whose URI resolves there, or whose text holds the passphrase, is
  neither returned nor cached: Mailman then uses its default template;
* at start-up, a stored URI naming the secrets, or a passphrase file inside
  Mailman's template directory, stops the process.
"""

import logging
import os
from pathlib import Path
from urllib.parse import urlparse

from mailman.config import config
from mailman.interfaces.cache import ICacheManager
from mailman.interfaces.listmanager import IListManager
from mailman.interfaces.template import ITemplateManager
from mailman.model.template import Template
from mailman.utilities.string import expand
from public import public
from zope.component import getGlobalSiteManager, getUtility
from zope.interface import implementer

from mailman_pgp.config import pgp_config
from mailman_pgp.config.passphrase import default_passphrase_path
from mailman_pgp.errors import PGPError

log = logging.getLogger("mailman.plugins")

NAMES_SECRETS = "it names the list-key passphrase file or the PGP plugin's secret directory"
HOLDS_PASSPHRASE = "its text holds the list-key passphrase"
# Where under ``template_dir`` Mailman's default templates and ``mailman:`` URIs
# are looked up (mailman.utilities.i18n.search), by name and without the manager.
TEMPLATE_SEARCH_DIRECTORIES = ("site", "domains", "lists")


@public
class SecretTemplate(PGPError, ValueError):
    """A template would reveal the PGP plugin's secrets, and is refused.

    Also a `ValueError`: Mailman's REST server answers a `ValueError` with 400 and
    this sentence as the description.
    """


@public
def secret_directory() -> Path:
    """The plugin's own directory for secrets, ``$var_dir/pgp``, whatever file is in use."""
    return default_passphrase_path(config.VAR_DIR).parent


@public
def is_secret_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` is the passphrase file or lies in the plugin's secret directory.

    Paths are compared once resolved (symbolic links, ``..``), and then by device and
    inode, of the file and of every directory above it, which catches hard links and
    bind mounts. A path that does not exist is judged by its resolved name alone.
    """
    passphrase = pgp_config().passphrase_path
    directory = secret_directory()
    real = Path(os.path.realpath(path))
    if real == Path(os.path.realpath(passphrase)) or real.is_relative_to(
        os.path.realpath(directory)
    ):
        return True
    passphrase_id = _identity(passphrase)
    if passphrase_id is not None and _identity(real) == passphrase_id:
        return True
    directory_id = _identity(directory)
    return directory_id is not None and any(
        _identity(ancestor) == directory_id for ancestor in (real, *real.parents)
    )


@public
def names_a_secret(uri: str) -> bool:
    """Whether ``uri``, once expanded, is a ``file:`` URI for which `is_secret_path` holds.

    The path is taken as Mailman's ``protocols.get`` opens it: the URI's path, host
    ignored, nothing unquoted. A relative path is tried against this process's
    working directory and against ``$var_dir``, where ``mailman start`` runs.
    """
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return False
    if os.path.isabs(parsed.path):
        candidates = [parsed.path]
    else:
        candidates = [os.path.join(os.getcwd(), parsed.path)]
        candidates.append(os.path.join(config.VAR_DIR, parsed.path))
    return any(is_secret_path(candidate) for candidate in candidates)


@public
def holds_passphrase(contents: str | bytes | None) -> bool:
    """Whether template ``contents`` (text or bytes) contain the list-key passphrase."""
    if contents is None:
        return False
    passphrase = pgp_config().key_passphrase
    if isinstance(contents, bytes):
        return passphrase.encode("utf-8") in contents
    return passphrase in contents


@public
@implementer(ITemplateManager)
class GuardedTemplateManager:
    """See `ITemplateManager`; refuses templates that name or hold the plugin's secrets."""

    def __init__(self, wrapped: ITemplateManager) -> None:
        self.wrapped = wrapped

    def set(
        self,
        name: str,
        context: str | None,
        uri: str,
        username: str | None = None,
        password: str = "",
    ) -> None:
        """See `ITemplateManager`.

        Raises `SecretTemplate`, and stores nothing, when ``uri`` names the
        secrets as written or once expanded as it will be for ``context``.
        """
        if _setting_names_a_secret(uri, context):
            log.error(
                "PGP plugin: refused to set template %s of %s to %s: %s",
                name,
                _where(context),
                uri,
                NAMES_SECRETS,
            )
            raise SecretTemplate(
                f"The URI of template {name} of {_where(context)} names the PGP plugin's "
                "list-key passphrase file or its secret directory; templates cannot be "
                "read from there."
            )
        self.wrapped.set(name, context, uri, username, password)

    def get(self, name: str, context: str | None, **kws: str) -> str | None:
        """See `ITemplateManager`.

        A template that names or holds the secrets is logged and answered with
        None, as if none were set, so Mailman falls back to its default; a copy
        already in Mailman's cache is evicted.
        """
        template = self.wrapped.raw(name, context)
        if template is None:
            return None
        # The URI exactly as the stock manager expands it, and caches it under.
        actual_uri = expand(template.uri, None, kws)
        if names_a_secret(actual_uri):
            self._refuse(name, context, template.uri, actual_uri, NAMES_SECRETS)
            return None
        try:
            contents = self.wrapped.get(name, context, **kws)
        except SecretTemplate:
            # Our cache manager refused to store what the stock manager fetched.
            self._refuse(name, context, template.uri, actual_uri, HOLDS_PASSPHRASE)
            return None
        if holds_passphrase(contents):
            self._refuse(name, context, template.uri, actual_uri, HOLDS_PASSPHRASE)
            return None
        return contents

    def raw(self, name: str, context: str | None) -> Template | None:
        """See `ITemplateManager`."""
        return self.wrapped.raw(name, context)

    def delete(self, name: str, context: str | None) -> None:
        """See `ITemplateManager`."""
        self.wrapped.delete(name, context)

    def _refuse(
        self, name: str, context: str | None, uri: str, actual_uri: str, reason: str
    ) -> None:
        getUtility(ICacheManager).evict(actual_uri)
        log.error(
            "PGP plugin: refused to read template %s of %s from %s: %s; "
            "Mailman's default is used instead",
            name,
            _where(context),
            uri,
            reason,
        )


@public
@implementer(ICacheManager)
class GuardedCacheManager:
    """See `ICacheManager`; never writes the list-key passphrase to Mailman's cache."""

    def __init__(self, wrapped: ICacheManager) -> None:
        self.wrapped = wrapped

    def add(self, key: str, contents: str | bytes, lifetime: object = None) -> str:
        """See `ICacheManager`; raises `SecretTemplate` for contents holding the passphrase."""
        if holds_passphrase(contents):
            raise SecretTemplate("Contents holding the list-key passphrase are never cached.")
        return self.wrapped.add(key, contents, lifetime)

    def get(self, key: str, *, expunge: bool = False) -> str | bytes | None:
        """See `ICacheManager`."""
        return self.wrapped.get(key, expunge=expunge)

    def evict(self, key: str) -> None:
        """See `ICacheManager`."""
        self.wrapped.evict(key)

    def evict_expired(self) -> None:
        """See `ICacheManager`."""
        self.wrapped.evict_expired()

    def clear(self) -> None:
        """See `ICacheManager`."""
        self.wrapped.clear()

    def __getattr__(self, name: str) -> object:
        # Whatever else Mailman's own code or tests reach for on its cache manager (its
        # private `_id_to_path`, say): the guard stands only in front of `add`.
        if name == "wrapped":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.wrapped, name)


@public
def install() -> None:
    """Put the guarded managers in front of Mailman's, once per process."""
    site = getGlobalSiteManager()
    templates = getUtility(ITemplateManager)
    if not isinstance(templates, GuardedTemplateManager):
        site.registerUtility(GuardedTemplateManager(templates), ITemplateManager)
    cache = getUtility(ICacheManager)
    if not isinstance(cache, GuardedCacheManager):
        site.registerUtility(GuardedCacheManager(cache), ICacheManager)


@public
def check_configuration() -> None:
    """Raise `SecretTemplate` naming every stored template URI that names the secrets.

    Also refuses a passphrase file inside Mailman's ``template_dir``, where Mailman
    reads its default templates by name without asking the template manager.
    """
    problems = []
    passphrase = Path(os.path.realpath(pgp_config().passphrase_path))
    for directory in TEMPLATE_SEARCH_DIRECTORIES:
        searched = os.path.join(config.TEMPLATE_DIR, directory)
        if passphrase.is_relative_to(os.path.realpath(searched)):
            problems.append(
                f"the passphrase file {pgp_config().passphrase_path} is inside {searched}, "
                "where Mailman looks for templates; move it out and set [keys] passphrase_file"
            )
    for template in config.db.store.query(Template).order_by(Template.id):
        uri = template.uri or ""
        if _setting_names_a_secret(uri, template.context):
            problems.append(
                f"template {template.name} of {_where(template.context)} has the URI "
                f"{uri}, which names the list-key passphrase file or the plugin's secret "
                f"directory {secret_directory()}; delete it (DELETE FROM template WHERE "
                f"id = {template.id}) or point it elsewhere"
            )
    if problems:
        raise SecretTemplate("; ".join(problems) + ".")


@public
def initialize() -> None:
    """Install the guard, then check what is configured; raises `SecretTemplate`."""
    install()
    try:
        check_configuration()
    finally:
        # Only read: end the transaction, so this process holds no snapshot open.
        config.db.abort()


def _identity(path: str | os.PathLike) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _setting_names_a_secret(uri: str, context: str | None) -> bool:
    # As written, and expanded as it will be read for `context`.
    return names_a_secret(uri) or names_a_secret(expand(uri, None, _substitutions(context)))


def _substitutions(context: str | None) -> dict[str, str]:
    # The placeholders Mailman's TemplateLoader fills from a list or a domain
    # context, so that a URI is checked as it will be read. A caller may pass more
    # (footers get the member's name); `GuardedTemplateManager.get` sees those.
    if context is None:
        return {}
    mlist = getUtility(IListManager).get_by_list_id(context)
    if mlist is None:
        return {"domain_name": context}
    return {
        "list_id": mlist.list_id,
        "listname": mlist.fqdn_listname,
        "domain_name": mlist.mail_host,
        "language": mlist.preferred_language.code,
    }


def _where(context: str | None) -> str:
    return "the site" if context is None else context
