/**
 * `deno task eval --run <run> --data <dir|phantoms> --split test`: evaluates a run folder (see
 * `run_eval.ts`) and prints a summary table. Progress goes to stderr; the report is written to
 * `<run>/eval` (never over an existing one without `--force`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { joinNegativeValues, valueOptionNames } from "../data/cli_args.ts";
import { dirname, join } from "node:path";
import { InvalidArgumentError, SparsGymError } from "../data/errors.ts";
import { asOutputLocationError, checkOutputLocation, OutputLocationError } from "../data/output_location.ts";
import type { SplitName } from "../data/split.ts";
import { MAP_MODES, type MapMode } from "../env/probability_map.ts";
import type { BackendName } from "../models/backend.ts";
import { MASK_RULE_KINDS, parseMaskRule } from "./mask_rule.ts";
import { METHOD_IDS } from "./method_results.ts";
import type { Pairing } from "./players.ts";
import { checkGate } from "./presence_gate.ts";
import { parseSupervisionLevel } from "../data/supervision.ts";
import { evaluateRun, type EvaluateRunOptions } from "./run_eval.ts";
import { summaryTable } from "./summary_table.ts";

export { summaryTable };
import { TUNE_ON, type TuneOn } from "./run_data.ts";
import { DENSE_CACHE_FOLDER } from "./dense_cache.ts";
import { caseListFlags } from "../data/case_subset.ts";
import { gameRunEval } from "./game_runs.ts";
import { nonNegative, num, oneOf, positive, vec } from "./cli_values.ts";

/** The `--help` text. */
export const HELP = `deno task eval --run <run> [options]

Evaluates a SPARS run on held-out cases: the learned agents (when the run has a policy: rows
"agents" with sampled actions and "agents-argmax", each against a distinct side-b player), your
own agent (--agent: row "custom"), the dense sliding-window classifier map (no RL), random agents,
greedy agents, and the oracle scorer (an upper bound that USES VOXEL LABELS). Tau, the mask rule
and the presence gate of each method are first chosen on the val split (mean Dice; the gate on
cases with and without a target). Every method is reported at 1 start and at --starts starts, with
the windows it scored. Writes <run>/eval: eval.json, eval.md, dice_vs_windows.png, overlays/*.png,
nifti/<method>/*.nii.gz. A deno task train:pixel run folder gets its own evaluation (--run, --split,
--out; see --run <pixel run> --help).

Options (defaults in brackets; game and data defaults come from <run>/config.json when present):
  --run DIR            the run folder (required)
  --data SPEC          dataset folder (LiTS, MSD, folder + labels.csv, BraTS / STS case folders)
                       or "phantoms" [the run's, else phantoms]
  --split NAME         train | val | test | all [test]; the run's split (its --split fractions or
                       --fold I/K and --split-seed); all: every case, training ones too (optimistic)
  --cases LIST         evaluate these case ids instead of a split, e.g. STS_001,STS_003 (the
                       report says which lie in the run's train or val split); not with --split
  --cases-file FILE    the same, from a file: ids separated by commas or lines, # comments
  --phantoms N         phantom cases in the whole dataset [24]
  --phantom-seed N     phantom dataset seed [0]
  --phantom-shape ZxYxX  phantom shape [48x96x96]
  --target LIST        target label values, e.g. 2 or 1,2,4 [the dataset's]
  --limit N            evaluate only the first N cases of the split
  --methods LIST       comma list of ${METHOD_IDS.join(",")} [all that can run]
  --scorer KIND        classifier | oracle [classifier]; oracle reads voxel labels (debugging only)
  --classifier DIR     classifier checkpoint [<run>/classifier]
  --policy DIR         trained policy [<run>/policy]; without one only the non-RL methods run
  --agent MODULE       your own agent: a .ts/.js module whose default export is a factory
                       ({ observationShape, seed }) => Agent (e.g. examples/my_agent.ts); evaluated
                       as row "custom" with the run's scorer, a new player per side [none]
  --policy-mode MODE   both | sample | greedy: which policy rows run (agents = sampled actions,
                       agents-argmax = most probable action) [both]
  --pairing P          side b of the policy rows: sampled (the same policy sampling with its own
                       seed) | random | greedy | argmax-twins (side a's player on both sides) [sampled]
  --backend NAME       cpu | wasm | webgpu | tensorflow [wasm]
  --scorer-runtime RT  tfjs | onnx [the run's, else tfjs]; onnx runs the classifier on onnxruntime
                       (~10x faster, needs --allow-ffi)
  --policy-runtime RT  tfjs | onnx [the run's, else tfjs]; onnx runs the policy on onnxruntime
  --batch-size N       windows per classifier call [64]
  --dense-cache DIR    where the dense map's lattice scores are kept across evaluations, keyed by
                       the classifier's files, the case image, window, stride and intensity; a
                       corrupt or mismatching entry is recomputed with a warning [the run's
                       parent folder's .dense-cache: runs/.dense-cache for runs/<run>]
  --no-dense-cache     compute every dense map (read and write no cache)
  --window ZxYxX       window size in voxels [24x48x48]
  --stride N           move length in voxels [4]
  --tau X              termination threshold when not swept [0.3]
  --max-steps N        step limit per start [128]
  --map-mode MODE      sum | distinct | mean | max [sum]; distinct counts each window once
  --threshold X        mask threshold (absolute rule) when not swept [0.5]
  --mask-rule R        mask rule when not swept: absolute:T (map > T), peak:A (map > A x peak,
                       0 < A < 1), visit:T (mean score per covering window > T), deconv:A
                       (deconvolved map > A x its peak, 0 < A < 1) [absolute:--threshold]
  --rule-kinds LIST    rule kinds the val sweep chooses among (absolute, peak, visit, deconv)
                       [absolute,peak,visit]; deconv is opt-in (see eval/mask_rule.ts)
  --gate G             presence gate: empty mask when the method's best window score on the case
                       is below G (0..1, 0 = off), or auto: chosen on the val split [auto]
  --refine-radius N    local dense refinement: lattice windows within +-N strides of the best
                       occupied windows are scored and added to the map (0 = off) [2]
  --refine-top K       refine around the K best occupied windows (0 = off) [1]
  --oracle-refine-radius N  the oracle row's refinement radius (the upper bound reaches the
                       windows that miss the target, whose zero scores deconv needs) [3]
  --oracle-rule-kinds LIST  rule kinds swept for the oracle row [absolute,peak,visit,deconv]
  --starts N           starts per case: the configured start + N-1 random starts seeded per case;
                       reports show every count 1..N (N <= 4; else 1 and N) [4]
  --start-counts LIST  the numbers of starts reported, e.g. 1,2,4 (must include N) [1..N]
  --seed N             seed of random starts, players and random agents [0]
  --scorer-supervision LEVEL  labels the classifier was trained with, for the report rows:
                       "image-level" | "tile-level (derived from masks)" |
                       "crops labelled from voxel masks" [the checkpoint's, else crops labelled
                       from voxel masks]
  --no-sweep           skip the validation sweep (use --tau / --threshold / --mask-rule / --gate)
  --tune-on WHERE      val | train+val: the cases the sweep tunes on; train+val = every case
                       outside the test split (k-fold: thresholds tuned on the training folds;
                       optimistic on the training cases, the report says so) [val]
  --ablate-windows L   window-size ablation on the val split, e.g. 12x24x24,24x48x48,32x64x64
  --overlays N         cases with PNG overlays [3]
  --nifti WHAT         all | masks | none [all]
  --out DIR            output folder [<run>/eval]
  --force              replace an existing output folder, only an evaluation report this
                       command wrote (never a run, a file, or a folder it did not create)
  --help               this text
`;

