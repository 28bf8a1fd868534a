"""Env-steps/s of the Python client through the env server, for 1 game and a vector of N games,
beside the in-process Deno figures (bench/bridge_bench.ts, run by this script) in one run.

    python python/bench_client.py [--seconds 5] [--num-envs 16]

Run from the repository (the local server is started from it). Observations 12x24x24x1 float32.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import time

import numpy as np

from spars_gym import SparsGymEnv, SparsVectorEnv
from spars_gym.client import deno_command, find_repo


def measure_single(seconds: float, url: str) -> float:
    env = SparsGymEnv(url=url)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        _, _, term, trunc, _ = env.step(int(rng.integers(6)))
        steps += 1
        if term or trunc:
            env.reset()
    rate = steps / (time.perf_counter() - t0)
    env.close()
    return rate


def measure_vector(seconds: float, url: str, n: int) -> float:
    env = SparsVectorEnv(num_envs=n, url=url)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        env.step(rng.integers(0, 6, size=n))
        calls += 1
    rate = calls * n / (time.perf_counter() - t0)
    env.close()
    return rate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=5.0, help="seconds per measurement [5]")
    p.add_argument("--num-envs", type=int, default=16, help="games of the vector env [16]")
    a = p.parse_args()
    repo = find_repo()
    deno = subprocess.run(
        deno_command(repo) + ["run", "--allow-read", "bench/bridge_bench.ts", "--seconds", str(a.seconds),
                              "--num-envs", str(a.num_envs)],
        cwd=repo, capture_output=True, text=True, check=True,
    )
    local = json.loads(deno.stdout.strip().splitlines()[-1])
    from spars_gym.client import LocalServer

    server = LocalServer()
    try:
        single = measure_single(a.seconds, server.url)
        vector = measure_vector(a.seconds, server.url, a.num_envs)
    finally:
        server.stop()
    print(f"{'':28}{'bridge (python)':>18}{'in-process deno':>18}{'ratio':>8}")
    print(f"{'1 game (self-play, random)':28}{single:>14,.0f} /s{local['single']:>14,.0f} /s{single / local['single']:>8.2f}")
    print(f"{f'vector of {a.num_envs} games':28}{vector:>14,.0f} /s{local['vector']:>14,.0f} /s{vector / local['vector']:>8.2f}")
    print("env-steps/s, oracle scorer, phantoms 32x64x64, window 16x32x32, observations 12x24x24x1 float32")


if __name__ == "__main__":
    main()
