# Test that the subscriber guide quotes every refusal sentence the list sends, and the notice's
# opening line as Mailman writes it, so the guide cannot drift from what subscribers receive.

from importlib.resources import files
from pathlib import Path

import pytest

from mailman_pgp.posting import reasons

GUIDE = Path(__file__).resolve().parents[4] / "docs" / "subscriber.md"


def guide_text() -> str:
    return " ".join(GUIDE.read_text().split())


@pytest.mark.parametrize("sentence", reasons.ALL)
def test_every_refusal_sentence_is_in_the_guide(sentence):
    assert sentence.replace("{}", "…") in guide_text()


def test_the_notice_opening_is_mailmans():
    template = files("mailman.templates.en").joinpath("list:user:notice:rejected.txt")
    first_sentence = " ".join(template.read_text().split(":")[0].split())
    quoted = first_sentence.replace("$listname", "...")
    assert f'"{quoted}:"' in guide_text()
