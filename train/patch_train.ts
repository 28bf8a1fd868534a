/**
 * Self-play PPO on the patch game (issue 13), one seed: 2D phantoms (depth 1) split 70/15/15
 * stratified by presence -> N {@link PatchSelfPlayEnv} games (learner side a, first mover drawn per
 * episode, so the learner plays first and second) -> masked PPO (`agents/patch_policy.ts`) against
 * a frozen opponent drawn from the package's {@link OpponentPool} with the paper's PFSP (a normal
 * over the snapshot index truncated to the history) -> evaluation on the test split: the learned
 * policy (argmax and sampled) against random, greedy and spatial-prior players (`eval/patch_eval.ts`;
 * the spatial prior is fitted on the training cases: `env/patch/spatial_prior.ts`).
 *
 * Network (`network`): `fcn` (default), the fully convolutional {@link PatchPolicyNetwork} (one logit
 * per patch from that patch's features); `dense`, the package's {@link PolicyNetwork} (a dense head
 * over the flattened trunk, which learnt where tumours usually lie rather than to read the image).
 *
 * Choices (the paper is silent): the opponent is redrawn from the pool once per PPO update (all
 * games of one rollout face it); a snapshot of the learner is added every `snapshotEvery` updates
 * (the demo: every 4 episodes); rewards are multiplied by `rewardScale` for the learner only (the
 * game's +-1 rounds and +-w terminations keep their ratio); games reset as soon as they end and a
 * truncation is stored as terminal (no bootstrap: a game truncates only after n + 2 refused moves).
 *
 * Rules of the training game (defaults changed from the paper's, which `PAPER_PATCH_RULES` holds
 * and `train:patch --paper-rules` restores): termination weight w = 1 instead of 100, no early
 * termination penalty instead of 1, learner reward scale 1 instead of 0.1. Why: with w = 100 the
 * +-100 termination outcome (which also flips with the OPPONENT's terminations) is 100 times the
 * +-1 round reward that is the only signal for WHERE to pick; the value function could not predict
 * it (explained variance ~0), advantages were that noise, and the policy did not move (approx KL
 * ~1e-5 per update, hit rate of picks at chance, learned Dice = random on every seed). With w = 1
 * a correct termination is worth one won round: the learner first learns to pick object patches
 * (hit rate 0.02 -> 0.6 in 40 updates) and to stop when none is left. The early penalty (1) would
 * cancel the whole +1 of stopping at once on an object-free image, so it is 0.
 *
 * Scorer (`scorer`): the ORACLE (default; the share of target voxels, read from the voxel labels:
 * an upper-bound setting) or the CLASSIFIER (`train/patch_classifier.ts`: the presence classifier
 * trained on the training split's patches labelled from the voxel masks, early stopping on the
 * validation split's; supervision "crops labelled from voxel masks"). The learner's rewards come
 * from the scorer only. Every evaluation row names its supervision level ({@link PatchResultRow}).
 *
 * Observation (`observeScores`, default false as the paper): with it, a third channel holds every
 * untaken patch's score, the information the greedy baseline reads, so the learned and greedy players
 * compete on the same information; without it the learner reads the image only and must learn what
 * the scorer rewards from the rewards alone.
 *
 * @module
 */
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { fitSpatialPrior } from "../env/patch/spatial_prior.ts";
import type { PatchConfig } from "../env/patch/config.ts";
import { PatchEnv } from "../env/patch/patch_env.ts";
import { PatchSelfPlayEnv, type PatchSingleReset } from "../env/patch/self_play.ts";
import { Adam } from "../agents/adam.ts";
import { computeGae } from "../agents/gae.ts";
import { OpponentPool, type OpponentPoolOptions } from "../agents/opponent_pool.ts";
import { createPatchModel, type PatchNetworkKind } from "../agents/patch_model.ts";
import { maskedPpoUpdate, PatchPolicyAgent, type PatchPolicyModel } from "../agents/patch_policy.ts";
import { type PpoOptions, resolvePpoOptions } from "../agents/ppo.ts";
import { evaluatePatchPlayers, type PatchEvalRow, patchPlayers } from "../eval/patch_eval.ts";
import { patchRunData, patchRunGameOptions } from "../eval/patch_run_eval.ts";
import {
  DEFAULT_PATCH_CLASSIFIER_CONFIG,
  type PatchClassifierConfig,
  type TrainedPatchClassifier,
} from "./patch_classifier.ts";
import { greedyDemonstrations, imitateGreedy, imitationAccuracy } from "./patch_imitation.ts";
import { patchScorer, type PatchScorerKind } from "./patch_scorer.ts";
import type { PatchRunData } from "../env/patch/patch_data.ts";

