/**
 * Rendering of a game's state: `"ansi"` text and `"rgb_array"` frames (an axial slice through the
 * centre of each agent's window, side by side: the image in grey, the probability map in colour,
 * both windows outlined, the labels' target contour when the case has labels).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { AGENT_COLORS, renderSlice, sideBySide } from "./frame.ts";
import type { SparsGame } from "./game.ts";
import { MOVE_NAMES } from "./geometry.ts";
import type { RgbaFrame } from "./png.ts";

/** Render modes of the envs. */
export type RenderMode = "ansi" | "rgb_array";

/** Options of {@link renderGame}. */
export interface RenderOptions {
  /** Label values drawn as the target contour (default: every nonzero label). */
  readonly target?: number | readonly number[];
  /** Integer upscaling of the frame (default 2). */
  readonly scale?: number;
  /** Grey mapping of intensities (default: the slice's 1st..99th percentile). */
  readonly intensityRange?: readonly [number, number];
}

/** One line per agent: step, corner, score; then map statistics. */
export function renderAnsi(game: SparsGame): string {
  if (!game.case) return "SparsEnv: not reset";
  const [ca, cb] = game.corners, [sa, sb] = game.scores;
  const m = game.map!;
  const status = game.done ? (Math.max(sa, sb) >= game.config.tau ? "terminated" : "truncated") : "running";
  return [
    `case ${game.case.id}  step ${game.step}/${game.config.maxSteps}  tau ${game.config.tau}  ${status}`,
    `  a  corner ${ca.join(",").padEnd(12)} score ${sa.toFixed(4)}${sa > sb ? "  wins" : ""}`,
    `  b  corner ${cb.join(",").padEnd(12)} score ${sb.toFixed(4)}${sb > sa ? "  wins" : ""}`,
    `  map ${m.events} scores, ${m.uniqueWindows} windows, score sum ${m.scoreSum.toFixed(3)}  (moves: ${
      MOVE_NAMES.join(" ")
    })`,
  ].join("\n");
}

/**
 * Two axial slices side by side (through the centre z of a's window, then b's), RGBA.
 * @throws {InvalidArgumentError} before the first reset
 */
export function renderRgb(game: SparsGame, options: RenderOptions = {}): RgbaFrame {
  const c = game.case;
  if (!c) throw new InvalidArgumentError("render", "called before reset", "reset() first");
  const size = game.config.window;
  const overlay = game.map!.toArray();
  let contour: Uint8Array | undefined;
  if (c.labels) {
    const lut = new Uint8Array(256);
    const t = options.target;
    if (t === undefined) lut.fill(1, 1);
    else for (const v of typeof t === "number" ? [t] : t) lut[v] = 1;
    contour = new Uint8Array(c.labels.data.length);
    for (let i = 0; i < contour.length; i++) contour[i] = lut[c.labels.data[i]];
  }
  const windows = [
    { corner: game.corners[0], size, color: AGENT_COLORS.a },
    { corner: game.corners[1], size, color: AGENT_COLORS.b },
  ];
  const frames = game.corners.map((corner) =>
    renderSlice({
      image: c.image.data,
      shape: c.image.shape,
      z: corner[0] + (size[0] >> 1),
      overlay,
      contour,
      windows,
      scale: options.scale ?? 2,
      intensityRange: options.intensityRange,
    })
  );
  return sideBySide(frames);
}
