/**
 * `certs keys`: a department's API keys for systems (issue 14), on the service's database
 * (`--database URL`, else `DATABASE_URL`, else `DATA_DIR/ecert.sqlite`, as the server opens it). Each key
 * has a label, scopes (issue, read, status) and an optional expiry; only its SHA-256 is stored, and the
 * key is printed once. Creating and revoking a key are in the department's audit trail, under the
 * operator's login name (`cli:<user>`).
 *
 * Exit codes: 0 done, 1 no such live key (revoke), 64 bad usage, 66 the database cannot be opened.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { recordAudit, type AuditActor } from "../audit/audit-trail.ts";
import { openCommandStore } from "../db/open-store.ts";
import type { ApiKeyRow, Store } from "../db/store.ts";
import { KEY_SCOPES, type KeyScope } from "./actor.ts";

export const KEYS_HELP = `usage: certs keys <create | list | revoke> ...
  certs keys create --issuer ID --label TEXT --scopes issue,read,status [--expires YYYY-MM-DD | ISO time] [--database URL]
  certs keys list --issuer ID [--json] [--database URL]
  certs keys revoke <key id> --issuer ID [--database URL]

A department's API keys for systems. Scopes: issue (upload certificates, renewals), read (certificates,
batches, PDFs), status (request revocation, suspension, reinstatement, new claim codes); a key never
approves. --expires YYYY-MM-DD: the key works until the end of that day, Hong Kong time. The key is
printed once on stdout: only its SHA-256 is stored. list never shows a key or its hash. Creating and
revoking are in the department's audit trail under your login name.

database: --database URL, else DATABASE_URL (postgres://... or a SQLite file), else DATA_DIR/ecert.sqlite
exit codes: 0 done, 1 no such live key (revoke), 64 bad usage, 66 the database cannot be opened`;

/** Bad usage (exit 64): the message is for the operator. */
class UsageError extends Error {}

const ISSUER_ID = /^[A-Z0-9-]{2,31}$/;

