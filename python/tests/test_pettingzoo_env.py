"""PettingZoo's own Parallel API test against a live server."""
import numpy as np
from pettingzoo.test import parallel_api_test

from conftest import SMALL
from spars_gym import SparsParallelEnv


def test_parallel_api_test_passes(url):
    env = SparsParallelEnv(url=url, **SMALL)
    try:
        parallel_api_test(env, num_cycles=200)
    finally:
        env.close()


def test_parallel_seeded_and_agents_end(url):
    env = SparsParallelEnv(url=url, **SMALL)
    try:
        def run():
            obs, _ = env.reset(seed=5)
            seq = [obs["a"], obs["b"]]
            while env.agents:
                obs, rewards, terms, truncs, _ = env.step({"a": 2, "b": 3})
                seq += [obs["a"], obs["b"], np.array([rewards["a"], rewards["b"]])]
                assert rewards["a"] == -rewards["b"] or rewards["a"] == rewards["b"] == 0
            assert any(terms.values()) or all(truncs.values())
            return seq

        a, b = run(), run()
        assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    finally:
        env.close()
