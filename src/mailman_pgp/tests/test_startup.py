# Test that Mailman does not start with a PGP plugin configuration the plugin cannot work with,
# and says why, instead of starting with the plugin silently disabled.

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailman_pgp.tests.test_plugin import START_MAILMAN, readme_snippet


def start(directory: Path, cfg_text: str) -> subprocess.CompletedProcess:
    cfg = directory / "mailman.cfg"
    cfg.write_text("[mailman]\nlayout: here\n" + cfg_text)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILMAN_")}
    return subprocess.run([sys.executable, "-c", START_MAILMAN, str(cfg)], cwd=directory,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("settings", "problem"), [
    ("[keys]\nalgorithm: dsa\n", "[keys] algorithm: 'dsa' is not one of cv25519"),
    ("[keys]\nalgoritm: rsa4096\n", "unknown setting 'algoritm' in [keys]"),
    ("[limits]\nmax_plaintext_size: lots\n", "[limits] max_plaintext_size: 'lots'"),
], ids=["bad-value", "misspelt-key", "bad-size"])
def test_a_broken_plugin_configuration_stops_mailman_naming_the_problem(
        tmp_path, settings, problem):
    site = tmp_path / "pgp.cfg"
    site.write_text(settings)
    snippet = readme_snippet().replace("# configuration: /etc/mailman3/pgp.cfg",
                                       f"configuration: {site}")
    assert f"configuration: {site}" in snippet
    done = start(tmp_path, snippet)
    assert done.returncode != 0
    assert "PGP plugin: " in done.stderr
    assert problem in done.stderr


def test_a_missing_configuration_file_stops_mailman(tmp_path):
    snippet = readme_snippet().replace("# configuration: /etc/mailman3/pgp.cfg",
                                       f"configuration: {tmp_path / 'missing.cfg'}")
    done = start(tmp_path, snippet)
    assert done.returncode != 0
    assert f"PGP plugin: The PGP plugin's configuration file {tmp_path / 'missing.cfg'}" \
        " does not exist." in done.stderr
