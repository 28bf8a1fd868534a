/**
 * Data-path benchmark: time to get a model-ready volume, for each real BraTS 2018 FLAIR volume
 * (240x240x155, int16 .nii.gz; read + preprocess) and for a 256x256x180 synthetic phantom
 * (generation + preprocess), printed side by side, plus the case cache's write and hit times.
 *
 *     deno run --allow-read --allow-write=.tmp bench/data_bench.ts [--repeat 3]
 *
 * Preprocessing is the same for every row: resample to the SPARS frame (z,y,x = 180x256x256,
 * linear) then z-score. Throughput is source voxels per second of read (or generation) + preprocess.
 * Every figure is the median of `--repeat` runs (default 3), after an unreported warm-up.
 * BraTS rows are skipped with a message when ../shared/data/real/ is absent.
 * BraTS 2018 data: Menze et al. 2015, Bakas et al. 2017 (BraTS data terms).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CaseCache } from "../data/case_cache.ts";
import { readNifti } from "../data/nifti_read.ts";
import { generatePhantom } from "../data/phantom.ts";
import { preprocessCase, type PreprocessOptions } from "../data/preprocess.ts";
import { type Case, type Vec3, voxelCount } from "../data/types.ts";

const FRAME: Vec3 = [180, 256, 256];
const PREPROCESS: PreprocessOptions = { shape: FRAME, intensity: { kind: "zscore" } };
const BRATS = new URL("../../shared/data/real/brats2018/", import.meta.url).pathname;
const CACHE_DIR = new URL("../.tmp/bench-data-cache/", import.meta.url).pathname;

interface Row {
  name: string;
  shape: Vec3;
  sourceMs: number;
  preprocessMs: number;
  cachePutMs: number;
  cacheGetMs: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Medians over `repeat` runs of a measurement returning several timings. */
async function medians(repeat: number, run: () => Promise<number[]>): Promise<number[]> {
  const runs: number[][] = [];
  for (let r = 0; r < repeat; r++) runs.push(await run());
  return runs[0].map((_, i) => median(runs.map((t) => t[i])));
}

async function timed<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await f();
  return [value, performance.now() - t0];
}

/** Times a cache round trip of a preprocessed case (write, then a hit), removing the entry after. */
async function cacheTimes(cache: CaseCache, c: Case): Promise<[number, number]> {
  const key = cache.key({ path: c.id, contentHash: "bench", params: PREPROCESS });
  const [, putMs] = await timed(() => cache.put(key, c));
  const [hit, getMs] = await timed(() => cache.get(key));
  if (!hit || hit.image.data.length !== c.image.data.length) {
    throw new Error(`cache round trip failed for ${c.id}`);
  }
  await Deno.remove(cache.pathOf(key));
  return [putMs, getMs];
}

async function flairFiles(): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const d of Deno.readDir(BRATS)) {
      if (!d.isDirectory) continue;
      const path = `${BRATS}${d.name}/${d.name}_flair.nii.gz`;
      try {
        await Deno.stat(path);
        files.push(path);
      } catch {
        console.warn(`SKIP: ${path} is absent`);
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return files.sort();
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: Deno.args, options: { repeat: { type: "string", default: "3" } } });
  const repeat = Number(values.repeat);
  if (!(Number.isInteger(repeat) && repeat >= 1)) {
    throw new Error(`--repeat ${values.repeat}: expected a positive integer`);
  }
  const cache = new CaseCache(CACHE_DIR);
  const rows: Row[] = [];
  // Warm-up (JIT) on small inputs, not reported.
  preprocessCase(generatePhantom({ seed: 0, shape: [24, 48, 48] }), { ...PREPROCESS, shape: [30, 40, 40] });

  const flairs = await flairFiles();
  if (flairs.length === 0) console.warn(`SKIP: no BraTS FLAIR volumes under ${BRATS} (real data absent)`);
  else await readNifti(flairs[0]);
  for (const path of flairs) {
    const id = path.slice(path.lastIndexOf("/") + 1).replace(/_flair\.nii\.gz$/, "");
    let shape: Vec3 = [0, 0, 0];
    const [sourceMs, preprocessMs, cachePutMs, cacheGetMs] = await medians(repeat, async () => {
      const [image, readMs] = await timed(() => readNifti(path, { id }));
      const [pre, preMs] = await timed(() => preprocessCase({ id, image }, PREPROCESS));
      shape = image.shape;
      return [readMs, preMs, ...await cacheTimes(cache, pre)];
    });
    rows.push({ name: `BraTS ${id} flair`, shape, sourceMs, preprocessMs, cachePutMs, cacheGetMs });
  }

  const [sourceMs, preprocessMs, cachePutMs, cacheGetMs] = await medians(repeat, async () => {
    const [phantom, genMs] = await timed(() => generatePhantom({ seed: 1, shape: FRAME }));
    const [pre, preMs] = await timed(() => preprocessCase(phantom, PREPROCESS));
    return [genMs, preMs, ...await cacheTimes(cache, pre)];
  });
  rows.push({ name: "phantom (generate)", shape: FRAME, sourceMs, preprocessMs, cachePutMs, cacheGetMs });
  await Deno.remove(CACHE_DIR, { recursive: true }).catch(() => {});

  const header = [
    "volume",
    "shape z,y,x",
    "read/gen ms",
    "preprocess ms",
    "total ms",
    "Mvox/s",
    "cache put ms",
    "cache hit ms",
  ];
  const table = rows.map((r) => {
    const total = r.sourceMs + r.preprocessMs;
    return [
      r.name,
      r.shape.join("x"),
      r.sourceMs.toFixed(0),
      r.preprocessMs.toFixed(0),
      total.toFixed(0),
      (voxelCount(r.shape) / total / 1e3).toFixed(2),
      r.cachePutMs.toFixed(0),
      r.cacheGetMs.toFixed(0),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(
    `Preprocess: resample to ${FRAME.join("x")} (z,y,x, linear) + z-score; median of ${repeat} runs; ` +
      `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of table) console.log(line(r));
}

if (import.meta.main) await main();
