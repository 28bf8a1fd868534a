import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { collectProvenance, gitCommit } from "../train/provenance.ts";
import { createRunFolder } from "../train/run_folder.ts";
import { scratchDir } from "./_helpers.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const SHA2 = "fedcba9876543210fedcba9876543210fedcba98";

Deno.test("gitCommit: loose ref, packed ref, detached HEAD, gitdir file, and unknown", async () => {
  const root = await scratchDir("provenance");
  const repo = join(root, "repo");
  await Deno.mkdir(join(repo, ".git", "refs", "heads"), { recursive: true });
  assert.equal(await gitCommit(repo), "unknown"); // no HEAD
  await Deno.writeTextFile(join(repo, ".git", "HEAD"), "ref: refs/heads/main\n");
  assert.equal(await gitCommit(repo), "unknown"); // HEAD names a ref that does not exist
  await Deno.writeTextFile(join(repo, ".git", "packed-refs"), `# pack-refs\n${SHA2} refs/heads/main\n`);
  assert.equal(await gitCommit(repo), SHA2);
  await Deno.writeTextFile(join(repo, ".git", "refs", "heads", "main"), `${SHA}\n`);
  assert.equal(await gitCommit(repo), SHA); // a loose ref wins over packed-refs
  await Deno.writeTextFile(join(repo, ".git", "HEAD"), `${SHA2}\n`);
  assert.equal(await gitCommit(repo), SHA2); // detached
  const linked = join(root, "linked");
  await Deno.mkdir(linked);
  await Deno.writeTextFile(join(linked, ".git"), `gitdir: ${join(repo, ".git")}\n`);
  assert.equal(await gitCommit(linked), SHA2);
  assert.equal(await gitCommit(join(root, "nothing")), "unknown");
});

Deno.test("provenance: this checkout's commit, versions, command line; written into a run's config.json", async () => {
  const p = await collectProvenance();
  const head = (await Deno.readTextFile(new URL("../.git/HEAD", import.meta.url))).trim();
  const ref = /^ref: (\S+)$/.exec(head)?.[1];
  const loose = ref
    ? await Deno.readTextFile(new URL(`../.git/${ref}`, import.meta.url)).then(
      (t) => t.trim(),
      () => undefined,
    )
    : head;
  if (loose) assert.equal(p.gitCommit, loose); // else packed: checked on the fake repo above
  assert.match(p.gitCommit, /^[0-9a-f]{40}$/);
  assert.match(p.package, /^@spars\/gym@\d+\.\d+\.\d+/);
  assert.equal(p.deno.deno, Deno.version.deno);
  assert.equal(p.tfjs, tf.version_core);
  assert.equal(p.commandLine[0], Deno.mainModule);
  const run = join(await scratchDir("provenance-run"), "run");
  await createRunFolder(run, { seed: 3 });
  const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
  assert.equal(config.seed, 3);
  assert.equal(config.provenance.gitCommit, p.gitCommit);
  assert.equal(config.provenance.tfjs, tf.version_core);
  assert.ok(Array.isArray(config.provenance.commandLine));
});
