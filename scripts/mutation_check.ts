/**
 * Mutation check of the PPO/rollout/GAE tests (issue 11): each mutation below is applied to a
 * throw-away copy of the committed tree (`git archive HEAD` into `.tmp/`), the tests that should
 * catch it are run there, and the failing tests are recorded; the copy is restored after every
 * mutation and removed at the end. The working tree is never written. Prints a markdown table and
 * exits 1 when a mutation survives (no test fails) or the unmutated copy does not pass.
 *
 * `deno run --allow-read --allow-write=.tmp --allow-run scripts/mutation_check.ts [--worktree] [id ...]`
 *
 * `--worktree` copies the working tree (tracked and untracked, not ignored files) instead of HEAD,
 * for when HEAD does not build while others commit in steps.
 *
 * @module
 */

/** One textual change of one file; `find` must occur exactly once. */
interface Patch {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

/** Test files (with an optional `--filter`) run for a mutation. */
interface Suite {
  readonly files: readonly string[];
  readonly filter?: string;
}

interface Mutation {
  readonly id: string;
  readonly what: string;
  readonly patches: readonly Patch[];
  readonly suites: readonly Suite[];
}

const FAST: Suite = {
  files: ["tests/ppo_test.ts", "tests/ppo_update_test.ts", "tests/gae_test.ts", "tests/rollout_test.ts"],
};
const SCHEDULE: Suite = { files: ["tests/self_play_train_test.ts"], filter: "learning-rate schedule" };
const PPO = "agents/ppo.ts", GAE = "agents/gae.ts", ROLLOUT = "agents/rollout.ts";

const MUTATIONS: readonly Mutation[] = [
  {
    id: "a",
    what: "raw instead of clipped gradients",
    patches: [{
      file: PPO,
      find: "await this.optimizer.apply(clipped);",
      replace: "await this.optimizer.apply(gradients);",
    }],
    suites: [FAST],
  },
  {
    id: "b",
    what: "adamEpsilon ignored (Adam's default 1e-5)",
    patches: [{ file: PPO, find: "      epsilon: this.options.adamEpsilon,\n", replace: "" }],
    suites: [FAST],
  },
  {
    id: "c1",
    what: "LR annealing removed (learningRateAt constant)",
    patches: [{
      file: PPO,
      find: "    if (!this.options.annealLearningRate) return this.options.learningRate;\n",
      replace: "    return this.options.learningRate;\n",
    }],
    suites: [FAST, SCHEDULE],
  },
  {
    id: "c2",
    what: "LR annealing removed (self-play passes the base rate)",
    patches: [{
      file: "train/self_play.ts",
      find: "ppo.learningRateAt(update, scheduleUpdates)",
      replace: "ppo.options.learningRate",
    }],
    suites: [FAST, SCHEDULE],
  },
  {
    id: "d",
    what: "target-KL early stop removed",
    patches: [{
      file: PPO,
      find: "      if (o.targetKl !== null && epochKl / epochBatches > o.targetKl) break;\n",
      replace: "",
    }],
    suites: [FAST],
  },
  {
    id: "e1",
    what: "autoreset mask ignored in batchFromRollout (every row a sample)",
    patches: [{
      file: PPO,
      find: "const indices = buffer.validIndices(),",
      replace: "const indices = Int32Array.from({ length: buffer.size }, (_, i) => i),",
    }],
    suites: [FAST],
  },
  {
    id: "e2",
    what: "autoreset rows stored as valid (rollout)",
    patches: [{ file: ROLLOUT, find: "const valid = r.autoreset[i] === 0;", replace: "const valid = true;" }],
    suites: [FAST],
  },
  {
    id: "e3",
    what: "autoreset mask inverted (rollout)",
    patches: [{
      file: ROLLOUT,
      find: "const valid = r.autoreset[i] === 0;",
      replace: "const valid = r.autoreset[i] === 1;",
    }],
    suites: [FAST],
  },
  {
    id: "f1",
    what: "truncation bootstrap V(final obs) replaced by 0 (GAE)",
    patches: [{
      file: GAE,
      find: "(terminated ? 0 : gamma * nextValue)",
      replace: "(ended ? 0 : gamma * nextValue)",
    }],
    suites: [FAST],
  },
  {
    id: "f2",
    what: "final-observation value stored as 0 on autoreset rows (rollout)",
    patches: [
      {
        file: ROLLOUT,
        find: "          value: mine.values[i],\n",
        replace: "          value: valid ? mine.values[i] : 0,\n",
      },
      {
        file: ROLLOUT,
        find: "            value: theirValues![i],\n",
        replace: "            value: valid ? theirValues![i] : 0,\n",
      },
    ],
    suites: [FAST],
  },
  {
    id: "g",
    what: "bootstrap applied on termination too (GAE)",
    patches: [{ file: GAE, find: "(terminated ? 0 : gamma * nextValue)", replace: "gamma * nextValue" }],
    suites: [FAST],
  },
  {
    id: "h",
    what: "item 2: a resume anneals over the new total",
    patches: [{
      file: "train/self_play.ts",
      find: "scheduleUpdates = restored?.scheduleUpdates ?? totalUpdates;",
      replace: "scheduleUpdates = totalUpdates;",
    }],
    suites: [SCHEDULE],
  },
  {
    id: "i",
    what: "item 3: paper preset halves the value loss (CleanRL form)",
    patches: [{
      file: PPO,
      find: "  valueLossHalf: false,\n  entCoef: 0,",
      replace: "  valueLossHalf: true,\n  entCoef: 0,",
    }],
    suites: [{ files: ["tests/ppo_test.ts"] }, { files: ["tests/train_cli_test.ts"], filter: "presets" }],
  },
  {
    id: "j",
    what: "item 4: eval opens a folder dataset with split seed 0",
    patches: [{
      file: "eval/run_data.ts",
      find: "    spec: data,\n    seed,\n",
      replace: "    spec: data,\n    seed: 0,\n",
    }],
    suites: [{ files: ["tests/run_eval_split_test.ts"] }],
  },
];

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

async function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: out.code, text: (d.decode(out.stdout) + d.decode(out.stderr)).replace(ANSI, "") };
}

