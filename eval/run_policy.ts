/**
 * The policy an evaluation of a run plays: given, from a loader, or the run's saved policy (on tfjs or
 * onnxruntime), and the game options completed and checked against its network.
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../data/dataset_files.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { ActionMode } from "../agents/policy_agent.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { loadPolicyAgent } from "../agents/policy_io.ts";
import type { SparsConfig } from "../env/config.ts";
import { observationChannels, type ObservationMode } from "../env/observation.ts";
import type { OnnxRuntime } from "../models/onnx_runtime.ts";
import type { PolicyPlayers } from "./players.ts";
import { NetworkPlayers } from "./policy_players.ts";
import type { EvaluateRunOptions } from "./run_eval.ts";
import type { AgentPair } from "./segment.ts";

/** The options of an evaluation that say where its policy comes from. */
export type RunPolicyOptions = Pick<
  EvaluateRunOptions,
  "policy" | "loadPolicy" | "run" | "policyDir" | "seed"
>;

const OBSERVATION_BY_CHANNELS: Record<number, ObservationMode> = {
  1: "window",
  2: "window+map",
  4: "window+position",
};

/**
 * The run's trained policy as an agent (`greedy` by default), from `<run>/policy` (or `options.dir`)
 * as written by training (`agents/policy_io.ts`); undefined when that folder has no `policy.json`.
 * @throws the errors of `loadPolicyAgent` for a corrupt policy folder
 */
export async function loadRunPolicy(
  run: string,
  options: { dir?: string; mode?: ActionMode; seed?: number } = {},
): Promise<PolicyAgent | undefined> {
  const dir = options.dir ?? join(run, "policy");
  if (!(await exists(join(dir, "policy.json")))) return undefined;
  return await loadPolicyAgent(dir, { mode: options.mode ?? "greedy", seed: options.seed });
}

/**
 * The policy of a run (given, or from the loader), and the game options completed and checked
 * against a {@link PolicyAgent}'s network: it fixes the observation shape and, by its channels, the
 * mode when they are unset.
 */
export async function runPolicy(
  options: RunPolicyOptions,
  game: Partial<Omit<SparsConfig, "maskThreshold">>,
  owned: { dispose(): void | Promise<void> }[],
  runtime?: OnnxRuntime,
): Promise<{ policy?: AgentPair | PolicyPlayers; game: Partial<Omit<SparsConfig, "maskThreshold">> }> {
  let policy: AgentPair | PolicyPlayers | undefined;
  if (options.policy !== undefined) policy = options.policy ?? undefined;
  else if (options.loadPolicy) policy = await options.loadPolicy(options.run);
  else {
    const loaded = await loadRunPolicy(options.run, { dir: options.policyDir, seed: options.seed });
    if (loaded) owned.push(loaded.network);
    policy = loaded;
  }
  // A PolicyAgent plays through its network in both modes, with distinct players per side.
  if (policy instanceof PolicyAgent) {
    const players = new NetworkPlayers(policy.network, policy.name, runtime);
    owned.push(players);
    policy = players;
  }
  if (!(policy instanceof NetworkPlayers)) return { policy, game };
  const a = policy.network.architecture;
  const completed = {
    ...game,
    observationShape: game.observationShape ?? a.observationShape,
    observation: game.observation ?? OBSERVATION_BY_CHANNELS[a.channels],
  };
  if (
    completed.observationShape.join("x") !== a.observationShape.join("x") ||
    observationChannels(completed.observation ?? "window", completed.imageChannels ?? 1) !== a.channels
  ) {
    throw new InvalidArgumentError(
      "policy",
      `takes ${a.observationShape.join("x")}x${a.channels} observations, the game gives ` +
        `${completed.observationShape.join("x")} in mode ${completed.observation ?? "window"}`,
      "the observation options the policy was trained with",
    );
  }
  return { policy, game: completed };
}
