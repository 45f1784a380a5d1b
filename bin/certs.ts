#!/usr/bin/env node
/**
 * `npx certs <command>`: the department's command line, talking to the issuer API.
 *
 *   certs issue --type csb-cre --csv results.csv [--api URL] [--key KEY]
 *   certs revoke <certificate id> --reason <code> [--api URL] [--key KEY]
 *   certs status <certificate id> [--api URL] [--key KEY]
 *   certs verify <file.pdf | credential.json | qr-url> [--json] [--rpc URL]... [--registry ADDR] [--chain-id N]
 *   certs apikey create --issuer ID [--label TEXT]     (administrator, on the service's database)
 *   certs check [--json] [--rpc URL]... [--registry ADDR] [--chain-id N]   (the database against itself and the chain)
 *   certs admin <command> ...   (the governance admin on the registry: issuers, signers, stop, restore; certs admin --help)
 *
 * `verify` needs no issuer server: it reads the chain over JSON-RPC (defaults: ECERT_RPC_URLS,
 * ECERT_CHAIN_ID, ECERT_REGISTRY, or DATA_DIR/dev.json) and exits 0 VALID, 1 INVALID, 2 UNABLE_TO_CHECK.
 *
 * Defaults come from the environment (ECERT_API_URL, ECERT_API_KEY) or, for the embedded default,
 * DATA_DIR/dev.json (the API URL, and the key of the department that issues the type).
 * Exit codes: 0 done, 1 some rows or the request failed, 64 bad usage.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { BaseError, type BaseErrorOptions } from "../core/base-error.ts";

const USAGE = `usage:
  certs issue --type <type id> --csv <file> [--api URL] [--key KEY]
  certs revoke <certificate id> --reason <code> [--api URL] [--key KEY]
  certs status <certificate id> [--api URL] [--key KEY]
  certs verify <file.pdf | credential.json | qr-url> [--json] [--rpc URL]... [--registry ADDR] [--chain-id N]
  certs apikey create --issuer ID [--label TEXT]   (on the database of DATABASE_URL, or DATA_DIR's SQLite)
  certs check [--json] [--rpc URL]... [--registry ADDR] [--chain-id N]   (integrity of that database and the chain; certs check --help)
  certs admin <command> [--keystore FILE] [--rpc URL] [--registry ADDR]   (the governance admin: issuers, signers, stop, restore; certs admin --help)
reason codes: unspecified, issued-in-error, key-compromise, fraud, licence-cancelled, under-investigation, non-compliance`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "check") {
    const { runCheckCommand } = await import("../server/integrity/cli.ts");
    return runCheckCommand(rest);
  }
  if (command === "admin") {
    const { runAdminCommand } = await import("../server/admin/cli.ts");
    return runAdminCommand(rest);
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      type: { type: "string" },
      csv: { type: "string" },
      reason: { type: "string", default: "unspecified" },
      api: { type: "string" },
      key: { type: "string" },
      issuer: { type: "string" },
      "errors-file": { type: "string" },
      "claims-file": { type: "string" },
      json: { type: "boolean", default: false },
      rpc: { type: "string", multiple: true },
      registry: { type: "string" },
      "chain-id": { type: "string" },
      label: { type: "string", default: "department" },
    },
  });
  if (command === "apikey") {
    if (positionals[0] !== "create" || !values.issuer) return usage("apikey create needs --issuer");
    return createApiKey(values.issuer, values.label!);
  }
  if (command === "verify") {
    if (!positionals[0]) return usage("verify needs a PDF, a credential JSON file or a verifier URL");
    return verifyCommand(positionals[0], {
      json: values.json!,
      rpc: values.rpc,
      registry: values.registry,
      chainId: values["chain-id"],
    });
  }
  if (command === "issue") {
    if (!values.type || !values.csv) return usage("issue needs --type and --csv");
    // Types are data: the type's schema says which department issues it.
    const { CERTIFICATE_TYPES } = await import("../core/types/index.ts");
    const issuer = values.issuer ?? CERTIFICATE_TYPES.find((t) => t.id === values.type)?.issuer;
    const { api, key } = await endpoint(values.api, values.key, issuer);
    return issue(api, key, values.type, values.csv, values["errors-file"], values["claims-file"]);
  }
  if (command === "revoke" || command === "status") {
    const id = positionals[0];
    if (!id) return usage(`${command} needs a certificate id`);
    const { api, key } = await endpoint(values.api, values.key, values.issuer);
    if (command === "status") {
      const res = await call(api, key, "GET", `/certificates/${encodeURIComponent(id)}`);
      console.log(JSON.stringify(res, null, 2));
      return 0;
    }
    const res = (await call(api, key, "POST", `/certificates/${encodeURIComponent(id)}/revoke`, {
      reason: values.reason,
    })) as { operationId: string };
    console.log(`revocation of ${id} queued (operation ${res.operationId}); it is applied on chain by the service`);
    return 0;
  }
  return usage(command ? `unknown command: ${command}` : "no command");
}

async function verifyCommand(
  target: string,
  options: { json: boolean; rpc?: string[]; registry?: string; chainId?: string },
): Promise<number> {
  const { verify } = await import("../core/index.ts");
  let dev: { rpcUrl?: string; chainId?: number; registry?: string } = {};
  try {
    dev = JSON.parse(await readFile(path.join(process.env.DATA_DIR ?? ".data", "dev.json"), "utf8"));
  } catch {
    // no embedded default here: the flags or the environment must say which chain to trust
  }
  const rpc = options.rpc ?? process.env.ECERT_RPC_URLS?.split(",").filter(Boolean) ?? (dev.rpcUrl ? [dev.rpcUrl] : []);
  const chainId = Number(options.chainId ?? process.env.ECERT_CHAIN_ID ?? dev.chainId);
  const registry = options.registry ?? process.env.ECERT_REGISTRY ?? dev.registry;
  if (rpc.length === 0 || !Number.isSafeInteger(chainId) || !registry) {
    throw new CliError(
      "USAGE",
      "say which chain to trust: --rpc URL, --chain-id N and --registry ADDR (or ECERT_RPC_URLS, ECERT_CHAIN_ID, ECERT_REGISTRY, or DATA_DIR/dev.json)",
    );
  }
  let input: Uint8Array | string | { url: string };
  // A URL by its scheme (a file name may well contain "#").
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) input = { url: target };
  else {
    try {
      input = await readFile(target);
    } catch {
      throw new CliError("UNREADABLE_INPUT", `cannot read ${target}`, { details: { file: target } });
    }
  }
  const result = await verify(input, { providers: rpc, trusted: { chainId, registry } });
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else {
    const words = { VALID: "VALID 有效", INVALID: "INVALID 無效", UNABLE_TO_CHECK: "UNABLE TO CHECK 無法核實" }[
      result.status
    ];
    console.log(`${words}${result.reasons.length ? `: ${result.reasons.join(", ")}` : ""}`);
    if (result.certificate)
      console.log(
        `certificate ${String(result.certificate.fields.certificateNumber ?? result.certificate.id)} (${result.certificate.type})`,
      );
    if (result.issuer)
      console.log(`issued by ${result.issuer.name.en} ${result.issuer.name["zh-HK"]} (${result.issuer.domain})`);
    if (result.anchor)
      console.log(
        `anchored ${result.anchor.anchoredAt} in block ${result.anchor.blockNumber}${result.anchor.txHash ? `, transaction ${result.anchor.txHash}` : ""}`,
      );
    for (const check of result.checks) console.log(`  ${check.status.padEnd(5)} ${check.id}: ${check.message.en}`);
  }
  return { VALID: 0, INVALID: 1, UNABLE_TO_CHECK: 2 }[result.status];
}

/**
 * Creates an API key for a department directly in the service's database (an administrator's task):
 * only its SHA-256 is stored; the key is printed once.
 */
