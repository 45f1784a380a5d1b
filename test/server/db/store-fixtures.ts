/**
 * Test helpers for `server/db`: a harness per database (a fresh empty database per call, a raw query
 * to look under the store, clean-up) and row builders. Nothing runs on import.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import pg from "pg";
import type { Dialect, Migration } from "../../../server/db/migrations.ts";
import { openPostgresStore } from "../../../server/db/postgres-store.ts";
import { openSqliteStore } from "../../../server/db/sqlite-store.ts";
import type {
  ApiKeyRow,
  BatchRow,
  CertificateRow,
  ChangeRequestRow,
  Decision,
  LoginAttemptRow,
  NewAuditEntry,
  NewCertificate,
  OperationKind,
  OperationRow,
  SessionRow,
  Store,
  UploadRow,
} from "../../../server/db/store.ts";
import { isStoreError, type StoreError, type StoreErrorCode } from "../../../server/db/store-error.ts";

import { TEST_POSTGRES_URL } from "../../helpers/postgres.ts";

export { TEST_POSTGRES_URL };

export type StoreOptions = { now?: () => Date; migrations?: readonly Migration[] };

export interface Harness {
  readonly name: string;
  readonly dialect: Dialect;
  /** Prepares what the harness needs (a temp directory, an admin connection). */
  setup(): Promise<void>;
  /** A new, empty database: a SQLite file path or a PostgreSQL URL selecting a new schema. */
  fresh(): Promise<string>;
  /** Opens a store on `location` without migrating it. */
  open(location: string, options?: StoreOptions): Promise<Store>;
  /** Raw SQL on `location` (placeholders `?` on SQLite, `$1` on PostgreSQL), to look under the store. */
  query(location: string, sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The names of the tables at `location`, sorted. */
  tables(location: string): Promise<string[]>;
  /** Drops what `fresh` made. */
  cleanup(): Promise<void>;
}

