/**
 * The one SQL {@link Store}, written once over a small driver layer (`SqlDriver`): SQLite through
 * better-sqlite3 (`sqlite-store.ts`) and PostgreSQL through pg (`postgres-store.ts`). Every statement
 * is written here with `?` placeholders (the PostgreSQL driver numbers them); the few real differences
 * between the dialects are the named hooks of {@link SqlDriver}: how a transaction begins (`BEGIN
 * IMMEDIATE` on SQLite, which holds the write lock from the first read; `BEGIN` on PostgreSQL), the row
 * locks (`FOR UPDATE` on PostgreSQL, in id order so two instances cannot deadlock), the bulk insert of
 * `insertUpload` (PostgreSQL's `unnest`) with its partial-index `ON CONFLICT` target, moving
 * certificates into a batch, the search of `listCertificates` (`ecert_matches` on SQLite, `jsonb_path_query`
 * on PostgreSQL), a list parameter, and the mapping of driver errors to {@link StoreError} codes.
 *
 * Transactions: `transaction(fn)` begins a transaction (on SQLite on the one connection, other callers
 * waiting until it ends; on PostgreSQL on a dedicated pooled client) and passes `fn` a handle bound to
 * it; `transaction` on that handle nests as a savepoint (see `transaction-scope.ts`). Multi-statement
 * methods run in such a transaction, or a savepoint of the caller's.
 *
 * As in any PostgreSQL transaction, after a statement fails inside `transaction(fn)` the transaction can
 * only roll back (calls fail with `INVALID_STATE`); a nested `transaction` around the call that may fail
 * keeps the outer one usable.
 */
import { randomUUID } from "node:crypto";
import {
  applyMigrations,
  LIVE_NUMBER_PREDICATE,
  type Dialect,
  type Migration,
  type MigrationConnection,
} from "./migrations.ts";
import {
  API_KEY_COLUMNS,
  AUDIT_COLUMNS,
  CHANGE_REQUEST_COLUMNS,
  EMAIL_COLUMNS,
  SESSION_COLUMNS,
  toAudit,
  toChangeRequest,
  toEmail,
  toSession,
  asBuffer,
  BATCH_COLUMNS,
  CERTIFICATE_COLUMNS,
  CERTIFICATE_ORDER,
  checkBatch,
  checkBatchMembers,
  checkLimit,
  checkListFilter,
  checkUpload,
  EVENT_COLUMNS,
  IDEMPOTENCY_COLUMNS,
  OPERATION_COLUMNS,
  refusedStep,
  toApiKey,
  toBatch,
  toCertificate,
  toEvent,
  toIdempotency,
  toOperation,
  toPendingGroup,
  toProgress,
  toUpload,
  UPLOAD_COLUMNS,
  type DbRow,
} from "./rows.ts";
import {
  AUDIT_GENESIS_HASH,
  type AuditRow,
  type ChangeRequestRow,
  type Decision,
  type EmailRow,
  type LoginAttemptRow,
  type NewAuditEntry,
  type SessionRow,
  type UploadState,
} from "./store.ts";
import type {
  ApiKeyRow,
  LeaseRow,
  BatchLeaf,
  BatchMemberPdf,
  BatchRow,
  CertificateRow,
  CertificateStatus,
  DuplicateDigest,
  DuplicateLiveNumber,
  EventRow,
  IdempotencyRow,
  NewCertificate,
  OperationRow,
  PdfToStore,
  RefusedCertificate,
  Store,
  UploadRow,
} from "./store.ts";
import { isStoreError, StoreError } from "./store-error.ts";
import { TransactionScope } from "./transaction-scope.ts";

/** The statuses a certificate may have for each approved change (maker-checker). */
const CHANGE_ALLOWED: Partial<Record<string, string[]>> = {
  revoke: ["issued", "suspended"],
  suspend: ["issued"],
  reinstate: ["suspended"],
};

/** Events a statement of `insertEvents` (8 parameters each: 4,000, under both databases' limits). */
const EVENTS_CHUNK = 500;
/** The statement inserting `rows` events, with {@link eventParameters} of each in turn. */
function insertEventsSql(rows: number): string {
  return `INSERT INTO events (issuer_id, certificate_id, batch_id, type, actor, actor_name, detail_json, at)
    VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`;
}

function eventParameters(event: Omit<EventRow, "id">): unknown[] {
  const { issuerId, certificateId, batchId, type, actor, actorName, detailJson, at } = event;
  return [issuerId, certificateId, batchId, type, actor, actorName ?? null, detailJson, at];
}

/** Certificates `c` of released uploads: the batcher takes nothing still awaiting approval (issue 14). */
const RELEASED = "EXISTS (SELECT 1 FROM uploads u WHERE u.id = c.upload_id AND u.state = 'released')";

/** What one statement gives back: its rows (if it returns any) and how many rows it returned or changed. */
export type SqlResult = { rows: DbRow[]; count: number };

/** A connection (or a pool) that runs statements with `?` placeholders. */
export interface SqlConnection {
  query(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
  /** Runs statements without parameters (several, separated by `;`). */
  exec(sql: string): Promise<void>;
}

/** A driver: the connection of one database and the hooks where its dialect differs. */
export interface SqlDriver {
  readonly dialect: Dialect;
  /** The store's own connection: SQLite's one connection, or PostgreSQL's pool. */
  readonly root: SqlConnection;
  /**
   * A dedicated connection for a transaction (PostgreSQL's pooled client), released when it ends; null
   * when transactions run on `root` one at a time and calls outside them wait (SQLite's one connection).
   */
  readonly acquire: (() => Promise<{ connection: SqlConnection; release(broken?: Error): void }>) | null;
  /** Begins a transaction: `BEGIN IMMEDIATE` on SQLite (waiting for the write lock without blocking), `BEGIN` on PostgreSQL. */
  begin(db: SqlConnection): Promise<void>;
  /** Appended to a SELECT whose rows another instance must not take meanwhile (`FOR UPDATE`, or ""). */
  readonly forUpdate: string;
  /** An SQL expression: the database's clock now, in ms since 1970 (leases expire by it). */
  readonly clockMs: string;
  /** `column IN` a list of strings given as one parameter: the SQL to put after the column, and the parameter. */
  inList(values: readonly string[]): { sql: string; param: unknown };
  /** The match of `listCertificates`' query on certificates `c` (see rows.ts `certificateMatches`). */
  matches(needle: string): { sql: string; params: unknown[] };
  /**
   * Inserts the upload's certificates as `pending` (`ON CONFLICT (issuer_id, certificate_number) WHERE
   * LIVE_NUMBER_PREDICATE DO NOTHING`) and returns the ids stored: a number live already is skipped.
   */
  insertCertificates(
    db: SqlConnection,
    upload: UploadRow,
    certificates: readonly NewCertificate[],
  ): Promise<Set<string>>;
  /** Moves pending certificates into a batch, leaf indexes in the given order; returns how many moved. */
  moveIntoBatch(db: SqlConnection, batchId: string, certificateIds: readonly string[], now: string): Promise<number>;
  /** `putPdf` in one statement (PostgreSQL: one round trip), returning the rows changed; absent: two, atomically. */
  readonly putPdf?: (
    db: SqlConnection,
    certificateId: string,
    pdf: Buffer,
    pdfHash: string,
    now: string,
  ) => Promise<number>;
  /**
   * `putPdfs` for one chunk in one statement (PostgreSQL: one round trip), inside the caller's
   * transaction: stores each PDF whose certificate is anchoring without one, and returns the ids stored;
   * absent: two statements a PDF.
   */
  readonly putPdfs?: (db: SqlConnection, items: readonly PdfRow[], now: string) => Promise<Set<string>>;
  /** The driver's error as a {@link StoreError} (constraint, lock, connection ...); other errors as they are. */
  mapError(error: unknown, method: string): unknown;
  close(): Promise<void>;
}

/** One PDF of `putPdfs` as the driver gets it: the bytes as a Buffer. */
export type PdfRow = { certificateId: string; pdf: Buffer; pdfHash: string };

/** What every handle on one database shares. */
export type SqlShared = {
  readonly driver: SqlDriver;
  readonly now: () => Date;
  readonly migrations: readonly Migration[];
  /** The store's own scope (depth 0): ended once the store is closed. */
  readonly root: TransactionScope;
};

export function sqlShared(
  driver: SqlDriver,
  now: (() => Date) | undefined,
  migrations: readonly Migration[],
): SqlShared {
  return { driver, now: now ?? (() => new Date()), migrations, root: new TransactionScope(0) };
}

/** Live, unless being renewed by a pending or anchoring renewal of the same number (they share it meanwhile). */
const LIVE_FOR_CHECK = `c.status IN ('pending', 'anchoring', 'issued', 'suspended') AND (c.renewed_by IS NULL OR NOT EXISTS (
  SELECT 1 FROM certificates r WHERE r.id = c.renewed_by AND r.supersedes = c.id AND r.issuer_id = c.issuer_id
    AND r.certificate_number = c.certificate_number AND r.status IN ('pending', 'anchoring')))`;

/**
 * A handle on a database: the store itself (from `openSqliteStore` / `openPostgresStore`) or, inside
 * `transaction(fn)`, the handle passed to `fn`. Do not construct it directly.
 */
export class SqlStore implements Store {
  readonly #s: SqlShared;
  readonly #db: SqlConnection;
  readonly #scope: TransactionScope;

