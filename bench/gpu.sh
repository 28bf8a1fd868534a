#!/usr/bin/env bash
# GPU benchmark in one command (issue 16): the webgpu correctness tests, the classifier and
# policies timed on wasm and webgpu, and PPO training with the policy on webgpu beside wasm.
# Run from the repository root on the GPU machine:  bash bench/gpu.sh [--quick]
# Needs a WebGPU adapter (Deno's navigator.gpu over Vulkan/Metal/D3D12). Writes nothing in the repository. Without a
# GPU, Mesa's software Vulkan driver (lavapipe: apt-get install mesa-vulkan-drivers) is an adapter:
# the script then runs end to end (--quick: ~15 min on 2 cores), which checks it, not the GPU's speed.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO=${DENO:-node_modules/.bin/deno}
UPDATES=4 PAPER_UPDATES=24 REPS=5 ROUNDS=3
if [[ "${1:-}" == "--quick" ]]; then UPDATES=2 PAPER_UPDATES=4 REPS=3 ROUNDS=1; fi
# The Vulkan loader complains on every start when this is unset (a headless machine).
[[ -n "${XDG_RUNTIME_DIR:-}" ]] || export XDG_RUNTIME_DIR="$(mktemp -d)"
echo "== machine"; uptime; nproc
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
echo "== webgpu equals cpu (tests/webgpu_test.ts; ignored tests mean no adapter)"
"$DENO" test -A tests/webgpu_test.ts
echo "== classifier and policies: wasm vs webgpu"
"$DENO" run --allow-read --allow-env --allow-sys bench/gpu_bench.ts --backends wasm,webgpu --reps "$REPS"
echo "== PPO training (oracle scorer): policy on webgpu beside wasm"
"$DENO" run --allow-read --allow-env --allow-ffi bench/ppo_bench.ts --scorer oracle --backend webgpu \
  --baseline-backend wasm --updates "$UPDATES" --rounds "$ROUNDS" --paper-updates "$PAPER_UPDATES"
echo "== PPO training (classifier scorer on webgpu): policy on webgpu beside wasm"
"$DENO" run --allow-read --allow-env --allow-ffi bench/ppo_bench.ts --scorer classifier --classifier-backend webgpu --backend webgpu \
  --baseline-backend wasm --updates "$UPDATES" --rounds "$ROUNDS" --paper-updates "$PAPER_UPDATES"
echo "== done"; uptime
