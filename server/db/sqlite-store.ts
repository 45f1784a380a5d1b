/**
 * The SQLite {@link Store}: the zero-configuration default, one file under `DATA_DIR`
 * (`.data/ecert.sqlite`) used by one issuer process. The statements are `sql-store.ts`'s; this is the
 * better-sqlite3 driver and SQLite's hooks.
 *
 * better-sqlite3 is synchronous and every caller shares the one connection, so a transaction begins with
 * `BEGIN IMMEDIATE` (the write lock from the first read: no other process can take the same rows) and,
 * while it is open, every other caller of this store waits (see `transaction-scope.ts`). Statements are
 * prepared once per connection.
 *
 * The connection runs in WAL mode (readers never block the writer), with foreign keys on, a busy
 * timeout (another process holding the write lock is waited for, not failed at once) and
 * `synchronous = FULL` (a committed transaction survives a power cut, not only a process crash).
 */
import Database from "better-sqlite3";
import type { Statement } from "better-sqlite3";
import { LIVE_NUMBER_PREDICATE, MIGRATIONS, type Migration } from "./migrations.ts";
import { certificateMatches, type DbRow } from "./rows.ts";
import { SqlStore, sqlShared, type SqlConnection, type SqlDriver, type SqlShared } from "./sql-store.ts";
import { isStoreError, StoreError } from "./store-error.ts";
import type { TransactionScope } from "./transaction-scope.ts";

export type SqliteStoreOptions = {
  /** How long to wait for another process's write lock before failing with `BUSY` (default 5000 ms). */
  busyTimeoutMs?: number;
  /** The clock for `updatedAt` and the migration records (default: the system clock). */
  now?: () => Date;
  /** The migrations `migrate()` applies (default: all of `migrations.ts`; tests pass others). */
  migrations?: readonly Migration[];
};

type SqliteDriver = SqlDriver & { readonly file: string };

/** A handle on a SQLite connection (see {@link SqlStore}); `file` is the database file or `:memory:`. */
export class SqliteStore extends SqlStore {
  readonly file: string;

  constructor(shared: SqlShared, connection?: SqlConnection, scope?: TransactionScope) {
    super(shared, connection, scope);
    this.file = (shared.driver as SqliteDriver).file;
  }
}

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
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`); // for statements outside transactions
    db.pragma("synchronous = FULL");
    db.function("ecert_matches", { deterministic: true }, (number, search, needle) =>
      certificateMatches(String(number), String(search), String(needle)) ? 1 : 0,
    );
  } catch (error) {
    db?.close();
    throw new StoreError(
      "DATABASE_UNAVAILABLE",
      `cannot open the SQLite database ${file}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
  return new SqliteStore(
    sqlShared(sqliteDriver(file, db, busyTimeoutMs), options.now, options.migrations ?? MIGRATIONS),
  );
}

function sqliteDriver(file: string, db: Database.Database, busyTimeoutMs: number): SqliteDriver {
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const run = (sql: string, params: readonly unknown[]) => {
    const statement = prepare(sql);
    if (statement.reader) {
      const rows = statement.all(...params) as DbRow[];
      return { rows, count: rows.length };
    }
    return { rows: [], count: statement.run(...params).changes };
  };
  const root: SqlConnection = {
    query: async (sql, params = []) => run(sql, params),
    exec: async (sql) => void db.exec(sql),
  };
  return {
    dialect: "sqlite",
    file,
    root,
    acquire: null,
    // The write lock from the first read. Another connection holding it (another process, or another store
    // of this one whose transaction awaits) is waited for between tries, not in SQLite's busy handler,
    // which would block the event loop and so the holder.
    async begin() {
      const deadline = Date.now() + busyTimeoutMs;
      for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
        run("PRAGMA busy_timeout = 0", []);
        try {
          db.exec("BEGIN IMMEDIATE");
          return;
        } catch (error) {
          if (!String((error as { code?: unknown }).code).startsWith("SQLITE_BUSY") || Date.now() >= deadline)
            throw error;
        } finally {
          run(`PRAGMA busy_timeout = ${busyTimeoutMs}`, []);
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    },
    forUpdate: "", // BEGIN IMMEDIATE has taken the write lock already
    clockMs: "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    inList: (values) => ({ sql: "IN (SELECT value FROM json_each(?))", param: JSON.stringify(values) }),
    matches: (needle) => ({ sql: "ecert_matches(c.certificate_number, c.search_json, ?)", params: [needle] }),
    // One prepared statement per row, inside the caller's transaction: no round trips to save.
    async insertCertificates(_db, upload, certificates) {
      const sql = `INSERT INTO certificates (id, issuer_id, type_id, upload_id, upload_row, certificate_number, record_json,
          credential_json, digest, claim_code_hash, supersedes, search_json, status, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
        ON CONFLICT (issuer_id, certificate_number) WHERE ${LIVE_NUMBER_PREDICATE} DO NOTHING`;
      const stored = new Set<string>();
      for (const c of certificates) {
        const { count } = run(sql, [
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
        ]);
        if (count === 1) stored.add(c.id);
      }
      return stored;
    },
    async moveIntoBatch(_db, batchId, certificateIds, now) {
      const sql = `UPDATE certificates SET status = 'anchoring', batch_id = ?, leaf_index = ?, updated_at = ?
        WHERE id = ? AND status = 'pending'`;
      let moved = 0;
      certificateIds.forEach((id, index) => (moved += run(sql, [batchId, index, now, id]).count));
      return moved;
    },
    mapError: sqliteError,
    async close() {
      statements.clear();
      db.close();
    },
  };
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
