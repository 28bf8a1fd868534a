/**
 * A progress bar on stderr: `label [#####.....] done/total unit  rate unit/s  ETA 3m05s  note`.
 * On a terminal it redraws one line (at most every `intervalMs`); otherwise (a log file, CI) it
 * prints a full line every `logIntervalMs` so logs stay readable. The rate counts only progress
 * made since the bar started, so a resumed run shows its real speed.
 *
 * @module
 */

/** Formats seconds as `42s`, `3m05s` or `1h02m` (`?` when not finite or negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** What one line shows. */
export interface ProgressState {
  /** Text before the bar. */
  readonly label: string;
  /** Units done. */
  readonly done: number;
  /** Units in all. */
  readonly total: number;
  /** Units per second (NaN when unknown). */
  readonly rate: number;
  /** Unit name (e.g. `steps`). */
  readonly unit: string;
  /** Extra text at the end. */
  readonly note?: string;
  /** Bar width in characters. */
  readonly width: number;
}

/** The text of one progress line (pure; see the module doc for the layout). */
export function progressLine(s: ProgressState): string {
  const fraction = s.total > 0 ? Math.min(1, Math.max(0, s.done / s.total)) : 0;
  const filled = Math.round(fraction * s.width);
  const bar = "#".repeat(filled) + ".".repeat(s.width - filled);
  const rate = Number.isFinite(s.rate) && s.rate > 0 ? s.rate : NaN;
  const eta = Number.isFinite(rate) ? formatDuration((s.total - s.done) / rate) : "?";
  const rateText = Number.isFinite(rate)
    ? `${rate < 10 ? rate.toFixed(2) : rate.toFixed(1)} ${s.unit}/s`
    : `? ${s.unit}/s`;
  return `${s.label} [${bar}] ${s.done}/${s.total} ${s.unit}  ${rateText}  ETA ${eta}${
    s.note ? `  ${s.note}` : ""
  }`;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Units in all. */
  readonly total: number;
  /** Units already done when the bar starts (a resumed run). Default 0. */
  readonly start?: number;
  /** Text before the bar. Default `train`. */
  readonly label?: string;
  /** Unit name. Default `steps`. */
  readonly unit?: string;
  /** Bar width. Default 24. */
  readonly width?: number;
  /** Where text goes. Default: stderr. */
  readonly write?: (text: string) => void;
  /** Redraw in place (a terminal). Default: whether stderr is a terminal. */
  readonly tty?: boolean;
  /** Minimum time between redraws on a terminal. Default 200 ms. */
  readonly intervalMs?: number;
  /** Time between lines when not on a terminal. Default 10 s. */
  readonly logIntervalMs?: number;
  /** Clock in ms (tests). Default `performance.now`. */
  readonly now?: () => number;
}

/** The bar. */
export class ProgressBar {
  readonly #o: Required<Omit<ProgressBarOptions, "start">>;
  readonly #start: number;
  readonly #startTime: number;
  #lastDraw = -Infinity;
  #done: number;

  /** Starts the bar (nothing is drawn before the first update). */
  constructor(options: ProgressBarOptions) {
    const encoder = new TextEncoder();
    this.#o = {
      total: options.total,
      label: options.label ?? "train",
      unit: options.unit ?? "steps",
      width: options.width ?? 24,
      write: options.write ?? ((t: string) => Deno.stderr.writeSync(encoder.encode(t))),
      tty: options.tty ?? Deno.stderr.isTerminal(),
      intervalMs: options.intervalMs ?? 200,
      logIntervalMs: options.logIntervalMs ?? 10_000,
      now: options.now ?? (() => performance.now()),
    };
    this.#start = this.#done = options.start ?? 0;
    this.#startTime = this.#o.now();
  }

  /** Units per second since the bar started (NaN before any time has passed). */
  get rate(): number {
    const seconds = (this.#o.now() - this.#startTime) / 1000;
    return seconds > 0 && this.#done > this.#start ? (this.#done - this.#start) / seconds : NaN;
  }

  /** Records progress; draws when the interval has passed (or `force`). */
  update(done: number, note?: string, force = false): void {
    this.#done = done;
    const now = this.#o.now();
    const interval = this.#o.tty ? this.#o.intervalMs : this.#o.logIntervalMs;
    if (!force && now - this.#lastDraw < interval) return;
    this.#lastDraw = now;
    const line = progressLine({ ...this.#o, done, rate: this.rate, note });
    this.#o.write(this.#o.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  /** Draws the final state and ends the line. */
  finish(note?: string): void {
    this.update(this.#done, note, true);
    if (this.#o.tty) this.#o.write("\n");
  }
}

/**
 * Progress of work done in phases (an evaluation's validation sweep, then its test cases): one
 * {@link ProgressBar} per phase, counting finished units; a new phase ends the previous bar.
 */
export class PhasedProgress {
  readonly #options: Omit<ProgressBarOptions, "total" | "label" | "start">;
  readonly #prefix: string;
  #bar: ProgressBar | undefined;
  #phase: string | undefined;

  /**
   * @param prefix text before each phase's name (e.g. `eval`)
   * @param options the bars' options (unit, writer, terminal, intervals)
   */
  constructor(prefix: string, options: Omit<ProgressBarOptions, "total" | "label" | "start"> = {}) {
    this.#prefix = prefix;
    this.#options = options;
  }

  /** Records `done` of `total` units in `phase` (a new phase finishes the bar of the one before). */
  update(phase: string, done: number, total: number, note?: string): void {
    if (phase !== this.#phase) {
      this.#bar?.finish();
      this.#phase = phase;
      this.#bar = new ProgressBar({ ...this.#options, total, label: `${this.#prefix} ${phase}` });
    }
    this.#bar!.update(done, note);
  }

  /** Draws the last phase's final state (nothing when no phase started). */
  finish(): void {
    this.#bar?.finish();
    this.#bar = undefined;
    this.#phase = undefined;
  }
}
