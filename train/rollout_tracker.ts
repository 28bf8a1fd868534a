/**
 * Progress measures read from the training rollouts themselves (learner = side `a`), accumulated
 * step by step by a {@link RolloutObserver} and taken once per update:
 *
 * - `visitedScore`: mean score of the windows the learner moved to, over its valid steps;
 * - `distinctWindows`: mean number of distinct corners the learner's window held in an episode
 *   (its start window included), over the episodes that ended in the rollout;
 * - `terminatedSharePositive` / `terminatedShareNegative`: share of the ended episodes that tau
 *   ended, on cases with `presence` 1 / 0 (cases without a presence label count in neither);
 * - `validShare`: share of the learner's rollout rows that are transitions (not NEXT_STEP autoreset
 *   rows, which hold no transition);
 * - `onTargetShareLabels`: EVALUATION ONLY, read from VOXEL LABELS: share of the learner's valid
 *   steps, on cases whose labels hold the target, whose window touches at least one target voxel.
 *   It is only logged; nothing of it reaches the learner, the rewards or the scorer.
 *
 * An episode in progress at the end of a rollout continues into the next one; `reset` (a segment
 * start) drops it, as the rollout does.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { VectorReset, VectorStep } from "../env/vector_env.ts";
import type { RolloutObserver } from "../agents/rollout.ts";

/** The measures of {@link RolloutTracker.take} (NaN where nothing was counted). */
export interface RolloutProgress {
  /** Mean score of the windows the learner moved to, over its valid steps. */
  readonly visitedScore: number;
  /** Mean distinct learner windows (corners, start included) per episode that ended. */
  readonly distinctWindows: number;
  /** Share of ended episodes on positive cases (presence 1) ended by tau. */
  readonly terminatedSharePositive: number;
  /** Share of ended episodes on negative cases (presence 0) ended by tau. */
  readonly terminatedShareNegative: number;
  /** Share of the learner's rollout rows that are transitions (not autoreset rows). */
  readonly validShare: number;
  /**
   * EVALUATION ONLY (voxel labels, never used in training): share of the learner's valid steps on
   * cases holding the target whose window touches a target voxel; NaN without `target` or labels.
   */
  readonly onTargetShareLabels: number;
}

/** Options of {@link RolloutTracker}. */
export interface RolloutTrackerOptions {
  /** Games of the env. */
  readonly numEnvs: number;
  /** Window size z,y,x. */
  readonly window: Vec3;
  /** The case game `i` plays after the step just seen (e.g. `(i) => env.games[i].case`). */
  readonly caseOf: (game: number) => Case | undefined;
  /** Label values of the target (for `onTargetShareLabels` only); unset: not measured. */
  readonly target?: number | readonly number[];
}

/** Bounding box z0,y0,x0,z1,y1,x1 (inclusive) of a case's target voxels; null when it has none. */
type TargetBox = Int32Array | null;

/** Accumulates the rollout measures (see the module doc). */
export class RolloutTracker implements RolloutObserver {
  readonly #options: RolloutTrackerOptions;
  readonly #visited: Set<number>[];
  readonly #table?: Uint8Array;
  readonly #boxes = new WeakMap<Case, TargetBox>();
  #rows = 0;
  #valid = 0;
  #scoreSum = 0;
  #labelled = 0;
  #onTarget = 0;
  #episodes = 0;
  #distinctSum = 0;
  #ended = [0, 0];
  #terminated = [0, 0];

  /**
   * Creates the tracker.
   * @throws {InvalidArgumentError} for a target that is not label values in 1..255
   */
  constructor(options: RolloutTrackerOptions) {
    this.#options = options;
    this.#visited = Array.from({ length: options.numEnvs }, () => new Set<number>());
    if (options.target !== undefined) {
      const values = typeof options.target === "number" ? [options.target] : options.target;
      if (!(values.length > 0 && values.every((v) => Number.isInteger(v) && v >= 1 && v <= 255))) {
        throw new InvalidArgumentError(
          "evalTarget",
          `is ${JSON.stringify(options.target)}`,
          "label values 1..255",
        );
      }
      this.#table = new Uint8Array(256);
      for (const v of values) this.#table[v] = 1;
    }
  }

