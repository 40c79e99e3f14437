# Test that the subscriber guide quotes every refusal sentence the list sends, and the notice's
# opening line, so the guide cannot drift from what subscribers receive.

from pathlib import Path

import pytest

from mailman_pgp.posting import notice, reasons

GUIDE = Path(__file__).resolve().parents[4] / "docs" / "subscriber.md"


def guide_text() -> str:
    return " ".join(GUIDE.read_text().split())


@pytest.mark.parametrize("sentence", reasons.ALL)
def test_every_refusal_sentence_is_in_the_guide(sentence):
    assert sentence.replace("{}", "…") in guide_text()


def test_the_notice_opening_is_quoted():
    opening = notice.REFUSED.split("\n\n")[0]
    quoted = opening.replace("{list}", "...").replace("{posting}", "...")
    assert f'"{quoted}",' in guide_text()
