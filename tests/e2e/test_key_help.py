# Test that "help key" sent to a PGP list's -request address documents every subcommand of
# the key command, as Mailman's help command prints it.

from __future__ import annotations

import pytest

from mailman_pgp.commands.eml_key import SUBCOMMANDS
from mailman_pgp.posting.tests.scenario import People, PGPListScenario

from .key_commands import plain_command, reply_text, send


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("zoe", "zoe@example.com")
    yield cast
    cast.close()


def test_help_key_documents_every_subcommand(mailman, people):
    scenario = PGPListScenario(mailman, people)
    scenario.subscribe("zoe")
    zoe = people["zoe"]
    reply = reply_text(zoe, send(scenario, plain_command(zoe, "help key")))
    assert "key set|confirm|receive|status|change|revoke|sign [TOKEN]" in reply
    for subcommand in SUBCOMMANDS:
        assert f"\n  key {subcommand}" in reply, subcommand
    # Mailman's wrap() keeps the table as it is written.
    assert "  key change         With your new public key attached" in reply
