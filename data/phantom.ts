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
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";
import { Rng } from "./random.ts";
import { resampleBoxLinear } from "./resample.ts";
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

// Tissue classes of the internal map; tumour t is TUMOUR + t.
const AIR = 0, FAT = 1, MUSCLE = 2, SOFT = 3, BONE = 4, VESSEL = 5, KIDNEY = 6, SPLEEN = 7, LIVER = 8;
const TUMOUR = 9;
const MAX_TUMOURS = 200;
/** Mean HU and texture amplitude (HU per unit of the texture field) per tissue class. */
const TISSUE_HU = [-1000, -100, 50, 0, 420, 165, 150, 50, 60];
const TISSUE_TEXTURE = [0, 10, 8, 35, 60, 5, 15, 6, 6];

/** One cosine-product bump of a blob surface: amp * cos(f0 u0 + p0) cos(f1 u1 + p1) cos(f2 u2 + p2). */
interface Bump {
  amp: number;
  freq: Vec3;
  phase: Vec3;
}

/** A perturbed, rotated ellipsoid in mm (z,y,x): inside where |u| < 1 + sum of bumps(u). */
interface Blob {
  centre: Vec3;
  semi: Vec3;
  /** Row-major 3x3 rotation; columns are the blob's axes in z,y,x world-index directions. */
  rotation: number[];
  bumps: Bump[];
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

function randomBumps(rng: Rng, count: number, totalAmp: number): Bump[] {
  const bumps: Bump[] = [];
  for (let k = 0; k < count; k++) {
    bumps.push({
      amp: (totalAmp / count) * rng.uniform(0.5, 1),
      freq: [rng.uniform(1, 4), rng.uniform(1, 4), rng.uniform(1, 4)],
      phase: [rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI)],
    });
  }
  return bumps;
}

function randomRotation(rng: Rng): number[] {
  let w = rng.normal(), x = rng.normal(), y = rng.normal(), z = rng.normal();
  const n = Math.hypot(w, x, y, z) || 1;
  w /= n, x /= n, y /= n, z /= n;
  // deno-fmt-ignore
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}

/** Geometry shared by the painters: world mm of voxel index i on axis a is (i - (n-1)/2) * spacing. */
interface Grid {
  shape: Vec3;
  spacing: Vec3;
}

const toMm = (g: Grid, a: number, i: number): number => (i - (g.shape[a] - 1) / 2) * g.spacing[a];
const toIndex = (g: Grid, a: number, mm: number): number => mm / g.spacing[a] + (g.shape[a] - 1) / 2;

/**
 * Paints `value` into `tissue` over the blob, only where `allowed[tissue]` is 1, visiting only the
 * blob's bounding box. Bumps are evaluated only in the shell where they can change the answer.
 */
function paintBlob(tissue: Uint8Array, g: Grid, blob: Blob, value: number, allowed: Uint8Array): void {
  const { centre, semi, rotation: r, bumps } = blob;
  let reach = 1, sag = 1;
  for (const b of bumps) reach += b.amp, sag -= b.amp;
  const inner2 = sag > 0 ? sag * sag : 0, outer2 = reach * reach;
  const lo = [0, 0, 0], hi = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const half = reach * Math.hypot(r[a * 3] * semi[0], r[a * 3 + 1] * semi[1], r[a * 3 + 2] * semi[2]);
    lo[a] = Math.max(0, Math.floor(toIndex(g, a, centre[a] - half)));
    hi[a] = Math.min(g.shape[a] - 1, Math.ceil(toIndex(g, a, centre[a] + half)));
  }
  // u_j = sum_a r[a][j] * (p_a - c_a) / semi_j: affine in the voxel index, stepped incrementally.
  const step = [0, 1, 2].map((a) => [0, 1, 2].map((j) => (r[a * 3 + j] * g.spacing[a]) / semi[j]));
  const [, ny, nx] = g.shape;
  for (let z = lo[0]; z <= hi[0]; z++) {
    const dz = toMm(g, 0, z) - centre[0];
    for (let y = lo[1]; y <= hi[1]; y++) {
      const dy = toMm(g, 1, y) - centre[1];
      const dx = toMm(g, 2, lo[2]) - centre[2];
      let u0 = (r[0] * dz + r[3] * dy + r[6] * dx) / semi[0];
      let u1 = (r[1] * dz + r[4] * dy + r[7] * dx) / semi[1];
      let u2 = (r[2] * dz + r[5] * dy + r[8] * dx) / semi[2];
      let i = (z * ny + y) * nx + lo[2];
      for (let x = lo[2]; x <= hi[2]; x++, i++, u0 += step[2][0], u1 += step[2][1], u2 += step[2][2]) {
        if (allowed[tissue[i]] === 0) continue;
        const d2 = u0 * u0 + u1 * u1 + u2 * u2;
        if (d2 >= outer2) continue;
        if (d2 > inner2) {
          let limit = 1;
          for (const b of bumps) {
            limit += b.amp * Math.cos(b.freq[0] * u0 + b.phase[0]) * Math.cos(b.freq[1] * u1 + b.phase[1]) *
              Math.cos(b.freq[2] * u2 + b.phase[2]);
          }
          if (d2 >= limit * limit) continue;
        }
        tissue[i] = value;
      }
    }
  }
}