export { patchData } from "../env/patch/patch_data.ts";

export { PATCH_NETWORK_KINDS, type PatchNetworkKind } from "../agents/patch_model.ts";

/** Options of one training run. */
export interface PatchTrainConfig {
  /** Seed of data, split, networks, games. */
  readonly seed: number;
  /** Phantom cases in the dataset. */
  readonly cases: number;
  /**
   * Dataset folder of 2D slices (`train/patch_data.ts`, e.g. the liver-tumour JPEG slices), or null
   * for the embedded phantoms (default).
   */
  readonly data: string | null;
  /** Phantom shape z,y,x (depth 1 = 2D); with `data`, the shape every slice is resampled to. */
  readonly shape: Vec3;
  /**
   * Play every train and test case in its 4 mirror variants (y, x flips; `patch_augment.ts`), so
   * the object's place varies. Default true (false: the phantoms as generated, where an image-blind
   * policy scores Dice 0.56).
   */
  readonly mirror: boolean;
  /** Patch grid z,y,x. */
  readonly grid: Vec3;
  /** The scorer of the game. Default `oracle`. */
  readonly scorer: PatchScorerKind;
  /** Hyper-parameters of the classifier scorer (used with `scorer: "classifier"`). */
  readonly classifier: PatchClassifierConfig;
  /** The learned agent's network. Default `fcn`. */
  readonly network: PatchNetworkKind;
  /** Observation shape z,y,x. */
  readonly observationShape: Vec3;
  /**
   * Give the learner (and its opponents) a third observation channel holding each untaken patch's
   * score: what the greedy baseline reads. Default false (the paper: the image only).
   */
  readonly observeScores: boolean;
  /**
   * Intensities (HU) mapped to [0, 1] in the observation. Default [-100, 200]: with each image's own
   * min..max (air -1000 .. bone 420) a 40 HU tumour contrast would be 0.03 of the range.
   */
  readonly intensityRange: readonly [number, number];
  /**
   * Presence threshold of the game (and of the greedy baseline): 0.3 of a patch's voxels with the
   * oracle (default), 0.5 probability with the classifier (`train:patch --scorer classifier`).
   */
  readonly presenceThreshold: number;
  /** The game's termination weight w (the terminating player gets +-w). Default 1 (paper: 100). */
  readonly terminationWeight: number;
  /** The game's penalty to a player terminating before its first pick. Default 0 (paper rules: 1). */
  readonly earlyTerminationPenalty: number;

  /**
   * Steps of imitation of the greedy player before PPO (`train/patch_imitation.ts`; batch 64, Adam
   * 1e-3, on the states of greedy-vs-greedy games of the training cases). Default 0 (none).
   */
  readonly imitateSteps: number;
  /** Parallel games. */
  readonly envs: number;
  /** PPO updates. */
  readonly updates: number;
  /** Snapshot the learner into the pool every this many updates. */
  readonly snapshotEvery: number;
  /** Learner reward multiplier. Default 1 (paper rules: 0.1, rewards then +-0.1 and +-10). */
  readonly rewardScale: number;
  /** PPO options. */
  readonly ppo: Partial<PpoOptions>;
  /** Pool options (default PFSP). */
  readonly pool: Partial<OpponentPoolOptions>;
}

/**
 * Defaults: 106 phantoms of 1x64x64 (split 74/16/16: 16 test cases, 11 with tumour), 8x8 grid,
 * the `fcn` network, 8 games x 32 steps, 150 updates (the `fcn` network's hit rate was still rising
 * at 60), the balanced rules (w = 1, no early penalty, scale 1).
 */
export const DEFAULT_PATCH_TRAIN_CONFIG: PatchTrainConfig = {
  seed: 0,
  data: null,
  cases: 106,
  shape: [1, 64, 64],
  mirror: true,
  scorer: "oracle",
  classifier: DEFAULT_PATCH_CLASSIFIER_CONFIG,
  grid: [1, 8, 8],
  network: "fcn",
  observationShape: [1, 32, 32],
  observeScores: false,
  intensityRange: [-100, 200],
  presenceThreshold: 0.3,
  terminationWeight: 1,
  earlyTerminationPenalty: 0,
  imitateSteps: 0,
  envs: 8,
  updates: 150,
  snapshotEvery: 2,
  rewardScale: 1,
  ppo: { learningRate: 1e-3, numSteps: 32, minibatchSize: 64, updateEpochs: 4, entCoef: 0.01 },
  pool: { rule: "pfsp", window: 8, latestRatio: 0.2, pfspMean: 2, pfspSd: 2 },
};

