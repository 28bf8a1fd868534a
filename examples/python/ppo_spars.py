"""CleanRL-style single-file PPO on the SPARS env through the Python client (PyTorch, CPU).

The learner plays side ``a`` of N self-play games stepped in ONE server message per step
(``spars_gym.SparsVectorEnv``, NEXT_STEP autoreset); the server plays side ``b`` (random or greedy).
Progress lines match ``deno task train``'s: steps, steps/s, ETA, update, win rate, mean return,
entropy, approx KL.

    pip install ./python torch
    python examples/python/ppo_spars.py --total-steps 20000 --num-envs 16

Scores come from the ORACLE (voxel labels) on ``SparsGym/Spars-Oracle-v0``: an upper-bound setting.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn as nn

from spars_gym import SparsVectorEnv


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--total-steps", type=int, default=20000, help="env steps in all [20000]")
    p.add_argument("--num-envs", type=int, default=16, help="games stepped together [16]")
    p.add_argument("--num-steps", type=int, default=32, help="rollout length per game [32]")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--minibatches", type=int, default=4)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--opponent", default="random", choices=["random", "greedy"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--url", default=None, help="ws://host:port of a running server (default: start one)")
    return p.parse_args()


def layer(m: nn.Module, std: float = np.sqrt(2)) -> nn.Module:
    nn.init.orthogonal_(m.weight, std)
    nn.init.constant_(m.bias, 0.0)
    return m


class Agent(nn.Module):
    """Conv3d trunk over the (z, y, x, c) window, policy and value heads."""

    def __init__(self, obs_shape, n_actions: int) -> None:
        super().__init__()
        c = obs_shape[-1]
        self.trunk = nn.Sequential(
            layer(nn.Conv3d(c, 8, 3, stride=2, padding=1)), nn.ReLU(),
            layer(nn.Conv3d(8, 16, 3, stride=2, padding=1)), nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            n = self.trunk(torch.zeros(1, c, *obs_shape[:3])).shape[1]
        self.pi = nn.Sequential(layer(nn.Linear(n, 64)), nn.ReLU(), layer(nn.Linear(64, n_actions), 0.01))
        self.v = nn.Sequential(layer(nn.Linear(n, 64)), nn.ReLU(), layer(nn.Linear(64, 1), 1.0))

    def features(self, obs: torch.Tensor) -> torch.Tensor:
        x = torch.clamp((obs + 200.0) / 450.0, 0.0, 1.0)  # liver HU window -200..250 -> [0, 1]
        return self.trunk(x.permute(0, 4, 1, 2, 3))

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.v(self.features(obs)).squeeze(-1)

    def act(self, obs: torch.Tensor, action=None):
        h = self.features(obs)
        dist = torch.distributions.Categorical(logits=self.pi(h))
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action), dist.entropy(), self.v(h).squeeze(-1)


def main() -> None:
    a = parse()
    torch.manual_seed(a.seed)
    envs = SparsVectorEnv(num_envs=a.num_envs, url=a.url, opponent=a.opponent)
    agent = Agent(envs.single_observation_space.shape, int(envs.single_action_space.n))
    opt = torch.optim.Adam(agent.parameters(), lr=a.lr, eps=1e-5)
    n, t_len = a.num_envs, a.num_steps
    obs_buf = torch.zeros((t_len, n, *envs.single_observation_space.shape))
    act_buf, logp_buf, rew_buf, done_buf, val_buf = (torch.zeros((t_len, n)) for _ in range(5))
    valid_buf = torch.zeros((t_len, n))
    batch = n * t_len
    updates = max(1, a.total_steps // batch)
    obs, _ = envs.reset(seed=a.seed)
    obs = torch.as_tensor(obs)
    ended = np.zeros(n, dtype=bool)  # NEXT_STEP: the step after an end is a reset, not a transition
    ep_ret, returns, start, step = np.zeros(n), [], time.time(), 0
    for update in range(1, updates + 1):
        for g in opt.param_groups:
            g["lr"] = a.lr * (1.0 - (update - 1) / updates)
        wins = 0
        for t in range(t_len):
            obs_buf[t] = obs
            valid_buf[t] = torch.as_tensor(~ended, dtype=torch.float32)
            with torch.no_grad():
                action, logp, _, value = agent.act(obs)
            act_buf[t], logp_buf[t], val_buf[t] = action, logp, value
            nxt, rew, term, trunc, _ = envs.step(action.numpy())
            step += int((~ended).sum())
            rew = np.where(ended, 0.0, rew)
            wins += int((rew > 0).sum())
            ep_ret += rew
            done = term | trunc
            for i in np.flatnonzero(done):
                returns.append(ep_ret[i])
                ep_ret[i] = 0.0
            rew_buf[t] = torch.as_tensor(rew, dtype=torch.float32)
            # Truncation bootstraps with V(final obs); termination does not.
            if trunc.any():
                with torch.no_grad():
                    boot = agent.value(torch.as_tensor(nxt)).numpy()
                rew_buf[t] += torch.as_tensor(a.gamma * np.where(trunc & ~term, boot, 0.0), dtype=torch.float32)
            done_buf[t] = torch.as_tensor(done, dtype=torch.float32)
            ended = done
            obs = torch.as_tensor(nxt)
        with torch.no_grad():
            next_v = agent.value(obs)
            adv = torch.zeros_like(rew_buf)
            last = torch.zeros(n)
            for t in reversed(range(t_len)):
                nv = next_v if t == t_len - 1 else val_buf[t + 1]
                nonterminal = 1.0 - done_buf[t]
                delta = rew_buf[t] + a.gamma * nv * nonterminal - val_buf[t]
                last = delta + a.gamma * a.gae_lambda * nonterminal * last
                adv[t] = last * valid_buf[t]
            ret = adv + val_buf
        keep = valid_buf.reshape(-1) > 0
        b_obs = obs_buf.reshape(-1, *obs_buf.shape[2:])[keep]
        b_act, b_logp = act_buf.reshape(-1)[keep], logp_buf.reshape(-1)[keep]
        b_adv, b_ret = adv.reshape(-1)[keep], ret.reshape(-1)[keep]
        size = len(b_act)
        mb = max(1, size // a.minibatches)
        kls, ents = [], []
        for _ in range(a.epochs):
            perm = torch.randperm(size)
            for s in range(0, size, mb):
                i = perm[s : s + mb]
                _, logp, ent, v = agent.act(b_obs[i], b_act[i].long())
                ratio = (logp - b_logp[i]).exp()
                m_adv = (b_adv[i] - b_adv[i].mean()) / (b_adv[i].std() + 1e-8)
                pg = torch.max(-m_adv * ratio, -m_adv * ratio.clamp(1 - a.clip, 1 + a.clip)).mean()
                loss = pg + a.vf_coef * 0.5 * ((v - b_ret[i]) ** 2).mean() - a.ent_coef * ent.mean()
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), a.max_grad_norm)
                opt.step()
                kls.append(((ratio - 1) - (logp - b_logp[i])).mean().item())
                ents.append(ent.mean().item())
        rate = step / (time.time() - start)
        total = updates * batch
        bar = "#" * round(24 * step / total) + "." * (24 - round(24 * step / total))
        eta = (total - step) / rate if rate > 0 else float("nan")
        mean_ret = np.mean(returns[-50:]) if returns else float("nan")
        print(
            f"train [{bar}] {step}/{total} steps  {rate:.1f} steps/s  ETA {eta:.0f}s  update {update}/{updates} "
            f"win {wins / max(1, size):.3f} ret {mean_ret:.3f} ent {np.mean(ents):.3f} kl {np.mean(kls):.4f}",
            flush=True,
        )
    envs.close()


if __name__ == "__main__":
    main()
