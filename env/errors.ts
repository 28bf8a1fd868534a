/**
 * Errors of the env layer.
 *
 * @module
 */
import { SparsGymError } from "../data/errors.ts";

/** An env method was called in the wrong state: step before reset, or after the episode ended. */
export class EnvStateError extends SparsGymError {}
