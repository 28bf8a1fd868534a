/**
 * `deno task demo`: plays a few SPARS games on seeded phantoms with the ORACLE scorer (window
 * scores from voxel labels: a debugging upper bound, not weak supervision), a random agent (a)
 * against a greedy agent (b). Prints one line per episode (steps, winner, end, Dice of the
 * thresholded map) and writes, per episode, an animated PNG (APNG) of every step with the step, both
 * scores, step wins and the winner written above the game (`episode-<e>-animated.png`) and the
 * captioned last frame as a still PNG (`episode-<e>.png`).
 * The folder is built in a temporary sibling and put in place at the end; `--force` replaces only a
 * demo output folder this command wrote before (its marker file, `data/owned_folder.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SparsGymError } from "../data/errors.ts";
import { checkOwnedTarget, commitOwnedFolder, prepareOwnedFolder } from "../data/owned_folder.ts";
import { generatePhantom } from "../data/phantom.ts";
import type { Vec3 } from "../data/types.ts";
import { targetMask } from "../data/tile.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { writeApng } from "../env/apng.ts";
import { type RgbaFrame, type RgbFrame, writePng } from "../env/png.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { captionedFrame, episodeCaption, type EpisodeFrameState } from "./episode_frames.ts";
import { dice } from "./metrics.ts";

const HELP = `deno task demo [options]

Plays SPARS games on phantoms: random agent (a) vs greedy agent (b), oracle scorer
(scores from voxel labels: an upper bound for debugging, NOT weak supervision).

Options (defaults in brackets):
  --episodes N     games to play [4]
  --seed N         seed of phantoms, starts and the random agent [0]
  --window ZxYxX   window size in voxels [8x16x16]
  --stride N       move length in voxels [2]
  --tau X          termination threshold on a window score [0.3]
  --max-steps N    step limit [64]
  --frame-ms N     display time of each animation frame in ms, 1..65535 [250]
  --out DIR        folder for the PNGs [runs/demo]: per episode an animation of every
                   step (episode-E-animated.png, APNG) and its last frame (episode-E.png)
  --force          replace an --out folder this command wrote before (never anything else)
  --help           this text
`;

function parseVec(name: string, text: string): Vec3 {
  const parts = text.split("x").map(Number);
  if (parts.length !== 3 || !parts.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`--${name} is '${text}' (expected three positive integers like 8x16x16)`);
  }
  return parts as unknown as Vec3;
}

function parseNumber(name: string, text: string, integer: boolean): number {
  const v = Number(text);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new Error(`--${name} is '${text}' (expected ${integer ? "an integer" : "a number"})`);
  }
  return v;
}

/** Runs the demo with command-line `args`; returns the process exit code. */
export async function runDemo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      episodes: { type: "string", default: "4" },
      seed: { type: "string", default: "0" },
      window: { type: "string", default: "8x16x16" },
      stride: { type: "string", default: "2" },
      tau: { type: "string", default: "0.3" },
      "max-steps": { type: "string", default: "64" },
      "frame-ms": { type: "string", default: "250" },
      out: { type: "string", default: "runs/demo" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const episodes = parseNumber("episodes", values.episodes, true);
  const seed = parseNumber("seed", values.seed, true);
  const window = parseVec("window", values.window);
  const stride = parseNumber("stride", values.stride, true);
  const tau = parseNumber("tau", values.tau, false);
  const maxSteps = parseNumber("max-steps", values["max-steps"], true);
  const frameMs = parseNumber("frame-ms", values["frame-ms"], true);
  if (frameMs < 1 || frameMs > 65535) {
    throw new Error(`--frame-ms is ${frameMs} (expected an integer 1..65535)`);
  }
  const out = values.out;
  const target = { force: values.force, flag: "--out" };
  try {
    await checkOwnedTarget(out, "demo-output", target);
  } catch (e) {
    if (!(e instanceof SparsGymError)) throw e;
    console.error(`error: ${e.message}`);
    return 2;
  }
  const temp = await prepareOwnedFolder(out, "demo-output");
  try {
    await playEpisodes(temp, { episodes, seed, window, stride, tau, maxSteps, frameMs });
    await commitOwnedFolder(temp, out, "demo-output", target);
  } catch (e) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    if (!(e instanceof SparsGymError)) throw e;
    console.error(`error: ${e.message}`);
    return 1;
  }
  console.log(`animations (episode-E-animated.png) and last frames (episode-E.png) written to ${out}/`);
  return 0;
}

