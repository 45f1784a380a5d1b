/**
 * `npm run bench:issue -- [--csv examples/csb-cre-10k.csv | --rows N] [--type csb-cre] [--postgres]
 *   [--instances N] [--batch-size B]`
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
 *
 * `--instances N` (with `--postgres`, CSB types only): N issuer instances in production mode, each its own
 * `node server/main.ts` process on the one database, beside a separate chain process (ganache, a block a
 * second, CONFIRMATIONS=1) and one shared signer (scripts/bench/instances.ts). The upload is split into N
 * parts posted at once, one to each instance; they share the batches through the database's leases. The
 * clock runs from the first POST to every certificate issued; the CPU seconds of each service process and
 * of the chain, and how many of the machine's cores were busy on average, say what limits scaling.
 * `--batch-size` (default 10000) is BATCH_SIZE: several batches are needed for several instances to
 * render at once.
 */
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../../server/config.ts";
import { LARGE_UPLOAD_ROWS } from "../../server/issuance/issuance-reads.ts";
import { startServer } from "../../server/start.ts";
import { machineTicks, startInstances, type Instances } from "./instances.ts";

const { values } = parseArgs({
  options: {
    csv: { type: "string" },
    rows: { type: "string" },
    type: { type: "string", default: "csb-cre" },
    postgres: { type: "boolean", default: false },
    instances: { type: "string" },
    "batch-size": { type: "string", default: "10000" },
  },
});
const instanceCount = values.instances === undefined ? undefined : Number(values.instances);
if (instanceCount !== undefined && (!Number.isSafeInteger(instanceCount) || instanceCount < 1 || instanceCount > 8))
  throw new Error("--instances: 1 to 8");
if (instanceCount !== undefined && !values.postgres)
  throw new Error("--instances needs --postgres (one shared database)");
if (instanceCount !== undefined && !values.type!.startsWith("csb")) throw new Error("--instances: CSB types only");
const batchSize = values["batch-size"]!;
/**
 * How often the progress is read (`GET /batches/{id}`): as the officers' console does for an upload this
 * large (every 3 s above 10,000 certificates), else every second. Each read counts the upload's rows by
 * status: at 100,000 rows 0.3 to 0.5 s of PostgreSQL while they change (a poll every 250 ms kept a core
 * of PostgreSQL busy, a third of this machine; every second, a third of a core). The times printed are
 * to the poll.
 */
const ROWS = (values.rows ? Number(values.rows) : 10_000) / (instanceCount ?? 1);
const POLL_MS = ROWS > LARGE_UPLOAD_ROWS ? 3000 : 1000;

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
if (instanceCount !== undefined) await runInstances(instanceCount, databaseUrl!);
else await runEmbedded();

