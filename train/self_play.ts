/**
 * Self-play PPO training: the learner plays side `a` of N games against a FROZEN opponent on side
 * `b` (its own network, holding a copy of a pool snapshot). Every update:
 *
 * 1. at a segment start (the first update of a process, and every `checkpointEvery` updates) the
 *    games are reset with a seed derived from (seed, update), so that a run resumed from a
 *    checkpoint replays exactly what an uninterrupted run does (episodes in progress at a
 *    checkpoint boundary are cut; their last transition is bootstrapped like any rollout end);
 * 2. every `competitorUpdateEvery` updates the learner's weights are added to the pool and the
 *    opponent is redrawn from it (SPARS: every 32 updates, rule `latest`; default `"auto"`:
 *    ~8 refreshes per run, whatever its length);
 * 3. a rollout of `numSteps` steps per game, GAE, and the PPO epochs;
 * 4. a metrics record (returns, episode lengths, win rate against the pool, losses, KL, steps/s),
 *    and the progress measures of `train/progress_metrics.ts` (rollout measures, matches against
 *    FIXED random and greedy agents every `referenceEvery` updates, validation every
 *    `validateEvery` updates), appended to `metrics.jsonl` when a run folder is given;
 * 5. a checkpoint every `checkpointEvery` updates and at the end.
 *
 * A fixed `opponent` (any Agent, e.g. `RandomAgent`) replaces the pool: no refresh then.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case } from "../data/types.ts";
import type { Agent } from "../env/agent.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import type { SparsConfig } from "../env/config.ts";
import { intensityChannels, observationChannels } from "../env/observation.ts";
import type { Scorer } from "../env/scorer.ts";
import type { OnnxRuntime } from "../models/onnx_runtime.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { computeGae } from "../agents/gae.ts";
import { OpponentPool, type OpponentPoolOptions } from "../agents/opponent_pool.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { type PolicyArchitecture, PolicyNetwork } from "../agents/policy_network.ts";
import { batchFromRollout, PpoLearner, type PpoOptions, type PpoUpdateStats } from "../agents/ppo.ts";
import { SelfPlayRollout } from "../agents/rollout.ts";
import { loadLatestCheckpoint, saveCheckpoint, type TrainerState } from "./checkpoint.ts";
import type { ProgressBar } from "./progress.ts";
import {
  type Every,
  ProgressMonitor,
  type ProgressOptions,
  type ProgressRecord,
} from "./progress_metrics.ts";
import { appendMetrics, type RunFolder, truncateMetrics } from "./run_folder.ts";

/** Options of {@link trainSelfPlay}; the progress measures' options are {@link ProgressOptions}'s. */
export interface SelfPlayOptions extends ProgressOptions {
  /** Training cases (each reset draws one). */
  readonly cases: readonly Case[];
  /** The reward model (wrapped in a CachedScorer by the env). */
  readonly scorer: Scorer;
  /** Game options (window, stride, tau, maxSteps, reward, observation...). */
  readonly env?: Partial<SparsConfig>;
  /** Parallel games. Default 8. */
  readonly numEnvs?: number;
  /**
   * Env steps in all (games x steps); updates = floor(totalSteps / (numEnvs * numSteps)), at least 1.
   * A resume may change it, but the learning rate keeps the schedule the run started with (annealed
   * over its original updates, recorded in the checkpoints): a shorter run stops above lr 0, and a
   * longer one is refused while annealing (its extra updates would have learning rate 0).
   */
  readonly totalSteps: number;
  /** Seed of everything (network init, sampling, shuffling, pool, env resets). Default 0. */
  readonly seed?: number;
  /** Network options (observation shape and channels come from the env options). */
  readonly network?: Partial<PolicyArchitecture>;
  /** PPO options. */
  readonly ppo?: Partial<PpoOptions>;
  /** Opponent pool options. */
  readonly pool?: Partial<OpponentPoolOptions>;
  /**
   * Updates between opponent refreshes (SPARS: 32), or `"auto"` = max(1, round(updates / 8)), so
   * that any run refreshes ~8 times. Default `"auto"`. The resolved number is in every record.
   */
  readonly competitorUpdateEvery?: Every;
  /** Also learn from side b's transitions (needs the pool, not a fixed opponent). Default false. */
  readonly trainBothSides?: boolean;
  /** A fixed opponent instead of the pool. */
  readonly opponent?: Agent;
  /** Rollouts' policy forward passes on this onnxruntime (re-exported on weight changes); else tfjs. */
  readonly policyRuntime?: OnnxRuntime;
  /** Updates between checkpoints (and env-reset segments); 0 = never. Default 25. */
  readonly checkpointEvery?: number;
  /** Checkpoints kept. Default 2. */
  readonly keepCheckpoints?: number;
  /** Run folder for metrics and checkpoints (in memory only when absent). */
  readonly run?: RunFolder;
  /** Continue from the run folder's newest checkpoint (when there is one). */
  readonly resume?: boolean;
  /** Progress bar, updated after every update. */
  readonly progress?: ProgressBar;
  /** Called after every update (and its checkpoint); may throw to stop the run (tests simulate kills). */
  readonly onUpdate?: (record: UpdateRecord, view: TrainerView) => void | Promise<void>;
}

