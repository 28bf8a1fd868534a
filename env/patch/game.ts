/**
 * The rules of the patch game ("Competing for pixels", Saeed et al. 2024), synchronous: the env
 * scores every patch once at reset and hands the scores here. Choices where the paper is silent:
 *
 * - Turns: the players alternate strictly (`first` moves first). A ROUND is the first mover's pick
 *   followed by the other player's pick; when the round completes, the reward scheme of
 *   `env/rewards.ts` (default `adversarial`: +1/-1, ties per `ties`) is applied to
 *   (score of a's pick, score of b's pick), both rewards on that step. A round left incomplete (the
 *   game ends after its first pick) gives no round reward.
 * - Actions: `0..n-1` take that patch, `n` terminates (Discrete(n + 1)).
 * - Illegal action (a taken patch): REFUSED, a no-op on the board: the mover gets `-illegalPenalty`,
 *   stays to move, and the step counts toward `maxSteps`.
 * - Termination by player X: X gets `+w` when no untaken patch scores above `presenceThreshold`,
 *   `-w` otherwise (w = `terminationWeight`); the other player gets the negation. X also gets
 *   `-earlyTerminationPenalty` when X has not picked any patch itself.
 * - Every patch taken: the game terminates by itself after that pick (round reward, no termination
 *   reward: nothing is left to find).
 * - Truncation after `maxSteps` steps.
 * - Segmentation: the union of all picked patches (both players), and a map where each picked
 *   patch holds its score (0 elsewhere), so a threshold sweep applies.
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import type { Case, Vec3 } from "../../data/types.ts";
import { EnvStateError } from "../errors.ts";
import { type RewardFunction, rewardFunction } from "../rewards.ts";
import { PATCH_AGENTS, type PatchAgentId, type PatchConfig } from "./config.ts";
import type { PatchGrid } from "./grid.ts";
import type { PatchObservationEncoder } from "./observation.ts";

/** Per-player record. */
export type PatchPerAgent<T> = Record<PatchAgentId, T>;

/** The info of each player (a plain, JSON-able object but for `action_mask`). */
export interface PatchInfo {
  /** Gymnasium action mask: 1 = legal, length n + 1 (the last entry, terminate, is always 1). */
  readonly action_mask: Uint8Array;
  /** Who moves next (the player whose action the next step uses). */
  readonly to_move: PatchAgentId;
  /** Steps played so far. */
  readonly step: number;
  /** Patches taken so far (both players). */
  readonly taken: number;
  /** Patch taken on this step, or -1 (reset, refused move, termination). */
  readonly pick: number;
  /** Score of that patch, or -1. */
  readonly pick_score: number;
  /** True when this step's move was refused as illegal. */
  readonly illegal: boolean;
  /** Player who terminated the game, or null. */
  readonly terminated_by: PatchAgentId | null;
}

/** Result of a reset. */
export interface PatchReset {
  /** One observation per player (the same array: both see the same board). Do not modify. */
  readonly observations: PatchPerAgent<Float32Array>;
  /** One info per player. */
  readonly infos: PatchPerAgent<PatchInfo>;
}

/** Result of a step (PettingZoo parallel). */
export interface PatchStep extends PatchReset {
  /** Rewards of this step. */
  readonly rewards: PatchPerAgent<number>;
  /** The game ended by termination (a player's or every patch taken). */
  readonly terminations: PatchPerAgent<boolean>;
  /** The step limit was hit. */
  readonly truncations: PatchPerAgent<boolean>;
}

/** The board and rules of one game; reused across episodes. */
export class PatchGame {
  /** The rules. */
  readonly config: PatchConfig;
  /** The case played (undefined before the first episode). */
  case?: Case;
  /** The grid of the case. */
  grid?: PatchGrid;
  /** Scores of every patch (index = patch), from the env's scorer. */
  scores: Float32Array = new Float32Array(0);
  /** Owner per patch: 0 untaken, 1 a, 2 b. */
  owner: Uint8Array = new Uint8Array(0);
  /** Picks in order (the first `taken` entries). */
  order: Int32Array = new Int32Array(0);
  /** Number of patches taken. */
  taken = 0;
  /** Steps played. */
  step = 0;
  /** Index (0 = a, 1 = b) of the player to move. */
  toMove = 0;
  /** Patches picked by a and by b. */
  readonly picksBy: [number, number] = [0, 0];
  /** Who terminated, or null. */
  terminatedBy: PatchAgentId | null = null;
  /** True once the episode ended (terminated or truncated). */
  done = false;
  #first = 0;
  #roundPick = -1;
  #encoder?: PatchObservationEncoder;
  #mask: Uint8Array = new Uint8Array(0);
  readonly #reward: RewardFunction;

  /** Creates the instance; see the class documentation for the arguments. */
  constructor(config: PatchConfig) {
    this.config = config;
    this.#reward = rewardFunction(config.reward, config.ties);
  }

  /** True between a reset and the end of the episode. */
  get running(): boolean {
    return this.case !== undefined && !this.done;
  }

