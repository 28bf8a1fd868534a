/**
 * Runs `deno test` with the project's scoped permissions, streams its output, and ends with the
 * plain line `N passed, N failed` (plus `, N skipped`) that CI counts. Extra arguments are passed
 * to `deno test` (for example a file or `--filter name`).
 */
const permissions = ["--allow-read", "--allow-write=.tmp,runs", "--allow-env", "--allow-ffi"];
const paths = Deno.args.some((a) => a.endsWith(".ts") || a.endsWith("/")) ? [] : ["tests/"];
const args = ["test", ...permissions, ...Deno.args, ...paths];
const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).spawn();
const decoder = new TextDecoder();
let tail = "";
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
}
const status = await child.status;
// Deno's summary: "ok | 12 passed (3 steps) | 0 failed | 2 ignored (5s)".
const plain = tail.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
const count = (word: string): number => {
  const all = [...plain.matchAll(new RegExp(`(\\d+) ${word}`, "g"))];
  return all.length ? Number(all[all.length - 1][1]) : 0;
};
const passed = count("passed"), failed = count("failed"), skipped = count("ignored");
const failedRun = status.code !== 0 && failed === 0 ? 1 : failed;
console.log(`${passed} passed, ${failedRun} failed${skipped ? `, ${skipped} skipped` : ""}`);
Deno.exit(status.code);
