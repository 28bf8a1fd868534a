/**
 * Runs `deno test` with the project's scoped permissions, streams its output, and ends with the
 * plain line `N passed, N failed` (plus `, N skipped`) that CI counts. Extra arguments are passed
 * to `deno test` (for example a file or `--filter name`). With no arguments it then runs the Python
 * client's tests (`scripts/python_tests.ts`, skipped visibly without python3) and the package checks
 * (`scripts/package_checks.ts`: doc lint of every entry point, `deno publish --dry-run`), and adds
 * their counts; `deno task test python/` runs only the Python tests.
 */
import { runPackageChecks } from "./package_checks.ts";
import { type PythonCounts, runPythonTests } from "./python_tests.ts";

const pythonOnly = Deno.args.length > 0 && Deno.args.every((a) => a.replace(/\/$/, "").startsWith("python"));
const withPython = Deno.args.length === 0 || pythonOnly;
const permissions = [
  "--allow-read",
  "--allow-write=.tmp,runs",
  "--allow-env",
  "--allow-ffi",
  "--allow-net=127.0.0.1",
];
const paths = Deno.args.some((a) => a.endsWith(".ts") || a.endsWith("/")) ? [] : ["tests/"];
const args = ["test", ...permissions, ...Deno.args, ...paths];
let tail = "";
let code = 0;
if (!pythonOnly) {
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).spawn();
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
  }
  code = (await child.status).code;
}
// Deno's summary: "ok | 12 passed (3 steps) | 0 failed | 2 ignored (5s)".
const plain = tail.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
const count = (word: string): number => {
  const all = [...plain.matchAll(new RegExp(`(\\d+) ${word}`, "g"))];
  return all.length ? Number(all[all.length - 1][1]) : 0;
};
const py: PythonCounts = withPython ? await runPythonTests() : { passed: 0, failed: 0, skipped: 0 };
const checks = Deno.args.length === 0 ? await runPackageChecks() : [];
const checksFailed = checks.filter((c) => !c.passed).length;
const passed = count("passed") + py.passed + checks.length - checksFailed;
const skipped = count("ignored") + py.skipped;
const failed = (code !== 0 && count("failed") === 0 ? 1 : count("failed")) + py.failed + checksFailed;
const note = withPython
  ? ` (python: ${py.absent ? "skipped, no python3" : `${py.passed} passed, ${py.failed} failed`})`
  : "";
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}${note}`);
Deno.exit(code !== 0 ? code : py.failed || checksFailed ? 1 : 0);