/**
 * One line of `metrics.jsonl`. NaN (e.g. no episode ended, no reference match at this update) is
 * written as null. Besides the fields below and PPO's, every record holds the progress fields of
 * {@link ProgressRecord}: from the rollouts `visitedScore`, `distinctWindows`,
 * `terminatedSharePositive`, `terminatedShareNegative`, `validShare` and (evaluation only, voxel
 * labels) `onTargetShareLabels`; against fixed agents `vsRandomWinRate`, `vsRandomDrawRate`,
 * `vsRandomMargin`, `vsGreedyWinRate`, `vsGreedyDrawRate`, `vsGreedyMargin`; `validationDice`,
 * `evalSeconds`; the resolved schedules `competitorUpdateEvery`, `referenceEvery`, `validateEvery`.
 */
export interface UpdateRecord extends PpoUpdateStats, ProgressRecord {
  /** Update number (1-based). */
  readonly update: number;
  /** Env steps so far (all games). */
  readonly globalStep: number;
  /** Training wall time so far, seconds (resumed runs continue the count). */
  readonly seconds: number;
  /** Env steps per second of this update (rollout + update). */
  readonly stepsPerSecond: number;
  /** Seconds of the rollout (policy, env, scorer). */
  readonly rolloutSeconds: number;
  /** Seconds of the PPO epochs. */
  readonly updateSeconds: number;
  /** Episodes that ended in this update's rollout. */
  readonly episodes: number;
  /** Their mean learner return. */
  readonly meanReturn: number;
  /** Their mean length in steps. */
  readonly meanLength: number;
  /** Share of those episodes the learner won (positive return) against the current opponent. */
  readonly winRate: number;
  /** Share drawn. */
  readonly drawRate: number;
  /** Share of those episodes ended by tau (the rest by the step limit). */
  readonly terminatedShare: number;
  /** Share of the learner's steps it won. */
  readonly stepWinRate: number;
  /** The update after which the opponent's weights were taken (-1 for a fixed opponent). */
  readonly opponentUpdate: number;
  /** Snapshots in the pool. */
  readonly poolSize: number;
  /** Scorer cache hit rate so far (NaN without a cache). */
  readonly scorerCacheHitRate: number;
  /** Live tfjs tensors after the update (must stay flat). */
  readonly tensors: number;
}

/** What `onUpdate` can inspect. */
export interface TrainerView {
  /** The learner's network. */
  readonly learner: PolicyNetwork;
  /** The opponent's network (undefined with a fixed opponent). */
  readonly opponent?: PolicyNetwork;
  /** The pool. */
  readonly pool: OpponentPool;
  /** Total updates of the run. */
  readonly totalUpdates: number;
}

/** What {@link trainSelfPlay} returns. */
export interface SelfPlayResult {
  /** The trained network (the caller disposes it). */
  readonly network: PolicyNetwork;
  /** Updates completed in all (resumed ones included). */
  readonly updates: number;
  /** Env steps in all. */
  readonly globalStep: number;
  /** Training wall time in all, seconds. */
  readonly seconds: number;
  /** The last update's record (undefined when nothing was left to do). */
  readonly last?: UpdateRecord;
  /** The update the run resumed from (0 for a fresh run). */
  readonly resumedFrom: number;
}

