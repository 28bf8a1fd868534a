/**
 * Seeded synthetic abdominal CT phantoms in Hounsfield units, with exact labels (LiTS convention:
 * 0 background/body, 1 liver, 2 tumour). They are the package's embedded default dataset.
 *
 * Anatomy: air (-1000 HU) around an elliptical body outline with a subcutaneous fat (-100 HU) and
 * muscle (50 HU) ring, mixed soft tissue inside, a vertebral body (bone), the aorta, two kidneys
 * (enhanced), the spleen and a lumpy liver (~60 HU, smooth texture). Tumours are irregular blobs
 * (rotated ellipsoids with cosine bumps) of varied size, shape and contrast, painted only over liver
 * voxels, so label 2 never lies outside the liver. A low-frequency texture and Gaussian noise are added.
 *
 * The seed is split into three independent streams (anatomy, tumours, noise), so two phantoms with
 * the same seed and geometry have the same anatomy, texture and noise whatever the tumour options:
 * they differ only on tumour voxels, which makes paired positive/negative volumes and a checkable
 * "tumour only inside the liver" invariant.
 *
 * The tissue map is painted by `phantom_anatomy.ts`; this module checks options, turns tissue into
 * HU and labels, and plans and generates whole datasets.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";
import { Rng } from "./random.ts";
import {
  LIVER,
  paintAnatomy,
  paintTumour,
  type PhantomGrid,
  TISSUE_HU,
  TISSUE_TEXTURE,
  toMm,
  TUMOUR,
} from "./phantom_anatomy.ts";
import type { Case, Labels, Vec3, Volume } from "./types.ts";
import { diagonalAffine, voxelCount } from "./types.ts";

/** Options of {@link generatePhantom}. */
export interface PhantomOptions {
  /** Seed of every random choice (finite number). */
  seed: number;
  /** Voxel counts z,y,x; default [48, 96, 96]. */
  shape?: Vec3;
  /** Voxel size in mm z,y,x; default [2.5, 1.5, 1.5]. */
  spacing?: Vec3;
  /** Number of tumours, or an inclusive [min, max] range; default [1, 3]. At most 200. */
  tumours?: number | readonly [number, number];
  /** Range of tumour radii in mm; default [5, 15]. */
  tumourRadiusMm?: readonly [number, number];
  /** Standard deviation of the Gaussian noise in HU; default 12. */
  noiseSd?: number;
  /** Range of tumour-minus-liver contrast in HU; default [-60, -25] (hypodense). */
  contrast?: readonly [number, number];
}

/** Options of {@link generatePhantomDataset}: phantom options plus size, seed and negative share. */
export interface PhantomDatasetOptions extends Omit<PhantomOptions, "seed"> {
  /** Number of cases (positive integer). */
  count: number;
  /** Seed of the whole dataset. */
  seed: number;
  /** Share of cases with no tumour, in [0, 1]; default 0.3. Exactly round(count * share) negatives. */
  negativeShare?: number;
}

const MAX_TUMOURS = 200;

function checkOptions(o: PhantomOptions): void {
  const bad = (name: string, value: unknown, expected: string): never => {
    throw new InvalidArgumentError(`phantom.${name}`, `is ${JSON.stringify(value)}`, expected);
  };
  if (!Number.isFinite(o.seed)) bad("seed", o.seed, "a finite number");
  const shape = o.shape ?? [48, 96, 96];
  if (!(shape.length === 3 && shape.every((n) => Number.isInteger(n) && n >= 1))) {
    bad("shape", shape, "three positive integers z,y,x");
  }
  const spacing = o.spacing ?? [2.5, 1.5, 1.5];
  if (!(spacing.length === 3 && spacing.every((s) => Number.isFinite(s) && s > 0))) {
    bad("spacing", spacing, "three positive finite mm z,y,x");
  }
  const t = o.tumours ?? [1, 3];
  const [tMin, tMax] = typeof t === "number" ? [t, t] : t;
  if (
    !(Number.isInteger(tMin) && Number.isInteger(tMax) && tMin >= 0 && tMin <= tMax && tMax <= MAX_TUMOURS)
  ) {
    bad("tumours", t, `an integer count or [min, max] with 0 <= min <= max <= ${MAX_TUMOURS}`);
  }
  const [rMin, rMax] = o.tumourRadiusMm ?? [5, 15];
  if (!(Number.isFinite(rMax) && rMin > 0 && rMin <= rMax)) {
    bad("tumourRadiusMm", o.tumourRadiusMm, "[min, max] mm with 0 < min <= max");
  }
  const sd = o.noiseSd ?? 12;
  if (!(Number.isFinite(sd) && sd >= 0)) bad("noiseSd", sd, "a finite HU >= 0");
  const [cMin, cMax] = o.contrast ?? [-60, -25];
  if (!(Number.isFinite(cMin) && Number.isFinite(cMax) && cMin <= cMax)) {
    bad("contrast", o.contrast, "[min, max] HU with min <= max");
  }
}

