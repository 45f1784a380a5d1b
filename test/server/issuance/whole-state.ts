/**
 * The whole-state check of the issuance tests (DESIGN.md "Guarantees": every certificate holds its own
 * row's data, whatever runs at the same time): after uploads, renders and status changes have run, every
 * certificate in the database, read back through the store, the API, its PDF and the chain, is checked
 * against the input row with its certificate number, and the service's own integrity check
 * (`checkIntegrity`) must hold. Problems are collected, not thrown at the first,
 * so a failure says how much is wrong. Also: starting a real server for these tests, sending uploads,
 * waiting until the pipeline is idle. Nothing runs on import.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { expect } from "chai";
import { JsonRpcProvider, id as keccakId } from "ethers";
import {
  buildMerkleTree,
  computeCredentialDigest,
  getCertificateType,
  issuerUrn,
  schemaUrn,
  scanPdf,
  verify,
  verifyMerkleProof,
  type Credential,
} from "../../../core/index.ts";
import { loadConfig } from "../../../server/config.ts";
import type { CertificateRow, CertificateStatus, Store } from "../../../server/db/store.ts";
import { checkIntegrity, INTEGRITY_CHECKS } from "../../../server/integrity/check.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { postgresHarness } from "../db/store-fixtures.ts";
import type { InputRow, Upload } from "./issuance-inputs.ts";

export const ROOT_ANCHORED = keccakId("RootAnchored(bytes32,uint256)");
const ISSUERS = ["CSB", "FSD"] as const;

/** A running issuer service as these tests reach it: its API, keys, chain and database. */
export interface Target {
  /** `http://host:port/api/v1` */
  apiUrl: string;
  keys: Record<string, string>;
  rpcUrl: string;
  chainId: number;
  registry: string;
  store: Store;
}

export interface HttpResult {
  status: number;
  json: any;
  bytes: Uint8Array;
}

/** Calls `<apiUrl><route>`. */
export async function call(
  apiUrl: string,
  method: string,
  route: string,
  options: { key?: string; json?: unknown; body?: Uint8Array; contentType?: string } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.body) {
    headers["content-type"] = options.contentType ?? "application/octet-stream";
    body = options.body as BodyInit;
  }
  const res = await fetch(`${apiUrl}${route}`, { method, headers, body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: res.status, json, bytes };
}

/** Sends `upload` as a CSV `POST /batches` and records the answer on it (a cut-off request leaves none). */
export async function sendUpload(target: Pick<Target, "apiUrl" | "keys">, upload: Upload): Promise<void> {
  try {
    const res = await call(target.apiUrl, "POST", `/batches?type=${upload.type}`, {
      key: target.keys[upload.issuer],
      body: upload.csv,
      contentType: "text/csv",
    });
    upload.response = { status: res.status, json: res.json };
  } catch {
    upload.response = undefined;
  }
}

