/**
 * The pixel-level segmentation MDP of PixelDRL-MG (Liu et al.; after PixelRL, Furuta et al.): every
 * pixel of a 2D slice is an agent that sees the image and the current mask through one shared
 * fully-convolutional network and acts on its own mask value each step.
 *
 * - State: the image (normalised to [0, 1]) and the current binary mask `f_t` (start: all
 *   foreground, as the paper, or all background, or a mask given per slice).
 * - Actions per pixel: a pluggable list of {@link PixelAction}s; default the paper's two,
 *   index 0 = "set to background" (`f <- 0`) and index 1 = "keep" (`f <- f`). {@link SET_FOREGROUND}
 *   can be added (e.g. `[SET_BACKGROUND, KEEP, SET_FOREGROUND]`).
 * - Reward per pixel per step: `r_t = (f_{t-1} - G)^2 - (f_t - G)^2` against the VOXEL GROUND TRUTH G.
 *   This env is fully supervised: its rewards read voxel labels, and every result obtained with it
 *   must say "voxel labels (fully supervised)".
 * - Episodes last exactly `tMax` steps (paper 10) and end by truncation (`truncated: true`);
 *   `terminated` is always false (the paper has no terminal state before tMax).
 *
 * Shapes (row-major, x fastest): observation `[y, x, 2]` float32 channels last (channel 0 the
 * image, channel 1 the mask); the action map `[y, x]` (Int32Array or Uint8Array of action
 * indices); the reward map `[y, x]` Float32Array. A 3D volume works as a slice of depth 1 (this env
 * is 2D; stack slices for 3D).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { Rng } from "../../data/random.ts";
import { EnvStateError } from "../errors.ts";
import { Box } from "../spaces.ts";

/** One 2D training or test item: a normalised image and its voxel ground truth. */
export interface PixelSlice {
  /** Identifier (e.g. `phantom-123/z14`). */
  readonly id: string;
  /** Height and width in pixels, y,x. */
  readonly shape: readonly [number, number];
  /** Pixel size in mm, y,x (used by HD95). */
  readonly spacing: readonly [number, number];
  /** Intensities in [0, 1], `h * w` values, x fastest. */
  readonly image: Float32Array;
  /** Voxel ground truth G, 0 or 1, `h * w` values, x fastest. */
  readonly truth: Uint8Array;
}

/** What one action does to one pixel's mask value (0 or 1). */
export interface PixelAction {
  /** Name shown in renders and reports. */
  readonly name: string;
  /** The new mask value given the old one; must return 0 or 1. */
  apply(value: number): number;
}

/** The paper's action 0: set the pixel to background. */
export const SET_BACKGROUND: PixelAction = { name: "set background", apply: () => 0 };
/** The paper's action 1: do nothing (keep the current value). */
export const KEEP: PixelAction = { name: "keep", apply: (v) => v };
/** An added action (not in the paper): set the pixel to foreground. */
export const SET_FOREGROUND: PixelAction = { name: "set foreground", apply: () => 1 };
/** The paper's action set: `[SET_BACKGROUND, KEEP]`. */
export const PAPER_ACTIONS: readonly PixelAction[] = [SET_BACKGROUND, KEEP];

/** Initial mask: all foreground (paper), all background, or a function of the slice. */
export type InitialMask = "foreground" | "background" | ((slice: PixelSlice) => Uint8Array);

/** Options of {@link PixelSegEnv}. */
export interface PixelEnvOptions {
  /** Slices sampled at reset; all must share one shape. */
  readonly slices: readonly PixelSlice[];
  /** Steps per episode (paper 10). Default 10. */
  readonly tMax?: number;
  /** Per-pixel actions (default {@link PAPER_ACTIONS}). */
  readonly actions?: readonly PixelAction[];
  /** Mask at reset (default "foreground", as the paper). */
  readonly initialMask?: InitialMask;
}

/** Info of reset and step. */
export interface PixelInfo {
  /** Id of the episode's slice. */
  readonly sliceId: string;
  /** Steps taken. */
  readonly step: number;
  /** Foreground pixels of the current mask. */
  readonly maskPixels: number;
}

