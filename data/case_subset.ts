/**
 * Explicit case lists: the cases a user names (`deno task eval --cases a,b` or `--cases-file F`),
 * read and checked against a dataset, as a dataset of those cases only.
 *
 * @module
 */
import type { CaseRef, Dataset } from "./dataset.ts";
import { InvalidArgumentError } from "./errors.ts";
import type { Case } from "./types.ts";

/**
 * The case ids of a list: separated by commas or line breaks, blanks around them trimmed, empty
 * entries and `#` comments (to the end of the line) ignored.
 * @param source what errors name (a flag, or a flag and the file)
 * @throws {InvalidArgumentError} naming `source` when the list names no case, or a case twice
 */
export function parseCaseList(text: string, source: string): string[] {
  const ids = text.split(/\r?\n/).flatMap((line) => line.replace(/#.*$/, "").split(","))
    .map((s) => s.trim()).filter((s) => s !== "");
  if (ids.length === 0) {
    throw new InvalidArgumentError(source, "names no case", "case ids, e.g. STS_001,STS_003");
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new InvalidArgumentError(source, `names case "${id}" twice`, "each case once");
    seen.add(id);
  }
  return ids;
}

/**
 * The cases `ids` of `dataset`, in the order given, as a dataset (same name with `/cases`, target
 * and loader). It has no split of its own: `split` throws.
 * @param flag what errors name (the CLI flag)
 * @throws {InvalidArgumentError} naming `flag` and the id when an id is not a case of `dataset` (the
 *   message lists a few of its ids), or when `ids` is empty or names a case twice
 */
export function selectCases(dataset: Dataset, ids: readonly string[], flag = "--cases"): Dataset {
  if (ids.length === 0) throw new InvalidArgumentError(flag, "names no case", "case ids");
  const byId = new Map(dataset.refs.map((r) => [r.id, r]));
  const refs: CaseRef[] = [];
  for (const id of ids) {
    const ref = byId.get(id);
    if (!ref) {
      const known = dataset.refs.slice(0, 5).map((r) => r.id).join(", ");
      const more = dataset.refs.length > 5 ? `, ... (${dataset.refs.length} cases)` : "";
      throw new InvalidArgumentError(
        flag,
        `names case "${id}", which ${dataset.name} does not hold`,
        `ids of its cases: ${known}${more}`,
      );
    }
    if (refs.includes(ref)) {
      throw new InvalidArgumentError(flag, `names case "${id}" twice`, "each case once");
    }
    refs.push(ref);
  }
  const subset: Dataset = {
    name: `${dataset.name}/cases`,
    refs: Object.freeze(refs),
    target: dataset.target,
    ...(dataset.targetSource !== undefined ? { targetSource: dataset.targetSource } : {}),
    split(): Dataset {
      throw new InvalidArgumentError("split", `of the case list ${flag}`, "a split of the whole dataset");
    },
    load: (ref: CaseRef): Promise<Case> => dataset.load(ref),
    async *cases(): AsyncGenerator<Case> {
      for (const ref of refs) yield await dataset.load(ref);
    },
  };
  return subset;
}

/**
 * The case list of the flags `--cases` (`list`) or `--cases-file` (`file`, read here, before any
 * work), with the flag its errors name (`--cases`, or `--cases-file <file>`); nothing when neither is
 * given.
 * @throws {InvalidArgumentError} when both are given, either comes with `--split` (`split`), the file
 *   cannot be read, or the list is empty or repeats an id
 */
export function caseListFlags(
  list: string | undefined,
  file: string | undefined,
  split: string | undefined,
): { cases?: string[]; casesFlag?: string } {
  if (list === undefined && file === undefined) return {};
  const flag = file === undefined ? "--cases" : `--cases-file ${file}`;
  if (list !== undefined && file !== undefined) {
    throw new InvalidArgumentError("--cases", "is given with --cases-file", "one of them");
  }
  if (split !== undefined) {
    throw new InvalidArgumentError(flag, `is given with --split ${split}`, "one of them");
  }
  let text = list;
  if (file !== undefined) {
    try {
      text = Deno.readTextFileSync(file);
    } catch (e) {
      throw new InvalidArgumentError(
        "--cases-file",
        `${file} cannot be read (${(e as Error).message})`,
        "a text file of case ids",
      );
    }
  }
  return { cases: parseCaseList(text!, flag), casesFlag: flag };
}
