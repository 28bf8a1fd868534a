/**
 * The env server: `Deno.serve` upgrading every request on `/` to a WebSocket, one {@link Session}
 * per connection; a session is closed when its socket closes or errors.
 *
 * @module
 */
import type { Scorer } from "../env/scorer.ts";
import { CaseStore, CLASSIFIER_ENV_ID, ORACLE_ENV_ID } from "./catalog.ts";
import { Session } from "./session.ts";
import { GAME_ENV_IDS } from "./served_games.ts";

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** A classifier scorer: serves `SparsGym/Spars-Classifier-v0` too. */
  readonly classifier?: Scorer;
}

/** A running server. */
export interface RunningServer {
  /** The interface listened on. */
  readonly host: string;
  /** The port listened on (the free one picked when 0 was asked). */
  readonly port: number;
  /** The env ids served. */
  readonly envIds: readonly string[];
  /** Sessions open now. */
  sessions(): number;
  /** Requests served per op since start. */
  readonly counts: Readonly<Record<string, number>>;
  /** Stops listening, closes every session, resolves when done. */
  shutdown(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const envIds = [ORACLE_ENV_ID, ...(options.classifier ? [CLASSIFIER_ENV_ID] : []), ...GAME_ENV_IDS];
  const store = new CaseStore();
  const open = new Set<Session>();
  const counts: Record<string, number> = {};
  const context = {
    store,
    classifier: options.classifier,
    envIds,
    onRequest: (op: string) => {
      counts[op] = (counts[op] ?? 0) + 1;
    },
    stats: () => ({ counts: { ...counts }, sessions: open.size }),
  };
  const sockets = new Set<WebSocket>();
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: options.host ?? "127.0.0.1",
      port: options.port ?? 0,
      onListen: ({ hostname, port }) => {
        resolve({
          host: hostname,
          port,
          envIds,
          counts,
          sessions: () => open.size,
          shutdown: async () => {
            for (const s of sockets) s.close();
            for (const s of open) s.close();
            open.clear();
            await server.shutdown();
          },
        });
      },
    }, (request) => {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        const body = `SPARS Gym env server: connect with a WebSocket; serves ${envIds.join(", ")}\n`;
        return new Response(body, { status: 426, headers: { "content-type": "text/plain" } });
      }
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.binaryType = "arraybuffer";
      const session = new Session(context);
      open.add(session);
      sockets.add(socket);
      const end = () => {
        session.close();
        open.delete(session);
        sockets.delete(socket);
      };
      socket.onmessage = async (event: MessageEvent) => {
        const reply = await session.handle(event.data);
        if (socket.readyState === WebSocket.OPEN) socket.send(reply);
      };
      socket.onclose = end;
      socket.onerror = end;
      return response;
    });
  });
}
