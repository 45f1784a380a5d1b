/**
 * Test helpers for `server/audit`: a database per test on SQLite or PostgreSQL with raw SQL under the
 * store, `certs` run as a child process on it, and a strict RFC 4180 reader for the CSV export.
 * Nothing runs on import.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Store } from "../../../server/db/store.ts";
import type { Harness } from "../db/store-fixtures.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const run = promisify(execFile);

/** Raw SQL on `location` with `?` placeholders on both databases. */
export function rawSql(harness: Harness, location: string) {
  return (text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> => {
    let n = 0;
    const sql = harness.dialect === "postgres" ? text.replace(/\?/g, () => `$${++n}`) : text;
    return harness.query(location, sql, params);
  };
}

/** A migrated store on `location` (the caller closes it). */
export async function openMigrated(harness: Harness, location: string): Promise<Store> {
  const store = await harness.open(location);
  await store.migrate();
  return store;
}

/** `certs <args>` on the database at `location` (DATABASE_URL), with its exit code and output. */
export async function certs(
  location: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env.DATABASE_URL = location;
  delete env.DATA_DIR;
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "bin/certs.ts"), ...args], {
      env,
      maxBuffer: 64 * 2 ** 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Parses CSV strictly as RFC 4180 (CRLF line ends, quoted cells, quotes doubled); throws on anything else. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const row: string[] = [];
    for (;;) {
      let cell = "";
      if (text[i] === '"') {
        i += 1;
        for (;;) {
          if (i >= text.length) throw new Error("unterminated quoted cell");
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i += 1;
            break;
          }
          cell += text[i];
          i += 1;
        }
      } else {
        while (i < text.length && text[i] !== "," && text[i] !== "\r") {
          if (text[i] === '"' || text[i] === "\n") throw new Error(`unquoted ${JSON.stringify(text[i])} at ${i}`);
          cell += text[i];
          i += 1;
        }
      }
      row.push(cell);
      if (text[i] === ",") {
        i += 1;
        continue;
      }
      if (text.startsWith("\r\n", i)) {
        i += 2;
        break;
      }
      throw new Error(`expected , or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 10))}`);
    }
    rows.push(row);
  }
  return rows;
}
