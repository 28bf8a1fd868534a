/**
 * The games whose run folders `deno task eval --run <run>` re-evaluates besides SPARS runs: each
 * recognised by its `config.json` ({@link GameRunEval.isConfig}).
 *
 * @module
 */
import { type GameRunEvalIo, gameRunEvalMain, runFolderMatches } from "./game_run_cli.ts";
import { PATCH_RUN_EVAL } from "./patch_run_eval.ts";
import { PIXEL_RUN_EVAL } from "./pixel_run_eval.ts";

/**
 * Runs the re-evaluation of the game whose run folder `--run` names, or returns undefined when it
 * is no such run (a SPARS run, or an unreadable folder: the SPARS path then reports it).
 * @returns the exit code (0 ok, 2 a bad option or run folder, 1 another package error) or undefined
 */
export async function gameRunEval(args: readonly string[], io: GameRunEvalIo): Promise<number | undefined> {
  for (const game of [PIXEL_RUN_EVAL, PATCH_RUN_EVAL]) {
    if (await runFolderMatches(args, game.isConfig)) return await gameRunEvalMain(args, io, game);
  }
  return undefined;
}
