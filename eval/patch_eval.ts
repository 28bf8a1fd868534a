/**
 * Evaluation of the patch game: each player plays BOTH sides of a full game on every case (the
 * same agent object for a and b, so a learned policy plays itself, greedy plays greedy); the
 * segmentation is the union of taken patches; Dice and IoU against the target labels.
 *
 * Cases without target voxels: Dice is undefined (NaN, ignored in the mean as MONAI); they are
 * reported separately as the share where the prediction is empty (the game was terminated before
 * any pick). Supervision level of every row: that of the env's scorer (the oracle reads voxel
 * labels; say so in the report).
 *
 * @module
 */
import type { Case } from "../data/types.ts";
import { GreedyPatchAgent, type PatchAgent, RandomPatchAgent } from "../env/patch/agents.ts";
import { type SpatialPrior, SpatialPriorPatchAgent } from "../env/patch/spatial_prior.ts";
import { PatchPolicyAgent, type PatchPolicyModel } from "../agents/patch_policy.ts";
import type { PatchEnv } from "../env/patch/patch_env.ts";
import { dice, iou } from "./metrics.ts";

/** One player's figures over a set of cases. */
export interface PatchEvalRow {
  /** The player's name. */
  readonly player: string;
  /** Mean Dice over cases with target voxels (NaN when there are none). */
  readonly dice: number;
  /** Sample standard deviation of those Dice values (0 for one case). */
  readonly diceSd: number;
  /** Mean IoU over the same cases. */
  readonly iou: number;
  /** Cases with target voxels. */
  readonly positives: number;
  /** Share of target-free cases segmented as empty (NaN when there are none). */
  readonly emptyCorrect: number;
  /** Mean moves per game (refused moves included). */
  readonly meanSteps: number;
  /** Per-case Dice (NaN for target-free cases), in case order. */
  readonly perCase: readonly number[];
}

/**
 * Plays `agent` against itself on `c` and returns the segmentation and the step count.
 * @param onMove called before each move with the mover's observation, action mask and action (the
 *   env's arrays: copy what is kept)
 */
export async function playPatchGame(
  env: PatchEnv,
  agent: PatchAgent,
  c: Case,
  onMove?: (observation: Float32Array, actionMask: Uint8Array, action: number) => void,
): Promise<{ mask: Uint8Array; steps: number }> {
  let r = await env.reset({ options: { case: c } });
  while (env.agents.length) {
    const who = r.infos.a.to_move;
    const [a] = await agent.act([r.observations[who]], [{
      volume: c.image,
      grid: env.game.grid!,
      scorer: env.scorer,
      actionMask: r.infos[who].action_mask,
      presenceThreshold: env.config.presenceThreshold,
    }]);
    onMove?.(r.observations[who], r.infos[who].action_mask, a);
    r = await env.step({ [who]: a });
  }
  return { mask: env.segmentation(), steps: env.game.step };
}

/**
 * Evaluates each player on `cases` (target = label values in `target`).
 * @param onGame called after each game with the player's and the case's index and the env, whose
 *   game still holds the final board (for overlays and masks)
 * @returns one row per player, in order
 */
export async function evaluatePatchPlayers(
  env: PatchEnv,
  players: readonly PatchAgent[],
  cases: readonly Case[],
  target: readonly number[] = [2],
  onGame?: (player: number, caseIndex: number, env: PatchEnv) => Promise<void>,
): Promise<PatchEvalRow[]> {
  const truths = cases.map((c) => {
    const lut = new Uint8Array(256);
    for (const t of target) lut[t] = 1;
    return Uint8Array.from(c.labels!.data, (v) => lut[v]);
  });
  const rows: PatchEvalRow[] = [];
  for (const [p, agent] of players.entries()) {
    const perCase: number[] = [], ious: number[] = [];
    let steps = 0, empties = 0, emptyRight = 0;
    for (let i = 0; i < cases.length; i++) {
      const { mask, steps: s } = await playPatchGame(env, agent, cases[i]);
      await onGame?.(p, i, env);
      steps += s;
      const d = dice(mask, truths[i]);
      perCase.push(d);
      if (Number.isNaN(d)) {
        empties++;
        if (!mask.some((v) => v !== 0)) emptyRight++;
      } else ious.push(iou(mask, truths[i]));
    }
    const valid = perCase.filter((d) => !Number.isNaN(d));
    const mean = valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN;
    const sd = valid.length > 1
      ? Math.sqrt(valid.reduce((a, b) => a + (b - mean) ** 2, 0) / (valid.length - 1))
      : 0;
    rows.push({
      player: agent.name,
      dice: mean,
      diceSd: sd,
      iou: ious.length ? ious.reduce((a, b) => a + b, 0) / ious.length : NaN,
      positives: valid.length,
      emptyCorrect: empties ? emptyRight / empties : NaN,
      meanSteps: cases.length ? steps / cases.length : NaN,
      perCase,
    });
  }
  return rows;
}