/** Plays the episodes, printing one line each, and writes their animations and last frames into `dir`. */
async function playEpisodes(
  dir: string,
  o: {
    episodes: number;
    seed: number;
    window: Vec3;
    stride: number;
    tau: number;
    maxSteps: number;
    frameMs: number;
  },
): Promise<void> {
  const { episodes, seed, window, stride, tau, maxSteps, frameMs } = o;

  const cases = Array.from(
    { length: episodes },
    (_, i) => generatePhantom({ seed: seed * 1000 + i, tumours: [1, 2] }),
  );
  const scorer = new OracleScorer(cases, { target: 2 });
  const env = new SparsEnv({
    scorer,
    cases,
    window,
    stride,
    tau,
    maxSteps,
    start: "random",
    renderMode: "rgb_array",
    render: { target: 2, intensityRange: [-200, 250] },
  });
  const random = new RandomAgent(seed), greedy = new GreedyAgent();
  console.log(
    `scorer ${scorer.id} (uses voxel labels); window ${window.join("x")}, stride ${stride}, tau ${tau}`,
  );
  console.log("episode  case          steps  end         wins a:b   best score  dice(map>0.5)");
  for (let e = 0; e < episodes; e++) {
    let r = await env.reset({ seed: seed * 1000 + e, options: { case: cases[e] } });
    let winsA = 0, winsB = 0, ended = "";
    const base = { episode: e, maxSteps };
    const frame = (state: Omit<EpisodeFrameState, "episode" | "maxSteps">): RgbaFrame =>
      captionedFrame(env.render() as RgbaFrame | RgbFrame, episodeCaption({ ...base, ...state }));
    const frames = [frame({ step: 0, scores: [r.infos.a.score, r.infos.b.score], wins: [0, 0] })];
    while (env.agents.length) {
      const [a] = await random.act([r.observations.a]);
      const context = {
        volume: cases[e].image,
        geometry: env.game.geometry!,
        scorer: env.scorer,
        info: r.infos.b,
      };
      const [b] = await greedy.act([r.observations.b], [context]);
      const s = await env.step({ a, b });
      winsA += s.rewards.a > 0 ? 1 : 0;
      winsB += s.rewards.b > 0 ? 1 : 0;
      ended = s.terminations.a ? "terminated" : s.truncations.a ? "truncated" : "";
      r = s;
      frames.push(frame({
        step: env.game.step,
        scores: [s.infos.a.score, s.infos.b.score],
        wins: [winsA, winsB],
        stepWinner: s.rewards.a > 0 ? "a" : s.rewards.b > 0 ? "b" : "draw",
        ended: ended === "" ? undefined : ended as "terminated" | "truncated",
      }));
    }
    const truth = targetMask(cases[e].labels!, 2);
    const d = dice(env.map.mask(0.5), truth, { ignoreEmpty: false });
    const best = Math.max(r.infos.a.score, r.infos.b.score);
    console.log(
      `${String(e).padStart(7)}  ${cases[e].id.padEnd(12)}  ${String(env.game.step).padStart(5)}  ${
        ended.padEnd(10)
      }  ` +
        `${`${winsA}:${winsB}`.padStart(8)}  ${best.toFixed(3).padStart(10)}  ${d.toFixed(3).padStart(13)}`,
    );
    await writeApng(`${dir}/episode-${e}-animated.png`, frames, { delayMs: frameMs });
    await writePng(`${dir}/episode-${e}.png`, frames[frames.length - 1]);
  }
}

if (import.meta.main) Deno.exit(await runDemo(Deno.args));
