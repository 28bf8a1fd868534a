import assert from "node:assert/strict";
import { generatePhantomDataset } from "../data/phantom.ts";
import { deriveSeed } from "../data/random.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { ORACLE_ENV_ID } from "../serve/catalog.ts";
import { decodeFrame, encodeFrame, type Frame, type OutArray } from "../serve/protocol.ts";
import { type RunningServer, startServer } from "../serve/server.ts";

const PHANTOMS = { count: 4, seed: 3, shape: [32, 64, 64] as [number, number, number] };

/** A test client: one WebSocket, requests answered in order. */
class Client {
  readonly #ws: WebSocket;
  readonly #replies: Frame[] = [];
  readonly #waiting: ((f: Frame) => void)[] = [];
  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      const f = decodeFrame(e.data as ArrayBuffer);
      const w = this.#waiting.shift();
      if (w) w(f);
      else this.#replies.push(f);
    };
  }
  static open(server: RunningServer): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new Client(ws));
      ws.onerror = () => reject(new Error("connect failed"));
    });
  }
  send(data: string | Uint8Array): Promise<Frame> {
    this.#ws.send(data);
    const ready = this.#replies.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.#waiting.push(resolve));
  }
  req(header: Record<string, unknown>, arrays?: Record<string, OutArray>): Promise<Frame> {
    return this.send(encodeFrame(header, arrays));
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#ws.onclose = () => resolve();
      this.#ws.close();
    });
  }
}

function errorType(f: Frame): string {
  assert.deepStrictEqual(f.header.ok, false);
  return (f.header.error as { type: string }).type;
}

Deno.test("protocol: frames round-trip arrays of every dtype, aligned", () => {
  const f = decodeFrame(encodeFrame({ op: "x", n: 1 }, {
    u: { data: Uint8Array.of(1, 2, 3), shape: [3] },
    f: { data: Float32Array.of(-Infinity, 0.5), shape: [1, 2] },
    i: { data: Int32Array.of(-7), shape: [1] },
  }));
  assert.deepStrictEqual(f.header.op, "x");
  assert.deepStrictEqual([...f.arrays.u], [1, 2, 3]);
  assert.deepStrictEqual([...f.arrays.f], [-Infinity, 0.5]);
  assert.deepStrictEqual(f.shapes.f, [1, 2]);
  assert.deepStrictEqual([...f.arrays.i], [-7]);
});

