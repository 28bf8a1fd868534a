/**
 * Ready-made task ids for the registry (`make`, `spec`, `registry` from the main entry point).
 * Importing this module registers them. No tfjs is loaded at import: the classifier task loads it
 * when made.
 *
 * @example
 * ```ts
 * import "@spars/gym/tasks";
 * import { make, type SelfPlayEnv } from "@spars/gym";
 * const env = await make<SelfPlayEnv>("SparsGym/Spars-Oracle-v0");
 * const { observation } = await env.reset({ seed: 0 });
 * ```
 *
 * @module
 */
export {
  buildSparsTask,
  DEFAULT_TASK_OPTIONS,
  makeClassifierTask,
  makeOracleTask,
  PAPER_TASK_OPTIONS,
  type PhantomDataOptions,
  type SparsTaskOptions,
  taskCases,
} from "./spars_tasks.ts";
