/**
 * Evaluation reports, written into one folder:
 * - `eval.json`: every per-case score and every summary (mean, sd, n, NaN and Infinity counts).
 *   JSON has no NaN or Infinity, so such numbers are written as the strings "NaN", "Infinity" and
 *   "-Infinity"; {@link parseEvaluationJson} turns them back into numbers.
 * - `eval.md` (report_markdown.ts): a table per method like the SPARS paper's Table 1 (Dice, IoU,
 *   sensitivity, specificity in %, HD95 in mm, mean +- sd) with each row's supervision level and
 *   setting (tau, mask rule, gate), Dice at 1 and N starts against windows scored, lesion detection,
 *   compute, per-case Dice, validation choices and sweeps.
 * - `dice_vs_windows.png`: mean Dice against windows scored per method, from 1 to N starts.
 *   Line plots are Vega-Lite charts rendered to PNG without native code (chart.ts).
 * - `overlays/<case>__<method>.png` for the first few cases with a target: the axial slice through the
 *   largest lesion, a caption (case id, method, Dice, slice) and four titled panels: image |
 *   ground truth (green contour) | prediction (cyan boundary) | probability map (red-yellow) with the
 *   contour, a legend of the boundary colours and a colour bar of the map (overlay_figure.ts).
 * - `nifti/<method>/<case>_mask.nii.gz` (uint8) and `_map.nii.gz` (float32), on the source's grid
 *   (affine and spacing copied from the image), so they overlay the source in a viewer.
 * - `sweep_<method>.png` per method (its chosen rule kind at N starts), `window_ablation.png` for the window-size ablation.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { writeNifti } from "../data/nifti_write.ts";
import type { Case, Labels, Vec3, Volume } from "../data/types.ts";
import { type RgbaFrame, writePng } from "../env/png.ts";
import { connectedComponents } from "./components.ts";
import type { EvaluationResult } from "./evaluate.ts";
import type { MethodId } from "./method_results.ts";
import { overlayFigure } from "./overlay_figure.ts";
import { lineChartSpec, renderChart } from "./chart.ts";
import { chosenSweeps, diceWindowsPlot, evaluationMarkdown } from "./report_markdown.ts";
import type { WindowAblationRow } from "./sweep.ts";
import { sweepPlot } from "./sweep_report.ts";

export { diceWindowsPlot, evaluationMarkdown, settingText } from "./report_markdown.ts";

/** Options of the report. */
export interface ReportOptions {
  /** Folder to write into (created if missing). */
  readonly dir: string;
  /** Number of cases (with a target) that get PNG overlays. Default 3. */
  readonly overlays?: number;
  /** NIfTI outputs: mask and map (`all`, default), masks only, or none. */
  readonly nifti?: "all" | "masks" | "none";
  /** Title of eval.md. */
  readonly title?: string;
  /** Data description (path or `phantoms`), for the header. */
  readonly data?: string;
  /** Split name, for the header. */
  readonly split?: string;
  /** Extra lines for the header (data attribution, "no policy yet", ...). */
  readonly notes?: readonly string[];
}

/** What the evaluation hands the report for one (case, method), while the case is in memory. */
export interface CaseArtifacts {
  /** The case (image, labels). */
  readonly case: Case;
  /** Binary target mask, z,y,x. */
  readonly truth: Uint8Array;
  /** Method id. */
  readonly method: MethodId;
  /** Method label. */
  readonly label: string;
  /** Probability map, z,y,x. */
  readonly map: Float32Array;
  /** Predicted mask, z,y,x. */
  readonly mask: Uint8Array;
}

/** A file-name-safe form of an id: characters other than letters, digits, '.', '-' and '_' become '_'. */
export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * The axial slice (z) with the most voxels of the largest 26-connected lesion of `truth`; the middle
 * slice when the truth is empty.
 */
export function largestLesionSlice(truth: Uint8Array, shape: Vec3): number {
  const { labels, count, sizes } = connectedComponents(truth, shape);
  if (!count) return shape[0] >> 1;
  let largest = 1;
  for (let k = 2; k <= count; k++) if (sizes[k - 1] > sizes[largest - 1]) largest = k;
  const plane = shape[1] * shape[2];
  let bestZ = 0, bestArea = -1;
  for (let z = 0; z < shape[0]; z++) {
    let area = 0;
    for (let i = z * plane; i < (z + 1) * plane; i++) if (labels[i] === largest) area++;
    if (area > bestArea) [bestZ, bestArea] = [z, area];
  }
  return bestZ;
}

/**
 * The overlay figure of slice `z` (see `overlay_figure.ts`): caption (case id, method, 3D Dice,
 * slice), four titled panels image | ground truth | prediction | probability map, a legend of the
 * boundary colours and a colour bar of the map. `label` defaults to the image id and no method name.
 */
export function overlayFrame(
  image: Volume,
  truth: Uint8Array,
  mask: Uint8Array,
  map: Float32Array,
  z: number,
  label: { readonly caseId: string; readonly method: string } = { caseId: image.id, method: "" },
): RgbaFrame {
  return overlayFigure(image, truth, mask, map, z, label);
}

/** Mean Dice (best threshold per size) against the window volume in voxels (a Vega-Lite chart). */
export function windowAblationPlot(rows: readonly WindowAblationRow[]): Promise<RgbaFrame> {
  return renderChart(lineChartSpec([{
    name: "best threshold",
    x: rows.map((r) => r.window[0] * r.window[1] * r.window[2]),
    y: rows.map((r) => r.sweep.best.dice),
  }], { title: "Dice vs window size", xLabel: "window size (voxels)", yLabel: "mean Dice", yRange: [0, 1] }));
}