/** Result of {@link PixelSegEnv.step}. */
export interface PixelStepResult {
  /** `[y, x, 2]` float32 (image, mask). */
  readonly observation: Float32Array;
  /** Mean of `rewardMap` (the paper's r-bar, eq. 7). */
  readonly reward: number;
  /** Per-pixel rewards `[y, x]` (voxel labels). */
  readonly rewardMap: Float32Array;
  /** Always false. */
  readonly terminated: boolean;
  /** True at step `tMax`. */
  readonly truncated: boolean;
  /** See {@link PixelInfo}. */
  readonly info: PixelInfo;
}

/**
 * The per-pixel reward map `(prev - G)^2 - (next - G)^2` of one step (all arrays `[y, x]`).
 * With binary masks each entry is -1, 0 or +1.
 * @throws {InvalidArgumentError} when lengths differ
 */
export function pixelRewardMap(
  prev: ArrayLike<number>,
  next: ArrayLike<number>,
  truth: ArrayLike<number>,
  out: Float32Array = new Float32Array(truth.length),
): Float32Array {
  if (prev.length !== truth.length || next.length !== truth.length || out.length !== truth.length) {
    throw new InvalidArgumentError("reward map", "arrays of different lengths", "one value per pixel");
  }
  for (let i = 0; i < truth.length; i++) {
    const a = prev[i] - truth[i], b = next[i] - truth[i];
    out[i] = a * a - b * b;
  }
  return out;
}

/** Gymnasium-style env where every pixel is an agent (see the module doc). */
export class PixelSegEnv {
  /** `[y, x, 2]` float32 in [0, 1]: image, mask. */
  readonly observationSpace: Box<"float32">;
  /** `[y, x]` int32 action indices in `0..actions.length-1` (a MultiDiscrete-like Box). */
  readonly actionSpace: Box<"int32">;
  /** The per-pixel actions. */
  readonly actions: readonly PixelAction[];
  /** Steps per episode. */
  readonly tMax: number;
  /** Slice shape y,x. */
  readonly shape: readonly [number, number];
  readonly #slices: readonly PixelSlice[];
  readonly #initial: InitialMask;
  #rng = new Rng(0);
  #slice: PixelSlice | null = null;
  #mask: Uint8Array;
  #lastActions: Uint8Array;
  #step = 0;
  #done = true;

  /**
   * Creates the env.
   * @throws {InvalidArgumentError} for no slices, mixed shapes, bad images/labels, tMax < 1 or < 1 action
   */
  constructor(options: PixelEnvOptions) {
    const { slices } = options;
    if (!slices.length) throw new InvalidArgumentError("slices", "is empty", "at least one slice");
    const [h, w] = slices[0].shape;
    for (const s of slices) {
      if (s.shape[0] !== h || s.shape[1] !== w || s.image.length !== h * w || s.truth.length !== h * w) {
        throw new InvalidArgumentError(
          `slice ${s.id}`,
          `has shape ${s.shape.join("x")}`,
          `${h}x${w} everywhere`,
        );
      }
      if (s.truth.some((v) => v > 1)) {
        throw new InvalidArgumentError(`slice ${s.id} truth`, "holds values > 1", "0/1");
      }
      if (s.image.some((v) => !(v >= 0 && v <= 1))) {
        throw new InvalidArgumentError(
          `slice ${s.id} image`,
          "holds values outside [0, 1]",
          "normalised intensities",
        );
      }
    }
    const tMax = options.tMax ?? 10;
    if (!(Number.isInteger(tMax) && tMax >= 1)) {
      throw new InvalidArgumentError("tMax", `is ${tMax}`, "an integer >= 1");
    }
    this.actions = options.actions ?? PAPER_ACTIONS;
    if (!this.actions.length || this.actions.length > 255) {
      throw new InvalidArgumentError("actions", `has ${this.actions.length}`, "1..255 actions");
    }
    this.tMax = tMax;
    this.shape = [h, w];
    this.#slices = slices;
    this.#initial = options.initialMask ?? "foreground";
    this.#mask = new Uint8Array(h * w);
    this.#lastActions = new Uint8Array(h * w);
    this.observationSpace = new Box([h, w, 2], 0, 1, "float32");
    this.actionSpace = new Box([h, w], 0, this.actions.length - 1, "int32");
  }