/** A harness over temp-file SQLite databases. */
export function sqliteHarness(): Harness {
  let dir: string | undefined;
  let count = 0;
  return {
    name: "SQLite",
    dialect: "sqlite",
    async setup() {
      dir = await mkdtemp(path.join(tmpdir(), "ecert-store-"));
    },
    async fresh() {
      count += 1;
      return path.join(dir!, `store-${count}.sqlite`);
    },
    async open(location, options) {
      return openSqliteStore(location, options);
    },
    async query(location, sql, params = []) {
      const db = new Database(location);
      try {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
        statement.run(...params);
        return [];
      } finally {
        db.close();
      }
    },
    async tables(location) {
      const rows = await this.query(
        location,
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      );
      return rows.map((r) => r.name as string);
    },
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `url` with `options=-c search_path=<schema>` added, so every connection works in that schema. */
export function withSearchPath(url: string, schema: string): string {
  const separator = url.includes("?") ? "&" : "?";
  return `${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** A harness over PostgreSQL at {@link TEST_POSTGRES_URL}: each fresh database is a new schema. */
export function postgresHarness(baseUrl: string = TEST_POSTGRES_URL): Harness {
  let admin: pg.Pool | undefined;
  const schemas: string[] = [];
  const prefix = `ecert_test_${process.pid}_${randomBytes(3).toString("hex")}`;
  return {
    name: "PostgreSQL",
    dialect: "postgres",
    async setup() {
      admin = new pg.Pool({ connectionString: baseUrl, max: 2 });
      admin.on("error", () => undefined);
      await admin.query("SELECT 1");
    },
    async fresh() {
      const schema = `${prefix}_${schemas.length + 1}`;
      await admin!.query(`CREATE SCHEMA ${schema}`);
      schemas.push(schema);
      return withSearchPath(baseUrl, schema);
    },
    async open(location, options) {
      return openPostgresStore(location, { ...options, maxConnections: 4 });
    },
    async query(location, sql, params = []) {
      const client = new pg.Client({ connectionString: location });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
    async tables(location) {
      const rows = await this.query(
        location,
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
      );
      return rows.map((r) => r.name as string);
    },
    async cleanup() {
      if (!admin) return;
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

// --- values ---------------------------------------------------------------------------------------

/** SHA-256 of `text` as 64 lower-case hex (key, claim code, PDF and request hashes). */
export function sha256(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

/** `0x` + 64 lower-case hex derived from `text` (digests, roots, transaction hashes). */
export function hex32(text: string): string {
  return `0x${sha256(text)}`;
}

/** An ISO time `seconds` after 2025-01-01T00:00:00Z. */
export function at(seconds: number): string {
  return new Date(Date.UTC(2025, 0, 1) + seconds * 1000).toISOString();
}

/** A clock tests can move: `clock.now` for the store, `clock.set(seconds)` to move it. */
export function testClock(start = 0): { now: () => Date; set(seconds: number): void; iso(): string } {
  let current = new Date(at(start));
  return {
    now: () => current,
    set(seconds: number) {
      current = new Date(at(seconds));
    },
    iso: () => current.toISOString(),
  };
}

// --- rows -----------------------------------------------------------------------------------------

export const CSB = "CSB";
export const FSD = "FSD";
export const CRE = "csb-cre";
export const DG = "fsd-dg-licence";

export function newUpload(overrides: Partial<UploadRow> = {}): UploadRow {
  return {
    id: randomUUID(),
    issuerId: CSB,
    typeId: CRE,
    rowCount: 3,
    errorsJson: "[]",
    createdAt: at(0),
    state: "released",
    requestedBy: null,
    requestedByName: null,
    decidedBy: null,
    decidedByName: null,
    decidedAt: null,
    decisionReason: null,
    ...overrides,
  };
}

/** A certificate of `upload` at `row`: number `<PREFIX>-2025-<row>-<upload>`, name "CHAN Tai Man <row>" / 陳大文. */
export function newCertificate(
  upload: UploadRow,
  row: number,
  overrides: Partial<NewCertificate> = {},
): NewCertificate {
  const id = overrides.id ?? randomUUID();
  const prefix = upload.issuerId === FSD ? "DG" : "CRE";
  return {
    id,
    issuerId: upload.issuerId,
    typeId: upload.typeId,
    uploadId: upload.id,
    row,
    // Unique across uploads: a number is live once per issuer.
    certificateNumber: `${prefix}-2025-${String(row).padStart(5, "0")}-${upload.id.slice(0, 8)}`,
    recordJson: JSON.stringify({
      subject: { certificateNumber: `${prefix}-${row}` },
      validFrom: at(0),
      validUntil: null,
    }),
    credentialJson: JSON.stringify({
      id: `urn:uuid:${id}`,
      credentialSubject: { salt: randomBytes(16).toString("hex") },
    }),
    digest: hex32(`digest ${id}`),
    claimCodeHash: sha256(`claim ${id}`),
    supersedes: null,
    searchJson: JSON.stringify({
      name: { en: `CHAN Tai Man ${row}`, "zh-HK": "陳大文" },
      candidateNumber: `C${100000 + row}`,
    }),
    ...overrides,
  };
}

/** An upload of `count` certificates (rows 1..count). */
export function newUploadWith(
  count: number,
  overrides: Partial<UploadRow> = {},
): { upload: UploadRow; certificates: NewCertificate[] } {
  const upload = newUpload({ rowCount: count, ...overrides });
  const certificates = Array.from({ length: count }, (_, i) => newCertificate(upload, i + 1));
  return { upload, certificates };
}

/** Inserts an upload of `count` pending certificates and returns them. */
export async function seedPending(
  store: Store,
  count: number,
  overrides: Partial<UploadRow> = {},
): Promise<{ upload: UploadRow; certificates: NewCertificate[] }> {
  const seeded = newUploadWith(count, overrides);
  await store.insertUpload(seeded.upload, seeded.certificates);
  return seeded;
}

export function newBatch(
  issuerId: string,
  typeId: string,
  certificateCount: number,
  overrides: Partial<BatchRow> = {},
): BatchRow {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    issuerId,
    typeId,
    status: "closed",
    root: hex32(`root ${id}`),
    certificateCount,
    txHash: null,
    txNonce: null,
    blockNumber: null,
    anchoredAt: null,
    createdAt: at(10),
    updatedAt: at(10),
    attempts: 0,
    failure: null,
    failedAt: null,
    ...overrides,
  };
}

/** Closes a batch of the given certificates (all of one issuer and type). */
export async function seedBatch(
  store: Store,
  certificates: readonly { id: string; issuerId: string; typeId: string }[],
  overrides: Partial<BatchRow> = {},
): Promise<BatchRow> {
  const batch = newBatch(certificates[0].issuerId, certificates[0].typeId, certificates.length, overrides);
  await store.closeBatch(
    batch,
    certificates.map((c) => c.id),
  );
  return batch;
}

/** A PDF-like byte string for a certificate. */
export function pdfBytes(certificateId: string): Uint8Array {
  return new Uint8Array(Buffer.from(`%PDF-1.7\n% ${certificateId}\n%%EOF\n`, "latin1"));
}

/** Takes pending certificates all the way to `issued` in one batch; returns the batch. */
export async function seedIssued(
  store: Store,
  certificates: readonly { id: string; issuerId: string; typeId: string }[],
  overrides: Partial<BatchRow> = {},
): Promise<BatchRow> {
  const batch = await seedBatch(store, certificates, overrides);
  await store.markBatchSubmitted(batch.id, hex32(`tx ${batch.id}`), 7);
  await store.markBatchAnchored(batch.id, 12, at(20), null);
  for (const c of certificates) {
    const pdf = pdfBytes(c.id);
    await store.putPdf(c.id, pdf, sha256(pdf));
  }
  await store.markBatchRendered(batch.id);
  return batch;
}

export function newOperation(
  kind: OperationKind,
  target: { issuerId: string; certificateId?: string | null; batchId?: string | null },
  overrides: Partial<OperationRow> = {},
): OperationRow {
  return {
    id: randomUUID(),
    issuerId: target.issuerId,
    kind,
    certificateId: target.certificateId ?? null,
    batchId: target.batchId ?? null,
    reason: 3,
    successorId: null,
    status: "queued",
    txHash: null,
    error: null,
    createdAt: at(30),
    updatedAt: at(30),
    ...overrides,
  };
}

/** An API key of CSB with every scope and no expiry, as the store reads it back. */
export function newApiKey(overrides: Partial<ApiKeyRow> = {}): ApiKeyRow {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    issuerId: CSB,
    label: "ops",
    keyHash: sha256(`key ${id}`),
    createdAt: at(1),
    revokedAt: null,
    scopes: ["issue", "read", "status"],
    expiresAt: null,
    ...overrides,
  };
}

/** Officers as the store sees them: an actor id and a name. */
export type Person = { id: string; name: string };
export const CLERK: Person = { id: "officer:clerk-1", name: "CHAN Siu Ming 陳小明" };
export const APPROVER: Person = { id: "officer:approver-1", name: "WONG Mei Ling 黃美玲" };
export const SECOND_APPROVER: Person = { id: "officer:approver-2", name: "LEE Ka Yan 李嘉欣" };

/** A decision of `by` at 50 s (a rejection needs its reason). */
export function decision(state: Decision["state"], by: Person = APPROVER, overrides: Partial<Decision> = {}): Decision {
  return {
    state,
    by: by.id,
    byName: by.name,
    at: at(50),
    reason: state === "rejected" ? "the results are not final" : null,
    ...overrides,
  };
}

/** Inserts an upload of `count` pending certificates awaiting approval, uploaded by `requester`. */
export async function seedAwaiting(
  store: Store,
  count: number,
  requester: Person = CLERK,
  overrides: Partial<UploadRow> = {},
): Promise<{ upload: UploadRow; certificates: NewCertificate[] }> {
  return seedPending(store, count, {
    state: "awaiting-approval",
    requestedBy: requester.id,
    requestedByName: requester.name,
    ...overrides,
  });
}

/** A revocation of `certificate` requested by the clerk, awaiting approval. */
export function newChangeRequest(
  certificate: { id: string; issuerId: string },
  overrides: Partial<ChangeRequestRow> = {},
): ChangeRequestRow {
  return {
    id: randomUUID(),
    issuerId: certificate.issuerId,
    certificateId: certificate.id,
    kind: "revoke",
    reason: 4,
    note: "The candidate's result was revised on appeal (case 2025/117).",
    state: "awaiting-approval",
    requestedBy: CLERK.id,
    requestedByName: CLERK.name,
    requestedAt: at(40),
    decidedBy: null,
    decidedByName: null,
    decidedAt: null,
    decisionReason: null,
    operationId: null,
    ...overrides,
  };
}

/** A session of the CSB clerk from 100 s, ending at the latest at 100 s + 8 h. */
export function newSession(overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    idHash: sha256(`session ${randomUUID()}`),
    issuerId: CSB,
    subject: "clerk-1",
    name: CLERK.name,
    email: "clerk-1@csb.gov.hk",
    roles: ["clerk", "approver"],
    createdAt: at(100),
    lastSeenAt: at(100),
    expiresAt: at(100 + 8 * 3600),
    endedAt: null,
    ...overrides,
  };
}

export function newLoginAttempt(overrides: Partial<LoginAttemptRow> = {}): LoginAttemptRow {
  return {
    state: randomBytes(16).toString("base64url"),
    codeVerifier: randomBytes(32).toString("base64url"),
    nonce: randomBytes(16).toString("base64url"),
    returnTo: "/officer/batches",
    createdAt: at(100),
    ...overrides,
  };
}

/** An audit entry of CSB's clerk. */
export function newAuditEntry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    issuerId: CSB,
    at: at(60),
    actorId: CLERK.id,
    actorName: CLERK.name,
    action: "upload",
    source: "203.0.113.7",
    certificateId: null,
    uploadId: null,
    batchId: null,
    detailJson: '{"rows":3}',
    ...overrides,
  };
}

/** The hash of `entry` at `seq` after `prevHash` (the store only links them; any hash of both does). */
export function entryHash(entry: NewAuditEntry, seq: number, prevHash: string): string {
  return sha256(JSON.stringify([entry, seq, prevHash]));
}

/** `appendAudit(entry)` with {@link entryHash}. */
export function append(store: Store, entry: NewAuditEntry) {
  return store.appendAudit(entry, (seq, prevHash) => entryHash(entry, seq, prevHash));
}

// --- assertions -----------------------------------------------------------------------------------

/** Awaits `promise`, expecting a StoreError with `code` (and a message matching `message`). */
export async function expectStoreError(
  promise: Promise<unknown>,
  code: StoreErrorCode,
  message?: RegExp,
): Promise<StoreError> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(isStoreError(error, code), `expected StoreError ${code}, got ${String(error)}`).to.equal(true);
  if (message) expect((error as Error).message).to.match(message);
  return error as StoreError;
}

/** The stored row of `c`, which must exist. */
export async function mustFind(store: Store, id: string): Promise<CertificateRow> {
  const row = await store.findCertificate(id);
  expect(row, `certificate ${id}`).to.not.equal(undefined);
  return row!;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
