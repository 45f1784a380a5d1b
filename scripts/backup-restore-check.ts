/**
 * `npm run backup:check [-- --rows N] [--database sqlite|postgres|both] [--postgres-url URL] [--keep]`:
 * an online backup of the service, taken while an upload is in flight, restored and checked (README
 * "Operations", "Backups"). (`--backup-when-done`, for testing the check itself, backs up only once the
 * second upload is done: the run must then fail.) Runs once on SQLite (the embedded default) and once
 * on PostgreSQL (default both; PostgreSQL at `--postgres-url`, else `TEST_DATABASE_URL`, else the local
 * server's `test` database, used only to create and drop this run's two databases).
 *
 * 1. Starts the service (local chain; SQLite in a temporary DATA_DIR, or a new PostgreSQL database),
 *    uploads `examples/csb-cre.csv` and waits until every certificate is issued; keeps each one's
 *    `GET /certificates/{id}` answer and its PDF's SHA-256 (fetched with its claim code).
 * 2. Uploads a second batch (the last N rows of `examples/csb-cre-10k.csv`, default 200) and, while the
 *    pipeline is working on it, takes the backup without stopping anything. So that the backup always
 *    lands mid-flight, the pipeline (in this process) is held just before it stores the PDF after the
 *    first N/2 of the upload: by then the batch is closed and anchored, half its PDFs are stored, every
 *    certificate is still `anchoring`. The backup starts once the pipeline waits there and the hold is
 *    let go once the database is copied; the service answers requests meanwhile.
 *    - SQLite: `ecert.sqlite` through SQLite's online backup API (better-sqlite3's `db.backup(file)`) on
 *      a separate read-only connection. The service runs in WAL mode, so this reader sees one committed
 *      snapshot and never blocks the service's writes. The copy is made in one backup step (the progress
 *      callback asks for every remaining page at once): in steps, a write by the service between two
 *      steps would restart the copy, and a busy service could keep it from ever finishing. Never `cp`
 *      the `.sqlite` file: recent commits are in `ecert.sqlite-wal`.
 *    - PostgreSQL: `pg_dump --format=custom` (one consistent snapshot, taken when it starts).
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
 *    Whatever the hold, the run FAILS unless the second upload was in flight while the database was
 *    copied: right before the copy (`GET /batches/{id}`) it is not done and has certificates
 *    `anchoring`; right after the copy it is still not done; and the copy itself holds every one of its
 *    certificates, some `anchoring`, not all issued.
 * 3. Stops the service and restores the database into a new place (SQLite: the copy at a new
 *    DATA_DIR's `ecert.sqlite`; PostgreSQL: the README's commands, `pg_restore --list`, then
 *    `pg_restore --no-owner --exit-on-error --single-transaction` into a newly created empty database)
 *    and the other files into that DATA_DIR. Before anything starts on it, checks that the restored
 *    database is whole: PRAGMA integrity_check (SQLite); the first upload all issued and the second all
 *    there; nothing half-written (a PDF without its hash or the reverse, an issued certificate without
 *    its PDF or outside a rendered batch, a rendered batch with a member not issued, an anchoring
 *    certificate outside a batch, a pending one in a batch, a batch whose member count is not its
 *    certificate count, an upload with more certificates than rows).
 * 4. Starts a service on the restored database and DATA_DIR and checks: the same API keys work; every
 *    certificate of the first upload reads back through `GET /certificates/{id}` as it did, its PDF
 *    downloads through `GET /claim/{code}/pdf` with the same bytes and `POST /verify` says VALID; the
 *    second upload finishes on the restored service; every certificate of both uploads holds its own
 *    input row (its credential's subject, and validity where the row gives it, is the row's validated
 *    record); the integrity check (`certs check`) holds.
 *
 * Prints what it does, then one JSON line with, per database, the counts, the backup's size and time.
 * Exit 0 only when every check holds; 1 on any mismatch (PostgreSQL not answering is one, unless
 * `--database sqlite`). The temporary directories and databases are removed unless `--keep`.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual, parseArgs, promisify } from "node:util";
import Database from "better-sqlite3";
import { JsonRpcProvider } from "ethers";
import pg from "pg";
import { validateCsv, type ValidatedCsvRow } from "../core/index.ts";
import { loadConfig } from "../server/config.ts";
import { DEFAULT_SQLITE_FILE } from "../server/db/open-store.ts";
import { checkIntegrity } from "../server/integrity/check.ts";
import { startServer, type RunningServer } from "../server/start.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200" },
    database: { type: "string", default: "both" },
    "postgres-url": { type: "string" },
    keep: { type: "boolean", default: false },
    // For testing the check itself: back up only once the second upload is done, which must fail.
    "backup-when-done": { type: "boolean", default: false },
  },
});
const secondRows = Number(values.rows);
if (!Number.isInteger(secondRows) || secondRows < 1 || secondRows > 10_000) {
  console.error("--rows: give a whole number of rows from 1 to 10000");
  process.exit(64);
}
const DATABASES = { sqlite: ["sqlite"], postgres: ["postgres"], both: ["sqlite", "postgres"] } as const;
if (!Object.hasOwn(DATABASES, values.database)) {
  console.error("--database: give sqlite, postgres or both");
  process.exit(64);
}
const databases = DATABASES[values.database as keyof typeof DATABASES];
const POSTGRES_URL =
  values["postgres-url"] ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** What DATA_DIR holds besides the database, for a restore (see the module comment). */
