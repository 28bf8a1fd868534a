/**
 * `SparsGym/Spars-Phantom-v0`: the default phantom benchmark (as `SparsGym/Spars-Oracle-v0`: 72
 * phantoms 48x96x96, window 12x24x24, random starts, 32 steps) scored by the classifier checkpoint
 * shipped in this package (`tasks/checkpoints/spars-phantom-v0/`), so that
 * `make("SparsGym/Spars-Phantom-v0")` works offline with no argument and no training.
 *
 * The checkpoint is trained by `scripts/train_shipped_classifier.ts` on the task's train split
 * from crops placed and labelled from the voxel masks: supervision level "crops labelled from voxel
 * masks" (recorded in its `classifier.json` and exposed as the scorer's `supervision`), not
 * image-level. Its weights' SHA-256 is part of the task id: {@link makePhantomTask} refuses a
 * shipped checkpoint whose hash differs, so retraining it means a new version of the id.
 * The classifier runs on tfjs (loaded only when the task is made) on the backend already set, else
 * tfjs' default (cpu here); `checkpoint` replaces it with another one (no hash check then).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { InvalidArgumentError } from "../data/errors.ts";
import { register } from "../env/registry.ts";
import type { SelfPlayEnv } from "../env/self_play_env.ts";
import { DEFAULT_TASK_OPTIONS, makeClassifierTask, type SparsTaskOptions } from "./spars_tasks.ts";

/** The shipped checkpoint's folder, relative to the package root (where the training script writes). */
export const SHIPPED_CLASSIFIER_DIR = "tasks/checkpoints/spars-phantom-v0";

/** The script that trains the shipped checkpoint (recorded in its `classifier.json` as `training.script`). */
export const SHIPPED_CLASSIFIER_SCRIPT = "scripts/train_shipped_classifier.ts";

/** SHA-256 (hex) of the shipped checkpoint's `weights.bin`: fixed by the task id's version. */
export const SHIPPED_CLASSIFIER_SHA256 = "6ac8ccd588c470aa6783e37b541eb8351986ed4261f84951b6764dd96f8714bc";

/** The id of the task. */
export const PHANTOM_TASK_ID = "SparsGym/Spars-Phantom-v0";

/**
 * The shipped checkpoint's folder as a local path.
 * @throws {InvalidArgumentError} naming `checkpoint` when the package is not a local copy (e.g.
 *   imported over https), where the checkpoint's files cannot be read as files
 */
export function shippedClassifierPath(): string {
  const url = new URL("./checkpoints/spars-phantom-v0", import.meta.url);
  if (url.protocol !== "file:") {
    throw new InvalidArgumentError(
      "checkpoint",
      `the shipped checkpoint is at ${url.href}, not a local file`,
      "a local copy of the package, or make(id, { checkpoint: '<folder>' })",
    );
  }
  return fileURLToPath(url);
}

/**
 * Factory of `SparsGym/Spars-Phantom-v0`: {@link makeClassifierTask} with the shipped checkpoint
 * when `checkpoint` is unset, after checking that its weights' SHA-256 is
 * {@link SHIPPED_CLASSIFIER_SHA256} (as recorded in `classifier.json`, which loading verifies
 * against the weights).
 * @throws {InvalidArgumentError} naming `checkpoint` when the shipped checkpoint is missing or its
 *   hash differs from the one this version of the task fixes
 */
export async function makePhantomTask(o: SparsTaskOptions): Promise<SelfPlayEnv> {
  if (o.checkpoint !== undefined || o.scorer !== undefined) return await makeClassifierTask(o);
  const dir = shippedClassifierPath();
  let recorded: string | undefined;
  try {
    recorded = JSON.parse(await Deno.readTextFile(`${dir}/classifier.json`))?.weights?.sha256;
  } catch (e) {
    throw new InvalidArgumentError(
      "checkpoint",
      `the shipped checkpoint ${dir}/classifier.json cannot be read (${(e as Error).message})`,
      `the checkpoint written by ${SHIPPED_CLASSIFIER_SCRIPT}`,
    );
  }
  if (recorded !== SHIPPED_CLASSIFIER_SHA256) {
    throw new InvalidArgumentError(
      "checkpoint",
      `the shipped checkpoint's weights have SHA-256 ${recorded}, ${PHANTOM_TASK_ID} fixes ${SHIPPED_CLASSIFIER_SHA256}`,
      "the checkpoint of this version of the task (a retrained one needs a new version of the id)",
    );
  }
  return await makeClassifierTask({ ...o, checkpoint: dir });
}

register<SelfPlayEnv, SparsTaskOptions>(PHANTOM_TASK_ID, makePhantomTask, DEFAULT_TASK_OPTIONS, {
  description: "as Spars-Oracle-v0, scored by the shipped classifier (crops labelled from voxel masks)",
});