async function createApiKey(issuerId: string, label: string): Promise<number> {
  if (!/^[A-Z0-9-]{2,31}$/.test(issuerId)) throw new CliError("USAGE", "--issuer: 2 to 31 characters A-Z, 0-9 or -");
  const { createHash, randomBytes, randomUUID } = await import("node:crypto");
  const { openStore } = await import("../server/db/open-store.ts");
  const store = await openStore(process.env.DATABASE_URL, path.resolve(process.env.DATA_DIR ?? ".data"));
  try {
    const key = `ecert_${issuerId.toLowerCase()}_${randomBytes(32).toString("base64url")}`;
    const id = randomUUID();
    await store.insertApiKey({
      id,
      issuerId,
      label,
      keyHash: createHash("sha256").update(key).digest("hex"),
      createdAt: new Date().toISOString(),
      revokedAt: null,
    });
    console.log(key);
    console.error(`API key ${id} created for ${issuerId} (${label}). It is shown once: only its hash is stored.`);
    return 0;
  } finally {
    await store.close();
  }
}

function usage(problem: string): number {
  console.error(`${problem}\n${USAGE}`);
  return 64;
}

async function endpoint(
  api: string | undefined,
  key: string | undefined,
  issuer: string | undefined,
): Promise<{ api: string; key: string }> {
  api ??= process.env.ECERT_API_URL;
  key ??= process.env.ECERT_API_KEY;
  if (!api || !key) {
    const file = path.join(process.env.DATA_DIR ?? ".data", "dev.json");
    let dev: { apiUrl: string; apiKeys: Record<string, string> } | undefined;
    try {
      dev = JSON.parse(await readFile(file, "utf8"));
    } catch {
      throw new CliError(
        "USAGE",
        `no API given: use --api and --key, set ECERT_API_URL and ECERT_API_KEY, or start the embedded default (npm start), which writes ${file}`,
      );
    }
    api ??= dev!.apiUrl;
    key ??= issuer ? dev!.apiKeys[issuer] : undefined;
    if (!key)
      throw new CliError(
        "USAGE",
        `no API key: give --key, or --issuer ${Object.keys(dev!.apiKeys).join("|")} to use one from ${file}`,
      );
  }
  return { api: api.replace(/\/+$/, ""), key };
}

