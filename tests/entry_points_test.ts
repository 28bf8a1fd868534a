import assert from "node:assert/strict";
import * as root from "../mod.ts";
import * as models from "../models/mod.ts";
import * as agents from "../agents/mod.ts";
import * as train from "../train/mod.ts";

const ENTRY_FILES = ["mod.ts", "models/mod.ts", "agents/mod.ts", "train/mod.ts"];
const NAMESPACES: Record<string, Record<string, unknown>> = {
  "@spars/gym": root,
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
