"""Gymnasium envs of the other two games served by the env server (single-agent views).

- ``SparsGym/Patch-Oracle-v0`` (:class:`PatchGymEnv`): the patch game ("Competing for pixels") on 2D
  phantoms. Observation float32 ``(z, y, x, 2)`` (intensity with taken patches zeroed, taken mask);
  action ``Discrete(patches + 1)``: take patch ``k`` (row-major), or the last one, terminate. The
  learner plays side ``a``; the server's opponent (``"random"`` or ``"greedy"``) plays ``b``.
  ``info["action_mask"]`` (int8, 1 = legal) follows Gymnasium's convention. Patch scores come from
  the ORACLE (voxel labels).
- ``SparsGym/Pixel-Phantom-v0`` (:class:`PixelGymEnv`): the pixel game (PixelDRL-MG) on 2D slices
  through phantom tumours. Observation float32 ``(y, x, 2)`` in [0, 1] (image, current mask);
  action an int32 ``(y, x)`` map of per-pixel action indices (``0`` background, ``1`` keep; ``2``
  foreground with ``actions="paper+foreground"``); reward the mean per-pixel reward, which reads the
  VOXEL LABELS (fully supervised); ``info["reward_map"]`` holds the per-pixel rewards. Episodes end
  by truncation after ``tMax`` steps.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import gymnasium as gym
import numpy as np

from ._spaces import action_int, make_options, to_space
from .client import Connection

PATCH_ENV_ID = "SparsGym/Patch-Oracle-v0"
PIXEL_ENV_ID = "SparsGym/Pixel-Phantom-v0"


class _ServedGame(gym.Env):
    """A single-agent env over one server session (``make`` with ``kind="single"``)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, env_id: str, render_mode: Optional[str], url: Optional[str], options: Dict[str, Any]):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode: is {render_mode!r} (expected None or 'rgb_array')")
        self.render_mode = render_mode
        self._conn = Connection(url)
        try:
            h, arrays = self._conn.request("make", env=env_id, kind="single", options=make_options(options))
        except Exception:
            self._conn.close()
            raise
        self.observation_space = to_space(h["observationSpace"], arrays)
        self.action_space = to_space(h["actionSpace"], arrays)
        self.config: Dict[str, Any] = h["config"]
        self._closed = False

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


def _patch_info(h: Dict[str, Any], arrays: Dict[str, np.ndarray]) -> Dict[str, Any]:
    info = dict(h["info"])
    info["action_mask"] = arrays["action_mask"].astype(np.int8)
    return info


class PatchGymEnv(_ServedGame):
    """The patch game's single-agent view (see the module doc).

    Args:
        render_mode: ``None`` or ``"rgb_array"``.
        url: ``ws://host:port`` of a running server; ``None`` starts a local one, stopped by ``close()``.
        opponent: ``"random"`` (reseeded by each seeded reset) or ``"greedy"``.
        **options: ``phantoms={"count", "seed", "shape"}``, ``split``, ``grid``, ``observationShape``,
            ``intensityRange``, ``presenceThreshold``, ``terminationWeight``, ``first``, ``maxSteps``...
            (serve/PROTOCOL.md).
    """

    def __init__(self, render_mode: Optional[str] = None, url: Optional[str] = None,
                 opponent: str = "random", **options: Any) -> None:
        super().__init__(PATCH_ENV_ID, render_mode, url, {"opponent": opponent, **options})

    def reset(self, *, seed: Optional[int] = None,
              options: Optional[Dict[str, Any]] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
        """Starts an episode; ``seed=None`` continues the server's stream."""
        super().reset(seed=seed)
        h, arrays = self._conn.request("reset", seed=None if seed is None else int(seed))
        return arrays["obs"].copy(), _patch_info(h, arrays)

    def step(self, action: Any) -> Tuple[np.ndarray, float, bool, bool, Dict[str, Any]]:
        """The learner takes a patch (or terminates); the opponent replies."""
        h, arrays = self._conn.request("step", action=action_int(action))
        return (arrays["obs"].copy(), float(h["reward"]), bool(h["terminated"]), bool(h["truncated"]),
                _patch_info(h, arrays))


class PixelGymEnv(_ServedGame):
    """The pixel game (see the module doc).

    Args:
        render_mode: ``None`` or ``"rgb_array"``.
        url: ``ws://host:port`` of a running server; ``None`` starts a local one, stopped by ``close()``.
        **options: ``phantoms={"count", "seed", "shape"}``, ``split``, ``tMax``, ``initialMask``
            (``"foreground"`` or ``"background"``), ``actions`` (``"paper"`` or ``"paper+foreground"``).
    """

    def __init__(self, render_mode: Optional[str] = None, url: Optional[str] = None, **options: Any) -> None:
        super().__init__(PIXEL_ENV_ID, render_mode, url, options)

    def reset(self, *, seed: Optional[int] = None,
              options: Optional[Dict[str, Any]] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
        """Starts an episode on a slice drawn by the server's generator (reseeded by ``seed``)."""
        super().reset(seed=seed)
        h, arrays = self._conn.request("reset", seed=None if seed is None else int(seed))
        return arrays["obs"].copy(), dict(h["info"])

    def step(self, action: Any) -> Tuple[np.ndarray, float, bool, bool, Dict[str, Any]]:
        """Every pixel acts; ``action`` is an integer ``(y, x)`` array (sent as int32)."""
        a = np.asarray(action)
        if not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"action: has dtype {a.dtype} (expected integers, shape {self.action_space.shape})")
        h, arrays = self._conn.request("step", arrays={"action": np.ascontiguousarray(a, dtype=np.int32)})
        info = dict(h["info"])
        info["reward_map"] = arrays["reward_map"].copy()
        return arrays["obs"].copy(), float(h["reward"]), bool(h["terminated"]), bool(h["truncated"]), info