Deno.test("serve: the single env reproduces the in-process SelfPlayEnv for the same seed and actions", async () => {
  const server = await startServer({ port: 0 });
  const client = await Client.open(server);
  try {
    const made = await client.req({ op: "make", env: ORACLE_ENV_ID, options: { phantoms: PHANTOMS } });
    assert.deepStrictEqual(made.header.ok, true);
    assert.deepStrictEqual((made.header.observationSpace as { shape: number[] }).shape, [12, 24, 24, 1]);
    const cases = generatePhantomDataset(PHANTOMS);
    const local = new SelfPlayEnv({
      scorer: new OracleScorer(cases, { target: 2 }),
      cases,
      window: [16, 32, 32],
      opponent: new RandomAgent(deriveSeed(9, 1)),
    });
    const r = await local.reset({ seed: 9 });
    const remote = await client.req({ op: "reset", seed: 9 });
    assert.deepStrictEqual([...remote.arrays.obs], [...r.observation]);
    for (const a of [0, 1, 2, 3, 4, 5, 5, 2]) {
      const s = await local.step(a);
      const t = await client.req({ op: "step", action: a });
      assert.deepStrictEqual(t.header.reward, s.reward);
      assert.deepStrictEqual(t.header.info, JSON.parse(JSON.stringify(s.info)));
      assert.deepStrictEqual([...t.arrays.obs], [...s.observation]);
    }
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("serve: the vector env steps N games in one message, as the in-process VectorEnv", async () => {
  const server = await startServer({ port: 0 });
  const client = await Client.open(server);
  try {
    const options = { phantoms: PHANTOMS, numEnvs: 3, maxSteps: 4 };
    assert.deepStrictEqual(
      (await client.req({ op: "make", env: ORACLE_ENV_ID, kind: "vector", options })).header.ok,
      true,
    );
    const cases = generatePhantomDataset(PHANTOMS);
    const local = new VectorEnv({
      numEnvs: 3,
      cases,
      scorer: new OracleScorer(cases, { target: 2 }),
      window: [16, 32, 32],
      maxSteps: 4,
    });
    const opponent = new RandomAgent(deriveSeed(4, 1));
    let lr = await local.reset({ seed: 4 });
    const rr = await client.req({ op: "reset", seed: 4 });
    assert.deepStrictEqual(rr.shapes.obs, [3, 12, 24, 24, 1]);
    for (let t = 0; t < 6; t++) {
      const a = Int32Array.of(t % 6, 2, 5);
      const b = await opponent.act(lr.observations.b, local.contexts("b"));
      const ls = await local.step({ a, b });
      lr = ls;
      const rs = await client.req({ op: "step" }, { actions: { data: a, shape: [3] } });
      assert.deepStrictEqual([...rs.arrays.rewards], [...ls.rewards.a]);
      assert.deepStrictEqual([...rs.arrays.autoreset], [...ls.autoreset]);
      assert.deepStrictEqual([...rs.arrays.truncations], [...ls.truncations.a]);
      const flat = new Float32Array(3 * ls.observations.a[0].length);
      ls.observations.a.forEach((o, i) => flat.set(o, i * o.length));
      assert.deepStrictEqual(rs.arrays.obs, flat);
    }
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("serve: bad messages get typed error replies; sessions are independent and cleaned up", async () => {
  const server = await startServer({ port: 0 });
  const one = await Client.open(server), two = await Client.open(server);
  try {
    assert.deepStrictEqual(errorType(await one.send(new Uint8Array([1, 2]))), "ProtocolError");
    assert.deepStrictEqual(errorType(await one.send("{")), "ProtocolError");
    assert.deepStrictEqual(errorType(await one.req({ op: "fly" })), "ProtocolError");
    assert.deepStrictEqual(errorType(await one.req({ op: "reset" })), "EnvStateError");
    assert.deepStrictEqual(
      errorType(await one.req({ op: "make", env: "SparsGym/Nope-v0" })),
      "UnknownEnvError",
    );
    const made = await one.req({ op: "make", env: ORACLE_ENV_ID, options: { phantoms: PHANTOMS } });
    assert.deepStrictEqual(made.header.ok, true);
    assert.deepStrictEqual(errorType(await one.req({ op: "step", action: 0 })), "EnvStateError"); // before reset
    await one.req({ op: "reset", seed: 1 });
    const bad = await one.req({ op: "step", action: 9 });
    assert.deepStrictEqual(errorType(bad), "InvalidArgumentError");
    assert(String((bad.header.error as { message: string }).message).includes("action"));
    assert.deepStrictEqual((await one.req({ op: "step", action: 2 })).header.ok, true);
    // session two knows nothing of session one
    assert.deepStrictEqual(errorType(await two.req({ op: "reset", seed: 0 })), "EnvStateError");
    const v = await two.req({ op: "make", env: ORACLE_ENV_ID, kind: "vector", options: { numEnvs: 2 } });
    assert.deepStrictEqual(v.header.ok, true);
    await two.req({ op: "reset", seed: 0 });
    const wrong = await two.req({ op: "step" }, { actions: { data: Int32Array.of(1, 2, 3), shape: [3] } });
    assert.deepStrictEqual(errorType(wrong), "InvalidArgumentError");
    assert.deepStrictEqual(errorType(await two.req({ op: "render" })), "InvalidArgumentError");
    assert.deepStrictEqual(server.sessions(), 2);
    const stats = (await one.req({ op: "stats" })).header;
    assert.deepStrictEqual(stats.sessions, 2);
    assert.ok((stats.counts as Record<string, number>).step >= 2);
    await two.close();
    for (let i = 0; i < 50 && server.sessions() > 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepStrictEqual(server.sessions(), 1);
    const frame = await one.req({ op: "render" });
    assert.deepStrictEqual(frame.shapes.rgb.length, 3);
    assert.deepStrictEqual(frame.shapes.rgb[2], 3);
  } finally {
    await one.close();
    await server.shutdown();
  }
});