/** The embedded default in this process (its chain and worker threads too). */
async function runEmbedded(): Promise<void> {
  const server = await startServer(
    loadConfig({
      APPROVALS: "none",
      DATA_DIR: dataDir,
      PORT: "0",
      BATCH_SIZE: batchSize,
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
        await fetch(`${server.dev!.apiUrl}/batches/${submitted.batchId}`, {
          headers: { authorization: `Bearer ${key}` },
        })
      ).json()) as { progress: Record<string, number>; done: boolean };
      if (JSON.stringify(batch.progress) !== JSON.stringify(progress)) {
        progress = batch.progress;
        console.log(`${((performance.now() - started) / 1000).toFixed(2)} s  ${JSON.stringify(progress)}`);
      }
      if (batch.done) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
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
}

/** `--instances N`: N service processes on one PostgreSQL database and a separate chain. */
async function runInstances(count: number, url: string): Promise<void> {
  let cluster: Instances | undefined;
  try {
    const running = (cluster = await startInstances(count, url, {
      BATCH_SIZE: batchSize,
      BATCH_WAIT_MS: "500",
      LOG_LEVEL: "info",
      PUBLIC_RATE_LIMIT: "10000000",
    }));
    const [header, ...rows] = csv
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/)
      .filter(Boolean);
    const parts = Array.from({ length: count }, (_, i) => {
      const part = rows.slice(Math.floor((rows.length * i) / count), Math.floor((rows.length * (i + 1)) / count));
      return Buffer.from(`${[header, ...part].join("\r\n")}\r\n`);
    });
    const cpuBefore = running.cpuSeconds();
    const machineBefore = machineTicks();
    const started = performance.now();
    const uploads = await Promise.all(
      parts.map(async (part, i) => {
        const res = await fetch(`${running.apiUrls[i]}/batches?type=${values.type}`, {
          method: "POST",
          headers: { authorization: `Bearer ${running.key}`, "content-type": "text/csv" },
          body: part as BodyInit,
        });
        const answer = (await res.json()) as { batchId: string; certificates: unknown[]; errors: unknown[] };
        if (!res.ok)
          throw new Error(`POST /batches to instance ${i}: ${res.status} ${JSON.stringify(answer).slice(0, 500)}`);
        return { ...answer, acceptedAt: performance.now() };
      }),
    );
    const acceptedAt = Math.max(...uploads.map((u) => u.acceptedAt));
    const accepted = uploads.reduce((n, u) => n + u.certificates.length, 0);
    console.log(
      `accepted ${accepted} (rejected ${uploads.reduce((n, u) => n + u.errors.length, 0)}) by ${count} instances in ${((acceptedAt - started) / 1000).toFixed(2)} s`,
    );
    let progress: Record<string, number> = {};
    for (;;) {
      const batches = await Promise.all(
        uploads.map(
          async (u) =>
            (await (
              await fetch(`${running.apiUrls[0]}/batches/${u.batchId}`, {
                headers: { authorization: `Bearer ${running.key}` },
              })
            ).json()) as { progress: Record<string, number>; done: boolean },
        ),
      );
      const sum: Record<string, number> = {};
      for (const b of batches) for (const [k, v] of Object.entries(b.progress)) sum[k] = (sum[k] ?? 0) + v;
      if (JSON.stringify(sum) !== JSON.stringify(progress)) {
        progress = sum;
        console.log(`${((performance.now() - started) / 1000).toFixed(2)} s  ${JSON.stringify(progress)}`);
      }
      if (batches.every((b) => b.done)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = running.cpuSeconds();
    const machineAfter = machineTicks();
    const serviceCpu = cpuAfter.services.map((c, i) => Math.round((c - cpuBefore.services[i]) * 10) / 10);
    const chainCpu = Math.round((cpuAfter.chain - cpuBefore.chain) * 10) / 10;
    const busyCores =
      ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * availableParallelism();
    const issued = progress.issued ?? 0;
    const peakMiB = running.peakMiB().map(Math.round);
    const databaseBytes = await postgresBytes(url);
    const rendered = await renderedBy(url);
    const batchesIssued = running.batchesIssued();
    console.log(
      `${issued} certificates issued by ${count} instances in ${seconds.toFixed(2)} s (${(issued / seconds).toFixed(0)} per second) on ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); CPU seconds: services ${serviceCpu.join(", ")}, chain ${chainCpu}; machine ${busyCores.toFixed(2)} cores busy on average; PostgreSQL ${(databaseBytes / 2 ** 20).toFixed(0)} MiB, ${(databaseBytes / Math.max(1, issued) / 1024).toFixed(1)} KiB a certificate; peak memory per service ${peakMiB.join(", ")} MiB; batches ${rendered}, finished by each instance ${batchesIssued.join(", ")}`,
    );
    console.log(
      JSON.stringify({
        certificates: issued,
        database: "postgres",
        instances: count,
        batchSize: Number(batchSize),
        acceptSeconds: Math.round(acceptedAt - started) / 1000,
        seconds: Math.round(seconds * 1000) / 1000,
        perSecond: Math.round(issued / seconds),
        serviceCpuSeconds: serviceCpu,
        batchesIssuedPerService: batchesIssued,
        chainCpuSeconds: chainCpu,
        machineBusyCores: Math.round(busyCores * 100) / 100,
        databaseBytesPerCertificate: Math.round(databaseBytes / Math.max(1, issued)),
        peakMiBPerService: peakMiB,
      }),
    );
    if (issued !== accepted) process.exitCode = 1;
  } finally {
    await cluster?.stop();
    await dropDatabase();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** How many batches the database holds and how many certificates each has (for the report). */
async function renderedBy(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string; status: string }>(
      "SELECT count(*) AS n, status FROM batches GROUP BY status ORDER BY status",
    );
    return rows.map((r) => `${r.n} ${r.status}`).join(", ");
  } finally {
    await client.end();
  }
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
