/**
 * The SQLite {@link Store}: the zero-configuration default, one file under `DATA_DIR`
 * (`.data/ecert.sqlite`) used by one issuer process.
 *
 * better-sqlite3 is synchronous, so every method is one synchronous step (atomic by itself: nothing else
 * runs on the connection meanwhile) wrapped in an async function. Multi-statement methods run in a
 * better-sqlite3 transaction (`BEGIN IMMEDIATE`, or a savepoint inside an open transaction).
 * `transaction(fn)` takes an async `fn`, so it cannot use better-sqlite3's `db.transaction`: it issues
 * `BEGIN IMMEDIATE` / `COMMIT` / `ROLLBACK` itself and, while `fn` runs, makes every other caller of
 * this store wait (they share the connection: see `transaction-scope.ts`). `fn` gets a store handle
 * bound to the transaction; `transaction` on that handle nests as a savepoint.
 *
 * The connection runs in WAL mode (readers never block the writer), with foreign keys on, a busy
 * timeout (another process holding the write lock is waited for, not failed at once) and
 * `synchronous = FULL` (a committed transaction survives a power cut, not only a process crash).
 */
import Database from "better-sqlite3";
import type { Statement } from "better-sqlite3";
import { applyMigrations, LIVE_NUMBER_PREDICATE, MIGRATIONS, type Migration, type MigrationConnection } from "./migrations.ts";
import {
  API_KEY_COLUMNS,
  asBuffer,
  BATCH_COLUMNS,
  CERTIFICATE_COLUMNS,
  CERTIFICATE_ORDER,
  certificateMatches,
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

export type SqliteStoreOptions = {
  /** How long to wait for another process's write lock before failing with `BUSY` (default 5000 ms). */
  busyTimeoutMs?: number;
  /** The clock for `updatedAt` and the migration records (default: the system clock). */
  now?: () => Date;
  /** The migrations `migrate()` applies (default: all of `migrations.ts`; tests pass others). */
  migrations?: readonly Migration[];
};

/** The connection and what every handle on it shares. */
type Connection = {
  readonly file: string;
  readonly db: Database.Database;
  readonly statements: Map<string, Statement>;
  readonly now: () => Date;
  readonly migrations: readonly Migration[];
};

/**
 * Opens (creating it if need be) the SQLite database at `file`, without migrating it.
 *
 * @param file a file path (its directory must exist) or `:memory:`
 * @throws StoreError `DATABASE_UNAVAILABLE` when the file cannot be opened or is not a SQLite database
 *
 * @example
 * ```ts
 * const store = openSqliteStore(".data/ecert.sqlite");
 * await store.migrate();
 * ```
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma("synchronous = FULL");
    db.function("ecert_matches", { deterministic: true }, (number, search, needle) =>
      certificateMatches(String(number), String(search), String(needle)) ? 1 : 0,
    );
  } catch (error) {
    db?.close();
    throw new StoreError(
      "DATABASE_UNAVAILABLE",
      `cannot open the SQLite database ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const connection: Connection = {
    file,
    db,
    statements: new Map(),
    now: options.now ?? (() => new Date()),
    migrations: options.migrations ?? MIGRATIONS,
  };
  return new SqliteStore(connection, new TransactionScope(0));
}

/** Maps a better-sqlite3 error to a {@link StoreError}; other errors pass through. */
function sqliteError(error: unknown, method: string): unknown {
  if (isStoreError(error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = `${method}: ${(error as Error).message}`;
  if (typeof code === "string") {
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
      return new StoreError("DUPLICATE", message, { cause: error });
    }
    if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") return new StoreError("INVALID_REFERENCE", message, { cause: error });
    if (code.startsWith("SQLITE_CONSTRAINT")) return new StoreError("INVALID_VALUE", message, { cause: error });
    if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
      return new StoreError("BUSY", message, { cause: error });
    }
  }
  if (error instanceof TypeError && /database connection is not open/.test(error.message)) {
    return new StoreError("CLOSED", `${method}: the store is closed`, { cause: error });
  }
  return error;
}

/**
 * A handle on a SQLite connection: the store itself (from {@link openSqliteStore}) or, inside
 * `transaction(fn)`, the handle passed to `fn`. Do not construct it directly.
 */
export class SqliteStore implements Store {
  /** The database file (or `:memory:`). */
  readonly file: string;
  readonly #c: Connection;
  readonly #scope: TransactionScope;

  constructor(connection: Connection, scope: TransactionScope) {
    this.file = connection.file;
    this.#c = connection;
    this.#scope = scope;
  }

  // --- plumbing -------------------------------------------------------------------------------------

  #statement(sql: string): Statement {
    let statement = this.#c.statements.get(sql);
    if (statement === undefined) {
      statement = this.#c.db.prepare(sql);
      this.#c.statements.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string, ...params: unknown[]): DbRow | undefined {
    return this.#statement(sql).get(...params) as DbRow | undefined;
  }

  #all(sql: string, ...params: unknown[]): DbRow[] {
    return this.#statement(sql).all(...params) as DbRow[];
  }

  #run(sql: string, ...params: unknown[]): number {
    return this.#statement(sql).run(...params).changes;
  }

  /** Several statements as one step: `BEGIN IMMEDIATE`, or a savepoint inside an open transaction. */
  #atomic<T>(fn: () => T): T {
    return this.#c.db.transaction(fn).immediate();
  }

  #assertOpen(method: string): void {
    if (this.#scope.ended) {
      throw new StoreError(
        "CLOSED",
        this.#scope.depth === 0
          ? `${method}: the store is closed`
          : `${method}: the transaction this store handle belongs to has ended`,
      );
    }
  }

  /** Runs one synchronous step once no transaction of another caller is open on the connection. */
  async #call<T>(method: string, step: () => T): Promise<T> {
    this.#assertOpen(method);
    const idle = this.#scope.whenIdle();
    if (idle !== undefined) {
      await idle;
      this.#assertOpen(method);
    }
    try {
      return step();
    } catch (error) {
      throw sqliteError(error, method);
    }
  }

  #now(): string {
    return this.#c.now().toISOString();
  }

  // --- lifecycle ------------------------------------------------------------------------------------

  async migrate(): Promise<void> {
    await this.transaction(async (tx) => {
      const self = tx as SqliteStore;
      const connection: MigrationConnection = {
        dialect: "sqlite",
        exec: async (sql) => {
          self.#assertOpen("migrate");
          self.#c.db.exec(sql);
        },
        query: async <R>(sql: string, params: readonly unknown[]) => {
          self.#assertOpen("migrate");
          const statement = self.#c.db.prepare(sql);
          if (statement.reader) return statement.all(...params) as R[];
          statement.run(...params);
          return [];
        },
      };
      try {
        await applyMigrations(connection, this.#c.migrations, this.#c.now());
      } catch (error) {
        throw sqliteError(error, "migrate");
      }
    });
  }

  /** Waits for the open transaction, if any, then closes the connection. Later calls fail with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#scope.depth !== 0) throw new StoreError("INVALID_STATE", "close: a transaction's store handle cannot close the store");
    if (this.#scope.ended) return;
    const idle = this.#scope.whenIdle();
    if (idle !== undefined) await idle;
    this.#scope.end();
    this.#c.statements.clear();
    this.#c.db.close();
  }

  async transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    this.#assertOpen("transaction");
    return this.#scope.run(async (child) => {
      this.#assertOpen("transaction");
      const db = this.#c.db;
      const top = child.depth === 1;
      const savepoint = `ecert_tx_${child.depth}`;
      try {
        db.exec(top ? "BEGIN IMMEDIATE" : `SAVEPOINT ${savepoint}`);
      } catch (error) {
        throw sqliteError(error, "transaction");
      }
      let result: T;
      try {
        result = await fn(new SqliteStore(this.#c, child));
      } catch (error) {
        // SQLite may have rolled back on its own (a full disk ...): then there is nothing to undo.
        if (db.open && db.inTransaction) db.exec(top ? "ROLLBACK" : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
        throw error;
      }
      try {
        db.exec(top ? "COMMIT" : `RELEASE ${savepoint}`);
      } catch (error) {
        if (top && db.open && db.inTransaction) db.exec("ROLLBACK");
        throw sqliteError(error, "transaction");
      }
      return result;
    });
  }

  // --- API keys -------------------------------------------------------------------------------------

  insertApiKey(row: ApiKeyRow): Promise<void> {
    return this.#call("insertApiKey", () => {
      this.#run(
        "INSERT INTO api_keys (id, issuer_id, label, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
        row.id,
        row.issuerId,
        row.label,
        row.keyHash,
        row.createdAt,
        row.revokedAt,
      );
    });
  }

  findApiKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    return this.#call("findApiKeyByHash", () => {
      const row = this.#get(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?`, keyHash);
      return row && toApiKey(row);
    });
  }

  listApiKeys(issuerId: string): Promise<ApiKeyRow[]> {
    return this.#call("listApiKeys", () =>
      this.#all(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE issuer_id = ? ORDER BY created_at, id`, issuerId).map(
        toApiKey,
      ),
    );
  }

  // --- idempotency ----------------------------------------------------------------------------------

  findIdempotency(issuerId: string, key: string): Promise<IdempotencyRow | undefined> {
    return this.#call("findIdempotency", () => {
      const row = this.#get(
        `SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_keys WHERE issuer_id = ? AND idempotency_key = ?`,
        issuerId,
        key,
      );
      return row && toIdempotency(row);
    });
  }

  insertIdempotency(row: IdempotencyRow): Promise<boolean> {
    return this.#call(
      "insertIdempotency",
      () =>
        this.#run(
          `INSERT INTO idempotency_keys (issuer_id, idempotency_key, request_hash, status_code, response_json, created_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (issuer_id, idempotency_key) DO NOTHING`,
          row.issuerId,
          row.key,
          row.requestHash,
          row.statusCode,
          row.responseJson,
          row.createdAt,
        ) === 1,
    );
  }

  // --- uploads and certificates ---------------------------------------------------------------------

  insertUpload(upload: UploadRow, certificates: NewCertificate[]): Promise<{ refused: RefusedCertificate[] }> {
    return this.#call("insertUpload", () => {
      checkUpload(upload, certificates);
      return this.#atomic(() => {
        this.#run(
          "INSERT INTO uploads (id, issuer_id, type_id, row_count, errors_json, created_at) VALUES (?, ?, ?, ?, ?, ?)",
          upload.id,
          upload.issuerId,
          upload.typeId,
          upload.rowCount,
          upload.errorsJson,
          upload.createdAt,
        );
        const insert = this.#statement(
          `INSERT INTO certificates (id, issuer_id, type_id, upload_id, upload_row, certificate_number, record_json,
             credential_json, digest, claim_code_hash, supersedes, search_json, status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
           ON CONFLICT (issuer_id, certificate_number) WHERE ${LIVE_NUMBER_PREDICATE} DO NOTHING`,
        );
        const refused: RefusedCertificate[] = [];
        for (const c of certificates) {
          const { changes } = insert.run(
            c.id,
            c.issuerId,
            c.typeId,
            c.uploadId,
            c.row,
            c.certificateNumber,
            c.recordJson,
            c.credentialJson,
            c.digest,
            c.claimCodeHash,
            c.supersedes,
            c.searchJson,
            upload.createdAt,
            upload.createdAt,
          );
          if (changes === 0) {
            const holder = this.#get(
              `SELECT id FROM certificates WHERE issuer_id = ? AND certificate_number = ? AND ${LIVE_NUMBER_PREDICATE}`,
              c.issuerId,
              c.certificateNumber,
            );
            refused.push({ id: c.id, existingId: String(holder?.id) });
          }
        }
        return { refused };
      });
    });
  }

  setUploadErrors(uploadId: string, errorsJson: string): Promise<void> {
    return this.#call("setUploadErrors", () => {
      if (this.#run("UPDATE uploads SET errors_json = ? WHERE id = ?", errorsJson, uploadId) === 0) {
        throw new StoreError("NOT_FOUND", `upload ${uploadId} does not exist`);
      }
    });
  }

  markRenewing(certificateId: string, renewalId: string): Promise<void> {
    return this.#call("markRenewing", () => {
      const changed = this.#run(
        `UPDATE certificates SET renewed_by = ?, updated_at = ?
         WHERE id = ? AND status IN ('issued', 'suspended') AND renewed_by IS NULL`,
        renewalId,
        this.#now(),
        certificateId,
      );
      if (changed === 0) {
        const row = this.#get("SELECT status, renewed_by AS renewedBy FROM certificates WHERE id = ?", certificateId);
        if (!row) throw new StoreError("NOT_FOUND", `certificate ${certificateId} does not exist`);
        throw new StoreError(
          "INVALID_STATE",
          row.renewedBy
            ? `certificate ${certificateId} is being renewed already (by ${String(row.renewedBy)})`
            : `certificate ${certificateId} is ${String(row.status)}: only an issued or suspended certificate can be renewed`,
        );
      }
    });
  }

  uploadFailures(uploadId: string): Promise<{ batchId: string; failure: string; failedAt: string }[]> {
    return this.#call("uploadFailures", () =>
      this.#all(
        `SELECT b.id AS "batchId", b.failure, b.failed_at AS "failedAt" FROM batches b
         WHERE b.failure IS NOT NULL AND b.id IN (SELECT DISTINCT batch_id FROM certificates WHERE upload_id = ?)
         ORDER BY b.failed_at, b.id`,
        uploadId,
      ).map((r) => ({ batchId: String(r.batchId), failure: String(r.failure), failedAt: String(r.failedAt) })),
    );
  }

  findUpload(issuerId: string, id: string): Promise<UploadRow | undefined> {
    return this.#call("findUpload", () => {
      const row = this.#get(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = ? AND issuer_id = ?`, id, issuerId);
      return row && toUpload(row);
    });
  }

  uploadProgress(uploadId: string): Promise<Partial<Record<CertificateStatus, number>>> {
    return this.#call("uploadProgress", () =>
      toProgress(
        this.#all("SELECT status, count(*) AS count FROM certificates WHERE upload_id = ? GROUP BY status", uploadId),
      ),
    );
  }

  findCertificate(id: string): Promise<CertificateRow | undefined> {
    return this.#call("findCertificate", () => {
      const row = this.#get(`SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.id = ?`, id);
      return row && toCertificate(row);
    });
  }

  findCertificateByClaimHash(claimCodeHash: string): Promise<CertificateRow | undefined> {
    return this.#call("findCertificateByClaimHash", () => {
      const row = this.#get(`SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.claim_code_hash = ?`, claimCodeHash);
      return row && toCertificate(row);
    });
  }

  listCertificates(
    issuerId: string,
    filter: { uploadId?: string; status?: CertificateStatus; query?: string; limit: number; offset: number },
  ): Promise<CertificateRow[]> {
    return this.#call("listCertificates", () => {
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
        where.push("ecert_matches(c.certificate_number, c.search_json, ?)");
        params.push(query);
      }
      params.push(filter.limit, filter.offset);
      return this.#all(
        `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE ${where.join(" AND ")}
         ORDER BY ${CERTIFICATE_ORDER} LIMIT ? OFFSET ?`,
        ...params,
      ).map(toCertificate);
    });
  }

  pendingGroups(): Promise<{ issuerId: string; typeId: string; count: number; oldest: string }[]> {
    return this.#call("pendingGroups", () =>
      this.#all(
        `SELECT issuer_id AS "issuerId", type_id AS "typeId", count(*) AS count, min(created_at) AS oldest
         FROM certificates WHERE status = 'pending' GROUP BY issuer_id, type_id ORDER BY oldest, "issuerId", "typeId"`,
      ).map(toPendingGroup),
    );
  }

  pendingCertificates(issuerId: string, typeId: string, limit: number): Promise<CertificateRow[]> {
    return this.#call("pendingCertificates", () => {
      checkLimit("pendingCertificates", limit);
      return this.#all(
        `SELECT ${CERTIFICATE_COLUMNS} FROM certificates c
         WHERE c.issuer_id = ? AND c.type_id = ? AND c.status = 'pending' ORDER BY ${CERTIFICATE_ORDER} LIMIT ?`,
        issuerId,
        typeId,
        limit,
      ).map(toCertificate);
    });
  }

  // --- batches --------------------------------------------------------------------------------------

  closeBatch(batch: BatchRow, certificateIds: string[]): Promise<void> {
    return this.#call("closeBatch", () => {
      checkBatch(batch, certificateIds);
      // BEGIN IMMEDIATE holds the write lock from the first read: nobody else can take these rows meanwhile.
      this.#atomic(() => {
        const select = this.#statement(
          `SELECT id, issuer_id AS "issuerId", type_id AS "typeId", status FROM certificates WHERE id = ?`,
        );
        const found = certificateIds
          .map((id) => select.get(id) as { id: string; issuerId: string; typeId: string; status: string } | undefined)
          .filter((row) => row !== undefined);
        checkBatchMembers(batch, certificateIds, found);
        const now = this.#now();
        this.#run(
          `INSERT INTO batches (id, issuer_id, type_id, status, root, certificate_count, created_at, updated_at)
           VALUES (?, ?, ?, 'closed', ?, ?, ?, ?)`,
          batch.id,
          batch.issuerId,
          batch.typeId,
          batch.root,
          certificateIds.length,
          batch.createdAt,
          batch.updatedAt,
        );
        const update = this.#statement(
          `UPDATE certificates SET status = 'anchoring', batch_id = ?, leaf_index = ?, updated_at = ?
           WHERE id = ? AND status = 'pending'`,
        );
        certificateIds.forEach((id, index) => {
          if (update.run(batch.id, index, now, id).changes !== 1) {
            throw new StoreError("INVALID_STATE", `batch ${batch.id}: certificate ${id} is no longer pending`);
          }
        });
      });
    });
  }

  findBatch(id: string): Promise<BatchRow | undefined> {
    return this.#call("findBatch", () => {
      const row = this.#get(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ?`, id);
      return row && toBatch(row);
    });
  }

  findBatchByRoot(root: string): Promise<BatchRow | undefined> {
    return this.#call("findBatchByRoot", () => {
      const row = this.#get(`SELECT ${BATCH_COLUMNS} FROM batches WHERE root = ?`, root);
      return row && toBatch(row);
    });
  }

  unfinishedBatches(): Promise<BatchRow[]> {
    return this.#call("unfinishedBatches", () =>
      this.#all(
        `SELECT ${BATCH_COLUMNS} FROM batches WHERE status <> 'rendered' AND failure IS NULL ORDER BY created_at, id`,
      ).map(toBatch),
    );
  }

  recordBatchFailure(
    batchId: string,
    error: string,
    options: { maxAttempts: number; setAside?: boolean },
  ): Promise<{ attempts: number; setAside: boolean }> {
    return this.#call("recordBatchFailure", () =>
      this.#atomic(() => {
        const now = this.#now();
        const row = this.#get(
          "UPDATE batches SET attempts = attempts + 1, updated_at = ? WHERE id = ? AND failure IS NULL RETURNING attempts",
          now,
          batchId,
        );
        if (!row) throw refusedStep("batch", batchId, this.#batchStatus(batchId), "count a failure (it is set aside already)");
        const attempts = Number(row.attempts);
        const setAside = options.setAside === true || attempts >= options.maxAttempts;
        if (setAside) {
          this.#run("UPDATE batches SET failure = ?, failed_at = ? WHERE id = ?", error, now, batchId);
          // First out of the live set, then the certificates they were renewing back into it.
          this.#run(
            "UPDATE certificates SET status = 'failed', updated_at = ? WHERE batch_id = ? AND status = 'anchoring'",
            now,
            batchId,
          );
          this.#run(
            `UPDATE certificates SET renewed_by = NULL, updated_at = ?
             WHERE renewed_by IN (SELECT id FROM certificates WHERE batch_id = ? AND status = 'failed')`,
            now,
            batchId,
          );
        }
        return { attempts, setAside };
      }),
    );
  }

  anchoredBatches(after: { createdAt: string; id: string } | null, limit: number): Promise<BatchRow[]> {
    return this.#call("anchoredBatches", () => {
      checkLimit("anchoredBatches", limit);
      return this.#all(
        `SELECT ${BATCH_COLUMNS} FROM batches
         WHERE status IN ('anchored', 'rendered') AND failure IS NULL AND (created_at, id) > (?, ?)
         ORDER BY created_at, id LIMIT ?`,
        after?.createdAt ?? "",
        after?.id ?? "",
        limit,
      ).map(toBatch);
    });
  }

  batchCertificates(batchId: string): Promise<CertificateRow[]> {
    return this.#call("batchCertificates", () =>
      this.#all(`SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.batch_id = ? ORDER BY c.leaf_index`, batchId).map(
        toCertificate,
      ),
    );
  }

  #batchStatus(id: string): string | undefined {
    return this.#get("SELECT status FROM batches WHERE id = ?", id)?.status as string | undefined;
  }

  markBatchSubmitted(batchId: string, txHash: string, txNonce: number): Promise<void> {
    return this.#call("markBatchSubmitted", () => {
      const changed = this.#run(
        `UPDATE batches SET status = 'submitted', tx_hash = ?, tx_nonce = ?, updated_at = ?
         WHERE id = ? AND status IN ('closed', 'submitted')`,
        txHash,
        txNonce,
        this.#now(),
        batchId,
      );
      if (changed === 0) throw refusedStep("batch", batchId, this.#batchStatus(batchId), "record an anchor transaction");
    });
  }

  markBatchAnchored(batchId: string, blockNumber: number, anchoredAt: string, txHash: string | null): Promise<void> {
    return this.#call("markBatchAnchored", () => {
      const changed = this.#run(
        `UPDATE batches SET status = 'anchored', block_number = ?, anchored_at = ?, tx_hash = coalesce(?, tx_hash),
           updated_at = ?
         WHERE id = ? AND status IN ('closed', 'submitted')`,
        blockNumber,
        anchoredAt,
        txHash,
        this.#now(),
        batchId,
      );
      if (changed === 0) throw refusedStep("batch", batchId, this.#batchStatus(batchId), "mark it anchored");
    });
  }

  putPdf(certificateId: string, pdf: Uint8Array, pdfHash: string): Promise<void> {
    return this.#call("putPdf", () => {
      this.#atomic(() => {
        const now = this.#now();
        const changed = this.#run(
          "UPDATE certificates SET pdf_hash = ?, updated_at = ? WHERE id = ? AND status = 'anchoring'",
          pdfHash,
          now,
          certificateId,
        );
        if (changed === 0) {
          const status = this.#get("SELECT status FROM certificates WHERE id = ?", certificateId)?.status as string | undefined;
          throw refusedStep("certificate", certificateId, status, "store its PDF (only while anchoring)");
        }
        this.#run(
          `INSERT INTO certificate_pdfs (certificate_id, pdf, pdf_hash, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (certificate_id) DO UPDATE SET pdf = excluded.pdf, pdf_hash = excluded.pdf_hash,
             created_at = excluded.created_at`,
          certificateId,
          asBuffer(pdf),
          pdfHash,
          now,
        );
      });
    });
  }

  getPdf(certificateId: string): Promise<Uint8Array | undefined> {
    return this.#call("getPdf", () => this.#get("SELECT pdf FROM certificate_pdfs WHERE certificate_id = ?", certificateId)?.pdf as
      | Uint8Array
      | undefined);
  }

  markBatchRendered(batchId: string): Promise<void> {
    return this.#call("markBatchRendered", () => {
      this.#atomic(() => {
        const status = this.#batchStatus(batchId);
        if (status !== "anchored") throw refusedStep("batch", batchId, status, "mark it rendered (only once anchored)");
        const missing = Number(
          this.#get(
            "SELECT count(*) AS n FROM certificates WHERE batch_id = ? AND status = 'anchoring' AND pdf_hash IS NULL",
            batchId,
          )?.n,
        );
        if (missing > 0) {
          throw new StoreError("INVALID_STATE", `batch ${batchId}: ${missing} certificates have no PDF yet`);
        }
        const now = this.#now();
        this.#run("UPDATE batches SET status = 'rendered', updated_at = ? WHERE id = ?", now, batchId);
        this.#run(
          "UPDATE certificates SET status = 'issued', updated_at = ? WHERE batch_id = ? AND status = 'anchoring'",
          now,
          batchId,
        );
        this.#run(
          `UPDATE certificates SET status = 'superseded', updated_at = ?
           WHERE status IN ('issued', 'suspended') AND id IN (
             SELECT supersedes FROM certificates WHERE batch_id = ? AND status = 'issued' AND supersedes IS NOT NULL)`,
          now,
          batchId,
        );
      });
    });
  }

  // --- status changes -------------------------------------------------------------------------------

  insertOperation(row: OperationRow): Promise<void> {
    return this.#call("insertOperation", () => {
      this.#run(
        `INSERT INTO operations (id, issuer_id, kind, certificate_id, batch_id, reason, successor_id, status, tx_hash,
           error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      );
    });
  }

  unfinishedOperations(): Promise<OperationRow[]> {
    return this.#call("unfinishedOperations", () =>
      this.#all(
        `SELECT ${OPERATION_COLUMNS} FROM operations WHERE status IN ('queued', 'submitted') ORDER BY created_at, id`,
      ).map(toOperation),
    );
  }

  #operationStatus(id: string): string | undefined {
    return this.#get("SELECT status FROM operations WHERE id = ?", id)?.status as string | undefined;
  }

  markOperationSubmitted(id: string, txHash: string): Promise<void> {
    return this.#call("markOperationSubmitted", () => {
      const changed = this.#run(
        `UPDATE operations SET status = 'submitted', tx_hash = ?, updated_at = ?
         WHERE id = ? AND status IN ('queued', 'submitted')`,
        txHash,
        this.#now(),
        id,
      );
      if (changed === 0) throw refusedStep("operation", id, this.#operationStatus(id), "record its transaction");
    });
  }

  confirmOperation(id: string, certificateStatus: CertificateStatus | null, reason: number | null): Promise<void> {
    return this.#call("confirmOperation", () => {
      this.#atomic(() => {
        const op = this.#get(`SELECT certificate_id AS "certificateId", batch_id AS "batchId", status FROM operations WHERE id = ?`, id);
        if (op === undefined || (op.status !== "queued" && op.status !== "submitted")) {
          throw refusedStep("operation", id, op?.status as string | undefined, "confirm it");
        }
        const now = this.#now();
        this.#run("UPDATE operations SET status = 'confirmed', updated_at = ? WHERE id = ?", now, id);
        if (certificateStatus === null) return;
        if (op.certificateId !== null) {
          this.#run(
            "UPDATE certificates SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
            certificateStatus,
            reason,
            now,
            op.certificateId,
          );
        } else {
          this.#run(
            "UPDATE certificates SET status = ?, reason = ?, updated_at = ? WHERE batch_id = ?",
            certificateStatus,
            reason,
            now,
            op.batchId,
          );
        }
      });
    });
  }

  failOperation(id: string, error: string): Promise<void> {
    return this.#call("failOperation", () => {
      const changed = this.#run(
        `UPDATE operations SET status = 'failed', error = ?, updated_at = ?
         WHERE id = ? AND status IN ('queued', 'submitted')`,
        error,
        this.#now(),
        id,
      );
      if (changed === 0) throw refusedStep("operation", id, this.#operationStatus(id), "mark it failed");
    });
  }

  // --- audit ----------------------------------------------------------------------------------------

  insertEvent(event: Omit<EventRow, "id">): Promise<void> {
    return this.#call("insertEvent", () => {
      this.#run(
        `INSERT INTO events (issuer_id, certificate_id, batch_id, type, actor, detail_json, at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        event.issuerId,
        event.certificateId,
        event.batchId,
        event.type,
        event.actor,
        event.detailJson,
        event.at,
      );
    });
  }

  certificateEvents(certificateId: string): Promise<EventRow[]> {
    return this.#call("certificateEvents", () =>
      this.#all(`SELECT ${EVENT_COLUMNS} FROM events WHERE certificate_id = ? ORDER BY id`, certificateId).map(toEvent),
    );
  }

  // --- integrity check (read-only) ------------------------------------------------------------------

  scanCertificates(afterId: string | null, limit: number): Promise<CertificateRow[]> {
    return this.#call("scanCertificates", () => {
      checkLimit("scanCertificates", limit);
      return (
        afterId === null
          ? this.#all(`SELECT ${CERTIFICATE_COLUMNS} FROM certificates c ORDER BY c.id LIMIT ?`, limit)
          : this.#all(`SELECT ${CERTIFICATE_COLUMNS} FROM certificates c WHERE c.id > ? ORDER BY c.id LIMIT ?`, afterId, limit)
      ).map(toCertificate);
    });
  }

  listBatches(afterId: string | null, limit: number): Promise<BatchRow[]> {
    return this.#call("listBatches", () => {
      checkLimit("listBatches", limit);
      return (
        afterId === null
          ? this.#all(`SELECT ${BATCH_COLUMNS} FROM batches ORDER BY id LIMIT ?`, limit)
          : this.#all(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id > ? ORDER BY id LIMIT ?`, afterId, limit)
      ).map(toBatch);
    });
  }

  batchLeaves(batchId: string): Promise<import("./store.ts").BatchLeaf[]> {
    return this.#call("batchLeaves", () =>
      this.#all(
        `SELECT id, leaf_index AS "leafIndex", digest, status FROM certificates WHERE batch_id = ? ORDER BY leaf_index`,
        batchId,
      ).map((r) => ({
        certificateId: String(r.id),
        leafIndex: Number(r.leafIndex),
        digest: String(r.digest),
        status: r.status as CertificateStatus,
      })),
    );
  }

  batchPdfs(batchId: string, afterLeafIndex: number | null, limit: number): Promise<import("./store.ts").BatchMemberPdf[]> {
    return this.#call("batchPdfs", () => {
      checkLimit("batchPdfs", limit);
      return this.#all(
        `SELECT c.id, c.leaf_index AS "leafIndex", c.status, c.credential_json AS "credentialJson", c.pdf_hash AS "pdfHash",
           p.pdf, p.pdf_hash AS "storedPdfHash"
         FROM certificates c LEFT JOIN certificate_pdfs p ON p.certificate_id = c.id
         WHERE c.batch_id = ? AND c.leaf_index > ? ORDER BY c.leaf_index LIMIT ?`,
        batchId,
        afterLeafIndex ?? -1,
        limit,
      ).map((r) => ({
        certificateId: String(r.id),
        leafIndex: Number(r.leafIndex),
        status: r.status as CertificateStatus,
        credentialJson: String(r.credentialJson),
        pdfHash: (r.pdfHash as string | null) ?? null,
        pdf: (r.pdf as Uint8Array | null) ?? null,
        storedPdfHash: (r.storedPdfHash as string | null) ?? null,
      }));
    });
  }

  duplicateDigests(limit: number): Promise<{ total: number; groups: import("./store.ts").DuplicateDigest[] }> {
    return this.#call("duplicateDigests", () => {
      checkLimit("duplicateDigests", limit);
      const total = Number(
        this.#get(
          `SELECT coalesce(sum(n), 0) AS total FROM (SELECT count(*) AS n FROM certificates GROUP BY digest HAVING count(*) > 1)`,
        )?.total,
      );
      const rows = this.#all(
        `SELECT digest, id, n FROM (
           SELECT digest, id, count(*) OVER (PARTITION BY digest) AS n,
             row_number() OVER (PARTITION BY digest ORDER BY id) AS k
           FROM certificates)
         WHERE n > 1 AND k <= 10 ORDER BY digest, id LIMIT ?`,
        limit * 10,
      );
      const groups: import("./store.ts").DuplicateDigest[] = [];
      for (const r of rows) {
        let group = groups.at(-1);
        if (group === undefined || group.digest !== r.digest) {
          if (groups.length === limit) break;
          group = { digest: String(r.digest), count: Number(r.n), certificateIds: [] };
          groups.push(group);
        }
        group.certificateIds.push(String(r.id));
      }
      return { total, groups };
    });
  }

  duplicateLiveNumbers(limit: number): Promise<{ total: number; groups: import("./store.ts").DuplicateLiveNumber[] }> {
    return this.#call("duplicateLiveNumbers", () => {
      checkLimit("duplicateLiveNumbers", limit);
      // Live, unless it is being renewed by a pending or anchoring renewal of the same number (the two
      // then hold it together until the renewal is issued and this one superseded).
      const live = `c.status IN ('pending', 'anchoring', 'issued', 'suspended') AND (c.renewed_by IS NULL OR NOT EXISTS (
        SELECT 1 FROM certificates r WHERE r.id = c.renewed_by AND r.supersedes = c.id AND r.issuer_id = c.issuer_id
          AND r.certificate_number = c.certificate_number AND r.status IN ('pending', 'anchoring')))`;
      const total = Number(
        this.#get(
          `SELECT coalesce(sum(n), 0) AS total FROM (
             SELECT count(*) AS n FROM certificates c WHERE ${live} GROUP BY c.issuer_id, c.certificate_number HAVING count(*) > 1)`,
        )?.total,
      );
      const rows = this.#all(
        `SELECT issuer_id AS "issuerId", certificate_number AS "certificateNumber", id, n FROM (
           SELECT c.issuer_id, c.certificate_number, c.id, count(*) OVER (PARTITION BY c.issuer_id, c.certificate_number) AS n,
             row_number() OVER (PARTITION BY c.issuer_id, c.certificate_number ORDER BY c.id) AS k
           FROM certificates c WHERE ${live})
         WHERE n > 1 AND k <= 10 ORDER BY issuer_id, certificate_number, id LIMIT ?`,
        limit * 10,
      );
      const groups: import("./store.ts").DuplicateLiveNumber[] = [];
      for (const r of rows) {
        let group = groups.at(-1);
        if (group === undefined || group.issuerId !== r.issuerId || group.certificateNumber !== r.certificateNumber) {
          if (groups.length === limit) break;
          group = { issuerId: String(r.issuerId), certificateNumber: String(r.certificateNumber), count: Number(r.n), certificateIds: [] };
          groups.push(group);
        }
        group.certificateIds.push(String(r.id));
      }
      return { total, groups };
    });
  }
}
