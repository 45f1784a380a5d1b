/**
 * The PostgreSQL {@link Store}: for several issuer instances sharing one database (`DATABASE_URL=
 * postgres://...`).
 *
 * Calls outside a transaction run on the pool. `transaction(fn)` takes a dedicated client for `BEGIN` /
 * `COMMIT` / `ROLLBACK` and passes `fn` a store handle bound to that client; `transaction` on the handle
 * nests as a savepoint. Multi-statement methods run in such a transaction (or a savepoint of the
 * caller's). Isolation is READ COMMITTED; where two instances could take the same rows the method locks
 * them first: `closeBatch` locks its certificates with `SELECT ... FOR UPDATE` (in id order, so two
 * overlapping batches cannot deadlock) and checks they are still pending after the lock, so a
 * certificate is batched once whichever instance gets there first; `markBatchRendered` and
 * `confirmOperation` lock their batch or operation row the same way.
 *
 * As in any PostgreSQL transaction, after a statement fails inside `transaction(fn)` the transaction
 * can only roll back (calls fail with `INVALID_STATE`); a nested `transaction` around the call that may
 * fail keeps the outer one usable.
 */
import pg from "pg";
import type { Pool, PoolClient, PoolConfig, QueryResult } from "pg";
import { applyMigrations, LIVE_NUMBER_PREDICATE, MIGRATIONS, type Migration, type MigrationConnection } from "./migrations.ts";
import {
  API_KEY_COLUMNS,
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
import type {
  ApiKeyRow,
  BatchRow,
  CertificateRow,
  CertificateStatus,
  EventRow,
  IdempotencyRow,
  NewCertificate,
  OperationRow,
  RefusedCertificate,
  Store,
  UploadRow,
} from "./store.ts";
import { isStoreError, StoreError } from "./store-error.ts";
import { TransactionScope } from "./transaction-scope.ts";

export type PostgresStoreOptions = {
  /** Most connections this instance opens (default 10). */
  maxConnections?: number;
  /** How long to wait for a connection before failing with `DATABASE_UNAVAILABLE` (default 10000 ms). */
  connectionTimeoutMs?: number;
  /** The clock for `updatedAt` and the migration records (default: the system clock). */
  now?: () => Date;
  /** The migrations `migrate()` applies (default: all of `migrations.ts`; tests pass others). */
  migrations?: readonly Migration[];
  /**
   * Told about errors of idle pooled connections (the database restarted, the network dropped). The
   * pool drops such a connection and the next call opens another; without a listener pg would crash the
   * process. Default: ignored.
   */
  onIdleError?: (error: Error) => void;
};

/** Rows per INSERT of `insertUpload` (each row's columns travel as arrays through `unnest`). */
const INSERT_CHUNK = 1000;

/**
 * `url` with its password (in the userinfo or a `password=` parameter) replaced by `***`, for messages.
 *
 * @example
 * redactDatabaseUrl("postgres://app:s3cret@db:5432/ecert") // "postgres://app:***@db:5432/ecert"
 */
export function redactDatabaseUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^@/?#]*@/i, "$1:***@")
    .replace(/([?&]password=)[^&#]*/gi, "$1***");
}

type Shared = {
  readonly pool: Pool;
  readonly now: () => Date;
  readonly migrations: readonly Migration[];
  readonly scope: TransactionScope;
};

/**
 * Creates a pool for `connectionString` and checks that the database answers, without migrating it.
 *
 * @param connectionString a `postgres://` or `postgresql://` URL (`?options=-c search_path=...` selects a schema)
 * @throws StoreError `DATABASE_UNAVAILABLE` (the message names the redacted URL and the reason) when the
 *   database cannot be reached, refuses the credentials or does not exist
 *
 * @example
 * ```ts
 * const store = await openPostgresStore("postgres://ecert@db.internal:5432/ecert");
 * await store.migrate();
 * ```
 */
export async function openPostgresStore(
  connectionString: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const config: PoolConfig = {
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
  };
  const pool = new pg.Pool(config);
  pool.on("error", (error) => options.onIdleError?.(error));
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StoreError(
      "DATABASE_UNAVAILABLE",
      `cannot connect to PostgreSQL at ${redactDatabaseUrl(connectionString)}: ${describeConnectionError(error)}`,
      { cause: error },
    );
  }
  const shared: Shared = {
    pool,
    now: options.now ?? (() => new Date()),
    migrations: options.migrations ?? MIGRATIONS,
    scope: new TransactionScope(0),
  };
  return new PostgresStore(shared, undefined, shared.scope);
}

function describeConnectionError(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: { message?: string }[] };
  // Node reports a refused dual-stack connection as an AggregateError with an empty message.
  const message = e.message || e.errors?.map((x) => x.message).join("; ") || String(error);
  return e.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/** SQLSTATE classes and Node error codes that mean the database is not there (or not for us). */
const UNAVAILABLE = /^(08|57P0[123]|3D000|28000|28P01|ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|EAI_AGAIN|EPIPE)/;

/** Maps a pg error to a {@link StoreError}; other errors pass through. */
function pgError(error: unknown, method: string): unknown {
  if (isStoreError(error)) return error;
  const e = error as { code?: unknown; constraint?: unknown; message?: string };
  const code = typeof e.code === "string" ? e.code : "";
  const constraint = typeof e.constraint === "string" ? ` (${e.constraint})` : "";
  const message = `${method}: ${e.message ?? String(error)}${constraint}`;
  if (code === "23505") return new StoreError("DUPLICATE", message, { cause: error });
  if (code === "23503") return new StoreError("INVALID_REFERENCE", message, { cause: error });
  if (code.startsWith("23") || code.startsWith("22")) return new StoreError("INVALID_VALUE", message, { cause: error });
  if (code === "40001" || code === "40P01" || code === "55P03") return new StoreError("BUSY", message, { cause: error });
  if (code === "25P02") {
    return new StoreError(
      "INVALID_STATE",
      `${method}: an earlier call in this transaction failed, so it can only roll back`,
      { cause: error },
    );
  }
  if (UNAVAILABLE.test(code) || /Connection terminated|timeout exceeded when trying to connect/i.test(e.message ?? "")) {
    return new StoreError("DATABASE_UNAVAILABLE", message, { cause: error });
  }
  if (/Cannot use a pool after calling end/i.test(e.message ?? "")) {
    return new StoreError("CLOSED", `${method}: the store is closed`, { cause: error });
  }
  return error;
}

/**
 * A handle on a PostgreSQL pool: the store itself (from {@link openPostgresStore}) or, inside
 * `transaction(fn)`, the handle passed to `fn`, bound to the transaction's client. Do not construct it
 * directly.
 */
export class PostgresStore implements Store {
  readonly #s: Shared;
  /** The transaction's client; undefined for the store itself (calls go to the pool). */
  readonly #client: PoolClient | undefined;
  readonly #scope: TransactionScope;

  constructor(shared: Shared, client: PoolClient | undefined, scope: TransactionScope) {
    this.#s = shared;
    this.#client = client;
    this.#scope = scope;
  }

  // --- plumbing -------------------------------------------------------------------------------------

  #assertOpen(method: string): void {
    if (this.#scope.ended || this.#s.scope.ended) {
      throw new StoreError(
        "CLOSED",
        this.#client === undefined || this.#s.scope.ended
          ? `${method}: the store is closed`
          : `${method}: the transaction this store handle belongs to has ended`,
      );
    }
  }

  async #query(method: string, sql: string, params: readonly unknown[] = []): Promise<QueryResult<DbRow>> {
    this.#assertOpen(method);
    const idle = this.#client === undefined ? undefined : this.#scope.whenIdle();
    if (idle !== undefined) {
      await idle;
      this.#assertOpen(method);
    }
    try {
      return await (this.#client ?? this.#s.pool).query<DbRow>(sql, params as unknown[]);
    } catch (error) {
      throw pgError(error, method);
    }
  }

  async #rows(method: string, sql: string, params: readonly unknown[] = []): Promise<DbRow[]> {
    return (await this.#query(method, sql, params)).rows;
  }

  async #row(method: string, sql: string, params: readonly unknown[] = []): Promise<DbRow | undefined> {
    return (await this.#query(method, sql, params)).rows[0];
  }

  /** Runs `fn` atomically: in a new transaction, or in a savepoint of the caller's. */
  #atomic<T>(fn: (tx: PostgresStore) => Promise<T>): Promise<T> {
    return this.transaction((tx) => fn(tx as PostgresStore));
  }

  #now(): string {
    return this.#s.now().toISOString();
  }

  // --- lifecycle ------------------------------------------------------------------------------------

  async migrate(): Promise<void> {
    await this.#atomic(async (tx) => {
      const connection: MigrationConnection = {
        dialect: "postgres",
        exec: async (sql) => {
          await tx.#query("migrate", sql);
        },
        query: async <R>(sql: string, params: readonly unknown[]) => (await tx.#rows("migrate", sql, params)) as R[],
      };
      await applyMigrations(connection, this.#s.migrations, this.#s.now());
    });
  }

  /** Closes the pool (waiting for checked-out connections to be released). Later calls fail with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#client !== undefined) {
      throw new StoreError("INVALID_STATE", "close: a transaction's store handle cannot close the store");
    }
    if (this.#s.scope.ended) return;
    this.#s.scope.end();
    await this.#s.pool.end();
  }

  async transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    this.#assertOpen("transaction");
    if (this.#client !== undefined) return this.#savepoint(fn);
    let client: PoolClient;
    try {
      client = await this.#s.pool.connect();
    } catch (error) {
      throw pgError(error, "transaction");
    }
    const scope = new TransactionScope(1);
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn(new PostgresStore(this.#s, client, scope));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError as Error; // the connection is gone: do not pool it again
      }
      throw pgError(error, "transaction");
    } finally {
      scope.end();
      client.release(broken);
    }
  }

  #savepoint<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const client = this.#client!;
    return this.#scope.run(async (child) => {
      this.#assertOpen("transaction");
      const name = `ecert_tx_${child.depth}`;
      try {
        await client.query(`SAVEPOINT ${name}`);
      } catch (error) {
        throw pgError(error, "transaction");
      }
      let result: T;
      try {
        result = await fn(new PostgresStore(this.#s, client, child));
      } catch (error) {
        try {
          await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
          await client.query(`RELEASE SAVEPOINT ${name}`);
        } catch {
          // The whole transaction is failing (connection lost ...): the outer transaction rolls back.
        }
        throw error;
      }
      try {
        await client.query(`RELEASE SAVEPOINT ${name}`);
      } catch (error) {
        throw pgError(error, "transaction");
      }
      return result;
    });
  }

  // --- API keys -------------------------------------------------------------------------------------

  async insertApiKey(row: ApiKeyRow): Promise<void> {
    await this.#query(
      "insertApiKey",
      "INSERT INTO api_keys (id, issuer_id, label, key_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [row.id, row.issuerId, row.label, row.keyHash, row.createdAt, row.revokedAt],
    );
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    const row = await this.#row("findApiKeyByHash", `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1`, [keyHash]);
    return row && toApiKey(row);
  }

  async listApiKeys(issuerId: string): Promise<ApiKeyRow[]> {
    const rows = await this.#rows(
      "listApiKeys",
      `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE issuer_id = $1 ORDER BY created_at, id`,
      [issuerId],
    );
    return rows.map(toApiKey);
  }

  // --- idempotency ----------------------------------------------------------------------------------

  async findIdempotency(issuerId: string, key: string): Promise<IdempotencyRow | undefined> {
    const row = await this.#row(
      "findIdempotency",
      `SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_keys WHERE issuer_id = $1 AND idempotency_key = $2`,
      [issuerId, key],
    );
    return row && toIdempotency(row);
  }

  async insertIdempotency(row: IdempotencyRow): Promise<boolean> {
    // ON CONFLICT DO NOTHING: a taken key neither fails nor aborts the caller's transaction.
    const result = await this.#query(
      "insertIdempotency",
      `INSERT INTO idempotency_keys (issuer_id, idempotency_key, request_hash, status_code, response_json, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (issuer_id, idempotency_key) DO NOTHING`,
      [row.issuerId, row.key, row.requestHash, row.statusCode, row.responseJson, row.createdAt],
    );
    return result.rowCount === 1;
  }

  // --- uploads and certificates ---------------------------------------------------------------------

  async insertUpload(upload: UploadRow, certificates: NewCertificate[]): Promise<{ refused: RefusedCertificate[] }> {
    this.#assertOpen("insertUpload");
    checkUpload(upload, certificates);
    return this.#atomic(async (tx) => {
      const refused: RefusedCertificate[] = [];
      await tx.#query(
        "insertUpload",
        `INSERT INTO uploads (id, issuer_id, type_id, row_count, errors_json, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [upload.id, upload.issuerId, upload.typeId, upload.rowCount, upload.errorsJson, upload.createdAt],
      );
      for (let start = 0; start < certificates.length; start += INSERT_CHUNK) {
        const chunk = certificates.slice(start, start + INSERT_CHUNK);
        const column = <K extends keyof NewCertificate>(key: K) => chunk.map((c) => c[key]);
        // A number live already (in the database, or earlier in this upload) is skipped, not an error:
        // the unique index decides, and waits for a concurrent insert of the same number to commit.
        const inserted = await tx.#query(
          "insertUpload",
          `INSERT INTO certificates (id, issuer_id, type_id, upload_id, upload_row, certificate_number, record_json,
             credential_json, digest, claim_code_hash, supersedes, search_json, status, created_at, updated_at)
           SELECT u.id, $1, $2, $3, u.upload_row, u.certificate_number, u.record_json, u.credential_json, u.digest,
             u.claim_code_hash, u.supersedes, u.search_json, 'pending', $4, $4
           FROM unnest($5::text[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
             $13::text[])
             AS u(id, upload_row, certificate_number, record_json, credential_json, digest, claim_code_hash, supersedes,
               search_json)
           ON CONFLICT (issuer_id, certificate_number) WHERE ${LIVE_NUMBER_PREDICATE} DO NOTHING
           RETURNING id`,
          [
            upload.issuerId,
            upload.typeId,
            upload.id,
            upload.createdAt,
            column("id"),
            column("row"),
            column("certificateNumber"),
            column("recordJson"),
            column("credentialJson"),
            column("digest"),
            column("claimCodeHash"),
            column("supersedes"),
            column("searchJson"),
          ],
        );
        if (inserted.rows.length === chunk.length) continue;
        const stored = new Set(inserted.rows.map((r) => String(r.id)));
        const skipped = chunk.filter((c) => !stored.has(c.id));
        const holders = await tx.#rows(
          "insertUpload",
          `SELECT id, certificate_number AS "certificateNumber" FROM certificates
           WHERE issuer_id = $1 AND certificate_number = ANY($2::text[]) AND ${LIVE_NUMBER_PREDICATE}`,
          [upload.issuerId, skipped.map((c) => c.certificateNumber)],
        );
        const holder = new Map(holders.map((h) => [String(h.certificateNumber), String(h.id)]));
        for (const c of skipped) refused.push({ id: c.id, existingId: holder.get(c.certificateNumber)! });
      }
      return { refused };
    });
  }

  async setUploadErrors(uploadId: string, errorsJson: string): Promise<void> {
    const result = await this.#query("setUploadErrors", "UPDATE uploads SET errors_json = $1 WHERE id = $2", [errorsJson, uploadId]);
    if (result.rowCount === 0) throw new StoreError("NOT_FOUND", `upload ${uploadId} does not exist`);
  }

  async markRenewing(certificateId: string, renewalId: string): Promise<void> {
    const result = await this.#query(
      "markRenewing",
      `UPDATE certificates SET renewed_by = $1, updated_at = $2
       WHERE id = $3 AND status IN ('issued', 'suspended') AND renewed_by IS NULL`,
      [renewalId, this.#now(), certificateId],
    );
    if (result.rowCount === 0) {
      const row = await this.#row("markRenewing", `SELECT status, renewed_by AS "renewedBy" FROM certificates WHERE id = $1`, [certificateId]);
      if (!row) throw new StoreError("NOT_FOUND", `certificate ${certificateId} does not exist`);
      throw new StoreError(
        "INVALID_STATE",
        row.renewedBy
          ? `certificate ${certificateId} is being renewed already (by ${String(row.renewedBy)})`
          : `certificate ${certificateId} is ${String(row.status)}: only an issued or suspended certificate can be renewed`,
      );
    }
  }

  async uploadFailures(uploadId: string): Promise<{ batchId: string; failure: string; failedAt: string }[]> {
    const rows = await this.#rows(
      "uploadFailures",
      `SELECT b.id AS "batchId", b.failure, b.failed_at AS "failedAt" FROM batches b
       WHERE b.failure IS NOT NULL AND b.id IN (SELECT DISTINCT batch_id FROM certificates WHERE upload_id = $1)
       ORDER BY b.failed_at, b.id`,
      [uploadId],
    );
    return rows.map((r) => ({ batchId: String(r.batchId), failure: String(r.failure), failedAt: String(r.failedAt) }));
  }

  async findUpload(issuerId: string, id: string): Promise<UploadRow | undefined> {
    const row = await this.#row(
      "findUpload",
      `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = $1 AND issuer_id = $2`,
      [id, issuerId],
    );
    return row && toUpload(row);
  }

  async uploadProgress(uploadId: string): Promise<Partial<Record<CertificateStatus, number>>> {
    const rows = await this.#rows(
      "uploadProgress",
      "SELECT status, count(*) AS count FROM certificates WHERE upload_id = $1 GROUP BY status",
      [uploadId],
    );
    return toProgress(rows);
  }

  async findCertificate(id: string): Promise<CertificateRow | undefined> {
    const row = await this.#row("findCertificate", `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.id = $1`, [id]);
    return row && toCertificate(row);
  }

  async findCertificateByClaimHash(claimCodeHash: string): Promise<CertificateRow | undefined> {
    const row = await this.#row(
      "findCertificateByClaimHash",
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.claim_code_hash = $1`,
      [claimCodeHash],
    );
    return row && toCertificate(row);
  }

  async listCertificates(
    issuerId: string,
    filter: { uploadId?: string; status?: CertificateStatus; query?: string; limit: number; offset: number },
  ): Promise<CertificateRow[]> {
    const query = checkListFilter(filter);
    const params: unknown[] = [issuerId];
    const where = ["c.issuer_id = $1"];
    if (filter.uploadId !== undefined) {
      params.push(filter.uploadId);
      where.push(`c.upload_id = $${params.length}`);
    }
    if (filter.status !== undefined) {
      params.push(filter.status);
      where.push(`c.status = $${params.length}`);
    }
    if (query !== undefined) {
      // The same match as rows.ts certificateMatches: the number, or any string or number in search_json.
      params.push(query);
      const q = `$${params.length}`;
      where.push(`(strpos(lower(c.certificate_number), ${q}) > 0 OR EXISTS (
        SELECT 1 FROM jsonb_path_query(c.search_json::jsonb, 'strict $.**') AS v(value)
        WHERE jsonb_typeof(v.value) IN ('string', 'number') AND strpos(lower(v.value #>> '{}'), ${q}) > 0))`);
    }
    params.push(filter.limit, filter.offset);
    const rows = await this.#rows(
      "listCertificates",
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE ${where.join(" AND ")}
       ORDER BY ${CERTIFICATE_ORDER} LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return rows.map(toCertificate);
  }

  async pendingGroups(): Promise<{ issuerId: string; typeId: string; count: number; oldest: string }[]> {
    const rows = await this.#rows(
      "pendingGroups",
      `SELECT issuer_id AS "issuerId", type_id AS "typeId", count(*) AS count, min(created_at) AS oldest
       FROM certificates WHERE status = 'pending' GROUP BY issuer_id, type_id ORDER BY oldest, "issuerId", "typeId"`,
    );
    return rows.map(toPendingGroup);
  }

  async pendingCertificates(issuerId: string, typeId: string, limit: number): Promise<CertificateRow[]> {
    checkLimit("pendingCertificates", limit);
    const rows = await this.#rows(
      "pendingCertificates",
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c
       WHERE c.issuer_id = $1 AND c.type_id = $2 AND c.status = 'pending' ORDER BY ${CERTIFICATE_ORDER} LIMIT $3`,
      [issuerId, typeId, limit],
    );
    return rows.map(toCertificate);
  }

  // --- batches --------------------------------------------------------------------------------------

  async closeBatch(batch: BatchRow, certificateIds: string[]): Promise<void> {
    this.#assertOpen("closeBatch");
    checkBatch(batch, certificateIds);
    await this.#atomic(async (tx) => {
      // Lock the rows (in id order: two instances locking overlapping sets cannot deadlock), then check
      // them: a row another instance batched meanwhile is read as it is after that instance committed.
      const found = await tx.#rows(
        "closeBatch",
        `SELECT id, issuer_id AS "issuerId", type_id AS "typeId", status FROM certificates
         WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
        [certificateIds],
      );
      checkBatchMembers(batch, certificateIds, found as { id: string; issuerId: string; typeId: string; status: string }[]);
      await tx.#query(
        "closeBatch",
        `INSERT INTO batches (id, issuer_id, type_id, status, root, certificate_count, created_at, updated_at)
         VALUES ($1, $2, $3, 'closed', $4, $5, $6, $7)`,
        [batch.id, batch.issuerId, batch.typeId, batch.root, certificateIds.length, batch.createdAt, batch.updatedAt],
      );
      const updated = await tx.#query(
        "closeBatch",
        `UPDATE certificates AS c SET status = 'anchoring', batch_id = $1, leaf_index = u.ord - 1, updated_at = $2
         FROM unnest($3::text[]) WITH ORDINALITY AS u(id, ord)
         WHERE c.id = u.id AND c.status = 'pending'`,
        [batch.id, tx.#now(), certificateIds],
      );
      if (updated.rowCount !== certificateIds.length) {
        throw new StoreError("INVALID_STATE", `batch ${batch.id}: a certificate is no longer pending`);
      }
    });
  }

  async findBatch(id: string): Promise<BatchRow | undefined> {
    const row = await this.#row("findBatch", `SELECT ${BATCH_COLUMNS} FROM batches WHERE id = $1`, [id]);
    return row && toBatch(row);
  }

  async findBatchByRoot(root: string): Promise<BatchRow | undefined> {
    const row = await this.#row("findBatchByRoot", `SELECT ${BATCH_COLUMNS} FROM batches WHERE root = $1`, [root]);
    return row && toBatch(row);
  }

  async unfinishedBatches(): Promise<BatchRow[]> {
    const rows = await this.#rows(
      "unfinishedBatches",
      `SELECT ${BATCH_COLUMNS} FROM batches WHERE status <> 'rendered' AND failure IS NULL ORDER BY created_at, id`,
    );
    return rows.map(toBatch);
  }

  async recordBatchFailure(
    batchId: string,
    error: string,
    options: { maxAttempts: number; setAside?: boolean },
  ): Promise<{ attempts: number; setAside: boolean }> {
    this.#assertOpen("recordBatchFailure");
    return this.#atomic(async (tx) => {
      const now = tx.#now();
      const row = await tx.#row(
        "recordBatchFailure",
        "UPDATE batches SET attempts = attempts + 1, updated_at = $1 WHERE id = $2 AND failure IS NULL RETURNING attempts",
        [now, batchId],
      );
      if (!row) {
        throw refusedStep("batch", batchId, await tx.#status("recordBatchFailure", "batches", batchId), "count a failure (it is set aside already)");
      }
      const attempts = Number(row.attempts);
      const setAside = options.setAside === true || attempts >= options.maxAttempts;
      if (setAside) {
        await tx.#query("recordBatchFailure", "UPDATE batches SET failure = $1, failed_at = $2 WHERE id = $3", [error, now, batchId]);
        // First out of the live set, then the certificates they were renewing back into it.
        await tx.#query(
          "recordBatchFailure",
          "UPDATE certificates SET status = 'failed', updated_at = $1 WHERE batch_id = $2 AND status = 'anchoring'",
          [now, batchId],
        );
        await tx.#query(
          "recordBatchFailure",
          `UPDATE certificates SET renewed_by = NULL, updated_at = $1
           WHERE renewed_by IN (SELECT id FROM certificates WHERE batch_id = $2 AND status = 'failed')`,
          [now, batchId],
        );
      }
      return { attempts, setAside };
    });
  }

  async anchoredBatches(after: { createdAt: string; id: string } | null, limit: number): Promise<BatchRow[]> {
    checkLimit("anchoredBatches", limit);
    const rows = await this.#rows(
      "anchoredBatches",
      `SELECT ${BATCH_COLUMNS} FROM batches
       WHERE status IN ('anchored', 'rendered') AND failure IS NULL AND (created_at, id) > ($1, $2)
       ORDER BY created_at, id LIMIT $3`,
      [after?.createdAt ?? "", after?.id ?? "", limit],
    );
    return rows.map(toBatch);
  }

  async batchCertificates(batchId: string): Promise<CertificateRow[]> {
    const rows = await this.#rows(
      "batchCertificates",
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.batch_id = $1 ORDER BY c.leaf_index`,
      [batchId],
    );
    return rows.map(toCertificate);
  }

  async #status(method: string, table: "batches" | "certificates" | "operations", id: string): Promise<string | undefined> {
    return (await this.#row(method, `SELECT status FROM ${table} WHERE id = $1`, [id]))?.status as string | undefined;
  }

  async markBatchSubmitted(batchId: string, txHash: string, txNonce: number): Promise<void> {
    const result = await this.#query(
      "markBatchSubmitted",
      `UPDATE batches SET status = 'submitted', tx_hash = $1, tx_nonce = $2, updated_at = $3
       WHERE id = $4 AND status IN ('closed', 'submitted')`,
      [txHash, txNonce, this.#now(), batchId],
    );
    if (result.rowCount === 0) {
      throw refusedStep("batch", batchId, await this.#status("markBatchSubmitted", "batches", batchId), "record an anchor transaction");
    }
  }

  async markBatchAnchored(batchId: string, blockNumber: number, anchoredAt: string, txHash: string | null): Promise<void> {
    const result = await this.#query(
      "markBatchAnchored",
      `UPDATE batches SET status = 'anchored', block_number = $1, anchored_at = $2, tx_hash = coalesce($3, tx_hash),
         updated_at = $4
       WHERE id = $5 AND status IN ('closed', 'submitted')`,
      [blockNumber, anchoredAt, txHash, this.#now(), batchId],
    );
    if (result.rowCount === 0) {
      throw refusedStep("batch", batchId, await this.#status("markBatchAnchored", "batches", batchId), "mark it anchored");
    }
  }

  async putPdf(certificateId: string, pdf: Uint8Array, pdfHash: string): Promise<void> {
    // One statement (atomic without a transaction, one round trip): the PDF is stored, and its hash set,
    // only if the certificate is anchoring.
    const result = await this.#query(
      "putPdf",
      `WITH certificate AS (
         UPDATE certificates SET pdf_hash = $1::text, updated_at = $2::text WHERE id = $3 AND status = 'anchoring'
         RETURNING id)
       INSERT INTO certificate_pdfs (certificate_id, pdf, pdf_hash, created_at)
       SELECT id, $4::bytea, $1::text, $2::text FROM certificate
       ON CONFLICT (certificate_id) DO UPDATE SET pdf = excluded.pdf, pdf_hash = excluded.pdf_hash,
         created_at = excluded.created_at`,
      [pdfHash, this.#now(), certificateId, asBuffer(pdf)],
    );
    if (result.rowCount === 0) {
      const status = await this.#status("putPdf", "certificates", certificateId);
      throw refusedStep("certificate", certificateId, status, "store its PDF (only while anchoring)");
    }
  }

  async getPdf(certificateId: string): Promise<Uint8Array | undefined> {
    const row = await this.#row("getPdf", "SELECT pdf FROM certificate_pdfs WHERE certificate_id = $1", [certificateId]);
    return row?.pdf as Uint8Array | undefined;
  }

  async markBatchRendered(batchId: string): Promise<void> {
    await this.#atomic(async (tx) => {
      const batch = await tx.#row("markBatchRendered", "SELECT status FROM batches WHERE id = $1 FOR UPDATE", [batchId]);
      const status = batch?.status as string | undefined;
      if (status !== "anchored") throw refusedStep("batch", batchId, status, "mark it rendered (only once anchored)");
      const missing = Number(
        (
          await tx.#row(
            "markBatchRendered",
            "SELECT count(*) AS n FROM certificates WHERE batch_id = $1 AND status = 'anchoring' AND pdf_hash IS NULL",
            [batchId],
          )
        )?.n,
      );
      if (missing > 0) throw new StoreError("INVALID_STATE", `batch ${batchId}: ${missing} certificates have no PDF yet`);
      const now = tx.#now();
      await tx.#query("markBatchRendered", "UPDATE batches SET status = 'rendered', updated_at = $1 WHERE id = $2", [now, batchId]);
      await tx.#query(
        "markBatchRendered",
        "UPDATE certificates SET status = 'issued', updated_at = $1 WHERE batch_id = $2 AND status = 'anchoring'",
        [now, batchId],
      );
      await tx.#query(
        "markBatchRendered",
        `UPDATE certificates SET status = 'superseded', updated_at = $1
         WHERE status IN ('issued', 'suspended') AND id IN (
           SELECT supersedes FROM certificates WHERE batch_id = $2 AND status = 'issued' AND supersedes IS NOT NULL)`,
        [now, batchId],
      );
    });
  }

  // --- status changes -------------------------------------------------------------------------------

  async insertOperation(row: OperationRow): Promise<void> {
    await this.#query(
      "insertOperation",
      `INSERT INTO operations (id, issuer_id, kind, certificate_id, batch_id, reason, successor_id, status, tx_hash,
         error, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
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
    const rows = await this.#rows(
      "unfinishedOperations",
      `SELECT ${OPERATION_COLUMNS} FROM operations WHERE status IN ('queued', 'submitted') ORDER BY created_at, id`,
    );
    return rows.map(toOperation);
  }

  async markOperationSubmitted(id: string, txHash: string): Promise<void> {
    const result = await this.#query(
      "markOperationSubmitted",
      `UPDATE operations SET status = 'submitted', tx_hash = $1, updated_at = $2
       WHERE id = $3 AND status IN ('queued', 'submitted')`,
      [txHash, this.#now(), id],
    );
    if (result.rowCount === 0) {
      throw refusedStep("operation", id, await this.#status("markOperationSubmitted", "operations", id), "record its transaction");
    }
  }

  async confirmOperation(id: string, certificateStatus: CertificateStatus | null, reason: number | null): Promise<void> {
    await this.#atomic(async (tx) => {
      const op = await tx.#row(
        "confirmOperation",
        `SELECT certificate_id AS "certificateId", batch_id AS "batchId", status FROM operations WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (op === undefined || (op.status !== "queued" && op.status !== "submitted")) {
        throw refusedStep("operation", id, op?.status as string | undefined, "confirm it");
      }
      const now = tx.#now();
      await tx.#query("confirmOperation", "UPDATE operations SET status = 'confirmed', updated_at = $1 WHERE id = $2", [now, id]);
      if (certificateStatus === null) return;
      if (op.certificateId !== null) {
        await tx.#query(
          "confirmOperation",
          "UPDATE certificates SET status = $1, reason = $2, updated_at = $3 WHERE id = $4",
          [certificateStatus, reason, now, op.certificateId],
        );
      } else {
        await tx.#query(
          "confirmOperation",
          "UPDATE certificates SET status = $1, reason = $2, updated_at = $3 WHERE batch_id = $4",
          [certificateStatus, reason, now, op.batchId],
        );
      }
    });
  }

  async failOperation(id: string, error: string): Promise<void> {
    const result = await this.#query(
      "failOperation",
      `UPDATE operations SET status = 'failed', error = $1, updated_at = $2
       WHERE id = $3 AND status IN ('queued', 'submitted')`,
      [error, this.#now(), id],
    );
    if (result.rowCount === 0) {
      throw refusedStep("operation", id, await this.#status("failOperation", "operations", id), "mark it failed");
    }
  }

  // --- audit ----------------------------------------------------------------------------------------

  async insertEvent(event: Omit<EventRow, "id">): Promise<void> {
    await this.#query(
      "insertEvent",
      `INSERT INTO events (issuer_id, certificate_id, batch_id, type, actor, detail_json, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [event.issuerId, event.certificateId, event.batchId, event.type, event.actor, event.detailJson, event.at],
    );
  }

  async certificateEvents(certificateId: string): Promise<EventRow[]> {
    const rows = await this.#rows(
      "certificateEvents",
      `SELECT ${EVENT_COLUMNS} FROM events WHERE certificate_id = $1 ORDER BY id`,
      [certificateId],
    );
    return rows.map(toEvent);
  }

  // --- integrity check (read-only) ------------------------------------------------------------------

  async scanCertificates(afterId: string | null, limit: number): Promise<CertificateRow[]> {
    checkLimit("scanCertificates", limit);
    const rows = await this.#rows(
      "scanCertificates",
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE ($1::text IS NULL OR c.id > $1::text) ORDER BY c.id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map(toCertificate);
  }

  async listBatches(afterId: string | null, limit: number): Promise<BatchRow[]> {
    checkLimit("listBatches", limit);
    const rows = await this.#rows(
      "listBatches",
      `SELECT ${BATCH_COLUMNS} FROM batches WHERE ($1::text IS NULL OR id > $1::text) ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map(toBatch);
  }

  async batchLeaves(batchId: string): Promise<import("./store.ts").BatchLeaf[]> {
    const rows = await this.#rows(
      "batchLeaves",
      `SELECT id, leaf_index AS "leafIndex", digest, status FROM certificates WHERE batch_id = $1 ORDER BY leaf_index`,
      [batchId],
    );
    return rows.map((r) => ({
      certificateId: String(r.id),
      leafIndex: Number(r.leafIndex),
      digest: String(r.digest),
      status: r.status as CertificateStatus,
    }));
  }

  async batchPdfs(batchId: string, afterLeafIndex: number | null, limit: number): Promise<import("./store.ts").BatchMemberPdf[]> {
    checkLimit("batchPdfs", limit);
    const rows = await this.#rows(
      "batchPdfs",
      `SELECT c.id, c.leaf_index AS "leafIndex", c.status, c.credential_json AS "credentialJson", c.pdf_hash AS "pdfHash",
         p.pdf, p.pdf_hash AS "storedPdfHash"
       FROM certificates c LEFT JOIN certificate_pdfs p ON p.certificate_id = c.id
       WHERE c.batch_id = $1 AND c.leaf_index > $2 ORDER BY c.leaf_index LIMIT $3`,
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

  async duplicateDigests(limit: number): Promise<{ total: number; groups: import("./store.ts").DuplicateDigest[] }> {
    checkLimit("duplicateDigests", limit);
    const total = Number(
      (
        await this.#row(
          "duplicateDigests",
          `SELECT coalesce(sum(n), 0) AS total FROM (SELECT count(*) AS n FROM certificates GROUP BY digest HAVING count(*) > 1) g`,
        )
      )?.total,
    );
    const rows = await this.#rows(
      "duplicateDigests",
      `SELECT digest, count(*) AS n, (array_agg(id ORDER BY id))[1:10] AS ids
       FROM certificates GROUP BY digest HAVING count(*) > 1 ORDER BY digest LIMIT $1`,
      [limit],
    );
    return {
      total,
      groups: rows.map((r) => ({ digest: String(r.digest), count: Number(r.n), certificateIds: (r.ids as string[]).map(String) })),
    };
  }

  async duplicateLiveNumbers(limit: number): Promise<{ total: number; groups: import("./store.ts").DuplicateLiveNumber[] }> {
    checkLimit("duplicateLiveNumbers", limit);
    // Live, unless it is being renewed by a pending or anchoring renewal of the same number (the two
    // then hold it together until the renewal is issued and this one superseded).
    const live = `c.status IN ('pending', 'anchoring', 'issued', 'suspended') AND (c.renewed_by IS NULL OR NOT EXISTS (
      SELECT 1 FROM certificates r WHERE r.id = c.renewed_by AND r.supersedes = c.id AND r.issuer_id = c.issuer_id
        AND r.certificate_number = c.certificate_number AND r.status IN ('pending', 'anchoring')))`;
    const total = Number(
      (
        await this.#row(
          "duplicateLiveNumbers",
          `SELECT coalesce(sum(n), 0) AS total FROM (
             SELECT count(*) AS n FROM certificates c WHERE ${live} GROUP BY c.issuer_id, c.certificate_number HAVING count(*) > 1) g`,
        )
      )?.total,
    );
    const rows = await this.#rows(
      "duplicateLiveNumbers",
      `SELECT c.issuer_id AS "issuerId", c.certificate_number AS "certificateNumber", count(*) AS n,
         (array_agg(c.id ORDER BY c.id))[1:10] AS ids
       FROM certificates c WHERE ${live} GROUP BY c.issuer_id, c.certificate_number HAVING count(*) > 1
       ORDER BY c.issuer_id, c.certificate_number LIMIT $1`,
      [limit],
    );
    return {
      total,
      groups: rows.map((r) => ({
        issuerId: String(r.issuerId),
        certificateNumber: String(r.certificateNumber),
        count: Number(r.n),
        certificateIds: (r.ids as string[]).map(String),
      })),
    };
  }
}
