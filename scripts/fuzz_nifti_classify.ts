/**
 * Classification of one fuzz case (shared by the fuzzer's worker and its test): read the case with
 * the package's readers, then compare with the independent reference decoder.
 *
 * @module
 */
import { SparsGymError } from "../data/errors.ts";
import { readNiftiLabels, readNiftiWithInfo } from "../data/nifti_read.ts";
import { type FuzzCase, makeCase } from "./fuzz_nifti_cases.ts";
import {
  compareWithReference,
  policyRejects,
  type ReaderOutput,
  referenceDecode,
} from "./fuzz_nifti_reference.ts";

/** Outcome classes of one read. */
export type Outcome =
  | "accepted-consistent"
  | "rejected-typed"
  | "crash"
  | "hang"
  | "accepted-inconsistent";

/** The classification of one case. */
export interface CaseResult {
  index: number;
  outcome: Outcome;
  /** The mutations applied (for reports). */
  kind: string;
  /** The reference decodes the file and its values pass the reader's policy, yet the reader refused. */
  overRejected: boolean;
  /** The error, or the difference from the reference. */
  detail: string;
}

/** Where and how cases are generated and read. */
export interface CaseSetup {
  seed: number;
  /** Every `pathEvery`-th case is written to `dir` and read by path (0: none). */
  pathEvery: number;
  dir: string;
  /** Largest gzip bomb in MiB of zeros. */
  maxBombMiB: number;
}

async function readCase(c: FuzzCase, source: string | Uint8Array, id: string): Promise<ReaderOutput> {
  const options = { id, allowTrailingBytes: c.allowTrailingBytes };
  if (c.reader === "labels") return await readNiftiLabels(source, options);
  return (await readNiftiWithInfo(source, { ...options, nonFinite: c.reader })).volume;
}

/**
 * Generates case `index`, calls `onRead` just before the read (a hang detector starts its clock
 * there), reads and classifies it. Never throws for a reader error: that is the outcome.
 */
export async function classifyCase(job: CaseSetup, index: number, onRead: () => void): Promise<CaseResult> {
  const c = makeCase(job.seed, index, job.maxBombMiB);
  const byPath = job.pathEvery > 0 && index % job.pathEvery === 0;
  const gz = c.bytes.length >= 2 && c.bytes[0] === 0x1f && c.bytes[1] === 0x8b;
  const name = byPath ? `${job.dir}/case-${index}.nii${gz ? ".gz" : ""}` : `fuzz-${index}`;
  if (byPath) await Deno.writeFile(name, c.bytes);
  const ref = c.gzipMustReject
    ? { ok: false as const, reason: "gzip" }
    : referenceDecode(c.plain, c.allowTrailingBytes);
  onRead();
  let outcome: Outcome, detail = "", overRejected = false;
  try {
    const out = await readCase(c, byPath ? name : c.bytes, `fuzz-${index}`);
    if (!ref.ok) {
      outcome = "accepted-inconsistent";
      detail = `accepted, but the reference refuses: ${ref.reason}`;
    } else {
      const diff = compareWithReference(out, ref, c.reader);
      outcome = diff === undefined ? "accepted-consistent" : "accepted-inconsistent";
      detail = diff ?? "";
    }
  } catch (e) {
    const named = e instanceof SparsGymError && e.message.startsWith(`${name}: `);
    outcome = named ? "rejected-typed" : "crash";
    detail = `${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`.slice(0, 300);
    overRejected = named && ref.ok && !c.gzipCorrupt && !policyRejects(ref, c.reader);
  } finally {
    if (byPath) await Deno.remove(name).catch(() => {});
  }
  return { index, outcome, kind: c.kind, overRejected, detail };
}
