/**
 * Env throughput: two-agent steps per second on a 256x256x180 phantom (z,y,x = 180x256x256), window
 * 24x48x48, stride 4, observation 12x24x24, oracle scorer behind the cache, random moves — versus a
 * naive path in the same harness that does per step what the reference code does (recompute both
 * scores by visiting every window voxel, add the score to every window voxel of a dense map, copy
 * the full crop). Also a VectorEnv of 16 games. Prints the ratio.
 *
 * Observations read: the previous path (SparsEnv / VectorEnv returning a new array per observation)
 * beside the batch-buffer path (`copyObservations: false`: every observation written in place into
 * one preallocated buffer), for one game (VectorEnv of 1) and for 16. Target (issue 16): >= 50,000
 * two-agent steps/s with both observations read, and >= 50,000 game-steps/s for 16 games.
 *
 *   deno run --allow-read bench/env_bench.ts [--steps N]
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { generatePhantom } from "../data/phantom.ts";
import { Rng } from "../data/random.ts";
import { targetMask } from "../data/tile.ts";
import type { Vec3 } from "../data/types.ts";
import { WindowGeometry } from "../env/geometry.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import { resolveConfig } from "../env/config.ts";
import { SparsGame } from "../env/game.ts";
import { encoderPool, SparsEnv } from "../env/spars_env.ts";
import { VectorEnv } from "../env/vector_env.ts";

const { values } = parseArgs({ args: Deno.args, options: { steps: { type: "string", default: "200000" } } });
const steps = Number(values.steps);
const window: Vec3 = [24, 48, 48], stride = 4, observationShape: Vec3 = [12, 24, 24];
const t0 = performance.now();
const c = generatePhantom({ seed: 7, shape: [180, 256, 256], spacing: [1, 0.8, 0.8], tumours: 3 });
console.log(`phantom 180x256x256 generated in ${(performance.now() - t0).toFixed(0)} ms`);
const oracle = new OracleScorer([c], { target: 2 });
// maxSteps large and tau 1: episodes end only by truncation, so every step is a real step.
const game = { window, stride, observationShape, tau: 1, maxSteps: 1000 };
const actions = new Rng(1);

/** A throughput by wall time and by this process's CPU time (the machine may be shared). */
interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/** Starts timing; the returned function gives the rate of `count` steps since the start. */
function clock(): (count: number) => Rate {
  const wall = performance.now(), cpu = process.cpuUsage();
  return (count) => {
    const used = process.cpuUsage(cpu);
    return {
      wall: count / ((performance.now() - wall) / 1000),
      cpu: count / ((used.user + used.system) / 1e6),
    };
  };
}

/** Steps of one SparsEnv; `readObservations` reads both observations every step (as a policy would). */
async function fast(n: number, readObservations: boolean): Promise<Rate> {
  const env = new SparsEnv({ scorer: oracle, cases: [c], ...game, start: "random" });
  await env.reset({ seed: 0 });
  let checksum = 0;
  const rateOf = clock();
  for (let i = 0; i < n; i++) {
    if (!env.agents.length) await env.reset();
    const r = await env.step({ a: actions.int(6), b: actions.int(6) });
    if (readObservations) checksum += r.observations.a[0] + r.observations.b[0];
  }
  if (Number.isNaN(checksum)) throw new Error("NaN observation");
  return rateOf(n);
}

/**
 * One SparsGame driven as SparsEnv drives it (cached oracle), both observations written in place
 * into two caller-owned arrays (`encodeFrom`, as VectorEnv's batch buffer): what SparsEnv would
 * reach if it wrote into buffers (SparsEnv itself still returns new arrays).
 */
async function gameInPlace(n: number): Promise<Rate> {
  const config = resolveConfig({ ...game, start: "random" });
  const g = new SparsGame(config, encoderPool(config)), encoder = encoderPool(config)(c);
  const scorer = new CachedScorer(oracle, { maxEntries: config.scoreCacheEntries });
  const rng = new Rng(0);
  const obs = [new Float32Array(encoder.length), new Float32Array(encoder.length)];
  const last: Vec3[] = [[0, 0, 0], [0, 0, 0]];
  const observe = (fresh: boolean) => {
    for (let k = 0; k < 2; k++) {
      const corner = g.corners[k];
      if (fresh) encoder.encodeInto(corner, obs[k]);
      else encoder.encodeFrom(last[k], corner, obs[k]);
      last[k] = corner;
    }
  };
  const reset = async () => {
    const corners = g.beginReset(c, rng);
    g.finishReset(await scorer.score(c.image, corners, window));
    observe(true);
  };
  await reset();
  let checksum = 0;
  const rateOf = clock();
  for (let i = 0; i < n; i++) {
    if (g.done) await reset();
    const corners = g.beginStep({ a: actions.int(6), b: actions.int(6) });
    g.finishStep(await scorer.score(c.image, corners, window));
    observe(false);
    checksum += obs[0][0] + obs[1][0];
  }
  if (Number.isNaN(checksum)) throw new Error("NaN observation");
  return rateOf(n);
}

