/**
 * A trained policy on disk: a folder holding `policy.json` (format, version, architecture,
 * parameter count, free-form meta) and `weights.bin` (see `snapshot.ts`). Written atomically (a
 * temporary sibling folder renamed into place). This is what `deno task train` leaves in
 * `<run>/policy` and what evaluation loads.
 *
 * @module
 */
import type { OnnxRuntime } from "../models/onnx_runtime.ts";
import { join } from "node:path";
import { SparsGymError } from "../data/errors.ts";
import { type ActionMode, PolicyAgent } from "./policy_agent.ts";
import { type PolicyArchitecture, PolicyNetwork } from "./policy_network.ts";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { readWeightsFile, writeWeightsFile } from "./snapshot.ts";

/** A policy folder is missing or invalid. */
export class PolicyFileError extends SparsGymError {}

/** Version of `policy.json`. */
export const POLICY_FORMAT_VERSION = 1;

/** Contents of `policy.json`. */
export interface PolicyMeta {
  /** Always `spars-gym-policy`. */
  readonly format: "spars-gym-policy";
  /** {@link POLICY_FORMAT_VERSION}. */
  readonly version: number;
  /** The architecture (rebuilds the network). */
  readonly architecture: PolicyArchitecture;
  /** Trainable scalars. */
  readonly parameterCount: number;
  /** Free-form information (run, update, env options). */
  readonly meta: Record<string, unknown>;
}

/**
 * Saves a network into `dir` (replaced when it exists; its parent is created).
 * @param meta free-form information stored in `policy.json`
 */
export async function savePolicy(
  dir: string,
  network: PolicyNetwork,
  meta: Record<string, unknown> = {},
): Promise<void> {
  const parent = dir.replace(/\/+$/, "").replace(/\/[^/]*$/, "") || ".";
  await Deno.mkdir(parent, { recursive: true });
  const tmp = `${dir.replace(/\/+$/, "")}.tmp-${crypto.randomUUID()}`;
  await Deno.mkdir(tmp);
  try {
    await writeWeightsFile(join(tmp, "weights.bin"), await network.getWeights());
    const info: PolicyMeta = {
      format: "spars-gym-policy",
      version: POLICY_FORMAT_VERSION,
      architecture: network.architecture,
      parameterCount: network.parameterCount,
      meta,
    };
    await writeFileAtomic(join(tmp, "policy.json"), JSON.stringify(info, null, 2) + "\n");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/**
 * Loads a network saved by {@link savePolicy}.
 * @throws {PolicyFileError} when `policy.json` is missing or of another format; weights-file errors as `readWeightsFile`
 */
export async function loadPolicy(dir: string): Promise<{ network: PolicyNetwork; meta: PolicyMeta }> {
  const path = join(dir, "policy.json");
  let info: PolicyMeta;
  try {
    info = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new PolicyFileError(
      path,
      `cannot be read (${(e as Error).message})`,
      "a policy.json written by savePolicy",
    );
  }
  if (info?.format !== "spars-gym-policy" || info.version !== POLICY_FORMAT_VERSION) {
    throw new PolicyFileError(path, `has format ${info?.format} v${info?.version}`, "spars-gym-policy v1");
  }
  const { weights } = await readWeightsFile(join(dir, "weights.bin"));
  const network = new PolicyNetwork(info.architecture);
  try {
    network.setWeights(weights);
  } catch (e) {
    network.dispose();
    throw new PolicyFileError(join(dir, "weights.bin"), (e as Error).message, "weights matching policy.json");
  }
  return { network, meta: info };
}

/**
 * Loads a saved policy as an agent (`greedy` by default, the usual choice for evaluation); with
 * `runtime` its forward passes run on onnxruntime (see {@link PolicyAgent}).
 */
export async function loadPolicyAgent(
  dir: string,
  options: { mode?: ActionMode; seed?: number; runtime?: OnnxRuntime } = {},
): Promise<PolicyAgent> {
  const { network } = await loadPolicy(dir);
  const { mode = "greedy", seed, runtime } = options;
  return new PolicyAgent(network, { mode, seed, name: "ppo", runtime });
}
