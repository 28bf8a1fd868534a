/**
 * Painting of the phantom tissue map (one class byte per voxel, z,y,x, x fastest): the body outline
 * with fat, muscle, spine and aorta, the kidneys, spleen and liver, and tumour blobs inside the liver.
 * Blobs are perturbed, rotated ellipsoids in grid-centred world mm. The caller turns the tissue map
 * into intensities and labels (`phantom.ts`).
 *
 * @module
 */
import type { Rng } from "./random.ts";
import { resampleBoxLinear } from "./resample.ts";
import type { Vec3 } from "./types.ts";
import { voxelCount } from "./types.ts";

// Tissue classes of the tissue map (one byte per voxel); tumour t is TUMOUR + t.
const AIR = 0, FAT = 1, MUSCLE = 2, SOFT = 3, BONE = 4, VESSEL = 5, KIDNEY = 6, SPLEEN = 7;
/** Tissue class of liver voxels in the tissue map. */
export const LIVER = 8;
/** Tissue class of the first tumour; tumour t (0-based) is `TUMOUR + t`, so at most 247 tumours. */
export const TUMOUR = 9;
/** Mean HU per tissue class AIR..LIVER (index = class). */
export const TISSUE_HU: readonly number[] = [-1000, -100, 50, 0, 420, 165, 150, 50, 60];
/** Texture amplitude (HU per unit of the texture field) per tissue class AIR..LIVER. */
export const TISSUE_TEXTURE: readonly number[] = [0, 10, 8, 35, 60, 5, 15, 6, 6];

/** One cosine-product bump of a blob surface: amp * cos(f0 u0 + p0) cos(f1 u1 + p1) cos(f2 u2 + p2). */
export interface Bump {
  /** Amplitude, in units of the blob's normalised radius. */
  amp: number;
  /** Frequencies along the blob's three axes (radians per normalised unit). */
  freq: Vec3;
  /** Phases (radians). */
  phase: Vec3;
}

