/**
 * The CSV of image-level weak labels of a folder dataset: `case,presence` with a header.
 *
 * @module
 */
import { readRequiredText } from "./dataset_files.ts";
import { DatasetError } from "./errors.ts";

// A Map, not an object literal: a cell such as "constructor" must not find an inherited member.
const PRESENCE_VALUES: ReadonlyMap<string, 0 | 1> = new Map([
  ["0", 0],
  ["1", 1],
  ["false", 0],
  ["true", 1],
  ["no", 0],
  ["yes", 1],
]);

/**
 * Reads a CSV of weak labels: a header naming the columns `case` and `presence` (any order, other
 * columns ignored, case-insensitive), then one row per case; blank lines skipped, a leading BOM
 * dropped, cells trimmed and unquoted (no commas inside cells). `presence` is 0/1, false/true or
 * no/yes (case-insensitive).
 *
 * @param csv the CSV file
 * @param idOf every accepted spelling of a case in the `case` column (e.g. its id, image file name
 *   and file stem) -> the case id
 * @param dir the dataset folder, named when a row names no case
 * @returns case id -> presence, for the cases the CSV names
 * @throws {DatasetError} naming `<csv>` or `<csv>:<line>` when the file is missing or empty, the
 *   header lacks a column, a row has another cell count than the header, names no case or a case
 *   twice, or has a presence other than the accepted values
 */
export async function readPresenceCsv(
  csv: string,
  idOf: ReadonlyMap<string, string>,
  dir: string,
): Promise<Map<string, 0 | 1>> {
  const text = await readRequiredText(
    csv,
    "does not exist",
    "a CSV of weak labels with header case,presence",
  );
  const out = new Map<string, 0 | 1>();
  let caseColumn = -1, presenceColumn = -1, columns = 0;
  for (const [i, raw] of text.replace(/^\uFEFF/, "").split(/\r?\n/).entries()) {
    const where = `${csv}:${i + 1}`;
    if (raw.trim() === "") continue;
    const cells = raw.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1").trim());
    if (columns === 0) {
      const names = cells.map((c) => c.toLowerCase());
      caseColumn = names.indexOf("case"), presenceColumn = names.indexOf("presence"), columns = cells.length;
      if (caseColumn < 0 || presenceColumn < 0) {
        throw new DatasetError(
          where,
          `header is "${raw}"`,
          'a header naming the columns "case" and "presence"',
        );
      }
      continue;
    }
    if (cells.length !== columns) {
      throw new DatasetError(where, `has ${cells.length} cells`, `${columns}, as the header`);
    }
    const id = idOf.get(cells[caseColumn]);
    if (id === undefined) {
      throw new DatasetError(
        where,
        `names case "${cells[caseColumn]}", which has no image in ${dir}`,
        "a case of the folder",
      );
    }
    const presence = PRESENCE_VALUES.get(cells[presenceColumn].toLowerCase());
    if (presence === undefined) {
      throw new DatasetError(
        where,
        `presence is "${cells[presenceColumn]}"`,
        "0 or 1 (also accepted: false/true, no/yes)",
      );
    }
    if (out.has(id)) throw new DatasetError(where, `names case "${id}" again`, "one row per case");
    out.set(id, presence);
  }
  if (columns === 0) throw new DatasetError(csv, "is empty", "a header line case,presence");
  return out;
}
