"""The patch game and the pixel game through the server: Gymnasium's own checker and their rules."""
import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import spars_gym
from spars_gym import EnvStateError, InvalidArgumentError

PATCH_SMALL = {"phantoms": {"count": 12, "seed": 1, "shape": [1, 32, 32]}, "grid": [1, 4, 4],
               "observationShape": [1, 16, 16]}
PIXEL_SMALL = {"phantoms": {"count": 10, "seed": 1, "shape": [8, 32, 32]}, "tMax": 3}


def test_patch_check_env_passes(url):
    e = gymnasium.make(spars_gym.PATCH_ENV_ID, url=url, render_mode="rgb_array", **PATCH_SMALL)
    try:
        assert e.spec.id == "SparsGym/Patch-Oracle-v0"
        check_env(e.unwrapped, skip_render_check=False)
    finally:
        e.close()


def test_pixel_check_env_passes(url):
    e = gymnasium.make(spars_gym.PIXEL_ENV_ID, url=url, render_mode="rgb_array", **PIXEL_SMALL)
    try:
        assert e.spec.id == "SparsGym/Pixel-Phantom-v0"
        check_env(e.unwrapped, skip_render_check=False)
    finally:
        e.close()


def test_patch_rules(url):
    e = spars_gym.PatchGymEnv(url=url, first="a", **PATCH_SMALL)
    try:
        assert e.observation_space.shape == (1, 16, 16, 2)
        assert e.action_space == gymnasium.spaces.Discrete(17)  # 16 patches + terminate
        obs, info = e.reset(seed=5)
        mask = info["action_mask"]
        assert mask.dtype == np.int8 and mask.shape == (17,) and mask.all()  # nothing taken yet
        assert not obs[..., 1].any()  # no taken patch in the taken-mask channel
        obs, r, term, trunc, info = e.step(3)
        # Patch 3 (and the opponent's reply) are now taken: exactly two patches illegal.
        assert info["action_mask"][3] == 0 and int((info["action_mask"] == 0).sum()) == 2
        assert info["action_mask"][16] == 1  # terminating stays legal
        # The taken channel covers 2 of the 16 patches of the 16x16 observation (4x4 cells each).
        assert int(obs[..., 1].sum()) == 2 * 16
        _, r, term, trunc, info = e.step(3)  # taking a taken patch: refused, penalised, turn kept
        assert info["illegal"] and r < 0 and not term
        _, r, term, _, info = e.step(16)
        assert term and info["terminated_by"] == "a"
    finally:
        e.close()


def test_pixel_rewards_follow_the_labels(url):
    e = spars_gym.PixelGymEnv(url=url, **PIXEL_SMALL)
    try:
        obs, _ = e.reset(seed=2)
        h, w = e.action_space.shape
        assert obs.shape == (h, w, 2) and obs[..., 1].all()  # all-foreground start
        # Set every pixel to background: the reward per pixel is (1 - G)^2 - (0 - G)^2 = 1 - 2G, so
        # the mean reward is 1 - 2 * (tumour share of the slice), computed from the returned map.
        obs, r, term, trunc, info = e.step(np.zeros((h, w), dtype=np.int32))
        truth = (info["reward_map"] < 0).astype(np.float64)  # pixels with G = 1 lost a point
        assert truth.sum() > 0
        assert np.allclose(info["reward_map"], 1 - 2 * truth)
        assert r == pytest.approx(1 - 2 * truth.mean(), abs=1e-6)
        assert not obs[..., 1].any() and not term and not trunc
        e.step(np.ones((h, w), dtype=np.int32))
        _, _, term, trunc, _ = e.step(np.ones((h, w), dtype=np.int32))
        assert trunc and not term  # tMax = 3
        with pytest.raises(EnvStateError):
            e.step(np.ones((h, w), dtype=np.int32))  # after the end: refused, the session goes on
        obs2, _ = e.reset(seed=2)
        assert obs2[..., 1].all()
    finally:
        e.close()


def test_game_bad_options_are_typed_errors(url):
    with pytest.raises(InvalidArgumentError, match="options.window"):
        spars_gym.PixelGymEnv(url=url, window=[1, 2, 3])
    with pytest.raises(InvalidArgumentError, match="kind"):
        from spars_gym.client import Connection
        c = Connection(url)
        try:
            c.request("make", env=spars_gym.PATCH_ENV_ID, kind="vector", options={})
        finally:
            c.close()
    e = spars_gym.PixelGymEnv(url=url, **PIXEL_SMALL)
    try:
        e.reset(seed=0)
        with pytest.raises(InvalidArgumentError, match="action"):
            e.step(np.zeros((3, 3), dtype=np.int32))  # wrong shape
    finally:
        e.close()
