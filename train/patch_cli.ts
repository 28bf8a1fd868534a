/**
 * `deno task train:patch`: self-play PPO on the patch game ("Competing for pixels") over several
 * seeds on the embedded 2D phantoms, then the test-split table (learned vs random vs greedy, Dice
 * mean and sd over seeds). Writes `runs/patch-<date>-<time>/` (or `--run DIR`): `config.json`,
 * `metrics.jsonl` (one line per update and seed), `policy-seed<k>.bin`, `eval.json`, `eval.md`.
 *
 * With `--scorer classifier`, also `classifier-seed<k>/` (the patch classifier's checkpoint, its
 * supervision "crops labelled from voxel masks"). Every row of `eval.md` names its supervision.
 *
 * Options (`train/patch_cli_options.ts`, `--help`): seeds, updates, envs, cases, grid, observation,
 * network, scorer (oracle default, or classifier), presence threshold, rules (`--paper-rules`),
 * mirroring, backend (default wasm: the package's conv3d kernels, ~10x the cpu backend here), run
 * folder, and the classifier's hyper-parameters (`--classifier-*`).
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { writeWeightsFile } from "../agents/snapshot.ts";
import { initBackend } from "../models/backend.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { HELP, parsePatchArgs } from "./patch_cli_options.ts";
import { trainPatch } from "./patch_train.ts";
import { dataNotes } from "../eval/run_config.ts";
import { type PatchSeedRow, patchSeedRow, patchSeedTable, patchTableMarkdown } from "../eval/patch_eval.ts";
import { createRunFolder, defaultRunDir, writeJsonAtomic } from "./run_folder.ts";

export { parsePatchArgs, type PatchCliArgs } from "./patch_cli_options.ts";

const fmt = (v: number) => Number.isNaN(v) ? "n/a" : v.toFixed(3);

/** One seed's rows and timings. */
interface SeedResult {
  seed: number;
  rows: PatchSeedRow[];
  seconds: number;
  classifier?: { seconds: number; bestEpoch: number; validationAuc: number; trainPatches: unknown };
}

/**
 * Runs `train:patch` on `argv` (see the module doc).
 * @returns the exit code: 0 done, 2 a bad option (named on stderr, nothing written)
 */
