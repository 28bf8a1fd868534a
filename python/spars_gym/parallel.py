"""The PettingZoo ``ParallelEnv``: the two-agent SPARS game served by the env server."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from ._spaces import action_int, make_options, to_space
from .client import Connection
from .env import ORACLE_ENV_ID, _server_args


class SparsParallelEnv(ParallelEnv):
    """Agents ``a`` and ``b`` move windows; the higher-scoring window wins the step.

    Args are those of :class:`spars_gym.env.SparsGymEnv` (no opponent: both sides are played here).
    """

    metadata = {"render_modes": ["rgb_array"], "name": "spars_v0", "is_parallelizable": True}

    def __init__(
        self,
        env_id: str = ORACLE_ENV_ID,
        render_mode: Optional[str] = None,
        url: Optional[str] = None,
        classifier: Optional[str] = None,
        **options: Any,
    ) -> None:
        self.render_mode = render_mode
        self._conn = Connection(url, _server_args(classifier))
        try:
            h, arrays = self._conn.request("make", env=env_id, kind="parallel", options=make_options(options))
        except Exception:
            self._conn.close()
            raise
        self.possible_agents = list(h["possibleAgents"])
        self.agents = []
        obs = to_space(h["observationSpace"], arrays)
        act = to_space(h["actionSpace"], arrays)
        self._observation_spaces = {a: obs for a in self.possible_agents}
        self._action_spaces = {a: act for a in self.possible_agents}
        self.observation_spaces = self._observation_spaces
        self.action_spaces = self._action_spaces
        self._closed = False

    def observation_space(self, agent: str) -> spaces.Space:
        """The same object on every call."""
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """The same object on every call."""
        return self._action_spaces[agent]

    def _obs(self, arrays: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        return {a: arrays[f"obs_{a}"].copy() for a in self.possible_agents}

    def reset(
        self, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None
    ) -> Tuple[Dict[str, np.ndarray], Dict[str, Dict[str, Any]]]:
        """Starts an episode; ``seed=None`` continues the server's stream."""
        h, arrays = self._conn.request("reset", seed=None if seed is None else int(seed))
        self.agents = list(h["agents"])
        return self._obs(arrays), h["infos"]

    def step(self, actions: Dict[str, Any]):
        """Both agents move; returns observations, rewards, terminations, truncations, infos."""
        h, arrays = self._conn.request("step", actions={k: action_int(v) for k, v in actions.items()})
        self.agents = list(h["agents"])
        rewards = {k: float(v) for k, v in h["rewards"].items()}
        return self._obs(arrays), rewards, h["terminations"], h["truncations"], h["infos"]

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
