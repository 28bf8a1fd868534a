/**
 * One client session (one WebSocket connection): holds at most one env, answers each request frame
 * with one reply frame, in order. Every failure becomes a typed error reply; nothing a client sends
 * can end the server.
 *
 * @module
 */
import { SparsGymError } from "../data/errors.ts";
import { checkSeed } from "../data/random.ts";
import { EnvStateError } from "../env/errors.ts";
import type { Scorer } from "../env/scorer.ts";
import { type CaseStore, CLASSIFIER_ENV_ID, parseMake, scorerFor } from "./catalog.ts";
import { ProtocolError } from "./errors.ts";
import { decodeFrame, encodeFrame } from "./protocol.ts";
import { type Reply, type ServedEnv, ServedParallel, ServedSingle } from "./served_env.ts";
import { ServedVector } from "./served_vector.ts";
import { GAME_ENV_IDS, makeGameEnv } from "./served_games.ts";

/** What the server shares with its sessions. */
export interface SessionContext {
  /** Phantom datasets, shared. */
  readonly store: CaseStore;
  /** The classifier scorer (when the server was given one). */
  readonly classifier?: Scorer;
  /** The env ids served. */
  readonly envIds: readonly string[];
  /** Called with each request served (op name), for logs and counters. */
  readonly onRequest?: (op: string) => void;
  /** Server-wide request counts per op (the `stats` op), and sessions open. */
  readonly stats?: () => Record<string, unknown>;
}

/** The operations of the protocol. */
export const OPS: readonly string[] = ["make", "reset", "step", "spaces", "render", "close", "ping", "stats"];

function parseSeed(seed: unknown): number | number[] | undefined {
  if (seed === null || seed === undefined) return undefined;
  if (Array.isArray(seed)) {
    seed.forEach((s, i) => checkSeed(s, `seed[${i}]`));
    return seed as number[];
  }
  checkSeed(seed, "seed");
  return seed;
}

/** A session: feed it messages, send what it returns. */
export class Session {
  readonly #context: SessionContext;
  #env?: ServedEnv;
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * Creates the instance.
   * @param context what the server shares
   */
  constructor(context: SessionContext) {
    this.#context = context;
  }

  /** Handles one message (in arrival order) and resolves to the reply frame; never rejects. */
  handle(message: string | ArrayBuffer | Uint8Array): Promise<Uint8Array> {
    const next = this.#tail.then(() => this.#reply(message));
    this.#tail = next;
    return next;
  }

  /** Closes the session's env (on disconnect). */
  close(): void {
    this.#env?.close();
    this.#env = undefined;
  }

  async #reply(message: string | ArrayBuffer | Uint8Array): Promise<Uint8Array> {
    let id: unknown = null, op: unknown = null;
    try {
      const frame = decodeFrame(message);
      id = frame.header.id ?? null;
      op = frame.header.op;
      if (typeof op !== "string" || !OPS.includes(op)) {
        throw new ProtocolError("op", `is ${JSON.stringify(op)}`, `one of ${OPS.join(", ")}`);
      }
      this.#context.onRequest?.(op);
      const r = await this.#dispatch(op, frame.header, frame.arrays);
      return encodeFrame({ id, op, ok: true, ...r.header }, r.arrays);
    } catch (e) {
      return encodeFrame({ id, op, ok: false, error: errorJson(e) });
    }
  }

  async #dispatch(
    op: string,
    h: Record<string, unknown>,
    arrays: Readonly<Record<string, ArrayLike<number>>>,
  ): Promise<Reply> {
    if (op === "ping") return { header: {} };
    if (op === "stats") return { header: this.#context.stats?.() ?? {} };
    if (op === "make") return await this.#make(h);
    if (op === "close") {
      this.close();
      return { header: {} };
    }
    const env = this.#env;
    if (!env) throw new EnvStateError(op, "called before make", "a make message first");
    if (op === "reset") return await env.reset(parseSeed(h.seed));
    if (op === "step") return await env.step(h, arrays);
    if (op === "spaces") return env.spaces();
    return env.render();
  }

  async #make(h: Record<string, unknown>): Promise<Reply> {
    if (typeof h.env === "string" && GAME_ENV_IDS.includes(h.env) && this.#context.envIds.includes(h.env)) {
      const env = await makeGameEnv(h.env, h.kind, h.options);
      this.#env?.close();
      this.#env = env;
      const spaces = env.spaces();
      return {
        header: { ...spaces.header, env: h.env, kind: "single", scorer: "oracle", scores: "voxel labels" },
        arrays: spaces.arrays,
      };
    }
    const c = parseMake(h.env, h.kind, h.options, this.#context.envIds);
    const { cases, oracle } = this.#context.store.get(c.phantoms);
    const scorer = scorerFor(c.env, oracle, this.#context.classifier);
    const options = { ...c.game, scorer, cases };
    const env: ServedEnv = c.kind === "single"
      ? new ServedSingle(options, c.opponent)
      : c.kind === "parallel"
      ? new ServedParallel(options)
      : new ServedVector({ ...options, numEnvs: c.numEnvs }, c.opponent);
    this.#env?.close();
    this.#env = env;
    const spaces = env.spaces();
    const labels = c.env === CLASSIFIER_ENV_ID ? "classifier" : "voxel labels (oracle)";
    return {
      header: { ...spaces.header, env: c.env, kind: c.kind, scorer: scorer.id, scores: labels },
      arrays: spaces.arrays,
    };
  }
}

/** An error as the wire carries it: class name, message, and the source/expected of typed errors. */
export function errorJson(e: unknown): Record<string, unknown> {
  if (e instanceof SparsGymError) {
    return { type: e.name, message: e.message, source: e.source, expected: e.expected };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: err.name === "Error" ? "ServerError" : err.name, message: err.message };
}
