/**
 * Data of multiple-instance (MIL) training with image-level labels only: every whole volume is a
 * BAG labelled by its presence ("this volume holds target: yes/no"); its INSTANCES are the windows of
 * the game's window size on a lattice over the volume. Nothing here (nor in `mil_training.ts`) reads
 * voxel labels: {@link bagsFromCases} keeps a case's id, image and presence and drops the rest, so
 * the trainer cannot see a mask even by mistake. Supervision level: "image-level".
 *
 * Instances are made on demand (crop, trilinear resampling to the network input, intensity window:
 * `writeClassifierInput`, the very path of `ClassifierScorer`), so a bag costs only its volume in
 * memory, whatever the lattice.
 *
 * @module
 */
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import type { Case, Vec3, Volume } from "../data/types.ts";
import { type IntensityWindow, writeClassifierInput } from "./classifier_input.ts";

/** A whole volume with its image-level label: no voxel labels, by construction. */
export interface MilBag {
  /** The case id. */
  readonly id: string;
  /** The volume (z,y,x). */
  readonly image: Volume;
  /** Image-level label: 1 = the target is somewhere in the volume. */
  readonly presence: 0 | 1;
}

/**
 * Bags of cases: id, image and presence only (`labels` is never read; a case object whose `labels`
 * getter throws passes).
 *
 * @param cases cases with `presence` set (a dataset split's `cases()`)
 * @throws {DatasetError} when a case has no presence label
 */
export async function bagsFromCases(cases: Iterable<Case> | AsyncIterable<Case>): Promise<MilBag[]> {
  const bags: MilBag[] = [];
  for await (const c of cases) {
    const presence = c.presence;
    if (presence !== 0 && presence !== 1) {
      throw new DatasetError(`case ${c.id}`, "has no image-level presence label", "presence 0 or 1");
    }
    bags.push({ id: c.id, image: c.image, presence });
  }
  return bags;
}

/** A stride per axis from a number or a triple. */
export function strideOf(stride: number | Vec3, source = "stride"): Vec3 {
  const s: Vec3 = typeof stride === "number" ? [stride, stride, stride] : stride;
  if (!(s.length === 3 && s.every((v) => Number.isInteger(v) && v >= 1))) {
    throw new InvalidArgumentError(
      source,
      `is ${JSON.stringify(stride)}`,
      "an integer >= 1 or three of them",
    );
  }
  return s;
}

/** The default instance stride: a quarter of the window per axis (at least 1 voxel). */
export function defaultInstanceStride(window: Vec3): Vec3 {
  return window.map((w) => Math.max(1, Math.round(w / 4))) as unknown as Vec3;
}

/** Window positions along one axis: 0, s, 2s, ... and the last position `n - w` (always reached). */
function axisPositions(n: number, w: number, s: number): number[] {
  const last = n - w, out: number[] = [];
  for (let p = 0; p < last; p += s) out.push(p);
  out.push(last);
  return out;
}

/**
 * Corners (z,y,x triples) of the windows of `window` on a lattice of `stride` over a volume of
 * `shape`, z slowest. Along each axis the positions are 0, s, 2s, ... plus the last one
 * `shape - window`, so the lattice covers the whole volume. A window larger than the volume along an
 * axis is clipped to it (one position).
 *
 * @param shape volume shape z,y,x
 * @param window window size z,y,x (clipped to `shape`)
 * @param stride step per axis
 * @throws {InvalidArgumentError} on a non-positive window or stride
 */
export function windowLattice(shape: Vec3, window: Vec3, stride: number | Vec3): Int32Array {
  const s = strideOf(stride);
  if (!(window.length === 3 && window.every((v) => Number.isInteger(v) && v >= 1))) {
    throw new InvalidArgumentError("window", `is ${JSON.stringify(window)}`, "three positive integers");
  }
  const [pz, py, px] = [0, 1, 2].map((a) => axisPositions(shape[a], Math.min(window[a], shape[a]), s[a]));
  const out = new Int32Array(3 * pz.length * py.length * px.length);
  let o = 0;
  for (const z of pz) for (const y of py) for (const x of px) out[o++] = z, out[o++] = y, out[o++] = x;
  return out;
}

/** The instances of one bag: its lattice, and the network input of any of them on demand. */
export class BagInstances {
  /** The bag. */
  readonly bag: MilBag;
  /** Window size z,y,x (clipped to the volume). */
  readonly size: Vec3;
  /** Corners of the instances, z,y,x triples. */
  readonly corners: Int32Array;
  readonly #inputShape: Vec3;
  readonly #window: IntensityWindow;

  /**
   * The lattice of `bag`'s windows.
   *
   * @param bag the bag
   * @param window instance size z,y,x (the game's window; clipped to the volume)
   * @param stride lattice step per axis
   * @param inputShape network input shape z,y,x
   * @param intensityWindow intensity window or null
   */
  constructor(
    bag: MilBag,
    window: Vec3,
    stride: number | Vec3,
    inputShape: Vec3,
    intensityWindow: IntensityWindow,
  ) {
    this.bag = bag;
    this.size = window.map((w, a) => Math.min(w, bag.image.shape[a])) as unknown as Vec3;
    this.corners = windowLattice(bag.image.shape, this.size, stride);
    this.#inputShape = inputShape;
    this.#window = intensityWindow;
  }

  /** Number of instances. */
  get count(): number {
    return this.corners.length / 3;
  }

  /** Corner of instance `i`. */
  corner(i: number): Vec3 {
    return [this.corners[3 * i], this.corners[3 * i + 1], this.corners[3 * i + 2]];
  }

  /** Writes the network input of instance `i` into `out` (`inputShape` voxels) and returns it. */
  write(i: number, out: Float32Array): Float32Array {
    return writeClassifierInput(
      this.bag.image,
      this.corner(i),
      this.size,
      this.#inputShape,
      this.#window,
      out,
    );
  }
}
