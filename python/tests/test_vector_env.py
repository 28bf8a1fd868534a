"""The vector env: shapes, NEXT_STEP autoreset, seeding, bad actions."""
import gymnasium
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from conftest import SMALL
from spars_gym import InvalidArgumentError, SparsVectorEnv


@pytest.fixture
def venv(url):
    e = SparsVectorEnv(num_envs=5, url=url, **SMALL)
    yield e
    e.close()


def test_shapes_and_spaces(venv):
    assert venv.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, infos = venv.reset(seed=0)
    assert obs.shape == (5, 12, 24, 24, 1) and obs.dtype == np.float32
    assert venv.observation_space.contains(obs)
    assert infos["score"].shape == (5,) and infos["_score"].all()
    obs, rew, term, trunc, infos = venv.step(venv.action_space.sample())
    assert obs.shape == (5, 12, 24, 24, 1)
    assert rew.shape == term.shape == trunc.shape == (5,)
    assert term.dtype == bool and trunc.dtype == bool


def test_next_step_autoreset(venv):
    venv.reset(seed=1)
    ended = np.zeros(5, dtype=bool)
    for _ in range(SMALL["maxSteps"]):
        _, _, term, trunc, _ = venv.step(np.zeros(5, dtype=np.int64))
        ended = term | trunc
        if ended.any():
            break
    assert ended.any()
    _, rew, term, trunc, infos = venv.step(np.zeros(5, dtype=np.int64))
    assert (infos["autoreset"] == ended).all()
    assert (rew[ended] == 0).all() and not term[ended].any() and not trunc[ended].any()
    assert (infos["step"][ended] == 0).all()


def test_seeding_matches(venv):
    actions = [np.array([i % 6, 1, 2, 3, 4]) for i in range(6)]

    def run(seed):
        out = [venv.reset(seed=seed)[0]]
        for a in actions:
            out.append(venv.step(a)[0])
        return out

    a, b = run(11), run(11)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_bad_actions(venv):
    venv.reset(seed=0)
    with pytest.raises(InvalidArgumentError, match="actions"):
        venv.step(np.zeros(4, dtype=np.int64))
    with pytest.raises(InvalidArgumentError, match=r"actions\.a\[2\]"):
        venv.step(np.array([0, 0, 9, 0, 0]))
    venv.step(np.zeros(5, dtype=np.int64))


def test_make_vec_via_registry(url):
    v = gymnasium.make_vec("SparsGym/Spars-Oracle-v0", num_envs=3, vectorization_mode="vector_entry_point",
                           url=url, **SMALL)
    try:
        obs, _ = v.reset(seed=None)
        assert obs.shape == (3, 12, 24, 24, 1)
    finally:
        v.close()
