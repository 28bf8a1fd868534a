"""Scale-out with Ray RLlib: PPO with several env runners, each talking to its OWN env server.

Every env runner (a Ray actor, on this host or any node of a Ray cluster) creates its envs against
one server address from ``--urls`` (runner i uses ``urls[(i - 1) % len(urls)]``), so env stepping
scales with the servers and the runners, and learning with RLlib's learners. Without ``--urls`` it
starts ``--servers`` local servers itself.

    pip install ./python "ray[rllib]" torch
    deno task serve --host 0.0.0.0 --port 8765        # on each env host
    python examples/python/rllib_spars.py --urls ws://hostA:8765,ws://hostB:8765 --iterations 10

Observations are flattened (RLlib's default encoders take vectors and 2D images, not 3D volumes).
Scores come from the ORACLE (voxel labels) on ``SparsGym/Spars-Oracle-v0``.
"""
from __future__ import annotations

import argparse
from typing import Any, Dict, List, Optional

import gymnasium


def make_env(env_config: Dict[str, Any]) -> gymnasium.Env:
    """The RLlib env creator: a flattened SparsGymEnv on this runner's server."""
    from spars_gym import SparsGymEnv

    urls: List[str] = list(env_config["urls"])
    index = int(getattr(env_config, "worker_index", 0) or 0)
    url = urls[(index - 1) % len(urls)] if index > 0 else urls[0]
    return gymnasium.wrappers.FlattenObservation(SparsGymEnv(url=url, **env_config.get("options", {})))


def train(urls: List[str], iterations: int = 1, runners: Optional[int] = None,
          options: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
    """Runs ``iterations`` PPO training iterations with one env runner per url (or ``runners``)."""
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.tune.registry import register_env

    ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    register_env("spars_gym", make_env)
    config = (
        PPOConfig()
        .environment("spars_gym", env_config={"urls": urls, "options": options or {}})
        .env_runners(num_env_runners=runners or len(urls), num_envs_per_env_runner=1,
                     rollout_fragment_length=64)
        .training(train_batch_size_per_learner=64 * (runners or len(urls)), minibatch_size=64, num_epochs=1,
                  lr=3e-4)
        .rl_module(model_config={"fcnet_hiddens": [64, 64]})
    )
    algo = config.build_algo() if hasattr(config, "build_algo") else config.build()
    results = []
    try:
        for i in range(iterations):
            r = algo.train()
            env_steps = r.get("env_runners", {}).get("num_env_steps_sampled_lifetime")
            ret = r.get("env_runners", {}).get("episode_return_mean")
            print(f"iteration {i + 1}/{iterations} env steps {env_steps} return {ret}", flush=True)
            results.append(r)
    finally:
        algo.stop()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--urls", default="", help="comma-separated ws:// addresses of running env servers")
    p.add_argument("--servers", type=int, default=2, help="local servers to start without --urls [2]")
    p.add_argument("--iterations", type=int, default=5)
    a = p.parse_args()
    servers = []
    urls = [u for u in a.urls.split(",") if u]
    if not urls:
        from spars_gym import LocalServer

        servers = [LocalServer() for _ in range(a.servers)]
        urls = [s.url for s in servers]
    try:
        train(urls, a.iterations)
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