export interface TestServer extends Target {
  server: RunningServer;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * `startServer` (the embedded default: local chain, development issuers) in this process, on SQLite in
 * a temp DATA_DIR or on a fresh PostgreSQL schema, with `env` added to the configuration.
 */
export async function startTestServer(
  database: "SQLite" | "PostgreSQL",
  env: Record<string, string> = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-issuance-"));
  const postgres = database === "PostgreSQL" ? postgresHarness() : undefined;
  await postgres?.setup();
  const databaseUrl = await postgres?.fresh();
  const server = await startServer(
    loadConfig({
      APPROVALS: "none",
      DATA_DIR: dataDir,
      PORT: "0",
      LOG_LEVEL: "silent",
      PUBLIC_RATE_LIMIT: "10000000",
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env,
    }),
  );
  const dev = server.dev!;
  return {
    server,
    dataDir,
    apiUrl: dev.apiUrl,
    keys: dev.apiKeys,
    rpcUrl: dev.rpcUrl,
    chainId: dev.chainId,
    registry: dev.registry,
    store: server.store,
    async stop() {
      await server.stop();
      await postgres?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every certificate of `issuerId` in the store, page by page. */
export async function listAll(store: Store, issuerId: string): Promise<CertificateRow[]> {
  const rows: CertificateRow[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await store.listCertificates(issuerId, { limit: 500, offset });
    rows.push(...page);
    if (page.length < 500) return rows;
  }
}

/**
 * Waits until the pipeline is idle: no certificate pending, no unfinished batch (so none anchoring) or
 * status change, and (when given) at least `minimum` certificates stored. Returns whether it got there
 * in time, and what it saw last.
 */
export async function waitUntilSettled(
  store: Store,
  options: { minimum?: number; timeoutMs: number },
): Promise<{ settled: boolean; detail: string }> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const [groups, batches, operations] = await Promise.all([
      store.pendingGroups(),
      store.unfinishedBatches(),
      store.unfinishedOperations(),
    ]);
    const pending = groups.reduce((n, g) => n + g.count, 0);
    let stored = Number.NaN;
    if (options.minimum !== undefined)
      stored = (await Promise.all(ISSUERS.map((i) => listAll(store, i)))).flat().length;
    const detail = `${pending} certificates pending, ${batches.length} unfinished batches, ${operations.length} unfinished status changes${Number.isNaN(stored) ? "" : `, ${stored} of at least ${options.minimum} certificates stored`}`;
    const busy = pending > 0 || batches.length > 0 || operations.length > 0 || stored < (options.minimum ?? 0);
    if (!busy) return { settled: true, detail };
    if (Date.now() > deadline) return { settled: false, detail };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Problem {
  kind: string;
  detail: string;
}

export interface WholeStateReport {
  problems: Problem[];
  /** Certificates in the database. */
  certificates: number;
  /** Of them, those whose stored credential holds another input row's data. */
  otherRow: number;
  /** Of them, those whose PDF embeds a credential with another input row's data. */
  pdfOtherRow: number;
  verified: number;
}

export interface WholeStateOptions {
  /** Certificates whose status was changed on purpose; every other one must be `issued`. */
  expectedStatus?: ReadonlyMap<string, CertificateStatus>;
  /** How many PDFs to verify through core `verify` against the chain (besides every status-changed one). */
  verifySample?: number;
  /** Whether the pipeline went idle (from {@link waitUntilSettled}). */
  settled?: { settled: boolean; detail: string };
  /**
   * Certificates found right by an earlier check of the same test, with what their row held then: those
   * whose row is unchanged skip the API, PDF and claim-code reads (the database checks still run on
   * every row). Filled in by this check.
   */
  checked?: Map<string, string>;
  /** Whether to run the service's integrity check too (default true; a test runs it at least at its end). */
  integrity?: boolean;
}

/** What a certificate's row held when it was checked: any change sends it through every check again. */
function fingerprint(row: CertificateRow): string {
  return [
    row.status,
    row.batchId,
    row.leafIndex,
    row.digest,
    row.pdfHash,
    createHash("sha256").update(row.credentialJson).digest("hex"),
    row.certificateNumber,
  ].join("|");
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const short = (value: unknown) => JSON.stringify(value)?.slice(0, 160);

/** Runs `fn` over `items`, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * Checks the whole stored state against the inputs (see the module comment). `uploads` are every
 * upload the test sent (with their responses when they came back); certificate numbers are unique
 * across them.
 */
export async function checkWholeState(
  target: Target,
  uploads: readonly Upload[],
  options: WholeStateOptions = {},
): Promise<WholeStateReport> {
  const { store } = target;
  const problems: Problem[] = [];
  const problem = (kind: string, detail: string) => void problems.push({ kind, detail });
  if (options.settled && !options.settled.settled)
    problem("not-settled", `the pipeline did not go idle: ${options.settled.detail}`);

  // The input rows by certificate number (issuer-wide unique by construction of the tests).
  const byNumber = new Map<string, { upload: Upload; input: InputRow }>();
  for (const upload of uploads) {
    for (const input of upload.rows) {
      const key = `${upload.issuer}/${input.certificateNumber}`;
      if (byNumber.has(key)) throw new Error(`test bug: certificate number ${key} is in two inputs`);
      byNumber.set(key, { upload, input });
    }
  }
  const belongsTo = (issuer: string, credential: Credential | undefined) => {
    const number = credential?.credentialSubject?.certificateNumber;
    return number === undefined ? undefined : byNumber.get(`${issuer}/${number}`);
  };

  // What the responses said was accepted.
  const acceptedById = new Map<string, { upload: Upload; input: InputRow; claimCode: string }>();
  for (const upload of uploads) {
    const res = upload.response;
    if (!res) continue;
    if (res.status !== 202 || res.json?.errors?.length || res.json?.certificates?.length !== upload.rows.length) {
      problem(
        "upload-refused",
        `${upload.label}: ${res.status} ${short(res.json?.error ?? res.json?.errors ?? res.json?.fileError)}; ${res.json?.certificates?.length ?? 0} of ${upload.rows.length} rows accepted`,
      );
    }
    for (const c of res.json?.certificates ?? []) {
      const input = upload.rows.find((r) => r.row === c.row);
      if (!input || c.certificateNumber !== input.certificateNumber) {
        problem(
          "response",
          `${upload.label} row ${c.row}: answered number ${c.certificateNumber}, the row's is ${input?.certificateNumber}`,
        );
        continue;
      }
      acceptedById.set(c.id, { upload, input, claimCode: c.claimCode });
    }
  }

  const rows = (await Promise.all(ISSUERS.map((i) => listAll(store, i)))).flat();
  const seenNumbers = new Map<string, CertificateRow>();
  const digests = new Map<string, string>();
  const credentialIds = new Map<string, string>();
  const batches = new Map<string, CertificateRow[]>();
  const uploadOf = new Map<string, Upload>();
  const issuedCredentials = new Map<string, Credential>();
  let otherRow = 0;
  let pdfOtherRow = 0;
  /** Certificates whose credential and PDF were read through the API by this check. */
  const fullyRead = new Set<string>();

  for (const row of rows) {
    const where = `certificate ${row.id} (${row.certificateNumber})`;
    const found = byNumber.get(`${row.issuerId}/${row.certificateNumber}`);
    if (!found) {
      problem("unknown-number", `${where}: no input row has this number`);
      continue;
    }
    const { upload, input } = found;
    const seen = seenNumbers.get(`${row.issuerId}/${row.certificateNumber}`);
    if (seen) problem("duplicate-number", `${where}: also stored as ${seen.id}`);
    seenNumbers.set(`${row.issuerId}/${row.certificateNumber}`, row);
    if (row.typeId !== upload.type || row.issuerId !== upload.issuer || row.row !== input.row) {
      problem(
        "row-metadata",
        `${where}: type ${row.typeId}, issuer ${row.issuerId}, row ${row.row}; its input is ${upload.type}/${upload.issuer} row ${input.row}`,
      );
    }
    const responded = upload.response?.json?.batchId;
    if (responded && row.uploadId !== responded)
      problem("row-metadata", `${where}: upload ${row.uploadId}, answered as ${responded}`);
    const earlier = uploadOf.get(row.uploadId);
    if (earlier && earlier !== upload)
      problem("row-metadata", `${where}: upload ${row.uploadId} holds rows of ${earlier.label} and ${upload.label}`);
    uploadOf.set(row.uploadId, upload);
    const expected = options.expectedStatus?.get(row.id) ?? "issued";
    if (row.status !== expected) problem("status", `${where}: ${row.status}, expected ${expected}`);
    const record = JSON.parse(row.recordJson) as { subject: unknown; validFrom?: string; validUntil?: string };
    if (
      !isDeepStrictEqual(record.subject, input.subject) ||
      record.validFrom !== input.validFrom ||
      record.validUntil !== input.validUntil
    ) {
      problem("record-json", `${where}: stored record ${short(record)}`);
    }

    // The stored credential: the row's subject, the upload's type, its own digest.
    let credential: Credential | undefined;
    try {
      credential = JSON.parse(row.credentialJson) as Credential;
    } catch {
      problem("credential-wrong", `${where}: stored credential is not JSON`);
    }
    if (credential) {
      if (!isDeepStrictEqual(credential.credentialSubject, input.subject)) {
        const owner = belongsTo(row.issuerId, credential);
        if (owner && owner.input !== input) {
          otherRow += 1;
          problem(
            "credential-other-row",
            `${where}: its credential holds ${owner.upload.label} row ${owner.input.row} (${owner.input.certificateNumber})`,
          );
        } else {
          problem("credential-wrong", `${where}: credentialSubject ${short(credential.credentialSubject)}`);
        }
      }
      const schema = getCertificateType(upload.type);
      if (credential.credentialSchema?.id !== schemaUrn(schema) || credential.issuer !== issuerUrn(upload.issuer)) {
        problem(
          "credential-envelope",
          `${where}: schema ${credential.credentialSchema?.id}, issuer ${credential.issuer}`,
        );
      }
      if (
        input.validFrom !== undefined &&
        (credential.validFrom !== input.validFrom || credential.validUntil !== input.validUntil)
      ) {
        problem(
          "credential-envelope",
          `${where}: valid ${credential.validFrom} to ${credential.validUntil}, the row says ${input.validFrom} to ${input.validUntil}`,
        );
      }
      if (
        input.validFrom === undefined &&
        (Number.isNaN(Date.parse(credential.validFrom)) || credential.validUntil !== undefined)
      ) {
        problem(
          "credential-envelope",
          `${where}: permanent type with validFrom ${credential.validFrom}, validUntil ${credential.validUntil}`,
        );
      }
      let digest: string | undefined;
      try {
        digest = computeCredentialDigest(credential);
      } catch (error) {
        problem("digest", `${where}: its credential does not digest: ${(error as Error).message}`);
      }
      if (digest !== undefined && digest !== row.digest)
        problem("digest", `${where}: stored digest ${row.digest}, its credential's is ${digest}`);
      const sameId = credentialIds.get(credential.id);
      if (sameId) problem("duplicate-credential-id", `${where}: credential id ${credential.id} also in ${sameId}`);
      credentialIds.set(credential.id, row.id);
    }
    const sameDigest = digests.get(row.digest);
    if (sameDigest) problem("duplicate-digest", `${where}: digest ${row.digest} also of ${sameDigest}`);
    digests.set(row.digest, row.id);
    if (row.batchId) batches.set(row.batchId, [...(batches.get(row.batchId) ?? []), row]);
    else problem("batch", `${where}: in no batch`);

    const accepted = acceptedById.get(row.id);
    if (accepted && accepted.input !== input)
      problem("response", `${where}: answered as ${accepted.upload.label} row ${accepted.input.row}`);
  }

  // Every accepted certificate is stored, once, under the id it was answered with.
  for (const [id, { upload, input }] of acceptedById) {
    const row = seenNumbers.get(`${upload.issuer}/${input.certificateNumber}`);
    if (!row)
      problem(
        "missing",
        `${upload.label} row ${input.row} (${input.certificateNumber}), answered as ${id}, is not stored`,
      );
    else if (row.id !== id)
      problem("missing", `${upload.label} row ${input.row}: answered as ${id}, stored as ${row.id}`);
  }

  // Through the API and the PDF: each certificate's credential and PDF are its own row's.
  const batchRows = new Map(
    (await Promise.all([...batches.keys()].map((id) => store.findBatch(id))))
      .filter((b) => b !== undefined)
      .map((b) => [b.id, b]),
  );
  const cached = (row: CertificateRow) => options.checked?.get(row.id) === fingerprint(row);
  await eachLimited(
    rows.filter((r) => !cached(r)),
    6,
    async (row) => {
      const found = byNumber.get(`${row.issuerId}/${row.certificateNumber}`);
      if (!found || !["issued", "revoked", "suspended", "superseded"].includes(row.status)) return;
      const { input } = found;
      const where = `certificate ${row.id} (${row.certificateNumber})`;
      const key = target.keys[row.issuerId];
      const api = await call(target.apiUrl, "GET", `/certificates/${row.id}/credential`, { key });
      if (api.status !== 200) {
        problem("api-credential", `${where}: GET credential answered ${api.status}`);
        return;
      }
      const credential = api.json as Credential;
      const { merkle, ...proof } = credential.proof;
      const stored = JSON.parse(row.credentialJson) as Credential;
      if (!isDeepStrictEqual({ ...credential, proof }, stored))
        problem("api-credential", `${where}: the API's credential is not the stored one`);
      const batch = row.batchId ? batchRows.get(row.batchId) : undefined;
      if (
        !merkle ||
        merkle.root !== batch?.root ||
        !verifyMerkleProof(row.digest, merkle.path, merkle.root) ||
        merkle.chainId !== target.chainId ||
        merkle.registry !== target.registry
      ) {
        problem(
          "merkle",
          `${where}: proof ${short(merkle)} does not take digest ${row.digest} to its batch's root ${batch?.root}`,
        );
      }
      issuedCredentials.set(row.id, credential);
      fullyRead.add(row.id);

      const pdf = await call(target.apiUrl, "GET", `/certificates/${row.id}/pdf`, { key });
      if (pdf.status !== 200) {
        problem("pdf-missing", `${where}: GET pdf answered ${pdf.status}`);
        return;
      }
      if (sha256(pdf.bytes) !== row.pdfHash)
        problem("pdf-hash", `${where}: PDF hash ${sha256(pdf.bytes)}, stored ${row.pdfHash}`);
      const scan = scanPdf(pdf.bytes);
      if (!scan.credential.ok) {
        problem("pdf-credential", `${where}: no credential in its PDF: ${scan.credential.problem.en}`);
        return;
      }
      const embedded = scan.credential.json as Credential;
      if (!isDeepStrictEqual(embedded.credentialSubject, input.subject)) {
        const owner = belongsTo(row.issuerId, embedded);
        if (owner && owner.input !== input) {
          pdfOtherRow += 1;
          problem(
            "pdf-other-row",
            `${where}: its PDF holds ${owner.upload.label} row ${owner.input.row} (${owner.input.certificateNumber})`,
          );
        } else problem("pdf-credential", `${where}: its PDF's credentialSubject ${short(embedded.credentialSubject)}`);
      } else if (embedded.id !== credential.id || !isDeepStrictEqual(embedded, credential)) {
        problem(
          "pdf-credential",
          `${where}: its PDF embeds credential ${embedded.id}, not its own ${credential.id} with its proof`,
        );
      }
    },
  );

  // Each claim code opens its own row's certificate.
  const cachedIds = new Set(rows.filter(cached).map((r) => r.id));
  await eachLimited(
    [...acceptedById].filter(([id]) => !cachedIds.has(id)),
    6,
    async ([id, { upload, input, claimCode }]) => {
      const res = await call(target.apiUrl, "GET", `/claim/${encodeURIComponent(claimCode)}`);
      if (
        res.status !== 200 ||
        res.json.id !== id ||
        res.json.certificateNumber !== input.certificateNumber ||
        res.json.type !== upload.type
      ) {
        problem(
          "claim",
          `${upload.label} row ${input.row} (${input.certificateNumber}): its claim code opens ${res.status} ${short(res.json)}`,
        );
      }
    },
  );

  // Batches: finished, one type, the root rebuilt from the members' digests in leaf order, anchored once.
  for (const [batchId, members] of batches) {
    const batch = batchRows.get(batchId);
    if (!batch) {
      problem("batch", `batch ${batchId}: not found`);
      continue;
    }
    const ordered = [...members].sort((a, b) => a.leafIndex! - b.leafIndex!);
    const indexes = ordered.map((m) => m.leafIndex);
    if (batch.status !== "rendered" || batch.certificateCount !== members.length || !indexes.every((v, i) => v === i)) {
      problem(
        "batch",
        `batch ${batchId}: ${batch.status}, count ${batch.certificateCount}, ${members.length} members, leaf indexes ${short(indexes)}`,
      );
    }
    if (members.some((m) => m.typeId !== batch.typeId || m.issuerId !== batch.issuerId))
      problem("batch", `batch ${batchId}: mixes types or issuers`);
    if (buildMerkleTree(ordered.map((m) => m.digest)).root !== batch.root)
      problem("batch", `batch ${batchId}: its root is not the tree of its members' digests`);
  }
  const provider = new JsonRpcProvider(target.rpcUrl, undefined, { staticNetwork: true });
  try {
    const logs = await provider.getLogs({
      fromBlock: 0,
      toBlock: "latest",
      address: target.registry,
      topics: [ROOT_ANCHORED],
    });
    const anchored = new Map<string, number>();
    for (const log of logs) anchored.set(log.topics[1], (anchored.get(log.topics[1]) ?? 0) + 1);
    const storedRoots = new Set([...batchRows.values()].map((b) => b.root));
    for (const root of storedRoots)
      if (anchored.get(root) !== 1) problem("anchor", `root ${root}: ${anchored.get(root) ?? 0} RootAnchored events`);
    for (const root of anchored.keys())
      if (!storedRoots.has(root)) problem("anchor", `root ${root}: anchored on chain, but no stored batch has it`);
  } finally {
    provider.destroy();
  }
  const operations = await store.unfinishedOperations();
  if (operations.length) problem("operations", `${operations.length} status changes unfinished`);

  // A sample of PDFs verified through core `verify` against the chain: one of each type, every
  // certificate whose status changed, and the rest spread over the database.
  let verified = 0;
  const sampleSize = options.verifySample ?? 8;
  const candidates = rows.filter((r) => issuedCredentials.has(r.id));
  const sample = new Map<string, CertificateRow>();
  for (const r of candidates) if (options.expectedStatus?.has(r.id)) sample.set(r.id, r);
  for (const type of new Set(candidates.map((r) => r.typeId))) {
    const first = candidates.find((r) => r.typeId === type)!;
    sample.set(first.id, first);
  }
  for (let i = 0; i < sampleSize && candidates.length; i++) {
    const r = candidates[Math.floor(((i + 0.5) * candidates.length) / sampleSize)];
    sample.set(r.id, r);
  }
  await eachLimited([...sample.values()], 8, async (row) => {
    const where = `certificate ${row.id} (${row.certificateNumber})`;
    const pdf = await call(target.apiUrl, "GET", `/certificates/${row.id}/pdf`, { key: target.keys[row.issuerId] });
    if (pdf.status !== 200) return;
    const result = await verify(
      { pdf: pdf.bytes },
      { providers: [target.rpcUrl], trusted: { chainId: target.chainId, registry: target.registry } },
    );
    verified += 1;
    const status = options.expectedStatus?.get(row.id) ?? "issued";
    const want =
      status === "issued"
        ? { status: "VALID", reasons: [] }
        : { status: "INVALID", reasons: [status === "revoked" ? "REVOKED" : "SUSPENDED"] };
    const input = byNumber.get(`${row.issuerId}/${row.certificateNumber}`)?.input;
    if (result.status !== want.status || !isDeepStrictEqual(result.reasons, want.reasons)) {
      problem(
        "verify",
        `${where}: ${result.status} ${short(result.reasons)}, expected ${want.status} ${short(want.reasons)}`,
      );
    } else if (
      result.certificate?.fields.certificateNumber !== input?.certificateNumber ||
      result.certificate?.id !== issuedCredentials.get(row.id)?.id
    ) {
      problem(
        "verify",
        `${where}: verified as ${short(result.certificate?.fields.certificateNumber)} ${result.certificate?.id}`,
      );
    }
  });

  // The service's own integrity check (`certs check`, DESIGN.md): every check ok, and it read everything.
  if (options.integrity !== false) {
    const chain = new JsonRpcProvider(target.rpcUrl, undefined, { staticNetwork: true });
    try {
      const integrity = await checkIntegrity({
        store,
        provider: chain,
        registry: target.registry,
        chainId: target.chainId,
      });
      for (const c of integrity.checks)
        if (!c.ok)
          problem("integrity", `${c.id}: ${c.failed} failed${c.error ? `, ${c.error}` : ""} ${short(c.offenders)}`);
      if (!integrity.ok && integrity.checks.every((c) => c.ok)) problem("integrity", `not ok: ${short(integrity)}`);
      if (integrity.checks.length !== INTEGRITY_CHECKS.length || integrity.totals.certificates !== rows.length) {
        problem(
          "integrity",
          `ran ${integrity.checks.length} of ${INTEGRITY_CHECKS.length} checks over ${integrity.totals.certificates} of ${rows.length} certificates`,
        );
      }
    } finally {
      chain.destroy();
    }
  }

  if (options.checked && problems.length === 0)
    for (const row of rows) if (fullyRead.has(row.id)) options.checked.set(row.id, fingerprint(row));
  return { problems, certificates: rows.length, otherRow, pdfOtherRow, verified };
}

/** A short account of a report: counts by kind, then the first problems. */
export function describeReport(report: WholeStateReport, context = ""): string {
  const counts: Record<string, number> = {};
  for (const p of report.problems) counts[p.kind] = (counts[p.kind] ?? 0) + 1;
  const head =
    `${context}${report.problems.length} problems over ${report.certificates} stored certificates: ` +
    `${report.otherRow} of ${report.certificates} stored credentials hold another row's data, ` +
    `${report.pdfOtherRow} PDFs embed another row's data; by kind ${JSON.stringify(counts)}`;
  const shown = new Map<string, number>();
  const lines = report.problems.filter((p) => {
    const n = shown.get(p.kind) ?? 0;
    shown.set(p.kind, n + 1);
    return n < 3;
  });
  return [head, ...lines.map((p) => `  ${p.kind}: ${p.detail}`)].join("\n");
}

/** Fails, with {@link describeReport}, unless the report has no problem. */
export function expectWholeStateOk(report: WholeStateReport, context = ""): void {
  expect(report.problems.length, describeReport(report, context)).to.equal(0);
  expect(report.certificates, `${context}certificates checked`).to.be.greaterThan(0);
}
