/**
 * Bring your own agent: a hand-written {@link Agent} evaluated like the built-in ones.
 *
 * `DarkSideAgent` looks only at its observation (the window resampled to `observationShape`,
 * z,y,x with x fastest, one intensity channel in mode `"window"`): it splits the window in two
 * halves along each axis and moves towards the half with the lowest mean intensity (the phantoms'
 * tumours are hypodense), or randomly with probability `explore`. Moves are 0..5 = +z,-z,+y,-y,+x,-x.
 *
 * Run it: `deno run --allow-read examples/my_agent.ts` (plays a few phantoms with the oracle scorer
 * through `eval/segment.ts`, prints Dice against random and greedy). Copy this file and replace
 * `act`. The default export, a factory `(seed) => Agent`, is what `deno task eval --agent` loads.
 *
 * @module
 */
import {
  type Agent,
  type AgentContext,
  dice,
  generatePhantom,
  GreedyAgent,
  OracleScorer,
  RandomAgent,
  Rng,
  segment,
  type Vec3,
} from "../mod.ts";

/** Moves towards the darker half of its window along the axis of largest contrast. */
export class DarkSideAgent implements Agent {
  /** Name shown in reports. */
  readonly name = "dark-side";
  readonly #shape: Vec3;
  readonly #explore: number;
  readonly #rng: Rng;

  /**
   * @param shape observation shape z,y,x (the env's `observationShape`)
   * @param seed seed of the exploration draws
   * @param explore probability of a random move, in [0, 1]
   */
  constructor(shape: Vec3, seed = 0, explore = 0.1) {
    this.#shape = shape;
    this.#rng = new Rng(seed);
    this.#explore = explore;
  }

  /** One move per observation. */
  act(observations: readonly Float32Array[], _contexts?: readonly AgentContext[]): Promise<Int32Array> {
    const [Z, Y, X] = this.#shape;
    const channels = observations.length ? observations[0].length / (Z * Y * X) : 1;
    const out = new Int32Array(observations.length);
    const sums = new Float64Array(6); // sum of the +z,-z,+y,-y,+x,-x halves
    observations.forEach((o, k) => {
      if (this.#rng.float() < this.#explore) {
        out[k] = this.#rng.int(6);
        return;
      }
      sums.fill(0);
      for (let z = 0, i = 0; z < Z; z++) {
        for (let y = 0; y < Y; y++) {
          for (let x = 0; x < X; x++, i += channels) {
            const v = o[i]; // channel 0: intensity
            sums[z >= Z / 2 ? 0 : 1] += v;
            sums[y >= Y / 2 ? 2 : 3] += v;
            sums[x >= X / 2 ? 4 : 5] += v;
          }
        }
      }
      // Largest contrast between the two halves of an axis; move towards the darker one.
      let best = 0, bestGap = -1;
      for (let axis = 0; axis < 3; axis++) {
        const gap = Math.abs(sums[2 * axis] - sums[2 * axis + 1]);
        if (gap > bestGap) {
          bestGap = gap;
          best = sums[2 * axis] < sums[2 * axis + 1] ? 2 * axis : 2 * axis + 1;
        }
      }
      out[k] = best;
    });
    return Promise.resolve(out);
  }
}

/** Factory loaded by `deno task eval --agent examples/my_agent.ts`: the observation shape and a seed. */
export default function createAgent(options: { observationShape: Vec3; seed: number }): Agent {
  return new DarkSideAgent(options.observationShape, options.seed);
}

if (import.meta.main) {
  const game = { window: [16, 32, 32] as Vec3, observationShape: [8, 16, 16] as Vec3, stride: 4, tau: 0.3 };
  const cases = Array.from({ length: 4 }, (_, i) => generatePhantom({ seed: 100 + i, shape: [32, 64, 64] }));
  const scorer = new OracleScorer(cases, { target: 2 });
  const agents: Agent[] = [
    createAgent({ observationShape: game.observationShape, seed: 0 }),
    new RandomAgent(0),
    new GreedyAgent(0),
  ];
  console.log("agent        mean Dice (map > 0.5, oracle scorer, 4 phantoms)");
  for (const agent of agents) {
    let total = 0;
    for (const c of cases) {
      const r = await segment(c, { ...game, agents: agent, scorer, starts: 2, seed: 0 });
      const truth = Uint8Array.from(c.labels!.data, (v) => (v === 2 ? 1 : 0));
      total += dice(r.mask, truth);
    }
    console.log(`${agent.name.padEnd(12)} ${(total / cases.length).toFixed(3)}`);
  }
}
