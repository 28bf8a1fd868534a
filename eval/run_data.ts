/**
 * The data of a run's evaluation: the dataset and split training used (phantom options, split seed
 * and fractions from the run's config.json), and its cases loaded one at a time.
 *
 * @module
 */
import { type Dataset, phantomDataset } from "../data/dataset.ts";
import { openDataSource } from "../data/data_source.ts";
import type { Case } from "../data/types.ts";
import type { RunConfigView } from "./run_config.ts";
import type { EvaluateRunOptions } from "./run_eval.ts";

/** The first `limit` cases of a dataset (all without a limit), loaded one at a time; `onCase` sees each. */
export async function* firstCases(
  ds: Dataset,
  limit: number | undefined,
  onCase?: (c: Case) => void,
): AsyncGenerator<Case> {
  const refs = limit === undefined ? ds.refs : ds.refs.slice(0, limit);
  for (const ref of refs) {
    const c = await ds.load(ref);
    onCase?.(c);
    yield c;
  }
}

function splitFractions([train, val, test]: readonly number[]): { train: number; val: number; test: number } {
  return { train, val, test };
}

/**
 * Opens the dataset of a run: in memory, phantoms, or a folder (see {@link EvaluateRunOptions}),
 * split with the seed training split it with: the run's `data.seed` (its `seed` when a config has
 * none; 0 without a config), so that the test split holds no training case.
 */
export async function openRunData(
  options: EvaluateRunOptions,
  cfg: RunConfigView,
): Promise<{ data: string; dataset: Dataset }> {
  if (options.dataset) return { data: options.dataset.name, dataset: options.dataset };
  const data = options.data ?? cfg.data ?? "phantoms";
  if (data === "phantoms") {
    const p = options.phantoms, c = cfg.phantoms;
    const dataset = phantomDataset({
      count: p?.count ?? c?.count ?? 24,
      seed: p?.seed ?? c?.seed ?? cfg.seed ?? 0,
      shape: p?.shape ?? c?.shape ?? [48, 96, 96],
      ...(c?.tumours ? { tumours: c.tumours } : {}),
      ...(c?.tumourRadiusMm ? { tumourRadiusMm: c.tumourRadiusMm } : {}),
      ...(cfg.fractions ? { fractions: splitFractions(cfg.fractions) } : {}),
    });
    return { data, dataset };
  }
  const target = options.target ?? cfg.target ?? null;
  const seed = cfg.phantoms?.seed ?? cfg.seed ?? 0;
  const fractions = cfg.fractions ? { fractions: splitFractions(cfg.fractions) } : {};
  // The channels and normalisation training used, so the scorer sees what it was trained on.
  const dataset = await openDataSource({
    spec: data,
    seed,
    ...fractions,
    target,
    channels: cfg.channels ?? null,
    folds: cfg.folds ?? null,
    ...(cfg.intensity ? { intensity: cfg.intensity } : {}),
  });
  return { data, dataset };
}
