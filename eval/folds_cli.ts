/**
 * `deno task eval:folds <run> <run> ...`: one table over the runs of a k-fold protocol (see
 * `fold_table.ts`); reads each run's `eval/eval.json`, writes nothing, prints markdown.
 *
 * @module
 */
import { SparsGymError } from "../data/errors.ts";
import { foldTableMarkdown, poolFolds } from "./fold_table.ts";

/** The `--help` text. */
export const FOLDS_HELP = `deno task eval:folds RUN RUN ...

Pools the test-fold evaluations of a k-fold protocol into one table: one run per fold, trained with
"deno task train --fold I/K" (which evaluates its held-out fold into RUN/eval/eval.json). Per method:
Dice mean ± sd over every case of every fold, windows scored and seconds per case. Refuses runs that
evaluated the same case. Writes nothing; prints markdown.

  RUN      a run folder (its eval/eval.json), or an evaluation folder holding eval.json
  --help   this text
`;

/**
 * Runs the CLI.
 * @returns the exit code: 0, 1 (a run that cannot be read or folds that overlap), 2 (no run given)
 */
export async function runFoldsCli(
  args: readonly string[],
  out = console.log,
  err = console.error,
): Promise<number> {
  if (args.includes("--help")) {
    out(FOLDS_HELP);
    return 0;
  }
  const flags = args.filter((a) => a.startsWith("--"));
  if (args.length === 0 || flags.length > 0) {
    err(`error: ${flags.length ? `unknown option ${flags[0]}` : "no run given"}\n\n${FOLDS_HELP}`);
    return 2;
  }
  try {
    out(foldTableMarkdown(await poolFolds(args)));
    return 0;
  } catch (e) {
    if (e instanceof SparsGymError) {
      err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await runFoldsCli(Deno.args));