function allowedSet(values: number[], from = 256): Uint8Array {
  const set = new Uint8Array(256);
  for (const v of values) set[v] = 1;
  for (let v = from; v < 256; v++) set[v] = 1;
  return set;
}

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

/** Body outline (z-invariant), spine and aorta, stamped on every slice. */
function paintBody(tissue: Uint8Array, g: Grid, rng: Rng, bx: number, by: number): void {
  const [nz, ny, nx] = g.shape;
  const slice = new Uint8Array(ny * nx);
  const minAxis = Math.min(bx, by);
  const fatEdge = Math.max(0.5, 1 - rng.uniform(8, 14) / minAxis);
  const muscleEdge = Math.max(0.45, fatEdge - rng.uniform(4, 8) / minAxis);
  const p2 = rng.uniform(0, 2 * Math.PI), p3 = rng.uniform(0, 2 * Math.PI);
  const spineY = -0.5 * by, spineR = 0.12 * minAxis;
  const aortaX = 0.1 * bx, aortaY = -0.27 * by, aortaR = 0.06 * minAxis;
  for (let y = 0; y < ny; y++) {
    const py = toMm(g, 1, y);
    for (let x = 0; x < nx; x++) {
      const px = toMm(g, 2, x);
      const d = Math.hypot(px / bx, py / by) / (1 + 0.03 * Math.cos(2 * Math.atan2(py, px) + p2) +
        0.02 * Math.cos(3 * Math.atan2(py, px) + p3));
      let t = d >= 1 ? AIR : d > fatEdge ? FAT : d > muscleEdge ? MUSCLE : SOFT;
      if (t === SOFT && Math.hypot(px, py - spineY) < spineR) t = BONE;
      if (t === SOFT && Math.hypot(px - aortaX, py - aortaY) < aortaR) t = VESSEL;
      slice[y * nx + x] = t;
    }
  }
  for (let z = 0; z < nz; z++) tissue.set(slice, z * ny * nx);
}

/** Liver blob of a phantom: lumpy ellipsoid on the patient's right (negative world x). */
function liverBlob(rng: Rng, bx: number, by: number, hz: number): Blob {
  const jitter = (): number => rng.uniform(-0.05, 0.05);
  return {
    centre: [(0.15 + jitter()) * hz, (0.05 + jitter()) * by, (-0.38 + jitter()) * bx],
    semi: [
      0.6 * hz * rng.uniform(0.85, 1.1),
      0.55 * by * rng.uniform(0.85, 1.1),
      0.45 * bx * rng.uniform(0.85, 1.1),
    ],
    rotation: IDENTITY,
    bumps: randomBumps(rng, 3, 0.15),
  };
}

/** Snaps a mm position to the centre of its nearest voxel; returns the voxel's flat index too. */
function snap(g: Grid, p: Vec3): { centre: Vec3; index: number } {
  const i = [0, 1, 2].map((a) => Math.min(g.shape[a] - 1, Math.max(0, Math.round(toIndex(g, a, p[a])))));
  return {
    centre: [toMm(g, 0, i[0]), toMm(g, 1, i[1]), toMm(g, 2, i[2])],
    index: (i[0] * g.shape[1] + i[1]) * g.shape[2] + i[2],
  };
}

