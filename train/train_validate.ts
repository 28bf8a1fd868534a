/**
 * Validation of a whole {@link TrainConfig} before `deno task train` writes anything: every range
 * the game, PPO and the opponent pool check themselves (`resolveConfig`, `resolvePpoOptions`,
 * `resolvePoolOptions`, run here rather than minutes later), the run's own ranges (games, steps,
 * checkpoints, classifier epochs, network sizes), and the window against the data's volume shape.
 * A bad value is a {@link UsageError} naming the CLI flag that sets it (for a resumed run the value
 * may come from its `config.json`; the flag is named all the same).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { checkIntensityOptions } from "../data/intensity_options.ts";
import { checkFoldSpec } from "../data/split.ts";
import type { Vec3 } from "../data/types.ts";
import { resolveConfig } from "../env/config.ts";
import { resolvePoolOptions } from "../agents/opponent_pool.ts";
import { resolvePpoOptions } from "../agents/ppo.ts";
import { SCORER_RUNTIMES, type TrainConfig } from "./train_config.ts";
import { OPTION_SPECS, UsageError } from "./train_options.ts";
import { intensityOf, openTrainData } from "./train_data.ts";

/** The CLI flag that sets the config value at `path` (e.g. `env.tau` -> `--tau`), else the path. */
export function flagOf(path: string): string {
  const spec = OPTION_SPECS.find((s) => s.name !== "#" && s.path === path);
  return spec ? `--${spec.name}` : path;
}

/** Re-raises a library's InvalidArgumentError about option `section.<source>` as a UsageError. */
function asUsage(e: unknown, section: string): never {
  if (!(e instanceof InvalidArgumentError)) throw e;
  const tail = ` (expected ${e.expected})`;
  const problem = e.message.slice(e.source.length + 2, e.message.length - tail.length);
  const source = e.source.startsWith("--") ? e.source : flagOf(section ? `${section}.${e.source}` : e.source);
  throw new UsageError(source, problem, e.expected);
}

const isInt = (v: unknown, min: number): boolean => Number.isInteger(v) && (v as number) >= min;

/** The run's own ranges: [config path, ok, expected]. */
function runChecks(c: TrainConfig): [string, unknown, boolean, string][] {
  const every = c.selfPlay.competitorUpdateEvery as unknown;
  const target = c.data.target;
  return [
    ["numEnvs", c.numEnvs, isInt(c.numEnvs, 1), "an integer >= 1"],
    ["totalSteps", c.totalSteps, isInt(c.totalSteps, 1), "an integer >= 1"],
    [
      "checkpointEvery",
      c.checkpointEvery,
      isInt(c.checkpointEvery, 0),
      "an integer >= 0 (0: only at the end)",
    ],
    ["keepCheckpoints", c.keepCheckpoints, isInt(c.keepCheckpoints, 1), "an integer >= 1"],
    ["evalLimit", c.evalLimit, c.evalLimit === null || isInt(c.evalLimit, 1), "an integer >= 1"],
    ["seed", c.seed, Number.isSafeInteger(c.seed), "an integer"],
    [
      "policyRuntime",
      c.policyRuntime,
      c.policyRuntime === undefined || SCORER_RUNTIMES.includes(c.policyRuntime),
      SCORER_RUNTIMES.join(" or "),
    ],
    ["classifier.epochs", c.classifier.epochs, isInt(c.classifier.epochs, 1), "an integer >= 1"],
    ["data.count", c.data.count, c.data.spec !== "phantoms" || isInt(c.data.count, 1), "an integer >= 1"],
    [
      "data.target",
      target,
      target === null || (target.length > 0 && target.every((t) => isInt(t, 1) && t <= 255)),
      "label values from 1 to 255",
    ],
    ["network.kernelSize", c.network.kernelSize, isInt(c.network.kernelSize, 1), "an integer >= 1"],
    ["network.hiddenUnits", c.network.hiddenUnits, isInt(c.network.hiddenUnits, 1), "an integer >= 1"],
    [
      "network.convChannels",
      c.network.convChannels,
      c.network.convChannels.length > 0 && c.network.convChannels.every((n) => isInt(n, 1)),
      "integers >= 1",
    ],
    ["selfPlay.competitorUpdateEvery", every, every === "auto" || isInt(every, 1), "an integer >= 1"],
  ];
}

/**
 * Checks every option of `config` (see the module doc).
 * @param config the run's configuration
 * @param volumeShape the shape (z,y,x) of the data's volumes, which the window must fit in
 *   (default: the phantom shape when the data are phantoms; unchecked otherwise)
 * @throws {UsageError} naming the CLI flag of the first bad value and what was expected
 */
export function validateTrainConfig(config: TrainConfig, volumeShape?: Vec3): void {
  try {
    resolveConfig(config.env);
  } catch (e) {
    asUsage(e, "env");
  }
  try {
    resolvePpoOptions(config.ppo);
  } catch (e) {
    asUsage(e, "ppo");
  }
  try {
    resolvePoolOptions(config.selfPlay.pool);
  } catch (e) {
    asUsage(e, "selfPlay.pool");
  }
  for (const [path, value, ok, expected] of runChecks(config)) {
    if (!ok) throw new UsageError(flagOf(path), `is ${JSON.stringify(value)}`, expected);
  }
  try {
    checkIntensityOptions(intensityOf(config), "data.intensity");
    if (config.data.folds) checkFoldSpec(config.data.folds, "--fold");
  } catch (e) {
    asUsage(e, "");
  }
  if (config.data.spec === "phantoms" && (config.data.folds || config.data.channels)) {
    throw new UsageError(
      config.data.folds ? "--fold" : "--channels",
      "is given with --data phantoms",
      "a dataset folder (phantoms use --split and one channel)",
    );
  }
  const shape = volumeShape ?? (config.data.spec === "phantoms" ? config.data.shape : undefined);
  const w = config.env.window;
  if (shape && w.some((n, i) => n > shape[i])) {
    throw new UsageError(
      "--window",
      `is ${w.join("x")}, larger than the volumes (${shape.join("x")}) on some axis`,
      `a window that fits in ${shape.join("x")} (z,y,x)${
        config.data.spec === "phantoms" ? ", or a larger --phantom-shape" : ""
      }`,
    );
  }
}

/**
 * The volume shape the window must fit in: the phantom shape, or the shape of the first training
 * case of a dataset folder (loaded once; the env checks the other cases when it plays them).
 * @throws the dataset's errors (a missing or malformed folder) before anything is written
 */
export async function dataVolumeShape(config: TrainConfig): Promise<Vec3 | undefined> {
  const d = config.data;
  if (d.spec === "phantoms") return d.shape;
  const dataset = await openTrainData(config);
  const train = dataset.split("train");
  const first = train.refs[0];
  if (!first) return undefined;
  return (await train.load(first)).image.shape;
}
