/**
 * Termination-threshold inference: both agents play the SPARS game on one volume until a window's
 * score reaches tau (or maxSteps), the scores accumulate into a probability map, and the map is
 * thresholded into the segmentation. Several starts (the configured start, then seeded random
 * starts) run in lockstep with ONE scorer call per step for all of them, and are merged into one map.
 *
 * Merging: every start's windows and scores are replayed, in order, into ONE {@link ProbabilityMap}
 * of the chosen `mapMode`. So `sum` gives the sum of the per-start maps, `mean` the mean over all
 * visits of all starts, `max` the maximum. With one start the merged map equals the env's map.
 *
 * After the episodes (episode_map.ts): optional local dense refinement around the best occupied
 * windows (refine.ts; its windows are added to the map and counted in `windowsScored`), the mask of a
 * rule (`absolute`, `peak`, `visit`: mask_rule.ts), and the presence gate (presence_gate.ts).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { deriveSeed, Rng } from "../data/random.ts";
import type { Case } from "../data/types.ts";
import type { Agent, AgentContext } from "../env/agent.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import { resolveConfig, type SparsConfig } from "../env/config.ts";
import { type AgentId, type GameReset, SparsGame } from "../env/game.ts";
import { type Scorer, scoreRequests } from "../env/scorer.ts";
import { encoderPool } from "../env/spars_env.ts";
import { episodeMap } from "./episode_map.ts";
import { checkMaskRule, type MaskRule } from "./mask_rule.ts";
import { MeteredScorer } from "./metered_scorer.ts";
import { checkGate } from "./presence_gate.ts";
import { checkRefine, DEFAULT_REFINE_RADIUS } from "./refine.ts";
import type { Trajectory, WindowScores } from "./trajectory_map.ts";

/** The agents of an inference run: one agent playing both sides, or one per side. */
export type AgentPair = Agent | { readonly a: Agent; readonly b: Agent };

/**
 * Options of {@link segment}: the game's options (window, stride, start, tau, maxSteps, mapMode,
 * observation, ...; defaults as `DEFAULT_SPARS_CONFIG`) plus what plays and how the map is cut.
 * The observation options must match those the policy was trained with.
 */
export interface SegmentOptions extends Partial<Omit<SparsConfig, "maskThreshold">> {
  /**
   * The policy. Whether it acts greedily (argmax) or samples is the agent's own option; a learned
   * agent should be built in the mode wanted for evaluation.
   */
  readonly agents: AgentPair;
  /** The reward model scoring windows. Wrapped in a fresh {@link CachedScorer} unless `cache` is false. */
  readonly scorer: Scorer;
  /** The mask is `map > threshold` (default 0.5, the reference): an `absolute` rule. Any finite number. */
  readonly threshold?: number;
  /** The mask rule (see mask_rule.ts); wins over `threshold`. Default `{kind: "absolute", value: threshold}`. */
  readonly rule?: MaskRule;
  /** Presence gate in [0, 1] (presence_gate.ts): empty mask when the best window score < gate. Default 0 (off). */
  readonly gate?: number;
  /**
   * Local dense refinement (see refine.ts): strides per axis around each best occupied window.
   * Default {@link DEFAULT_REFINE_RADIUS} (2); 0 = off. Acts only with `refineTop` > 0.
   */
  readonly refineRadius?: number;
  /** Number of best occupied windows refined around. Default 0 (off here; the evaluation uses 1). */
  readonly refineTop?: number;
  /** Number of starts: 1 = the configured `start` only; k > 1 adds k - 1 seeded random starts. Default 1. */
  readonly starts?: number;
  /** Seed of the random starts (start i >= 1 uses its own generator derived from (seed, i)). Default 0. */
  readonly seed?: number;
  /** Memoise scores per corner within this call (default true). */
  readonly cache?: boolean;
}

/** Wall-clock split of one inference run, in milliseconds. */
export interface SegmentTimings {
  /** Time inside scorer calls (cache lookups included; the greedy agent's neighbour scoring counts here). */
  readonly scorerMs: number;
  /** Time inside the agents' `act` calls, minus the scorer time spent within them. */
  readonly policyMs: number;
  /** Merging the trajectories into the map, integrating it and thresholding it. */
  readonly mapMs: number;
  /** The rest: game bookkeeping and observation encoding (window resampling). */
  readonly envMs: number;
  /** Everything. */
  readonly totalMs: number;
}

