/**
 * The scorer of a `train:patch` run: the oracle (the share of target voxels, read from the voxel
 * labels: an upper bound) or the presence classifier trained on the training split's patches
 * (`./patch_classifier.ts`). Either way one scorer serves every env of the run (the classifier's
 * behind one {@link CachedScorer}, so each image's patches are scored once).
 *
 * @module
 */
import type { Case, Vec3 } from "../data/types.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import {
  type PatchClassifierConfig,
  type TrainedPatchClassifier,
  trainPatchClassifier,
} from "./patch_classifier.ts";

/** The patch scorers of `train:patch`: the oracle (voxel labels) or the trained classifier. */
export type PatchScorerKind = "oracle" | "classifier";

/** The accepted {@link PatchScorerKind} values. */
export const PATCH_SCORER_KINDS: readonly PatchScorerKind[] = ["oracle", "classifier"];

export { TUMOUR } from "../env/patch/patch_data.ts";

/** What a run's scorer needs from its config. */
export interface PatchScorerSettings {
  /** Which scorer. */
  readonly scorer: PatchScorerKind;
  /** The classifier's hyper-parameters (classifier only). */
  readonly classifier: PatchClassifierConfig;
  /** The game's patch grid z,y,x (the classifier is trained on its patches). */
  readonly grid: Vec3;
  /** Intensities mapped to [0, 1] (the classifier's intensity window). */
  readonly intensityRange: readonly [number, number];
  /** Seed of the classifier. */
  readonly seed: number;
}

/**
 * The scorer of a run over its data.
 *
 * @param config scorer kind, classifier hyper-parameters, grid, intensity range, seed
 * @param data the split (cases with voxel labels); `all` = every case played (the oracle's);
 *   `target` = label values of the object
 * @param progress receives the classifier's per-epoch lines and its summary
 * @returns the scorer, the supervision level of what it read, and the classifier when trained
 */
export async function patchScorer(
  config: PatchScorerSettings,
  data: {
    readonly train: Case[];
    readonly validation: Case[];
    readonly all: Case[];
    readonly target: readonly number[];
  },
  progress: (line: string) => void = () => {},
): Promise<{ scorer: Scorer; supervision: string; classifier?: TrainedPatchClassifier }> {
  if (config.scorer === "oracle") {
    return { scorer: new OracleScorer(data.all, { target: data.target }), supervision: "voxel labels" };
  }
  const classifier = await trainPatchClassifier(
    config.classifier,
    {
      train: data.train,
      validation: data.validation,
      grid: config.grid,
      target: data.target,
      intensityWindow: config.intensityRange,
    },
    config.seed,
    progress,
  );
  const t = classifier.samples.train;
  progress(
    `classifier: ${t.positives} positive / ${t.negatives} negative training patches (${t.ambiguous} ` +
      `ambiguous dropped; ${t.supervision}), best epoch ${classifier.history.bestEpoch}, ${
        classifier.seconds.toFixed(0)
      } s`,
  );
  return { scorer: new CachedScorer(classifier.scorer), supervision: t.supervision, classifier };
}
