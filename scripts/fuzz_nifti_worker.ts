/**
 * Worker of the NIfTI fuzzer: classifies cases `start..end-1` of a seed (`fuzz_nifti_classify.ts`).
 * Before each read it posts `{ type: "start", index }` so that the main thread can time the read and
 * declare a hang (it then terminates this worker and starts another at the next case).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { type CaseResult, type CaseSetup, classifyCase } from "./fuzz_nifti_classify.ts";

/** A message from the worker. */
export type WorkerMessage =
  | { type: "start"; index: number }
  | ({ type: "result"; rss: number } & CaseResult)
  | { type: "done" };

/** The job of one worker. */
export interface WorkerJob extends CaseSetup {
  start: number;
  end: number;
}

self.onmessage = async (e: MessageEvent<WorkerJob>) => {
  const job = e.data;
  for (let i = job.start; i < job.end; i++) {
    const start = (): void => self.postMessage({ type: "start", index: i } satisfies WorkerMessage);
    const result = await classifyCase(job, i, start);
    self.postMessage({ type: "result", rss: Deno.memoryUsage().rss, ...result } satisfies WorkerMessage);
  }
  self.postMessage({ type: "done" } satisfies WorkerMessage);
};