export async function runPatchCli(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parsePatchArgs(argv);
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    console.error(`error: ${e.message}`);
    return 2;
  }
  if (args === "help") {
    console.log(HELP);
    return 0;
  }
  const info = await initBackend(args.backend);
  console.log(`tfjs backend: ${info.name} (${info.details})`);
  const dir = args.run ?? defaultRunDir("runs", "patch");
  const { classifier: k, ...rest } = args.config;
  const folder = await createRunFolder(dir, {
    command: "train:patch",
    seeds: args.seeds,
    backend: args.backend,
    ...rest,
    ...(args.config.scorer === "classifier" ? { classifier: k } : {}),
  });
  const perSeed: SeedResult[] = [];
  for (const seed of args.seeds) {
    const r = await trainPatch({ ...args.config, seed }, async (line) => {
      await Deno.writeTextFile(folder.metricsPath, JSON.stringify({ seed, ...line }) + "\n", {
        append: true,
      });
      if (line.update % 10 === 0 || line.update === 1) {
        console.log(
          `seed ${seed} update ${line.update}: return ${fmt(line.meanReturn)} length ${
            fmt(line.meanLength)
          } entropy ${fmt(line.entropy)} picks above threshold ${fmt(line.hitShare)} terminate share ${
            fmt(line.terminateShare)
          }`,
        );
      }
    }, (line) => console.log(`seed ${seed} ${line}`));
    await writeWeightsFile(join(dir, `policy-seed${seed}.bin`), await r.network.getWeights(), {
      seed,
      grid: args.config.grid,
      network: args.config.network,
      observationShape: args.config.observationShape,
      observeScores: args.config.observeScores,
      scorer: args.config.scorer,
    });
    r.network.dispose();
    const c = r.classifier;
    if (c) {
      await saveClassifier(c.model, join(dir, `classifier-seed${seed}`), {
        intensityWindow: args.config.intensityRange,
        architecture: c.architecture,
        supervision: c.scorer.supervision,
        training: { patches: c.samples, config: args.config.classifier, epochs: c.history.epochs },
      });
      c.scorer.dispose();
    }
    perSeed.push({
      seed,
      rows: r.rows.map((row) => patchSeedRow(row, row.supervision)),
      seconds: r.seconds,
      ...(c
        ? {
          classifier: {
            seconds: c.seconds,
            bestEpoch: c.history.bestEpoch,
            validationAuc: c.history.epochs[c.history.bestEpoch - 1]?.validation.auc ?? NaN,
            trainPatches: c.samples.train,
          },
        }
        : {}),
    });
    console.log(
      `seed ${seed}: ${r.rows.map((x) => `${x.player} ${fmt(x.dice)}`).join(", ")} (${
        r.seconds.toFixed(0)
      } s)`,
    );
  }
  const table = patchSeedTable(perSeed);
  const cfg = args.config, first = perSeed[0].rows[0];
  const scorer = cfg.scorer === "oracle"
    ? "oracle (share of tumour voxels in the patch, read from the voxel labels)"
    : `presence classifier (input ${cfg.classifier.inputShape.join("x")}, kernels of depth 1; trained on ` +
      `the training split's patches, crops labelled from voxel masks: positive from ${cfg.classifier.positiveShare} ` +
      `tumour share, ambiguous patches dropped)`;
  await writeJsonAtomic(join(dir, "eval.json"), { scorer: cfg.scorer, seeds: args.seeds, table, perSeed });
  const md = [
    `# Patch game: test split, ${args.seeds.length} seed(s), scorer: ${cfg.scorer}`,
    "",
    `Data: ${
      cfg.data === null
        ? `${cfg.cases} seeded 2D phantoms of ${cfg.shape.join("x")}, split 70/15/15 by phantom`
        : `${cfg.data}, 2D slices resampled to ${cfg.shape.join("x")}, split 70/15/15 by patient`
    }; intensities ${cfg.intensityRange.join("..")} mapped to [0, 1].${
      cfg.data === null ? "" : ` ${dataNotes(cfg.data).join(" ")}`
    }`,
    "",
    `Scorer: ${scorer}; presence threshold ${cfg.presenceThreshold}. Network ${cfg.network}, observation ${
      cfg.observationShape.join("x")
    }${
      cfg.observeScores ? " with the score channel (the learned agents see every untaken patch's score)" : ""
    }, grid ${cfg.grid.join("x")}, ${cfg.updates} PPO updates x ${cfg.envs} games x ${
      cfg.ppo.numSteps ?? 32
    } steps${
      cfg.imitateSteps ? ` after ${cfg.imitateSteps} steps imitating the greedy player` : ""
    } (learning rate ${cfg.ppo.learningRate ?? "default"}, entropy coefficient ${
      cfg.ppo.entCoef ?? "default"
    }), PFSP pool. Rules: termination weight ${cfg.terminationWeight}, early termination ` +
    `penalty ${cfg.earlyTerminationPenalty}, learner reward scale ${cfg.rewardScale}. ` +
    `Dice over the ${first.positives + first.negatives} test cases (${first.positives} with tumour${
      cfg.mirror ? "; each test image in its 4 mirror variants" : ""
    }; mean over seeds, sd across seeds).`,
    "",
    ...patchTableMarkdown(table),
    "",
    `Wall time: ${
      perSeed.map((s) =>
        `seed ${s.seed} ${s.seconds.toFixed(0)} s${
          s.classifier
            ? ` (classifier ${s.classifier.seconds.toFixed(0)} s, validation AUC ${
              fmt(s.classifier.validationAuc)
            })`
            : ""
        }`
      ).join(", ")
    }.`,
    "",
  ].join("\n");
  await writeFileAtomic(join(dir, "eval.md"), md);
  console.log(md);
  console.log(`run folder: ${dir}`);
  return 0;
}

if (import.meta.main) Deno.exit(await runPatchCli(Deno.args));
