/**
 * `PatchSelfPlayEnv`: the single-player Gymnasium 1.x view of the patch game. The learner plays one
 * side; the opponent (any {@link PatchAgent}, e.g. a frozen policy or {@link RandomPatchAgent}) plays
 * its moves inside `reset` (when it moves first) and `step` (until it is the learner's turn again or
 * the game ends). The reward of a step is the learner's reward summed over its own move and the
 * opponent's replies (a round completed by the opponent's pick lands here). A refused (illegal)
 * learner move keeps the turn, so the opponent does not move after it.
 *
 * When the opponent's OPENING move (it moves first) ends the game (it terminates), `reset` still
 * returns the normal observation, and the learner's next `step` returns that end: its action is
 * checked but ignored, the reward is the learner's share of the termination reward, `terminated`
 * is true. So every episode has at least one learner step and no reward is lost.
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { EnvStateError } from "../errors.ts";
import type { RgbaFrame } from "../png.ts";
import type { Box, Discrete } from "../spaces.ts";
import type { PatchAgent, PatchAgentContext } from "./agents.ts";
import type { PatchAgentId } from "./config.ts";
import type { PatchInfo, PatchReset, PatchStep } from "./game.ts";
import { PatchEnv, type PatchEnvOptions, type PatchResetArgs } from "./patch_env.ts";

/** Options of {@link PatchSelfPlayEnv}. */
export interface PatchSelfPlayOptions extends PatchEnvOptions {
  /** The learner's side (default `"a"`). */
  readonly learner?: PatchAgentId;
  /** The opponent. */
  readonly opponent: PatchAgent;
}

/** Gymnasium reset result. */
export interface PatchSingleReset {
  /** The learner's observation. */
  readonly observation: Float32Array;
  /** The learner's info (`action_mask` included). */
  readonly info: PatchInfo;
}

/** Gymnasium step result. */
export interface PatchSingleStep extends PatchSingleReset {
  /** Learner's reward, summed over its move and the opponent's replies. */
  readonly reward: number;
  /** The game terminated. */
  readonly terminated: boolean;
  /** The step limit was hit. */
  readonly truncated: boolean;
}

/** One side of a {@link PatchEnv}. */
export class PatchSelfPlayEnv {
  /** The two-player env. */
  readonly env: PatchEnv;
  /** The learner's side. */
  readonly learner: PatchAgentId;
  #opponent: PatchAgent;
  #pending?: PatchSingleStep;

  /** Creates the instance; see the class documentation for the arguments. */
  constructor(options: PatchSelfPlayOptions) {
    const { learner, opponent, ...rest } = options;
    this.learner = learner ?? "a";
    if (this.learner !== "a" && this.learner !== "b") {
      throw new InvalidArgumentError("learner", `is '${learner}'`, "'a' or 'b'");
    }
    if (!opponent || typeof opponent.act !== "function") {
      throw new InvalidArgumentError("opponent", "is missing", "a PatchAgent");
    }
    this.#opponent = opponent;
    this.env = new PatchEnv(rest);
  }

  /** The learner's observation space. */
  get observationSpace(): Box {
    return this.env.observationSpace(this.learner);
  }

  /** The learner's action space, Discrete(n + 1). */
  get actionSpace(): Discrete {
    return this.env.actionSpace(this.learner);
  }

  /** Replaces the opponent (from the next opponent move on). */
  setOpponent(opponent: PatchAgent): void {
    this.#opponent = opponent;
  }

  /** The context an agent gets for the current state. */
  context(): PatchAgentContext {
    const g = this.env.game;
    if (!g.case) throw new EnvStateError("context", "read before reset", "reset() first");
    return {
      volume: g.case.image,
      grid: g.grid!,
      scorer: this.env.scorer,
      actionMask: g.actionMask(),
      presenceThreshold: this.env.config.presenceThreshold,
    };
  }

  /** Starts an episode; the opponent moves first when it is its turn. */
  async reset(args: PatchResetArgs = {}): Promise<PatchSingleReset> {
    this.#pending = undefined;
    const r = await this.env.reset(args);
    const { last, reward } = await this.#opponentMoves(r);
    const id = this.learner;
    if (this.env.game.done) {
      const end = last as PatchStep;
      this.#pending = {
        observation: end.observations[id],
        reward,
        terminated: end.terminations[id],
        truncated: end.truncations[id],
        info: end.infos[id],
      };
      return { observation: r.observations[id], info: r.infos[id] };
    }
    return { observation: last.observations[id], info: last.infos[id] };
  }

  /**
   * The learner plays `action`; then the opponent plays while it is its turn.
   * @throws {EnvStateError} before reset or after the end
   * @throws {InvalidArgumentError} for an action outside 0..n, or an opponent's
   */
  async step(action: number): Promise<PatchSingleStep> {
    const pending = this.#pending;
    if (pending) {
      const n = this.env.patchCount;
      if (!(Number.isInteger(action) && action >= 0 && action <= n)) {
        throw new InvalidArgumentError("action", `is ${action}`, `an integer in 0..${n}`);
      }
      this.#pending = undefined;
      return pending;
    }
    const g = this.env.game;
    if (g.running && g.toMove !== (this.learner === "a" ? 0 : 1)) {
      throw new EnvStateError(
        "step",
        "called while the opponent is to move",
        "a game where the learner moves",
      );
    }
    const r = await this.env.step({ [this.learner]: action });
    const { last, reward } = await this.#opponentMoves(r);
    const id = this.learner;
    return {
      observation: last.observations[id],
      reward: r.rewards[id] + reward,
      terminated: last.terminations[id],
      truncated: last.truncations[id],
      info: last.infos[id],
    };
  }

  /** Renders the two-player state. */
  render(): string | RgbaFrame {
    return this.env.render();
  }

  /** Closes the env. */
  close(): void {
    this.env.close();
  }

  /** Opponent moves while it is to move; returns the latest result and the learner's reward sum. */
  async #opponentMoves<R extends PatchReset>(first: R): Promise<{ last: R; reward: number }> {
    const g = this.env.game, side = this.learner === "a" ? 1 : 0, opp = this.learner === "a" ? "b" : "a";
    let last: R = first, reward = 0;
    while (g.running && g.toMove === side) {
      const [a] = await this.#opponent.act([last.observations[opp]], [this.context()]);
      const r: PatchStep = await this.env.step({ [opp]: a });
      reward += r.rewards[this.learner];
      last = r as unknown as R;
    }
    return { last, reward };
  }
}