  /** The current slice (null before reset). */
  get slice(): PixelSlice | null {
    return this.#slice;
  }

  /** A copy of the current mask `[y, x]`, 0/1. */
  get mask(): Uint8Array {
    return this.#mask.slice();
  }

  /** A copy of the last step's action map `[y, x]` (all 0 after reset). */
  get lastActions(): Uint8Array {
    return this.#lastActions.slice();
  }

  /** Steps taken in this episode. */
  get stepCount(): number {
    return this.#step;
  }

  /**
   * Starts an episode on a slice drawn by the env's generator (reseeded by `seed`), or on slice
   * `options.index`.
   * @throws {InvalidArgumentError} for a bad index or initial mask
   */
  reset(
    args: { seed?: number; options?: { index?: number } } = {},
  ): { observation: Float32Array; info: PixelInfo } {
    if (args.seed !== undefined) this.#rng = new Rng(args.seed);
    const index = args.options?.index ?? this.#rng.int(this.#slices.length);
    if (!(Number.isInteger(index) && index >= 0 && index < this.#slices.length)) {
      throw new InvalidArgumentError("options.index", `is ${index}`, `0..${this.#slices.length - 1}`);
    }
    const s = this.#slices[index];
    this.#slice = s;
    const init = this.#initial;
    if (init === "foreground") this.#mask.fill(1);
    else if (init === "background") this.#mask.fill(0);
    else {
      const m = init(s);
      if (m.length !== this.#mask.length || m.some((v) => v > 1)) {
        throw new InvalidArgumentError(
          "initialMask",
          `gave ${m.length} values`,
          `${this.#mask.length} values 0/1`,
        );
      }
      this.#mask.set(m);
    }
    this.#lastActions.fill(0);
    this.#step = 0;
    this.#done = false;
    return { observation: this.#observe(), info: this.#info() };
  }

  /**
   * Applies one action per pixel (`actions`: `[y, x]` indices).
   * @throws {EnvStateError} before reset or after the episode ended
   * @throws {InvalidArgumentError} for a map of the wrong length or an index out of range
   */
  step(actions: Int32Array | Uint8Array): PixelStepResult {
    if (this.#done || !this.#slice) {
      throw new EnvStateError("step", "called with no running episode", "reset() first");
    }
    const n = this.#mask.length, k = this.actions.length;
    if (!(actions instanceof Int32Array || actions instanceof Uint8Array) || actions.length !== n) {
      throw new InvalidArgumentError(
        "actions",
        `has ${(actions as { length?: number }).length} values`,
        `${n} (y*x)`,
      );
    }
    for (let i = 0; i < n; i++) {
      const a = actions[i];
      if (!(a >= 0 && a < k)) throw new InvalidArgumentError("actions", `holds ${a} at ${i}`, `0..${k - 1}`);
    }
    const prev = this.#mask.slice();
    for (let i = 0; i < n; i++) {
      const v = this.actions[actions[i]].apply(prev[i]);
      if (v !== 0 && v !== 1) {
        throw new InvalidArgumentError(`action ${this.actions[actions[i]].name}`, `gave ${v}`, "0 or 1");
      }
      this.#mask[i] = v;
      this.#lastActions[i] = actions[i];
    }
    const rewardMap = pixelRewardMap(prev, this.#mask, this.#slice.truth);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += rewardMap[i];
    this.#step++;
    const truncated = this.#step >= this.tMax;
    this.#done = truncated;
    return {
      observation: this.#observe(),
      reward: sum / n,
      rewardMap,
      terminated: false,
      truncated,
      info: this.#info(),
    };
  }

  /** Nothing to free; present for the Gymnasium surface. */
  close(): void {}

  #observe(): Float32Array {
    const img = this.#slice!.image, m = this.#mask, out = new Float32Array(m.length * 2);
    for (let i = 0; i < m.length; i++) {
      out[2 * i] = img[i];
      out[2 * i + 1] = m[i];
    }
    return out;
  }

  #info(): PixelInfo {
    let fg = 0;
    for (let i = 0; i < this.#mask.length; i++) fg += this.#mask[i];
    return { sliceId: this.#slice!.id, step: this.#step, maskPixels: fg };
  }
}
