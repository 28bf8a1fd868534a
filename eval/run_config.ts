/**
 * What evaluation reads from a run folder's `config.json` (written by training), and the licence
 * lines of the shared real data sets that a report on them must repeat.
 *
 * @module
 */
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { checkIntensityOptions, type IntensityOptions } from "../data/intensity_options.ts";
import { checkFoldSpec, type FoldSpec } from "../data/split.ts";
import type { Vec3 } from "../data/types.ts";
import type { SparsConfig } from "../env/config.ts";

/**
 * The file in a run folder holding the calibrated termination threshold (written by training when
 * tau is calibrated; see tau_calibration.ts). When present, its `tau` replaces the config's.
 */
export const CALIBRATION_FILE = "calibration.json";

/** The parts of a run's `config.json` that evaluation reuses (all optional). */
export interface RunConfigView {
  /** Game options. */
  readonly game: Partial<Omit<SparsConfig, "maskThreshold">>;
  /** Data spec (`phantoms` or a folder). */
  readonly data?: string;
  /** Phantom options (tumours per positive case, tumour radius range in mm). */
  readonly phantoms?: {
    count?: number;
    seed?: number;
    shape?: Vec3;
    tumours?: [number, number];
    tumourRadiusMm?: [number, number];
  };
  /** Split fractions [train, val, test] the run used (absent in old configs: 0.7, 0.15, 0.15). */
  readonly fractions?: [number, number, number];
  /** The k-fold split the run used instead of fractions (`data.folds`), if any. */
  readonly folds?: FoldSpec;
  /** Target labels. */
  readonly target?: number[];
  /** Modalities read as channels (`data.channels`), absent for one image per case. */
  readonly channels?: string[];
  /** Per-case intensity normalisation training used (`data.intensity`), absent in older configs. */
  readonly intensity?: IntensityOptions;
  /** Seed. */
  readonly seed?: number;
  /** What scored the run's windows (`classifier.runtime`), the evaluation's default. */
  readonly runtime?: "tfjs" | "onnx";
  /** What ran the rollouts' policy (`policyRuntime`), the evaluation's default. */
  readonly policyRuntime?: "tfjs" | "onnx";
}

const GAME_KEYS = [
  "window",
  "stride",
  "start",
  "tau",
  "termination",
  "maxSteps",
  "mapMode",
  "observation",
  "observationShape",
  "imageChannels",
];

function runtimeOf(section: unknown, key = "runtime"): "tfjs" | "onnx" | undefined {
  const r = (section as Record<string, unknown> | undefined)?.[key];
  return r === "tfjs" || r === "onnx" ? r : undefined;
}

async function readCalibratedTau(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  let tau: unknown;
  try {
    tau = JSON.parse(text)?.tau;
  } catch {
    tau = undefined;
  }
  if (typeof tau !== "number" || !(tau >= 0 && tau <= 1)) {
    throw new InvalidArgumentError(
      path,
      `holds tau ${JSON.stringify(tau)}`,
      "a calibration with tau in [0, 1]",
    );
  }
  return tau;
}

/**
 * Reads what evaluation needs from `<run>/config.json` (missing file: empty view). Game options are
 * taken from `env`, `game` or the top level, in that order; data from `data` (a string, or an object
 * with `spec`/`dir`, `count`, `seed`, `shape`, `target`).
 * @throws {InvalidArgumentError} naming the file when it is not a JSON object
 */
export async function readRunConfig(run: string): Promise<RunConfigView> {
  const path = join(run, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { game: {} };
    throw e;
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error("not an object");
  } catch (e) {
    throw new InvalidArgumentError(path, `is not a JSON object (${(e as Error).message})`, "a run config");
  }
  const section = (raw.env ?? raw.game ?? raw) as Record<string, unknown>;
  const game: Record<string, unknown> = Object.fromEntries(
    GAME_KEYS.filter((k) => section[k] !== undefined).map((k) => [k, section[k]]),
  );
  const channelList = (raw.data as { channels?: unknown } | undefined)?.channels;
  if (game.imageChannels === undefined && Array.isArray(channelList)) game.imageChannels = channelList.length;
  const calibrated = await readCalibratedTau(join(run, CALIBRATION_FILE));
  if (calibrated !== undefined) game.tau = calibrated;
  const d = raw.data as Record<string, unknown> | string | undefined;
  const dataObject = typeof d === "object" && d ? d : {};
  const data = typeof d === "string"
    ? d
    : (dataObject.spec ?? dataObject.dir ?? dataObject.name) as string | undefined;
  const phantoms = {
    count: (dataObject.count ?? dataObject.phantoms) as number | undefined,
    seed: dataObject.seed as number | undefined,
    shape: dataObject.shape as Vec3 | undefined,
    tumours: dataObject.tumours as [number, number] | undefined,
    tumourRadiusMm: dataObject.tumourRadiusMm as [number, number] | undefined,
  };
  const fractions = dataObject.fractions as [number, number, number] | undefined;
  const target = (dataObject.target ?? raw.target) as number | number[] | undefined;
  const intensity = dataObject.intensity as IntensityOptions | undefined;
  if (intensity !== undefined) checkIntensityOptions(intensity, `${path} data.intensity`);
  const channels = Array.isArray(dataObject.channels) ? dataObject.channels as string[] : undefined;
  const folds = dataObject.folds as FoldSpec | null | undefined;
  if (folds) checkFoldSpec(folds, `${path} data.folds`);
  return {
    ...(folds ? { folds } : {}),
    ...(intensity ? { intensity } : {}),
    ...(channels ? { channels } : {}),
    game,
    data,
    phantoms,
    fractions,
    target: target === undefined ? undefined : typeof target === "number" ? [target] : target,
    seed: typeof raw.seed === "number" ? raw.seed : undefined,
    runtime: runtimeOf(raw.classifier),
    policyRuntime: runtimeOf(raw, "policyRuntime"),
  };
}

/** Licence / attribution lines for the shared real data sets, by path. */
export function dataNotes(data: string): string[] {
  const bratsYear = /brats[_-]?(20\d\d)|brats(1\d)(?!\d)/i.exec(data);
  if (bratsYear) {
    const year = bratsYear[1] ?? `20${bratsYear[2]}`;
    return [`Data: BraTS ${year} (Menze et al. 2015, Bakas et al. 2017), BraTS ${year} data terms.`];
  }
  if (/brats/i.test(data)) {
    return [
      "Data: BraTS, release not named in the data path (cite Menze et al. 2015, Bakas et al. 2017 and the " +
      "paper of your release; follow that release's data terms).",
    ];
  }
  // The STS folder as shared (sts_ct_mr_pet), or any path component named sts / sts_*.
  if (/sts_ct_mr_pet|sarcoma|(^|[\\/])sts([\\/_-]|$)/i.test(data)) {
    return ["Data: TCIA Soft-tissue-Sarcoma (Vallières et al. 2015), CC BY 3.0."];
  }
  // The 2D liver-tumour JPEG slices as shared (liver_tumour_2d), resampled MSD Task03 cases.
  if (/liver_tumou?r_2d|image-segmentation-liver-tumou?r/i.test(data)) {
    return [
      "Data: Medical Segmentation Decathlon Task03 Liver (LiTS) 2D slices, CC BY-SA 4.0 (Antonelli et al. " +
      "2022, Simpson et al. 2019); JPEG slices from sarah-antillia/Image-Segmentation-Liver-Tumor.",
    ];
  }
  if (/lits|task03|msd|decathlon/i.test(data)) {
    return ["Data: Medical Segmentation Decathlon / LiTS, CC BY-SA 4.0."];
  }
  return [];
}
