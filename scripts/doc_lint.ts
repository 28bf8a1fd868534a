/**
 * `deno doc --lint` on every entry point of deno.json `exports`, in one call. Fails (exit 1) on any
 * error except references to tfjs' own types (Tensor, LayersModel...): re-exporting those would
 * publish tfjs' API as ours, so they are listed as known and counted, not fatal.
 *
 * Run: `deno run --allow-read --allow-run scripts/doc_lint.ts` (part of `deno task check`).
 */
const TFJS_TYPES = new Set([
  "ConfigDict",
  "Layer",
  "LayersModel",
  "Scalar",
  "Shape",
  "Tensor",
  "Tensor1D",
  "Tensor2D",
  "Tensor3D",
  "Tensor4D",
  "Tensor5D",
  "Variable",
]);

const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
const entries: string[] = Object.values(config.exports as Record<string, string>);
const out = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...entries],
  stdout: "piped",
  stderr: "piped",
  env: { NO_COLOR: "1" },
}).output();
const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
// Each diagnostic starts with "error[kind]: message" and names its file on the next "-->" line.
const blocks = text.split(/\n(?=error\[)/).filter((b) => b.startsWith("error["));
let known = 0;
const fatal: string[] = [];
for (const b of blocks) {
  const m = /references private type '([^']+)'/.exec(b);
  if (b.startsWith("error[private-type-ref]") && m && TFJS_TYPES.has(m[1])) known++;
  else fatal.push(b.split("\n").slice(0, 2).join("\n"));
}
for (const f of fatal) console.error(f);
console.log(
  `doc lint of ${entries.join(", ")}: ${fatal.length} error(s), ${known} known reference(s) to tfjs types`,
);
if (fatal.length || (!out.success && blocks.length === 0)) {
  if (!blocks.length) console.error(text);
  Deno.exit(1);
}