/** Where the CLI writes (injectable for tests). */
export interface CliIo {
  /** Standard output. */
  readonly out: (text: string) => void;
  /** Standard error (progress, errors). */
  readonly err: (text: string) => void;
  /** True when stderr is a terminal (the progress bar then redraws one line). */
  readonly terminal: boolean;
}

const encoder = new TextEncoder();
const DEFAULT_IO: CliIo = {
  out: (t) => Deno.stdout.writeSync(encoder.encode(t)),
  err: (t) => Deno.stderr.writeSync(encoder.encode(t)),
  terminal: Deno.stderr.isTerminal(),
};

/**
 * Parses the command line into {@link EvaluateRunOptions}; `undefined` for `--help`.
 * @throws {InvalidArgumentError} naming the bad option
 */
export function parseEvalArgs(args: readonly string[]): EvaluateRunOptions | undefined {
  const s = { type: "string" } as const, b = { type: "boolean" } as const;
  const options = {
    run: s,
    data: s,
    split: s,
    phantoms: s,
    "phantom-seed": s,
    "phantom-shape": s,
    target: s,
    limit: s,
    methods: s,
    scorer: s,
    classifier: s,
    backend: s,
    "scorer-runtime": s,
    "policy-runtime": s,
    "batch-size": s,
    "dense-cache": s,
    "no-dense-cache": b,
    cases: s,
    "cases-file": s,
    window: s,
    stride: s,
    tau: s,
    "max-steps": s,
    "map-mode": s,
    threshold: s,
    starts: s,
    "start-counts": s,
    seed: s,
    "mask-rule": s,
    "rule-kinds": s,
    gate: s,
    "refine-radius": s,
    "refine-top": s,
    "oracle-refine-radius": s,
    "oracle-rule-kinds": s,
    pairing: s,
    "scorer-supervision": s,
    "no-sweep": b,
    "tune-on": s,
    "ablate-windows": s,
    policy: s,
    agent: s,
    "policy-mode": s,
    overlays: s,
    nifti: s,
    out: s,
    force: b,
    help: b,
  };
  const { values: v } = parseArgs({
    args: joinNegativeValues(args, valueOptionNames(options)),
    strict: true,
    allowPositionals: false,
    options,
  });
  if (v.help) return undefined;
  if (!v.run) throw new InvalidArgumentError("--run", "is missing", "the run folder (see --help)");
  if (v["tune-on"] !== undefined && v["no-sweep"]) {
    throw new InvalidArgumentError(
      "--tune-on",
      "is given with --no-sweep",
      "one of them (no sweep tunes nothing)",
    );
  }
  const methods = v.methods?.split(",").map((m) => oneOf("methods", m.trim(), METHOD_IDS)!);
  const game = Object.fromEntries(
    Object.entries({
      window: v.window ? vec("window", v.window) : undefined,
      stride: num("stride", v.stride, true),
      tau: num("tau", v.tau),
      maxSteps: num("max-steps", v["max-steps"], true),
      mapMode: oneOf<MapMode>("map-mode", v["map-mode"], MAP_MODES),
    }).filter(([, x]) => x !== undefined),
  );
  const target = v.target?.split(",").map((t) => num("target", t, true)!);
  if (v["no-dense-cache"] && v["dense-cache"] !== undefined) {
    throw new InvalidArgumentError("--no-dense-cache", "is given with --dense-cache", "one of them");
  }
  return {
    ...caseListFlags(v.cases, v["cases-file"], v.split),
    denseCache: v["no-dense-cache"] ? null : v["dense-cache"] ?? join(dirname(v.run), DENSE_CACHE_FOLDER),
    run: v.run,
    out: v.out,
    force: v.force,
    data: v.data,
    split: oneOf<SplitName | "all">("split", v.split, ["train", "val", "test", "all"]),
    phantoms: {
      count: num("phantoms", v.phantoms, true),
      seed: num("phantom-seed", v["phantom-seed"], true),
      shape: v["phantom-shape"] ? vec("phantom-shape", v["phantom-shape"]) : undefined,
    },
    target,
    limit: num("limit", v.limit, true),
    methods,
    scorer: oneOf("scorer", v.scorer, ["classifier", "oracle"]) === "oracle" ? "oracle" : undefined,
    classifier: v.classifier,
    policyDir: v.policy,
    agent: v.agent,
    policyMode: oneOf("policy-mode", v["policy-mode"], ["both", "sample", "greedy"]),
    pairing: oneOf<Pairing>("pairing", v.pairing, ["sampled", "random", "greedy", "argmax-twins"]),
    rule: v["mask-rule"] === undefined ? undefined : parseMaskRule(v["mask-rule"], "--mask-rule"),
    ruleKinds: v["rule-kinds"]?.split(",").map((k) => oneOf("rule-kinds", k.trim(), MASK_RULE_KINDS)!),
    gate: v.gate === undefined || v.gate.trim() === "auto"
      ? undefined
      : checkGate(num("gate", v.gate)!, "--gate"),
    refineRadius: nonNegative("refine-radius", v["refine-radius"]),
    refineTop: nonNegative("refine-top", v["refine-top"]),
    oracleRefineRadius: nonNegative("oracle-refine-radius", v["oracle-refine-radius"]),
    oracleRuleKinds: v["oracle-rule-kinds"]?.split(",").map((k) =>
      oneOf("oracle-rule-kinds", k.trim(), MASK_RULE_KINDS)!
    ),
    scorerSupervision: v["scorer-supervision"] === undefined
      ? undefined
      : parseSupervisionLevel(v["scorer-supervision"], "--scorer-supervision"),
    backend: oneOf<BackendName>("backend", v.backend, ["cpu", "wasm", "webgpu", "tensorflow"]),
    runtime: oneOf("scorer-runtime", v["scorer-runtime"], ["tfjs", "onnx"]),
    policyRuntime: oneOf("policy-runtime", v["policy-runtime"], ["tfjs", "onnx"]),
    batchSize: num("batch-size", v["batch-size"], true),
    game,
    threshold: num("threshold", v.threshold),
    starts: positive("starts", v.starts),
    startCounts: v["start-counts"]?.split(",").map((k) => positive("start-counts", k.trim())!),
    seed: num("seed", v.seed, true),
    sweep: v["no-sweep"] ? false : undefined,
    tuneOn: oneOf<TuneOn>("tune-on", v["tune-on"], TUNE_ON),
    ablateWindows: v["ablate-windows"]?.split(",").map((w) => vec("ablate-windows", w.trim())),
    overlays: num("overlays", v.overlays, true),
    nifti: oneOf("nifti", v.nifti, ["all", "masks", "none"]),
  };
}

