/** The benchmark table: seed statistics and claim checks from hand-made method summaries. */
import assert from "node:assert/strict";
import {
  benchmarkMarkdown,
  type BenchmarkRun,
  seedStat,
  summarizeBenchmark,
} from "../bench/benchmark_table.ts";

const stat = (mean: number) => ({ mean, sd: 0, n: 10, nanCount: 0, infCount: 0, median: mean });

function run(seed: number, dice: Record<string, number>, windows: Record<string, number>): BenchmarkRun {
  return {
    reward: "absolute",
    seed,
    dir: `r${seed}`,
    seconds: 1,
    methods: Object.keys(dice).map((id) => ({
      id: id as "agents",
      label: id,
      supervision: id === "oracle" ? "voxel labels" : "crops labelled from voxel masks",
      metrics: { dice: stat(dice[id]) } as never,
      compute: { windowsScored: stat(windows[id]), steps: stat(32) } as never,
    })),
  };
}

Deno.test("seedStat: mean and sample sd by hand, NaN ignored", () => {
  const s = seedStat([0.2, 0.4, NaN, 0.6]);
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.mean - 0.4) < 1e-12);
  assert.ok(Math.abs(s.sd - 0.2) < 1e-12); // deviations -0.2, 0, 0.2: sqrt(0.08 / 2)
  assert.ok(Number.isNaN(seedStat([0.5]).sd));
});

Deno.test("checks: the four claims of issue 10 from per-seed means", () => {
  const windows = { agents: 200, random: 200, greedy: 400, dense: 3610, oracle: 400 };
  const table = summarizeBenchmark([
    run(0, { agents: 0.5, random: 0.3, greedy: 0.45, dense: 0.52, oracle: 0.75 }, windows),
    run(1, { agents: 0.56, random: 0.32, greedy: 0.5, dense: 0.58, oracle: 0.71 }, windows),
  ]);
  const agents = table.rows.find((r) => r.method === "agents")!;
  assert.ok(Math.abs(agents.dice.mean - 0.53) < 1e-12);
  const byClaim = Object.fromEntries(table.checks.map((c) => [c.claim.slice(0, 12), c.pass]));
  assert.deepEqual(byClaim, {
    "oracle row i": true, // mean 0.73
    "learned >= r": true, // gap 0.225, sd bands 0.53-0.042 > 0.31+0.014
    "learned >= g": true, // 0.53 >= 0.475
    "learned >= 9": true, // 0.53 / 0.55 = 96%, 200 / 3610 = 5.5%
  });
  const worse = summarizeBenchmark([
    run(0, { agents: 0.35, random: 0.3, greedy: 0.45, dense: 0.52, oracle: 0.6 }, {
      ...windows,
      agents: 500,
    }),
  ]);
  assert.ok(worse.checks.every((c) => !c.pass), JSON.stringify(worse.checks));
  const md = benchmarkMarkdown(table, { command: "deno task bench:benchmark", seconds: 90 });
  assert.match(
    md,
    /\| absolute \| agents \| crops labelled from voxel masks \| 53\.0 \+- 4\.2 \| 200 \| 32 \| 2 \|/,
  );
});
