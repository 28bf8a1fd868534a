/**
 * Supervision levels: how much label information a scorer, a method or a report row used. Every
 * classifier and every evaluation row records one, so that a result trained on crops placed from voxel
 * masks is never reported as "image-level". Lives in `data/` so that `models/`, `train/` and `eval/`
 * can import it without tfjs.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";

/**
 * The supervision level of a model or method, weakest first:
 * - `"image-level"`: one presence label per volume ("this CT holds tumour: yes/no");
 * - `"tile-level (derived from masks)"`: one presence label per tile, computed from voxel masks;
 * - `"crops labelled from voxel masks"`: crops placed and labelled using the voxel masks;
 * - `"voxel labels"`: the voxel masks themselves (e.g. the oracle upper bound).
 */
export type SupervisionLevel =
  | "image-level"
  | "tile-level (derived from masks)"
  | "crops labelled from voxel masks"
  | "voxel labels";

/** Every supervision level, weakest first (index = strength order). */
export const SUPERVISION_LEVELS: readonly SupervisionLevel[] = [
  "image-level",
  "tile-level (derived from masks)",
  "crops labelled from voxel masks",
  "voxel labels",
];

/**
 * One line describing a supervision level, for reports and `--help` text.
 * @param level the level
 * @returns a sentence naming what labels the level uses
 */
export function describeSupervision(level: SupervisionLevel): string {
  switch (level) {
    case "image-level":
      return "image-level: one presence label (tumour yes/no) per volume, no voxel masks";
    case "tile-level (derived from masks)":
      return "tile-level (derived from masks): one presence label per tile, computed from voxel masks";
    case "crops labelled from voxel masks":
      return "crops labelled from voxel masks: training crops placed and labelled using voxel masks";
    case "voxel labels":
      return "voxel labels: reads the voxel masks directly (upper bound, not weak supervision)";
  }
}

/** True when `value` is one of {@link SUPERVISION_LEVELS}. */
export function isSupervisionLevel(value: unknown): value is SupervisionLevel {
  return typeof value === "string" && (SUPERVISION_LEVELS as readonly string[]).includes(value);
}

/**
 * Checks a supervision level read from a file or an option.
 * @param value the value to check
 * @param source the option, flag or file field named in the error
 * @returns the value as a {@link SupervisionLevel}
 * @throws InvalidArgumentError when it is not one of {@link SUPERVISION_LEVELS}
 */
export function parseSupervisionLevel(value: unknown, source = "supervision"): SupervisionLevel {
  if (!isSupervisionLevel(value)) {
    throw new InvalidArgumentError(
      source,
      `is ${JSON.stringify(value)}`,
      `one of ${SUPERVISION_LEVELS.map((l) => JSON.stringify(l)).join(", ")}`,
    );
  }
  return value;
}
