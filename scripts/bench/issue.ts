/**
 * `npm run bench:issue -- [--csv examples/csb-cre-10k.csv | --rows N] [--type csb-cre] [--postgres]`
 *
 * Bulk issuance through the running service, end to end: the embedded default is started (local chain,
 * SQLite in a temporary DATA_DIR, or with `--postgres` a new PostgreSQL database made for the run on the
 * server of TEST_DATABASE_URL, default the local one, and dropped after), the CSV is posted to
 * `POST /api/v1/batches`, and the clock stops when `GET /api/v1/batches/{id}` reports every certificate
 * issued (validated, credentials made and stored, Merkle roots anchored on the chain, PDFs rendered, signed
 * and stored). `--rows N` makes a sitting of N candidates from the rows of examples/csb-cre-10k.csv (each
 * its own candidate number; at most 100,000, one upload's limit). Reports the time to accept and to issue,
 * PDFs a second, the process's peak memory (the service, its chain and worker threads are this process)
 * and the database's size a certificate. Prints one JSON line last.
 */
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../../server/config.ts";
import { startServer } from "../../server/start.ts";

const { values } = parseArgs({
  options: {
    csv: { type: "string" },
    rows: { type: "string" },
    type: { type: "string", default: "csb-cre" },
    postgres: { type: "boolean", default: false },
  },
});

/** A sitting of `count` candidates: the 10,000 example rows over and over, each with its own number. */
async function sitting(count: number): Promise<Buffer> {
  if (!Number.isSafeInteger(count) || count < 1 || count > 100_000) throw new Error("--rows: 1 to 100000");
  const [header, ...rows] = (await readFile("examples/csb-cre-10k.csv", "utf8"))
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter(Boolean);
  const lines = [header];
  for (let i = 0; i < count; i++)
    lines.push(rows[i % rows.length].replace(/^CRE2026\d{6},/, `CRE2026${String(i + 1).padStart(6, "0")},`));
  return Buffer.from(`${lines.join("\r\n")}\r\n`);
}

const csv = values.rows ? await sitting(Number(values.rows)) : await readFile(values.csv ?? "examples/csb-cre-10k.csv");
const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-bench-issue-"));
let databaseUrl: string | undefined;
let dropDatabase = async () => {};
if (values.postgres) {
  const server = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const name = `ecert_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  dropDatabase = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  // Interrupted: the run's database is dropped all the same.
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => void dropDatabase().finally(() => process.exit(130)));
}
const server = await startServer(
  loadConfig({
    DATA_DIR: dataDir,
    PORT: "0",
    BATCH_SIZE: "10000",
    BATCH_WAIT_MS: "500",
    LOG_LEVEL: "warn",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  }),
);
const issuer = values.type!.startsWith("csb") ? "CSB" : "FSD";
const key = server.dev!.apiKeys[issuer];

try {
  const started = performance.now();
  const res = await fetch(`${server.dev!.apiUrl}/batches?type=${values.type}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" },
    body: csv as BodyInit,
  });
  const submitted = (await res.json()) as { batchId: string; certificates: unknown[]; errors: unknown[] };
  const acceptedAt = performance.now();
  if (!res.ok) throw new Error(`POST /batches: ${res.status} ${JSON.stringify(submitted).slice(0, 500)}`);
  console.log(
    `accepted ${submitted.certificates.length} (rejected ${submitted.errors.length}) in ${((acceptedAt - started) / 1000).toFixed(2)} s`,
  );
  let progress: Record<string, number> = {};
  for (;;) {
    const batch = (await (
      await fetch(`${server.dev!.apiUrl}/batches/${submitted.batchId}`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { progress: Record<string, number>; done: boolean };
    if (JSON.stringify(batch.progress) !== JSON.stringify(progress)) {
      progress = batch.progress;
      console.log(`${((performance.now() - started) / 1000).toFixed(2)} s  ${JSON.stringify(progress)}`);
    }
    if (batch.done) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  const issued = progress.issued ?? 0;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  const databaseBytes = databaseUrl ? await postgresBytes(databaseUrl) : await sqliteBytes(dataDir);
  console.log(
    `${issued} certificates issued in ${seconds.toFixed(2)} s (${(issued / seconds).toFixed(0)} per second, PDFs ${(issued / (seconds - (acceptedAt - started) / 1000)).toFixed(0)} per second after acceptance) on ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${databaseUrl ? "PostgreSQL" : "SQLite"} ${(databaseBytes / 2 ** 20).toFixed(0)} MiB, ${(databaseBytes / Math.max(1, issued) / 1024).toFixed(1)} KiB a certificate; peak memory ${peakMiB.toFixed(0)} MiB`,
  );
  console.log(
    JSON.stringify({
      certificates: issued,
      database: databaseUrl ? "postgres" : "sqlite",
      acceptSeconds: Math.round(acceptedAt - started) / 1000,
      seconds: Math.round(seconds * 1000) / 1000,
      perSecond: Math.round(issued / seconds),
      databaseBytesPerCertificate: Math.round(databaseBytes / Math.max(1, issued)),
      peakMiB: Math.round(peakMiB),
    }),
  );
  if (issued !== submitted.certificates.length) process.exitCode = 1;
} finally {
  await server.stop();
  await dropDatabase();
  await rm(dataDir, { recursive: true, force: true });
}

async function postgresBytes(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ size: string }>("SELECT pg_database_size(current_database()) AS size");
    return Number(rows[0].size);
  } finally {
    await client.end();
  }
}

/** The SQLite database's files (the database, its WAL and shared memory) under DATA_DIR. */
async function sqliteBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.(db|sqlite|sqlite3)(-wal|-shm)?$/.test(entry.name))
      total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}