const DATA_DIR_ENTRIES = ["chain", "pki", "dev.json"];

type Kind = (typeof DATABASES)["both"][number];
type Answer = { status: number; json: unknown; bytes: Uint8Array };
type Accepted = { id: string; row: number; claimCode: string; certificateNumber: string };
type Progress = { done: boolean; progress: Record<string, number> };

const problems: string[] = [];
const started = performance.now();
const seconds = (from: number) => Math.round(performance.now() - from) / 1000;
const say = (message: string) => console.log(`[${seconds(started).toFixed(1)} s] ${message}`);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const execFileAsync = promisify(execFile);

/**
 * Runs a PostgreSQL client tool. On failure its error says the tool and its stderr, not its arguments
 * (a URL may hold a password).
 */
async function run(command: string, args: string[]): Promise<{ stdout: string }> {
  try {
    return await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { code?: unknown; cmd?: string; stderr?: string };
    e.message = `${command} failed (${String(e.code)}): ${e.stderr?.trim() ?? ""}`;
    e.cmd = command;
    e.stack = `${e.name}: ${e.message}`;
    throw e;
  }
}

function serverEnv(dataDir: string, databaseUrl?: string): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    APPROVALS: "none",
    PORT: "0",
    LOG_LEVEL: "warn",
    BATCH_WAIT_MS: "200",
    PUBLIC_RATE_LIMIT: "1000000",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
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

async function batch(server: RunningServer, key: string, batchId: string): Promise<Progress> {
  const res = await call(server, "GET", `/batches/${batchId}`, { key });
  if (res.status !== 200) throw new Error(`GET /batches/${batchId} answered ${res.status}`);
  return res.json as Progress;
}

async function waitFor(
  server: RunningServer,
  key: string,
  batchId: string,
  timeoutMs: number,
  until: (b: Progress) => boolean,
  pollMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await batch(server, key, batchId);
    if (until(b) || Date.now() > deadline) return b;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

const waitDone = (server: RunningServer, key: string, batchId: string, timeoutMs: number) =>
  waitFor(server, key, batchId, timeoutMs, (b) => b.done, 100);

async function sizeOf(target: string): Promise<number> {
  const s = await stat(target);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const entry of await readdir(target)) total += await sizeOf(path.join(target, entry));
  return total;
}