/** Runs the suites in `dir`; returns the failing test names (or a load error) and whether all ran. */
async function runSuites(dir: string, suites: readonly Suite[], check: boolean): Promise<string[]> {
  const failed: string[] = [];
  for (const s of suites) {
    const args = [
      "test",
      "--allow-read",
      "--allow-write=.tmp",
      "--allow-env",
      ...(check ? [] : ["--no-check"]),
    ];
    if (s.filter) args.push("--filter", s.filter);
    const r = await run(Deno.execPath(), [...args, ...s.files], dir);
    const names = [...r.text.matchAll(/^(.+?) \.\.\. FAILED/gm)].map((m) => m[1].trim());
    failed.push(...new Set(names));
    if (r.code !== 0 && names.length === 0) {
      failed.push(`(no test ran: ${r.text.split("\n").slice(-6).join(" ")})`);
    }
  }
  return failed;
}

async function main(): Promise<number> {
  const worktree = Deno.args.includes("--worktree");
  const only = new Set(Deno.args.filter((a) => a !== "--worktree"));
  const root = new URL("../", import.meta.url).pathname;
  await Deno.mkdir(`${root}.tmp`, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: `${root}.tmp`, prefix: "mutation-" });
  try {
    // The copy shares the installed npm packages through a link (made by ln: Deno's symlink needs
    // unscoped permissions).
    const files = worktree
      ? `git -C '${root}' ls-files -z -co --exclude-standard | tar -C '${root}' --null -T - -c`
      : `git -C '${root}' archive HEAD`;
    const copy = `${files} | tar -x -C '${dir}' && ln -s '${root}node_modules' '${dir}/node_modules'`;
    const archive = await run("sh", ["-c", copy], root);
    if (archive.code !== 0) throw new Error(`copying HEAD failed: ${archive.text}`);
    const chosen = MUTATIONS.filter((m) => !only.size || only.has(m.id));
    const allSuites = [
      ...new Map(chosen.flatMap((m) => m.suites).map((s) => [JSON.stringify(s), s])).values(),
    ];
    const baseline = await runSuites(dir, allSuites, true);
    if (baseline.length) {
      console.log(`The unmutated tree fails: ${baseline.join("; ")}`);
      return 1;
    }
    const rows: string[] = [];
    let survivors = 0;
    for (const m of chosen) {
      const originals = new Map<string, string>();
      try {
        for (const p of m.patches) {
          const path = `${dir}/${p.file}`;
          const text = originals.get(p.file) ?? await Deno.readTextFile(path);
          if (!originals.has(p.file)) originals.set(p.file, text);
          const current = await Deno.readTextFile(path);
          const count = current.split(p.find).length - 1;
          if (count !== 1) throw new Error(`mutation ${m.id}: ${p.file} holds the pattern ${count} times`);
          await Deno.writeTextFile(path, current.replace(p.find, p.replace));
        }
        const failed = await runSuites(dir, m.suites, false);
        if (!failed.length) survivors++;
        rows.push(`| ${m.id} | ${m.what} | ${failed.length ? failed.join("<br>") : "**none: survived**"} |`);
        console.error(`${m.id}: ${failed.length} failing`);
      } finally {
        for (const [file, text] of originals) await Deno.writeTextFile(`${dir}/${file}`, text);
      }
    }
    console.log("| mutation | change | failing tests |\n| --- | --- | --- |\n" + rows.join("\n"));
    return survivors ? 1 : 0;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
