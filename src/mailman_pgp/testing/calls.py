"""Count the calls of a real function during a test, without changing what it does."""

from typing import Any


def record_calls(monkeypatch: Any, owner: object, name: str) -> list[tuple]:
    """Wrap ``owner.name`` so that each call's positional arguments are appended to the
    returned list; the real function still runs. ``monkeypatch`` undoes it after the test."""
    calls: list[tuple] = []
    real = getattr(owner, name)

    def recording(*args, **kws):
        calls.append(args)
        return real(*args, **kws)

    monkeypatch.setattr(owner, name, recording)
    return calls
