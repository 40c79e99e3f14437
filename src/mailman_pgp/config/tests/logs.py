"""Capture what the plugin writes to Mailman's ``mailman.plugins`` log, in or out of Mailman."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def plugin_log() -> Iterator[list[str]]:
    """The messages logged to ``mailman.plugins`` inside the block, at INFO or above."""
    logger = logging.getLogger("mailman.plugins")
    records: list[str] = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    previous = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
