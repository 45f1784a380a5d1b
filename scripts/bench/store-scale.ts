/**
 * `npm run bench:store-scale -- [--certificates 1000000] [--requests 2000] [--concurrency 4]`
 *
 * The officer's reads on a large database (PostgreSQL, a new database on the server of TEST_DATABASE_URL,
 * default the local one, made for the run and dropped after): search (`GET /certificates?q=`),
 * `GET /certificates/{id}` and `GET /batches/{id}` (an upload's progress), each `--requests` times at
 * `--concurrency` at once, timed from another client in this process, reporting p50, p95 and p99.
 *
 * How the database is filled:
 * 1. The embedded default issues examples/csb-cre-10k.csv through `POST /batches` for real (validated,
 *    credentials made, ten batches of 1,000 anchored on the local chain, every PDF rendered, signed and
 *    stored): 10,000 real certificates, with their events and PDFs.
 * 2. The service is stopped, and those 10,000 are copied through the store until the database holds
 *    `--certificates`: each copy a new upload of 10,000 (`insertUpload`), each certificate with a new id,
 *    certificate number (also inside its record, credential and search fields), digest and claim code
 *    hash; closed in batches of 1,000 with their real Merkle roots (`closeBatch`, `markBatchSubmitted`,
 *    `markBatchAnchored`). Not done for the copies (stated, not hidden): their PDFs (about 56 KB each,
 *    kept in their own table; the copies point at the template's PDF hash) and their roots on the chain
 *    (the restarted service finds them missing and anchors them again: that start-up reconciliation is
 *    timed too). Their "accepted" events are written in one statement per upload, "anchored" per batch.
 * 3. The service is started again on that database, and once its reconciliation is done the reads are
 *    measured. Prints one JSON line last.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { buildMerkleTree } from "../../core/merkle.ts";
import { loadConfig } from "../../server/config.ts";
import { openStore } from "../../server/db/open-store.ts";
import type { CertificateRow, NewCertificate } from "../../server/db/store.ts";
import { startServer, type RunningServer } from "../../server/start.ts";

const { values } = parseArgs({
  options: {
    certificates: { type: "string", default: "1000000" },
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "4" },
    /** Keep the database (its name is printed) for a closer look: EXPLAIN, other queries. */
    keep: { type: "boolean", default: false },
  },
});
const total = Number(values.certificates);
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
if (!Number.isSafeInteger(total) || total < 10_000 || total % 10_000 !== 0)
  throw new Error("--certificates: a multiple of 10000");
const BATCH = 1000;

const server = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const name = `ecert_bench_scale_${process.pid}`;
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(server);
url.pathname = `/${name}`;
const databaseUrl = url.toString();
const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-bench-scale-"));
const cleanUp = async () => {
  if (values.keep) console.log(`kept: ${databaseUrl}`);
  else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  await rm(dataDir, { recursive: true, force: true });
};
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

const start = () =>
  startServer(
    loadConfig({
      APPROVALS: "none",
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      PORT: "0",
      BATCH_SIZE: String(BATCH),
      BATCH_WAIT_MS: "500",
      LOG_LEVEL: "warn",
      PUBLIC_RATE_LIMIT: "10000000",
    }),
  );
const seconds = (since: number) => Math.round(performance.now() - since) / 1000;
const sql = new pg.Client({ connectionString: databaseUrl });

