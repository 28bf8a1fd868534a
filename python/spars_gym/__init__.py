"""SPARS Gym for Python: Gymnasium, PettingZoo and vector envs served by the Deno env server.

``import spars_gym`` registers ``SparsGym/Spars-Oracle-v0``, ``SparsGym/Spars-Classifier-v0``,
``SparsGym/Patch-Oracle-v0`` (the patch game) and ``SparsGym/Pixel-Phantom-v0`` (the pixel game)
with Gymnasium, so ``gymnasium.make("SparsGym/Spars-Oracle-v0")`` works.
"""
from __future__ import annotations

import gymnasium

from .client import Connection, LocalServer
from .env import CLASSIFIER_ENV_ID, ORACLE_ENV_ID, SparsGymEnv
from .errors import (
    EnvStateError,
    InvalidArgumentError,
    ProtocolError,
    ServerStartError,
    SparsGymError,
    UnknownEnvError,
)
from .games import PATCH_ENV_ID, PIXEL_ENV_ID, PatchGymEnv, PixelGymEnv
from .parallel import SparsParallelEnv
from .vector import SparsVectorEnv

__all__ = [
    "CLASSIFIER_ENV_ID", "ORACLE_ENV_ID", "Connection", "EnvStateError", "InvalidArgumentError",
    "LocalServer", "PATCH_ENV_ID", "PIXEL_ENV_ID", "PatchGymEnv", "PixelGymEnv", "ProtocolError", "ServerStartError", "SparsGymEnv", "SparsGymError",
    "SparsParallelEnv", "SparsVectorEnv", "UnknownEnvError", "parallel_env",
]


def parallel_env(**kwargs) -> SparsParallelEnv:
    """The PettingZoo parallel env (PettingZoo's ``parallel_env()`` convention)."""
    return SparsParallelEnv(**kwargs)


for _id in (ORACLE_ENV_ID, CLASSIFIER_ENV_ID):
    if _id not in gymnasium.registry:
        gymnasium.register(
            id=_id,
            entry_point="spars_gym.env:SparsGymEnv",
            vector_entry_point="spars_gym.vector:SparsVectorEnv",
            kwargs={"env_id": _id},
        )

for _id, _entry in ((PATCH_ENV_ID, "spars_gym.games:PatchGymEnv"), (PIXEL_ENV_ID, "spars_gym.games:PixelGymEnv")):
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point=_entry)