/** `base` naming another database on the same server. */
function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one read-only query on a database (SQLite file or PostgreSQL URL); no parameters. */
async function query(kind: Kind, location: string, sql: string): Promise<Record<string, unknown>[]> {
  if (kind === "sqlite") {
    const db = new Database(location, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/**
 * What a restored database must not hold before anything runs on it: each query counts the rows of one
 * half-written state (see the module comment). Plain SQL, the same on SQLite and PostgreSQL.
 */
const HALF_WRITTEN: Record<string, string> = {
  "a PDF stored without its hash on the certificate, or with another":
    "SELECT COUNT(*) AS n FROM certificate_pdfs p JOIN certificates c ON c.id = p.certificate_id WHERE c.pdf_hash IS NULL OR c.pdf_hash <> p.pdf_hash",
  "a certificate with a PDF hash but no PDF":
    "SELECT COUNT(*) AS n FROM certificates c WHERE c.pdf_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM certificate_pdfs p WHERE p.certificate_id = c.id)",
  "an issued certificate without its PDF, or outside a rendered batch":
    "SELECT COUNT(*) AS n FROM certificates c LEFT JOIN batches b ON b.id = c.batch_id WHERE c.status = 'issued' AND (c.pdf_hash IS NULL OR b.status IS NULL OR b.status <> 'rendered')",
  "a rendered batch with a member still anchoring":
    "SELECT COUNT(*) AS n FROM certificates c JOIN batches b ON b.id = c.batch_id WHERE b.status = 'rendered' AND c.status = 'anchoring'",
  "an anchoring certificate outside a batch":
    "SELECT COUNT(*) AS n FROM certificates c WHERE c.status = 'anchoring' AND (c.batch_id IS NULL OR NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = c.batch_id))",
  "a pending certificate in a batch":
    "SELECT COUNT(*) AS n FROM certificates c WHERE c.status = 'pending' AND c.batch_id IS NOT NULL",
  "a batch whose member count is not its certificate count":
    "SELECT COUNT(*) AS n FROM batches b WHERE b.certificate_count <> (SELECT COUNT(*) FROM certificates c WHERE c.batch_id = b.id)",
  "an upload with more certificates than rows":
    "SELECT COUNT(*) AS n FROM uploads u WHERE u.row_count < (SELECT COUNT(*) FROM certificates c WHERE c.upload_id = u.id)",
};

/**
 * Holds the service's pipeline once it has stored the first `rows / 2` (rounded down) PDFs from now on:
 * `reached` resolves once it waits there (rejects after a minute), `release` lets it go on. The hold is in
 * the service's `putPdfs` (in this process): a chunk that would go past the half-way mark is split there,
 * its first part stored, and the rest waits before it writes anything.
 */
function holdHalfWay(server: RunningServer, rows: number) {
  const store = server.store;
  const putPdfs = store.putPdfs.bind(store);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reachedIt!: () => void;
  const reached = new Promise<void>((resolve, reject) => {
    reachedIt = resolve;
    setTimeout(
      () => reject(new Error("the pipeline did not get half-way through the second upload in 60 s")),
      60_000,
    ).unref();
  });
  const half = Math.floor(rows / 2);
  let stored = 0;
  store.putPdfs = async (items, fence) => {
    const room = Math.max(0, half - stored);
    stored += items.length;
    if (items.length <= room) return putPdfs(items, fence);
    const before = room > 0 ? await putPdfs(items.slice(0, room), fence) : 0;
    reachedIt();
    await released;
    return before + (await putPdfs(items.slice(room), fence));
  };
  return { reached, release };
}

/** Every problem is pushed with the database's name in front. */
function problemsFor(kind: Kind) {
  return (message: string) => problems.push(`${kind}: ${message}`);
}

const tenThousand = (await readFile(path.join(ROOT, "examples/csb-cre-10k.csv"), "utf8")).trimEnd().split("\n");
/** The two uploads' CSV files: `examples/csb-cre.csv`, and the last `--rows` rows of the 10k example. */
const inputs = {
  first: new Uint8Array(await readFile(path.join(ROOT, "examples/csb-cre.csv"))),
  second: new TextEncoder().encode(`${[tenThousand[0], ...tenThousand.slice(-secondRows)].join("\n")}\n`),
};
/** The validated input rows of each upload, by row (1-based after the header), as `POST /batches` reads them. */
function recordsOf(csv: Uint8Array): Map<number, ValidatedCsvRow> {
  const { records } = validateCsv(csv, "csb-cre");
  return new Map(records.map((r) => [r.row, r]));
}

async function check(kind: Kind): Promise<Record<string, unknown>> {
  const problem = problemsFor(kind);
  const dirs = {
    original: await mkdtemp(path.join(tmpdir(), `ecert-backup-${kind}-original-`)),
    backup: await mkdtemp(path.join(tmpdir(), `ecert-backup-${kind}-`)),
    restored: await mkdtemp(path.join(tmpdir(), `ecert-backup-${kind}-restored-`)),
  };
  const pgNames = {
    original: `ecert_backup_${process.pid}_${randomBytes(3).toString("hex")}_original`,
    restored: `ecert_backup_${process.pid}_${randomBytes(3).toString("hex")}_restored`,
  };
  let admin: pg.Client | undefined;
  const created: string[] = [];
  let running: RunningServer | undefined;
  let releaseHold: (() => void) | undefined;
  const report: Record<string, unknown> = {};
  try {
    let originalUrl: string | undefined;
    let restoredUrl: string | undefined;
    if (kind === "postgres") {
      admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 10_000 });
      admin.on("error", () => undefined);
      try {
        await admin.connect();
      } catch (error) {
        throw new Error(
          `PostgreSQL at ${new URL(POSTGRES_URL).host} does not answer (${(error as Error).message}): ` +
            "give --postgres-url, or --database sqlite to check SQLite alone",
          { cause: error },
        );
      }
      await admin.query(`CREATE DATABASE ${pgNames.original}`);
      created.push(pgNames.original);
      originalUrl = databaseUrl(POSTGRES_URL, pgNames.original);
      restoredUrl = databaseUrl(POSTGRES_URL, pgNames.restored);
    }

    // 1. The service, and a first upload issued.
    say(
      `${kind}: starting the service in ${dirs.original}${kind === "postgres" ? `, database ${pgNames.original}` : ""}`,
    );
    running = await startServer(loadConfig(serverEnv(dirs.original, originalUrl)));
    const original = running;
    const key = original.dev!.apiKeys.CSB;
    const first = await upload(original, key, inputs.first);
    const firstDone = await waitDone(original, key, first.batchId, 120_000);
    say(
      `${kind}: first upload ${first.batchId}: ${first.certificates.length} accepted, ${JSON.stringify(firstDone.progress)}`,
    );
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

    // 2. A second upload, and the online backup while the pipeline works on it. The pipeline is held
    // half-way through storing its PDFs (the batch anchored, half the PDFs stored, every certificate
    // still anchoring) until the database is copied, so that the copy always lands mid-flight: the
    // service keeps answering meanwhile, and nothing it writes waits on the copy.
    const hold = values["backup-when-done"] ? undefined : holdHalfWay(original, secondRows);
    releaseHold = hold?.release;
    const second = await upload(original, key, inputs.second);
    say(
      `${kind}: second upload ${second.batchId}: ${second.certificates.length} accepted; backing up while it is processed`,
    );
    // Until the pipeline has closed a batch of it (BATCH_WAIT_MS), anchored it and stored half its PDFs.
    if (hold) await hold.reached;
    else await waitDone(original, key, second.batchId, 120_000);
    const before = await batch(original, key, second.batchId);

    const backupStarted = performance.now();
    const dumpFile = path.join(dirs.backup, "ecert.dump");
    let pages: number | undefined;
    if (kind === "sqlite") {
      const source = new Database(path.join(dirs.original, DEFAULT_SQLITE_FILE), {
        readonly: true,
        fileMustExist: true,
      });
      try {
        source.pragma("busy_timeout = 5000");
        const result = await source.backup(path.join(dirs.backup, DEFAULT_SQLITE_FILE), {
          progress: () => 0x7fffffff, // the rest in one step: one snapshot, no restart
        });
        pages = result.totalPages;
      } finally {
        source.close();
      }
    } else {
      await run("pg_dump", ["--format=custom", `--file=${dumpFile}`, originalUrl!]);
    }
    const databaseMs = performance.now() - backupStarted;
    // Read at once, before the other files are copied: the database copy is what must have caught it.
    const after = await batch(original, key, second.batchId);
    hold?.release();
    for (const entry of DATA_DIR_ENTRIES)
      await cp(path.join(dirs.original, entry), path.join(dirs.backup, entry), { recursive: true });
    const backupMs = performance.now() - backupStarted;
    const databaseFile = kind === "sqlite" ? path.join(dirs.backup, DEFAULT_SQLITE_FILE) : dumpFile;
    const databaseBytes = await sizeOf(databaseFile);
    const backupBytes = await sizeOf(dirs.backup);
    say(
      `${kind}: backup: ${kind === "sqlite" ? `ecert.sqlite ${pages} pages` : "pg_dump ecert.dump"}, ${databaseBytes} ` +
        `bytes in ${Math.round(databaseMs)} ms; with ${DATA_DIR_ENTRIES.join(", ")}: ${backupBytes} bytes in ` +
        `${Math.round(backupMs)} ms`,
    );

    // 3. Stop, restore into a new place, look at the restored database before anything runs on it.
    await original.stop();
    running = undefined;
    say(
      `${kind}: service stopped; restoring into ${dirs.restored}${kind === "postgres" ? `, database ${pgNames.restored}` : ""}`,
    );
    for (const entry of DATA_DIR_ENTRIES)
      await cp(path.join(dirs.backup, entry), path.join(dirs.restored, entry), { recursive: true });
    let restoredLocation: string;
    if (kind === "sqlite") {
      restoredLocation = path.join(dirs.restored, DEFAULT_SQLITE_FILE);
      await cp(path.join(dirs.backup, DEFAULT_SQLITE_FILE), restoredLocation);
      const integrity = (await query(kind, restoredLocation, "PRAGMA integrity_check"))[0]?.integrity_check;
      if (integrity !== "ok") problem(`the backup fails PRAGMA integrity_check: ${String(integrity)}`);
    } else {
      // The README's restore: the dump reads whole, then into a new empty database in one transaction.
      const listed = await run("pg_restore", ["--list", dumpFile]);
      if (!/TABLE DATA \S+ certificates /.test(listed.stdout)) problem("pg_restore --list shows no certificates data");
      await admin!.query(`CREATE DATABASE ${pgNames.restored}`);
      created.push(pgNames.restored);
      await run("pg_restore", [
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        `--dbname=${restoredUrl!}`,
        dumpFile,
      ]);
      restoredLocation = restoredUrl!;
    }
    const upload2 = second.batchId.replace(/'/g, "");
    const inBackup = Object.fromEntries(
      (
        await query(
          kind,
          restoredLocation,
          `SELECT status, COUNT(*) AS n FROM certificates WHERE upload_id = '${upload2}' GROUP BY status`,
        )
      ).map((r) => [String(r.status), Number(r.n)]),
    );
    const secondInBackup = (
      await query(
        kind,
        restoredLocation,
        `SELECT (SELECT COUNT(*) FROM certificate_pdfs p JOIN certificates c ON c.id = p.certificate_id WHERE c.upload_id = '${upload2}') AS pdfs,
                (SELECT MIN(b.status) FROM batches b WHERE b.id IN (SELECT batch_id FROM certificates WHERE upload_id = '${upload2}')) AS batch`,
      )
    )[0];
    const pdfsInBackup = Number(secondInBackup?.pdfs);
    const batchInBackup = secondInBackup?.batch === null ? null : String(secondInBackup?.batch);
    const firstInBackup = Number(
      (
        await query(
          kind,
          restoredLocation,
          `SELECT COUNT(*) AS n FROM certificates WHERE upload_id = '${first.batchId.replace(/'/g, "")}' AND status = 'issued'`,
        )
      )[0]?.n,
    );
    if (firstInBackup !== first.certificates.length)
      problem(
        `the backup holds ${firstInBackup} issued certificates of the first upload, not ${first.certificates.length}`,
      );
    const halfWritten: Record<string, number> = {};
    for (const [what, sql] of Object.entries(HALF_WRITTEN)) {
      const n = Number((await query(kind, restoredLocation, sql))[0]?.n);
      if (n !== 0) {
        halfWritten[what] = n;
        problem(`the restored database holds ${n} x ${what}`);
      }
    }
    say(
      `${kind}: second upload during the backup: ${JSON.stringify(before.progress)} -> ${JSON.stringify(after.progress)}; ` +
        `in the backup: ${JSON.stringify(inBackup)}, ${pdfsInBackup} PDFs, batch ${batchInBackup}; half-written: ${Object.keys(halfWritten).length === 0 ? "nothing" : JSON.stringify(halfWritten)}`,
    );
    // The second upload must have been in flight while the database was copied, or this run proves
    // only that a quiet database restores.
    const notInFlight: string[] = [];
    if (before.done) notInFlight.push("it was done before the copy began");
    if ((before.progress.anchoring ?? 0) === 0) notInFlight.push("no certificate of it was anchoring before the copy");
    if (after.done) notInFlight.push("it was done when the copy ended");
    if (sum(inBackup) !== second.certificates.length)
      notInFlight.push(`the copy holds ${sum(inBackup)} of its ${second.certificates.length} certificates`);
    if ((inBackup.issued ?? 0) >= second.certificates.length) notInFlight.push("the copy holds it all issued");
    if ((inBackup.anchoring ?? 0) === 0) notInFlight.push("the copy holds none of it anchoring");
    const inFlight = notInFlight.length === 0;
    if (!inFlight)
      problem(
        `the second upload was not in flight while the database was copied (${notInFlight.join("; ")}): ` +
          "the check proves nothing about an online backup; try a larger --rows",
      );

    // 4. Start on the restored database and check.
    const restartedAt = performance.now();
    running = await startServer(loadConfig(serverEnv(dirs.restored, restoredUrl)));
    const restored = running;
    say(`${kind}: restored service started in ${seconds(restartedAt)} s at ${restored.url}`);
    if (restored.dev!.apiKeys.CSB !== key) problem("the restored service made a new CSB API key");
    if (restored.dev!.registry !== original.dev!.registry)
      problem(`the restored chain's registry is ${restored.dev!.registry}, not ${original.dev!.registry}`);

    let readBack = 0;
    let pdfs = 0;
    let valid = 0;
    for (const c of first.certificates) {
      const want = expected.get(c.id)!;
      const answer = await call(restored, "GET", `/certificates/${c.id}`, { key });
      if (answer.status !== 200) problem(`certificate ${c.id}: GET /certificates/{id} answered ${answer.status}`);
      else if (!isDeepStrictEqual(answer.json, want.answer))
        problem(
          `certificate ${c.id}: reads back as ${JSON.stringify(answer.json)}, not ${JSON.stringify(want.answer)}`,
        );
      else readBack++;
      const pdf = await call(restored, "GET", `/claim/${c.claimCode}/pdf`);
      if (pdf.status !== 200) {
        problem(`certificate ${c.id}: GET /claim/{code}/pdf answered ${pdf.status}`);
        continue;
      }
      if (sha256(pdf.bytes) !== want.pdf) problem(`certificate ${c.id}: the PDF differs from the one issued`);
      else pdfs++;
      const verdict = await call(restored, "POST", "/verify", { body: pdf.bytes, contentType: "application/pdf" });
      const status = (verdict.json as { status?: string } | undefined)?.status;
      if (status !== "VALID") problem(`certificate ${c.id}: POST /verify says ${status ?? verdict.status}`);
      else valid++;
    }
    say(`${kind}: first upload on the restored service: ${readBack} read back, ${pdfs} PDFs as issued, ${valid} VALID`);

    const secondAfter = await waitDone(restored, key, second.batchId, 180_000);
    say(`${kind}: second upload on the restored service: ${JSON.stringify(secondAfter.progress)}`);
    if (!secondAfter.done || secondAfter.progress.issued !== second.certificates.length)
      problem(`the second upload did not finish on the restored service: ${JSON.stringify(secondAfter.progress)}`);

    // Every certificate of both uploads holds its own input row: its number, and its credential's
    // subject (and validity, where the row gives it) the row's validated record.
    let matchInput = 0;
    for (const [name, up, csv] of [
      ["first", first, inputs.first],
      ["second", second, inputs.second],
    ] as const) {
      const rows = recordsOf(csv);
      if (rows.size !== up.certificates.length)
        problem(`${name} upload: ${up.certificates.length} certificates accepted for ${rows.size} valid rows`);
      for (const c of up.certificates) {
        const row = rows.get(c.row);
        const credential = await call(restored, "GET", `/certificates/${c.id}/credential`, { key });
        const held = credential.json as
          { credentialSubject?: unknown; validFrom?: string; validUntil?: string } | undefined;
        if (!row) problem(`certificate ${c.id}: row ${c.row} is not a valid row of the ${name} upload`);
        else if (credential.status !== 200 || !held)
          problem(`certificate ${c.id}: GET /certificates/{id}/credential answered ${credential.status}`);
        else if (
          !isDeepStrictEqual(held.credentialSubject, row.subject) ||
          (row.validFrom !== undefined && held.validFrom !== row.validFrom) ||
          (row.validUntil !== undefined && held.validUntil !== row.validUntil)
        )
          problem(`certificate ${c.id} (${name} upload, row ${c.row}): its credential does not hold its input row`);
        else matchInput++;
      }
    }
    const total = first.certificates.length + second.certificates.length;
    say(`${kind}: ${matchInput} of ${total} certificates hold their input rows`);

    const provider = new JsonRpcProvider(restored.localChain!.rpcUrl, undefined, { staticNetwork: true });
    let integrity: boolean;
    try {
      const result = await checkIntegrity({
        store: restored.store,
        provider,
        registry: restored.dev!.registry,
        chainId: restored.dev!.chainId,
      });
      integrity = result.ok;
      for (const c of result.checks.filter((c) => !c.ok))
        problem(`integrity check ${c.id}: ${c.failed} failed ${JSON.stringify(c.offenders.slice(0, 3))}`);
      say(`${kind}: integrity check on the restored service: ${result.ok ? "every check holds" : "FAILED"}`);
    } finally {
      provider.destroy();
    }
    await restored.stop();
    running = undefined;

    Object.assign(report, {
      first: { certificates: first.certificates.length, readBack, pdfs, valid, inBackup: firstInBackup },
      second: {
        accepted: second.certificates.length,
        beforeBackup: before.progress,
        afterBackup: after.progress,
        inBackup,
        pdfsInBackup,
        batchInBackup,
        restored: sum(secondAfter.progress),
        issuedAfterRestore: secondAfter.progress.issued ?? 0,
        inFlight,
      },
      matchInput,
      halfWritten,
      backup: {
        databaseBytes,
        bytes: backupBytes,
        ...(pages === undefined ? {} : { pages }),
        databaseMs: Math.round(databaseMs),
        ms: Math.round(backupMs),
      },
      integrity,
    });
  } catch (error) {
    problem(`stopped: ${(error as Error).stack ?? String(error)}`);
  } finally {
    releaseHold?.();
    await running?.stop().catch(() => undefined);
    if (!values.keep) {
      for (const dir of Object.values(dirs)) await rm(dir, { recursive: true, force: true });
      for (const name of created)
        await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: Error) => {
          problem(`could not drop database ${name}: ${error.message}`);
        });
    } else say(`${kind}: kept ${[...Object.values(dirs), ...created].join(", ")}`);
    await admin?.end().catch(() => undefined);
  }
  return report;
}

const reports: Record<string, unknown> = {};
for (const kind of databases) reports[kind] = await check(kind);

for (const problem of problems) console.error(`MISMATCH ${problem}`);
say(problems.length === 0 ? "backup and restore check passed" : `${problems.length} problem(s)`);
console.log(
  JSON.stringify({ ok: problems.length === 0, ...reports, problems: problems.length, seconds: seconds(started) }),
);
process.exitCode = problems.length === 0 ? 0 : 1;
