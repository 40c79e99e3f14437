# Test that only a GOOD verification is good, and that every error derives from the plugin base.

from __future__ import annotations

import inspect

import pytest

from mailman_pgp import openpgp
from mailman_pgp.errors import PGPError
from mailman_pgp.openpgp import errors
from mailman_pgp.openpgp.verification import SignatureStatus, Verification


@pytest.mark.parametrize("status", list(SignatureStatus), ids=lambda s: s.value)
def test_only_good_is_good(status: SignatureStatus) -> None:
    assert Verification(status).is_good is (status.value == "good")


def test_every_openpgp_error_is_a_pgp_error_exported_by_the_package() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if c.__module__ == errors.__name__]
    assert "DecryptionError" in {c.__name__ for c in classes}
    assert all(issubclass(c, PGPError) for c in classes)
    assert all(getattr(openpgp, c.__name__) is c for c in classes)
