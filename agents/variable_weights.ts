/**
 * A network's tfjs variables as {@link NamedWeight} sets: copied out (`readVariables`) and copied in
 * (`assignVariables`, checked name by name and shape by shape), shared by the policy networks.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import type { NamedWeight } from "./snapshot.ts";

/** Copies of the variables' values, named `names[i]` (same order). */
export async function readVariables(
  variables: readonly tf.Variable[],
  names: readonly string[],
): Promise<NamedWeight[]> {
  const values = await Promise.all(variables.map((v) => v.data() as Promise<Float32Array>));
  return variables.map((v, i) => ({
    name: names[i],
    shape: [...v.shape],
    values: new Float32Array(values[i]),
  }));
}

/**
 * Overwrites every variable with a copy of `weights` (same names and shapes, in order); nothing is
 * assigned unless all match.
 * @throws {InvalidArgumentError} when the count, a name or a shape differs
 */
export function assignVariables(
  variables: readonly tf.Variable[],
  names: readonly string[],
  weights: readonly NamedWeight[],
): void {
  if (weights.length !== variables.length) {
    throw new InvalidArgumentError("weights", `has ${weights.length} tensors`, `${variables.length}`);
  }
  weights.forEach((w, i) => {
    const v = variables[i];
    if (w.name !== names[i] || w.shape.join(",") !== v.shape.join(",")) {
      throw new InvalidArgumentError(
        `weights[${i}]`,
        `is ${w.name} [${w.shape.join(", ")}]`,
        `${names[i]} [${v.shape.join(", ")}]`,
      );
    }
  });
  tf.tidy(() => weights.forEach((w, i) => variables[i].assign(tf.tensor(w.values, [...w.shape]))));
}
