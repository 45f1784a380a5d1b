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
import { applyMigrations, MIGRATIONS, type Migration, type MigrationConnection } from "./migrations.ts";
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

  insertUpload(upload: UploadRow, certificates: NewCertificate[]): Promise<void> {
    return this.#call("insertUpload", () => {
      checkUpload(upload, certificates);
      this.#atomic(() => {
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
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        );
        for (const c of certificates) {
          insert.run(
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
        }
      });
    });
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
      this.#all(`SELECT ${BATCH_COLUMNS} FROM batches WHERE status <> 'rendered' ORDER BY created_at, id`).map(toBatch),
    );
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
}
