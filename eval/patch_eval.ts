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
import type { PatchAgent } from "../env/patch/agents.ts";
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

/** Plays `agent` against itself on `c` and returns the segmentation and the step count. */
export async function playPatchGame(
  env: PatchEnv,
  agent: PatchAgent,
  c: Case,
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
    r = await env.step({ [who]: a });
  }
  return { mask: env.segmentation(), steps: env.game.step };
}

/**
 * Evaluates each player on `cases` (target = label values in `target`).
 * @returns one row per player, in order
 */
export async function evaluatePatchPlayers(
  env: PatchEnv,
  players: readonly PatchAgent[],
  cases: readonly Case[],
  target: readonly number[] = [2],
): Promise<PatchEvalRow[]> {
  const truths = cases.map((c) => {
    const lut = new Uint8Array(256);
    for (const t of target) lut[t] = 1;
    return Uint8Array.from(c.labels!.data, (v) => lut[v]);
  });
  const rows: PatchEvalRow[] = [];
  for (const agent of players) {
    const perCase: number[] = [], ious: number[] = [];
    let steps = 0, empties = 0, emptyRight = 0;
    for (let i = 0; i < cases.length; i++) {
      const { mask, steps: s } = await playPatchGame(env, agent, cases[i]);
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
