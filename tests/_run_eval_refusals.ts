/** Shared checks of the re-evaluation CLIs of run folders (`deno task eval --run <pixel|patch run>`). */
import assert from "node:assert/strict";
import { main as evalMain } from "../eval/eval_cli.ts";

/** An io capturing everything `deno task eval` writes. */
export function captureIo(): {
  lines: string[];
  io: { out: (t: string) => void; err: (t: string) => void; terminal: boolean };
} {
  const lines: string[] = [];
  return { lines, io: { out: (t) => lines.push(t), err: (t) => lines.push(t), terminal: false } };
}

/**
 * `deno task eval` on `run` refuses, with exit 2 and the flag named, an existing output folder (its
 * own `eval/`, written before), an unknown flag and a bad split; the refused `--out` is not created.
 */
export async function assertRunEvalRefusals(run: string, scratch: string): Promise<void> {
  const refused = [["--run", run], ["--run", run, "--limit", "2"], [
    "--run",
    run,
    "--split",
    "all",
    "--out",
    `${scratch}/x`,
  ]];
  for (const bad of refused) {
    const c = captureIo();
    assert.equal(await evalMain(bad, c.io), 2, bad.join(" "));
    assert.match(c.lines.join(""), /error: (--out|options|--split)/);
  }
  await assert.rejects(Deno.stat(`${scratch}/x`));
}
