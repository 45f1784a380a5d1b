/**
 * `npm run bench:issue -- --csv examples/csb-cre-10k.csv [--type csb-cre]`
 *
 * Bulk issuance through the running service, end to end: the embedded default is started (local chain,
 * SQLite in a temporary DATA_DIR), the CSV is posted to `POST /api/v1/batches`, and the clock stops when
 * `GET /api/v1/batches/{id}` reports every certificate issued (validated, credentials made and stored,
 * Merkle root anchored on the chain, PDFs rendered, signed and stored). Prints one JSON line last.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../../server/config.ts";
import { startServer } from "../../server/start.ts";

const { values } = parseArgs({
  options: {
    csv: { type: "string", default: "examples/csb-cre-10k.csv" },
    type: { type: "string", default: "csb-cre" },
  },
});
const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-bench-issue-"));
const server = await startServer(
  loadConfig({ DATA_DIR: dataDir, PORT: "0", BATCH_SIZE: "10000", BATCH_WAIT_MS: "500", LOG_LEVEL: "warn" }),
);
const issuer = values.type!.startsWith("csb") ? "CSB" : "FSD";
const key = server.dev!.apiKeys[issuer];
const csv = await readFile(values.csv!);

const started = performance.now();
const res = await fetch(`${server.dev!.apiUrl}/batches?type=${values.type}`, {
  method: "POST",
  headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" },
  body: csv,
});
const submitted = (await res.json()) as { batchId: string; certificates: unknown[]; errors: unknown[] };
const acceptedAt = performance.now();
console.log(
  `accepted ${submitted.certificates.length} (rejected ${submitted.errors.length}) in ${((acceptedAt - started) / 1000).toFixed(2)} s`,
);
let progress: Record<string, number> = {};
for (;;) {
  const batch = (await (
    await fetch(`${server.dev!.apiUrl}/batches/${submitted.batchId}`, { headers: { authorization: `Bearer ${key}` } })
  ).json()) as {
    progress: Record<string, number>;
    done: boolean;
  };
  if (JSON.stringify(batch.progress) !== JSON.stringify(progress)) {
    progress = batch.progress;
    console.log(`${((performance.now() - started) / 1000).toFixed(2)} s  ${JSON.stringify(progress)}`);
  }
  if (batch.done) break;
  await new Promise((r) => setTimeout(r, 100));
}
const seconds = (performance.now() - started) / 1000;
const issued = progress.issued ?? 0;
await server.stop();
await rm(dataDir, { recursive: true, force: true });
console.log(
  `${issued} certificates issued in ${seconds.toFixed(2)} s on ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"})`,
);
console.log(
  JSON.stringify({
    certificates: issued,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round(issued / seconds),
  }),
);
if (issued !== submitted.certificates.length) process.exitCode = 1;
