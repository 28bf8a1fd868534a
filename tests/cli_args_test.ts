/**
 * Negative numbers after a space (issue 12): `--intensity-window -3,7` used to fail as "ambiguous"
 * in node:util parseArgs. Every CLI that takes numbers now accepts them.
 */
import assert from "node:assert/strict";
import { joinNegativeValues } from "../data/cli_args.ts";
import { parseEvalArgs } from "../eval/eval_cli.ts";
import { parseClassifierCliArgs } from "../train/classifier_cli.ts";
import { parsePixelArgs } from "../train/pixel_cli.ts";
import { parseTrainArgs, UsageError } from "../train/train_options.ts";

Deno.test("joinNegativeValues: joins a negative value to its option, and nothing else", () => {
  const values = ["intensity-window", "seed", "data"];
  assert.deepEqual(
    joinNegativeValues(["--intensity-window", "-3,7", "--seed", "-1", "--data", "x"], values),
    ["--intensity-window=-3,7", "--seed=-1", "--data", "x"],
  );
  assert.deepEqual(joinNegativeValues(["--seed", "-.5"], values), ["--seed=-.5"]);
  // Not a number, a boolean option, an already joined value, and after the terminator: unchanged.
  assert.deepEqual(joinNegativeValues(["--data", "-x"], values), ["--data", "-x"]);
  assert.deepEqual(joinNegativeValues(["--force", "-3"], values), ["--force", "-3"]);
  assert.deepEqual(joinNegativeValues(["--seed=-2"], values), ["--seed=-2"]);
  assert.deepEqual(joinNegativeValues(["--", "--seed", "-2"], values), ["--", "--seed", "-2"]);
});

Deno.test("train: --intensity-window -3,7 and --seed -1 parse after a space", () => {
  const r = parseTrainArgs(["--intensity-window", "-3,7", "--seed", "-1"], "runs/x");
  assert.equal(r.kind, "train");
  if (r.kind !== "train") return;
  assert.deepEqual(r.config.classifier.intensityWindow, [-3, 7]);
  assert.equal(r.config.seed, -1);
  assert.throws(() => parseTrainArgs(["--intensity-window", "7,-3"], "runs/x"), UsageError);
});

Deno.test("train: --intensity sets the window unless given; none with a window is refused", () => {
  const z = parseTrainArgs(["--intensity", "zscore"], "runs/x");
  assert.ok(z.kind === "train" && z.config.classifier.intensityWindow?.join(",") === "-3,7");
  const none = parseTrainArgs(["--intensity", "none"], "runs/x");
  assert.ok(none.kind === "train" && none.config.classifier.intensityWindow === null);
  const given = parseTrainArgs(["--intensity", "zscore-nonzero", "--intensity-window", "-2,4"], "runs/x");
  assert.ok(given.kind === "train" && given.config.classifier.intensityWindow?.join(",") === "-2,4");
  const ct = parseTrainArgs([], "runs/x");
  assert.ok(ct.kind === "train" && ct.config.classifier.intensityWindow?.join(",") === "-50,150");
  assert.throws(
    () => parseTrainArgs(["--intensity", "none", "--intensity-window", "0,1"], "runs/x"),
    UsageError,
  );
  assert.throws(() => parseTrainArgs(["--intensity", "minmax"], "runs/x"), UsageError);
  assert.throws(() => parseTrainArgs(["--intensity-clip-percentiles", "99,1"], "runs/x"), UsageError);
  const clip = parseTrainArgs(["--intensity-clip-percentiles", "0.5,99.5", "--channels", "flair"], "runs/x");
  assert.ok(clip.kind === "train");
  if (clip.kind !== "train") return;
  assert.deepEqual(clip.config.data.intensity, { mode: "window", clipPercentiles: [0.5, 99.5] });
  assert.deepEqual(clip.config.data.channels, ["flair"]);
});

Deno.test("train:classifier: --window -3,7, --target and --intensity parse", () => {
  const c = parseClassifierCliArgs(["--data", "d", "--window", "-3,7", "--seed", "-2", "--target", "1,2,4"]);
  assert.ok(c !== "help");
  assert.deepEqual(c.window, [-3, 7]);
  assert.equal(c.seed, -2);
  assert.deepEqual(c.target, [1, 2, 4]);
  const z = parseClassifierCliArgs(["--intensity", "zscore-nonzero", "--data", "somewhere"]);
  assert.ok(z !== "help" && z.window?.join(",") === "-3,7" && z.intensity.mode === "zscore-nonzero");
  assert.throws(() => parseClassifierCliArgs(["--target", "0"]));
  const multi = parseClassifierCliArgs(["--data", "x", "--channels", "flair,t1ce"]);
  assert.ok(multi !== "help" && multi.channels?.join(",") === "flair,t1ce");
  assert.throws(() => parseClassifierCliArgs(["--data", "x", "--channels", "flair,flair"]), /--channels/);
  assert.throws(() => parseClassifierCliArgs(["--intensity", "none", "--window", "0,1"]));
});

Deno.test("eval and train:pixel: a negative number after a space parses", () => {
  const e = parseEvalArgs(["--run", "r", "--seed", "-3"]);
  assert.equal(e?.seed, -3);
  // The pixel seed must be >= 0: the value now reaches its own check instead of "ambiguous".
  assert.throws(
    () => parsePixelArgs(["--seed", "-4"]),
    (e: Error) => /--seed/.test(e.message) && !/ambiguous/.test(e.message),
  );
});
