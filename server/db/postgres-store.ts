/**
 * The PostgreSQL {@link Store}: for several issuer instances sharing one database (`DATABASE_URL=
 * postgres://...`). The statements are `sql-store.ts`'s; this is the pg driver and PostgreSQL's hooks.
 *
 * Calls outside a transaction run on the pool; a transaction runs on a dedicated client. Isolation is
 * READ COMMITTED; where two instances could take the same rows the store locks them first (`FOR
 * UPDATE`): `closeBatch` locks its certificates (in id order, so two overlapping batches cannot
 * deadlock) and checks they are still pending after the lock, so a certificate is batched once whichever
 * instance gets there first; `markBatchRendered` and `confirmOperation` lock their batch or operation row.
 */
import pg from "pg";
import type { PoolClient, PoolConfig } from "pg";
import { LIVE_NUMBER_PREDICATE, MIGRATIONS, type Migration } from "./migrations.ts";
import { isNumberQuery, likeLiteral, type DbRow } from "./rows.ts";
import { SqlStore, sqlShared, type PdfRow, type SqlConnection } from "./sql-store.ts";
import { PUT_PDFS_CHUNK_BYTES, PUT_PDFS_CHUNK_ROWS } from "./store.ts";
import { isStoreError, StoreError } from "./store-error.ts";

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

