/**
 * The package checks of `deno task test` (issue 17: the test command runs them): the doc lint of every
 * deno.json entry point (scripts/doc_lint.ts) and `deno publish --dry-run`. Each is one check that
 * passes when its command exits 0; its output streams through.
 *
 * @module
 */

/** One package check and whether it passed. */
export interface PackageCheck {
  /** What was checked. */
  readonly name: string;
  /** True when the command exited 0. */
  readonly passed: boolean;
}

const CHECKS: readonly { name: string; args: string[] }[] = [
  {
    name: "doc lint of every entry point",
    args: ["run", "--allow-read", "--allow-run", "scripts/doc_lint.ts"],
  },
  { name: "deno publish --dry-run", args: ["publish", "--dry-run", "--allow-dirty", "--quiet"] },
];

/** Runs the checks in order (with the running Deno) and prints one line each. */
export async function runPackageChecks(): Promise<PackageCheck[]> {
  const out: PackageCheck[] = [];
  for (const c of CHECKS) {
    const child = new Deno.Command(Deno.execPath(), { args: c.args, stdout: "inherit", stderr: "inherit" })
      .spawn();
    const passed = (await child.status).code === 0;
    console.log(`package check: ${c.name} ... ${passed ? "ok" : "FAILED"}`);
    out.push({ name: c.name, passed });
  }
  return out;
}
