"""Exceptions raised by the client: one class per typed error reply of the server."""
from __future__ import annotations

from typing import Any, Dict


class SparsGymError(Exception):
    """An error reply of the env server; ``type`` is the server's error class, ``message`` its text."""

    def __init__(self, type: str, message: str, source: str = "", expected: str = "") -> None:
        super().__init__(f"{type}: {message}")
        self.type = type
        self.message = message
        self.source = source
        self.expected = expected


class ProtocolError(SparsGymError):
    """The server could not read a message (bad frame, unknown op, missing field)."""


class UnknownEnvError(SparsGymError):
    """``make`` named an env id the server does not serve."""


class InvalidArgumentError(SparsGymError):
    """A bad value: an action outside 0..5, a wrong number of actions, a bad seed or option."""


class EnvStateError(SparsGymError):
    """A call in the wrong state: step before reset, after the episode ended, before make."""


class ServerStartError(RuntimeError):
    """The local env server could not be started."""


_CLASSES = {c.__name__: c for c in (ProtocolError, UnknownEnvError, InvalidArgumentError, EnvStateError)}


def from_reply(error: Dict[str, Any]) -> SparsGymError:
    """The exception of an error reply's ``error`` object."""
    t = str(error.get("type", "ServerError"))
    cls = _CLASSES.get(t, SparsGymError)
    return cls(t, str(error.get("message", "")), str(error.get("source", "")), str(error.get("expected", "")))
