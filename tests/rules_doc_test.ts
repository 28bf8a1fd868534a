/**
 * docs/RULES.md cannot go stale: its tables are parsed and checked against the code: the actions
 * table against real SPARS steps from three corners, the observation channel formulas against
 * `observationChannels` and a real env's space, each reward scheme's worked example against
 * `rewardFunction`, each map mode's example against a real `ProbabilityMap`, and every game's info
 * table (keys and types) against the infos of a real step.
 */
import assert from "node:assert/strict";
import type { Case, Vec3 } from "../data/types.ts";
import { MOVE_COUNT, MOVE_NAMES } from "../env/geometry.ts";
import { OBSERVATION_MODES, observationChannels, type ObservationMode } from "../env/observation.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { PatchEnv } from "../env/patch/patch_env.ts";
import { PixelSegEnv } from "../env/pixel/pixel_env.ts";
import { MAP_MODES, type MapMode, ProbabilityMap } from "../env/probability_map.ts";
import { REWARD_SCHEMES, rewardFunction, type RewardSchemeName } from "../env/rewards.ts";
import { SparsEnv } from "../env/spars_env.ts";

const RULES = await Deno.readTextFile(new URL("../docs/RULES.md", import.meta.url));

/** The first markdown table after the line `heading` (then after `after`, when given): rows of cells. */
function tableAfter(heading: string, after?: string): string[][] {
  const lines = RULES.split("\n");
  let at = lines.indexOf(heading);
  assert.ok(at >= 0, `docs/RULES.md has no line '${heading}'`);
  if (after !== undefined) at = lines.findIndex((l, i) => i > at && l.startsWith(after));
  while (at < lines.length && !lines[at].startsWith("|")) at++;
  const rows: string[][] = [];
  for (; at < lines.length && lines[at].startsWith("|"); at++) {
    const cells = lines[at].slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replaceAll("\\|", "|"));
    if (!cells.every((c) => /^-+$/.test(c))) rows.push(cells);
  }
  assert.ok(rows.length >= 2, `no table after '${heading}'`);
  return rows.slice(1); // without the header
}

const code = (cell: string): string => cell.replace(/^`|`$/g, "");
const numbers = (cell: string): number[] => cell.split(",").map((s) => Number(s.trim()));

/** A blank cubic case of `n` voxels per axis (labels all 0: every score is 0, nothing terminates). */
function blankCase(n: number): Case {
  const shape: Vec3 = [n, n, n];
  const volume = { id: "blank", shape, spacing: [1, 1, 1] as Vec3, affine: undefined as never };
  return {
    id: "blank",
    image: { ...volume, data: new Float32Array(n ** 3) },
    labels: { ...volume, data: new Uint8Array(n ** 3) },
    presence: 0,
  } as unknown as Case;
}

Deno.test("RULES.md: the actions table is what SPARS steps do from each listed corner", async () => {
  const rows = tableAfter("### Actions");
  assert.deepEqual(rows.map((r) => Number(r[0])), [...Array(MOVE_COUNT).keys()]);
  assert.deepEqual(rows.map((r) => r[1]), MOVE_NAMES);
  const header = RULES.split("\n").find((l) => /^\| action +\| name +\|/.test(l))!;
  const starts = header.split("|").slice(3, -1).map((h) => numbers(h.replace("from", "")) as unknown as Vec3);
  assert.equal(starts.length, 3);
  const c = blankCase(32);
  for (const [k, start] of starts.entries()) {
    for (const row of rows) {
      const env = new SparsEnv({
        scorer: new OracleScorer([c], { target: 1 }),
        cases: [c],
        window: [8, 8, 8],
        stride: 4,
        start,
      });
      await env.reset({ seed: 0 });
      const action = Number(row[0]);
      const r = await env.step({ a: action, b: action });
      assert.deepEqual(r.infos.a.corner, numbers(row[2 + k]), `action ${action} from ${start}`);
    }
  }
});

Deno.test("RULES.md: the observation modes and channel counts are the code's", async () => {
  const rows = tableAfter("### Observations");
  assert.deepEqual(rows.map((r) => code(r[0])), OBSERVATION_MODES);
  const c = blankCase(16);
  for (const [modeCell, formula] of rows) {
    const mode = code(modeCell) as ObservationMode;
    const m = /^(\d*)I(?: \+ (\d+))?$/.exec(formula);
    assert.ok(m, `channels '${formula}' is not a formula k I + c`);
    const channels = (i: number) => Number(m[1] || 1) * i + Number(m[2] ?? 0);
    for (const i of [1, 2, 3]) {
      assert.equal(observationChannels(mode, i), channels(i), `${mode} with I = ${i}`);
    }
    const env = new SparsEnv({
      scorer: new OracleScorer([c], { target: 1 }),
      cases: [c],
      window: [8, 8, 8],
      observation: mode,
      observationShape: [4, 4, 4],
    });
    assert.deepEqual(env.observationSpace("a").shape, [4, 4, 4, channels(1)]);
    const r = await env.reset({ seed: 0 });
    assert.equal(r.observations.a.length, 64 * channels(1));
  }
});

