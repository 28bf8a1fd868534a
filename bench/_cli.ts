/**
 * The command line shared by the benchmarks: string options with defaults, `--help` (the usage,
 * what the benchmark measures, every option with its default), and an error naming an unknown
 * option or a missing value (exit code 2) instead of a crash.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { InvalidArgumentError } from "../data/errors.ts";

/** One option of a benchmark: its default text and one line of help. */
export interface BenchOption {
  /** The default, as it would be typed. */
  readonly default: string;
  /** What the option sets. */
  readonly help: string;
}

/** A benchmark's command line. */
export interface BenchCli {
  /** The usage line, e.g. `deno task bench:ppo [options]`. */
  readonly usage: string;
  /** What the benchmark measures (a few lines). */
  readonly about: string;
  /** The options without their dashes. */
  readonly options: Readonly<Record<string, BenchOption>>;
}

/** The `--help` text of a benchmark. */
export function benchHelp(cli: BenchCli): string {
  const lines = [cli.usage, "", cli.about.trim(), "", "Options (defaults in brackets):"];
  for (const [name, o] of Object.entries(cli.options)) {
    lines.push(`  --${name.padEnd(20)} ${o.help} [${o.default}]`);
  }
  lines.push(`  --${"help".padEnd(20)} this text`);
  return lines.join("\n") + "\n";
}

/**
 * Parses a benchmark's arguments.
 * @returns `"help"` for `--help`, else every option's value (defaults filled in)
 * @throws {InvalidArgumentError} naming an unknown option, a missing value or a positional argument
 */
export function parseBenchArgs(args: readonly string[], cli: BenchCli): "help" | Record<string, string> {
  const options: Record<string, { type: "string" | "boolean"; default?: string }> = {
    help: { type: "boolean" },
  };
  for (const [name, o] of Object.entries(cli.options)) options[name] = { type: "string", default: o.default };
  let values: Record<string, string | boolean | undefined>;
  try {
    const joined = joinDashedValues(args, Object.keys(cli.options));
    ({ values } = parseArgs({ args: joined, options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new InvalidArgumentError("arguments", (e as Error).message, "the options listed by --help");
  }
  if (values.help) return "help";
  return Object.fromEntries(Object.keys(cli.options).map((k) => [k, values[k] as string]));
}

/**
 * `--name VALUE` rewritten as `--name=VALUE` when VALUE starts with a dash but is not one of the
 * benchmark's own options: parseArgs calls such a value ambiguous, yet pass-through values such as
 * `--train '--total-steps 4096'` start with one.
 */
function joinDashedValues(args: readonly string[], names: readonly string[]): string[] {
  const own = (arg: string) =>
    arg === "--help" || names.some((n) => arg === `--${n}` || arg.startsWith(`--${n}=`));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i], next = args[i + 1];
    if (own(arg) && arg !== "--help" && !arg.includes("=") && next?.startsWith("-") && !own(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * The options of a benchmark run from the command line: prints the help and exits 0 on `--help`,
 * prints the error and the help and exits 2 on a bad argument.
 * @param args the arguments (default `Deno.args`; a module imported by tests passes `[]`)
 */
export function benchArgs(cli: BenchCli, args: readonly string[] = Deno.args): Record<string, string> {
  let parsed: "help" | Record<string, string>;
  try {
    parsed = parseBenchArgs(args, cli);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\n${benchHelp(cli)}`);
    Deno.exit(2);
  }
  if (parsed === "help") {
    console.log(benchHelp(cli));
    Deno.exit(0);
  }
  return parsed;
}
