/** Shared test utilities: scratch folders and the location of the real data. */
import { existsSync } from "node:fs";

/** Path of the shared real-data folder (`../shared/data/real`, relative to the project root). */
export const REAL_DATA: string = new URL("../../shared/data/real/", import.meta.url).pathname;

/** True when the real-data folder exists (it does not on a user's machine). */
export const HAS_REAL_DATA: boolean = existsSync(REAL_DATA);

if (!HAS_REAL_DATA) {
  console.warn(`SKIP: ${REAL_DATA} is absent; tests on real patient data are ignored.`);
}

/** A fresh scratch folder under `.tmp/` (the only place tests may write). */
export async function scratchDir(prefix = "test"): Promise<string> {
  const root = new URL("../.tmp/", import.meta.url).pathname;
  await Deno.mkdir(root, { recursive: true });
  return await Deno.makeTempDir({ dir: root, prefix });
}
