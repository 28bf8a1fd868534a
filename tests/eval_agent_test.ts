import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliIo, main, parseEvalArgs } from "../eval/eval_cli.ts";
import type { EvaluationResult } from "../eval/evaluate.ts";
import { parseEvaluationJson } from "../eval/report.ts";
import { loadAgentModule } from "../eval/agent_module.ts";
import { readNiftiLabels } from "../data/nifti_read.ts";
import { scratchDir } from "./_helpers.ts";

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), terminal: false };
}

// 10 small phantoms (split 7/1/2), oracle scorer so no checkpoint is needed; one start keeps it short.
const SMALL = [
  ...["--phantoms", "10", "--phantom-shape", "16x32x32", "--window", "4x8x8", "--stride", "2"],
  ...["--max-steps", "8", "--scorer", "oracle", "--nifti", "masks", "--overlays", "0", "--starts", "2"],
];
const GREEDY_URL = new URL("../env/baseline_agents.ts", import.meta.url).href;

Deno.test("eval --agent: examples/my_agent.ts runs as row 'custom' beside the built-in methods", async () => {
  const run = await scratchDir("eval-agent");
  const io = capture();
  const code = await main(["--run", run, ...SMALL, "--agent", "examples/my_agent.ts", "--no-sweep"], io);
  assert.equal(code, 0, io.stderr.join(""));
  assert.match(io.stdout.join(""), /Your agent \(dark-side\)/);
  const json = parseEvaluationJson(await Deno.readTextFile(join(run, "eval/eval.json"))) as
    & EvaluationResult
    & {
      notes: string[];
    };
  assert.deepEqual(json.methods.map((m) => m.id), ["custom", "dense", "random", "greedy", "oracle"]);
  assert.ok(json.notes.some((n) => /examples\/my_agent\.ts/.test(n)));
  const custom = json.methods.find((m) => m.id === "custom")!;
  assert.match(custom.label, /^Your agent \(dark-side\)/);
  assert.equal(custom.metrics.dice.n + custom.metrics.dice.nanCount, json.cases.length);
  // Its masks are written like the other methods' and agree with the recorded voxel counts.
  for (const c of json.cases) {
    const mask = await readNiftiLabels(join(run, `eval/nifti/custom/${c.id}_mask.nii.gz`));
    assert.equal(mask.data.reduce((s, v) => s + v, 0), c.methods.custom!.predictedVoxels);
  }
});

Deno.test("eval --agent: a module wrapping the greedy baseline reproduces the greedy row exactly", async () => {
  const run = await scratchDir("eval-agent-greedy");
  const module = join(run, "greedy_agent.ts");
  // The factory records what it is called with, so the seeds and shape given can be checked. The greedy
  // row plays ONE GreedyAgent on both sides (its tie-break generator is shared), so side b (every odd
  // call after the probe) gets side a's agent back.
  await Deno.writeTextFile(
    module,
    `import { GreedyAgent } from "${GREEDY_URL}";\n` +
      `export const calls: { observationShape: number[]; seed: number }[] = [];\n` +
      `let shared: GreedyAgent | undefined;\n` +
      `export default (o: { observationShape: number[]; seed: number }) => {\n` +
      `  calls.push(o);\n  if (calls.length % 2 === 0 || !shared) shared = new GreedyAgent();\n` +
      `  const g = shared;\n` +
      `  return { name: "my-greedy", act: (obs: Float32Array[], ctx: never[]) => g.act(obs, ctx) };\n};\n`,
  );
  const io = capture();
  assert.equal(
    await main([
      ...["--run", run, ...SMALL, "--phantoms", "16", "--agent", module],
      ...["--methods", "custom,greedy", "--no-sweep"],
    ], io),
    0,
    io.stderr.join(""),
  );
  const json = parseEvaluationJson(await Deno.readTextFile(join(run, "eval/eval.json"))) as EvaluationResult;
  assert.deepEqual(json.methods.map((m) => m.id), ["custom", "greedy"]);
  assert.ok(json.cases.length >= 2);
  for (const c of json.cases) {
    const mine = c.methods.custom!, greedy = c.methods.greedy!;
    assert.equal(mine.predictedVoxels, greedy.predictedVoxels, c.id);
    assert.deepEqual(
      mine.byStarts!.map((b) => [b.dice, b.windowsScored]),
      greedy.byStarts!.map((b) => [
        b.dice,
        b.windowsScored,
      ]),
    );
  }
  const { calls } = await import(new URL(`file://${module}`).href) as {
    calls: { observationShape: number[]; seed: number }[];
  };
  // One probe at load, then per case and number of starts two players (sides a and b) with distinct seeds.
  assert.equal(calls.length, 1 + json.cases.length * 2 * 2);
  assert.ok(calls.every((c) => c.observationShape.join("x") === json.game.observationShape.join("x")));
  for (let i = 1; i < calls.length; i += 2) assert.notEqual(calls[i].seed, calls[i + 1].seed);
});

Deno.test("eval --agent: a bad module is a usage error before anything is written", async () => {
  const run = await scratchDir("eval-agent-bad");
  const noDefault = join(run, "no_default.ts");
  await Deno.writeTextFile(noDefault, "export const x = 1;\n");
  const notAgent = join(run, "not_agent.ts");
  await Deno.writeTextFile(notAgent, "export default () => ({ name: 'x' });\n");
  for (
    const [path, message] of [
      [noDefault, /no function as default export/],
      [notAgent, /returned no agent/],
      [join(run, "missing.ts"), /could not be imported/],
    ] as const
  ) {
    const io = capture();
    assert.equal(await main(["--run", run, ...SMALL, "--agent", path], io), 1);
    assert.match(io.stderr.join(""), new RegExp(`--agent: .*${message.source}`));
  }
  assert.deepEqual(
    [...Deno.readDirSync(run)].map((e) => e.name).sort(),
    [
      "missing.ts",
      "no_default.ts",
      "not_agent.ts",
    ].filter((n) => n !== "missing.ts"),
  );
  // Asking for the row without an agent names the problem.
  const io = capture();
  assert.equal(await main(["--run", run, ...SMALL, "--methods", "custom"], io), 1);
  assert.match(io.stderr.join(""), /include 'custom' but no agent was given/);
  assert.equal(parseEvalArgs(["--run", "r", "--agent", "a.ts"])!.agent, "a.ts");
  await assert.rejects(loadAgentModule(noDefault, [2, 2, 2], "agent"), /agent: .*no function/);
});
