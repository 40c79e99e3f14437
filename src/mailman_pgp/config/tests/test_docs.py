# Test that docs/admin.md shows the defaults file and the README's [plugin.pgp] snippet unchanged.

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
ADMIN = ROOT / "docs" / "admin.md"
DEFAULTS = ROOT / "src" / "mailman_pgp" / "config" / "mailman_pgp.cfg"
README = ROOT / "README.md"


def ini_blocks(markdown: str) -> list[str]:
    return re.findall(r"```ini\n(.*?)```", markdown, re.DOTALL)


def test_the_configuration_reference_is_the_defaults_file():
    assert DEFAULTS.read_text() in ini_blocks(ADMIN.read_text())


def test_the_admin_guide_enables_the_plugin_as_the_readme_does():
    readme = re.search(
        r"<!-- pgp-cfg-start -->\s*```ini\n(.*?)```", README.read_text(), re.DOTALL
    ).group(1)
    assert readme in ini_blocks(ADMIN.read_text())
