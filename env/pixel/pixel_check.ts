/**
 * Runs the package's Gymnasium checker (`checkEnv`) on the pixel env through a thin view that
 * plays one action index on every pixel (`step(a)` = the action map filled with `a`, reward = the
 * mean of the reward map). The checker then tests what it tests for every env: step before reset
 * and after the end throw `EnvStateError`, observations stay in the space, infos are plain objects,
 * two seeded rollouts are identical, and out-of-range actions throw.
 *
 * @module
 */
import { checkEnv, type CheckOptions, type GymEnvLike } from "../checkers.ts";
import { Discrete } from "../spaces.ts";
import type { PixelSegEnv } from "./pixel_env.ts";

/** The single-action view of a pixel env that {@link checkEnv} drives. */
export function uniformActionView(env: PixelSegEnv): GymEnvLike {
  const actionSpace = new Discrete(env.actions.length);
  const n = env.shape[0] * env.shape[1];
  return {
    observationSpace: env.observationSpace,
    actionSpace,
    reset: (args) => Promise.resolve(env.reset(args)),
    step: (action: number) => {
      try {
        const r = env.step(new Int32Array(n).fill(action));
        return Promise.resolve({ ...r, info: { ...r.info } });
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}

/**
 * `checkEnv` on fresh pixel envs from `makeEnv`.
 * @throws {import("../checkers.ts").EnvCheckError} on the first failed check
 */
export function checkPixelEnv(makeEnv: () => PixelSegEnv, options: CheckOptions = {}): Promise<void> {
  return checkEnv(() => uniformActionView(makeEnv()), options);
}