/** Every code a {@link CliError} can carry. Only ever add to this list. */
export const CLI_ERROR_CODES = [
  /** Bad usage: a missing or malformed option, no chain or API configured. */
  "USAGE",
  /** An input file that cannot be read. */
  "UNREADABLE_INPUT",
  /** The issuer API cannot be reached. */
  "API_UNREACHABLE",
  /** The issuer API refused the request (its status and error code in `details`). */
  "API_REFUSED",
] as const;

/** An error of the command line; its message is for the user (exit 1). */
class CliError extends BaseError<(typeof CLI_ERROR_CODES)[number]> {
  override name = "CliError";

  constructor(code: (typeof CLI_ERROR_CODES)[number], message: string, options: BaseErrorOptions = {}) {
    super(code, message, options);
  }
}

async function call(
  api: string,
  key: string,
  method: string,
  route: string,
  body?: unknown,
  contentType = "application/json",
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${api}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": contentType } : {}) },
      body:
        body === undefined
          ? undefined
          : body instanceof Uint8Array
            ? (body as Uint8Array<ArrayBuffer>)
            : JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError("API_UNREACHABLE", `cannot reach the API at ${api}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok && res.status !== 422)
    throw new CliError(
      "API_REFUSED",
      `${method} ${route}: ${res.status} ${json?.error?.message ?? text.slice(0, 200)}`,
      { details: { status: res.status, code: json?.error?.code } },
    );
  return json;
}

async function issue(
  api: string,
  key: string,
  type: string,
  csvFile: string,
  errorsFile?: string,
  claimsFile?: string,
): Promise<number> {
  let csv: Uint8Array;
  try {
    csv = await readFile(csvFile);
  } catch {
    throw new CliError("UNREADABLE_INPUT", `cannot read ${csvFile}`, { details: { file: csvFile } });
  }
  const started = Date.now();
  const submitted = (await call(api, key, "POST", `/batches?type=${encodeURIComponent(type)}`, csv, "text/csv")) as {
    batchId: string;
    certificates: { row: number; id: string; certificateNumber: string; claimCode: string }[];
    errors: { row: number | null; column: string | null; message: string }[];
    fileError?: { message: string };
  };
  if (submitted.fileError) {
    console.error(`${csvFile} was refused: ${submitted.fileError.message}`);
    return 1;
  }
  const base = csvFile.replace(/\.csv$/i, "");
  const errorsPath = errorsFile ?? `${base}.errors.csv`;
  const claimsPath = claimsFile ?? `${base}.claims.csv`;
  await writeFile(
    claimsPath,
    toCsv(
      ["row", "certificate_id", "certificate_number", "claim_code"],
      submitted.certificates.map((c) => [c.row, c.id, c.certificateNumber, c.claimCode]),
    ),
    { mode: 0o600 },
  );
  if (submitted.errors.length > 0) {
    await writeFile(
      errorsPath,
      toCsv(
        ["row", "column", "message"],
        submitted.errors.map((e) => [e.row ?? "", e.column ?? "", e.message]),
      ),
    );
  }
  const total = submitted.certificates.length;
  console.error(
    `batch ${submitted.batchId}: ${total} accepted, ${submitted.errors.length} rejected (claim codes: ${claimsPath})`,
  );
  let progress: Record<string, number> = {};
  let failures: { reason: string }[] = [];
  while (total > 0) {
    const batch = (await call(api, key, "GET", `/batches/${submitted.batchId}`)) as {
      progress: Record<string, number>;
      done: boolean;
      failures?: { reason: string }[];
    };
    progress = batch.progress;
    failures = batch.failures ?? [];
    bar(progress.issued ?? 0, total, progress);
    if (batch.done) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write("\n");
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${progress.issued ?? 0} of ${total} certificates issued in ${seconds} s; ${submitted.errors.length} rows rejected${submitted.errors.length ? ` (see ${errorsPath})` : ""}`,
  );
  for (const e of submitted.errors.slice(0, 10)) console.log(`  row ${e.row ?? "-"}, ${e.column ?? "-"}: ${e.message}`);
  if (submitted.errors.length > 10) console.log(`  ... ${submitted.errors.length - 10} more in ${errorsPath}`);
  for (const f of failures)
    console.log(
      `  ${progress.failed ?? 0} certificates failed: their batch was set aside (${f.reason}); their rows can be uploaded again`,
    );
  return submitted.errors.length > 0 || (progress.issued ?? 0) < total ? 1 : 0;
}

function bar(done: number, total: number, progress: Record<string, number>): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const states = Object.entries(progress)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  process.stderr.write(
    `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.floor((done / total) * 100)).padStart(3)}% ${states}   `,
  );
}

function toCsv(header: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\n\r]/.test(s) || /^[=+\-@\t]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof CliError ? error.message : error);
    process.exit(1);
  },
);
