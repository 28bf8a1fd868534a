"""PyTorch CPU peer of the package's classifier and policy networks (run by bench/torch_peer_bench.ts).

Same architectures as models/classifier.ts (4 blocks of Conv3d 3x3x3 no bias, BatchNorm3d, ReLU,
MaxPool3d 2 'same'; global max; dense 256,128,64,32 ReLU; one sigmoid; BCE; Adam) and
agents/policy_network.ts (3 Conv3d kernel 2 stride 2 'same' with bias, ReLU, dense 64 ReLU, a
6-logit head and a value head; PPO clipped loss, global-norm clip 0.5, Adam eps 1e-5).
Times forward (no grad) and one train step at the given batch, medians of `reps` after one
warm-up. Prints one JSON object on stdout. Usage: torch_peer.py '<json config>'.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pad(size, kernel, stride):
    """tfjs/TensorFlow 'same' padding (front, back) of one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Classifier(nn.Module):
    def __init__(self, shape, channels=(8, 16, 32, 64), hidden=(256, 128, 64, 32)):
        super().__init__()
        blocks, c = [], 1
        for out in channels:
            blocks += [nn.Conv3d(c, out, 3, padding=1, bias=False), nn.BatchNorm3d(out, momentum=0.1),
                       nn.ReLU(), nn.MaxPool3d(2, ceil_mode=True)]
            c = out
        self.trunk = nn.Sequential(*blocks)
        layers, width = [], c
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.head = nn.Sequential(*layers)

    def forward(self, x):
        h = self.trunk(x)
        h = torch.amax(h, dim=(2, 3, 4))  # the global max head
        return torch.sigmoid(self.head(h))


class Policy(nn.Module):
    def __init__(self, shape, in_channels, conv=(8, 16, 32), hidden=64, actions=6):
        super().__init__()
        self.pads, self.convs, c, s = [], nn.ModuleList(), in_channels, list(shape)
        for out in conv:
            pad = [same_pad(n, 2, 2) for n in s]
            self.pads.append((pad[2][0], pad[2][1], pad[1][0], pad[1][1], pad[0][0], pad[0][1]))
            self.convs.append(nn.Conv3d(c, out, 2, stride=2))
            s = [-(-n // 2) for n in s]
            c = out
        self.hidden = nn.Linear(c * s[0] * s[1] * s[2], hidden)
        self.pi = nn.Linear(hidden, actions)
        self.v = nn.Linear(hidden, 1)

    def forward(self, x):
        for pad, conv in zip(self.pads, self.convs):
            x = F.relu(conv(F.pad(x, pad) if any(pad) else x))
        h = F.relu(self.hidden(torch.flatten(x, 1)))
        return self.pi(h), self.v(h).squeeze(1)


WARMUP_CALLS = 10
WARMUP_SECONDS = 1.0


def timed(f, reps):
    """Median seconds of `reps` calls after a warm-up of >= 10 calls and >= 1 s (as the Deno side)."""
    start, calls = time.perf_counter(), 0
    while calls < WARMUP_CALLS or time.perf_counter() - start < WARMUP_SECONDS:
        f()
        calls += 1
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_classifier(shape, batch, reps):
    torch.manual_seed(0)
    model = Classifier(shape)
    x = torch.rand(batch, 1, *shape)
    y = torch.tensor([[i % 2] for i in range(batch)], dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def forward():
        model.eval()
        with torch.no_grad():
            model(x)

    def train():
        model.train()
        opt.zero_grad()
        loss = F.binary_cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return {"forward": timed(forward, reps), "train": timed(train, reps)}


def bench_policy(shape, channels, batch, reps):
    torch.manual_seed(0)
    model = Policy(shape, channels)
    x = torch.rand(batch, channels, *shape)
    actions = torch.arange(batch) % 6
    old_log_probs = torch.full((batch,), -1.79)
    advantages = torch.linspace(-1, 1, batch)
    returns = torch.linspace(1, -1, batch)
    old_values = torch.zeros(batch)
    opt = torch.optim.Adam(model.parameters(), lr=3e-4, eps=1e-5)

    def forward():
        with torch.no_grad():
            logits, _ = model(x)
            torch.log_softmax(logits, 1)

    def train():
        opt.zero_grad()
        logits, values = model(x)
        log_all = torch.log_softmax(logits, 1)
        log_probs = log_all.gather(1, actions[:, None]).squeeze(1)
        ratio = torch.exp(log_probs - old_log_probs)
        adv = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        policy_loss = torch.max(-adv * ratio, -adv * torch.clamp(ratio, 0.8, 1.2)).mean()
        clipped = old_values + torch.clamp(values - old_values, -0.2, 0.2)
        value_loss = 0.5 * torch.max((values - returns) ** 2, (clipped - returns) ** 2).mean()
        entropy = -(log_all.exp() * log_all).sum(1).mean()
        loss = policy_loss - 0.01 * entropy + 0.5 * value_loss
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()

    return {"forward": timed(forward, reps), "train": timed(train, reps)}


def main():
    config = json.loads(sys.argv[1])
    torch.set_num_threads(config["threads"])
    torch.set_num_interop_threads(1)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "classifier": bench_classifier(config["classifier"], config["batch"], config["reps"]),
           "policies": [bench_policy(p["shape"], p["channels"], config["batch"], config["reps"])
                        for p in config["policies"]]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
