/**
 * The NaN/Inf policy (data/finite.ts) wherever a volume enters (issue 11): datasets (cache hits,
 * preprocessing), the env's observations and the classifier scorers (tfjs and, when onnxruntime
 * loads, ONNX). Before, a NaN volume gave observations outside the declared space and an all-+Inf
 * volume scored 0.871 (above tau).
 */
import assert from "node:assert/strict";
import { openFolderDataset } from "../data/dataset.ts";
import { CaseCache } from "../data/case_cache.ts";
import { NonFiniteVoxelError } from "../data/errors.ts";
import { applyNonFinitePolicy, assertFiniteWindows, countNonFinite } from "../data/finite.ts";
import { writeNifti } from "../data/nifti_write.ts";
import { generatePhantom } from "../data/phantom.ts";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { probeOnnxRuntime } from "../models/onnx_runtime.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });
const probe = await probeOnnxRuntime();
if ("reason" in probe) console.warn(`SKIP: the ONNX scorer case is ignored: ${probe.reason}`);

function filled(id: string, shape: Vec3, value: number): Volume {
  const data = new Float32Array(shape[0] * shape[1] * shape[2]).fill(value);
  return { id, shape, spacing: [1, 1, 1], data, affine: diagonalAffine([1, 1, 1]) };
}

/** Asserts a NonFiniteVoxelError whose message matches `pattern`. */
function isNonFinite(pattern: RegExp): (e: Error) => boolean {
  return (e: Error) => {
    assert.ok(e instanceof NonFiniteVoxelError, `untyped: ${e}`);
    assert.match(e.message, pattern);
    return true;
  };
}

Deno.test("policy: error names the source and count; zero copies and counts; scans are remembered", () => {
  const v = filled("v", [1, 2, 3], 1);
  assert.equal(applyNonFinitePolicy(v, "f.nii").volume, v);
  const bad = { ...v, data: Float32Array.of(1, NaN, Infinity, -Infinity, 2, 3) };
  assert.throws(() => applyNonFinitePolicy(bad, "f.nii"), isNonFinite(/^f\.nii: 3 of 6 voxels are NaN/));
  const { volume, count } = applyNonFinitePolicy(bad, "f.nii", "zero");
  assert.equal(count, 3);
  assert.deepEqual(Array.from(volume.data), [1, 0, 0, 0, 2, 3]);
  assert.ok(Number.isNaN(bad.data[1])); // the input is not modified
  assert.equal(countNonFinite(bad.data), 3);
  // Windows: only those holding a bad voxel are refused.
  const w = { ...bad, id: "case-7", shape: [1, 2, 3] as Vec3 };
  assertFiniteWindows(w, Int32Array.of(0, 1, 1), [1, 1, 2], "s"); // voxels 4, 5: finite
  assert.throws(
    () => assertFiniteWindows(w, Int32Array.of(0, 1, 1, 0, 0, 0), [1, 1, 2], "s"),
    isNonFinite(
      /^case case-7: window 1 at z,y,x = 0,0,0 \(size 1x1x2\) holds 1 NaN\/Inf voxels, given to scorer s/,
    ),
  );
});

Deno.test("env: a case with a NaN voxel is refused at reset (observations stay inside their space)", async () => {
  const c = generatePhantom({ seed: 3, shape: [16, 32, 32] });
  const data = new Float32Array(c.image.data);
  data[100] = NaN;
  const nan = { ...c, id: "nan-phantom", image: { ...c.image, id: "nan-phantom", data } };
  const env = new SparsEnv({
    scorer: new OracleScorer([nan], { target: 2 }),
    cases: [nan],
    window: [8, 16, 16],
  });
  await assert.rejects(() => env.reset({ seed: 0 }), isNonFinite(/^case nan-phantom: 1 of 16384 voxels/));
});

Deno.test("classifier scorer: an all-+Inf or NaN window raises a typed error naming the case", async () => {
  const model = buildClassifier({ inputShape: [4, 6, 6], hiddenUnits: [8] }, 5);
  const scorer = await ClassifierScorer.fromModel(model, [-200, 250]);
  const corners = Int32Array.of(0, 0, 0);
  await assert.rejects(
    () => scorer.score(filled("inf-case", [8, 12, 12], Infinity), corners, [4, 6, 6]),
    isNonFinite(/^case inf-case: window 0 .* holds 144 NaN\/Inf voxels, given to scorer classifier:/),
  );
  const partly = filled("nan-case", [8, 12, 12], 40);
  partly.data[partly.data.length - 1] = NaN;
  const [finite] = await scorer.score(partly, corners, [4, 6, 6]); // this window is finite
  assert.ok(finite >= 0 && finite <= 1);
  await assert.rejects(
    () => scorer.score(partly, Int32Array.of(4, 6, 6), [4, 6, 6]),
    isNonFinite(/nan-case/),
  );
  if ("runtime" in probe) {
    const onnx = await OnnxClassifierScorer.fromModel(model, [-200, 250]);
    try {
      await assert.rejects(
        () => onnx.score(filled("inf-onnx", [8, 12, 12], Infinity), corners, [4, 6, 6]),
        isNonFinite(/^case inf-onnx: window 0/),
      );
    } finally {
      await onnx.dispose();
    }
  }
  model.dispose();
});

Deno.test("dataset: a NaN image from a cache hit is refused, naming the image file", async () => {
  const dir = await scratchDir("nonfinite-ds");
  await Deno.mkdir(`${dir}/data`);
  await writeNifti(`${dir}/data/case1.nii.gz`, filled("case1", [2, 3, 4], 7));
  const cache = new CaseCache(`${dir}/cache`);
  const ds = await openFolderDataset(`${dir}/data`, { cache });
  const first = await ds.load(ds.refs[0]);
  assert.equal(first.image.data[0], 7);
  // A cache entry holding NaN (written by another version, or tampered with) with a valid digest.
  const [entry] = [...Deno.readDirSync(`${dir}/cache`)].map((e) => e.name);
  const key = entry.replace(/\.case$/, "");
  const data = new Float32Array(first.image.data);
  data[5] = NaN;
  await cache.put(key, { ...first, image: { ...first.image, data } });
  await assert.rejects(() => ds.load(ds.refs[0]), isNonFinite(/case1\.nii\.gz: 1 of 24 voxels/));
});
