/**
 * `npm run backup:check [-- --rows N] [--keep]`: an online backup of the embedded default, restored and
 * checked (README "Operations", "Backups").
 *
 * 1. Starts the embedded default (local chain, SQLite) in a temporary DATA_DIR, uploads
 *    `examples/csb-cre.csv` and waits until every certificate is issued; keeps each one's
 *    `GET /certificates/{id}` answer and its PDF's SHA-256 (fetched with its claim code).
 * 2. Uploads a second batch (the last N rows of `examples/csb-cre-10k.csv`, default 200) and, while the
 *    pipeline is working on it, takes the backup without stopping anything:
 *    - `ecert.sqlite` through SQLite's online backup API (better-sqlite3's `db.backup(file)`) on a
 *      separate read-only connection. The service runs in WAL mode, so this reader sees one committed
 *      snapshot and never blocks the service's writes. The copy is made in one backup step (the progress
 *      callback asks for every remaining page at once): in steps, a write by the service between two
 *      steps would restart the copy, and a busy service could keep it from ever finishing. Never `cp`
 *      the `.sqlite` file: recent commits are in `ecert.sqlite-wal`.
 *    - then `chain/journal.jsonl`, the local chain's journal: EDR keeps the chain in memory only and a
 *      start replays this file, so without it the anchors the database points at do not exist. It is
 *      copied AFTER the database: every anchor the database records as done was in the journal first
 *      (each line is fsynced before the transaction's answer), so a later journal holds all of them, and
 *      at most some anchors the restored database does not know yet (the service's reconcile and the
 *      retried batch handle those). A line being appended while it is copied is cut short in the copy:
 *      the next start drops a torn last line (its sender never got an answer).
 *    - `pki/`: the development CA and the departments' PDF-signing certificates and keys. The registry
 *      names those certificates (by fingerprint, registered from these files): new ones made on a start
 *      without them would sign new PDFs with a certificate the registry does not list. Written once.
 *    - `dev.json`: the development API keys in clear (the database holds only their hashes): without
 *      it the restored service makes new keys and the clients' keys still work but are lost to the
 *      operator. Its URLs are rewritten at every start.
 *    Anything else in DATA_DIR (`ecert.sqlite-wal`, `-shm`) is not copied: the backup holds their
 *    contents.
 * 3. Stops the service, restores into a new DATA_DIR, starts a service there and checks: the same API
 *    keys work; every certificate of the first upload reads back through `GET /certificates/{id}` as it
 *    did, its PDF downloads through `GET /claim/{code}/pdf` with the same bytes and `POST /verify` says
 *    VALID; the second upload finishes on the restored service; the integrity check (`certs check`) holds.
 *
 * Prints what it does, then one JSON line with the counts, the backup's size and time. Exit 0 only
 * when every check holds; 1 on any mismatch. The temporary directories are removed unless `--keep`.
 * The PostgreSQL variant (pg_dump, pg_restore) is in the README.
 */
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual, parseArgs } from "node:util";
import Database from "better-sqlite3";
import { JsonRpcProvider } from "ethers";
import { loadConfig } from "../server/config.ts";
import { DEFAULT_SQLITE_FILE } from "../server/db/open-store.ts";
import { checkIntegrity } from "../server/integrity/check.ts";
import { startServer, type RunningServer } from "../server/start.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200" },
    keep: { type: "boolean", default: false },
  },
});
const secondRows = Number(values.rows);
if (!Number.isInteger(secondRows) || secondRows < 1 || secondRows > 10_000) {
  console.error("--rows: give a whole number of rows from 1 to 10000");
  process.exit(64);
}

/** What DATA_DIR holds besides the database, for a restore (see the module comment). */
const DATA_DIR_ENTRIES = ["chain", "pki", "dev.json"];

type Answer = { status: number; json: unknown; bytes: Uint8Array };
type Accepted = { id: string; row: number; claimCode: string; certificateNumber: string };

const problems: string[] = [];
const started = performance.now();
const seconds = (from: number) => Math.round(performance.now() - from) / 1000;
const say = (message: string) => console.log(`[${seconds(started).toFixed(1)} s] ${message}`);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function serverEnv(dataDir: string): Record<string, string> {
  return { DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "warn", BATCH_WAIT_MS: "200", PUBLIC_RATE_LIMIT: "1000000" };
}

async function call(
  server: RunningServer,
  method: string,
  route: string,
  options: { key?: string; body?: Uint8Array; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body) headers["content-type"] = options.contentType ?? "application/octet-stream";
  const res = await fetch(`${server.url}/api/v1${route}`, { method, headers, body: options.body as BodyInit });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: res.status, json, bytes };
}

