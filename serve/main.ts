/**
 * `deno task serve`: runs the env server until killed. Its first stdout line is machine-readable:
 * `listening on ws://HOST:PORT` (with `--port 0`, the free port picked).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Scorer } from "../env/scorer.ts";
import { startServer } from "./server.ts";

const HELP = `deno task serve [options]

Serves SPARS Gym envs over WebSocket to Python (spars_gym) and any other client; protocol in
serve/PROTOCOL.md. Env ids: SparsGym/Spars-Oracle-v0 (seeded phantoms, ORACLE scorer reading voxel
labels), SparsGym/Spars-Classifier-v0 when --classifier is given, SparsGym/Patch-Oracle-v0 (the patch
game, oracle patch scores) and SparsGym/Pixel-Phantom-v0 (the pixel game, rewards from voxel labels).

Options:
  --host HOST        interface to listen on [127.0.0.1]
  --port N           TCP port; 0 picks a free one [0]
  --classifier DIR   a classifier checkpoint folder (or a run folder holding classifier/)
  --backend NAME     tfjs backend of the classifier: cpu, wasm [wasm]
  --quiet            no per-connection log lines
  --help             this text

First stdout line: "listening on ws://HOST:PORT".`;

async function loadClassifier(dir: string, backend: string): Promise<Scorer> {
  let folder = dir;
  try {
    if ((await Deno.stat(`${dir}/classifier`)).isDirectory) folder = `${dir}/classifier`;
  } catch { /* not a run folder */ }
  const { initBackend } = await import("../models/backend.ts");
  const { ClassifierScorer } = await import("../models/classifier_scorer.ts");
  if (backend !== "cpu" && backend !== "wasm") {
    throw new InvalidArgumentError("--backend", `is '${backend}'`, "cpu or wasm");
  }
  await initBackend(backend);
  return await ClassifierScorer.load(folder);
}

/** Runs the CLI with `args`; resolves with an exit code on a usage error, else serves forever. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "0" },
        classifier: { type: "string" },
        backend: { type: "string", default: "wasm" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    console.error(`--port: is '${values.port}' (expected an integer in 0..65535)`);
    return 2;
  }
  const classifier = values.classifier ? await loadClassifier(values.classifier, values.backend) : undefined;
  const server = await startServer({ host: values.host, port, classifier });
  const host = server.host.includes(":") ? `[${server.host}]` : server.host;
  console.log(`listening on ws://${host}:${server.port}`);
  console.log(`serving ${server.envIds.join(", ")}${classifier ? ` (classifier ${classifier.id})` : ""}`);
  return await new Promise<number>(() => {});
}

if (import.meta.main) Deno.exit(await main(Deno.args));
