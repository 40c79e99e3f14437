"""Fuzz harnesses for the readers of hostile input in ``mailman_pgp.mime`` and ``.openpgp``.

One module a harness. Each has a plain ``check(data: bytes)`` that feeds one input to the
readers and lets through only a result or one of their documented exceptions (anything
else, or a broken invariant, propagates and is a crash), a ``seeds()`` of starting inputs,
and an atheris entry point: ``python -m fuzz.<harness> [libFuzzer options]``. ``make fuzz``
(``python -m fuzz.run``) runs each of them for a while and reports what they found; the
test suite runs each ``check`` over its seeds (``tests/test_fuzz_harnesses.py``).
"""
