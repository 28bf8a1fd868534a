/**
 * The SPARS benchmark: `deno task train` (the whole pipeline: classifier, self-play PPO, evaluation
 * on the test split) for every reward scheme and seed asked for, and one table of the results.
 * Within a seed, the first scheme trains the classifier and the others reuse that checkpoint, so
 * schemes are compared on the same reward model; seeds change the phantoms, the split, the
 * classifier and the policy. Writes `<out>/benchmark.md` and `benchmark.json` (mean and sd over
 * seeds of each method's per-seed mean test Dice, windows scored and steps per case, and the
 * claim checks of issue 10), with one run folder per (scheme, seed) under `<out>/runs/`.
 *
 * ```sh
 * deno task bench:benchmark                                   # the default scheme, 3 seeds
 * deno task bench:benchmark --rewards adversarial,adversarial+score,margin,absolute,novelty --seeds 0
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { REWARD_SCHEMES } from "../env/rewards.ts";
import { parseEvaluationJson } from "../eval/report.ts";
import type { MethodSummary } from "../eval/method_results.ts";
import { runPipeline } from "../train/pipeline.ts";
import { defaultRunDir } from "../train/run_folder.ts";
import { PRESETS } from "../train/train_config.ts";
import { parseTrainArgs, type TrainRequest } from "../train/train_options.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";
import { benchmarkMarkdown, type BenchmarkRun, summarizeBenchmark } from "./benchmark_table.ts";

const CLI: BenchCli = {
  usage: "deno task bench:benchmark [options]",
  about: `
Runs the training pipeline (deno task train) for every reward scheme x seed and tabulates the test
results: each method's mean Dice (over the >= 16 test cases of the default benchmark) as mean +- sd
over seeds, with windows scored and steps per case, and the checks of issue 10 (oracle >= 0.7,
learned >= random + 10 with non-overlapping sd, learned >= greedy, learned >= 0.9 x dense with
<= 10% of its windows). Rows name their supervision level.`,
  options: {
    seeds: { default: "0,1,2", help: "seeds (comma list); each changes phantoms, split, classifier, policy" },
    rewards: {
      default: PRESETS.default.env.reward,
      help: `reward schemes (comma list of ${REWARD_SCHEMES.join(", ")})`,
    },
    out: { default: "", help: "output folder (new) [runs/benchmark-<date>-<time>]" },
    train: {
      default: "",
      help: "extra deno task train options, space-separated (e.g. '--total-steps 4096')",
    },
  },
};

function parseList(flag: string, text: string): string[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new InvalidArgumentError(flag, `is "${text}"`, "a comma-separated list");
  return items;
}

/** The train request of one (scheme, seed); validated before anything runs. */
function request(
  run: string,
  reward: string,
  seed: number,
  extra: string[],
  classifier?: string,
): TrainRequest {
  const args = ["--run", run, "--reward", reward, "--seed", String(seed), "--phantom-seed", String(seed)];
  if (classifier) args.push("--classifier", classifier);
  return parseTrainArgs([...args, ...extra], run);
}

async function main(): Promise<void> {
  const o = benchArgs(CLI);
  const seeds = parseList("--seeds", o.seeds).map((s) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 0) {
      throw new InvalidArgumentError("--seeds", `holds "${s}"`, "integers >= 0");
    }
    return v;
  });
  const rewards = parseList("--rewards", o.rewards);
  for (const r of rewards) {
    if (!REWARD_SCHEMES.includes(r as typeof REWARD_SCHEMES[number])) {
      throw new InvalidArgumentError("--rewards", `holds "${r}"`, REWARD_SCHEMES.join(", "));
    }
  }
  const extra = o.train.split(/\s+/).filter(Boolean);
  const out = o.out || defaultRunDir("runs", "benchmark");
  // Every request is parsed (and so validated) before the first run writes anything.
  for (const r of rewards) for (const s of seeds) request(join(out, "x"), r, s, extra, "c");
  await Deno.mkdir(out, { recursive: false }).catch((e) => {
    throw new InvalidArgumentError(
      "--out",
      `${out} cannot be created (${(e as Error).message})`,
      "a new folder",
    );
  });
  const runs: BenchmarkRun[] = [];
  const started = performance.now();
  for (const seed of seeds) {
    let classifier: string | undefined;
    for (const reward of rewards) {
      const dir = join(out, "runs", `${reward}-seed${seed}`);
      const req = request(dir, reward, seed, extra, classifier);
      if (req.kind !== "train") {
        throw new InvalidArgumentError("--train", "is not a training request", "options");
      }
      console.error(`\n=== benchmark: reward ${reward}, seed ${seed} -> ${dir}`);
      const t0 = performance.now();
      await runPipeline(req.config, { force: false });
      classifier ??= join(dir, "classifier");
      const evalJson = parseEvaluationJson(await Deno.readTextFile(join(dir, "eval", "eval.json"))) as {
        methods: MethodSummary[];
      };
      runs.push({ reward, seed, dir, seconds: (performance.now() - t0) / 1000, methods: evalJson.methods });
      const table = summarizeBenchmark(runs);
      await writeFileAtomic(
        join(out, "benchmark.json"),
        JSON.stringify({ runs: runs.map(({ methods: _, ...r }) => r), table }, null, 1),
      );
      await writeFileAtomic(
        join(out, "benchmark.md"),
        benchmarkMarkdown(table, {
          command: ["deno task bench:benchmark", ...Deno.args].join(" "),
          seconds: (performance.now() - started) / 1000,
        }),
      );
    }
  }
  console.error(`\nbenchmark written: ${join(out, "benchmark.md")}`);
  console.log(await Deno.readTextFile(join(out, "benchmark.md")));
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    if (e instanceof InvalidArgumentError) {
      console.error(`error: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
}
