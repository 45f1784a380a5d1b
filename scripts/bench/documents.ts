/**
 * `npm run bench:documents -- --csv examples/csb-cre-10k.csv [--type csb-cre] [--workers N]`
 *
 * The document half of issuance, end to end: validate the CSV, build the credentials, the Merkle tree
 * and the proofs, then render, QR-encode and PAdES-sign every PDF on worker threads and write them to
 * disk. In the same run, OpenAttestation's `wrapDocuments` on the same rows, the peer of the
 * credential-and-Merkle stage. Prints the time of each stage, then one JSON line.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { wrapDocuments } from "@govtechsg/open-attestation";
import { buildMerkleTree, createCredential, getCertificateType, validateCsv } from "../../core/index.ts";
import { DocumentWorkers } from "../../server/documents/document-workers.ts";
import { loadSigningIdentity } from "../../server/pdf/signing-identity.ts";
import { ensureDevPki } from "../../server/pki/dev-pki.ts";

const { values } = parseArgs({
  options: {
    csv: { type: "string", default: "examples/csb-cre-10k.csv" },
    type: { type: "string", default: "csb-cre" },
    workers: { type: "string" },
  },
});
const ISSUERS = {
  CSB: { id: "CSB", nameEn: "Civil Service Bureau", nameZh: "公務員事務局", domain: "csb.gov.hk" },
  FSD: { id: "FSD", nameEn: "Fire Services Department", nameZh: "消防處", domain: "hkfsd.gov.hk" },
} as const;
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);

const work = await mkdtemp(path.join(tmpdir(), "ecert-bench-"));
const pki = await ensureDevPki(path.join(work, "pki"), Object.values(ISSUERS));
const schema = getCertificateType(values.type);
const issuer = ISSUERS[schema.issuer as keyof typeof ISSUERS];
const identity = await loadSigningIdentity(pki.departments[issuer.id]);
const bytes = new Uint8Array(await readFile(values.csv));

const stages: Record<string, number> = {};
const time = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
  const start = performance.now();
  const result = await fn();
  stages[name] = (performance.now() - start) / 1000;
  console.log(`${name.padEnd(24)} ${stages[name].toFixed(3)} s`);
  return result;
};

const started = performance.now();
// The workers start (and load their code) while the CSV is validated.
const workers = new DocumentWorkers(
  { typeId: schema.id, issuer, verifierUrl: "https://verify.ecert.gov.hk", identity },
  values.workers ? Number(values.workers) : undefined,
);
const { records, errors, fileError } = await time("validate", () => validateCsv(bytes, schema.id));
if (fileError || errors.length > 0) throw new Error(`the CSV has problems: ${fileError?.message ?? errors[0].message}`);
// A running issuer keeps its workers between batches: start them, and let the JIT warm up on the first
// 1,000 rows (results discarded), before the stages are timed. This is counted in the total.
await time("workers ready, warm", () => workers.createCredentials(records.slice(0, 1000), new Date()));
const { json, digests } = await time("credentials", () => workers.createCredentials(records, new Date()));
const tree = await time("merkle", () => buildMerkleTree(digests));
const outDir = path.join(work, "pdf");
await mkdir(outDir);
let totalBytes = 0;
await time("render, sign, write", () =>
  workers.render(
    json,
    (i) => ({ root: tree.root, path: tree.proof(i), chainId: 31337, registry: REGISTRY }),
    async (index, pdf) => {
      totalBytes += pdf.length;
      await writeFile(path.join(outDir, `${String(index).padStart(6, "0")}.pdf`), pdf);
    },
  ),
);
await workers.close();
const seconds = (performance.now() - started) / 1000;

// The peer: OpenAttestation v2 documents with the same fields, wrapped (salted, hashed, Merkle tree).
const oaDocuments = records.map((r) => {
  const subject = r.subject as Record<string, unknown>;
  return {
    $template: { name: schema.id, type: "EMBEDDED_RENDERER", url: "https://renderer.example" },
    issuers: [
      { name: issuer.nameEn, documentStore: REGISTRY, identityProof: { type: "DNS-TXT", location: issuer.domain } },
    ],
    recipient: { name: JSON.stringify(subject.name ?? "") },
    ...subject,
  };
});
const peer = await time("peer: OA wrapDocuments", () =>
  wrapDocuments(oaDocuments as Parameters<typeof wrapDocuments>[0]),
);
if (peer.length !== records.length) throw new Error("the peer wrapped a different number of documents");

// For comparison only (not in the total): the credential stage on one thread, cold, as the peer runs.
const oneThread = await time("credentials, one thread", () => {
  const issuedAt = new Date();
  const issued = records.map((record) => createCredential({ record, now: () => issuedAt }));
  return buildMerkleTree(issued.map((i) => i.digest));
});
if (oneThread.root === tree.root) throw new Error("two batches with fresh salts cannot have the same root");

clearInterval(sampler);
await rm(work, { recursive: true, force: true });
const credentialStageSeconds = stages.credentials + stages.merkle;
console.log(
  `\n${records.length} certificates in ${seconds.toFixed(2)} s (${(records.length / seconds).toFixed(0)}/s), ` +
    `${(totalBytes / records.length / 1024).toFixed(1)} KiB per PDF, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"})`,
);
const peerSeconds = stages["peer: OA wrapDocuments"];
console.log(
  `credential-and-Merkle stage ${credentialStageSeconds.toFixed(3)} s on ${availableParallelism()} warm workers ` +
    `(${(peerSeconds / credentialStageSeconds).toFixed(1)}x faster), ${stages["credentials, one thread"].toFixed(3)} s on one cold thread ` +
    `(${(peerSeconds / stages["credentials, one thread"]).toFixed(1)}x), vs OpenAttestation wrapDocuments ${peerSeconds.toFixed(3)} s`,
);
console.log(
  JSON.stringify({
    certificates: records.length,
    seconds: round(seconds),
    perSecond: Math.round(records.length / seconds),
    stages: {
      validate: round(stages.validate),
      credentials: round(stages.credentials),
      merkle: round(stages.merkle),
      renderSignWrite: round(stages["render, sign, write"]),
    },
    peer: { openAttestationWrapSeconds: round(stages["peer: OA wrapDocuments"]) },
    credentialStageSeconds: round(credentialStageSeconds),
    credentialStageOneThreadSeconds: round(stages["credentials, one thread"]),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    bytesPerPdf: Math.round(totalBytes / records.length),
  }),
);

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