/** Result of {@link segment}. */
export interface SegmentResult {
  /** The merged probability map, z,y,x (x fastest), shape of the volume. */
  readonly map: Float32Array;
  /** The mask of `rule` (empty when `gated`) as 0/1. */
  readonly mask: Uint8Array;
  /** The mask rule used. */
  readonly rule: MaskRule;
  /** The best window score (presence gate rule, see presence_gate.ts). */
  readonly bestScore: number;
  /** True when the presence gate emptied the mask. */
  readonly gated: boolean;
  /** Refinement windows added to the map after the episodes (empty when off). */
  readonly refined: WindowScores;
  /** One trajectory per start, in start order. */
  readonly trajectories: readonly Trajectory[];
  /** Steps summed over the starts. */
  readonly steps: number;
  /** Distinct windows the underlying scorer was asked for (cache misses, refinement included): the compute. */
  readonly windowsScored: number;
  /** Timing split. */
  readonly timings: SegmentTimings;
  /** The resolved game options used (tau, window, mapMode, ...). */
  readonly config: SparsConfig;
  /** The rule's value (the threshold of an `absolute` rule). */
  readonly threshold: number;
}

/**
 * An array of `n` observations whose elements are built on first read (agents that ignore
 * observations, like the baselines, then never pay for them; the game builds them lazily too).
 */
function lazyObservations(n: number, get: (i: number) => Float32Array): Float32Array[] {
  const out = new Array<Float32Array>(n);
  for (let i = 0; i < n; i++) {
    let value: Float32Array | undefined;
    Object.defineProperty(out, i, { enumerable: true, get: () => value ??= get(i) });
  }
  return out;
}

/**
 * The generator of random start `i` of a run seeded with `seed`: seeded with `deriveSeed(seed, i)`
 * (distinct streams per start; every bit of the seed counts).
 */
export function startRng(seed: number, i: number): Rng {
  return new Rng(deriveSeed(seed, i));
}

/** Splits an {@link AgentPair} into its two sides (the same object twice for a single agent). */
export function agentSides(agents: AgentPair): { a: Agent; b: Agent } {
  if (agents && typeof (agents as Agent).act === "function") {
    return { a: agents as Agent, b: agents as Agent };
  }
  const pair = agents as { a?: Agent; b?: Agent };
  if (typeof pair?.a?.act !== "function" || typeof pair?.b?.act !== "function") {
    throw new InvalidArgumentError("agents", "is not an Agent or {a, b} of Agents", "an object with act()");
  }
  return { a: pair.a, b: pair.b };
}

interface Recorder {
  corners: number[];
  scores: number[];
  actions: number[];
}

/**
 * Segments one case by termination-threshold inference (see the module doc). The case's labels are
 * never read (unless the scorer itself is an oracle).
 *
 * @throws {InvalidArgumentError} for bad options (starts, seed, threshold, game options), a window
 *   that does not fit the volume, an agent returning a bad action, or a scorer returning bad scores
 */
