/**
 * The k-fold table (`deno task eval:folds`): pooled Dice mean and sd over every fold's cases equal a
 * hand computation; overlapping folds and non-test evaluations are refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { foldTableMarkdown, poolFolds } from "../eval/fold_table.ts";
import { runFoldsCli } from "../eval/folds_cli.ts";
import { scratchDir } from "./_helpers.ts";

/** A minimal eval.json of `cases` (id -> [dense Dice, greedy Dice]) in `<dir>/<name>/eval/`. */
async function fold(
  dir: string,
  name: string,
  cases: Record<string, [number | string, number | string]>,
  split = "test",
  notes: string[] = [],
) {
  const run = join(dir, name);
  await Deno.mkdir(join(run, "eval"), { recursive: true });
  const row = (dice: number | string, windows: number) => ({
    scores: { dice },
    windowsScored: windows,
    timings: { totalMs: 2000 },
  });
  const json = {
    split,
    notes,
    methods: [
      { id: "dense", label: "Dense", supervision: "crops" },
      { id: "greedy", label: "Greedy", supervision: "crops" },
    ],
    cases: Object.entries(cases).map(([id, [d, g]]) => ({
      id,
      methods: { dense: row(d, 100), greedy: row(g, 10) },
    })),
  };
  await Deno.writeTextFile(join(run, "eval", "eval.json"), JSON.stringify(json));
  return run;
}

Deno.test("eval:folds pools every fold's cases: Dice mean and sd by hand, NaN cases left out", async () => {
  const dir = await scratchDir("folds");
  const a = await fold(dir, "f1", { c1: [0.5, 0.2], c2: [0.7, 0.4] });
  const b = await fold(dir, "f2", { c3: [0.9, "NaN"] });
  const t = await poolFolds([a, b]);
  assert.deepEqual([...t.cases].sort(), ["c1", "c2", "c3"]);
  const dense = t.methods.find((m) => m.id === "dense")!, greedy = t.methods.find((m) => m.id === "greedy")!;
  // Dense: 0.5, 0.7, 0.9 -> mean 0.7, population sd sqrt((0.04 + 0 + 0.04) / 3).
  assert.ok(Math.abs(dense.diceMean - 0.7) < 1e-12 && Math.abs(dense.diceSd - Math.sqrt(0.08 / 3)) < 1e-12);
  assert.equal(dense.n, 3);
  assert.equal(dense.windowsMean, 100);
  assert.equal(dense.secondsMean, 2);
  // Greedy: c3 has no target (NaN) and is left out of the Dice: 0.2, 0.4 -> 0.3 +- 0.1.
  assert.ok(Math.abs(greedy.diceMean - 0.3) < 1e-12 && Math.abs(greedy.diceSd - 0.1) < 1e-12);
  assert.equal(greedy.n, 2);
  assert.match(foldTableMarkdown(t), /\| Dense \| crops \| 70\.0 ± 16\.3 \| 3 \| 100 \| 2\.00 \|/);
  const lines: string[] = [];
  assert.equal(await runFoldsCli([a, b], (l) => lines.push(l)), 0);
  assert.match(lines.join("\n"), /3 cases from 2 folds/);
});

Deno.test("eval:folds refuses overlapping folds and evaluations of another split", async () => {
  const dir = await scratchDir("folds-bad");
  const a = await fold(dir, "f1", { c1: [0.5, 0.2] });
  const b = await fold(dir, "f2", { c1: [0.6, 0.3] });
  await assert.rejects(
    () => poolFolds([a, b]),
    (e: unknown) => e instanceof InvalidArgumentError && /c1/.test(e.message),
  );
  const v = await fold(dir, "f3", { c9: [0.5, 0.2] }, "all");
  await assert.rejects(() => poolFolds([v]), /split all/);
  assert.equal(await runFoldsCli([], () => {}, () => {}), 2);
  assert.equal(await runFoldsCli([join(dir, "missing")], () => {}, () => {}), 1);
});

Deno.test("eval:folds repeats the runs' data licence lines once and says when dense seconds were cache reads", async () => {
  const dir = await scratchDir("folds");
  const licence = "Data: TCIA Soft-tissue-Sarcoma (Vallières et al. 2015), CC BY 3.0.";
  const cacheNote =
    "Dense map: the lattice scores of 2 case evaluation(s) (val and test) were read from the dense cache x";
  const a = await fold(dir, "f1", { c1: [0.5, 0.2] }, "test", [licence]);
  const b = await fold(dir, "f2", { c2: [0.9, 0.1] }, "test", [licence, cacheNote]);
  const c = await fold(dir, "f3", { c3: [0.9, 0.1] }, "test", [licence, "Split: something else"]);
  const t = await poolFolds([a, b, c]);
  assert.deepEqual(t.notes, [
    licence,
    "Dense map seconds of 1 of 3 runs are reads from the dense cache, not its compute cost " +
    "(evaluate with --no-dense-cache to measure it).",
  ]);
  assert.match(
    foldTableMarkdown(t),
    /\n\n- Data: TCIA Soft-tissue-Sarcoma .*\n- Dense map seconds of 1 of 3 runs/,
  );
  assert.deepEqual((await poolFolds([a])).notes, [licence]);
});
