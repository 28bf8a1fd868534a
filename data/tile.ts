/**
 * Tiling of labelled volumes into sub-volumes with derived image-level (weak) labels, so that a few
 * real volumes become a weakly-labelled dataset with positives and negatives. A tile is positive when
 * it holds enough target voxels; its voxel labels are kept for evaluation only.
 *
 * @module
 */
import { DatasetError, InvalidArgumentError } from "./errors.ts";
import { checkSameGrid, crop, cropLabels } from "./preprocess.ts";
import type { Case, Labels, Vec3 } from "./types.ts";

/** Options of {@link tileCase}: exactly one of `grid` and `slabs`. */
export interface TileOptions {
  /** Tiles per axis z,y,x, e.g. [2, 2, 2]. */
  grid?: Vec3;
  /** Slabs along one axis (0 = z, 1 = y, 2 = x): the same as a grid with `count` on that axis only. */
  slabs?: { axis: 0 | 1 | 2; count: number };
  /** Label value(s) counted as target, e.g. 2 (LiTS tumour) or [1, 2, 4] (BraTS whole tumour); 1..255. */
  target: number | readonly number[];
  /** A tile is positive when it holds at least this many target voxels; default 1. */
  minTargetVoxels?: number;
  /** Tiles with 0 < target voxels < this are dropped (ambiguous) and reported; optional. */
  ambiguousBelow?: number;
}

/** Result of {@link tileCase}: the kept tiles and the dropped (ambiguous) ones. */
export interface TileResult {
  /** Kept tiles, in z,y,x tile order, each with image, labels and derived presence. */
  cases: Case[];
  /** Dropped tiles: id and their number of target voxels. */
  dropped: { id: string; targetVoxels: number }[];
}

function targetTable(target: number | readonly number[]): Uint8Array {
  const values = typeof target === "number" ? [target] : target;
  if (!(values.length > 0 && values.every((v) => Number.isInteger(v) && v >= 1 && v <= 255))) {
    throw new InvalidArgumentError("target", `is ${JSON.stringify(target)}`, "label values, integers 1..255");
  }
  const table = new Uint8Array(256);
  for (const v of values) table[v] = 1;
  return table;
}

/**
 * A byte mask (z,y,x, same length as the labels): 1 where the label is one of `target`, else 0.
 *
 * @throws {InvalidArgumentError} when `target` is empty or holds a value outside 1..255
 */
export function targetMask(labels: Labels, target: number | readonly number[]): Uint8Array {
  const table = targetTable(target);
  const src = labels.data, out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

/**
 * Tile boundaries along one axis of `n` voxels cut into `count` tiles: every tile has
 * `floor(n / count)` voxels except the last, which takes the remainder.
 */
function axisStarts(n: number, count: number, axis: number): number[] {
  if (!(Number.isInteger(count) && count >= 1 && count <= n)) {
    throw new InvalidArgumentError(
      `tiles on axis ${"zyx"[axis]}`,
      `is ${count} for ${n} voxels`,
      `an integer between 1 and ${n}`,
    );
  }
  const base = Math.floor(n / count);
  const starts = Array.from({ length: count + 1 }, (_, t) => t * base);
  starts[count] = n;
  return starts;
}

/**
 * Splits a labelled case into tiles (sub-volumes) and derives each tile's weak label from its voxel
 * labels: `presence = 1` when it holds at least `minTargetVoxels` target voxels. Tiles cover the
 * volume exactly (the last tile on each axis takes the remainder); each tile's image and labels are
 * exact crops with shifted affines (world coordinates unchanged). Tile ids are
 * `${case.id}/t${iz}-${iy}-${ix}` with tile indices z,y,x. The source `presence` is not used.
 *
 * @throws {DatasetError} when the case has no labels
 * @throws {ShapeMismatchError} when labels and image grids differ
 * @throws {InvalidArgumentError} on invalid options (both or neither of grid/slabs, more tiles than
 *   voxels on an axis, bad target or thresholds)
 */
export function tileCase(c: Case, options: TileOptions): TileResult {
  const labels = c.labels;
  if (!labels) throw new DatasetError(c.id, "has no voxel labels", "labels to derive tile presence from");
  checkSameGrid(c.image, labels, c.id);
  if ((options.grid === undefined) === (options.slabs === undefined)) {
    throw new InvalidArgumentError("tile options", "give both or neither of grid and slabs", "exactly one");
  }
  let grid: Vec3;
  if (options.slabs) {
    const { axis, count } = options.slabs;
    if (!(axis === 0 || axis === 1 || axis === 2)) {
      throw new InvalidArgumentError("slabs.axis", `is ${axis}`, "0 (z), 1 (y) or 2 (x)");
    }
    grid = [axis === 0 ? count : 1, axis === 1 ? count : 1, axis === 2 ? count : 1];
  } else grid = options.grid as Vec3;
  const minTarget = options.minTargetVoxels ?? 1;
  if (!(Number.isInteger(minTarget) && minTarget >= 1)) {
    throw new InvalidArgumentError("minTargetVoxels", `is ${minTarget}`, "an integer >= 1");
  }
  const ambiguous = options.ambiguousBelow ?? 0;
  if (!(Number.isInteger(ambiguous) && ambiguous >= 0)) {
    throw new InvalidArgumentError("ambiguousBelow", `is ${ambiguous}`, "an integer >= 0");
  }
  const table = targetTable(options.target);
  const shape = labels.shape;
  const starts = [0, 1, 2].map((a) => axisStarts(shape[a], grid[a], a));

  // One pass over the labels counts target voxels per tile (tile index per coordinate by lookup).
  const tileOf = [0, 1, 2].map((a) => {
    const of = new Int32Array(shape[a]);
    for (let t = 0; t < grid[a]; t++) of.fill(t, starts[a][t], starts[a][t + 1]);
    return of;
  });
  const counts = new Float64Array(grid[0] * grid[1] * grid[2]);
  const data = labels.data;
  let i = 0;
  for (let z = 0; z < shape[0]; z++) {
    const tz = tileOf[0][z] * grid[1];
    for (let y = 0; y < shape[1]; y++) {
      const tzy = (tz + tileOf[1][y]) * grid[2];
      for (let x = 0; x < shape[2]; x++, i++) {
        if (table[data[i]]) counts[tzy + tileOf[2][x]]++;
      }
    }
  }

  const result: TileResult = { cases: [], dropped: [] };
  for (let tz = 0; tz < grid[0]; tz++) {
    for (let ty = 0; ty < grid[1]; ty++) {
      for (let tx = 0; tx < grid[2]; tx++) {
        const id = `${c.id}/t${tz}-${ty}-${tx}`;
        const targetVoxels = counts[(tz * grid[1] + ty) * grid[2] + tx];
        if (targetVoxels > 0 && targetVoxels < ambiguous) {
          result.dropped.push({ id, targetVoxels });
          continue;
        }
        const corner: Vec3 = [starts[0][tz], starts[1][ty], starts[2][tx]];
        const size: Vec3 = [
          starts[0][tz + 1] - corner[0],
          starts[1][ty + 1] - corner[1],
          starts[2][tx + 1] - corner[2],
        ];
        result.cases.push({
          id,
          image: { ...crop(c.image, corner, size), id },
          labels: { ...cropLabels(labels, corner, size), id },
          presence: targetVoxels >= minTarget ? 1 : 0,
        });
      }
    }
  }
  return result;
}