try {
  // 1. 10,000 real certificates through the service.
  let t = performance.now();
  let service: RunningServer = await start();
  const key = service.dev!.apiKeys.CSB;
  const auth = { authorization: `Bearer ${key}` };
  const posted = await fetch(`${service.dev!.apiUrl}/batches?type=csb-cre`, {
    method: "POST",
    headers: { ...auth, "content-type": "text/csv" },
    body: (await readFile("examples/csb-cre-10k.csv")) as BodyInit,
  });
  if (posted.status !== 202) throw new Error(`POST /batches: ${posted.status} ${await posted.text()}`);
  const templateUpload = ((await posted.json()) as { batchId: string }).batchId;
  for (;;) {
    const batch = (await (
      await fetch(`${service.dev!.apiUrl}/batches/${templateUpload}`, { headers: auth })
    ).json()) as {
      done: boolean;
    };
    if (batch.done) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const templateSeconds = seconds(t);
  console.log(`10,000 real certificates issued in ${templateSeconds} s`);
  await service.stop();

  // 2. Copies through the store.
  t = performance.now();
  const store = await openStore(databaseUrl, dataDir);
  await sql.connect();
  const template: CertificateRow[] = [];
  for (let after: string | null = null; ;) {
    const page = await store.scanCertificates(after, 1000);
    if (page.length === 0) break;
    template.push(...page);
    after = page[page.length - 1].id;
  }
  if (template.length !== 10_000 || template.some((c) => c.status !== "issued"))
    throw new Error(`the template is not 10,000 issued certificates (${template.length})`);
  const pdfHash = template[0].pdfHash;
  const hex = (bytes: number) => randomBytes(bytes).toString("hex");
  const withPrefix = (like: string, value: string) => (like.startsWith("0x") ? `0x${value}` : value);
  for (let copy = 1; copy < total / 10_000; copy++) {
    const uploadId = randomUUID();
    const at = new Date().toISOString();
    const certificates: NewCertificate[] = template.map((c) => {
      // A new number: the template's with the copy's index after it.
      const number = `${c.certificateNumber}-${copy}`;
      const swap = (text: string) => text.split(JSON.stringify(c.certificateNumber)).join(JSON.stringify(number));
      return {
        id: randomUUID(),
        issuerId: c.issuerId,
        typeId: c.typeId,
        uploadId,
        row: c.row,
        certificateNumber: number,
        recordJson: swap(c.recordJson),
        credentialJson: swap(c.credentialJson),
        digest: withPrefix(c.digest, hex(32)),
        claimCodeHash: withPrefix(c.claimCodeHash, createHash("sha256").update(randomBytes(16)).digest("hex")),
        supersedes: null,
        searchJson: swap(c.searchJson),
      };
    });
    const { refused } = await store.insertUpload(
      { id: uploadId, issuerId: "CSB", typeId: "csb-cre", rowCount: 10_000, errorsJson: "[]", createdAt: at },
      certificates,
    );
    if (refused.length > 0) throw new Error(`copy ${copy}: ${refused.length} refused`);
    for (let i = 0; i < 10; i++) {
      const members = await store.pendingCertificates("CSB", "csb-cre", BATCH);
      const root = buildMerkleTree(members.map((m) => m.digest)).root;
      const batchId = randomUUID();
      const now = new Date().toISOString();
      await store.closeBatch(
        {
          id: batchId,
          issuerId: "CSB",
          typeId: "csb-cre",
          status: "closed",
          root,
          certificateCount: members.length,
          txHash: null,
          txNonce: null,
          blockNumber: null,
          anchoredAt: null,
          createdAt: now,
          updatedAt: now,
        },
        members.map((m) => m.id),
      );
      const txHash = `0x${hex(32)}`;
      await store.markBatchSubmitted(batchId, txHash, copy * 10 + i);
      await store.markBatchAnchored(batchId, copy * 10 + i, now, txHash);
      // What the render step leaves (minus the PDFs themselves): every member issued, the batch rendered.
      await sql.query("UPDATE certificates SET status = 'issued', pdf_hash = $1 WHERE batch_id = $2", [
        pdfHash,
        batchId,
      ]);
      await sql.query("UPDATE batches SET status = 'rendered' WHERE id = $1", [batchId]);
      await store.insertEvent({
        issuerId: "CSB",
        certificateId: null,
        batchId,
        type: "anchored",
        actor: "system",
        detailJson: JSON.stringify({ root, block: copy * 10 + i }),
        at: now,
      });
    }
    await sql.query(
      `INSERT INTO events (issuer_id, certificate_id, batch_id, type, actor, detail_json, at)
       SELECT issuer_id, id, NULL, 'accepted', 'bench', json_build_object('uploadId', upload_id, 'row', upload_row)::text, created_at
       FROM certificates WHERE upload_id = $1`,
      [uploadId],
    );
    if (copy % 10 === 0) console.log(`${(copy + 1) * 10_000} certificates after ${seconds(t)} s`);
  }
  await sql.query("VACUUM ANALYZE");
  const fillSeconds = seconds(t);
  await store.close();
  const counts = (await sql.query("SELECT status, count(*)::int AS n FROM certificates GROUP BY status")).rows;
  const sizes = (
    await sql.query(
      `SELECT pg_database_size(current_database())::bigint AS database,
              pg_total_relation_size('certificates')::bigint AS certificates,
              pg_total_relation_size('certificate_pdfs')::bigint AS pdfs,
              pg_total_relation_size('events')::bigint AS events`,
    )
  ).rows[0] as Record<string, string>;
  console.log(`filled to ${JSON.stringify(counts)} in ${fillSeconds} s; sizes ${JSON.stringify(sizes)}`);

  // 3. The service on the full database: start-up reconciliation, then the reads.
  t = performance.now();
  service = await start();
  const copies = total / BATCH - 10;
  for (;;) {
    const { rows } = await sql.query("SELECT count(*)::int AS n FROM events WHERE type = 're-anchored'");
    if (rows[0].n >= copies) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const reconcileSeconds = seconds(t);
  console.log(
    `start-up reconciliation (${total / BATCH} batches checked, ${copies} anchored again): ${reconcileSeconds} s`,
  );

  const ids = (await sql.query("SELECT id FROM certificates ORDER BY random() LIMIT $1", [requests])).rows.map(
    (r) => r.id as string,
  );
  const uploads = (await sql.query("SELECT id FROM uploads")).rows.map((r) => r.id as string);
  const sample = (
    await sql.query("SELECT certificate_number, search_json FROM certificates ORDER BY random() LIMIT $1", [requests])
  ).rows;
  // Searches as a clerk types them: a full certificate number, a surname, a Chinese name, a name's word.
  const queries = sample.map((r, i) => {
    const fields = JSON.parse(r.search_json as string) as { name?: { en?: string; "zh-HK"?: string } };
    const words = (fields.name?.en ?? "").split(" ");
    return [r.certificate_number as string, words[0], fields.name?.["zh-HK"] ?? words[0], words[words.length - 1]][
      i % 4
    ];
  });
  const base = service.dev!.apiUrl;
  const measure = async (label: string, pathOf: (i: number) => string) => {
    const times: number[] = [];
    let next = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < requests; i = next++) {
          const t0 = performance.now();
          const res = await fetch(`${base}${pathOf(i)}`, { headers: auth });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`${label} ${pathOf(i)}: ${res.status}`);
          times.push(performance.now() - t0);
        }
      }),
    );
    times.sort((a, b) => a - b);
    const at = (p: number) => Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))] * 10) / 10;
    const result = {
      label,
      requests,
      perSecond: Math.round(requests / ((performance.now() - began) / 1000)),
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
    };
    console.log(`${label}: p50 ${result.p50} ms, p95 ${result.p95} ms, p99 ${result.p99} ms, ${result.perSecond}/s`);
    return result;
  };
  const kinds = ["a certificate number", "a surname", "a Chinese name", "an English name's last word"];
  const searches = [];
  for (const [k, kind] of kinds.entries()) {
    const some = queries.filter((_, i) => i % 4 === k);
    searches.push(
      await measure(
        `GET /certificates?q= ${kind}`,
        (i) => `/certificates?q=${encodeURIComponent(some[i % some.length])}&limit=20`,
      ),
    );
  }
  const reads = [
    ...searches,
    await measure("GET /certificates?q=", (i) => `/certificates?q=${encodeURIComponent(queries[i])}&limit=20`),
    await measure("GET /certificates/{id}", (i) => `/certificates/${ids[i]}`),
    await measure("GET /batches/{id}", (i) => `/batches/${uploads[i % uploads.length]}`),
  ];
  await service.stop();
  console.log(
    `on ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  console.log(
    JSON.stringify({
      certificates: total,
      templateSeconds,
      fillSeconds,
      reconcileSeconds,
      databaseBytes: Number(sizes.database),
      certificatesTableBytesPerCertificate: Math.round(Number(sizes.certificates) / total),
      eventsBytesPerCertificate: Math.round(Number(sizes.events) / total),
      pdfBytesPerRealCertificate: Math.round(Number(sizes.pdfs) / 10_000),
      concurrency,
      reads,
    }),
  );
} finally {
  await sql.end().catch(() => undefined);
  await cleanUp();
}
