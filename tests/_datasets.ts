/** Shared fixtures of the dataset tests: small NIfTI images and labels, a folder layout, split checks. */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Dataset } from "../data/dataset.ts";
import { writeNifti } from "../data/nifti_write.ts";
import type { SplitName } from "../data/split.ts";
import { type Case, diagonalAffine, type Labels, type Vec3, type Volume } from "../data/types.ts";

export const SHAPE: Vec3 = [8, 8, 8];
const N = 512; // voxels of SHAPE

/** Image whose voxel i holds `base + i` (so files are told apart by their first voxel). */
export function image(base: number, shape: Vec3 = SHAPE, spacing: Vec3 = [2, 1, 1]): Volume {
  const n = shape[0] * shape[1] * shape[2];
  return {
    id: "x",
    shape,
    spacing,
    data: Float32Array.from({ length: n }, (_, i) => base + i),
    affine: diagonalAffine(spacing, [-4, -4, -8]),
  };
}

/** Labels: 1 on the first z slice; `value` (if any) on voxels 100..109. */
export function labels(value?: number, shape: Vec3 = SHAPE, spacing: Vec3 = [2, 1, 1]): Labels {
  const n = shape[0] * shape[1] * shape[2];
  const data = new Uint8Array(n);
  data.fill(1, 0, shape[1] * shape[2]);
  if (value !== undefined) data.fill(value, 100, 110);
  return { id: "x", shape, spacing, data, affine: diagonalAffine(spacing, [-4, -4, -8]) };
}

export async function toArray(d: Dataset): Promise<Case[]> {
  const out: Case[] = [];
  for await (const c of d.cases()) out.push(c);
  return out;
}

export const ids = (d: Dataset): string[] => d.refs.map((r) => r.id);
export const SPLITS: SplitName[] = ["train", "val", "test"];

export function assertSplitsPartition(d: Dataset): void {
  const parts = SPLITS.map((s) => ids(d.split(s)));
  const all = parts.flat();
  assert.equal(all.length, d.refs.length);
  assert.deepEqual(new Set(all), new Set(ids(d)));
}

/**
 * Folder: a (no labels), b (labels in labels/, tumour), c (c_seg, tumour), d (d_seg, no tumour),
 * e (no labels); CSV gives a=1, b=no (overriding b's labels), e=0.
 */
export async function makeFolder(dir: string): Promise<void> {
  await writeNifti(join(dir, "a.nii.gz"), image(1));
  await writeNifti(join(dir, "b.nii"), image(2));
  await Deno.mkdir(join(dir, "labels"));
  await writeNifti(join(dir, "labels", "b.nii"), labels(1));
  await writeNifti(join(dir, "c.nii.gz"), image(3));
  await writeNifti(join(dir, "c_seg.nii.gz"), labels(1));
  await writeNifti(join(dir, "d.nii.gz"), image(4));
  await writeNifti(join(dir, "d_seg.nii"), { ...labels(), data: new Uint8Array(N) }); // all background
  await writeNifti(join(dir, "e.nii.gz"), image(5));
  await Deno.writeTextFile(join(dir, "labels.csv"), 'case,presence\na,1\r\nb.nii,no\n\n"e", 0\n');
}