/** A tumour centre on a liver voxel centre, preferably deep enough for the tumour to fit. */
function tumourCentre(tissue: Uint8Array, g: Grid, rng: Rng, liver: Blob, radius: number): Vec3 {
  const depth = Math.min(0.8, Math.max(0.1, 0.8 - radius / Math.min(...liver.semi)));
  for (let attempt = 0; attempt < 64; attempt++) {
    const v = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    if (v[0] * v[0] + v[1] * v[1] + v[2] * v[2] > 1) continue;
    const p: Vec3 = [0, 1, 2].map((a) => liver.centre[a] + liver.semi[a] * depth * v[a]) as unknown as Vec3;
    const s = snap(g, p);
    if (tissue[s.index] >= LIVER) return s.centre;
  }
  // Small or odd grids: any liver voxel, drawn uniformly.
  let count = 0;
  for (let i = 0; i < tissue.length; i++) if (tissue[i] >= LIVER) count++;
  let k = rng.int(count);
  for (let i = 0; i < tissue.length; i++) {
    if (tissue[i] >= LIVER && k-- === 0) {
      const x = i % g.shape[2],
        y = Math.floor(i / g.shape[2]) % g.shape[1],
        z = Math.floor(i / (g.shape[1] * g.shape[2]));
      return [toMm(g, 0, z), toMm(g, 1, y), toMm(g, 2, x)];
    }
  }
  throw new Error("unreachable: a liver voxel was counted but not found");
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
  const g: Grid = { shape, spacing };
  const master = new Rng(options.seed);
  const anatomyRng = new Rng(master.nextUint32());
  const tumourRng = new Rng(master.nextUint32());
  const noiseRng = new Rng(master.nextUint32());
  const n = voxelCount(shape);
  const tissue = new Uint8Array(n);

  // Anatomy: sizes relative to the field of view so that any grid holds the same body plan.
  const hz = (shape[0] * spacing[0]) / 2, by = 0.72 * (shape[1] * spacing[1]) / 2;
  const bx = 0.9 * (shape[2] * spacing[2]) / 2;
  paintBody(tissue, g, anatomyRng, bx, by);
  const soft = allowedSet([SOFT]);
  for (const side of [-1, 1]) {
    const kidney: Blob = {
      centre: [-0.1 * hz, -0.45 * by, side * 0.45 * bx],
      semi: [0.3 * hz, 0.15 * by, 0.13 * bx],
      rotation: IDENTITY,
      bumps: randomBumps(anatomyRng, 2, 0.08),
    };
    paintBlob(tissue, g, kidney, KIDNEY, soft);
  }
  const spleen: Blob = {
    centre: [0.2 * hz, -0.15 * by, 0.6 * bx],
    semi: [0.3 * hz, 0.25 * by, 0.15 * bx],
    rotation: IDENTITY,
    bumps: randomBumps(anatomyRng, 2, 0.1),
  };
  paintBlob(tissue, g, spleen, SPLEEN, soft);
  const liver = liverBlob(anatomyRng, bx, by, hz);
  paintBlob(tissue, g, liver, LIVER, allowedSet([SOFT, KIDNEY, SPLEEN]));
  const liverHu = anatomyRng.uniform(55, 65);
  const coarse: Vec3 = [0, 1, 2].map((a) =>
    Math.max(2, Math.round((shape[a] * spacing[a]) / 12))
  ) as unknown as Vec3;
  const coarseField = new Float32Array(voxelCount(coarse));
  for (let i = 0; i < coarseField.length; i++) coarseField[i] = anatomyRng.normal();
  const texture = resampleBoxLinear(coarseField, coarse, [0, 0, 0], coarse, shape);

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
  const inLiver = allowedSet([LIVER], TUMOUR);
  // Per-class mean HU and texture amplitude, indexed by the tissue byte (tumour k at TUMOUR + k).
  const hus = new Float32Array(256), amps = new Float32Array(256);
  hus.set(TISSUE_HU), amps.set(TISSUE_TEXTURE);
  hus[LIVER] = liverHu;
  for (let k = 0; k < tumourCount; k++) {
    const radius = tumourRng.uniform(rMin, rMax);
    const blob: Blob = {
      centre: tumourCentre(tissue, g, tumourRng, liver, radius),
      semi: [
        radius * tumourRng.uniform(0.7, 1.3),
        radius * tumourRng.uniform(0.7, 1.3),
        radius * tumourRng.uniform(0.7, 1.3),
      ],
      rotation: randomRotation(tumourRng),
      bumps: randomBumps(tumourRng, 3, tumourRng.uniform(0.1, 0.3)),
    };
    paintBlob(tissue, g, blob, TUMOUR + k, inLiver);
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
 * Generates a deterministic dataset of phantoms. Exactly `round(count * negativeShare)` cases have
 * no tumour; their positions in the list are shuffled by `seed`. Each case gets its own distinct
 * seed drawn from `seed` (so ids `phantom-<caseSeed>` are unique). Positive cases draw their tumour
 * count from `tumours` with the minimum raised to 1.
 *
 * @throws {InvalidArgumentError} on an invalid count or share, or when positives are requested but
 *   `tumours` allows at most 0
 */
export function generatePhantomDataset(options: PhantomDatasetOptions): Case[] {
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
    return generatePhantom({ ...phantom, seed: caseSeed, tumours: positive ? positiveTumours : 0 });
  });
}