/** A 32-bit seed for stream `k` of a run seed (distinct, well-mixed streams). */
export function subSeed(seed: number, k: number): number {
  let h = (Math.trunc(seed) ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/**
 * Trains a policy by self-play PPO (see the module doc).
 * @throws {InvalidArgumentError} for inconsistent options (e.g. `trainBothSides` with a fixed
 *   non-policy opponent), plus the errors of the env, the scorer and the file system
 */
export async function trainSelfPlay(options: SelfPlayOptions): Promise<SelfPlayResult> {
  const seed = options.seed ?? 0;
  const numEnvs = options.numEnvs ?? 8;
  const checkpointEvery = options.checkpointEvery ?? 25;
  const both = options.trainBothSides ?? false;
  if (!(Number.isInteger(checkpointEvery) && checkpointEvery >= 0)) {
    throw new InvalidArgumentError("checkpointEvery", `is ${checkpointEvery}`, "an integer >= 0");
  }
  if (both && options.opponent) {
    throw new InvalidArgumentError("trainBothSides", "is set with a fixed opponent", "the opponent pool");
  }
  if (options.resume && !options.run) {
    throw new InvalidArgumentError("resume", "is set without a run folder", "run");
  }

  // --- env, networks, learner, pool ---------------------------------------------------------
  // The rollout stores observations before each step, so it may read the batch buffer in place.
  const env = new VectorEnv({
    ...options.env,
    numEnvs,
    cases: options.cases,
    scorer: options.scorer,
    copyObservations: false,
  });
  const architecture: Partial<PolicyArchitecture> = {
    ...options.network,
    observationShape: env.config.observationShape,
    channels: observationChannels(env.config.observation, env.config.imageChannels ?? 1),
    windowedChannels: intensityChannels(env.config.observation, env.config.imageChannels ?? 1),
  };
  const learnerNet = new PolicyNetwork(architecture, subSeed(seed, 0));
  const runtime = options.policyRuntime;
  const learner = new PolicyAgent(learnerNet, { seed: subSeed(seed, 1), name: "learner", runtime });
  const ppo = new PpoLearner(learnerNet, options.ppo, subSeed(seed, 2));
  const pool = new OpponentPool(options.pool, subSeed(seed, 3));
  const opponentNet = options.opponent ? undefined : new PolicyNetwork(architecture, subSeed(seed, 0));
  const frozen = opponentNet
    ? new PolicyAgent(opponentNet, { seed: subSeed(seed, 4), name: "opponent", runtime })
    : undefined;
  const opponent: Agent = options.opponent ?? frozen!;
  const numSteps = ppo.options.numSteps;
  const stepsPerUpdate = numEnvs * numSteps;
  const totalUpdates = Math.max(1, Math.floor(options.totalSteps / stepsPerUpdate));
  const monitor = new ProgressMonitor(options, env, totalUpdates, subSeed(seed, 5000));
  const rollout = new SelfPlayRollout(env, learnerNet.observationLength, {
    numSteps,
    trainBothSides: both,
    observer: monitor.tracker,
  });

  let update = 0, elapsed = 0, opponentUpdate = options.opponent ? -1 : 0;
  let resumedFrom = 0, scheduleUpdates = totalUpdates;
  let last: UpdateRecord | undefined;
  try {
    // The newest checkpoint that fits this run (an invalid newer one is skipped with a warning).
    const restored = options.resume
      ? await loadLatestCheckpoint(options.run!.checkpointsDir, {
        stepsPerUpdate,
        totalUpdates,
        weights: await learnerNet.getWeights(),
        opponent: opponentNet !== undefined,
      })
      : undefined;
    scheduleUpdates = restored?.scheduleUpdates ?? totalUpdates;
    monitor.useSchedule(scheduleUpdates); // "auto" periods follow the run's schedule
    if (ppo.options.annealLearningRate && totalUpdates > scheduleUpdates) {
      throw new InvalidArgumentError(
        "totalSteps",
        `gives ${totalUpdates} updates; the resumed run anneals its learning rate to 0 over ${scheduleUpdates}`,
        `at most ${scheduleUpdates * stepsPerUpdate} steps (the run's schedule), or a new run`,
      );
    }
    if (restored) {
      learnerNet.setWeights(restored.learner);
      ppo.optimizer.setState(restored.optimizer);
      opponentNet?.setWeights(restored.opponent);
      pool.restore(restored.pool);
      learner.setRngState(restored.rngs.learner);
      frozen?.setRngState(restored.rngs.opponent);
      ppo.setRngState(restored.rngs.shuffle);
      pool.setRngState(restored.rngs.pool);
      update = resumedFrom = restored.update;
      elapsed = restored.elapsedSeconds;
      opponentUpdate = restored.opponentUpdate;
      await truncateMetrics(options.run!, (r) => (r.update as number) <= update);
    } else {
      if (options.run && options.resume) await truncateMetrics(options.run, () => false);
      if (opponentNet) {
        // The opponent starts as a copy of the initial learner (snapshot of "update 0").
        opponentNet.setWeights(pool.add(0, await learnerNet.getWeights()).weights);
      }
    }
    const view: TrainerView = { learner: learnerNet, opponent: opponentNet, pool, totalUpdates };
    const firstUpdate = update + 1;

    // --- the loop ---------------------------------------------------------------------------
    for (update = firstUpdate; update <= totalUpdates; update++) {
      const started = performance.now();
      if (update === firstUpdate || (checkpointEvery > 0 && (update - 1) % checkpointEvery === 0)) {
        await rollout.reset(subSeed(seed, 1000 + update));
      }
      if (opponentNet && update > 1 && (update - 1) % monitor.competitorUpdateEvery === 0) {
        pool.add(update - 1, await learnerNet.getWeights());
        const drawn = pool.sample();
        opponentNet.setWeights(drawn.weights);
        opponentUpdate = drawn.update;
      }

      const stats = await rollout.collect(learner, opponent);
      const rolledOut = performance.now();
      const b = rollout.buffer;
      const gae = computeGae({
        steps: b.steps,
        columns: b.columns,
        rewards: b.rewards,
        values: b.values,
        terminations: b.terminations,
        truncations: b.truncations,
        valid: b.valid,
        bootstrapValues: b.bootstrapValues,
        gamma: ppo.options.gamma,
        lambda: ppo.options.gaeLambda,
      });
      const updateStats = await ppo.update(
        batchFromRollout(b, gae, learnerNet),
        ppo.learningRateAt(update, scheduleUpdates),
      );
      const finished = performance.now();
      const seconds = (finished - started) / 1000;
      const measured = await monitor.measure(update, learnerNet);
      elapsed += seconds + measured.evalSeconds;

      const episodes = stats.episodes;
      const cache = env.scorer instanceof CachedScorer ? env.scorer.stats : undefined;
      last = {
        update,
        globalStep: update * stepsPerUpdate,
        seconds: elapsed,
        stepsPerSecond: stepsPerUpdate / seconds,
        rolloutSeconds: (rolledOut - started) / 1000,
        updateSeconds: (finished - rolledOut) / 1000,
        ...updateStats,
        episodes: episodes.length,
        meanReturn: mean(episodes.map((e) => e.return)),
        meanLength: mean(episodes.map((e) => e.length)),
        winRate: mean(episodes.map((e) => (e.outcome === 1 ? 1 : 0))),
        drawRate: mean(episodes.map((e) => (e.outcome === 0 ? 1 : 0))),
        terminatedShare: mean(episodes.map((e) => (e.terminated ? 1 : 0))),
        stepWinRate: stats.transitions ? stats.stepWins / stats.transitions : NaN,
        opponentUpdate,
        poolSize: options.opponent ? 0 : pool.snapshots.length,
        scorerCacheHitRate: cache && cache.hits + cache.misses
          ? cache.hits / (cache.hits + cache.misses)
          : NaN,
        ...measured,
        tensors: tf.memory().numTensors,
      };
      if (options.run) await appendMetrics(options.run, last as unknown as Record<string, unknown>);
      if (
        options.run && ((checkpointEvery > 0 && update % checkpointEvery === 0) || update === totalUpdates)
      ) {
        await saveCheckpoint(options.run.checkpointsDir, await snapshotState(), options.keepCheckpoints ?? 2);
      }
      options.progress?.update(
        last.globalStep,
        `update ${update}/${totalUpdates} win ${fmt(last.winRate)} ret ${fmt(last.meanReturn)} ent ${
          fmt(last.entropy)
        } kl ${fmt(last.approxKl, 4)}`,
      );
      await options.onUpdate?.(last, view);
    }
    update = Math.max(update - 1, resumedFrom);
    return {
      network: learnerNet,
      updates: update,
      globalStep: update * stepsPerUpdate,
      seconds: elapsed,
      last,
      resumedFrom,
    };
  } catch (e) {
    learnerNet.dispose();
    throw e;
  } finally {
    ppo.dispose();
    opponentNet?.dispose();
    await Promise.all([learner.release(), frozen?.release()]); // onnxruntime sessions, if any
  }

  async function snapshotState(): Promise<TrainerState> {
    return {
      update,
      globalStep: update * stepsPerUpdate,
      elapsedSeconds: elapsed,
      learner: await learnerNet.getWeights(),
      optimizer: ppo.optimizer.getState(),
      opponent: opponentNet ? await opponentNet.getWeights() : [],
      opponentUpdate,
      pool: pool.snapshots,
      scheduleUpdates,
      rngs: {
        learner: learner.getRngState(),
        opponent: frozen?.getRngState() ?? [0, 0, 0, 0],
        shuffle: ppo.getRngState(),
        pool: pool.getRngState(),
      },
    };
  }
}

function fmt(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "-";
}