/** A perturbed, rotated ellipsoid in mm (z,y,x): inside where |u| < 1 + sum of bumps(u). */
export interface Blob {
  /** Centre in mm (z,y,x, grid-centred coordinates). */
  centre: Vec3;
  /** Semi-axes in mm along the blob's own axes. */
  semi: Vec3;
  /** Row-major 3x3 rotation; columns are the blob's axes in z,y,x world-index directions. */
  rotation: number[];
  /** Surface perturbations. */
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
export interface PhantomGrid {
  /** Voxel counts z,y,x. */
  shape: Vec3;
  /** Voxel size in mm z,y,x. */
  spacing: Vec3;
}

/** World mm (grid-centred) of voxel index `i` on axis `a` (0 z, 1 y, 2 x). */
export const toMm = (g: PhantomGrid, a: number, i: number): number =>
  (i - (g.shape[a] - 1) / 2) * g.spacing[a];
const toIndex = (g: PhantomGrid, a: number, mm: number): number => mm / g.spacing[a] + (g.shape[a] - 1) / 2;

/**
 * Paints `value` into `tissue` over the blob, only where `allowed[tissue]` is 1, visiting only the
 * blob's bounding box. Bumps are evaluated only in the shell where they can change the answer.
 */
function paintBlob(tissue: Uint8Array, g: PhantomGrid, blob: Blob, value: number, allowed: Uint8Array): void {
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

/** Body outline (z-invariant), spine and aorta, stamped on every slice. */
function paintBody(tissue: Uint8Array, g: PhantomGrid, rng: Rng, bx: number, by: number): void {
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
function snap(g: PhantomGrid, p: Vec3): { centre: Vec3; index: number } {
  const i = [0, 1, 2].map((a) => Math.min(g.shape[a] - 1, Math.max(0, Math.round(toIndex(g, a, p[a])))));
  return {
    centre: [toMm(g, 0, i[0]), toMm(g, 1, i[1]), toMm(g, 2, i[2])],
    index: (i[0] * g.shape[1] + i[1]) * g.shape[2] + i[2],
  };
}

/** A tumour centre on a liver voxel centre, preferably deep enough for the tumour to fit. */
function tumourCentre(tissue: Uint8Array, g: PhantomGrid, rng: Rng, liver: Blob, radius: number): Vec3 {
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

/** What {@link paintAnatomy} leaves for the tumours and intensities. */
export interface PhantomAnatomy {
  /** The liver blob (tumours are placed inside it). */
  liver: Blob;
  /** Mean liver HU of this phantom. */
  liverHu: number;
  /** Smooth texture field on the grid (z,y,x), about N(0, 1): coarse normals, trilinearly upsampled. */
  texture: Float32Array;
}

/**
 * Paints the anatomy into an all-AIR tissue map: body (fat, muscle, soft tissue, spine, aorta), two
 * kidneys, the spleen and the liver, sized relative to the field of view so that any grid holds the
 * same body plan; then draws the liver HU and the texture field. Every random choice comes from `rng`,
 * in a fixed order, so the same seed gives the same anatomy.
 */
export function paintAnatomy(tissue: Uint8Array, g: PhantomGrid, rng: Rng): PhantomAnatomy {
  const { shape, spacing } = g;
  const hz = (shape[0] * spacing[0]) / 2, by = 0.72 * (shape[1] * spacing[1]) / 2;
  const bx = 0.9 * (shape[2] * spacing[2]) / 2;
  paintBody(tissue, g, rng, bx, by);
  const soft = allowedSet([SOFT]);
  for (const side of [-1, 1]) {
    const kidney: Blob = {
      centre: [-0.1 * hz, -0.45 * by, side * 0.45 * bx],
      semi: [0.3 * hz, 0.15 * by, 0.13 * bx],
      rotation: IDENTITY,
      bumps: randomBumps(rng, 2, 0.08),
    };
    paintBlob(tissue, g, kidney, KIDNEY, soft);
  }
  const spleen: Blob = {
    centre: [0.2 * hz, -0.15 * by, 0.6 * bx],
    semi: [0.3 * hz, 0.25 * by, 0.15 * bx],
    rotation: IDENTITY,
    bumps: randomBumps(rng, 2, 0.1),
  };
  paintBlob(tissue, g, spleen, SPLEEN, soft);
  const liver = liverBlob(rng, bx, by, hz);
  paintBlob(tissue, g, liver, LIVER, allowedSet([SOFT, KIDNEY, SPLEEN]));
  const liverHu = rng.uniform(55, 65);
  const coarse: Vec3 = [0, 1, 2].map((a) =>
    Math.max(2, Math.round((shape[a] * spacing[a]) / 12))
  ) as unknown as Vec3;
  const coarseField = new Float32Array(voxelCount(coarse));
  for (let i = 0; i < coarseField.length; i++) coarseField[i] = rng.normal();
  const texture = resampleBoxLinear(coarseField, coarse, [0, 0, 0], coarse, shape);
  return { liver, liverHu, texture };
}

/**
 * Paints one tumour blob with class `value` (`TUMOUR + k`) over liver or earlier-tumour voxels only:
 * radius drawn in `radiusMm` (mm), centre on a liver voxel centre (so the tumour owns at least that
 * voxel), semi-axes radius * [0.7, 1.3], random rotation and surface bumps.
 */
export function paintTumour(
  tissue: Uint8Array,
  g: PhantomGrid,
  rng: Rng,
  liver: Blob,
  value: number,
  radiusMm: readonly [number, number],
): void {
  const radius = rng.uniform(radiusMm[0], radiusMm[1]);
  const blob: Blob = {
    centre: tumourCentre(tissue, g, rng, liver, radius),
    semi: [radius * rng.uniform(0.7, 1.3), radius * rng.uniform(0.7, 1.3), radius * rng.uniform(0.7, 1.3)],
    rotation: randomRotation(rng),
    bumps: randomBumps(rng, 3, rng.uniform(0.1, 0.3)),
  };
  paintBlob(tissue, g, blob, value, allowedSet([LIVER], TUMOUR));
}
