/**
 * Output locations (issue 12): `train --run` where the process may not write is a typed usage error
 * (exit 2, no stack trace) and writes nothing; a run folder is never created when an option or the
 * data fail validation (train and train:classifier).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { runClassifierCli } from "../train/classifier_cli.ts";
import { runTrainCli, type TrainCliIo } from "../train/train_cli.ts";
import { build } from "./_nifti_build.ts";
import { scratchDir } from "./_helpers.ts";

function sink(): TrainCliIo & { text: () => string } {
  const parts: string[] = [];
  return {
    out: (t) => parts.push(t),
    err: (t) => parts.push(t),
    progress: () => {},
    text: () => parts.join("\n"),
  };
}

const TINY = ["--scorer", "oracle", "--total-steps", "16", "--num-envs", "1", "--num-steps", "16"];

/** A BraTS-style folder of one case, 4 modalities and a seg, 8x8x8 voxels. */
async function bratsFolder(dir: string): Promise<string> {
  const data = join(dir, "brats");
  await Deno.mkdir(join(data, "C_1"), { recursive: true });
  const size: [number, number, number] = [8, 8, 8];
  for (const m of ["flair", "t1", "t1ce", "t2"]) {
    const values = Array.from({ length: 512 }, (_, i) => i % 7);
    await Deno.writeFile(join(data, "C_1", `C_1_${m}.nii`), build({ type: "int16", values, size }));
  }
  const seg = Array.from({ length: 512 }, (_, i) => (i < 40 ? 2 : 0));
  await Deno.writeFile(join(data, "C_1", "C_1_seg.nii"), build({ type: "uint8", values: seg, size }));
  return data;
}

Deno.test("train: a run folder is never created when the data or an option fail validation", async () => {
  const dir = await scratchDir("train-output");
  const data = await bratsFolder(dir);
  const cases: [string[], number, RegExp][] = [
    [["--data", join(dir, "missing")], 1, /missing/],
    [["--data", data], 1, /--channels flair/], // several modalities, none chosen
    [["--data", data, "--channels", "flair,dwi"], 1, /has no dwi channel file/],
    [["--data", data, "--channels", "flair", "--intensity", "sideways"], 2, /--intensity/],
    [["--data", data, "--channels", "flair", "--window", "16x16x16"], 2, /--window/],
  ];
  for (const [args, code, message] of cases) {
    const run = join(dir, `run-${crypto.randomUUID()}`);
    const io = sink();
    assert.equal(await runTrainCli(["--run", run, ...args, ...TINY], io), code, io.text());
    assert.match(io.text(), message);
    assert.doesNotMatch(io.text(), /^\s+at /m); // no stack trace
    assert.equal(existsSync(run), false, `${args.join(" ")} created ${run}`);
  }
});

Deno.test("train: --tau-quantile on data without a tumour-free val case is refused before writing", async () => {
  const dir = await scratchDir("train-tau");
  const data = await bratsFolder(dir);
  const run = join(dir, "run");
  const io = sink();
  const args = ["--run", run, "--data", data, "--channels", "flair", "--target", "2", "--split", "0,1,0"];
  const game = ["--window", "4x4x4", "--observation-shape", "2x2x2", "--total-steps", "16"];
  assert.equal(await runTrainCli([...args, ...game, "--tau-quantile", "0.99"], io), 2, io.text());
  assert.match(io.text(), /--tau-quantile: is 0.99, but the val split \(1 cases\) holds no tumour-free case/);
  assert.equal(existsSync(run), false);
});

Deno.test("train:classifier: a bad data folder or option leaves no run folder", async () => {
  const dir = await scratchDir("classifier-output");
  const data = await bratsFolder(dir);
  for (
    const args of [["--data", join(dir, "missing")], ["--data", data], [
      "--data",
      data,
      "--channels",
      "flair,dwi",
    ]]
  ) {
    const out = join(dir, `out-${crypto.randomUUID()}`);
    assert.notEqual(await runClassifierCli(["--out", out, ...args]), 0);
    assert.equal(existsSync(out), false, `${args.join(" ")} created ${out}`);
  }
});

Deno.test("train --run where the process may not write: a typed usage error, nothing written", async () => {
  const denied = join("/tmp", `spars-issue12-${crypto.randomUUID()}`, "run");
  const writable = Deno.permissions.querySync({ name: "write", path: "/tmp" }).state === "granted";
  if (!writable) {
    // The test task grants writes under .tmp and runs only: /tmp is refused, as `deno task train` refuses it.
    const io = sink();
    assert.equal(await runTrainCli(["--run", denied, ...TINY], io), 2);
    assert.match(io.text(), /error: --run: is \/tmp\/.*may not write/);
    assert.match(io.text(), /--allow-write=\/tmp\/spars-issue12-/);
  } else {
    if (Deno.permissions.querySync({ name: "run" }).state !== "granted") return;
    // With every permission (deno test -A), run the CLI as `deno task train` does, scoped to .tmp.
    const cli = new URL("../train/train_cli.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write=.tmp,runs",
        "--allow-env",
        "--allow-ffi",
        cli,
        "--run",
        denied,
        ...TINY,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, err);
    assert.match(err, /error: --run: is \/tmp\/.*may not write/);
    assert.doesNotMatch(err, /^\s+at /m);
  }
  assert.equal(existsSync(denied), false);
});
