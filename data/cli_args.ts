/**
 * Command-line arguments shared by every CLI: `node:util` parseArgs refuses a value that starts
 * with a dash after a space (`--intensity-window -3,7` is "ambiguous"), so a negative number, or a
 * comma list starting with one, is joined to its option (`--intensity-window=-3,7`) first.
 *
 * @module
 */

/** A value that reads as a negative number or a list starting with one: `-3`, `-0.5`, `-3,7`, `-.5x2`. */
const NEGATIVE_VALUE = /^-(\d|\.\d)/;

/**
 * The arguments with every `--name VALUE` whose option takes a value and whose VALUE starts with a
 * negative number rewritten as `--name=VALUE`, so that parseArgs accepts it. Nothing else changes:
 * a boolean option followed by `-3` still fails as an unexpected argument, and `--name=-3` and
 * arguments after a `--` terminator are left as they are.
 *
 * @param args the arguments, without the program name
 * @param valueOptions names (without dashes) of the options that take a value
 * @returns a new array (the input is not modified)
 */
export function joinNegativeValues(
  args: readonly string[],
  valueOptions: Iterable<string>,
): string[] {
  const takesValue = new Set(valueOptions);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (
      arg.startsWith("--") && !arg.includes("=") && takesValue.has(arg.slice(2)) &&
      next !== undefined && NEGATIVE_VALUE.test(next)
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * The names of the options of a parseArgs option table that take a value (type "string").
 * @param options a parseArgs `options` object
 */
export function valueOptionNames(options: Record<string, { type: "string" | "boolean" }>): string[] {
  return Object.entries(options).filter(([, o]) => o.type === "string").map(([name]) => name);
}
