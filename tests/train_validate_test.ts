/** Issue 11: `deno task train` checks every option before it writes anything. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { PRESETS, type TrainConfig } from "../train/train_config.ts";
import { runTrainCli, type TrainCliIo } from "../train/train_cli.ts";
import { scratchDir } from "./_helpers.ts";

const TINY = [
  ...["--scorer", "oracle", "--phantoms", "8", "--phantom-shape", "16x32x32", "--window", "8x16x16"],
  ...["--observation-shape", "4x8x8", "--num-envs", "2", "--num-steps", "16", "--minibatch-size", "16"],
  ...["--update-epochs", "1", "--total-steps", "32", "--no-eval"],
];

/** [flag, value, what the message must say]. */
const BAD: [string, string, RegExp][] = [
  ["--tau", "2", /--tau: is 2 \(expected a value in \[0, 1\]\)/],
  ["--num-envs", "0", /--num-envs: is 0 \(expected an integer >= 1\)/],
  ["--window", "100x100x100", /--window: is 100x100x100, larger than the volumes \(16x32x32\)/],
  ["--phantom-shape", "4x32x32", /--window: is 8x16x16, larger than the volumes \(4x32x32\)/],
  ["--stride", "0", /--stride: is 0/],
  ["--max-steps", "0", /--max-steps: is 0/],
  ["--gamma", "1.5", /--gamma: is 1\.5/],
  ["--learning-rate", "-1", /--learning-rate: is -1/],
  ["--num-steps", "0", /--num-steps: is 0/],
  ["--latest-ratio", "2", /--latest-ratio: is 2/],
  ["--pool-window", "0", /--pool-window: is 0/],
  ["--total-steps", "0", /--total-steps: is 0/],
  ["--checkpoint-every", "-1", /--checkpoint-every: is -1/],
  ["--keep-checkpoints", "0", /--keep-checkpoints: is 0/],
  ["--classifier-epochs", "0", /--classifier-epochs: is 0/],
  ["--eval-limit", "0", /--eval-limit: is 0/],
  ["--phantoms", "0", /--phantoms: is 0/],
  ["--kernel-size", "0", /--kernel-size: is 0/],
  ["--hidden", "0", /--hidden: is 0/],
  ["--competitor-update-every", "0", /--competitor-update-every: is "?0/],
  ["--policy-runtime", "torch", /--policy-runtime: .*torch/],
];

Deno.test("a bad option is a usage error naming its flag, and nothing is written", async () => {
  const root = await scratchDir("validate");
  for (const [flag, value, message] of BAD) {
    const run = join(root, flag.slice(2));
    const lines: string[] = [];
    const io: TrainCliIo = { out: (t) => lines.push(t), err: (t) => lines.push(t), progress: () => {} };
    assert.equal(await runTrainCli(["--run", run, ...TINY, `${flag}=${value}`], io), 2, `${flag} ${value}`);
    assert.match(lines.join("\n"), message, `${flag} ${value}: ${lines.join("\n")}`);
    assert.deepEqual([...Deno.readDirSync(root)], [], `${flag} ${value}: nothing written`);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("validateTrainConfig: the presets pass; a resumed config is checked with its flag names", async () => {
  const { validateTrainConfig } = await import("../train/train_validate.ts");
  for (const preset of Object.values(PRESETS)) validateTrainConfig({ ...preset, run: "r" } as TrainConfig);
  const bad = { ...PRESETS.default, run: "r", env: { ...PRESETS.default.env, tau: -0.5 } } as TrainConfig;
  assert.throws(
    () => validateTrainConfig(bad),
    (e) => e instanceof InvalidArgumentError && /^--tau:/.test(e.message),
  );
  // A config written before policyRuntime existed passes (it means tfjs); a bad value names its flag.
  const { policyRuntime: _, ...older } = { ...PRESETS.default, run: "r" };
  validateTrainConfig(older as TrainConfig);
  assert.throws(
    () =>
      validateTrainConfig({ ...PRESETS.default, run: "r", policyRuntime: "gpu" } as unknown as TrainConfig),
    (e) => e instanceof InvalidArgumentError && /^--policy-runtime: is "gpu"/.test(e.message),
  );
  // A dataset's volumes (given) bound the window too.
  const folder = { ...PRESETS.default, run: "r", data: { ...PRESETS.default.data, spec: "some/folder" } };
  validateTrainConfig(folder as TrainConfig);
  assert.throws(() => validateTrainConfig(folder as TrainConfig, [8, 64, 64]), /--window: is 12x24x24/);
});
