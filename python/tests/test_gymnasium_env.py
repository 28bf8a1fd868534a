"""Gymnasium's own checker and the Env's contract against a live server."""
import os
import time

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import spars_gym
from conftest import SMALL
from spars_gym import EnvStateError, InvalidArgumentError, SparsGymEnv, UnknownEnvError


@pytest.fixture
def env(url):
    e = SparsGymEnv(url=url, render_mode="rgb_array", **SMALL)
    yield e
    e.close()


def test_check_env_passes(url):
    e = gymnasium.make(spars_gym.ORACLE_ENV_ID, url=url, render_mode="rgb_array", **SMALL)
    try:
        check_env(e.unwrapped, skip_render_check=False)
    finally:
        e.close()


def test_gymnasium_make_registered_id(url):
    e = gymnasium.make(spars_gym.ORACLE_ENV_ID, url=url, **SMALL)
    try:
        assert e.spec.id == "SparsGym/Spars-Oracle-v0"
        obs, info = e.reset(seed=None)  # seed None must work
        assert e.observation_space.contains(obs)
        assert isinstance(info, dict) and 0 <= info["score"] <= 1
        obs, r, term, trunc, info = e.step(e.action_space.sample())
        assert obs.shape == (12, 24, 24, 1) and obs.dtype == np.float32
        assert isinstance(r, float) and isinstance(term, bool) and isinstance(trunc, bool)
    finally:
        e.close()


def test_spaces_are_gymnasium_spaces(env):
    assert isinstance(env.observation_space, gymnasium.spaces.Box)
    assert env.observation_space.shape == (12, 24, 24, 1)
    assert env.action_space == gymnasium.spaces.Discrete(6)


def test_seed_gives_same_trajectory(env):
    def run(seed):
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for a in [0, 3, 5, 1, 2, 2, 4]:
            obs, r, term, trunc, info = env.step(a)
            out.append(obs)
            out.append(np.array([r, info["opponentScore"]]))
            if term or trunc:
                break
        return out

    a, b, c = run(7), run(7), run(8)
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_episode_truncates_at_max_steps(env):
    env.reset(seed=1)
    for t in range(SMALL["maxSteps"]):
        _, _, term, trunc, info = env.step(t % 6)
        if term:
            return
    assert trunc and info["step"] == SMALL["maxSteps"]


def test_render_is_rgb_uint8(env):
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.max() > frame.min()


def test_bad_action_raises_typed_error_with_server_message(env):
    env.reset(seed=0)
    with pytest.raises(InvalidArgumentError, match="action"):
        env.step(6)
    with pytest.raises(InvalidArgumentError):
        env.step(1.5)
    env.step(1)  # the session still works


def test_step_before_reset_is_env_state_error(url):
    e = SparsGymEnv(url=url, **SMALL)
    try:
        with pytest.raises(EnvStateError, match="before reset"):
            e.step(0)
    finally:
        e.close()


def test_unknown_env_id(url):
    with pytest.raises(UnknownEnvError, match="SparsGym/Nope-v0"):
        SparsGymEnv(env_id="SparsGym/Nope-v0", url=url)


def test_bad_option_is_invalid_argument(url):
    with pytest.raises(InvalidArgumentError, match="options.windw"):
        SparsGymEnv(url=url, windw=[8, 8, 8])


def test_local_server_started_and_stopped_by_env():
    e = SparsGymEnv(**SMALL)
    proc = e._conn.server.process
    try:
        e.reset(seed=0)
        assert proc.poll() is None
    finally:
        e.close()
    assert proc.poll() is not None
    if os.name == "posix":  # the real deno under any wrapper (npx, node) is gone too
        for _ in range(100):
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the local server's process group outlived close()")
