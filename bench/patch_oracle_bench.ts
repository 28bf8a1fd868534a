/**
 * Patch game with the ORACLE scorer (voxel labels: an upper-bound setting) on the embedded 2D
 * phantoms' test split (the split of `train:patch`): Dice of the greedy fixed-threshold player and
 * of the random legal player, per grid size, side by side, with the wall time of each row.
 * `deno run --allow-read bench/patch_oracle_bench.ts [--cases 106] [--threshold 0.3]`
 *
 * @module
 */
import { OracleScorer } from "../env/oracle_scorer.ts";
import { GreedyPatchAgent, RandomPatchAgent } from "../env/patch/agents.ts";
import { PatchEnv } from "../env/patch/patch_env.ts";
import { evaluatePatchPlayers } from "../eval/patch_eval.ts";
import { DEFAULT_PATCH_TRAIN_CONFIG, patchData } from "../train/patch_train.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";

const CLI: BenchCli = {
  usage: "deno run --allow-read bench/patch_oracle_bench.ts [options]",
  about:
    "Greedy and random players of the patch game with the oracle scorer, per grid, on the 2D phantom test split.",
  options: {
    cases: {
      default: String(DEFAULT_PATCH_TRAIN_CONFIG.cases),
      help: "phantoms in the dataset (split 70/15/15; the default is train:patch's)",
    },
    threshold: { default: "0.3", help: "presence threshold (greedy stops when no patch scores above)" },
  },
};

if (import.meta.main) {
  const args = benchArgs(CLI);
  const config = { ...DEFAULT_PATCH_TRAIN_CONFIG, cases: Number(args.cases) };
  const { test, all } = patchData(config);
  const scorer = new OracleScorer(all, { target: 2 });
  console.log(
    `test split: ${test.length} cases of ${
      config.shape.join("x")
    }; oracle(target=2); threshold ${args.threshold}`,
  );
  console.log("| grid | greedy Dice (sd over cases) | random Dice | greedy moves | ms |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const grid of [[1, 4, 4], [1, 8, 8], [1, 16, 16]] as const) {
    const t0 = performance.now();
    const env = new PatchEnv({ scorer, grid, presenceThreshold: Number(args.threshold) });
    const [g, r] = await evaluatePatchPlayers(env, [new GreedyPatchAgent(), new RandomPatchAgent(0)], test);
    console.log(
      `| ${grid.join("x")} | ${g.dice.toFixed(3)} (${g.diceSd.toFixed(3)}) | ${r.dice.toFixed(3)} | ${
        g.meanSteps.toFixed(1)
      } | ${(performance.now() - t0).toFixed(0)} |`,
    );
  }
}
