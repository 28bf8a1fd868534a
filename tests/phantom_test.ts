import assert from "node:assert/strict";
import { generatePhantom, generatePhantomDataset, phantomDatasetPlan } from "../data/phantom.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case, Vec3 } from "../data/types.ts";

const SMALL: Vec3 = [24, 48, 48];

function bytesOf(a: Float32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function labelCounts(c: Case): number[] {
  const counts = [0, 0, 0, 0];
  for (const v of c.labels?.data ?? []) counts[Math.min(v, 3)]++;
  return counts;
}

function meanWhere(c: Case, label: number): number {
  const l = c.labels?.data ?? new Uint8Array(0), im = c.image.data;
  let n = 0, s = 0;
  for (let i = 0; i < l.length; i++) {
    if (l[i] === label) n++, s += im[i];
  }
  return s / n;
}

Deno.test("generatePhantom: same seed gives the same bytes, another seed other bytes", () => {
  const a = generatePhantom({ seed: 11, shape: SMALL });
  const b = generatePhantom({ seed: 11, shape: SMALL });
  const c = generatePhantom({ seed: 12, shape: SMALL });
  assert.equal(a.id, "phantom-11");
  assert.deepEqual(bytesOf(a.image.data), bytesOf(b.image.data));
  assert.deepEqual(bytesOf(a.labels?.data ?? new Uint8Array()), bytesOf(b.labels?.data ?? new Uint8Array()));
  assert.notDeepEqual(bytesOf(a.image.data), bytesOf(c.image.data));
  assert.notDeepEqual(a.labels?.data, c.labels?.data);
  assert.deepEqual(a.image.shape, SMALL);
  assert.deepEqual(a.image.spacing, [2.5, 1.5, 1.5]);
});

Deno.test("generatePhantom: tumours lie only where the same anatomy without tumours has liver", () => {
  for (const seed of [1, 2, 3, 4]) {
    const withT = generatePhantom({ seed, shape: SMALL, tumours: [2, 4], tumourRadiusMm: [4, 20] });
    const without = generatePhantom({ seed, shape: SMALL, tumours: 0, tumourRadiusMm: [4, 20] });
    const lt = withT.labels?.data ?? new Uint8Array(), l0 = without.labels?.data ?? new Uint8Array();
    let tumour = 0;
    for (let i = 0; i < lt.length; i++) {
      if (lt[i] === 2) {
        tumour++;
        assert.equal(l0[i], 1, `seed ${seed}: tumour voxel ${i} is not liver in the tumour-free anatomy`);
      } else {
        assert.equal(lt[i], l0[i], `seed ${seed}: voxel ${i} changed outside the tumour`);
        assert.equal(withT.image.data[i], without.image.data[i], `seed ${seed}: image changed at ${i}`);
      }
    }
    assert.ok(tumour > 0);
    assert.equal(withT.presence, 1);
    assert.equal(without.presence, 0);
    assert.equal(labelCounts(without)[2], 0);
  }
});

Deno.test("generatePhantom: HU ranges are CT-like (air, liver, hypodense tumours, bone)", () => {
  const c = generatePhantom({ seed: 5, shape: SMALL, tumours: 2, noiseSd: 12 });
  const liver = meanWhere(c, 1), tumour = meanWhere(c, 2);
  assert.ok(liver >= 40 && liver <= 80, `liver mean ${liver}`);
  assert.ok(tumour < liver - 15 && tumour > liver - 80, `tumour mean ${tumour} vs liver ${liver}`);
  // The corner row is air: mean -1000, sd ~ noiseSd.
  const row = c.image.data.subarray(0, SMALL[2]);
  const mean = row.reduce((s, v) => s + v, 0) / row.length;
  const sd = Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length);
  assert.ok(Math.abs(mean + 1000) < 6, `air mean ${mean}`);
  assert.ok(sd > 7 && sd < 17, `air sd ${sd}`);
  let max = -Infinity;
  for (const v of c.image.data) max = Math.max(max, v);
  assert.ok(max > 300 && max < 800, `bone max ${max}`);
  const quiet = generatePhantom({ seed: 5, shape: SMALL, noiseSd: 0 });
  assert.equal(quiet.image.data[0], -1000, "air without noise is exactly -1000");
  // Affine: diagonal spacing (x,y,z columns), volume centred on world 0.
  const a = c.image.affine;
  assert.deepEqual([a[0], a[5], a[10]], [1.5, 1.5, 2.5]);
  assert.deepEqual([a[3], a[7], a[11]], [-23.5 * 1.5, -23.5 * 1.5, -11.5 * 2.5]);
});