/** Runs `certs keys` with the arguments after `keys`; resolves with the exit code. */
export async function runKeysCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h", default: false },
        issuer: { type: "string" },
        label: { type: "string" },
        scopes: { type: "string" },
        expires: { type: "string" },
        database: { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(KEYS_HELP);
    return 0;
  }
  const [action, ...rest] = positionals;
  let run: (store: Store) => Promise<number>;
  try {
    const issuerId = values.issuer;
    if (!issuerId || !ISSUER_ID.test(issuerId))
      throw new UsageError("--issuer: the department's id, 2 to 31 characters A-Z, 0-9 or - (e.g. CSB)");
    const actor = operator();
    if (action === "create") {
      if (rest.length > 0) throw new UsageError(`keys create takes no ${rest[0]}`);
      const label = labelOf(values.label);
      const scopes = scopesOf(values.scopes);
      const expiresAt = values.expires === undefined ? null : expiryOf(values.expires, new Date());
      run = (store) => createKey(store, { issuerId, label, scopes, expiresAt, actor });
    } else if (action === "list") {
      if (rest.length > 0) throw new UsageError(`keys list takes no ${rest[0]}`);
      run = (store) => listKeys(store, issuerId, values.json);
    } else if (action === "revoke") {
      if (rest.length !== 1 || !/^[0-9a-f-]{36}$/i.test(rest[0]))
        throw new UsageError("keys revoke takes one key id (as keys list shows it)");
      const id = rest[0].toLowerCase();
      run = (store) => revokeKey(store, { issuerId, id, actor });
    } else {
      throw new UsageError(action === undefined ? "say create, list or revoke" : `unknown keys command: ${action}`);
    }
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }

  const dataDir = path.resolve(env.DATA_DIR ?? ".data");
  const databaseUrl = values.database ?? env.DATABASE_URL;
  const opened = await openCommandStore(
    databaseUrl,
    dataDir,
    "give --database, set DATABASE_URL, or DATA_DIR to the service's data directory",
  );
  if (typeof opened === "number") return opened;
  const store = opened;
  try {
    return await run(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** Who runs the command, as the audit trail names them. */
export function operator(): AuditActor {
  let user = "unknown";
  try {
    user = userInfo().username || user;
  } catch {
    // no user entry (a container's numeric uid): "unknown"
  }
  return { id: `cli:${user}`, name: `${user} (command line)` };
}

function labelOf(label: string | undefined): string {
  if (label === undefined) throw new UsageError('--label: say what the key is for, e.g. --label "exam system"');
  const trimmed = label.trim();
  if (trimmed.length < 1 || trimmed.length > 100 || /[\p{Cc}]/u.test(trimmed))
    throw new UsageError("--label: 1 to 100 characters, no control characters");
  return trimmed;
}

function scopesOf(text: string | undefined): KeyScope[] {
  if (text === undefined)
    throw new UsageError(`--scopes: one or more of ${KEY_SCOPES.join(", ")}, e.g. --scopes issue,read`);
  const listed = text.split(",").map((s) => s.trim());
  for (const scope of listed)
    if (!(KEY_SCOPES as readonly string[]).includes(scope))
      throw new UsageError(`--scopes: ${JSON.stringify(scope.slice(0, 40))} is not one of ${KEY_SCOPES.join(", ")}`);
  return KEY_SCOPES.filter((s) => listed.includes(s));
}

/** The end of a day in Hong Kong (UTC+8), or an ISO time; it must be in the future. */
export function expiryOf(text: string, now: Date): string {
  let at: Date;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) at = new Date(`${text}T23:59:59.999+08:00`);
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) at = new Date(text);
  else throw new UsageError(`--expires: a date (YYYY-MM-DD) or an ISO time with its offset, not ${text.slice(0, 40)}`);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--expires: not a date: ${text.slice(0, 40)}`);
  if (at <= now) throw new UsageError(`--expires: ${text} has passed`);
  return at.toISOString();
}

export async function createKey(
  store: Store,
  input: { issuerId: string; label: string; scopes: KeyScope[]; expiresAt: string | null; actor: AuditActor },
): Promise<number> {
  const key = `ecert_${input.issuerId.toLowerCase()}_${randomBytes(32).toString("base64url")}`;
  const row: ApiKeyRow = {
    id: randomUUID(),
    issuerId: input.issuerId,
    label: input.label,
    keyHash: createHash("sha256").update(key).digest("hex"),
    createdAt: new Date().toISOString(),
    revokedAt: null,
    scopes: input.scopes,
    expiresAt: input.expiresAt,
  };
  await store.transaction(async (tx) => {
    await tx.insertApiKey(row);
    await recordAudit(tx, {
      issuerId: input.issuerId,
      actor: input.actor,
      action: "key-created",
      source: "cli",
      detail: { keyId: row.id, label: row.label, scopes: row.scopes, expiresAt: row.expiresAt },
      at: row.createdAt,
    });
  });
  console.log(key);
  console.error(
    `API key ${row.id} created for ${input.issuerId} ("${input.label}", scopes ${input.scopes.join(", ")}${
      input.expiresAt ? `, expires ${input.expiresAt}` : ", no expiry"
    }). It is shown once: only its hash is stored.`,
  );
  return 0;
}

async function listKeys(store: Store, issuerId: string, json: boolean): Promise<number> {
  const keys = (await store.listApiKeys(issuerId)).map((k) => ({
    id: k.id,
    label: k.label,
    scopes: k.scopes ?? [],
    createdAt: k.createdAt,
    expiresAt: k.expiresAt ?? null,
    revokedAt: k.revokedAt,
  }));
  if (json) {
    console.log(JSON.stringify(keys, null, 2));
    return 0;
  }
  if (keys.length === 0) {
    console.log(`${issuerId} has no API keys`);
    return 0;
  }
  const rows = [
    ["id", "label", "scopes", "created", "expires", "revoked"],
    ...keys.map((k) => [k.id, k.label, k.scopes.join(","), k.createdAt, k.expiresAt ?? "-", k.revokedAt ?? "-"]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    console.log(
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    );
  return 0;
}

async function revokeKey(store: Store, input: { issuerId: string; id: string; actor: AuditActor }): Promise<number> {
  const at = new Date().toISOString();
  const revoked = await store.transaction(async (tx) => {
    if (!(await tx.revokeApiKey(input.issuerId, input.id, at))) return false;
    const key = (await tx.listApiKeys(input.issuerId)).find((k) => k.id === input.id);
    await recordAudit(tx, {
      issuerId: input.issuerId,
      actor: input.actor,
      action: "key-revoked",
      source: "cli",
      detail: { keyId: input.id, label: key?.label ?? null },
      at,
    });
    return true;
  });
  if (!revoked) {
    console.error(`${input.issuerId} has no live API key ${input.id} (keys list shows its keys)`);
    return 1;
  }
  console.log(`API key ${input.id} of ${input.issuerId} revoked: it is refused from now on`);
  return 0;
}

function usage(problem: string): number {
  console.error(`certs keys: ${problem} (usage: certs keys --help)`);
  return 64;
}
