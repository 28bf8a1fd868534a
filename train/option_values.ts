/**
 * The option table's vocabulary for `deno task train`: the kinds of option values, one option's
 * spec, how a value's text is read (and hinted in `--help`), and the usage error a bad value raises.
 *
 * @module
 */
import { parseChannels, parseClipPercentiles, parseFold } from "../data/data_source.ts";
import { InvalidArgumentError } from "../data/errors.ts";

/**
 * How an option's text is read: an integer, a number, a string, `ZxYxX`, a comma list of
 * integers, a flag (`--x` / `--no-x`), an intensity window `lo,hi` or `none`, a KL bound or `none`,
 * a range `lo,hi` of non-negative numbers with lo <= hi, three split fractions summing to 1,
 * percentiles `lo,hi` (0 <= lo < hi <= 100) or `none`, a comma list of names (e.g. modalities), a
 * fold `I/K` or `none`.
 */
export type OptionKind =
  | "int"
  | "number"
  | "string"
  | "vec3"
  | "list"
  | "bool"
  | "window"
  | "kl"
  | "range"
  | "fractions"
  | "quantile"
  | "every"
  | "gate"
  | "percentiles"
  | "names"
  | "fold";

/** One CLI option (a `#` name marks a group heading whose title is `help`). */
export interface OptionSpec {
  /** The option without its dashes, e.g. `num-envs`. */
  readonly name: string;
  /** How its text is read. */
  readonly kind: OptionKind;
  /** Dotted path of the value in {@link TrainConfig}, e.g. `ppo.numSteps`. */
  readonly path: string;
  /** One line of help. */
  readonly help: string;
  /** Allowed values of a string option. */
  readonly choices?: readonly string[];
}

/** The placeholder of an option's value in `--help`. */
export function kindHint(spec: OptionSpec): string {
  switch (spec.kind) {
    case "int":
      return "N";
    case "number":
      return "X";
    case "vec3":
      return "ZxYxX";
    case "list":
      return "A,B,..";
    case "window":
      return "LO,HI";
    case "kl":
      return "X|none";
    case "range":
      return "LO,HI";
    case "quantile":
      return "Q|none";
    case "every":
      return "N|auto";
    case "gate":
      return "G|auto";
    case "fractions":
      return "T,V,S";
    case "percentiles":
      return "LO,HI|none";
    case "names":
      return "A,B,..";
    case "fold":
      return "I/K|none";
    default:
      return spec.choices ? "NAME" : "VALUE";
  }
}

/** A usage error of the CLI (exit code 2). */
export class UsageError extends InvalidArgumentError {}

/** Reads one option value from its text.
 * @throws {UsageError} naming the flag and what was expected
 */
export function parseValue(spec: OptionSpec, text: string): unknown {
  const bad = (expected: string): never => {
    throw new UsageError(`--${spec.name}`, `is "${text}"`, expected);
  };
  switch (spec.kind) {
    case "int": {
      const v = Number(text);
      return Number.isInteger(v) ? v : bad("an integer");
    }
    case "number": {
      const v = Number(text);
      return text.trim() !== "" && Number.isFinite(v) ? v : bad("a number");
    }
    case "vec3": {
      const parts = text.split(/[x,]/).map(Number);
      return parts.length === 3 && parts.every((v) => Number.isInteger(v) && v > 0)
        ? parts
        : bad("ZxYxX, e.g. 24x48x48");
    }
    case "list": {
      const parts = text.split(",").map(Number);
      return parts.length && parts.every((v) => Number.isInteger(v) && v > 0)
        ? parts
        : bad("comma-separated integers");
    }
    case "window": {
      if (text === "none") return null;
      const parts = text.split(",").map(Number);
      return parts.length === 2 && parts.every(Number.isFinite) && parts[0] < parts[1]
        ? parts
        : bad('"lo,hi" or none');
    }
    case "gate": {
      if (text === "auto") return "auto";
      const v = Number(text);
      return text.trim() !== "" && v >= 0 && v <= 1 ? v : bad("a score in [0, 1] or auto");
    }
    case "every": {
      if (text === "auto") return "auto";
      const v = Number(text);
      return Number.isInteger(v) && v >= 1 ? v : bad("an integer >= 1 or auto");
    }
    case "quantile": {
      if (text === "none") return null;
      const v = Number(text);
      return text.trim() !== "" && v >= 0 && v <= 1 ? v : bad("a quantile in [0, 1] or none");
    }
    case "range": {
      const parts = text.split(",").map(Number);
      return parts.length === 2 && parts.every((v) => Number.isFinite(v) && v >= 0) && parts[0] <= parts[1]
        ? parts
        : bad('"lo,hi" with 0 <= lo <= hi');
    }
    case "fractions": {
      const parts = text.split(",").map(Number);
      return parts.length === 3 && parts.every((v) => Number.isFinite(v) && v >= 0) &&
          Math.abs(parts[0] + parts[1] + parts[2] - 1) < 1e-9
        ? parts
        : bad('three fractions "train,val,test" >= 0 summing to 1');
    }
    case "percentiles":
      try {
        return parseClipPercentiles(text, `--${spec.name}`);
      } catch {
        return bad('"lo,hi" with 0 <= lo < hi <= 100, or none');
      }
    case "names":
      try {
        return parseChannels(text, `--${spec.name}`);
      } catch {
        return bad("distinct names, e.g. flair or flair,t1ce,t2");
      }
    case "fold":
      try {
        return parseFold(text, `--${spec.name}`);
      } catch {
        return bad("I/K with K >= 3 and 1 <= I <= K (e.g. 1/6), or none");
      }
    case "kl": {
      if (text === "none") return null;
      const v = Number(text);
      return v > 0 ? v : bad("a number > 0 or none");
    }
    default:
      if (spec.choices && !spec.choices.includes(text)) bad(spec.choices.join(" | "));
      return text;
  }
}
