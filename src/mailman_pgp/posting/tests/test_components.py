# Test that every rule, chain, handler and pipeline of the posting flow fits its Mailman
# interface and is registered by Mailman under its name.

import pytest
from mailman.config import config
from mailman.interfaces.chain import IChain
from mailman.interfaces.handler import IHandler
from mailman.interfaces.pipeline import IPipeline
from mailman.interfaces.rules import IRule
from mailman.utilities.modules import find_components
from zope.interface.verify import verifyObject

KINDS = [
    ("mailman_pgp.rules", IRule, "rules",
     {"pgp-ambiguous-author", "pgp-author-without-key", "pgp-too-large",
      "pgp-message-id-taken", "pgp-not-decryptable",
      "pgp-too-complex", "pgp-too-slow", "pgp-plaintext-over-list-limit",
      # One per policy case.
      "pgp-unencrypted", "pgp-unsigned", "pgp-bad-signature", "pgp-expired-key",
      "pgp-revoked-key", "pgp-unknown-key", "pgp-inline-pgp", "pgp-replay"}),
    ("mailman_pgp.chains", IChain, "chains",
     {"pgp-posting-chain", "pgp-recheck-chain", "pgp-reject", "pgp-hold",
      "pgp-defer"}),
    ("mailman_pgp.handlers", IHandler, "handlers",
     {"pgp-archiver-rows", "pgp-checked-post", "pgp-to-digest", "pgp-subject-prefix",
      "pgp-member-recipients"}),
    ("mailman_pgp.pipelines", IPipeline, "pipelines", {"pgp-posting-pipeline"}),
]


@pytest.mark.parametrize(("package", "interface", "registry", "names"), KINDS,
                         ids=["rules", "chains", "handlers", "pipelines"])
def test_components_conform_and_are_registered(mailman, package, interface, registry, names):
    found = {component().name: component for component in find_components(package, interface)}
    assert set(found) == names
    for name in names:
        registered = getattr(config, registry)[name]
        assert isinstance(registered, found[name])
        assert verifyObject(interface, registered)
