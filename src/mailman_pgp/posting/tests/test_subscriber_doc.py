# Test that the subscriber guide quotes every refusal sentence the list sends, the notice's
# opening line, and those of the held and withheld notices, so the guide cannot drift from
# what subscribers receive.

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


def test_the_held_and_withheld_notices_are_quoted():
    from mailman_pgp.mta.keyless_notice import SUBJECT

    held = notice.HELD.split(":\n")[0]
    quoted = (held.replace("{list}", "...").replace("{posting}", "...")
              .replace("{message_id}", "..."))
    assert f'"{" ".join(quoted.split())}:"' in guide_text()
    assert f'"{SUBJECT.format(list="...")}"' in guide_text()
