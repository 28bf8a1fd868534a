/**
 * Captioned frames of a SPARS episode for the demo's animation: a white band above the rendered
 * game with the episode, step, both agents' scores and step wins (in the agents' window colours) and
 * the step's or the episode's winner, in the built-in bitmap font (bitmap_text.ts).
 *
 * @module
 */
import { AGENT_COLORS } from "../env/frame.ts";
import { type RgbaFrame, type RgbFrame, rgbToRgba } from "../env/png.ts";
import { drawText, textHeight } from "./bitmap_text.ts";

/** One caption line: text and its RGB colour. */
export interface CaptionLine {
  /** The text (drawn upper case). */
  readonly text: string;
  /** RGB 0..255. */
  readonly color: readonly [number, number, number];
}

/** What one frame's caption says. */
export interface EpisodeFrameState {
  /** Episode index. */
  readonly episode: number;
  /** Steps played so far (0 after reset). */
  readonly step: number;
  /** The step limit. */
  readonly maxSteps: number;
  /** Window scores of agents a and b at this step. */
  readonly scores: readonly [number, number];
  /** Steps won so far by a and by b. */
  readonly wins: readonly [number, number];
  /** Who won this step ("a", "b" or "draw"); undefined after reset. */
  readonly stepWinner?: "a" | "b" | "draw";
  /** How the episode ended, on its last frame only. */
  readonly ended?: "terminated" | "truncated";
}

/** Margin and line gap of the caption band in pixels. */
const PAD = 6, LINE_GAP = 4;

/**
 * The caption of a frame, four lines: `episode E  step T/MAX`, `a <score>  wins <n>` (a's colour),
 * `b <score>  wins <n>` (b's colour), then `step winner X` or, on the last frame,
 * `<terminated|truncated>: winner X` where X is the agent with more step wins (or "draw").
 */
export function episodeCaption(s: EpisodeFrameState): CaptionLine[] {
  const black: [number, number, number] = [0, 0, 0];
  const winner = s.wins[0] > s.wins[1] ? "a" : s.wins[1] > s.wins[0] ? "b" : "draw";
  const last = s.ended
    ? `${s.ended}: winner ${winner}`
    : s.stepWinner
    ? `step winner ${s.stepWinner}`
    : "start";
  return [
    { text: `episode ${s.episode}  step ${s.step}/${s.maxSteps}`, color: black },
    { text: `a ${s.scores[0].toFixed(3)}  wins ${s.wins[0]}`, color: [...AGENT_COLORS.a] },
    { text: `b ${s.scores[1].toFixed(3)}  wins ${s.wins[1]}`, color: [...AGENT_COLORS.b] },
    { text: last, color: black },
  ];
}

/** Height in pixels of a caption band of `lines` lines. */
export function captionHeight(lines: number): number {
  return 2 * PAD + lines * textHeight() + (lines - 1) * LINE_GAP;
}

/**
 * `frame` with a white caption band of {@link captionHeight} rows on top holding `lines`, left
 * aligned; text wider than the frame is clipped at its right edge.
 */
export function captionedFrame(frame: RgbaFrame | RgbFrame, lines: readonly CaptionLine[]): RgbaFrame {
  const image = rgbToRgba(frame);
  const band = captionHeight(lines.length);
  const width = image.width, height = image.height + band;
  const out: RgbaFrame = { width, height, data: new Uint8ClampedArray(width * height * 4).fill(255) };
  out.data.set(image.data, band * width * 4);
  lines.forEach((line, k) => drawText(out, line.text, PAD, PAD + k * (textHeight() + LINE_GAP), line.color));
  return out;
}
