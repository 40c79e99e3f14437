"""The people and list of the chain tests: Anne, a member with a key, and Otto, a
stranger with one, on a PGP list."""

import pytest

from mailman_pgp.posting.tests.scenario import People, PGPListScenario


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("otto", "otto@example.com")
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne")
    return scene