/** The paper's termination rules (and the learner reward scale used with them before). */
export const PAPER_PATCH_RULES: Pick<
  PatchTrainConfig,
  "terminationWeight" | "earlyTerminationPenalty" | "rewardScale"
> = { terminationWeight: 100, earlyTerminationPenalty: 1, rewardScale: 0.1 };

/** One metrics line per update. */
export interface PatchUpdateLog {
  /** Update number (1-based). */
  readonly update: number;
  /** Episodes finished in this rollout. */
  readonly episodes: number;
  /** Mean unscaled learner return of those episodes. */
  readonly meanReturn: number;
  /** Mean learner steps per episode. */
  readonly meanLength: number;
  /** Opponent snapshot (update it was taken after). */
  readonly opponentUpdate: number;
  /** Share of the learner's actions (envs x steps of the rollout) that terminate. */
  readonly terminateShare: number;
  /** Share of the learner's picks scoring above the presence threshold. */
  readonly hitShare: number;
  /** PPO statistics. */
  readonly [key: string]: number;
}

/** An evaluation row with the supervision level of what the player read. */
export interface PatchResultRow extends PatchEvalRow {
  /**
   * What labels the player used: the scorer's level for the learned and greedy players ("voxel
   * labels" for the oracle, "crops labelled from voxel masks" for the classifier), "voxel labels
   * (training masks)" for the spatial prior, "none" for random.
   */
  readonly supervision: string;
}

/** Result of one run. */
export interface PatchTrainResult {
  /** Evaluation rows on the test split. */
  readonly rows: PatchResultRow[];
  /** Update logs. */
  readonly logs: PatchUpdateLog[];
  /** Learned weights (the caller disposes them). */
  readonly network: PatchPolicyModel;
  /** Wall time in seconds. */
  readonly seconds: number;
  /** Test case ids. */
  readonly testIds: readonly string[];
  /** The classifier scorer when `scorer` is "classifier" (the caller disposes its model). */
  readonly classifier?: TrainedPatchClassifier;
}

/** The game options (grid, observation, rules) that training and evaluation envs of `config` use. */
export function patchGameOptions(config: PatchTrainConfig): Partial<PatchConfig> {
  return patchRunGameOptions(config);
}

/**
 * A network of `config.network` for `config`'s observation and grid, seeded ({@link createPatchModel}).
 * @param config the run's options
 * @param seed initialisation seed
 */
export function createPatchNetwork(config: PatchTrainConfig, seed: number): PatchPolicyModel {
  return createPatchModel(config, seed);
}

