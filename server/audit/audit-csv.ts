/**
 * A department's audit trail as CSV (`GET /api/v1/audit.csv`, `certs audit export`): RFC 4180 with CRLF
 * line ends, after a UTF-8 byte-order mark (so that Excel reads officers' Chinese names as UTF-8), one
 * row per entry in `seq` order:
 *
 *   seq, at, actor_id, actor_name, action, source, certificate_id, upload_id, batch_id, detail, prev_hash, hash
 *
 * `detail` is the entry's detail as JSON text; an absent value is an empty cell. Every cell is quoted
 * (quotes doubled), and a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is
 * prefixed with a single quote, so that a spreadsheet never runs it as a formula (CSV injection: an
 * officer's name or a reason comes from outside). The entries are read a page at a time, never all
 * at once.
 */
import type { AuditRow, Store } from "../db/store.ts";

/** The header row's columns, in order. */
export const AUDIT_CSV_COLUMNS = [
  "seq",
  "at",
  "actor_id",
  "actor_name",
  "action",
  "source",
  "certificate_id",
  "upload_id",
  "batch_id",
  "detail",
  "prev_hash",
  "hash",
] as const;

/** The UTF-8 byte-order mark the file begins with. */
export const CSV_BOM = "\ufeff";

export interface AuditCsvParameters {
  /** Entries at or after this instant (ISO 8601, UTC). */
  from?: string;
  /** Entries before this instant. */
  to?: string;
  /** Entries read per query (default 500). */
  pageSize?: number;
}

/** One CSV cell: quoted, quotes doubled, and a leading formula character neutralised with `'`. */
export function csvCell(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** One CSV line (CRLF-terminated). */
function csvLine(cells: (string | number | null)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** An entry as its CSV line. */
export function auditCsvLine(row: AuditRow): string {
  return csvLine([
    row.seq,
    row.at,
    row.actorId,
    row.actorName,
    row.action,
    row.source,
    row.certificateId,
    row.uploadId,
    row.batchId,
    row.detailJson,
    row.prevHash,
    row.hash,
  ]);
}

/**
 * The CSV of a department's trail, as text chunks: the byte-order mark and the header first, then a
 * chunk per page of entries. The first page is read before the first chunk is yielded, so a database
 * that cannot be read fails before anything is sent.
 *
 * @example
 * for await (const chunk of auditCsv(store, "CSB", { from: "2026-01-01T00:00:00.000Z" })) out.write(chunk);
 */
export async function* auditCsv(
  store: Store,
  issuerId: string,
  parameters: AuditCsvParameters = {},
): AsyncGenerator<string, void, undefined> {
  const pageSize = parameters.pageSize ?? 500;
  const filter = { from: parameters.from, to: parameters.to, limit: pageSize };
  let page = await store.listAudit(issuerId, filter);
  yield CSV_BOM + csvLine([...AUDIT_CSV_COLUMNS]);
  for (;;) {
    if (page.length > 0) yield page.map(auditCsvLine).join("");
    if (page.length < pageSize) return;
    page = await store.listAudit(issuerId, { ...filter, afterSeq: page[page.length - 1].seq });
  }
}
