"""Fixtures of the webhooks REST tests: the core tests' receiver, overlays and runner."""

from mailman_webhooks.tests.conftest import configure, receiver, runner

__all__ = ["configure", "receiver", "runner"]