export async function segment(c: Case, options: SegmentOptions): Promise<SegmentResult> {
  const t0 = performance.now();
  const {
    agents,
    scorer,
    threshold = 0.5,
    starts = 1,
    seed = 0,
    cache = true,
    rule: givenRule,
    gate = 0,
    refineRadius = DEFAULT_REFINE_RADIUS,
    refineTop = 0,
    ...game
  } = options;
  if (!(Number.isInteger(starts) && starts >= 1)) {
    throw new InvalidArgumentError("starts", `is ${starts}`, "a positive integer");
  }
  if (!Number.isFinite(seed)) throw new InvalidArgumentError("seed", `is ${seed}`, "a finite number");
  if (!Number.isFinite(threshold)) {
    throw new InvalidArgumentError("threshold", `is ${threshold}`, "a finite number");
  }
  const rule = checkMaskRule(givenRule ?? { kind: "absolute", value: threshold }, "rule");
  checkGate(gate, "gate");
  checkRefine(refineRadius, refineTop);
  if (!scorer || typeof scorer.score !== "function") {
    throw new InvalidArgumentError("scorer", "is missing", "an object implementing Scorer");
  }
  const sides = agentSides(agents);
  const config = resolveConfig({ ...game, maskThreshold: rule.kind === "absolute" ? rule.value : threshold });
  const inner = new MeteredScorer(scorer);
  const outer = new MeteredScorer(cache ? new CachedScorer(inner) : inner);
  const encoders = encoderPool(config);
  const randomConfig: SparsConfig = { ...config, start: "random" };
  const games = Array.from(
    { length: starts },
    (_, i) => new SparsGame(i === 0 ? config : randomConfig, encoders),
  );
  const records: Recorder[] = games.map(() => ({ corners: [], scores: [], actions: [] }));
  const record = (i: number, corners: Int32Array, scores: ArrayLike<number>) => {
    records[i].corners.push(...corners);
    records[i].scores.push(scores[0], scores[1]);
  };

  const resetCorners = games.map((g, i) => g.beginReset(c, startRng(seed, i)));
  const resetScores = await scoreRequests(
    outer,
    resetCorners.map((corners) => ({ volume: c.image, corners })),
    config.window,
  );
  const latest: GameReset[] = games.map((g, i) => {
    record(i, resetCorners[i], resetScores[i]);
    return g.finishReset(resetScores[i]);
  });

  let policyMs = 0;
  const act = async (agent: Agent, running: number[], side: AgentId | "both"): Promise<Int32Array> => {
    const sidesOf: AgentId[] = side === "both" ? ["a", "b"] : [side];
    const pairs = sidesOf.flatMap((s) => running.map((i) => [s, i] as const));
    const observations = lazyObservations(pairs.length, (k) => latest[pairs[k][1]].observations[pairs[k][0]]);
    const contexts: AgentContext[] = pairs.map(([s, i]) => ({
      volume: c.image,
      geometry: games[i].geometry!,
      scorer: outer,
      info: latest[i].infos[s],
    }));
    const scorerBefore = outer.ms, start = performance.now();
    const actions = await agent.act(observations, contexts);
    policyMs += performance.now() - start - (outer.ms - scorerBefore);
    if (actions?.length !== observations.length) {
      throw new InvalidArgumentError(
        `agent ${agent.name}`,
        `returned ${actions?.length} actions for ${observations.length} observations`,
        "one action per observation",
      );
    }
    return actions;
  };

  for (
    let running = games.map((_, i) => i);
    running.length;
    running = running.filter((i) => !games[i].done)
  ) {
    let actionsA: Int32Array, actionsB: Int32Array;
    if (sides.a === sides.b) {
      // One call for both sides: a network policy sees one batch.
      const both = await act(sides.a, running, "both");
      actionsA = both.subarray(0, running.length);
      actionsB = both.subarray(running.length);
    } else {
      actionsA = await act(sides.a, running, "a");
      actionsB = await act(sides.b, running, "b");
    }
    const stepCorners = running.map((i, k) => {
      records[i].actions.push(actionsA[k], actionsB[k]);
      return games[i].beginStep({ a: actionsA[k], b: actionsB[k] });
    });
    const scores = await scoreRequests(
      outer,
      stepCorners.map((corners) => ({ volume: c.image, corners })),
      config.window,
    );
    running.forEach((i, k) => {
      record(i, stepCorners[k], scores[k]);
      latest[i] = games[i].finishStep(scores[k]);
    });
  }

  const trajectories: Trajectory[] = games.map((g, i) => {
    const steps = g.step;
    const last = records[i].scores.slice(-2);
    const terminated = config.termination === "tau" && steps > 0 &&
      (last[0] >= config.tau || last[1] >= config.tau);
    return {
      start: i,
      steps,
      corners: Int32Array.from(records[i].corners),
      scores: Float32Array.from(records[i].scores),
      actions: Int32Array.from(records[i].actions),
      terminated,
      truncated: !terminated,
    };
  });
  const refineStart = performance.now(), scorerBefore = outer.ms;
  const episode = await episodeMap(c.image, trajectories, {
    window: config.window,
    stride: config.stride,
    mapMode: config.mapMode,
    refineRadius,
    refineTop,
    scorer: outer,
  });
  const { mask, gated } = episode.mask(rule, gate);
  // Refinement's scorer time counts as scorer time; the rest of this block is map time.
  const mapStart = refineStart + (outer.ms - scorerBefore);
  const end = performance.now();
  const mapMs = end - mapStart, totalMs = end - t0;
  return {
    map: episode.map,
    mask,
    rule,
    bestScore: episode.bestScore,
    gated,
    refined: episode.refined,
    trajectories,
    steps: trajectories.reduce((s, t) => s + t.steps, 0),
    windowsScored: inner.windows,
    timings: {
      scorerMs: outer.ms,
      policyMs,
      mapMs,
      envMs: Math.max(0, totalMs - outer.ms - policyMs - mapMs),
      totalMs,
    },
    config,
    threshold: rule.value,
  };
}
