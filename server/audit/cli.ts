/**
 * `certs audit`: the audit trail from the command line, on the service's database (`DATABASE_URL`, or
 * `DATA_DIR/ecert.sqlite` as the server opens it).
 *
 *   certs audit verify [--issuer ID] [--json]                    every department's hash chain (or one)
 *   certs audit export --issuer ID [--from ISO] [--to ISO]       one department's trail as CSV on stdout
 *
 * `verify` writes nothing; `export` records itself in the trail ("audit-exported", by cli:<user>).
 * Exit codes: 0 every chain holds (export: written), 1 a chain is broken, 64 bad usage, 66 the database
 * cannot be opened or read, 70 an unexpected error.
 */
import { once } from "node:events";
import { userInfo } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openCommandStore } from "../db/open-store.ts";
import { isStoreError } from "../db/store-error.ts";
import { auditCsv } from "./audit-csv.ts";
import { recordAudit, verifyAuditTrail, type AuditVerification } from "./audit-trail.ts";

export const AUDIT_HELP = `usage: certs audit verify [--issuer ID] [--json]
       certs audit export --issuer ID [--from ISO] [--to ISO] > audit.csv

verify   recomputes each department's audit trail (or --issuer's): every entry's hash from its
         predecessor's, no number missing, the last entry the one the department's head names. Prints
         per department OK and its entries, or each problem by entry number (seq). Nothing is written.
export   writes one department's trail as CSV on stdout (UTF-8 with a byte-order mark; columns seq, at,
         actor_id, actor_name, action, source, certificate_id, upload_id, batch_id, detail, prev_hash,
         hash), entries at or after --from and before --to (ISO 8601 date or date-time). The export is
         recorded in the trail (audit-exported, by cli:<user>).

database: DATABASE_URL (postgres://... or a SQLite file), else DATA_DIR/ecert.sqlite (DATA_DIR default .data)

exit codes: 0 every chain holds (export: written), 1 a chain is broken, 64 bad usage,
            66 the database cannot be opened or read, 70 an unexpected error`;

/** An ISO 8601 date or date-time with Z or an offset, as the API takes it. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/;

/** Runs `certs audit` with the arguments after `audit`; resolves with the exit code. */
export async function runAuditCommand(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h", default: false },
        json: { type: "boolean", default: false },
        issuer: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
      },
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    console.log(AUDIT_HELP);
    return 0;
  }
  const [command, ...extra] = positionals;
  if (command !== "verify" && command !== "export")
    return usage(command === undefined ? "certs audit needs verify or export" : `unknown audit command: ${command}`);
  if (extra.length > 0) return usage(`audit ${command} takes no ${extra[0]}`);
  if (values.issuer !== undefined && !/^[A-Z0-9-]{2,31}$/.test(values.issuer))
    return usage(`--issuer: a department id (2 to 31 characters A-Z, 0-9 or -), not ${values.issuer.slice(0, 40)}`);
  if (command === "verify") {
    if (values.from !== undefined || values.to !== undefined) return usage("audit verify takes no --from or --to");
  } else {
    if (values.issuer === undefined) return usage("audit export needs --issuer ID");
    if (values.json) return usage("audit export takes no --json (it writes CSV)");
    for (const name of ["from", "to"] as const) {
      const value = values[name];
      if (value !== undefined && (!INSTANT.test(value) || Number.isNaN(Date.parse(value))))
        return usage(
          `--${name}: an ISO 8601 date or date-time (2026-01-31, 2026-01-31T09:00:00+08:00; seconds required), not ${value.slice(0, 40)}`,
        );
    }
  }

  const dataDir = path.resolve(env.DATA_DIR ?? ".data");
  const opened = await openCommandStore(env.DATABASE_URL, dataDir);
  if (typeof opened === "number") return opened;
  const store = opened;
  try {
    if (command === "verify") {
      const issuers = values.issuer !== undefined ? [values.issuer] : await store.auditIssuers();
      const results: AuditVerification[] = [];
      for (const issuerId of issuers) results.push(await verifyAuditTrail(store, issuerId));
      if (values.json) console.log(JSON.stringify(results, null, 2));
      else console.log(formatVerification(results));
      return results.every((r) => r.ok) ? 0 : 1;
    }
    const from = values.from === undefined ? undefined : new Date(values.from).toISOString();
    const to = values.to === undefined ? undefined : new Date(values.to).toISOString();
    const user = userInfo().username;
    await recordAudit(store, {
      issuerId: values.issuer!,
      actor: { id: `cli:${user}`, name: `${user} (command line)` },
      action: "audit-exported",
      source: "cli",
      detail: { filter: { ...(from ? { from } : {}), ...(to ? { to } : {}) }, format: "csv" },
    });
    for await (const chunk of auditCsv(store, values.issuer!, { from, to })) {
      if (!out.write(chunk)) await once(out, "drain");
    }
    return 0;
  } catch (error) {
    console.error(`cannot read the database: ${(error as Error).message}`);
    return isStoreError(error) ? 66 : 70;
  } finally {
    await store.close().catch(() => undefined);
  }
}

function usage(problem: string): number {
  console.error(`${problem}\n${AUDIT_HELP}`);
  return 64;
}

/** The results as lines: per department OK and its entries, or BROKEN and each problem in both languages. */
export function formatVerification(results: AuditVerification[]): string {
  if (results.length === 0) return "no department has an audit trail yet 尚無部門有審計記錄";
  const width = Math.max(...results.map((r) => r.issuerId.length));
  const lines: string[] = [];
  for (const r of results) {
    const entries = `${r.entries} ${r.entries === 1 ? "entry" : "entries"}`;
    if (r.ok) {
      lines.push(`${r.issuerId.padEnd(width)}  OK 完整      ${entries}`);
      continue;
    }
    lines.push(
      `${r.issuerId.padEnd(width)}  BROKEN 受損  ${entries}, ${r.problems.length} ${r.problems.length === 1 ? "problem" : "problems"}`,
    );
    for (const p of r.problems) {
      lines.push(`${" ".repeat(width)}    seq ${p.seq} (${p.kind}): ${p.problem.en}`);
      lines.push(`${" ".repeat(width)}    ${" ".repeat(`seq ${p.seq} (${p.kind}): `.length)}${p.problem["zh-HK"]}`);
    }
  }
  const broken = results.filter((r) => !r.ok).length;
  lines.push("");
  lines.push(
    broken === 0
      ? `every audit trail holds (${results.length} ${results.length === 1 ? "department" : "departments"}) 所有審計記錄完整`
      : `${broken} of ${results.length} audit trails broken 有 ${broken} 個部門的審計記錄受損`,
  );
  return lines.join("\n");
}