/** Trains one seed and evaluates it on the test split; `log` receives each update's line. */
export async function trainPatch(
  config: PatchTrainConfig,
  log: (line: PatchUpdateLog) => void | Promise<void> = () => {},
  progress: (line: string) => void = () => {},
): Promise<PatchTrainResult> {
  const started = performance.now();
  const data: PatchRunData = await patchRunData(config);
  const { train, test } = data;
  const { scorer, supervision, classifier } = await patchScorer(config, data, progress);
  const ppo = resolvePpoOptions(config.ppo);
  const n = config.grid[0] * config.grid[1] * config.grid[2];
  const net = createPatchNetwork(config, config.seed);
  const frozen = createPatchNetwork(config, config.seed + 1);
  const opponent = new PatchPolicyAgent(frozen, { seed: config.seed + 2, name: "opponent" });
  const learner = new PatchPolicyAgent(net, { seed: config.seed + 3 });
  if (config.imitateSteps > 0) {
    const demos = await greedyDemonstrations(
      new PatchEnv({ scorer, cache: false, ...patchGameOptions(config) }),
      train,
    );
    await imitateGreedy(net, demos, { steps: config.imitateSteps, seed: config.seed + 6 });
    const accuracy = imitationAccuracy(net, demos);
    progress(
      `imitation: ${demos.actions.length} greedy states, ${config.imitateSteps} steps, argmax = greedy on ${
        (100 * accuracy).toFixed(1)
      }%`,
    );
  }
  const pool = new OpponentPool(config.pool, config.seed + 4);
  pool.add(0, await net.getWeights());
  const optimizer = new Adam(net.variables, { learningRate: ppo.learningRate, epsilon: ppo.adamEpsilon });
  const shuffle = new Rng(config.seed + 5);
  // One score cache for every env (cache: false below): each image's patches are scored once.
  const game = { scorer, cache: false, cases: train, ...patchGameOptions(config), first: "random" as const };
  const envs = Array.from({ length: config.envs }, () => new PatchSelfPlayEnv({ ...game, opponent }));
  const C = config.envs, T = ppo.numSteps, k = n + 1, len = net.observationLength;
  let current: PatchSingleReset[] = [];
  for (let c = 0; c < C; c++) current.push(await envs[c].reset({ seed: config.seed * 1000 + c }));
  const obs = new Float32Array(T * C * len), masks = new Uint8Array(T * C * k);
  const actions = new Int32Array(T * C), logProbs = new Float32Array(T * C), values = new Float32Array(T * C);
  const rewards = new Float32Array(T * C), terms = new Uint8Array(T * C), truncs = new Uint8Array(T * C);
  const valid = new Uint8Array(T * C).fill(1);
  const returns = new Float64Array(C), lengths = new Int32Array(C);
  const logs: PatchUpdateLog[] = [];
  for (let update = 1; update <= config.updates; update++) {
    const snap = pool.sample();
    frozen.setWeights(snap.weights);
    let episodes = 0, returnSum = 0, lengthSum = 0, terminates = 0, picks = 0, hits = 0;
    for (let t = 0; t < T; t++) {
      const o = current.map((r) => r.observation), m = current.map((r) => r.info.action_mask);
      const step = await learner.step(o, m);
      const next: PatchSingleReset[] = [];
      for (let c = 0; c < C; c++) {
        const i = t * C + c;
        obs.set(o[c], i * len);
        masks.set(m[c], i * k);
        actions[i] = step.actions[c];
        logProbs[i] = step.logProbs[c];
        values[i] = step.values[c];
        const g = envs[c].env.game;
        // Actions played (not the ignored one after an opponent's opening termination).
        if (g.running && step.actions[c] === n) terminates++;
        else if (g.running) {
          picks++;
          if (g.scores[step.actions[c]] > config.presenceThreshold) hits++;
        }
        const s = await envs[c].step(step.actions[c]);
        rewards[i] = s.reward * config.rewardScale;
        terms[i] = s.terminated || s.truncated ? 1 : 0;
        returns[c] += s.reward;
        lengths[c]++;
        if (terms[i]) {
          episodes++;
          returnSum += returns[c];
          lengthSum += lengths[c];
          returns[c] = lengths[c] = 0;
          next.push(await envs[c].reset());
        } else next.push(s);
      }
      current = next;
    }
    const boot = await learner.step(
      current.map((r) => r.observation),
      current.map((r) => r.info.action_mask),
    );
    const gae = computeGae({
      steps: T,
      columns: C,
      rewards,
      values,
      terminations: terms,
      truncations: truncs,
      valid,
      bootstrapValues: boot.values,
      gamma: ppo.gamma,
      lambda: ppo.gaeLambda,
    });
    const lr = ppo.annealLearningRate
      ? ppo.learningRate * (1 - (update - 1) / config.updates)
      : ppo.learningRate;
    const stats = await maskedPpoUpdate(
      net,
      optimizer,
      {
        size: T * C,
        observations: obs,
        masks,
        actions,
        logProbs,
        values,
        advantages: gae.advantages,
        returns: gae.returns,
      },
      ppo,
      lr,
      shuffle,
    );
    if (update % config.snapshotEvery === 0) pool.add(update, await net.getWeights());
    const line: PatchUpdateLog = {
      update,
      episodes,
      meanReturn: episodes ? returnSum / episodes : NaN,
      meanLength: episodes ? lengthSum / episodes : NaN,
      opponentUpdate: snap.update,
      terminateShare: terminates / (T * C),
      hitShare: picks ? hits / picks : NaN,
      learningRate: lr,
      ...stats,
    };
    logs.push(line);
    await log(line);
  }
  const evalEnv = new PatchEnv({ scorer, cache: false, ...patchGameOptions(config) });
  const { players, supervision: read } = patchPlayers(net, {
    seed: config.seed,
    prior: fitSpatialPrior(train, config.grid, data.target),
    scorerSupervision: supervision,
  });
  const evaluated = await evaluatePatchPlayers(evalEnv, players, test, data.target);
  const rows = evaluated.map((r, i) => ({ ...r, supervision: read[i] }));
  frozen.dispose();
  return {
    rows,
    ...(classifier ? { classifier } : {}),
    logs,
    network: net,
    seconds: (performance.now() - started) / 1000,
    testIds: test.map((c) => c.id),
  };
}
