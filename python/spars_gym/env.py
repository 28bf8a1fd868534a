"""The Gymnasium env: the single-agent self-play view of the SPARS game served by the env server.

The learner plays side ``a``; the server plays side ``b`` (``opponent="random"`` or ``"greedy"``,
reseeded by every seeded reset). Observations are float32 ``(z, y, x, channels)`` windows (default
12x24x24x1, raw HU); actions are ``Discrete(6)`` moves (+-z, +-y, +-x by ``stride`` voxels).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import gymnasium as gym
import numpy as np

from ._spaces import action_int, make_options, to_space
from .client import Connection

ORACLE_ENV_ID = "SparsGym/Spars-Oracle-v0"
CLASSIFIER_ENV_ID = "SparsGym/Spars-Classifier-v0"


def _server_args(classifier: Optional[str]) -> Optional[List[str]]:
    return ["--classifier", classifier] if classifier else None


class SparsGymEnv(gym.Env):
    """Gymnasium ``Env`` over one server session.

    Args:
        env_id: the served env id (``SparsGym/Spars-Oracle-v0`` scores with voxel labels).
        render_mode: ``None`` or ``"rgb_array"`` (HxWx3 uint8: two axial slices, map and windows).
        url: ``ws://host:port`` of a running server; ``None`` starts a local one, stopped by ``close()``.
        classifier: a classifier checkpoint or run folder for the local server (Classifier env id).
        opponent: ``"random"`` or ``"greedy"``.
        **options: game options of the server (``window``, ``stride``, ``tau``, ``maxSteps``,
            ``observationShape``, ``phantoms={"count", "seed", "shape"}``, ...; serve/PROTOCOL.md).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        env_id: str = ORACLE_ENV_ID,
        render_mode: Optional[str] = None,
        url: Optional[str] = None,
        classifier: Optional[str] = None,
        opponent: str = "random",
        **options: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode: is {render_mode!r} (expected None or 'rgb_array')")
        self.render_mode = render_mode
        self._conn = Connection(url, _server_args(classifier))
        try:
            h, arrays = self._conn.request(
                "make", env=env_id, kind="single", options=make_options({"opponent": opponent, **options})
            )
        except Exception:
            self._conn.close()
            raise
        self.observation_space = to_space(h["observationSpace"], arrays)
        self.action_space = to_space(h["actionSpace"], arrays)
        self.config: Dict[str, Any] = h["config"]
        self.scorer_id: str = h["scorer"]
        self._closed = False

    def reset(
        self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None
    ) -> Tuple[np.ndarray, Dict[str, Any]]:
        """Starts an episode; ``seed=None`` continues the server's stream."""
        super().reset(seed=seed)
        h, arrays = self._conn.request("reset", seed=None if seed is None else int(seed))
        return arrays["obs"].copy(), h["info"]

    def step(self, action: Any) -> Tuple[np.ndarray, float, bool, bool, Dict[str, Any]]:
        """One move of the learner (and the server's opponent)."""
        h, arrays = self._conn.request("step", action=action_int(action))
        return arrays["obs"].copy(), float(h["reward"]), bool(h["terminated"]), bool(h["truncated"]), h["info"]

    def render(self) -> Optional[np.ndarray]:
        """An HxWx3 uint8 frame in ``rgb_array`` mode, else ``None``."""
        if self.render_mode != "rgb_array":
            return None
        _, arrays = self._conn.request("render")
        return arrays["rgb"].copy()

    def close(self) -> None:
        """Ends the session (and the local server it started)."""
        if not getattr(self, "_closed", True):
            self._closed = True
            self._conn.close()