/**
 * Generates one phantom: a CT-like volume in HU and its labels (0 background/body, 1 liver,
 * 2 tumour). `id` is `phantom-<seed>`; `presence` is 1 exactly when a tumour voxel exists (every
 * requested tumour owns at least its centre voxel). The affine is diagonal with the volume centred on
 * world (0,0,0); world x grows to the patient's left (RAS), the liver lies at negative x.
 *
 * @throws {InvalidArgumentError} on an invalid option, or when tumours are requested on a grid too
 *   small to hold a liver voxel
 */
export function generatePhantom(options: PhantomOptions): Case {
  checkOptions(options);
  const shape: Vec3 = options.shape ? [...options.shape] as unknown as Vec3 : [48, 96, 96];
  const spacing: Vec3 = options.spacing ? [...options.spacing] as unknown as Vec3 : [2.5, 1.5, 1.5];
  const g: PhantomGrid = { shape, spacing };
  const master = new Rng(options.seed);
  const anatomyRng = new Rng(master.nextUint32());
  const tumourRng = new Rng(master.nextUint32());
  const noiseRng = new Rng(master.nextUint32());
  const n = voxelCount(shape);
  const tissue = new Uint8Array(n);

  const { liver, liverHu, texture } = paintAnatomy(tissue, g, anatomyRng);

  // Tumours: only over liver (or earlier tumour) voxels.
  const t = options.tumours ?? [1, 3];
  const [tMin, tMax] = typeof t === "number" ? [t, t] : t;
  const tumourCount = tMin + tumourRng.int(tMax - tMin + 1);
  const [rMin, rMax] = options.tumourRadiusMm ?? [5, 15];
  const [cMin, cMax] = options.contrast ?? [-60, -25];
  if (tumourCount > 0 && !tissue.some((v) => v === LIVER)) {
    throw new InvalidArgumentError(
      "phantom.shape",
      `${shape.join("x")} holds no liver voxel`,
      "a larger grid",
    );
  }
  // Per-class mean HU and texture amplitude, indexed by the tissue byte (tumour k at TUMOUR + k).
  const hus = new Float32Array(256), amps = new Float32Array(256);
  hus.set(TISSUE_HU), amps.set(TISSUE_TEXTURE);
  hus[LIVER] = liverHu;
  for (let k = 0; k < tumourCount; k++) {
    paintTumour(tissue, g, tumourRng, liver, TUMOUR + k, [rMin, rMax]);
    hus[TUMOUR + k] = liverHu + tumourRng.uniform(cMin, cMax);
    amps[TUMOUR + k] = tumourRng.uniform(6, 14);
  }

  // Intensities: tissue mean + texture + Gaussian noise (table of normals indexed by xorshift32).
  const sd = options.noiseSd ?? 12;
  const normals = new Float32Array(65536);
  for (let i = 0; i < normals.length; i++) normals[i] = sd * noiseRng.normal();
  let s = noiseRng.nextUint32() | 1;
  const image = new Float32Array(n), labels = new Uint8Array(n);
  let tumourVoxels = 0;
  for (let i = 0; i < n; i++) {
    const c = tissue[i];
    s ^= s << 13, s ^= s >>> 17, s ^= s << 5;
    image[i] = hus[c] + amps[c] * texture[i] + normals[s >>> 16];
    if (c >= TUMOUR) {
      labels[i] = 2;
      tumourVoxels++;
    } else if (c === LIVER) labels[i] = 1;
  }
  const id = `phantom-${options.seed}`;
  const affine = diagonalAffine(spacing, [toMm(g, 2, 0), toMm(g, 1, 0), toMm(g, 0, 0)]);
  const volume: Volume = { id, shape, spacing, data: image, affine };
  const labelMap: Labels = { id, shape, spacing, data: labels, affine: Float64Array.from(affine) };
  return { id, image: volume, labels: labelMap, presence: tumourVoxels > 0 ? 1 : 0 };
}