/** A one-line progress bar: `[#####.....] 3/10 test case-7 greedy 0:42 eta 1:10`. */
export function progressLine(
  phase: string,
  done: number,
  total: number,
  label: string,
  elapsedMs: number,
): string {
  const width = 20, share = total > 0 ? Math.min(1, done / total) : 0;
  const bar = "#".repeat(Math.round(share * width)).padEnd(width, ".");
  const clock = (ms: number) =>
    `${Math.floor(ms / 60000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, "0")}`;
  const eta = share > 0 && share < 1 ? ` eta ${clock((elapsedMs * (1 - share)) / share)}` : "";
  return `[${bar}] ${done}/${total || "?"} ${phase} ${label} ${clock(elapsedMs)}${eta}`;
}

/** Runs the CLI; returns the exit code (0 ok, 1 error, 2 usage). */
export async function main(args: readonly string[], io: CliIo = DEFAULT_IO): Promise<number> {
  const game = await gameRunEval(args, io); // a train:pixel or train:patch run folder
  if (game !== undefined) return game;
  let options: EvaluateRunOptions | undefined;
  try {
    options = parseEvalArgs(args);
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (!options) {
    io.out(HELP);
    return 0;
  }
  const t0 = performance.now();
  let lastPhase = "";
  const out = options.out ?? join(options.run, "eval");
  try {
    // A missing run is the first thing to say; then the report folder's location is checked before
    // any work (a refusal names the grant to use).
    if (!(await Deno.stat(options.run).then((s) => s.isDirectory, () => false))) {
      throw new InvalidArgumentError("--run", `${options.run} is not a folder`, "an existing run folder");
    }
    checkOutputLocation(out, "--out", "eval/eval_cli.ts");
    const { result, dir, notes } = await evaluateRun({
      ...options,
      onProgress: (e, total) => {
        const line = progressLine(
          e.phase,
          e.caseIndex,
          total,
          `${e.caseId} ${e.method}`,
          performance.now() - t0,
        );
        if (io.terminal) io.err(`\r${line}\x1b[K`);
        else if (e.phase !== lastPhase || e.methodIndex === e.methodCount - 1) io.err(`${line}\n`);
        lastPhase = e.phase;
      },
    });
    if (io.terminal) io.err("\n");
    for (const n of notes) io.out(`note: ${n}\n`);
    io.out(`\n${summaryTable(result)}\n\n`);
    io.out(
      `${result.cases.length} cases${result.skipped.length ? ` (${result.skipped.length} skipped)` : ""}; `,
    );
    io.out(`report: ${dir}/eval.md, ${dir}/eval.json (${result.files.length} files)\n`);
    return 0;
  } catch (caught) {
    if (io.terminal) io.err("\n");
    const e = asOutputLocationError(caught, out, "--out", "eval/eval_cli.ts") ?? caught;
    if (e instanceof OutputLocationError) {
      io.err(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof SparsGymError) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      io.err(
        `error: ${
          (e as Error).message
        }\n(deno task eval may write only under runs/: use a run folder there)\n`,
      );
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