async function upload(
  server: RunningServer,
  key: string,
  csv: Uint8Array,
): Promise<{ batchId: string; certificates: Accepted[] }> {
  const res = await call(server, "POST", "/batches?type=csb-cre", { key, body: csv, contentType: "text/csv" });
  if (res.status !== 202) throw new Error(`POST /batches answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json as { batchId: string; certificates: Accepted[] };
}

async function batch(
  server: RunningServer,
  key: string,
  batchId: string,
): Promise<{ done: boolean; progress: Record<string, number> }> {
  const res = await call(server, "GET", `/batches/${batchId}`, { key });
  if (res.status !== 200) throw new Error(`GET /batches/${batchId} answered ${res.status}`);
  return res.json as { done: boolean; progress: Record<string, number> };
}

async function waitDone(server: RunningServer, key: string, batchId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await batch(server, key, batchId);
    if (b.done || Date.now() > deadline) return b;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sizeOf(target: string): Promise<number> {
  const s = await stat(target);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const entry of await readdir(target)) total += await sizeOf(path.join(target, entry));
  return total;
}

const dirs = {
  original: await mkdtemp(path.join(tmpdir(), "ecert-backup-original-")),
  backup: await mkdtemp(path.join(tmpdir(), "ecert-backup-")),
  restored: await mkdtemp(path.join(tmpdir(), "ecert-backup-restored-")),
};
let running: RunningServer | undefined;
const report: Record<string, unknown> = {};
try {
  // 1. The service, and a first upload issued.
  say(`starting the embedded default in ${dirs.original}`);
  running = await startServer(loadConfig(serverEnv(dirs.original)));
  const original = running;
  const key = original.dev!.apiKeys.CSB;
  const first = await upload(original, key, await readFile(path.join(ROOT, "examples/csb-cre.csv")));
  const firstDone = await waitDone(original, key, first.batchId, 120_000);
  say(`first upload ${first.batchId}: ${first.certificates.length} accepted, ${JSON.stringify(firstDone.progress)}`);
  if (!firstDone.done || firstDone.progress.issued !== first.certificates.length)
    throw new Error(`the first upload did not finish: ${JSON.stringify(firstDone.progress)}`);
  const expected = new Map<string, { answer: unknown; pdf: string }>();
  for (const c of first.certificates) {
    const answer = await call(original, "GET", `/certificates/${c.id}`, { key });
    const pdf = await call(original, "GET", `/claim/${c.claimCode}/pdf`);
    if (answer.status !== 200 || pdf.status !== 200)
      throw new Error(`certificate ${c.id}: GET answered ${answer.status}, its PDF ${pdf.status}`);
    expected.set(c.id, { answer: answer.json, pdf: sha256(pdf.bytes) });
  }

  // 2. A second upload, and the online backup while the pipeline works on it.
  const lines = (await readFile(path.join(ROOT, "examples/csb-cre-10k.csv"), "utf8")).trimEnd().split("\n");
  const secondCsv = new TextEncoder().encode(`${[lines[0], ...lines.slice(-secondRows)].join("\n")}\n`);
  const second = await upload(original, key, secondCsv);
  say(`second upload ${second.batchId}: ${second.certificates.length} accepted; backing up while it is processed`);
  await new Promise((r) => setTimeout(r, 300)); // let the pipeline close the batch and start on it
  const before = await batch(original, key, second.batchId);

  const backupStarted = performance.now();
  const source = new Database(path.join(dirs.original, DEFAULT_SQLITE_FILE), { readonly: true, fileMustExist: true });
  let pages = 0;
  try {
    source.pragma("busy_timeout = 5000");
    const result = await source.backup(path.join(dirs.backup, DEFAULT_SQLITE_FILE), {
      progress: () => 0x7fffffff, // the rest in one step: one snapshot, no restart
    });
    pages = result.totalPages;
  } finally {
    source.close();
  }
  const databaseMs = performance.now() - backupStarted;
  for (const entry of DATA_DIR_ENTRIES)
    await cp(path.join(dirs.original, entry), path.join(dirs.backup, entry), { recursive: true });
  const backupMs = performance.now() - backupStarted;
  const after = await batch(original, key, second.batchId);
  const copy = new Database(path.join(dirs.backup, DEFAULT_SQLITE_FILE), { readonly: true });
  let inBackup: Record<string, number>;
  try {
    const integrity = copy.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") problems.push(`the backup fails PRAGMA integrity_check: ${String(integrity)}`);
    inBackup = Object.fromEntries(
      (
        copy
          .prepare("SELECT status, COUNT(*) AS n FROM certificates WHERE upload_id = ? GROUP BY status")
          .all(second.batchId) as { status: string; n: number }[]
      ).map((r) => [r.status, r.n]),
    );
  } finally {
    copy.close();
  }
  const databaseBytes = await sizeOf(path.join(dirs.backup, DEFAULT_SQLITE_FILE));
  const backupBytes = await sizeOf(dirs.backup);
  say(
    `backup: ecert.sqlite ${pages} pages, ${databaseBytes} bytes in ${Math.round(databaseMs)} ms; with ` +
      `${DATA_DIR_ENTRIES.join(", ")}: ${backupBytes} bytes in ${Math.round(backupMs)} ms`,
  );
  say(
    `second upload during the backup: ${JSON.stringify(before.progress)} -> ${JSON.stringify(after.progress)}; ` +
      `in the backup: ${JSON.stringify(inBackup)}`,
  );
  const inFlight = (before.progress.pending ?? 0) + (before.progress.anchoring ?? 0) > 0 || !after.done;
  if (!inFlight) say("(the second upload had finished before the backup began: use a larger --rows)");

  // 3. Stop, restore into a new DATA_DIR, start there and check.
  await original.stop();
  running = undefined;
  say(`service stopped; restoring into ${dirs.restored}`);
  for (const entry of [DEFAULT_SQLITE_FILE, ...DATA_DIR_ENTRIES])
    await cp(path.join(dirs.backup, entry), path.join(dirs.restored, entry), { recursive: true });
  const restartedAt = performance.now();
  running = await startServer(loadConfig(serverEnv(dirs.restored)));
  const restored = running;
  say(`restored service started in ${seconds(restartedAt)} s at ${restored.url}`);
  if (restored.dev!.apiKeys.CSB !== key) problems.push("the restored service made a new CSB API key");
  if (restored.dev!.registry !== original.dev!.registry)
    problems.push(`the restored chain's registry is ${restored.dev!.registry}, not ${original.dev!.registry}`);

  let readBack = 0;
  let pdfs = 0;
  let valid = 0;
  for (const c of first.certificates) {
    const want = expected.get(c.id)!;
    const answer = await call(restored, "GET", `/certificates/${c.id}`, { key });
    if (answer.status !== 200) problems.push(`certificate ${c.id}: GET /certificates/{id} answered ${answer.status}`);
    else if (!isDeepStrictEqual(answer.json, want.answer))
      problems.push(
        `certificate ${c.id}: reads back as ${JSON.stringify(answer.json)}, not ${JSON.stringify(want.answer)}`,
      );
    else readBack++;
    const pdf = await call(restored, "GET", `/claim/${c.claimCode}/pdf`);
    if (pdf.status !== 200) {
      problems.push(`certificate ${c.id}: GET /claim/{code}/pdf answered ${pdf.status}`);
      continue;
    }
    if (sha256(pdf.bytes) !== want.pdf) problems.push(`certificate ${c.id}: the PDF differs from the one issued`);
    else pdfs++;
    const verdict = await call(restored, "POST", "/verify", { body: pdf.bytes, contentType: "application/pdf" });
    const status = (verdict.json as { status?: string } | undefined)?.status;
    if (status !== "VALID") problems.push(`certificate ${c.id}: POST /verify says ${status ?? verdict.status}`);
    else valid++;
  }
  say(`first upload on the restored service: ${readBack} read back, ${pdfs} PDFs as issued, ${valid} VALID`);

  const secondAfter = await waitDone(restored, key, second.batchId, 180_000);
  const restoredSecond = Object.values(secondAfter.progress).reduce((a, b) => a + b, 0);
  say(`second upload on the restored service: ${JSON.stringify(secondAfter.progress)}`);
  if (!secondAfter.done || secondAfter.progress.issued !== second.certificates.length)
    problems.push(`the second upload did not finish on the restored service: ${JSON.stringify(secondAfter.progress)}`);

  const provider = new JsonRpcProvider(restored.localChain!.rpcUrl, undefined, { staticNetwork: true });
  let integrity: boolean;
  try {
    const check = await checkIntegrity({
      store: restored.store,
      provider,
      registry: restored.dev!.registry,
      chainId: restored.dev!.chainId,
    });
    integrity = check.ok;
    for (const c of check.checks.filter((c) => !c.ok))
      problems.push(`integrity check ${c.id}: ${c.failed} failed ${JSON.stringify(c.offenders.slice(0, 3))}`);
    say(`integrity check on the restored service: ${check.ok ? "every check holds" : "FAILED"}`);
  } finally {
    provider.destroy();
  }
  await restored.stop();
  running = undefined;

  Object.assign(report, {
    first: { certificates: first.certificates.length, readBack, pdfs, valid },
    second: {
      accepted: second.certificates.length,
      duringBackup: before.progress,
      inBackup,
      restored: restoredSecond,
      issuedAfterRestore: secondAfter.progress.issued ?? 0,
      inFlight,
    },
    backup: { databaseBytes, bytes: backupBytes, pages, databaseMs: Math.round(databaseMs), ms: Math.round(backupMs) },
    integrity,
  });
} catch (error) {
  problems.push(`stopped: ${(error as Error).stack ?? String(error)}`);
} finally {
  await running?.stop().catch(() => undefined);
  if (!values.keep) for (const dir of Object.values(dirs)) await rm(dir, { recursive: true, force: true });
  else say(`kept ${Object.values(dirs).join(", ")}`);
}
for (const problem of problems) console.error(`MISMATCH ${problem}`);
say(problems.length === 0 ? "backup and restore check passed" : `${problems.length} problem(s)`);
console.log(
  JSON.stringify({ ok: problems.length === 0, ...report, problems: problems.length, seconds: seconds(started) }),
);
process.exitCode = problems.length === 0 ? 0 : 1;