/**
 * The per-case plan of a phantom dataset, in dataset order: one {@link PhantomOptions} per case,
 * without generating anything. Exactly `round(count * negativeShare)` cases have `tumours: 0`; their
 * positions are shuffled by `seed`. Then each case gets its own distinct uint32 seed from the same
 * stream (so ids `phantom-<caseSeed>` are unique); positive cases get `tumours: [max(1, min), max]`
 * of the `tumours` option. The other phantom options are copied into every entry.
 * {@link generatePhantomDataset} generates exactly these cases; `phantomDataset` lists them and
 * generates each one when it is loaded.
 *
 * @throws {InvalidArgumentError} on an invalid count, share or seed, or when positives are requested
 *   but `tumours` allows at most 0 (other phantom options are checked by {@link generatePhantom})
 */
export function phantomDatasetPlan(options: PhantomDatasetOptions): PhantomOptions[] {
  const { count, seed, negativeShare = 0.3, ...phantom } = options;
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new InvalidArgumentError("phantomDataset.count", `is ${count}`, "a positive integer");
  }
  if (!(Number.isFinite(negativeShare) && negativeShare >= 0 && negativeShare <= 1)) {
    throw new InvalidArgumentError(
      "phantomDataset.negativeShare",
      `is ${negativeShare}`,
      "a share in [0, 1]",
    );
  }
  if (!Number.isFinite(seed)) {
    throw new InvalidArgumentError("phantomDataset.seed", `is ${seed}`, "a finite number");
  }
  const negatives = Math.round(count * negativeShare);
  const t = phantom.tumours ?? [1, 3];
  const [tMin, tMax] = typeof t === "number" ? [t, t] : t;
  if (negatives < count && !(tMax >= 1)) {
    throw new InvalidArgumentError(
      "phantomDataset.tumours",
      `is ${JSON.stringify(t)}`,
      "max >= 1 for positives",
    );
  }
  const positiveTumours: readonly [number, number] = [Math.max(1, tMin), tMax];
  const rng = new Rng(seed);
  const flags: number[] = Array.from({ length: count }, (_, i) => (i < negatives ? 0 : 1));
  rng.shuffle(flags);
  const used = new Set<number>();
  return flags.map((positive) => {
    let caseSeed = rng.nextUint32();
    while (used.has(caseSeed)) caseSeed = rng.nextUint32();
    used.add(caseSeed);
    return { ...phantom, seed: caseSeed, tumours: positive ? positiveTumours : 0 };
  });
}

/**
 * Generates a deterministic dataset of phantoms: the cases of {@link phantomDatasetPlan}, in its
 * order. Exactly `round(count * negativeShare)` cases have no tumour, at positions shuffled by
 * `seed`; each case has its own distinct seed drawn from `seed` (ids `phantom-<caseSeed>` are
 * unique); positive cases draw their tumour count from `tumours` with the minimum raised to 1.
 *
 * @throws {InvalidArgumentError} on an invalid count, share or seed, or when positives are requested
 *   but `tumours` allows at most 0, and on an invalid phantom option
 */
export function generatePhantomDataset(options: PhantomDatasetOptions): Case[] {
  return phantomDatasetPlan(options).map(generatePhantom);
}
