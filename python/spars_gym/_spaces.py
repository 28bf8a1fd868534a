"""Gymnasium spaces from the server's space descriptions."""
from __future__ import annotations

from typing import Any, Dict, Mapping

import numpy as np
from gymnasium import spaces


def to_space(desc: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> spaces.Space:
    """A ``Box`` (bounds from the payload arrays, they may be infinite) or a ``Discrete``."""
    if desc["type"] == "Discrete":
        return spaces.Discrete(int(desc["n"]), start=int(desc.get("start", 0)))
    if desc["type"] == "Box":
        low = np.array(arrays[desc["low"]], dtype=np.float32)
        high = np.array(arrays[desc["high"]], dtype=np.float32)
        return spaces.Box(low=low, high=high, shape=tuple(desc["shape"]), dtype=np.dtype(desc["dtype"]))
    raise ValueError(f"space: unknown type {desc['type']!r}")


def action_int(action: Any) -> Any:
    """An integer action as JSON carries it; anything else is sent as is, for the server to refuse."""
    if isinstance(action, (int, np.integer)) and not isinstance(action, bool):
        return int(action)
    if isinstance(action, np.ndarray) and action.shape == () and np.issubdtype(action.dtype, np.integer):
        return int(action)
    if isinstance(action, (float, np.floating)):
        return float(action)
    return str(action)


def make_options(options: Dict[str, Any]) -> Dict[str, Any]:
    """Options with numpy values turned into JSON ones."""
    def plain(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return {k: plain(v) for k, v in options.items() if v is not None}
