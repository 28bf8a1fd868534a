/**
 * Where a command may write its output folder. `deno task train` and its siblings grant write
 * permission only under `runs/` (and `.tmp/`), so `--run /tmp/x` used to die with an uncaught
 * permission stack trace after the run had started. The location is now checked with the other
 * options, before anything is written, and a refusal says how to grant the folder; a file-system
 * refusal while writing is turned into the same typed error.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { SparsGymError } from "./errors.ts";

/** An output folder the process may not write (Deno permission or file-system permission). */
export class OutputLocationError extends SparsGymError {}

/** The `deno run` line that writes `path`'s folder, for a message (`script` as in deno.json's task). */
function grantHint(path: string, script: string, flag: string): string {
  const parent = dirname(resolve(path));
  return `a location this process may write: deno tasks write under runs/; to write ${parent}, run ` +
    `deno run --allow-read --allow-write=${parent} --allow-env --allow-ffi ${script} ${flag} ${path} ...`;
}

/**
 * Checks, before anything is written, that the process holds Deno's write permission for the
 * folder that will hold `path` (the output folder is built in a temporary sibling, then renamed).
 * @param flag the CLI flag that named `path`, e.g. `--run`
 * @param script the command's entry point, for the hint, e.g. `train/train_cli.ts`
 * @throws {OutputLocationError} when the permission is not granted
 */
export function checkOutputLocation(path: string, flag: string, script: string): void {
  const parent = dirname(resolve(path));
  const state = Deno.permissions.querySync({ name: "write", path: parent }).state;
  if (state !== "granted") {
    throw new OutputLocationError(
      flag,
      `is ${path}, in ${parent}, which this process may not write (Deno write permission ${state})`,
      grantHint(path, script, flag),
    );
  }
}

/**
 * `e` as an {@link OutputLocationError} when it is a permission refusal (Deno's `NotCapable` or the
 * file system's `PermissionDenied`) met while writing `path`; otherwise undefined.
 */
export function asOutputLocationError(
  e: unknown,
  path: string,
  flag: string,
  script: string,
): OutputLocationError | undefined {
  if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) return undefined;
  return new OutputLocationError(
    flag,
    `is ${path}, which could not be written (${(e as Error).message})`,
    grantHint(path, script, flag),
  );
}
