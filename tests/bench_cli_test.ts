/** Issue 11: every benchmark task answers --help (and a bad option) instead of crashing. */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { benchHelp, parseBenchArgs } from "../bench/_cli.ts";
import { CLI as CLASSIFIER } from "../bench/classifier_bench.ts";
import { CLI as ONNX } from "../bench/onnx_bench.ts";
import { CLI as PPO } from "../bench/ppo_bench.ts";
import { CLI as TORCH } from "../bench/torch_peer_bench.ts";
import { CLI as GPU } from "../bench/gpu_bench.ts";
import { CLI as MEMORY } from "../bench/memory_bench.ts";
import { CLI as MATMUL } from "../bench/matmul_bench.ts";

const TASKS = {
  "bench:classifier": CLASSIFIER,
  "bench:onnx": ONNX,
  "bench:ppo": PPO,
  "bench:torch": TORCH,
  "bench:gpu": GPU,
  "bench:memory": MEMORY,
  "bench:matmul": MATMUL,
};

Deno.test("bench tasks: --help lists every option with its default; a bad option is a typed error", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  for (const [task, cli] of Object.entries(TASKS)) {
    assert.ok(task in tasks, task);
    assert.match(cli.usage, new RegExp(`^deno task ${task} `));
    assert.equal(parseBenchArgs(["--help"], cli), "help", task);
    const help = benchHelp(cli);
    for (const [name, o] of Object.entries(cli.options)) {
      assert.match(
        help,
        new RegExp(`--${name} +.+ \\[${o.default.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]`),
      );
    }
    assert.match(help, /--help +this text/);
    const defaults = parseBenchArgs([], cli);
    assert.deepEqual(
      defaults,
      Object.fromEntries(Object.entries(cli.options).map(([k, o]) => [k, o.default])),
    );
    assert.throws(() => parseBenchArgs(["--bogus"], cli), InvalidArgumentError);
  }
  assert.deepEqual((parseBenchArgs(["--updates", "2"], PPO) as Record<string, string>).updates, "2");
  // A pass-through value starting with a dash is the option's value, not an ambiguity.
  const bench = {
    usage: "u",
    about: "a",
    options: { train: { default: "", help: "h" }, seeds: { default: "0", help: "h" } },
  };
  assert.deepEqual(parseBenchArgs(["--train", "--total-steps 4096", "--seeds", "1"], bench), {
    train: "--total-steps 4096",
    seeds: "1",
  });
  // A missing value before another own option is still an error.
  assert.throws(() => parseBenchArgs(["--train", "--seeds", "1"], bench), InvalidArgumentError);
});
