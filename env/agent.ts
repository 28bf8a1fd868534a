/**
 * The interface every agent implements, learned or not, so that a researcher can drop in their own:
 * a batch of observations (one per game) in, one action per game out. Agents that need more than
 * the observation (the greedy baseline reads scores of neighbouring windows) get an
 * {@link AgentContext} per game.
 *
 * @module
 */
import type { Volume } from "../data/types.ts";
import type { AgentInfo } from "./game.ts";
import type { WindowGeometry } from "./geometry.ts";
import type { Scorer } from "./scorer.ts";

/** What an agent may know about its game besides the observation. */
export interface AgentContext {
  /** The volume played. */
  readonly volume: Volume;
  /** Window geometry of that volume (size, stride, clamping). */
  readonly geometry: WindowGeometry;
  /** The env's scorer (the weakly-supervised reward model, unless an oracle was configured). */
  readonly scorer: Scorer;
  /** The agent's latest info (corner, scores, step). */
  readonly info: AgentInfo;
}

/** An agent: maps a batch of observations to one action in 0..5 per game. */
export interface Agent {
  /** A short name for reports. */
  readonly name: string;
  /** One action per observation (z,y,x,c float32 arrays from the env), in order. */
  act(observations: readonly Float32Array[], contexts: readonly AgentContext[]): Promise<Int32Array>;
  /** Optional state-value estimates, one per observation. */
  value?(observations: readonly Float32Array[]): Promise<Float32Array>;
}