  constructor(
    shared: SqlShared,
    connection: SqlConnection = shared.driver.root,
    scope: TransactionScope = shared.root,
  ) {
    this.#s = shared;
    this.#db = connection;
    this.#scope = scope;
  }

  // --- plumbing -------------------------------------------------------------------------------------

  #handle(connection: SqlConnection, scope: TransactionScope): SqlStore {
    return new (this.constructor as typeof SqlStore)(this.#s, connection, scope);
  }

  #assertOpen(method: string): void {
    if (this.#scope.ended || this.#s.root.ended) {
      throw new StoreError(
        "CLOSED",
        this.#scope.depth === 0 || this.#s.root.ended
          ? `${method}: the store is closed`
          : `${method}: the transaction this store handle belongs to has ended`,
      );
    }
  }

  /** Runs one statement once no transaction opened on this handle is running. */
  async #q(method: string, sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
    this.#assertOpen(method);
    const idle = this.#scope.whenIdle();
    if (idle !== undefined) {
      await idle;
      this.#assertOpen(method);
    }
    try {
      return await this.#db.query(sql, params);
    } catch (error) {
      throw this.#s.driver.mapError(error, method);
    }
  }

  async #rows(method: string, sql: string, params: readonly unknown[] = []): Promise<DbRow[]> {
    return (await this.#q(method, sql, params)).rows;
  }

  async #row(method: string, sql: string, params: readonly unknown[] = []): Promise<DbRow | undefined> {
    return (await this.#q(method, sql, params)).rows[0];
  }

  /** Runs `fn` atomically: in a new transaction, or in a savepoint of the caller's. */
  #atomic<T>(fn: (tx: SqlStore) => Promise<T>): Promise<T> {
    return this.transaction((tx) => fn(tx as SqlStore));
  }

  async #status(
    method: string,
    table: "batches" | "certificates" | "operations",
    id: string,
  ): Promise<string | undefined> {
    return (await this.#row(method, `SELECT status FROM ${table} WHERE id = ?`, [id]))?.status as string | undefined;
  }

  #now(): string {
    return this.#s.now().toISOString();
  }

  // --- lifecycle ------------------------------------------------------------------------------------

  async migrate(): Promise<void> {
    await this.#atomic(async (tx) => {
      const connection: MigrationConnection = {
        dialect: this.#s.driver.dialect,
        exec: async (sql) => {
          tx.#assertOpen("migrate");
          await tx.#db.exec(sql);
        },
        query: async <R>(sql: string, params: readonly unknown[]) => (await tx.#rows("migrate", sql, params)) as R[],
      };
      try {
        await applyMigrations(connection, this.#s.migrations, this.#s.now());
      } catch (error) {
        throw this.#s.driver.mapError(error, "migrate");
      }
    });
  }

  /** Waits for the open transaction (SQLite), then closes the connection or pool. Later calls fail with `CLOSED`. */
  async ping(): Promise<void> {
    await this.#q("ping", "SELECT 1");
  }

  async close(): Promise<void> {
    if (this.#scope.depth !== 0)
      throw new StoreError("INVALID_STATE", "close: a transaction's store handle cannot close the store");
    if (this.#s.root.ended) return;
    const idle = this.#scope.whenIdle();
    if (idle !== undefined) await idle;
    this.#s.root.end();
    await this.#s.driver.close();
  }

  async transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    this.#assertOpen("transaction");
    const { driver } = this.#s;
    if (this.#scope.depth > 0 || driver.acquire === null) {
      return this.#scope.run((child) => this.#run(this.#db, child, fn, undefined));
    }
    let acquired: Awaited<ReturnType<NonNullable<SqlDriver["acquire"]>>>;
    try {
      acquired = await driver.acquire();
    } catch (error) {
      throw driver.mapError(error, "transaction");
    }
    return this.#run(acquired.connection, new TransactionScope(1), fn, acquired.release);
  }

  /** Begins the transaction (depth 1) or savepoint (deeper) of `scope`, runs `fn`, commits or rolls back. */
  async #run<T>(
    db: SqlConnection,
    scope: TransactionScope,
    fn: (store: Store) => Promise<T>,
    release: ((broken?: Error) => void) | undefined,
  ): Promise<T> {
    const top = scope.depth === 1;
    const name = `ecert_tx_${scope.depth}`;
    let broken: Error | undefined;
    try {
      this.#assertOpen("transaction");
      await (top ? this.#s.driver.begin(db) : db.exec(`SAVEPOINT ${name}`));
      const result = await fn(this.#handle(db, scope));
      await db.exec(top ? "COMMIT" : `RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      // Nothing to undo when the database rolled back on its own; a lost connection is not pooled again.
      await db.exec(top ? "ROLLBACK" : `ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`).catch((e: Error) => {
        broken = e;
      });
      throw this.#s.driver.mapError(error, "transaction");
    } finally {
      scope.end();
      release?.(broken);
    }
  }

  // --- leases ---------------------------------------------------------------------------------------

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseRow | undefined> {
    checkLease("acquireLease", name, holder);
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > 86_400_000)
      throw new StoreError(
        "INVALID_ARGUMENT",
        `acquireLease: ttlMs must be an integer from 1 to 86400000, not ${ttlMs}`,
      );
    const now = this.#s.driver.clockMs;
    const row = await this.#row(
      "acquireLease",
      `INSERT INTO leases (name, holder, epoch, expires_at) VALUES (?, ?, 1, ${now} + ?)
       ON CONFLICT (name) DO UPDATE SET
         epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ${now}
                      THEN leases.epoch ELSE leases.epoch + 1 END,
         holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= ${now}
       RETURNING epoch, expires_at AS "expiresAt"`,
      [name, holder, ttlMs],
    );
    return row ? { name, holder, epoch: Number(row.epoch), expiresAt: Number(row.expiresAt) } : undefined;
  }

  async releaseLease(name: string, holder: string, epoch: number): Promise<void> {
    checkLease("releaseLease", name, holder);
    await this.#q("releaseLease", "UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ? AND epoch = ?", [
      name,
      holder,
      epoch,
    ]);
  }

  async assertLease(name: string, holder: string, epoch: number): Promise<void> {
    checkLease("assertLease", name, holder);
    const row = await this.#row(
      "assertLease",
      `SELECT holder, epoch, CASE WHEN expires_at > ${this.#s.driver.clockMs} THEN 1 ELSE 0 END AS live
       FROM leases WHERE name = ?${this.#s.driver.forUpdate}`,
      [name],
    );
    if (row && row.holder === holder && Number(row.epoch) === epoch && Number(row.live) === 1) return;
    const now = !row
      ? "nobody has held it"
      : row.holder === holder && Number(row.epoch) === epoch
        ? "it expired"
        : `it is held at epoch ${Number(row.epoch)}${Number(row.live) === 1 ? "" : " (expired)"} by another holder`;
    throw new StoreError("LEASE_LOST", `lease ${name}: epoch ${epoch} is no longer ${holder}'s: ${now}`);
  }

  // --- API keys -------------------------------------------------------------------------------------

  async insertApiKey(row: ApiKeyRow): Promise<void> {
    await this.#q(
      "insertApiKey",
      `INSERT INTO api_keys (id, issuer_id, label, key_hash, created_at, revoked_at, scopes_json, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.id,
        row.issuerId,
        row.label,
        row.keyHash,
        row.createdAt,
        row.revokedAt,
        JSON.stringify(row.scopes ?? ["issue", "read", "status"]),
        row.expiresAt ?? null,
      ],
    );
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    const row = await this.#row("findApiKeyByHash", `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?`, [
      keyHash,
    ]);
    return row && toApiKey(row);
  }

  async listApiKeys(issuerId: string): Promise<ApiKeyRow[]> {
    const sql = `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE issuer_id = ? ORDER BY created_at, id`;
    return (await this.#rows("listApiKeys", sql, [issuerId])).map(toApiKey);
  }

  async revokeApiKey(issuerId: string, id: string, at: string): Promise<boolean> {
    const result = await this.#q(
      "revokeApiKey",
      "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND issuer_id = ? AND revoked_at IS NULL",
      [at, id, issuerId],
    );
    return result.count === 1;
  }

  // --- officers' sessions and sign-ins --------------------------------------------------------------

  async insertSession(row: SessionRow): Promise<void> {
    await this.#q(
      "insertSession",
      `INSERT INTO officer_sessions (id_hash, issuer_id, subject, name, email, roles_json, created_at, last_seen_at,
         expires_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.idHash,
        row.issuerId,
        row.subject,
        row.name,
        row.email,
        JSON.stringify(row.roles),
        row.createdAt,
        row.lastSeenAt,
        row.expiresAt,
        row.endedAt,
      ],
    );
  }

  async findSession(idHash: string): Promise<SessionRow | undefined> {
    const row = await this.#row("findSession", `SELECT ${SESSION_COLUMNS} FROM officer_sessions WHERE id_hash = ?`, [
      idHash,
    ]);
    return row && toSession(row);
  }

  async touchSession(idHash: string, at: string): Promise<void> {
    await this.#q(
      "touchSession",
      "UPDATE officer_sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?",
      [at, idHash, at],
    );
  }

  async endSession(idHash: string, at: string): Promise<void> {
    await this.#q("endSession", "UPDATE officer_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL", [
      at,
      idHash,
    ]);
  }

  async insertLoginAttempt(row: LoginAttemptRow): Promise<void> {
    await this.#q(
      "insertLoginAttempt",
      "INSERT INTO login_attempts (state, code_verifier, nonce, return_to, created_at) VALUES (?, ?, ?, ?, ?)",
      [row.state, row.codeVerifier, row.nonce, row.returnTo, row.createdAt],
    );
  }

  async takeLoginAttempt(state: string): Promise<LoginAttemptRow | undefined> {
    const row = await this.#row(
      "takeLoginAttempt",
      `DELETE FROM login_attempts WHERE state = ?
       RETURNING state, code_verifier AS "codeVerifier", nonce, return_to AS "returnTo", created_at AS "createdAt"`,
      [state],
    );
    return (
      row && {
        state: String(row.state),
        codeVerifier: String(row.codeVerifier),
        nonce: String(row.nonce),
        returnTo: String(row.returnTo),
        createdAt: String(row.createdAt),
      }
    );
  }

  async pruneSessions(before: string): Promise<void> {
    await this.#atomic(async (tx) => {
      await tx.#q("pruneSessions", "DELETE FROM login_attempts WHERE created_at < ?", [before]);
      await tx.#q("pruneSessions", "DELETE FROM officer_sessions WHERE expires_at < ? OR ended_at < ?", [
        before,
        before,
      ]);
    });
  }

  // --- idempotency ----------------------------------------------------------------------------------

  async findIdempotency(issuerId: string, key: string): Promise<IdempotencyRow | undefined> {
    const sql = `SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_keys WHERE issuer_id = ? AND idempotency_key = ?`;
    const row = await this.#row("findIdempotency", sql, [issuerId, key]);
    return row && toIdempotency(row);
  }

  async insertIdempotency(row: IdempotencyRow): Promise<boolean> {
    // ON CONFLICT DO NOTHING: a taken key neither fails nor aborts the caller's transaction.
    const result = await this.#q(
      "insertIdempotency",
      `INSERT INTO idempotency_keys (issuer_id, idempotency_key, request_hash, status_code, response_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (issuer_id, idempotency_key) DO NOTHING`,
      [row.issuerId, row.key, row.requestHash, row.statusCode, row.responseJson, row.createdAt],
    );
    return result.count === 1;
  }

  // --- uploads and certificates ---------------------------------------------------------------------

  async insertUpload(upload: UploadRow, certificates: NewCertificate[]): Promise<{ refused: RefusedCertificate[] }> {
    this.#assertOpen("insertUpload");
    checkUpload(upload, certificates);
    return this.#atomic(async (tx) => {
      await tx.#q(
        "insertUpload",
        `INSERT INTO uploads (id, issuer_id, type_id, row_count, errors_json, created_at, state, requested_by,
           requested_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          upload.id,
          upload.issuerId,
          upload.typeId,
          upload.rowCount,
          upload.errorsJson,
          upload.createdAt,
          upload.state ?? "released",
          upload.requestedBy ?? null,
          upload.requestedByName ?? null,
        ],
      );
      // A number live already (in the database, or earlier in this upload) is skipped, not an error: the
      // unique index decides, and waits for a concurrent insert of the same number to commit.
      let stored: Set<string>;
      try {
        stored = await this.#s.driver.insertCertificates(tx.#db, upload, certificates);
      } catch (error) {
        throw this.#s.driver.mapError(error, "insertUpload");
      }
      // The candidates' e-mails wait in the outbox until their certificates are issued (never on the row).
      for (const c of certificates) {
        if (!c.email || !stored.has(c.id)) continue;
        await tx.#q(
          "insertUpload",
          `INSERT INTO email_outbox (id, issuer_id, certificate_id, to_address, claim_code, status, attempts,
             next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'waiting', 0, ?, ?)`,
          [randomUUID(), c.issuerId, c.id, c.email.toAddress, c.email.claimCode, upload.createdAt, upload.createdAt],
        );
      }
      const skipped = certificates.filter((c) => !stored.has(c.id));
      if (skipped.length === 0) return { refused: [] };
      const list = this.#s.driver.inList(skipped.map((c) => c.certificateNumber));
      const holders = await tx.#rows(
        "insertUpload",
        `SELECT id, certificate_number AS "certificateNumber" FROM certificates
         WHERE issuer_id = ? AND certificate_number ${list.sql} AND ${LIVE_NUMBER_PREDICATE}`,
        [upload.issuerId, list.param],
      );
      const holder = new Map(holders.map((h) => [String(h.certificateNumber), String(h.id)]));
      return { refused: skipped.map((c) => ({ id: c.id, existingId: String(holder.get(c.certificateNumber)) })) };
    });
  }

  async setUploadErrors(uploadId: string, errorsJson: string): Promise<void> {
    const result = await this.#q("setUploadErrors", "UPDATE uploads SET errors_json = ? WHERE id = ?", [
      errorsJson,
      uploadId,
    ]);
    if (result.count === 0) throw new StoreError("NOT_FOUND", `upload ${uploadId} does not exist`);
  }

  async markRenewing(certificateId: string, renewalId: string): Promise<void> {
    const result = await this.#q(
      "markRenewing",
      `UPDATE certificates SET renewed_by = ?, updated_at = ?
       WHERE id = ? AND status IN ('issued', 'suspended') AND renewed_by IS NULL`,
      [renewalId, this.#now(), certificateId],
    );
    if (result.count > 0) return;
    const row = await this.#row(
      "markRenewing",
      `SELECT status, renewed_by AS "renewedBy" FROM certificates WHERE id = ?`,
      [certificateId],
    );
    if (!row) throw new StoreError("NOT_FOUND", `certificate ${certificateId} does not exist`);
    throw new StoreError(
      "INVALID_STATE",
      row.renewedBy
        ? `certificate ${certificateId} is being renewed already (by ${String(row.renewedBy)})`
        : `certificate ${certificateId} is ${String(row.status)}: only an issued or suspended certificate can be renewed`,
    );
  }

  async uploadFailures(uploadId: string): Promise<{ batchId: string; failure: string; failedAt: string }[]> {
    const rows = await this.#rows(
      "uploadFailures",
      `SELECT b.id AS "batchId", b.failure, b.failed_at AS "failedAt" FROM batches b
       WHERE b.failure IS NOT NULL AND b.id IN (SELECT DISTINCT batch_id FROM certificates WHERE upload_id = ?)
       ORDER BY b.failed_at, b.id`,
      [uploadId],
    );
    return rows.map((r) => ({ batchId: String(r.batchId), failure: String(r.failure), failedAt: String(r.failedAt) }));
  }

  async findUpload(issuerId: string, id: string): Promise<UploadRow | undefined> {
    const row = await this.#row("findUpload", `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = ? AND issuer_id = ?`, [
      id,
      issuerId,
    ]);
    return row && toUpload(row);
  }

  async uploadProgress(uploadId: string): Promise<Partial<Record<CertificateStatus, number>>> {
    const sql = "SELECT status, count(*) AS count FROM certificates WHERE upload_id = ? GROUP BY status";
    return toProgress(await this.#rows("uploadProgress", sql, [uploadId]));
  }

  async certificateCounts(): Promise<Partial<Record<CertificateStatus, number>>> {
    const sql = "SELECT status, count(*) AS count FROM certificates GROUP BY status";
    return toProgress(await this.#rows("certificateCounts", sql));
  }

  async findCertificate(id: string): Promise<CertificateRow | undefined> {
    const row = await this.#row("findCertificate", `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.id = ?`, [
      id,
    ]);
    return row && toCertificate(row);
  }

  async findCertificateByClaimHash(claimCodeHash: string): Promise<CertificateRow | undefined> {
    const sql = `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.claim_code_hash = ?`;
    const row = await this.#row("findCertificateByClaimHash", sql, [claimCodeHash]);
    return row && toCertificate(row);
  }

  async listCertificates(
    issuerId: string,
    filter: { uploadId?: string; status?: CertificateStatus; query?: string; limit: number; offset: number },
  ): Promise<CertificateRow[]> {
    this.#assertOpen("listCertificates");
    const query = checkListFilter(filter);
    const where = ["c.issuer_id = ?"];
    const params: unknown[] = [issuerId];
    if (filter.uploadId !== undefined) {
      where.push("c.upload_id = ?");
      params.push(filter.uploadId);
    }
    if (filter.status !== undefined) {
      where.push("c.status = ?");
      params.push(filter.status);
    }
    if (query !== undefined) {
      const match = this.#s.driver.matches(query);
      where.push(match.sql);
      params.push(...match.params);
    }
    const rows = await this.#rows(
      "listCertificates",
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE ${where.join(" AND ")}
       ORDER BY ${CERTIFICATE_ORDER} LIMIT ? OFFSET ?`,
      [...params, filter.limit, filter.offset],
    );
    return rows.map(toCertificate);
  }

  async pendingGroups(): Promise<{ issuerId: string; typeId: string; count: number; oldest: string }[]> {
    const rows = await this.#rows(
      "pendingGroups",
      `SELECT issuer_id AS "issuerId", type_id AS "typeId", count(*) AS count, min(created_at) AS oldest
       FROM certificates c WHERE status = 'pending' AND ${RELEASED}
       GROUP BY issuer_id, type_id ORDER BY oldest, "issuerId", "typeId"`,
    );
    return rows.map(toPendingGroup);
  }

  async pendingCertificates(issuerId: string, typeId: string, limit: number): Promise<CertificateRow[]> {
    this.#assertOpen("pendingCertificates");
    checkLimit("pendingCertificates", limit);
    const rows = await this.#rows(
      "pendingCertificates",
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c
       WHERE c.issuer_id = ? AND c.type_id = ? AND c.status = 'pending' AND ${RELEASED}
       ORDER BY ${CERTIFICATE_ORDER} LIMIT ?`,
      [issuerId, typeId, limit],
    );
    return rows.map(toCertificate);
  }

  // --- batches --------------------------------------------------------------------------------------

  async closeBatch(batch: BatchRow, certificateIds: string[]): Promise<void> {
    this.#assertOpen("closeBatch");
    checkBatch(batch, certificateIds);
    await this.#atomic(async (tx) => {
      // SQLite's BEGIN IMMEDIATE holds the write lock from this first read; PostgreSQL locks the rows (in
      // id order: two instances locking overlapping sets cannot deadlock), and a row another instance
      // batched meanwhile is read as it is after that instance committed.
      const list = this.#s.driver.inList(certificateIds);
      const found = await tx.#rows(
        "closeBatch",
        `SELECT id, issuer_id AS "issuerId", type_id AS "typeId", status FROM certificates
         WHERE id ${list.sql} ORDER BY id${this.#s.driver.forUpdate}`,
        [list.param],
      );
      checkBatchMembers(
        batch,
        certificateIds,
        found as { id: string; issuerId: string; typeId: string; status: string }[],
      );
      await tx.#q(
        "closeBatch",
        `INSERT INTO batches (id, issuer_id, type_id, status, root, certificate_count, created_at, updated_at)
         VALUES (?, ?, ?, 'closed', ?, ?, ?, ?)`,
        [batch.id, batch.issuerId, batch.typeId, batch.root, certificateIds.length, batch.createdAt, batch.updatedAt],
      );
      let moved: number;
      try {
        moved = await this.#s.driver.moveIntoBatch(tx.#db, batch.id, certificateIds, tx.#now());
      } catch (error) {
        throw this.#s.driver.mapError(error, "closeBatch");
      }
      if (moved !== certificateIds.length) {
        throw new StoreError("INVALID_STATE", `batch ${batch.id}: a certificate is no longer pending`);
      }
    });
  }

  async findBatch(id: string): Promise<BatchRow | undefined> {
    const row = await this.#row("findBatch", `SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ?`, [id]);
    return row && toBatch(row);
  }

  async findBatchByRoot(root: string): Promise<BatchRow | undefined> {
    const row = await this.#row("findBatchByRoot", `SELECT ${BATCH_COLUMNS} FROM batches WHERE root = ?`, [root]);
    return row && toBatch(row);
  }

  async unfinishedBatches(): Promise<BatchRow[]> {
    const sql = `SELECT ${BATCH_COLUMNS} FROM batches WHERE status <> 'rendered' AND failure IS NULL ORDER BY created_at, id`;
    return (await this.#rows("unfinishedBatches", sql)).map(toBatch);
  }

  async recordBatchFailure(
    batchId: string,
    error: string,
    options: { maxAttempts: number; setAside?: boolean },
  ): Promise<{ attempts: number; setAside: boolean }> {
    const method = "recordBatchFailure";
    return this.#atomic(async (tx) => {
      const now = tx.#now();
      const row = await tx.#row(
        method,
        "UPDATE batches SET attempts = attempts + 1, updated_at = ? WHERE id = ? AND failure IS NULL RETURNING attempts",
        [now, batchId],
      );
      if (!row)
        throw refusedStep(
          "batch",
          batchId,
          await tx.#status(method, "batches", batchId),
          "count a failure (it is set aside already)",
        );
      const attempts = Number(row.attempts);
      const setAside = options.setAside === true || attempts >= options.maxAttempts;
      if (setAside) {
        await tx.#q(method, "UPDATE batches SET failure = ?, failed_at = ? WHERE id = ?", [error, now, batchId]);
        // First out of the live set, then the certificates they were renewing back into it.
        await tx.#q(
          method,
          "UPDATE certificates SET status = 'failed', updated_at = ? WHERE batch_id = ? AND status = 'anchoring'",
          [now, batchId],
        );
        await tx.#q(
          method,
          `UPDATE certificates SET renewed_by = NULL, updated_at = ?
           WHERE renewed_by IN (SELECT id FROM certificates WHERE batch_id = ? AND status = 'failed')`,
          [now, batchId],
        );
      }
      return { attempts, setAside };
    });
  }

  async anchoredBatches(after: { createdAt: string; id: string } | null, limit: number): Promise<BatchRow[]> {
    this.#assertOpen("anchoredBatches");
    checkLimit("anchoredBatches", limit);
    const rows = await this.#rows(
      "anchoredBatches",
      `SELECT ${BATCH_COLUMNS} FROM batches
       WHERE status IN ('anchored', 'rendered') AND failure IS NULL AND (created_at, id) > (?, ?)
       ORDER BY created_at, id LIMIT ?`,
      [after?.createdAt ?? "", after?.id ?? "", limit],
    );
    return rows.map(toBatch);
  }

  async batchCertificates(batchId: string): Promise<CertificateRow[]> {
    const sql = `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.batch_id = ? ORDER BY c.leaf_index`;
    return (await this.#rows("batchCertificates", sql, [batchId])).map(toCertificate);
  }

  async markBatchSubmitted(batchId: string, txHash: string, txNonce: number): Promise<void> {
    const result = await this.#q(
      "markBatchSubmitted",
      `UPDATE batches SET status = 'submitted', tx_hash = ?, tx_nonce = ?, updated_at = ?
       WHERE id = ? AND status IN ('closed', 'submitted')`,
      [txHash, txNonce, this.#now(), batchId],
    );
    if (result.count === 0) {
      throw refusedStep(
        "batch",
        batchId,
        await this.#status("markBatchSubmitted", "batches", batchId),
        "record an anchor transaction",
      );
    }
  }

  async markBatchAnchored(
    batchId: string,
    blockNumber: number,
    anchoredAt: string,
    txHash: string | null,
  ): Promise<void> {
    const result = await this.#q(
      "markBatchAnchored",
      `UPDATE batches SET status = 'anchored', block_number = ?, anchored_at = ?, tx_hash = coalesce(?, tx_hash),
         updated_at = ?
       WHERE id = ? AND status IN ('closed', 'submitted')`,
      [blockNumber, anchoredAt, txHash, this.#now(), batchId],
    );
    if (result.count === 0) {
      throw refusedStep(
        "batch",
        batchId,
        await this.#status("markBatchAnchored", "batches", batchId),
        "mark it anchored",
      );
    }
  }

  async putPdf(certificateId: string, pdf: Uint8Array, pdfHash: string): Promise<void> {
    this.#assertOpen("putPdf");
    const { driver } = this.#s;
    const bytes = asBuffer(pdf);
    const changed = driver.putPdf
      ? await this.#hook("putPdf", (db) => driver.putPdf!(db, certificateId, bytes, pdfHash, this.#now()))
      : await this.#atomic(async (tx) => {
          const now = tx.#now();
          const sql =
            "UPDATE certificates SET pdf_hash = ?, updated_at = ? WHERE id = ? AND status = 'anchoring' AND pdf_hash IS NULL";
          const { count } = await tx.#q("putPdf", sql, [pdfHash, now, certificateId]);
          if (count === 0) return 0;
          await tx.#q(
            "putPdf",
            `INSERT INTO certificate_pdfs (certificate_id, pdf, pdf_hash, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (certificate_id) DO NOTHING`,
            [certificateId, bytes, pdfHash, now],
          );
          return count;
        });
    if (changed === 0) {
      const row = await this.#row("putPdf", "SELECT status, pdf_hash FROM certificates WHERE id = ?", [certificateId]);
      // Rendered first by another instance: its PDF stays (the first one stored is the one served).
      if (row?.status === "anchoring" && row.pdf_hash !== null) return;
      throw refusedStep(
        "certificate",
        certificateId,
        row?.status as string | undefined,
        "store its PDF (only while anchoring)",
      );
    }
  }

  async putPdfs(items: readonly PdfToStore[], fence?: (store: Store) => Promise<void>): Promise<number> {
    const method = "putPdfs";
    this.#assertOpen(method);
    if (!Array.isArray(items)) throw new StoreError("INVALID_ARGUMENT", `${method}: items must be an array`);
    const rows: PdfRow[] = items.map((item) => ({
      certificateId: item.certificateId,
      pdf: asBuffer(item.pdf),
      pdfHash: item.pdfHash,
    }));
    const ids = rows.map((r) => r.certificateId);
    if (new Set(ids).size !== ids.length) {
      const twice = ids.find((id, i) => ids.indexOf(id) !== i);
      throw new StoreError("INVALID_ARGUMENT", `${method}: certificate ${twice} appears twice`);
    }
    if (rows.length === 0 && fence === undefined) return 0;
    return this.#atomic(async (tx) => {
      if (fence) await fence(tx);
      if (rows.length === 0) return 0;
      const now = tx.#now();
      const { driver } = this.#s;
      let stored: Set<string>;
      if (driver.putPdfs) {
        stored = await tx.#hook(method, (db) => driver.putPdfs!(db, rows, now));
      } else {
        stored = new Set();
        for (const r of rows) {
          const { count } = await tx.#q(
            method,
            "UPDATE certificates SET pdf_hash = ?, updated_at = ? WHERE id = ? AND status = 'anchoring' AND pdf_hash IS NULL",
            [r.pdfHash, now, r.certificateId],
          );
          if (count === 0) continue;
          await tx.#q(
            method,
            `INSERT INTO certificate_pdfs (certificate_id, pdf, pdf_hash, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (certificate_id) DO NOTHING`,
            [r.certificateId, r.pdf, r.pdfHash, now],
          );
          stored.add(r.certificateId);
        }
      }
      const others = ids.filter((id) => !stored.has(id));
      if (others.length === 0) return stored.size;
      // Rendered first by another instance: its PDF stays. Anything else refuses the whole call.
      const list = driver.inList(others);
      const found = new Map(
        (
          await tx.#rows(method, `SELECT id, status, pdf_hash AS "pdfHash" FROM certificates WHERE id ${list.sql}`, [
            list.param,
          ])
        ).map((r) => [String(r.id), r]),
      );
      for (const id of others) {
        const row = found.get(id);
        if (row?.status === "anchoring" && row.pdfHash !== null) continue;
        throw refusedStep("certificate", id, row?.status as string | undefined, "store its PDF (only while anchoring)");
      }
      return stored.size;
    });
  }

  /** Runs a driver hook on this handle's connection, as `#q` runs a statement. */
  async #hook<T>(method: string, hook: (db: SqlConnection) => Promise<T>): Promise<T> {
    const idle = this.#scope.whenIdle();
    if (idle !== undefined) await idle;
    this.#assertOpen(method);
    try {
      return await hook(this.#db);
    } catch (error) {
      throw this.#s.driver.mapError(error, method);
    }
  }

  async getPdf(certificateId: string): Promise<Uint8Array | undefined> {
    const row = await this.#row("getPdf", "SELECT pdf FROM certificate_pdfs WHERE certificate_id = ?", [certificateId]);
    return row?.pdf as Uint8Array | undefined;
  }

  async markBatchRendered(batchId: string): Promise<void> {
    const method = "markBatchRendered";
    await this.#atomic(async (tx) => {
      const batch = await tx.#row(method, `SELECT status FROM batches WHERE id = ?${this.#s.driver.forUpdate}`, [
        batchId,
      ]);
      const status = batch?.status as string | undefined;
      if (status !== "anchored") throw refusedStep("batch", batchId, status, "mark it rendered (only once anchored)");
      const sql =
        "SELECT count(*) AS n FROM certificates WHERE batch_id = ? AND status = 'anchoring' AND pdf_hash IS NULL";
      const missing = Number((await tx.#row(method, sql, [batchId]))?.n);
      if (missing > 0)
        throw new StoreError("INVALID_STATE", `batch ${batchId}: ${missing} certificates have no PDF yet`);
      const now = tx.#now();
      await tx.#q(method, "UPDATE batches SET status = 'rendered', updated_at = ? WHERE id = ?", [now, batchId]);
      await tx.#q(
        method,
        "UPDATE certificates SET status = 'issued', updated_at = ? WHERE batch_id = ? AND status = 'anchoring'",
        [now, batchId],
      );
      await tx.#q(
        method,
        `UPDATE certificates SET status = 'superseded', updated_at = ?
         WHERE status IN ('issued', 'suspended') AND id IN (
           SELECT supersedes FROM certificates WHERE batch_id = ? AND status = 'issued' AND supersedes IS NOT NULL)`,
        [now, batchId],
      );
    });
  }

  // --- status changes -------------------------------------------------------------------------------

  async insertOperation(row: OperationRow): Promise<void> {
    await this.#q(
      "insertOperation",
      `INSERT INTO operations (id, issuer_id, kind, certificate_id, batch_id, reason, successor_id, status, tx_hash,
         error, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.id,
        row.issuerId,
        row.kind,
        row.certificateId,
        row.batchId,
        row.reason,
        row.successorId,
        row.status,
        row.txHash,
        row.error,
        row.createdAt,
        row.updatedAt,
      ],
    );
  }

  async unfinishedOperations(): Promise<OperationRow[]> {
    const sql = `SELECT ${OPERATION_COLUMNS} FROM operations WHERE status IN ('queued', 'submitted') ORDER BY created_at, id`;
    return (await this.#rows("unfinishedOperations", sql)).map(toOperation);
  }

  async findOperation(id: string): Promise<OperationRow | undefined> {
    const row = await this.#row("findOperation", `SELECT ${OPERATION_COLUMNS} FROM operations WHERE id = ?`, [id]);
    return row ? toOperation(row) : undefined;
  }

  async markOperationSubmitted(id: string, txHash: string): Promise<void> {
    const result = await this.#q(
      "markOperationSubmitted",
      `UPDATE operations SET status = 'submitted', tx_hash = ?, updated_at = ?
       WHERE id = ? AND status IN ('queued', 'submitted')`,
      [txHash, this.#now(), id],
    );
    if (result.count === 0) {
      throw refusedStep(
        "operation",
        id,
        await this.#status("markOperationSubmitted", "operations", id),
        "record its transaction",
      );
    }
  }

  async confirmOperation(
    id: string,
    certificateStatus: CertificateStatus | null,
    reason: number | null,
  ): Promise<void> {
    const method = "confirmOperation";
    await this.#atomic(async (tx) => {
      const op = await tx.#row(
        method,
        `SELECT certificate_id AS "certificateId", batch_id AS "batchId", status FROM operations WHERE id = ?${this.#s.driver.forUpdate}`,
        [id],
      );
      if (op === undefined || (op.status !== "queued" && op.status !== "submitted")) {
        throw refusedStep("operation", id, op?.status as string | undefined, "confirm it");
      }
      const now = tx.#now();
      await tx.#q(method, "UPDATE operations SET status = 'confirmed', updated_at = ? WHERE id = ?", [now, id]);
      if (certificateStatus === null) return;
      const [column, value] = op.certificateId !== null ? ["id", op.certificateId] : ["batch_id", op.batchId];
      await tx.#q(method, `UPDATE certificates SET status = ?, reason = ?, updated_at = ? WHERE ${column} = ?`, [
        certificateStatus,
        reason,
        now,
        value,
      ]);
    });
  }

  async failOperation(id: string, error: string): Promise<void> {
    const result = await this.#q(
      "failOperation",
      `UPDATE operations SET status = 'failed', error = ?, updated_at = ?
       WHERE id = ? AND status IN ('queued', 'submitted')`,
      [error, this.#now(), id],
    );
    if (result.count === 0) {
      throw refusedStep("operation", id, await this.#status("failOperation", "operations", id), "mark it failed");
    }
  }

  // --- audit ----------------------------------------------------------------------------------------

  async insertEvent(event: Omit<EventRow, "id">): Promise<void> {
    await this.#q("insertEvent", insertEventsSql(1), eventParameters(event));
  }

  async insertEvents(events: readonly Omit<EventRow, "id">[]): Promise<void> {
    if (!Array.isArray(events)) throw new StoreError("INVALID_ARGUMENT", "insertEvents: events must be an array");
    // In one transaction (the caller's, or its own): all of them or none. Ids follow the array's order.
    await this.#atomic(async (tx) => {
      for (let start = 0; start < events.length; start += EVENTS_CHUNK) {
        const chunk = events.slice(start, start + EVENTS_CHUNK);
        await tx.#q("insertEvents", insertEventsSql(chunk.length), chunk.flatMap(eventParameters));
      }
    });
  }

  async certificateEvents(certificateId: string): Promise<EventRow[]> {
    const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE certificate_id = ? ORDER BY id`;
    return (await this.#rows("certificateEvents", sql, [certificateId])).map(toEvent);
  }

  // --- approvals (maker-checker) --------------------------------------------------------------------

  async decideUpload(issuerId: string, uploadId: string, decision: Decision): Promise<boolean> {
    if (decision.state === "approved") throw new StoreError("INVALID_ARGUMENT", "decideUpload: released or rejected");
    return this.#atomic(async (tx) => {
      const result = await tx.#q(
        "decideUpload",
        `UPDATE uploads SET state = ?, decided_by = ?, decided_by_name = ?, decided_at = ?, decision_reason = ?
         WHERE id = ? AND issuer_id = ? AND state = 'awaiting-approval' AND (requested_by IS NULL OR requested_by <> ?)`,
        [decision.state, decision.by, decision.byName, decision.at, decision.reason, uploadId, issuerId, decision.by],
      );
      if (result.count === 0) {
        const row = await tx.#row(
          "decideUpload",
          'SELECT state, requested_by AS "requestedBy" FROM uploads WHERE id = ? AND issuer_id = ?',
          [uploadId, issuerId],
        );
        if (!row) throw new StoreError("NOT_FOUND", `upload ${uploadId} does not exist`);
        if (row.state === "awaiting-approval" && row.requestedBy === decision.by)
          throw new StoreError("SELF_APPROVAL", `upload ${uploadId}: its requester cannot decide it`);
        return false;
      }
      if (decision.state === "rejected") {
        // Failed first, then unmarked (as recordBatchFailure): a renewal still pending shares its number
        // with the certificate it renews, so unmarking that one first would make the number live twice.
        await tx.#q(
          "decideUpload",
          "UPDATE certificates SET status = 'failed', updated_at = ? WHERE upload_id = ? AND status = 'pending'",
          [decision.at, uploadId],
        );
        await tx.#q(
          "decideUpload",
          `UPDATE certificates SET renewed_by = NULL, updated_at = ?
           WHERE renewed_by IN (SELECT id FROM certificates WHERE upload_id = ? AND status = 'failed')`,
          [decision.at, uploadId],
        );
        await tx.#q(
          "decideUpload",
          `UPDATE email_outbox SET status = 'cancelled', claim_code = NULL
           WHERE status = 'waiting' AND certificate_id IN (SELECT id FROM certificates WHERE upload_id = ?)`,
          [uploadId],
        );
      }
      return true;
    });
  }

  async listUploads(
    issuerId: string,
    filter: { state?: UploadState; limit: number; offset: number },
  ): Promise<UploadRow[]> {
    checkLimit("listUploads", filter.limit);
    const where = ["issuer_id = ?"];
    const params: unknown[] = [issuerId];
    if (filter.state !== undefined) {
      where.push("state = ?");
      params.push(filter.state);
    }
    const rows = await this.#rows(
      "listUploads",
      `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      [...params, filter.limit, filter.offset],
    );
    return rows.map(toUpload);
  }

  async insertChangeRequest(row: ChangeRequestRow): Promise<void> {
    try {
      await this.#q(
        "insertChangeRequest",
        `INSERT INTO change_requests (id, issuer_id, certificate_id, kind, reason, note, state, requested_by,
           requested_by_name, requested_at, decided_by, decided_by_name, decided_at, decision_reason, operation_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          row.id,
          row.issuerId,
          row.certificateId,
          row.kind,
          row.reason,
          row.note,
          row.state,
          row.requestedBy,
          row.requestedByName,
          row.requestedAt,
          row.decidedBy,
          row.decidedByName,
          row.decidedAt,
          row.decisionReason,
          row.operationId,
        ],
      );
    } catch (error) {
      if (isStoreError(error, "DUPLICATE"))
        throw new StoreError("DUPLICATE", `certificate ${row.certificateId} has a change awaiting approval already`, {
          cause: error,
        });
      throw error;
    }
  }

  async findChangeRequest(issuerId: string, id: string): Promise<ChangeRequestRow | undefined> {
    const row = await this.#row(
      "findChangeRequest",
      `SELECT ${CHANGE_REQUEST_COLUMNS} FROM change_requests WHERE id = ? AND issuer_id = ?`,
      [id, issuerId],
    );
    return row && toChangeRequest(row);
  }

  async listChangeRequests(
    issuerId: string,
    filter: { state?: ChangeRequestRow["state"]; certificateId?: string; limit: number; offset: number },
  ): Promise<ChangeRequestRow[]> {
    checkLimit("listChangeRequests", filter.limit);
    const where = ["issuer_id = ?"];
    const params: unknown[] = [issuerId];
    if (filter.state !== undefined) {
      where.push("state = ?");
      params.push(filter.state);
    }
    if (filter.certificateId !== undefined) {
      where.push("certificate_id = ?");
      params.push(filter.certificateId);
    }
    const rows = await this.#rows(
      "listChangeRequests",
      `SELECT ${CHANGE_REQUEST_COLUMNS} FROM change_requests WHERE ${where.join(" AND ")}
       ORDER BY requested_at DESC, id LIMIT ? OFFSET ?`,
      [...params, filter.limit, filter.offset],
    );
    return rows.map(toChangeRequest);
  }

  async decideChangeRequest(
    issuerId: string,
    id: string,
    decision: Decision,
    operation: OperationRow | null,
  ): Promise<boolean> {
    if (decision.state === "released")
      throw new StoreError("INVALID_ARGUMENT", "decideChangeRequest: approved or rejected");
    if ((decision.state === "approved") !== (operation !== null))
      throw new StoreError(
        "INVALID_ARGUMENT",
        "decideChangeRequest: an approval queues an operation, a rejection none",
      );
    return this.#atomic(async (tx) => {
      const current = await tx.#row(
        "decideChangeRequest",
        `SELECT state, requested_by AS "requestedBy" FROM change_requests WHERE id = ? AND issuer_id = ?${this.#s.driver.forUpdate}`,
        [id, issuerId],
      );
      if (!current) throw new StoreError("NOT_FOUND", `change request ${id} does not exist`);
      if (current.state !== "awaiting-approval") return false;
      if (current.requestedBy === decision.by)
        throw new StoreError("SELF_APPROVAL", `change request ${id}: its requester cannot decide it`);
      if (operation) {
        // The certificate, locked (PostgreSQL) until this transaction ends: no other change is queued
        // for it meanwhile, and the change must suit its status now, with none other on its way.
        const certificate = await tx.#row(
          "decideChangeRequest",
          `SELECT status FROM certificates WHERE id = ? AND issuer_id = ?${this.#s.driver.forUpdate}`,
          [operation.certificateId, issuerId],
        );
        const allowed = CHANGE_ALLOWED[operation.kind] ?? [];
        if (!certificate || !allowed.includes(String(certificate.status)))
          throw new StoreError(
            "INVALID_STATE",
            `certificate ${String(operation.certificateId)} is ${String(certificate?.status ?? "missing")}: it cannot be ${operation.kind}d now`,
          );
        const busy = await tx.#row(
          "decideChangeRequest",
          "SELECT count(*) AS n FROM operations WHERE certificate_id = ? AND status IN ('queued', 'submitted')",
          [operation.certificateId],
        );
        if (Number(busy?.n ?? 0) > 0)
          throw new StoreError(
            "INVALID_STATE",
            `certificate ${String(operation.certificateId)} has a status change on its way to the chain: approve this one once it is applied`,
          );
        await tx.insertOperation(operation);
      }
      const result = await tx.#q(
        "decideChangeRequest",
        `UPDATE change_requests SET state = ?, decided_by = ?, decided_by_name = ?, decided_at = ?, decision_reason = ?,
           operation_id = ? WHERE id = ? AND state = 'awaiting-approval'`,
        [decision.state, decision.by, decision.byName, decision.at, decision.reason, operation?.id ?? null, id],
      );
      if (result.count !== 1) throw new StoreError("BUSY", `change request ${id} was decided meanwhile`);
      return true;
    });
  }

  async replaceClaimCode(issuerId: string, certificateId: string, claimCodeHash: string): Promise<void> {
    await this.#atomic(async (tx) => {
      const result = await tx.#q(
        "replaceClaimCode",
        "UPDATE certificates SET claim_code_hash = ?, updated_at = ? WHERE id = ? AND issuer_id = ?",
        [claimCodeHash, this.#now(), certificateId, issuerId],
      );
      if (result.count === 0) throw new StoreError("NOT_FOUND", `certificate ${certificateId} does not exist`);
      // A waiting e-mail would carry the old code, which no longer works: the officer hands out the new one.
      await tx.#q(
        "replaceClaimCode",
        "UPDATE email_outbox SET status = 'cancelled', claim_code = NULL WHERE certificate_id = ? AND status = 'waiting'",
        [certificateId],
      );
    });
  }

  // --- the audit trail ------------------------------------------------------------------------------

  async appendAudit(entry: NewAuditEntry, hash: (seq: number, prevHash: string) => string): Promise<AuditRow> {
    return this.#atomic(async (tx) => {
      await tx.#q(
        "appendAudit",
        "INSERT INTO audit_heads (issuer_id, seq, hash) VALUES (?, 0, ?) ON CONFLICT (issuer_id) DO NOTHING",
        [entry.issuerId, AUDIT_GENESIS_HASH],
      );
      // The UPDATE takes the head row's lock (PostgreSQL) or the write lock (SQLite): appends of one
      // department are serialised until this transaction ends.
      await tx.#q("appendAudit", "UPDATE audit_heads SET seq = seq WHERE issuer_id = ?", [entry.issuerId]);
      const head = await tx.#row("appendAudit", "SELECT seq, hash FROM audit_heads WHERE issuer_id = ?", [
        entry.issuerId,
      ]);
      const seq = Number(head!.seq) + 1;
      const prevHash = String(head!.hash);
      const entryHash = hash(seq, prevHash);
      await tx.#q(
        "appendAudit",
        `INSERT INTO audit_log (issuer_id, seq, at, actor_id, actor_name, action, source, certificate_id, upload_id,
           batch_id, detail_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          entry.issuerId,
          seq,
          entry.at,
          entry.actorId,
          entry.actorName,
          entry.action,
          entry.source,
          entry.certificateId,
          entry.uploadId,
          entry.batchId,
          entry.detailJson,
          prevHash,
          entryHash,
        ],
      );
      await tx.#q("appendAudit", "UPDATE audit_heads SET seq = ?, hash = ? WHERE issuer_id = ?", [
        seq,
        entryHash,
        entry.issuerId,
      ]);
      return { ...entry, seq, prevHash, hash: entryHash };
    });
  }

  async listAudit(
    issuerId: string,
    filter: {
      afterSeq?: number;
      beforeSeq?: number;
      newestFirst?: boolean;
      action?: string;
      actorId?: string;
      certificateId?: string;
      uploadId?: string;
      from?: string;
      to?: string;
      limit: number;
    },
  ): Promise<AuditRow[]> {
    checkLimit("listAudit", filter.limit);
    const where = ["issuer_id = ?", "seq > ?"];
    const params: unknown[] = [issuerId, filter.afterSeq ?? 0];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    if (filter.beforeSeq !== undefined) add("seq < ?", filter.beforeSeq);
    if (filter.action !== undefined) add("action = ?", filter.action);
    if (filter.actorId !== undefined) add("actor_id = ?", filter.actorId);
    if (filter.certificateId !== undefined) add("certificate_id = ?", filter.certificateId);
    if (filter.uploadId !== undefined) add("upload_id = ?", filter.uploadId);
    if (filter.from !== undefined) add("at >= ?", filter.from);
    if (filter.to !== undefined) add("at < ?", filter.to);
    const rows = await this.#rows(
      "listAudit",
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE ${where.join(" AND ")} ORDER BY seq${filter.newestFirst ? " DESC" : ""} LIMIT ?`,
      [...params, filter.limit],
    );
    return rows.map(toAudit);
  }

  async auditHead(issuerId: string): Promise<{ seq: number; hash: string }> {
    const row = await this.#row("auditHead", "SELECT seq, hash FROM audit_heads WHERE issuer_id = ?", [issuerId]);
    return row ? { seq: Number(row.seq), hash: String(row.hash) } : { seq: 0, hash: AUDIT_GENESIS_HASH };
  }

  async auditIssuers(): Promise<string[]> {
    const rows = await this.#rows("auditIssuers", 'SELECT issuer_id AS "issuerId" FROM audit_heads ORDER BY issuer_id');
    return rows.map((r) => String(r.issuerId));
  }

  // --- the e-mail outbox ----------------------------------------------------------------------------

  async dueEmails(now: string, limit: number): Promise<(EmailRow & { certificateStatus: CertificateStatus })[]> {
    checkLimit("dueEmails", limit);
    const rows = await this.#rows(
      "dueEmails",
      `SELECT ${EMAIL_COLUMNS}, c.status AS "certificateStatus" FROM email_outbox e
       JOIN certificates c ON c.id = e.certificate_id
       WHERE e.status = 'waiting' AND e.next_attempt_at <= ? AND c.status NOT IN ('pending', 'anchoring')
       ORDER BY e.next_attempt_at, e.id LIMIT ?`,
      [now, limit],
    );
    return rows.map((r) => ({ ...toEmail(r), certificateStatus: String(r.certificateStatus) as CertificateStatus }));
  }

  async claimEmail(
    id: string,
    now: string,
    until: string,
  ): Promise<(EmailRow & { certificateStatus: CertificateStatus }) | undefined> {
    return this.#atomic(async (tx) => {
      // The update first: on PostgreSQL it locks the row, so a cancellation (a new claim code) waits for
      // this transaction, or wins and this one claims nothing.
      const claimed = await tx.#q(
        "claimEmail",
        "UPDATE email_outbox SET next_attempt_at = ? WHERE id = ? AND status = 'waiting' AND next_attempt_at <= ?",
        [until, id, now],
      );
      if (claimed.count !== 1) return undefined;
      const row = await tx.#row(
        "claimEmail",
        `SELECT ${EMAIL_COLUMNS}, c.status AS "certificateStatus" FROM email_outbox e
         JOIN certificates c ON c.id = e.certificate_id WHERE e.id = ?`,
        [id],
      );
      return row && { ...toEmail(row), certificateStatus: String(row.certificateStatus) as CertificateStatus };
    });
  }

  async markEmailSent(id: string, at: string): Promise<void> {
    await this.#q(
      "markEmailSent",
      `UPDATE email_outbox SET status = 'sent', sent_at = ?, claim_code = NULL, attempts = attempts + 1, last_error = NULL
       WHERE id = ? AND status = 'waiting'`,
      [at, id],
    );
  }

  async markEmailAttempt(id: string, error: string, nextAttemptAt: string, giveUp: boolean): Promise<void> {
    await this.#q(
      "markEmailAttempt",
      `UPDATE email_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
         status = CASE WHEN ? = 1 THEN 'failed' ELSE status END,
         claim_code = CASE WHEN ? = 1 THEN NULL ELSE claim_code END
       WHERE id = ? AND status = 'waiting'`,
      [error.slice(0, 1000), nextAttemptAt, giveUp ? 1 : 0, giveUp ? 1 : 0, id],
    );
  }

  async cancelEmail(id: string): Promise<void> {
    await this.#q(
      "cancelEmail",
      "UPDATE email_outbox SET status = 'cancelled', claim_code = NULL WHERE id = ? AND status = 'waiting'",
      [id],
    );
  }

  async findEmail(certificateId: string): Promise<EmailRow | undefined> {
    const row = await this.#row("findEmail", `SELECT ${EMAIL_COLUMNS} FROM email_outbox e WHERE e.certificate_id = ?`, [
      certificateId,
    ]);
    return row && toEmail(row);
  }

  async listEmails(
    issuerId: string,
    filter: { status?: EmailRow["status"]; limit: number; offset: number },
  ): Promise<EmailRow[]> {
    checkLimit("listEmails", filter.limit);
    const where = ["e.issuer_id = ?"];
    const params: unknown[] = [issuerId];
    if (filter.status !== undefined) {
      where.push("e.status = ?");
      params.push(filter.status);
    }
    const rows = await this.#rows(
      "listEmails",
      `SELECT ${EMAIL_COLUMNS} FROM email_outbox e WHERE ${where.join(" AND ")}
       ORDER BY e.created_at DESC, e.id LIMIT ? OFFSET ?`,
      [...params, filter.limit, filter.offset],
    );
    return rows.map(toEmail);
  }

  // --- integrity check (read-only) ------------------------------------------------------------------

  async scanCertificates(afterId: string | null, limit: number): Promise<CertificateRow[]> {
    this.#assertOpen("scanCertificates");
    checkLimit("scanCertificates", limit);
    const sql = `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.id > ? ORDER BY c.id LIMIT ?`;
    return (await this.#rows("scanCertificates", sql, [afterId ?? "", limit])).map(toCertificate);
  }

  async listBatches(afterId: string | null, limit: number): Promise<BatchRow[]> {
    this.#assertOpen("listBatches");
    checkLimit("listBatches", limit);
    const sql = `SELECT ${BATCH_COLUMNS} FROM batches WHERE id > ? ORDER BY id LIMIT ?`;
    return (await this.#rows("listBatches", sql, [afterId ?? "", limit])).map(toBatch);
  }

  async batchLeaves(batchId: string): Promise<BatchLeaf[]> {
    const rows = await this.#rows(
      "batchLeaves",
      `SELECT id, leaf_index AS "leafIndex", digest, status FROM certificates WHERE batch_id = ? ORDER BY leaf_index`,
      [batchId],
    );
    return rows.map((r) => ({
      certificateId: String(r.id),
      leafIndex: Number(r.leafIndex),
      digest: String(r.digest),
      status: r.status as CertificateStatus,
    }));
  }

  async batchPdfs(batchId: string, afterLeafIndex: number | null, limit: number): Promise<BatchMemberPdf[]> {
    this.#assertOpen("batchPdfs");
    checkLimit("batchPdfs", limit);
    const rows = await this.#rows(
      "batchPdfs",
      `SELECT c.id, c.leaf_index AS "leafIndex", c.status, c.credential_json AS "credentialJson", c.pdf_hash AS "pdfHash",
         p.pdf, p.pdf_hash AS "storedPdfHash"
       FROM certificates c LEFT JOIN certificate_pdfs p ON p.certificate_id = c.id
       WHERE c.batch_id = ? AND c.leaf_index > ? ORDER BY c.leaf_index LIMIT ?`,
      [batchId, afterLeafIndex ?? -1, limit],
    );
    return rows.map((r) => ({
      certificateId: String(r.id),
      leafIndex: Number(r.leafIndex),
      status: r.status as CertificateStatus,
      credentialJson: String(r.credentialJson),
      pdfHash: (r.pdfHash as string | null) ?? null,
      pdf: (r.pdf as Uint8Array | null) ?? null,
      storedPdfHash: (r.storedPdfHash as string | null) ?? null,
    }));
  }

  /**
   * Groups of certificates sharing `key` (several columns) among those `where` selects: how many share one
   * (`total`), and the first `limit` groups in key order, each with its count and first 10 ids.
   */
  async #duplicates<G>(
    method: string,
    keys: Record<string, string>,
    where: string,
    limit: number,
  ): Promise<{ total: number; groups: G[] }> {
    this.#assertOpen(method);
    checkLimit(method, limit);
    const columns = Object.values(keys).join(", ");
    const aliases = Object.entries(keys)
      .map(([alias, column]) => `${column} AS "${alias}"`)
      .join(", ");
    const total = await this.#row(
      method,
      `SELECT coalesce(sum(n), 0) AS total FROM (
         SELECT count(*) AS n FROM certificates c WHERE ${where} GROUP BY ${columns} HAVING count(*) > 1) g`,
    );
    const rows = await this.#rows(
      method,
      `SELECT * FROM (
         SELECT ${aliases}, c.id, count(*) OVER (PARTITION BY ${columns}) AS n,
           row_number() OVER (PARTITION BY ${columns} ORDER BY c.id) AS k
         FROM certificates c WHERE ${where}) d
       WHERE n > 1 AND k <= 10 ORDER BY ${Object.keys(keys)
         .map((k) => `"${k}"`)
         .join(", ")}, id LIMIT ?`,
      [limit * 10],
    );
    const groups: Record<string, unknown>[] = [];
    let ids: string[] = [];
    for (const r of rows) {
      const last = groups.at(-1);
      if (last === undefined || Object.keys(keys).some((k) => last[k] !== r[k])) {
        if (groups.length === limit) break;
        ids = [];
        groups.push({
          ...Object.fromEntries(Object.keys(keys).map((k) => [k, String(r[k])])),
          count: Number(r.n),
          certificateIds: ids,
        });
      }
      ids.push(String(r.id));
    }
    return { total: Number(total?.total), groups: groups as G[] };
  }

  async duplicateDigests(limit: number): Promise<{ total: number; groups: DuplicateDigest[] }> {
    return this.#duplicates<DuplicateDigest>("duplicateDigests", { digest: "c.digest" }, "true", limit);
  }

  async duplicateLiveNumbers(limit: number): Promise<{ total: number; groups: DuplicateLiveNumber[] }> {
    const keys = { issuerId: "c.issuer_id", certificateNumber: "c.certificate_number" };
    return this.#duplicates<DuplicateLiveNumber>("duplicateLiveNumbers", keys, LIVE_FOR_CHECK, limit);
  }
}

/** A lease's name and holder: 1 to 200 characters (the table's limits), refused before any statement. */
function checkLease(method: string, name: string, holder: string): void {
  for (const [what, value] of [
    ["name", name],
    ["holder", holder],
  ] as const) {
    if (typeof value !== "string" || value.length < 1 || value.length > 200)
      throw new StoreError("INVALID_ARGUMENT", `${method}: the lease ${what} must be 1 to 200 characters`);
  }
}