  /** Starts an episode on `c` with every patch's score; `first` is 0 (a) or 1 (b). */
  begin(
    c: Case,
    grid: PatchGrid,
    encoder: PatchObservationEncoder,
    scores: Float32Array,
    first: 0 | 1,
  ): PatchReset {
    const n = grid.count;
    this.case = c;
    this.grid = grid;
    this.#encoder = encoder;
    this.scores = scores;
    this.owner = new Uint8Array(n);
    this.order = new Int32Array(n);
    this.#mask = new Uint8Array(n + 1).fill(1);
    this.taken = this.step = 0;
    this.picksBy[0] = this.picksBy[1] = 0;
    this.terminatedBy = null;
    this.done = false;
    this.toMove = this.#first = first;
    this.#roundPick = -1;
    const obs = encoder.encode(this.owner, undefined, scores);
    const info = this.#info(-1, false);
    return {
      observations: { a: obs, b: obs },
      infos: { a: info, b: { ...info, action_mask: info.action_mask.slice() } },
    };
  }

  /**
   * Plays the mover's action (the idle player's action is ignored; it may be omitted, but when
   * given it must be a member of the action space too).
   * @throws {EnvStateError} before reset or after the end
   * @throws {InvalidArgumentError} for a missing or out-of-range action, or an unknown key
   */
  play(actions: Partial<PatchPerAgent<number>>): PatchStep {
    if (!this.running) {
      throw new EnvStateError(
        "step",
        this.done ? "called after the episode ended" : "called before reset",
        "reset() first",
      );
    }
    const n = this.grid!.count;
    for (const key in actions) {
      if (key !== "a" && key !== "b") {
        throw new InvalidArgumentError("actions", `has key '${key}'`, "only 'a' and 'b'");
      }
    }
    const mover = PATCH_AGENTS[this.toMove];
    for (const id of PATCH_AGENTS) {
      const v = actions[id];
      if (v === undefined && id !== mover) continue;
      if (!(typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= n)) {
        throw new InvalidArgumentError(
          `actions.${id}`,
          `is ${String(v)}`,
          `an integer in 0..${n} (a patch index, or ${n} = terminate)${id === mover ? "" : " or undefined"}`,
        );
      }
    }
    const action = actions[mover]!;
    const m = this.toMove, o = 1 - m;
    const rewards = [0, 0];
    let pick = -1, illegal = false, terminated = false;
    this.step++;
    if (action === n) {
      let left = false;
      for (let p = 0; p < n; p++) {
        if (this.owner[p] === 0 && this.scores[p] > this.config.presenceThreshold) left = true;
      }
      const w = this.config.terminationWeight;
      rewards[m] = left ? -w : w;
      rewards[o] = -rewards[m];
      if (this.picksBy[m] === 0) rewards[m] -= this.config.earlyTerminationPenalty;
      this.terminatedBy = mover;
      terminated = true;
    } else if (this.owner[action] !== 0) {
      rewards[m] = -this.config.illegalPenalty;
      illegal = true;
    } else {
      pick = action;
      this.owner[action] = m + 1;
      this.#mask[action] = 0;
      this.order[this.taken++] = action;
      this.picksBy[m]++;
      if (m === this.#first) this.#roundPick = action;
      else {
        const first = this.#roundPick;
        const [pa, pb] = m === 0 ? [action, first] : [first, action];
        const [ra, rb] = this.#reward({
          scoreA: this.scores[pa],
          scoreB: this.scores[pb],
          cornerA: this.grid!.corner(pa),
          cornerB: this.grid!.corner(pb),
          step: this.step,
        });
        rewards[0] += ra;
        rewards[1] += rb;
        this.#roundPick = -1;
      }
      this.toMove = o;
      if (this.taken === n) terminated = true;
    }
    const truncated = !terminated && this.step >= this.config.maxSteps;
    this.done = terminated || truncated;
    const obs = this.#encoder!.encode(this.owner, undefined, this.scores);
    const info = this.#info(pick, illegal);
    return {
      observations: { a: obs, b: obs },
      rewards: { a: rewards[0], b: rewards[1] },
      terminations: { a: terminated, b: terminated },
      truncations: { a: truncated, b: truncated },
      infos: { a: info, b: { ...info, action_mask: info.action_mask.slice() } },
    };
  }

  /** The action mask now (a copy): 1 = legal, length n + 1. */
  actionMask(): Uint8Array {
    return this.#mask.slice();
  }

  /** The union of picked patches as a voxel mask (z,y,x, x fastest; 1 = picked). */
  segmentation(): Uint8Array {
    const out = new Uint8Array(this.grid!.shape[0] * this.grid!.shape[1] * this.grid!.shape[2]);
    this.grid!.paint(new Uint8Array(this.grid!.count).fill(1), out, this.owner);
    return out;
  }

  /** Voxel map: each picked patch holds its score, 0 elsewhere (z,y,x, x fastest). */
  scoreMap(): Float32Array {
    const out = new Float32Array(this.grid!.shape[0] * this.grid!.shape[1] * this.grid!.shape[2]);
    this.grid!.paint(this.scores, out, this.owner);
    return out;
  }

  /** Corner and size (z,y,x voxels) of patch `p` of the current grid. */
  patchBox(p: number): { corner: Vec3; size: Vec3 } {
    return { corner: this.grid!.corner(p), size: this.grid!.size(p) };
  }

  #info(pick: number, illegal: boolean): PatchInfo {
    return {
      action_mask: this.#mask.slice(),
      to_move: PATCH_AGENTS[this.toMove],
      step: this.step,
      taken: this.taken,
      pick,
      pick_score: pick >= 0 ? this.scores[pick] : -1,
      illegal,
      terminated_by: this.terminatedBy,
    };
  }
}