function naive(n: number): Rate {
  const g = new WindowGeometry(c.image.shape, window, stride);
  const [, ny, nx] = c.image.shape;
  const mask = targetMask(c.labels!, 2);
  const map = new Float32Array(mask.length);
  const crop = new Float32Array(window[0] * window[1] * window[2]);
  let corners: Vec3[] = [g.start("random", actions), g.start("random", actions)];
  const rateOf = clock();
  for (let i = 0; i < n; i++) {
    corners = corners.map((cr) => g.move(cr, actions.int(6)));
    for (const [z0, y0, x0] of corners) {
      let hits = 0, k = 0;
      for (let z = z0; z < z0 + window[0]; z++) {
        for (let y = y0; y < y0 + window[1]; y++) {
          const row = (z * ny + y) * nx;
          for (let x = x0; x < x0 + window[2]; x++) {
            hits += mask[row + x];
            crop[k++] = c.image.data[row + x];
          }
        }
      }
      const score = hits / crop.length;
      for (let z = z0; z < z0 + window[0]; z++) {
        for (let y = y0; y < y0 + window[1]; y++) {
          const row = (z * ny + y) * nx;
          for (let x = x0; x < x0 + window[2]; x++) map[row + x] += score;
        }
      }
    }
  }
  return rateOf(n);
}

/**
 * Game-steps/s of a VectorEnv of `numEnvs` games (observations: new arrays when `copy`, else the
 * batch buffer); reads both observations of every game every step, as a policy would.
 */
async function vector(n: number, numEnvs: number, copy: boolean): Promise<Rate> {
  const env = new VectorEnv({
    numEnvs,
    cases: [c],
    scorer: oracle,
    ...game,
    start: "random",
    copyObservations: copy,
  });
  await env.reset({ seed: 0 });
  const a = new Int32Array(numEnvs), b = new Int32Array(numEnvs);
  let checksum = 0;
  const rateOf = clock();
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < numEnvs; k++) {
      a[k] = actions.int(6);
      b[k] = actions.int(6);
    }
    const r = await env.step({ a, b });
    for (let k = 0; k < numEnvs; k++) checksum += r.observations.a[k][0] + r.observations.b[k][0];
  }
  if (Number.isNaN(checksum)) throw new Error("NaN observation");
  return rateOf(n * numEnvs);
}

const rate = (x: Rate) => `${x.wall.toFixed(0).padStart(7)} (${x.cpu.toFixed(0).padStart(7)} per CPU-s)`;
const ratio = (x: Rate, y: Rate, digits = 2) => `${(x.wall / y.wall).toFixed(digits)}x`;
await fast(2000, true); // warm-up (JIT, oracle table, phase grids)
await vector(500, 16, false);
const fastRate = await fast(steps, false);
const fastObsRate = await fast(steps, true);
const gameRate = await gameInPlace(steps);
const oneCopyRate = await vector(steps, 1, true);
const oneBufferRate = await vector(steps, 1, false);
const naiveRate = naive(Math.max(200, Math.round(steps / 200)));
const vectorCopyRate = await vector(Math.round(steps / 16), 16, true);
const vectorBufferRate = await vector(Math.round(steps / 16), 16, false);
console.log("rates: by wall time (by this process's CPU time)");
console.log(`SparsEnv (cached oracle), obs unread:          ${rate(fastRate)} two-agent steps/s`);
console.log(`SparsEnv, both 12x24x24 obs read (new arrays): ${rate(fastObsRate)} two-agent steps/s`);
console.log(`SparsGame, both obs written in place:          ${rate(gameRate)} two-agent steps/s`);
console.log(`VectorEnv of 1, both obs read, new arrays:     ${rate(oneCopyRate)} two-agent steps/s`);
console.log(`VectorEnv of 1, both obs read, batch buffer:   ${rate(oneBufferRate)} two-agent steps/s`);
console.log(`naive reference-style step:                    ${rate(naiveRate)} two-agent steps/s`);
console.log(`VectorEnv, 16 games, obs read, new arrays:     ${rate(vectorCopyRate)} game-steps/s`);
console.log(`VectorEnv, 16 games, obs read, batch buffer:   ${rate(vectorBufferRate)} game-steps/s`);
console.log(`ratio fast / naive (obs unread):               ${ratio(fastRate, naiveRate, 1)}`);
console.log(`ratio fast / naive (obs read, batch buffer):   ${ratio(oneBufferRate, naiveRate, 1)}`);
console.log(`ratio batch buffer / new arrays (1 game):      ${ratio(oneBufferRate, oneCopyRate)}`);
console.log(`ratio in place / SparsEnv (obs read):          ${ratio(gameRate, fastObsRate)}`);
console.log(`ratio batch buffer / new arrays (16 games):    ${ratio(vectorBufferRate, vectorCopyRate)}`);
console.log("target (issue 16): >= 50000 two-agent steps/s with both obs read, >= 50000 game-steps/s for 16");