/** A handle on a PostgreSQL pool, or on a transaction's client (see {@link SqlStore}). */
export class PostgresStore extends SqlStore {}

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
  const numbered = new Map<string, string>();
  /** `?` placeholders (outside quotes) as `$1, $2 ...`. */
  const number = (sql: string): string => {
    let text = numbered.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/'[^']*'|\?/g, (m) => (m === "?" ? `$${++n}` : m));
      numbered.set(sql, text);
    }
    return text;
  };
  const connection = (db: pg.Pool | PoolClient): SqlConnection => ({
    async query(sql, params = []) {
      const result = await db.query<DbRow>(number(sql), params as unknown[]);
      return { rows: result.rows, count: result.rowCount ?? result.rows.length };
    },
    async exec(sql) {
      await db.query(sql);
    },
  });
  const driver = {
    dialect: "postgres" as const,
    root: connection(pool),
    async acquire() {
      const client = await pool.connect();
      return { connection: connection(client), release: (broken?: Error) => client.release(broken) };
    },
    begin: (db: SqlConnection) => db.exec("BEGIN"),
    forUpdate: " FOR UPDATE",
    clockMs: "(extract(epoch FROM clock_timestamp()) * 1000)::bigint",
    inList: (values: readonly string[]) => ({ sql: "= ANY(?::text[])", param: values }),
    // The same match as rows.ts certificateMatches. A number query is a prefix LIKE on migration 6's
    // B-tree indexes (issuer, lowercased certificate number or search_candidate, text_pattern_ops): a
    // range of each, OR-ed. A name is a substring LIKE on the names' text (search_names, migration 6's
    // trigram index), which decides alone when the needle holds no quote, backslash or control
    // character (which JSON writes escaped) and is not made of the text between the quoted names alone
    // ('[', ', ', ']'): then it matches there only inside a name. The planner may then also walk the listing's order and
    // stop after `limit` rows. Otherwise the names are compared one by one.
    matches: (needle: string) => {
      if (isNumberQuery(needle)) {
        const prefix = `${likeLiteral(needle)}%`;
        return {
          sql: "(lower(c.certificate_number) LIKE ? OR c.search_candidate LIKE ?)",
          params: [prefix, prefix],
        };
      }
      const like = `%${likeLiteral(needle)}%`;
      // eslint-disable-next-line no-control-regex
      if (!/["\\\u0000-\u001f]/.test(needle) && !/^[[\], ]+$/.test(needle))
        return { sql: "c.search_names LIKE ?", params: [like] };
      const exact = `EXISTS (
        SELECT 1 FROM jsonb_path_query(c.search_json::jsonb, 'strict $.name.**') AS v(value)
        WHERE jsonb_typeof(v.value) = 'string' AND strpos(lower(v.value #>> '{}'), ?) > 0)`;
      return { sql: exact, params: [needle] };
    },
    // Each chunk is one INSERT, its columns as arrays through unnest.
    async insertCertificates(
      db: SqlConnection,
      upload: import("./store.ts").UploadRow,
      certificates: readonly import("./store.ts").NewCertificate[],
    ) {
      const stored = new Set<string>();
      for (let start = 0; start < certificates.length; start += INSERT_CHUNK) {
        const chunk = certificates.slice(start, start + INSERT_CHUNK);
        const column = <K extends keyof import("./store.ts").NewCertificate>(key: K) => chunk.map((c) => c[key]);
        const { rows } = await db.query(
          `INSERT INTO certificates (id, issuer_id, type_id, upload_id, upload_row, certificate_number, record_json,
             credential_json, digest, claim_code_hash, supersedes, search_json, status, created_at, updated_at)
           SELECT u.id, ?, ?, ?, u.upload_row, u.certificate_number, u.record_json, u.credential_json, u.digest,
             u.claim_code_hash, u.supersedes, u.search_json, 'pending', ?::text, ?::text
           FROM unnest(?::text[], ?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
             AS u(id, upload_row, certificate_number, record_json, credential_json, digest, claim_code_hash, supersedes,
               search_json)
           ON CONFLICT (issuer_id, certificate_number) WHERE ${LIVE_NUMBER_PREDICATE} DO NOTHING
           RETURNING id`,
          [
            upload.issuerId,
            upload.typeId,
            upload.id,
            upload.createdAt,
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
        for (const r of rows) stored.add(String(r.id));
      }
      return stored;
    },
    async moveIntoBatch(db: SqlConnection, batchId: string, certificateIds: readonly string[], now: string) {
      const { count } = await db.query(
        `UPDATE certificates AS c SET status = 'anchoring', batch_id = ?, leaf_index = u.ord - 1, updated_at = ?
         FROM unnest(?::text[]) WITH ORDINALITY AS u(id, ord)
         WHERE c.id = u.id AND c.status = 'pending'`,
        [batchId, now, certificateIds],
      );
      return count;
    },
    // One statement (atomic without a transaction, one round trip): the PDF is stored, and its hash set,
    // only if the certificate is anchoring and has none yet (the first PDF stored stays).
    async putPdf(db: SqlConnection, certificateId: string, pdf: Buffer, pdfHash: string, now: string) {
      const { count } = await db.query(
        `WITH certificate AS (
           UPDATE certificates SET pdf_hash = ?::text, updated_at = ?::text
           WHERE id = ? AND status = 'anchoring' AND pdf_hash IS NULL
           RETURNING id)
         INSERT INTO certificate_pdfs (certificate_id, pdf, pdf_hash, created_at)
         SELECT id, ?::bytea, ?::text, ?::text FROM certificate
         ON CONFLICT (certificate_id) DO NOTHING`,
        [pdfHash, now, certificateId, pdf, pdfHash, now],
      );
      return count;
    },
    // One statement a chunk (bounded in rows and bytes), each PDF a binary parameter of a VALUES list
    // (an array parameter would travel as hex text, twice the bytes): the same conditions as putPdf.
    async putPdfs(db: SqlConnection, items: readonly PdfRow[], now: string) {
      const stored = new Set<string>();
      for (let start = 0; start < items.length;) {
        let end = start + 1;
        let bytes = items[start].pdf.length;
        while (
          end < items.length &&
          end - start < PUT_PDFS_CHUNK_ROWS &&
          bytes + items[end].pdf.length <= PUT_PDFS_CHUNK_BYTES
        )
          bytes += items[end++].pdf.length;
        const chunk = items.slice(start, end);
        const { rows } = await db.query(putPdfsSql(chunk.length), [
          ...chunk.flatMap((r) => [r.certificateId, r.pdf, r.pdfHash]),
          now,
          now,
        ]);
        for (const r of rows) stored.add(String(r.id));
        start = end;
      }
      return stored;
    },
    mapError: pgError,
    close: () => pool.end(),
  };
  return new PostgresStore(sqlShared(driver, options.now, options.migrations ?? MIGRATIONS));
}

const putPdfsStatements = new Map<number, string>();

/** The statement of one `putPdfs` chunk of `rows` rows: each row's id, PDF and hash, then `now` twice. */
function putPdfsSql(rows: number): string {
  let sql = putPdfsStatements.get(rows);
  if (sql === undefined) {
    const values = Array.from({ length: rows }, (_, i) =>
      i === 0 ? "(?::text, ?::bytea, ?::text)" : "(?, ?, ?)",
    ).join(", ");
    // The update returns ids only and the insert takes each PDF from the VALUES list again (inlined, not
    // materialised): a CTE returning the PDFs was a tuplestore of the whole chunk, spilled to a temporary
    // file past work_mem (10 MB written and read back a chunk).
    sql = `WITH v(id, pdf, pdf_hash) AS NOT MATERIALIZED (VALUES ${values}),
      certificate AS (
        UPDATE certificates c SET pdf_hash = v.pdf_hash, updated_at = ?::text
        FROM v
        WHERE c.id = v.id AND c.status = 'anchoring' AND c.pdf_hash IS NULL
        RETURNING c.id)
      INSERT INTO certificate_pdfs (certificate_id, pdf, pdf_hash, created_at)
      SELECT v.id, v.pdf, v.pdf_hash, ?::text FROM v JOIN certificate ON certificate.id = v.id
      ON CONFLICT (certificate_id) DO NOTHING
      RETURNING certificate_id AS id`;
    putPdfsStatements.set(rows, sql);
  }
  return sql;
}

function describeConnectionError(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: { message?: string }[] };
  // Node reports a refused dual-stack connection as an AggregateError with an empty message.
  const message = e.message || e.errors?.map((x) => x.message).join("; ") || String(error);
  return e.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/** SQLSTATE classes and Node error codes that mean the database is not there (or not for us). */
const UNAVAILABLE =
  /^(08|57P0[123]|3D000|28000|28P01|ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|EAI_AGAIN|EPIPE)/;

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
  if (code === "40001" || code === "40P01" || code === "55P03")
    return new StoreError("BUSY", message, { cause: error });
  if (code === "25P02") {
    return new StoreError(
      "INVALID_STATE",
      `${method}: an earlier call in this transaction failed, so it can only roll back`,
      { cause: error },
    );
  }
  if (
    UNAVAILABLE.test(code) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(e.message ?? "")
  ) {
    return new StoreError("DATABASE_UNAVAILABLE", message, { cause: error });
  }
  if (/Cannot use a pool after calling end/i.test(e.message ?? "")) {
    return new StoreError("CLOSED", `${method}: the store is closed`, { cause: error });
  }
  return error;
}
