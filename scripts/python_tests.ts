/**
 * The Python part of `deno task test`: when `python3` is there, creates (or reuses) a virtual
 * environment under `.tmp/pyenv`, installs `./python` and `python/requirements-test.txt` into it
 * (`pip --no-input`, no retries), runs `python -m pytest python/tests -q` and returns its counts.
 * Without `python3` it says so and counts nothing (the skip is visible, never silent).
 *
 * @module
 */

/** Counts of the Python tests. */
export interface PythonCounts {
  /** Tests passed. */
  readonly passed: number;
  /** Tests failed (or 1 when the environment or pytest itself failed). */
  readonly failed: number;
  /** Tests skipped (pytest's skips). */
  readonly skipped: number;
  /** Why nothing ran, when python3 is absent. */
  readonly absent?: string;
}

const VENV = ".tmp/pyenv";

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<number> {
  const child = new Deno.Command(cmd, { args, env, stdout: "inherit", stderr: "inherit" }).spawn();
  return (await child.status).code;
}

async function python3(): Promise<string | undefined> {
  for (const name of ["python3", "python"]) {
    try {
      const out = await new Deno.Command(name, { args: ["--version"], stdout: "piped", stderr: "piped" })
        .output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      if (out.success && /Python 3\.(9|[1-9]\d)/.test(text)) return name;
    } catch { /* not installed */ }
  }
  return undefined;
}

/** Runs the Python tests; see the module documentation. */
export async function runPythonTests(): Promise<PythonCounts> {
  const py = await python3();
  if (!py) {
    const absent = "python tests SKIPPED: no python3 (>= 3.9) on PATH";
    console.log(absent);
    return { passed: 0, failed: 0, skipped: 0, absent };
  }
  const bin = `${VENV}/bin/python`;
  let fresh = false;
  try {
    await Deno.stat(bin);
  } catch {
    console.log(`python: creating ${VENV}`);
    if (await run(py, ["-m", "venv", VENV]) !== 0) return { passed: 0, failed: 1, skipped: 0 };
    fresh = true;
  }
  const pipEnv = { PIP_RETRIES: "0", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
  const install = [
    "-m",
    "pip",
    "install",
    "--no-input",
    "-q",
    ...(fresh ? [] : ["--no-deps", "--force-reinstall"]),
    "./python",
    ...(fresh ? ["-r", "python/requirements-test.txt"] : []),
  ];
  if (await run(bin, install, pipEnv) !== 0) {
    console.log("python: pip install failed");
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const out = await new Deno.Command(bin, {
    args: ["-m", "pytest", "python/tests", "-q", "-p", "no:cacheprovider"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  await Deno.stdout.write(out.stdout);
  const tail = text.split("\n").filter((l) => /\d+ (passed|failed|skipped|error)/.test(l)).pop() ?? "";
  const n = (word: string): number => Number(tail.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  const failed = n("failed") + n("error") + n("errors");
  return { passed: n("passed"), failed: out.success || failed ? failed : 1, skipped: n("skipped") };
}