Deno.test("RULES.md: the reward schemes and their worked examples are the code's", () => {
  const rows = tableAfter("### Rewards");
  assert.deepEqual(rows.map((r) => code(r[0])), REWARD_SCHEMES);
  for (const row of rows) {
    const reward = rewardFunction(code(row[0]) as RewardSchemeName, { ties: "zero", shapingWeight: 1 });
    const at = (scoreA: number, scoreB: number) =>
      reward({ scoreA, scoreB, cornerA: [0, 0, 0], cornerB: [4, 4, 4], step: 1, newA: true, newB: true });
    for (const [cell, [sa, sb]] of [[row[3], [0.6, 0.2]], [row[4], [0.4, 0.4]]] as const) {
      const [ra, rb] = at(sa, sb), [ea, eb] = numbers(cell);
      assert.ok(
        Math.abs(ra - ea) < 1e-9 && Math.abs(rb - eb) < 1e-9,
        `${row[0]} at ${sa}, ${sb}: ${ra}, ${rb}`,
      );
    }
  }
});

Deno.test("RULES.md: the map modes and their worked example are the code's", () => {
  const rows = tableAfter("### Probability map and mask");
  assert.deepEqual(rows.map((r) => code(r[0])), MAP_MODES);
  for (const row of rows) {
    const map = new ProbabilityMap([4, 4, 4], [2, 2, 2], code(row[0]) as MapMode);
    map.add([0, 0, 0], 0.2); // window X, twice
    map.add([0, 0, 0], 0.6);
    map.add([1, 1, 1], 0.5); // window Y, once; voxel 1,1,1 lies in both
    const value = map.region([1, 1, 1], [1, 1, 1])[0];
    assert.ok(Math.abs(value - Number(row[2])) < 1e-4, `${row[0]}: ${value}`);
    // mask(): strictly above the threshold (default 0.5).
    assert.equal(map.mask(value)[21], 0);
    assert.equal(map.mask(value - 1e-3)[21], 1);
    assert.equal(map.mask()[21], value > 0.5 ? 1 : 0);
  }
});

/** Asserts that `value` has the RULES.md type `type`. */
function assertType(key: string, value: unknown, type: string): void {
  if (type === "number[3]") {
    assert.ok(Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === "number"), key);
  } else if (type === "Uint8Array") assert.ok(value instanceof Uint8Array, key);
  else if (["number", "string", "boolean"].includes(type)) assert.equal(typeof value, type, key);
  else {
    const options = type.split(" | ").map((t) => JSON.parse(t));
    assert.ok(options.includes(value), `${key} = ${String(value)} is not one of ${type}`);
  }
}

function assertInfoTable(rows: string[][], info: object): void {
  assert.deepEqual(rows.map((r) => code(r[0])).sort(), Object.keys(info).sort());
  for (const [key, type] of rows) assertType(key, (info as Record<string, unknown>)[code(key)], type);
}

Deno.test("RULES.md: the SPARS info table lists exactly the keys and types of a real step's infos", async () => {
  const c = blankCase(16);
  const env = new SparsEnv({ scorer: new OracleScorer([c], { target: 1 }), cases: [c], window: [8, 8, 8] });
  const reset = await env.reset({ seed: 0 });
  const step = await env.step({ a: 0, b: 5 });
  const rows = tableAfter("### Infos");
  for (const info of [reset.infos.a, reset.infos.b, step.infos.a, step.infos.b]) assertInfoTable(rows, info);
});

Deno.test("RULES.md: the patch and pixel info tables list exactly the keys of real steps' infos", async () => {
  const image = new Float32Array(64).map((_, i) => i);
  const labels = new Uint8Array(64).map((_, i) => (i % 8 < 4 ? 1 : 0));
  const volume = { id: "p", shape: [1, 8, 8] as Vec3, spacing: [1, 1, 1] as Vec3 };
  const c = {
    id: "p",
    image: { ...volume, data: image },
    labels: { ...volume, data: labels },
  } as unknown as Case;
  const patch = new PatchEnv({ scorer: new OracleScorer([c], { target: 1 }), cases: [c], grid: [1, 2, 2] });
  const reset = await patch.reset({ seed: 0 });
  const step = await patch.step({ a: 0 });
  const patchRows = tableAfter('## The patch game ("Competing for pixels")', "Infos");
  for (const info of [reset.infos.a, reset.infos.b, step.infos.a, step.infos.b]) {
    assertInfoTable(patchRows, info);
  }

  const pixel = new PixelSegEnv({
    slices: [{
      id: "s",
      shape: [4, 4],
      spacing: [1, 1],
      image: new Float32Array(16),
      truth: new Uint8Array(16),
    }],
  });
  const pixelRows = tableAfter("## The pixel game (PixelDRL-MG)", "Infos");
  assertInfoTable(pixelRows, pixel.reset({ seed: 0 }).info);
  assertInfoTable(pixelRows, pixel.step(new Uint8Array(16)).info);
});