/** Supervision level of the spatial prior: it counts tumour patches in the training masks. */
export const SPATIAL_PRIOR_SUPERVISION = "voxel labels (training masks)";

/**
 * The players of a patch run's table, in order: the learned network (argmax, sampled with seed 7),
 * random (seeded `seed + 11`), greedy over the game's scorer, and the spatial prior; with the
 * supervision level of what each read (`scorerSupervision` for those that read the scorer).
 */
export function patchPlayers(
  network: PatchPolicyModel,
  options: { readonly seed: number; readonly prior: SpatialPrior; readonly scorerSupervision: string },
): { players: PatchAgent[]; supervision: string[] } {
  const s = options.scorerSupervision;
  return {
    players: [
      new PatchPolicyAgent(network, { mode: "greedy", name: "learned (argmax)" }),
      new PatchPolicyAgent(network, { mode: "sample", seed: 7, name: "learned (sampled)" }),
      new RandomPatchAgent(options.seed + 11),
      new GreedyPatchAgent(),
      new SpatialPriorPatchAgent(options.prior),
    ],
    supervision: [s, s, "none", s, SPATIAL_PRIOR_SUPERVISION],
  };
}

/** One player's figures on one seed (a row of a patch run's `eval.json`). */
export interface PatchSeedRow {
  /** The player's name. */
  readonly player: string;
  /** What it read. */
  readonly supervision: string;
  /** Mean Dice over the cases with target voxels. */
  readonly dice: number;
  /** Share of target-free cases left empty. */
  readonly emptyCorrect: number;
  /** Mean moves per game. */
  readonly meanSteps: number;
  /** Cases with target voxels. */
  readonly positives: number;
  /** Cases without. */
  readonly negatives: number;
}

/** One player's figures over seeds. */
export interface PatchTableRow {
  /** The player's name. */
  readonly player: string;
  /** What it read. */
  readonly supervision: string;
  /** Mean over seeds of the seed's mean Dice. */
  readonly diceMean: number;
  /** Sample sd over seeds (0 for one seed). */
  readonly diceSd: number;
  /** Mean over seeds of the share of target-free cases left empty. */
  readonly emptyCorrect: number;
  /** Mean over seeds of the moves per game. */
  readonly meanSteps: number;
}

/** Mean and sample sd over seeds of each player (players in the first seed's order). */
export function patchSeedTable(
  perSeed: readonly { readonly rows: readonly PatchSeedRow[] }[],
): PatchTableRow[] {
  return perSeed[0].rows.map((row, p) => {
    const mean = (f: (r: PatchSeedRow) => number) =>
      perSeed.reduce((a, s) => a + f(s.rows[p]), 0) / perSeed.length;
    const diceMean = mean((r) => r.dice);
    const ds = perSeed.map((s) => s.rows[p].dice);
    const diceSd = ds.length > 1
      ? Math.sqrt(ds.reduce((a, b) => a + (b - diceMean) ** 2, 0) / (ds.length - 1))
      : 0;
    return {
      player: row.player,
      supervision: row.supervision,
      diceMean,
      diceSd,
      emptyCorrect: mean((r) => r.emptyCorrect),
      meanSteps: mean((r) => r.meanSteps),
    };
  });
}

const fmt = (v: number): string => Number.isNaN(v) ? "n/a" : v.toFixed(3);

/** The markdown table of {@link patchSeedTable}'s rows (the shape of every patch report). */
export function patchTableMarkdown(table: readonly PatchTableRow[]): string[] {
  return [
    "| player | supervision | Dice mean | Dice sd (seeds) | tumour-free cases left empty | moves per game |",
    "| --- | --- | --- | --- | --- | --- |",
    ...table.map((t) =>
      `| ${t.player} | ${t.supervision} | ${fmt(t.diceMean)} | ${fmt(t.diceSd)} | ${fmt(t.emptyCorrect)} | ${
        t.meanSteps.toFixed(1)
      } |`
    ),
  ];
}

/** A {@link PatchSeedRow} from an evaluation row and its supervision. */
export function patchSeedRow(r: PatchEvalRow, supervision: string): PatchSeedRow {
  return {
    player: r.player,
    supervision,
    dice: r.dice,
    emptyCorrect: r.emptyCorrect,
    meanSteps: r.meanSteps,
    positives: r.positives,
    negatives: r.perCase.length - r.positives,
  };
}
