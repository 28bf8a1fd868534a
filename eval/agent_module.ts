/**
 * A user's agent as a module: its default export is an {@link AgentFactory}, a function
 * `({ observationShape, seed }) => Agent`. `deno task eval --agent <module.ts>` loads it with
 * {@link loadAgentModule} and evaluates it as the `custom` row beside the built-in methods; each side
 * of each case gets its own player from the factory (distinct seeds, so two sampling players do not
 * walk the same windows).
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import type { Agent } from "../env/agent.ts";

/** What an agent factory is given: the env's observation shape (z,y,x voxels) and a 32-bit seed. */
export interface AgentFactoryOptions {
  /** Observation shape z,y,x (the game's `observationShape`). */
  readonly observationShape: Vec3;
  /** Seed of the player's own random draws (an unsigned 32-bit integer). */
  readonly seed: number;
}

/** The default export of an agent module: one new player per call. */
export type AgentFactory = (options: AgentFactoryOptions) => Agent;

/** A loaded agent module: its factory, and the name its players report (from one probe player). */
export interface AgentModule {
  /** The module's path as given. */
  readonly path: string;
  /** The agent's `name` (from a player made with seed 0). */
  readonly name: string;
  /** The factory (the module's default export). */
  readonly create: AgentFactory;
}

/**
 * Imports `path` (relative to the working directory, or a `file:`/`https:` URL) and checks that its
 * default export is a factory making an {@link Agent} (an object with `act()` and a non-empty
 * `name`) for `observationShape`.
 * @param flag the option named in errors (e.g. `--agent`)
 * @throws {InvalidArgumentError} naming `flag` when the module cannot be imported, has no function
 *   as default export, or the factory does not return an agent
 */
export async function loadAgentModule(
  path: string,
  observationShape: Vec3,
  flag = "--agent",
): Promise<AgentModule> {
  const url = /^(file|https?):/.test(path) ? path : pathToFileURL(resolve(path)).href;
  let mod: { default?: unknown };
  try {
    mod = await import(url);
  } catch (e) {
    throw new InvalidArgumentError(
      flag,
      `${path} could not be imported (${(e as Error).message.split("\n")[0]})`,
      "a TypeScript/JavaScript module whose default export is ({ observationShape, seed }) => Agent",
    );
  }
  if (typeof mod.default !== "function") {
    throw new InvalidArgumentError(
      flag,
      `${path} has no function as default export`,
      "a default export ({ observationShape, seed }) => Agent",
    );
  }
  const create = mod.default as AgentFactory;
  const probe = create({ observationShape, seed: 0 }) as Partial<Agent> | undefined;
  if (typeof probe?.act !== "function" || typeof probe.name !== "string" || !probe.name) {
    throw new InvalidArgumentError(
      flag,
      `${path}: the default export returned no agent`,
      "an object with a non-empty name and act(observations, contexts)",
    );
  }
  return { path, name: probe.name, create };
}
