import assert from "node:assert/strict";
import * as root from "../mod.ts";
import * as env from "../env/mod.ts";
import * as models from "../models/mod.ts";
import * as agents from "../agents/mod.ts";
import * as train from "../train/mod.ts";

const ENTRY_FILES = ["mod.ts", "env/mod.ts", "models/mod.ts", "agents/mod.ts", "train/mod.ts"];
const NAMESPACES: Record<string, Record<string, unknown>> = {
  "@spars/gym": root,
  "@spars/gym/env": env,
  "@spars/gym/models": models,
  "@spars/gym/agents": agents,
  "@spars/gym/train": train,
};

Deno.test("entry points: explicit named exports only (no `export *`)", async () => {
  for (const file of ENTRY_FILES) {
    const text = await Deno.readTextFile(new URL(`../${file}`, import.meta.url));
    assert.doesNotMatch(text, /export\s+\*/, file);
  }
});

Deno.test("entry points: internals stay internal, the API a user reaches for is there", () => {
  for (
    const internal of ["crc32", "writeFileAtomic", "PhaseGrids", "mixSeed", "SummedVolume", "policyPlayers"]
  ) {
    assert.equal(internal in root, false, internal);
  }
  for (const internal of ["wasmBinaryPaths", "sha256Hex", "milLoss"]) assert.equal(internal in models, false);
  for (const internal of ["normalCdf", "ppoMinibatchStep", "cloneWeights"]) {
    assert.equal(internal in agents, false);
  }
  for (const internal of ["subSeed", "writeJsonAtomic", "OPTION_SPECS"]) {
    assert.equal(internal in train, false);
  }
  const api: [Record<string, unknown>, string[]][] = [
    [root, ["make", "spec", "register", "SparsEnv", "SelfPlayEnv", "VectorEnv", "PatchEnv", "PixelSegEnv"]],
    [root, ["TimeLimit", "RecordEpisodeStatistics", "runEvaluation", "segment", "dice", "loadAgentModule"]],
    [models, [
      "ClassifierScorer",
      "trainClassifier",
      "loadClassifier",
      "initBackend",
      "OnnxClassifierScorer",
    ]],
    [agents, ["PpoLearner", "PolicyAgent", "PolicyNetwork", "OpponentPool", "loadPolicyAgent"]],
    [train, ["trainSelfPlay", "runPipeline", "runTrainCli", "PRESETS", "createRunFolder"]],
  ];
  for (const [ns, names] of api) for (const n of names) assert.ok(ns[n] !== undefined, n);
});

Deno.test("entry points: every value the README and examples import from the package exists", async () => {
  const sources = ["README.md", "examples/my_agent.ts", "examples/evaluate_agent.ts"];
  let checked = 0;
  for (const file of sources) {
    const text = await Deno.readTextFile(new URL(`../${file}`, import.meta.url));
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
      const spec = m[2] === "../mod.ts" ? "@spars/gym" : m[2];
      const ns = NAMESPACES[spec];
      if (!ns) continue;
      for (const raw of m[1].split(",").map((s) => s.trim()).filter(Boolean)) {
        if (raw.startsWith("type ")) continue; // types are checked by `deno check`
        const name = raw.split(/\s+as\s+/)[0];
        assert.ok(name in ns, `${file} imports ${name} from ${spec}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 10, `only ${checked} imported names found`);
});

/** Names each entry point of deno.json `exports` must provide (a new entry point needs a row here). */
const EXPECTED_BY_ENTRY: Record<string, string[]> = {
  ".": ["make", "SparsEnv", "runEvaluation", "generatePhantom"],
  "./env": [
    "SparsEnv",
    "SelfPlayEnv",
    "VectorEnv",
    "SelfPlayVectorEnv",
    "PatchEnv",
    "PixelSegEnv",
    "Box",
    "MultiDiscrete",
    "flatten",
    "TimeLimit",
    "RecordEpisodeStatistics",
    "FrameStack",
    "make",
    "spec",
    "register",
    "OracleScorer",
    "CachedScorer",
    "RandomAgent",
    "GreedyAgent",
    "GreedyPatchAgent",
    "checkEnv",
    "checkParallelEnv",
    "checkPixelEnv",
    "EnvStateError",
    "RegistryError",
    "SparsGymError",
  ],
  "./models": ["ClassifierScorer", "loadClassifier"],
  "./agents": ["PpoLearner", "PolicyAgent"],
  "./train": ["trainSelfPlay", "runPipeline"],
};

Deno.test("entry points: every deno.json export loads and provides its names", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const exportsMap = config.exports as Record<string, string>;
  assert.deepEqual(Object.keys(exportsMap).sort(), Object.keys(EXPECTED_BY_ENTRY).sort());
  assert.equal(exportsMap["./env"], "./env/mod.ts");
  for (const [entry, file] of Object.entries(exportsMap)) {
    const ns = await import(new URL(`../${file}`, import.meta.url).href);
    for (const name of EXPECTED_BY_ENTRY[entry]) assert.ok(ns[name] !== undefined, `${entry} lacks ${name}`);
  }
});

Deno.test("entry points: ./env holds the env layer only (no tfjs, no tasks, no eval)", async () => {
  for (const internal of ["crc32", "PNG_SIGNATURE", "SummedVolume", "latticeCorners", "closeMatches"]) {
    assert.equal(internal in env, false, internal);
  }
  for (const above of ["runEvaluation", "segment", "makePhantomTask", "PHANTOM_TASK_ID", "dice"]) {
    assert.equal(above in env, false, above);
  }
  // The same class objects as the root's: one implementation behind both entry points.
  assert.equal(env.SparsEnv, root.SparsEnv);
  assert.equal(env.make, root.make);
  // Walk the static and dynamic imports of env/mod.ts from the source text (no subprocess needed).
  const repoRoot = new URL("..", import.meta.url);
  const seen = new Set<string>();
  const bare = new Set<string>();
  const queue = [new URL("env/mod.ts", repoRoot).href];
  while (queue.length) {
    const href = queue.pop()!;
    if (seen.has(href)) continue;
    seen.add(href);
    const text = await Deno.readTextFile(new URL(href));
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)"([^"]+)"/g)) {
      if (m[1].startsWith(".")) queue.push(new URL(m[1], href).href);
      else bare.add(m[1]);
    }
  }
  const files = [...seen].map((h) => h.slice(repoRoot.href.length));
  assert.ok(files.includes("env/spars_env.ts") && files.includes("data/phantom.ts"), "graph walked");
  for (const f of files) assert.match(f, /^(env|data)\//, f);
  for (const b of bare) assert.doesNotMatch(b, /tensorflow|onnx/, b);
});
