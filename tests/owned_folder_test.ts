import assert from "node:assert/strict";
import { join } from "node:path";
import {
  acquireFolderLock,
  assertFolderUnlocked,
  FolderLockedError,
  LOCK_FILE,
} from "../data/folder_lock.ts";
import {
  checkOwnedTarget,
  commitOwnedFolder,
  createOwnedFolder,
  OwnedFolderError,
  OWNER_MARKER,
  prepareOwnedFolder,
  readFolderKind,
  removeFolderByRename,
} from "../data/owned_folder.ts";
import { scratchDir } from "./_helpers.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("owned folder: created with its marker; --force replaces only the same kind, via a hidden trash", async () => {
  const root = await scratchDir("owned");
  const dir = join(root, "report");
  await createOwnedFolder(dir, "eval-report", {
    flag: "--out",
    fill: (t) => Deno.writeTextFile(join(t, "a.txt"), "1"),
  });
  assert.equal(await readFolderKind(dir), "eval-report");
  assert.deepEqual(await names(dir), [OWNER_MARKER, "a.txt"]);
  // Without force: refused, and the message says what is there and what to do.
  await assert.rejects(
    createOwnedFolder(dir, "eval-report", { flag: "--out" }),
    (e) =>
      e instanceof OwnedFolderError &&
      /--out .*report: already exists \(an evaluation report folder\).*--force to replace it/.test(e.message),
  );
  await createOwnedFolder(dir, "eval-report", {
    flag: "--out",
    force: true,
    fill: (t) => Deno.writeTextFile(join(t, "b.txt"), "2"),
  });
  assert.deepEqual(await names(dir), [OWNER_MARKER, "b.txt"]);
  assert.deepEqual(await names(root), ["report"], "no temporary or trash folder left");
  // Another command's folder of the same tree is never replaced.
  await assert.rejects(
    createOwnedFolder(dir, "demo-output", { flag: "--out", force: true }),
    /is an evaluation report folder \(written by deno task eval\); --force of deno task demo replaces only a demo output folder/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("owned folder: --force never replaces a file, a folder without marker, or a folder holding a run", async () => {
  const root = await scratchDir("owned-refuse");
  const file = join(root, "file.txt");
  await Deno.writeTextFile(file, "precious");
  await assert.rejects(
    checkOwnedTarget(file, "eval-report", { flag: "--out", force: true }),
    (e) =>
      e instanceof OwnedFolderError && /--out .*file\.txt: is a file.*delete it yourself/.test(e.message),
  );
  const plain = join(root, "plain");
  await Deno.mkdir(plain);
  await Deno.writeTextFile(join(plain, "config.json"), "{}");
  await assert.rejects(
    checkOwnedTarget(plain, "train-run", { flag: "--run", force: true }),
    /was not written by deno task train \(it holds no \.spars-gym-folder\.json\)/,
  );
  // An eval report folder that holds a training run (moved in by hand) is not replaced.
  const report = join(root, "report");
  await createOwnedFolder(report, "eval-report", { flag: "--out" });
  await createOwnedFolder(join(report, "inner", "run"), "train-run", { flag: "--run" });
  await assert.rejects(
    checkOwnedTarget(report, "eval-report", { flag: "--out", force: true }),
    /holds a training run folder .*inner\/run.*never replaced/,
  );
  assert.equal(await Deno.readTextFile(file), "precious");
  assert.deepEqual(await names(plain), ["config.json"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("folder lock: one holder; a second one (even in this process) is refused with the pid; stale locks are taken over", async () => {
  const root = await scratchDir("lock");
  const first = await acquireFolderLock(root, "test one");
  const held = JSON.parse(await Deno.readTextFile(join(root, LOCK_FILE)));
  assert.equal(held.pid, Deno.pid);
  assert.equal(held.command, "test one");
  await assert.rejects(
    acquireFolderLock(root, "test two"),
    (e) =>
      e instanceof FolderLockedError && e.holder?.pid === Deno.pid &&
      new RegExp(`is in use: locked by process ${Deno.pid} \\(test one`).test(e.message),
  );
  await assert.rejects(assertFolderUnlocked(root), FolderLockedError);
  // --force refuses a locked folder of its own kind.
  const report = join(root, "report");
  await createOwnedFolder(report, "eval-report", { flag: "--out" });
  const reportLock = await acquireFolderLock(report, "deno task eval");
  await assert.rejects(
    checkOwnedTarget(report, "eval-report", { flag: "--out", force: true }),
    FolderLockedError,
  );
  const temp = await prepareOwnedFolder(report, "eval-report");
  await assert.rejects(
    commitOwnedFolder(temp, report, "eval-report", { flag: "--out", force: true }),
    FolderLockedError,
  );
  assert.equal(await readFolderKind(report), "eval-report");
  await Deno.remove(temp, { recursive: true });
  await reportLock.release();

  await first.release();
  assert.deepEqual((await names(root)).includes(LOCK_FILE), false, "released: file removed");
  await assertFolderUnlocked(root);
  // A lock file left by a killed process (nobody holds its OS lock) is stale: taken over.
  await Deno.writeTextFile(
    join(root, LOCK_FILE),
    JSON.stringify({ pid: 999999, startedAt: "2020-01-01T00:00:00Z", command: "killed" }),
  );
  await assertFolderUnlocked(root);
  {
    await using again = await acquireFolderLock(root, "test three");
    assert.equal(again.replacedStale?.pid, 999999);
    assert.equal(JSON.parse(await Deno.readTextFile(join(root, LOCK_FILE))).command, "test three");
  }
  assert.equal((await names(root)).includes(LOCK_FILE), false, "await using released it");
  await Deno.remove(root, { recursive: true });
});

Deno.test("removeFolderByRename: the name disappears first; only a hidden trash name is ever partial", async () => {
  const root = await scratchDir("trash");
  await Deno.mkdir(join(root, "update-00000002", "deep"), { recursive: true });
  await Deno.writeTextFile(join(root, "update-00000002", "deep", "x.bin"), "x");
  const renames: string[] = [];
  const rename = Deno.rename;
  Deno.rename = (from: string | URL, to: string | URL) => {
    renames.push(`${from} -> ${to}`);
    return rename(from, to);
  };
  try {
    await removeFolderByRename(join(root, "update-00000002"));
  } finally {
    Deno.rename = rename;
  }
  assert.equal(renames.length, 1);
  assert.match(renames[0], /update-00000002 -> .*\/\.update-00000002\.trash-[0-9a-f-]+$/);
  assert.deepEqual(await names(root), []);
  await Deno.remove(root, { recursive: true });
});
