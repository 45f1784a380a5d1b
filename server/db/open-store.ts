/**
 * Opens the issuer service's database from `DATABASE_URL` and `DATA_DIR` (DESIGN.md "Production
 * configuration", "Embedded default") and brings its schema up to date.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openPostgresStore, redactDatabaseUrl, type PostgresStoreOptions } from "./postgres-store.ts";
import { openSqliteStore, type SqliteStoreOptions } from "./sqlite-store.ts";
import type { Store } from "./store.ts";
import { isStoreError, StoreError } from "./store-error.ts";

/** The SQLite file of the embedded default, under `DATA_DIR`. */
export const DEFAULT_SQLITE_FILE = "ecert.sqlite";

export type OpenStoreOptions = SqliteStoreOptions & PostgresStoreOptions;

/** Where `openStore` would put the data: PostgreSQL at a URL, or a SQLite file. */
export type DatabaseLocation = { kind: "postgres"; url: string } | { kind: "sqlite"; file: string };

/**
 * Reads `DATABASE_URL` without opening anything.
 *
 * @param databaseUrl `postgres://` / `postgresql://` URL; a file path or `file:` URL (SQLite);
 *   `:memory:`; undefined or empty for `dataDir/ecert.sqlite`
 * @param dataDir `DATA_DIR`
 * @throws StoreError `INVALID_DATABASE_URL` for another scheme or a malformed PostgreSQL URL (the
 *   message shows the URL with its password replaced by `***`)
 *
 * @example
 * resolveDatabaseLocation(undefined, ".data") // { kind: "sqlite", file: ".data/ecert.sqlite" }
 */
export function resolveDatabaseLocation(databaseUrl: string | undefined, dataDir: string): DatabaseLocation {
  const value = databaseUrl?.trim();
  if (!value) return { kind: "sqlite", file: path.join(dataDir, DEFAULT_SQLITE_FILE) };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === "postgres" || scheme === "postgresql") {
    let url: URL;
    try {
      url = new URL(value);
    } catch (error) {
      throw new StoreError("INVALID_DATABASE_URL", `DATABASE_URL ${redactDatabaseUrl(value)} is not a valid URL`, {
        cause: error,
      });
    }
    if (!url.hostname && !url.searchParams.has("host")) {
      throw new StoreError("INVALID_DATABASE_URL", `DATABASE_URL ${redactDatabaseUrl(value)} names no host`);
    }
    return { kind: "postgres", url: value };
  }
  if (scheme === "file") {
    try {
      return { kind: "sqlite", file: fileURLToPath(value) };
    } catch (error) {
      throw new StoreError("INVALID_DATABASE_URL", `DATABASE_URL ${redactDatabaseUrl(value)} is not a valid file URL`, {
        cause: error,
      });
    }
  }
  // "C:\data\ecert.sqlite" has a one-letter "scheme"; anything else with "name://" is a URL we do not serve.
  if (scheme !== undefined && scheme.length > 1 && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new StoreError(
      "INVALID_DATABASE_URL",
      `DATABASE_URL ${redactDatabaseUrl(value)} uses ${scheme}://: expected postgres://, postgresql:// or a SQLite file path`,
    );
  }
  return { kind: "sqlite", file: value };
}

/**
 * Opens the store `DATABASE_URL` names and migrates it: PostgreSQL for a `postgres://` or
 * `postgresql://` URL; otherwise SQLite, at the given file path or, when `databaseUrl` is undefined,
 * at `dataDir/ecert.sqlite` (creating the directory).
 *
 * @throws StoreError `INVALID_DATABASE_URL` (bad URL), `DATABASE_UNAVAILABLE` (unreachable database,
 *   wrong credentials, missing database, unwritable directory) or `SCHEMA_TOO_NEW`; no message
 *   contains the password of the URL
 *
 * @example
 * ```ts
 * const store = await openStore(config.databaseUrl, config.dataDir);
 * try { ... } finally { await store.close(); }
 * ```
 */
export async function openStore(
  databaseUrl: string | undefined,
  dataDir: string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const location = resolveDatabaseLocation(databaseUrl, dataDir);
  let store: Store;
  if (location.kind === "postgres") {
    store = await openPostgresStore(location.url, options);
  } else {
    if (location.file !== ":memory:") {
      const dir = path.dirname(path.resolve(location.file));
      try {
        await mkdir(dir, { recursive: true });
      } catch (error) {
        throw new StoreError(
          "DATABASE_UNAVAILABLE",
          `cannot create the directory ${dir} of the SQLite database: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    store = openSqliteStore(location.file, options);
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

/**
 * A command's database (`certs check`, `certs audit`, `certs keys`): the store, or the exit code to end
 * with after one line on stderr: 66 when there is no database there (a SQLite file is never created
 * by a command) or it cannot be opened, 70 for anything else. `where` says how to point at it.
 */
export async function openCommandStore(
  databaseUrl: string | undefined,
  dataDir: string,
  where = "set DATABASE_URL, or DATA_DIR to the service's data directory",
): Promise<Store | number> {
  try {
    const location = resolveDatabaseLocation(databaseUrl, dataDir);
    if (location.kind === "sqlite" && location.file !== ":memory:" && !existsSync(location.file)) {
      console.error(`no database at ${location.file}: ${where}`);
      return 66;
    }
    return await openStore(databaseUrl, dataDir);
  } catch (error) {
    console.error(`cannot open the database: ${(error as Error).message}`);
    return isStoreError(error) ? 66 : 70;
  }
}
