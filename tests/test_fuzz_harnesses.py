# Test that every fuzz harness runs its one-input check over its whole seed corpus (the
# test corpora and the findings in tests/data/fuzz/) without a crash, so the harnesses
# cannot rot between fuzzing runs; atheris is not needed for this.

import importlib
from pathlib import Path

import fuzz
import pytest
from fuzz.run import HARNESSES


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_checks_its_seeds(name):
    harness = importlib.import_module(f"fuzz.{name}")
    seeds = harness.seeds()
    assert seeds, f"the {name} harness has no seeds"
    for seed, data in seeds.items():
        try:
            harness.check(data)
        except Exception as error:
            error.add_note(f"seed: {seed}")
            raise


def test_make_fuzz_runs_every_harness():
    modules = {path.stem for path in Path(fuzz.__file__).parent.glob("*.py")}
    assert modules - {"__init__", "harness", "run"} == set(HARNESSES)