  /** Every game starts a new episode at its reset window. */
  reset(result: VectorReset): void {
    for (let i = 0; i < this.#visited.length; i++) {
      this.#visited[i].clear();
      this.#visited[i].add(cornerKey(result.infos.a[i].corner));
    }
  }

  /** Counts one env step of every game. */
  step(result: VectorStep): void {
    for (let i = 0; i < this.#visited.length; i++) {
      this.#rows++;
      const info = result.infos.a[i];
      if (result.autoreset[i]) {
        this.#visited[i].clear();
        this.#visited[i].add(cornerKey(info.corner));
        continue;
      }
      this.#valid++;
      this.#scoreSum += info.score;
      this.#visited[i].add(cornerKey(info.corner));
      const c = this.#options.caseOf(i);
      if (c && this.#table && c.labels) {
        const box = this.#targetBox(c);
        if (box) {
          this.#labelled++;
          if (this.#touches(c, box, info.corner)) this.#onTarget++;
        }
      }
      const terminated = result.terminations.a[i] === 1;
      if (terminated || result.truncations.a[i] === 1) {
        this.#episodes++;
        this.#distinctSum += this.#visited[i].size;
        const presence = c?.presence;
        if (presence === 0 || presence === 1) {
          this.#ended[presence]++;
          if (terminated) this.#terminated[presence]++;
        }
      }
    }
  }

  /** The measures since the last take (or construction), then zeroes the counts. */
  take(): RolloutProgress {
    const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
    const out: RolloutProgress = {
      visitedScore: ratio(this.#scoreSum, this.#valid),
      distinctWindows: ratio(this.#distinctSum, this.#episodes),
      terminatedSharePositive: ratio(this.#terminated[1], this.#ended[1]),
      terminatedShareNegative: ratio(this.#terminated[0], this.#ended[0]),
      validShare: ratio(this.#valid, this.#rows),
      onTargetShareLabels: ratio(this.#onTarget, this.#labelled),
    };
    this.#rows =
      this.#valid =
      this.#scoreSum =
      this.#labelled =
      this.#onTarget =
        0;
    this.#episodes = this.#distinctSum = 0;
    this.#ended = [0, 0];
    this.#terminated = [0, 0];
    return out;
  }

  /** The target's bounding box of a case (computed once per case). */
  #targetBox(c: Case): TargetBox {
    let box = this.#boxes.get(c);
    if (box !== undefined) return box;
    const labels = c.labels!, [nz, ny, nx] = labels.shape, table = this.#table!;
    const b = Int32Array.of(nz, ny, nx, -1, -1, -1);
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          if (!table[labels.data[i]]) continue;
          if (z < b[0]) b[0] = z;
          if (y < b[1]) b[1] = y;
          if (x < b[2]) b[2] = x;
          if (z > b[3]) b[3] = z;
          if (y > b[4]) b[4] = y;
          if (x > b[5]) b[5] = x;
        }
      }
    }
    box = b[3] < 0 ? null : b;
    this.#boxes.set(c, box);
    return box;
  }

  /** Whether the window at `corner` holds a target voxel (scans its overlap with the box). */
  #touches(c: Case, box: Int32Array, corner: Vec3): boolean {
    const w = this.#options.window, labels = c.labels!, [, ny, nx] = labels.shape, table = this.#table!;
    const z0 = Math.max(corner[0], box[0]), z1 = Math.min(corner[0] + w[0] - 1, box[3]);
    const y0 = Math.max(corner[1], box[1]), y1 = Math.min(corner[1] + w[1] - 1, box[4]);
    const x0 = Math.max(corner[2], box[2]), x1 = Math.min(corner[2] + w[2] - 1, box[5]);
    for (let z = z0; z <= z1; z++) {
      for (let y = y0; y <= y1; y++) {
        const row = (z * ny + y) * nx;
        for (let x = x0; x <= x1; x++) if (table[labels.data[row + x]]) return true;
      }
    }
    return false;
  }
}

/** One number per corner (each coordinate < 65536). */
function cornerKey(corner: Vec3): number {
  return (corner[0] * 65536 + corner[1]) * 65536 + corner[2];
}
