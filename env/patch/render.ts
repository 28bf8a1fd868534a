/**
 * Rendering of the patch game. `"ansi"`: one line of status, then the grid of the middle z slab of
 * patches (`a`/`b` = taken by that player, `.` = untaken). `"rgb_array"`: three panels of the
 * middle z slice side by side (`env/frame.ts`): the image (labels' contour in green when known) |
 * the image with each taken patch outlined in its player's colour (a blue, b orange) | the score
 * map of picked patches as an overlay with the union's boundary in cyan.
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { AGENT_COLORS, renderSlice, sideBySide, type WindowOutline } from "../frame.ts";
import type { RgbaFrame } from "../png.ts";
import type { PatchGame } from "./game.ts";

/** Text state of a patch game. */
export function renderPatchAnsi(game: PatchGame): string {
  const grid = game.grid;
  if (!game.case || !grid) return "PatchEnv: not reset";
  const status = game.terminatedBy
    ? `terminated by ${game.terminatedBy}`
    : game.done
    ? (game.taken === grid.count ? "terminated (all taken)" : "truncated")
    : `${game.toMove === 0 ? "a" : "b"} to move`;
  const lines = [
    `case ${game.case.id}  step ${game.step}/${game.config.maxSteps}  taken ${game.taken}/${grid.count}  ${status}`,
  ];
  const [gz, gy, gx] = grid.grid;
  const iz = gz >> 1;
  for (let iy = 0; iy < gy; iy++) {
    let row = "  ";
    for (let ix = 0; ix < gx; ix++) row += ".ab"[game.owner[(iz * gy + iy) * gx + ix]];
    lines.push(row);
  }
  return lines.join("\n");
}

/**
 * RGBA frame: image | taken patches | score map, of the middle z slice, upscaled by `scale`; grey
 * levels from the game's `intensityRange` when set (else the slice's 1st..99th percentile).
 * @throws {InvalidArgumentError} before the first reset
 */
export function renderPatchRgb(game: PatchGame, scale = 2): RgbaFrame {
  const c = game.case, grid = game.grid;
  if (!c || !grid) throw new InvalidArgumentError("render", "called before reset", "reset() first");
  const z = c.image.shape[0] >> 1;
  let contour: Uint8Array | undefined;
  if (c.labels) {
    contour = new Uint8Array(c.labels.data.length);
    for (let i = 0; i < contour.length; i++) contour[i] = c.labels.data[i] !== 0 ? 1 : 0;
  }
  const windows: WindowOutline[] = [];
  for (let k = 0; k < game.taken; k++) {
    const p = game.order[k];
    const { corner, size } = game.patchBox(p);
    windows.push({ corner, size, color: game.owner[p] === 1 ? AGENT_COLORS.a : AGENT_COLORS.b });
  }
  // Grey levels follow the observation's intensity range when the game has one (a 40 HU tumour is
  // invisible on the slice's own percentile range of a CT phantom).
  const range = game.config.intensityRange;
  const base = {
    image: c.image.data,
    shape: c.image.shape,
    z,
    scale,
    ...(range ? { intensityRange: range } : {}),
  };
  return sideBySide([
    renderSlice({ ...base, contour }),
    renderSlice({ ...base, windows }),
    renderSlice({ ...base, overlay: game.scoreMap(), overlayMax: 1, mask: game.segmentation() }),
  ]);
}
