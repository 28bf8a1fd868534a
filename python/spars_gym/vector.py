"""A Gymnasium ``VectorEnv`` of N self-play games stepped by ONE server message per step.

Autoreset mode NEXT_STEP (as the Deno ``VectorEnv``): the step after a game ended ignores its
action, resets it and returns reward 0 with both flags false.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from ._spaces import make_options, to_space
from .client import Connection
from .env import ORACLE_ENV_ID, _server_args


class SparsVectorEnv(gym.vector.VectorEnv):
    """N games of the self-play view; arguments as :class:`spars_gym.env.SparsGymEnv` plus ``num_envs``."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 16,
        env_id: str = ORACLE_ENV_ID,
        url: Optional[str] = None,
        classifier: Optional[str] = None,
        opponent: str = "random",
        render_mode: Optional[str] = None,
        **options: Any,
    ) -> None:
        self._conn = Connection(url, _server_args(classifier))
        try:
            h, arrays = self._conn.request(
                "make",
                env=env_id,
                kind="vector",
                options=make_options({"numEnvs": int(num_envs), "opponent": opponent, **options}),
            )
        except Exception:
            self._conn.close()
            raise
        self.num_envs = int(h["numEnvs"])
        self.render_mode = None
        self.single_observation_space = to_space(h["observationSpace"], arrays)
        self.single_action_space = to_space(h["actionSpace"], arrays)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.config: Dict[str, Any] = h["config"]
        self._closed = False

    def _infos(self, columns: Dict[str, List[Any]]) -> Dict[str, Any]:
        infos: Dict[str, Any] = {}
        for k, v in columns.items():
            infos[k] = np.array(v, dtype=object if k == "caseId" else None)
            infos[f"_{k}"] = np.ones(self.num_envs, dtype=bool)
        return infos

    def reset(
        self, *, seed: Optional[Union[int, Sequence[Optional[int]]]] = None, options: Optional[Dict[str, Any]] = None
    ) -> Tuple[np.ndarray, Dict[str, Any]]:
        """Resets every game: one seed (game i gets a seed derived from it), one per game, or None."""
        if seed is not None and not isinstance(seed, (int, np.integer)):
            seed = [None if s is None else int(s) for s in seed]
        elif seed is not None:
            seed = int(seed)
        if seed is not None:
            self._np_random, self._np_random_seed = gym.utils.seeding.np_random(
                seed if isinstance(seed, int) else (seed[0] or 0)
            )
        h, arrays = self._conn.request("reset", seed=seed)
        return arrays["obs"].copy(), self._infos(h["infos"])

    def step(self, actions: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Dict[str, Any]]:
        """Steps every game with ``actions`` (N moves 0..5)."""
        a = np.asarray(actions)
        if not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"actions: dtype {a.dtype} (expected integers 0..5)")
        h, arrays = self._conn.request("step", arrays={"actions": a.astype("<i4").reshape(-1)})
        return (
            arrays["obs"],  # a fresh buffer per message: no copy needed
            arrays["rewards"].astype(np.float64),
            arrays["terminations"].astype(bool),
            arrays["truncations"].astype(bool),
            {**self._infos(h["infos"]), "autoreset": arrays["autoreset"].astype(bool)},
        )

    def close_extras(self, **kwargs: Any) -> None:
        """Ends the session (and the local server it started)."""
        if not getattr(self, "_closed", True):
            self._closed = True
            self._conn.close()