/** JSON replacer: NaN and +-Infinity as strings; typed arrays as arrays. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as number[]);
  }
  return value;
}

/** Parses eval.json, turning "NaN", "Infinity" and "-Infinity" strings back into numbers. */
export function parseEvaluationJson(text: string): unknown {
  return JSON.parse(
    text,
    (_key, value) =>
      value === "NaN" ? NaN : value === "Infinity" ? Infinity : value === "-Infinity" ? -Infinity : value,
  );
}

/** The eval.json text of a result. */
export function evaluationJson(result: EvaluationResult, options: Partial<ReportOptions> = {}): string {
  return JSON.stringify(
    {
      format: "spars-gym-eval/1",
      nonFiniteNumbers: 'NaN and Infinity are written as the strings "NaN", "Infinity", "-Infinity"',
      createdAt: new Date().toISOString(),
      data: options.data,
      split: options.split,
      notes: options.notes ?? [],
      ...result,
    },
    replacer,
    1,
  );
}

/** Writes per-case artifacts as the evaluation goes, then the summary files. */
export class ReportWriter {
  /** The options. */
  readonly options: ReportOptions;
  readonly #files: string[] = [];
  readonly #overlayCases = new Set<string>();
  readonly #slices = new Map<string, number>();
  #ready?: Promise<void>;

  /**
   * Creates a writer; nothing is written before the first call.
   * @throws {InvalidArgumentError} for a negative overlay count or an unknown nifti mode
   */
  constructor(options: ReportOptions) {
    const overlays = options.overlays ?? 3;
    if (!(Number.isInteger(overlays) && overlays >= 0)) {
      throw new InvalidArgumentError("report.overlays", `is ${overlays}`, "an integer >= 0");
    }
    if (!["all", "masks", "none"].includes(options.nifti ?? "all")) {
      throw new InvalidArgumentError("report.nifti", `is '${options.nifti}'`, "'all', 'masks' or 'none'");
    }
    this.options = options;
  }

  #mkdirs(): Promise<void> {
    return this.#ready ??= Deno.mkdir(this.options.dir, { recursive: true });
  }

  async #dir(...parts: string[]): Promise<string> {
    const dir = join(this.options.dir, ...parts);
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  }

  /** Writes the NIfTI files and, for the first `overlays` cases with a target, the overlay PNG. */
  async writeCase(a: CaseArtifacts): Promise<void> {
    await this.#mkdirs();
    const c = a.case, name = safeName(c.id), nifti = this.options.nifti ?? "all";
    if (nifti !== "none") {
      const dir = await this.#dir("nifti", a.method);
      const mask: Labels = {
        id: `${c.id}/${a.method}/mask`,
        shape: c.image.shape,
        spacing: c.image.spacing,
        affine: c.image.affine,
        data: a.mask,
      };
      await writeNifti(join(dir, `${name}_mask.nii.gz`), mask, { like: c.image });
      this.#files.push(`nifti/${a.method}/${name}_mask.nii.gz`);
      if (nifti === "all") {
        const map: Volume = {
          id: `${c.id}/${a.method}/map`,
          shape: c.image.shape,
          spacing: c.image.spacing,
          affine: c.image.affine,
          data: a.map,
        };
        await writeNifti(join(dir, `${name}_map.nii.gz`), map, { like: c.image });
        this.#files.push(`nifti/${a.method}/${name}_map.nii.gz`);
      }
    }
    if (!this.#overlayCases.has(c.id)) {
      if (this.#overlayCases.size >= (this.options.overlays ?? 3) || !a.truth.some((v) => v !== 0)) return;
      this.#overlayCases.add(c.id);
    }
    let z = this.#slices.get(c.id);
    if (z === undefined) {
      z = largestLesionSlice(a.truth, c.image.shape);
      this.#slices.set(c.id, z);
    }
    const path = `overlays/${name}__${a.method}.png`;
    await this.#dir("overlays");
    await writePng(
      join(this.options.dir, path),
      overlayFrame(c.image, a.truth, a.mask, a.map, z, { caseId: c.id, method: a.label }),
    );
    this.#files.push(path);
  }

  /** Writes eval.json, eval.md and the sweep plots; returns every file written (relative paths). */
  async finish(result: EvaluationResult): Promise<string[]> {
    await this.#mkdirs();
    for (const s of chosenSweeps(result)) {
      const path = `sweep_${safeName(s.method)}.png`;
      await writePng(join(this.options.dir, path), await sweepPlot(s));
      this.#files.push(path);
    }
    if (result.windowAblation?.rows.length) {
      await writePng(
        join(this.options.dir, "window_ablation.png"),
        await windowAblationPlot(result.windowAblation.rows),
      );
      this.#files.push("window_ablation.png");
    }
    if (result.methods.some((m) => m.byStarts?.length)) {
      await writePng(join(this.options.dir, "dice_vs_windows.png"), await diceWindowsPlot(result));
      this.#files.push("dice_vs_windows.png");
    }
    await writeFileAtomic(join(this.options.dir, "eval.md"), evaluationMarkdown(result, this.options));
    this.#files.push("eval.md");
    this.#files.push("eval.json");
    await writeFileAtomic(
      join(this.options.dir, "eval.json"),
      evaluationJson({ ...result, files: [...this.#files] }, this.options),
    );
    return [...this.#files];
  }
}