Deno.test("generatePhantom: options shape the tumours (count, contrast) and bad options throw", () => {
  const none = generatePhantom({ seed: 9, shape: SMALL, tumours: 0 });
  assert.equal(none.presence, 0);
  const bright = generatePhantom({ seed: 9, shape: SMALL, tumours: 1, contrast: [40, 50], noiseSd: 0 });
  assert.ok(meanWhere(bright, 2) > meanWhere(bright, 1) + 25);
  assert.equal(bright.presence, 1);
  const bad = [
    { seed: Number.NaN },
    { seed: 1, shape: [0, 4, 4] as const },
    { seed: 1, spacing: [1, -1, 1] as const },
    { seed: 1, tumours: [3, 1] as const },
    { seed: 1, tumours: 1.5 },
    { seed: 1, tumourRadiusMm: [0, 3] as const },
    { seed: 1, noiseSd: -1 },
    { seed: 1, contrast: [10, -10] as const },
  ];
  for (const options of bad) assert.throws(() => generatePhantom(options), InvalidArgumentError);
});

Deno.test("generatePhantomDataset: exact negative share, shuffled, presence matches labels, deterministic", () => {
  const shape: Vec3 = [12, 24, 24];
  const ds = generatePhantomDataset({ count: 10, seed: 3, shape, negativeShare: 0.3 });
  assert.equal(ds.length, 10);
  assert.equal(ds.filter((c) => c.presence === 0).length, 3);
  for (const c of ds) assert.equal(c.presence, labelCounts(c)[2] > 0 ? 1 : 0, c.id);
  assert.equal(new Set(ds.map((c) => c.id)).size, 10);
  const again = generatePhantomDataset({ count: 10, seed: 3, shape, negativeShare: 0.3 });
  assert.deepEqual(again.map((c) => [c.id, c.presence]), ds.map((c) => [c.id, c.presence]));
  // Negatives are not always first: over a few seeds the order differs from sorted.
  const orders = [3, 4, 5].map((seed) =>
    generatePhantomDataset({ count: 7, seed, shape, negativeShare: 0.4 }).map((c) => c.presence).join("")
  );
  assert.ok(orders.some((o) => o !== "0001111"), orders.join(" "));
  assert.ok(orders.every((o) => [...o].filter((p) => p === "0").length === 3)); // round(2.8) = 3
  const other = generatePhantomDataset({ count: 10, seed: 4, shape });
  assert.notDeepEqual(other.map((c) => c.id), ds.map((c) => c.id));
  assert.equal(
    generatePhantomDataset({ count: 4, seed: 1, shape, negativeShare: 0 }).every((c) => c.presence),
    true,
  );
  assert.equal(
    generatePhantomDataset({ count: 4, seed: 1, shape, negativeShare: 1 }).some((c) => c.presence),
    false,
  );
  assert.throws(() => generatePhantomDataset({ count: 0, seed: 1 }), InvalidArgumentError);
  assert.throws(
    () => generatePhantomDataset({ count: 2, seed: 1, negativeShare: 1.5 }),
    InvalidArgumentError,
  );
  assert.throws(
    () => generatePhantomDataset({ count: 2, seed: 1, tumours: 0, negativeShare: 0.5 }),
    InvalidArgumentError,
  );
});

Deno.test("phantomDatasetPlan: per-case options that generatePhantomDataset follows exactly", () => {
  const shape: Vec3 = [12, 24, 24];
  const options = { count: 8, seed: 11, shape, negativeShare: 0.25, tumours: [0, 4] as const, noiseSd: 3 };
  const plan = phantomDatasetPlan(options);
  assert.equal(plan.length, 8);
  // round(8 * 0.25) = 2 negatives with no tumour; positives get [max(1, 0), 4] = [1, 4].
  assert.deepEqual(plan.map((p) => p.tumours).filter((t) => t === 0).length, 2);
  for (const p of plan) {
    assert.ok(p.tumours === 0 || (Array.isArray(p.tumours) && p.tumours[0] === 1 && p.tumours[1] === 4));
    assert.ok(Number.isInteger(p.seed) && p.seed >= 0 && p.seed < 2 ** 32, `seed ${p.seed}`);
    assert.deepEqual([p.shape, p.noiseSd], [shape, 3]); // other options copied into every entry
    assert.equal("count" in p || "negativeShare" in p, false);
  }
  assert.equal(new Set(plan.map((p) => p.seed)).size, 8);
  assert.deepEqual(phantomDatasetPlan(options), plan); // deterministic
  const cases = generatePhantomDataset(options);
  assert.deepEqual(cases.map((c) => c.id), plan.map((p) => `phantom-${p.seed}`));
  assert.deepEqual(cases.map((c) => c.presence), plan.map((p) => (p.tumours === 0 ? 0 : 1)));
  assert.deepEqual(cases[3].image.data, generatePhantom(plan[3]).image.data);
  assert.throws(() => phantomDatasetPlan({ count: 2, seed: NaN }), InvalidArgumentError);
  assert.throws(() => phantomDatasetPlan({ count: 2.5, seed: 1 }), InvalidArgumentError);
  assert.throws(() => phantomDatasetPlan({ count: 2, seed: 1, negativeShare: -0.1 }), InvalidArgumentError);
  assert.throws(() => phantomDatasetPlan({ count: 2, seed: 1, tumours: 0 }), InvalidArgumentError);
  // All negatives: a tumour-free option is fine.
  assert.deepEqual(
    phantomDatasetPlan({ count: 2, seed: 1, tumours: 0, negativeShare: 1 }).map((p) => p.tumours),
    [0, 0],
  );
});
