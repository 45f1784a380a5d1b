#!/usr/bin/env node
/**
 * `npx certs <command>`: the department's command line, talking to the issuer API.
 *
 *   certs issue --type csb-cre --csv results.csv [--api URL] [--key KEY]
 *   certs revoke <certificate id> --reason <code> [--api URL] [--key KEY]
 *   certs status <certificate id> [--api URL] [--key KEY]
 *   certs verify <file.pdf | credential.json | qr-url> [--json] [--rpc URL]... [--quorum K] [--registry ADDR] [--chain-id N]
 *   certs apikey create --issuer ID [--label TEXT]     (administrator, on the service's database)
 *   certs keys <create | list | revoke> --issuer ID ...   (administrator: scoped API keys; certs keys --help)
 *   certs check [--json] [--rpc URL]... [--registry ADDR] [--chain-id N]   (the database against itself and the chain)
 *   certs admin <command> ...   (the governance admin on the registry: issuers, signers, stop, restore; certs admin --help)
 *   certs audit verify [--issuer ID] | export --issuer ID [--from ISO] [--to ISO]   (the audit trail, on the service's database)
 *
 * `verify` needs no issuer server: it reads the chain over JSON-RPC (defaults: ECERT_RPC_URLS,
 * ECERT_CHAIN_ID, ECERT_REGISTRY, or DATA_DIR/dev.json) and exits 0 VALID, 1 INVALID, 2 UNABLE_TO_CHECK,
 * and never one of those for anything else.
 *
 * Defaults come from the environment (ECERT_API_URL, ECERT_API_KEY) or, for the embedded default,
 * DATA_DIR/dev.json (the API URL, and the key of the department that issues the type).
 * Exit codes (sysexits.h): 0 done, 1 some rows or the request failed, 64 bad usage (one line on stderr),
 * 66 unreadable input, 69 the API cannot be reached, 70 internal error, 78 no API, key or chain configured.
 * `certs --help`, `certs <command> --help` and `certs --version` print on stdout and exit 0.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BaseError, type BaseErrorOptions } from "../core/base-error.ts";
import { DEPARTMENT_REASONS } from "../core/revocationReasons.ts";

/** The reasons a department gives (the names the API takes; "superseded" is the service's own). */
const REASON_NAMES = DEPARTMENT_REASONS.join(", ");

/** Each command's usage line and help (`certs <command> --help`). */
const COMMAND_HELP = {
  issue: `usage: certs issue --type <type id> --csv <file> [--errors-file FILE] [--claims-file FILE] [--wait] [--issuer ID] [--api URL] [--key KEY]
Issues every row of a CSV file through the issuer API and follows it until the chain has it. Where the
department needs approvals (maker-checker), the upload waits until an approver releases it in the
officer console: certs issue then says so and exits 0, or with --wait follows it until it is issued. Writes
<file>.claims.csv (the claim codes to hand out) and, when rows are refused, <file>.errors.csv (row as the
spreadsheet numbers it, column, code, the message in English and in Chinese). The key is --key,
ECERT_API_KEY, or DATA_DIR/dev.json's key of the department the type names.
exit codes: 0 every row issued (or accepted and awaiting approval), 1 some rows refused or not issued,
the upload rejected, or the API refused the request,
64 usage, 66 unreadable file, 69 the API cannot be reached, 78 no API configured`,
  revoke: `usage: certs revoke <certificate id> [--reason <code>] [--issuer ID] [--api URL] [--key KEY]
Queues the revocation of a certificate; the service applies it on chain. The key is --key, ECERT_API_KEY,
or DATA_DIR/dev.json's (--issuer ID, or the department whose key finds the certificate: GET /me names it).
reason codes: ${REASON_NAMES}
exit codes: 0 queued (or requested, awaiting approval), 1 the API refused it, 64 usage, 69 the API cannot be reached, 78 no API configured`,
  status: `usage: certs status <certificate id> [--issuer ID] [--api URL] [--key KEY]
Prints the certificate's status and history (JSON). The key as for certs revoke.
exit codes: 0 printed, 1 the API refused it, 64 usage, 69 the API cannot be reached, 78 no API configured`,
  verify: `usage: certs verify <file.pdf | credential.json | qr-url> [--json] [--rpc URL]... [--quorum K] [--registry ADDR] [--chain-id N]
Verifies against the chain alone (no issuer server). The chain to trust: the flags, or ECERT_RPC_URLS,
ECERT_CHAIN_ID and ECERT_REGISTRY, or DATA_DIR/dev.json. The certificate's details are shown only when its
digest, proof, anchor and signature hold (as on the verifier page).
--quorum K (default 1: the first endpoint that answers is believed): every endpoint is read at one agreed
block, K of them must answer and none may disagree (UNABLE_TO_CHECK otherwise, CHAIN_DISAGREEMENT naming
them). Use K >= 2 endpoints of independent operators: then no single endpoint can make a forgery VALID.
exit codes: 0 VALID, 1 INVALID, 2 UNABLE_TO_CHECK; and never one of those for anything else: 64 usage,
66 the file cannot be read, 70 an internal error, 78 no chain configured`,
  apikey: `usage: certs apikey create --issuer ID [--label TEXT]
Creates a department's API key in the service's database (DATABASE_URL, or DATA_DIR's SQLite); printed once.
exit codes: 0 created, 64 usage`,
  check: "usage: certs check [--json] [--rpc URL]... [--registry ADDR] [--chain-id N]   (certs check --help)",
  keys: "usage: certs keys <create | list | revoke> --issuer ID ...   (certs keys --help)",
  admin: "usage: certs admin <command> [--keystore FILE] [--rpc URL] [--registry ADDR]   (certs admin --help)",
  audit:
    "usage: certs audit verify [--issuer ID] [--json] | export --issuer ID [--from ISO] [--to ISO]   (certs audit --help)",
} as const;

type Command = keyof typeof COMMAND_HELP;

const USAGE = `usage: certs <command> [options]   (certs <command> --help for one; certs --version)
  certs issue --type <type id> --csv <file> [--api URL] [--key KEY]
  certs revoke <certificate id> --reason <code> [--api URL] [--key KEY]
  certs status <certificate id> [--api URL] [--key KEY]
  certs verify <file.pdf | credential.json | qr-url> [--json] [--rpc URL]... [--quorum K] [--registry ADDR] [--chain-id N]
  certs apikey create --issuer ID [--label TEXT]   (on the database of DATABASE_URL, or DATA_DIR's SQLite)
  certs keys create --issuer ID --label TEXT --scopes issue,read,status [--expires YYYY-MM-DD]   (also list, revoke; certs keys --help)
  certs check [--json] [--rpc URL]... [--registry ADDR] [--chain-id N]   (integrity of that database and the chain; certs check --help)
  certs admin <command> [--keystore FILE] [--rpc URL] [--registry ADDR]   (the governance admin: issuers, signers, stop, restore; certs admin --help)
  certs audit verify [--issuer ID] | export --issuer ID [--from ISO] [--to ISO]   (the audit trail's hash chains, its CSV; certs audit --help)
reason codes: ${REASON_NAMES}
exit codes: 0 done (verify: VALID), 1 failed or refused (verify: INVALID), 2 (verify) UNABLE_TO_CHECK,
64 usage, 66 unreadable input, 69 the API cannot be reached, 70 internal error, 78 not configured`;

/** Options each command takes (anything else is bad usage). */
const API_OPTIONS = { api: { type: "string" }, key: { type: "string" }, issuer: { type: "string" } } as const;
const CHAIN_OPTIONS = {
  rpc: { type: "string", multiple: true },
  registry: { type: "string" },
  "chain-id": { type: "string" },
} as const;
const COMMAND_OPTIONS = {
  issue: {
    ...API_OPTIONS,
    type: { type: "string" },
    csv: { type: "string" },
    "errors-file": { type: "string" },
    "claims-file": { type: "string" },
    wait: { type: "boolean", default: false },
  },
  revoke: { ...API_OPTIONS, reason: { type: "string", default: "unspecified" } },
  status: API_OPTIONS,
  verify: { ...CHAIN_OPTIONS, quorum: { type: "string" }, json: { type: "boolean", default: false } },
  apikey: { issuer: { type: "string" }, label: { type: "string", default: "department" } },
} as const;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    if (topic !== undefined && !Object.hasOwn(COMMAND_HELP, topic)) return usage(`unknown command: ${topic}`);
    if (command === undefined) return usage("no command");
    console.log(topic === undefined ? USAGE : COMMAND_HELP[topic as Command]);
    return 0;
  }
  if (command === "--version" || command === "-V") {
    const manifest = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    console.log(`certs ${manifest.version as string}`);
    return 0;
  }
  if (command === "check") {
    const { runCheckCommand } = await import("../server/integrity/cli.ts");
    return runCheckCommand(rest);
  }
  if (command === "keys") {
    const { runKeysCommand } = await import("../server/auth/keys-cli.ts");
    return runKeysCommand(rest);
  }
  if (command === "admin") {
    const { runAdminCommand } = await import("../server/admin/cli.ts");
    return runAdminCommand(rest);
  }
  if (command === "audit") {
    const { runAuditCommand } = await import("../server/audit/cli.ts");
    return runAuditCommand(rest);
  }
  if (!Object.hasOwn(COMMAND_OPTIONS, command)) return usage(`unknown command: ${command}`);
  const name = command as keyof typeof COMMAND_OPTIONS;
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(COMMAND_HELP[name]);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: COMMAND_OPTIONS[name] as ParseArgsConfig["options"],
  }) as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  const text = (option: string) => values[option] as string | undefined;
  if (name === "apikey") {
    if (positionals[0] !== "create" || !text("issuer")) return usage("apikey create needs --issuer", name);
    return createApiKey(text("issuer")!, text("label")!);
  }
  if (name === "verify") {
    if (positionals.length !== 1) return usage("verify needs one PDF, credential JSON file or verifier URL", name);
    return verifyCommand(positionals[0], {
      json: values.json === true,
      rpc: values.rpc as string[] | undefined,
      registry: text("registry"),
      chainId: text("chain-id"),
      quorum: text("quorum"),
    });
  }
  if (name === "issue") {
    if (!text("type") || !text("csv")) return usage("issue needs --type and --csv", name);
    if (positionals.length > 0) return usage(`issue takes no ${positionals[0]}`, name);
    // Types are data: the type's schema says which department issues it.
    const { CERTIFICATE_TYPES } = await import("../core/types/index.ts");
    const issuer = text("issuer") ?? CERTIFICATE_TYPES.find((t) => t.id === text("type"))?.issuer;
    const { api, key } = await endpoint(text("api"), text("key"), issuer);
    return issue(api, key, text("type")!, text("csv")!, text("errors-file"), text("claims-file"), values.wait === true);
  }
  const id = positionals[0];
  if (!id || positionals.length > 1) return usage(`${name} needs one certificate id`, name);
  const reason = text("reason");
  if (name === "revoke" && !(DEPARTMENT_REASONS as readonly string[]).includes(reason!))
    return usage(`--reason: one of ${REASON_NAMES}, not ${reason}`, name);
  const route = `/certificates/${encodeURIComponent(id)}`;
  const { api, key } = await certificateEndpoint(text("api"), text("key"), text("issuer"), route);
  if (name === "status") {
    console.log(JSON.stringify(await call(api, key, "GET", route), null, 2));
    return 0;
  }
  const res = (await call(api, key, "POST", `${route}/revoke`, { reason })) as {
    operationId: string | null;
    requestId?: string;
    state?: string;
  };
  if (res.state === "awaiting-approval")
    console.log(
      `revocation of ${id} requested (request ${res.requestId}); it is applied once an approver approves it in the officer console`,
    );
  else console.log(`revocation of ${id} queued (operation ${res.operationId}); it is applied on chain by the service`);
  return 0;
}

async function verifyCommand(
  target: string,
  options: { json: boolean; rpc?: string[]; registry?: string; chainId?: string; quorum?: string },
): Promise<number> {
  if (options.chainId !== undefined && !/^[1-9][0-9]{0,15}$/.test(options.chainId))
    throw new CliError("USAGE", `--chain-id takes a chain id (a positive integer), not ${options.chainId}`);
  if (options.quorum !== undefined && !/^[1-9][0-9]{0,5}$/.test(options.quorum))
    throw new CliError("USAGE", `--quorum takes a number of endpoints (a positive integer), not ${options.quorum}`);
  const { verify, authenticDetails } = await import("../core/index.ts");
  const { testNetworkSigns } = await import("../core/verify/test-network.ts");
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
      "NOT_CONFIGURED",
      "verify: say which chain to trust: --rpc URL, --chain-id N and --registry ADDR (or ECERT_RPC_URLS, ECERT_CHAIN_ID, ECERT_REGISTRY, or DATA_DIR/dev.json)",
    );
  }
  const quorum = Number(options.quorum ?? 1);
  if (quorum > rpc.length)
    throw new CliError(
      "USAGE",
      `--quorum ${quorum} is more than the ${rpc.length} JSON-RPC endpoint${rpc.length === 1 ? "" : "s"} given (--rpc or ECERT_RPC_URLS)`,
    );
  const result = await verify(input, { providers: rpc, trusted: { chainId, registry }, quorum });
  // A development or test network (or signing certificate): said plainly, on stderr beside --json's result.
  const signs = testNetworkSigns(result, chainId);
  const banner = signs
    ? [
        "TEST NETWORK 測試網絡: not an official certificate 並非正式證書",
        ...(signs.chain
          ? [
              `  chain ${signs.chain.chainId} (${signs.chain.name}) is a development or test network, not the official registry`,
            ]
          : []),
        ...(signs.signer
          ? [`  the PDF was signed with a development signing certificate ("${signs.signer.commonName}")`]
          : []),
      ]
    : [];
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    for (const line of banner) console.error(line);
  } else {
    const words = { VALID: "VALID 有效", INVALID: "INVALID 無效", UNABLE_TO_CHECK: "UNABLE TO CHECK 無法核實" }[
      result.status
    ];
    console.log(`${words}${result.reasons.length ? `: ${result.reasons.join(", ")}` : ""}`);
    for (const line of banner) console.log(line);
    // As the verifier page: the certificate's details, its issuer and anchor only when they are the issuer's.
    if (result.certificate && !authenticDetails(result))
      console.log("certificate details not shown: they could not be confirmed as the issuer's");
    else if (result.certificate) {
      console.log(
        `certificate ${String(result.certificate.fields.certificateNumber ?? result.certificate.id)} (${result.certificate.type})`,
      );
      if (result.issuer)
        console.log(`issued by ${result.issuer.name.en} ${result.issuer.name["zh-HK"]} (${result.issuer.domain})`);
      if (result.anchor)
        console.log(
          `anchored ${result.anchor.anchoredAt} in block ${result.anchor.blockNumber}${result.anchor.txHash ? `, transaction ${result.anchor.txHash}` : ""}`,
        );
    }
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
  const { openStore } = await import("../server/db/open-store.ts");
  const { createKey, operator } = await import("../server/auth/keys-cli.ts");
  const store = await openStore(process.env.DATABASE_URL, path.resolve(process.env.DATA_DIR ?? ".data"));
  try {
    // Every scope, no expiry (certs keys create chooses them), and audited as key-created by the operator.
    return await createKey(store, {
      issuerId,
      label,
      scopes: ["issue", "read", "status"],
      expiresAt: null,
      actor: operator(),
    });
  } finally {
    await store.close();
  }
}

/** Bad usage: one line on stderr, exit 64. */
function usage(problem: string, command?: string): number {
  console.error(`certs: ${problem} (usage: certs ${command ? `${command} ` : ""}--help)`);
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
    const dev = await readDev(file);
    api ??= dev.apiUrl;
    key ??= issuer ? dev.apiKeys[issuer] : undefined;
    if (!key)
      throw new CliError(
        "NOT_CONFIGURED",
        `no API key: give --key, or --issuer ${Object.keys(dev.apiKeys).join("|")} to use one from ${file}`,
      );
  }
  return { api: api.replace(/\/+$/, ""), key };
}

/**
 * The API and key for a command on one certificate. A key given (--key, ECERT_API_KEY) names its
 * department (GET /me; --issuer, if given too, must be that one); --issuer alone picks DATA_DIR/dev.json's
 * key; with neither, dev.json's key of the department that has the certificate.
 */
async function certificateEndpoint(
  api: string | undefined,
  key: string | undefined,
  issuer: string | undefined,
  route: string,
): Promise<{ api: string; key: string }> {
  key ??= process.env.ECERT_API_KEY;
  if (key || issuer) {
    const found = await endpoint(api, key, issuer);
    if (key && issuer) {
      const me = (await call(found.api, found.key, "GET", "/me")) as { id: string };
      if (me.id !== issuer) throw new CliError("USAGE", `--issuer ${issuer}, but this API key acts for ${me.id}`);
    }
    return found;
  }
  const file = path.join(process.env.DATA_DIR ?? ".data", "dev.json");
  const dev = await readDev(file);
  const base = (api ?? process.env.ECERT_API_URL ?? dev.apiUrl).replace(/\/+$/, "");
  for (const candidate of Object.values(dev.apiKeys)) {
    try {
      await call(base, candidate, "GET", route);
      return { api: base, key: candidate };
    } catch (error) {
      if (!(error instanceof CliError && (error.details as { status?: number })?.status === 404)) throw error;
    }
  }
  throw new CliError("API_REFUSED", `GET ${route}: 404 no department of ${file} has this certificate`, {
    details: { status: 404, code: "NOT_FOUND" },
  });
}

/** The embedded default's `DATA_DIR/dev.json` (the API URL and a key per department). */
async function readDev(file: string): Promise<{ apiUrl: string; apiKeys: Record<string, string> }> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch {
    throw new CliError(
      "NOT_CONFIGURED",
      `no API given: use --api and --key, set ECERT_API_URL and ECERT_API_KEY, or start the embedded default (npm start), which writes ${file}`,
    );
  }
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
  /** No API, API key or chain to trust is configured (flags, environment, or DATA_DIR/dev.json). */
  "NOT_CONFIGURED",
] as const;

type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/** The exit code of each error (sysexits.h), none of them verify's 0, 1 (INVALID) or 2 (UNABLE_TO_CHECK) but API_REFUSED. */
const EXIT_CODES: Record<CliErrorCode, number> = {
  USAGE: 64,
  UNREADABLE_INPUT: 66,
  API_UNREACHABLE: 69,
  API_REFUSED: 1,
  NOT_CONFIGURED: 78,
};

/** An internal error (a bug, or a failure this command does not expect): exit 70. */
const EXIT_INTERNAL = 70;

/** An error of the command line; its message is for the user, its exit code {@link EXIT_CODES}'s. */
class CliError extends BaseError<CliErrorCode> {
  override name = "CliError";

  constructor(code: CliErrorCode, message: string, options: BaseErrorOptions = {}) {
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
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // Not the API's JSON (a proxy's HTML 502, say): the API refused, not an internal error.
    throw new CliError("API_REFUSED", `${method} ${route}: ${res.status} ${text.slice(0, 200)}`, {
      details: { status: res.status },
    });
  }
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
  wait = false,
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
    state?: "awaiting-approval" | "released";
    certificates: { row: number; id: string; certificateNumber: string; claimCode: string }[];
    errors: { row: number | null; column: string | null; code: string; message: { en: string; "zh-HK": string } }[];
    fileError?: { message: { en: string; "zh-HK": string } };
  };
  if (submitted.fileError) {
    console.error(`${csvFile} was refused: ${submitted.fileError.message.en}`);
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
      // A byte-order mark, so that Excel reads the Chinese messages as UTF-8.
      "\ufeff" +
        toCsv(
          ["row", "column", "code", "message_en", "message_zh-HK"],
          submitted.errors.map((e) => [e.row ?? "", e.column ?? "", e.code, e.message.en, e.message["zh-HK"]]),
        ),
    );
  }
  const total = submitted.certificates.length;
  console.error(
    `batch ${submitted.batchId}: ${total} accepted, ${submitted.errors.length} rejected (claim codes: ${claimsPath})`,
  );
  if (total > 0 && submitted.state === "awaiting-approval") {
    console.error(
      `batch ${submitted.batchId} is awaiting approval: an approver of the department must release it in the officer console${wait ? " (waiting)" : ""}`,
    );
    if (!wait) return submitted.errors.length > 0 ? 1 : 0;
  }
  let progress: Record<string, number> = {};
  let failures: { reason: string }[] = [];
  let shown = "";
  while (total > 0) {
    const batch = (await call(api, key, "GET", `/batches/${submitted.batchId}`)) as {
      progress: Record<string, number>;
      done: boolean;
      failures?: { reason: string }[];
      state?: string;
      decisionReason?: string | null;
    };
    if (batch.state === "rejected") {
      if (process.stderr.isTTY && shown) process.stderr.write("\n");
      console.log(
        `batch ${submitted.batchId} was rejected by an approver: ${batch.decisionReason ?? "(no reason given)"}`,
      );
      return 1;
    }
    progress = batch.progress;
    failures = batch.failures ?? [];
    shown = bar(progress.issued ?? 0, total, progress, shown);
    if (batch.done) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (process.stderr.isTTY && shown) process.stderr.write("\n");
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${progress.issued ?? 0} of ${total} certificates issued in ${seconds} s; ${submitted.errors.length} rows rejected${submitted.errors.length ? ` (see ${errorsPath})` : ""}`,
  );
  for (const e of submitted.errors.slice(0, 10))
    console.log(`  row ${e.row ?? "-"}, ${e.column ?? "-"}: ${e.message.en}`);
  if (submitted.errors.length > 10) console.log(`  ... ${submitted.errors.length - 10} more in ${errorsPath}`);
  for (const f of failures)
    console.log(
      `  ${progress.failed ?? 0} certificates failed: their batch was set aside (${f.reason}); their rows can be uploaded again`,
    );
  return submitted.errors.length > 0 || (progress.issued ?? 0) < total ? 1 : 0;
}

/**
 * Shows the progress: on a terminal one line redrawn in place; otherwise (a log, a pipe) a line of its own
 * each time it changes, with no carriage return. Returns the text shown.
 */
function bar(done: number, total: number, progress: Record<string, number>, shown: string): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const states = Object.entries(progress)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const text = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.floor((done / total) * 100)).padStart(3)}% ${states}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${text}   `);
  else if (text !== shown) process.stderr.write(`${text}\n`);
  return text;
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
    // One line, no stack trace: a CliError's message is for the user; parseArgs's (an unknown option, a
    // missing value) is bad usage; anything else is internal (ECERT_DEBUG=1 prints its stack).
    if (error instanceof CliError && error.code === "USAGE") process.exit(usage(error.message, process.argv[2]));
    if (error instanceof CliError) {
      console.error(`certs: ${error.message}`);
      process.exit(EXIT_CODES[error.code]);
    }
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      process.exit(usage((error as Error).message.split("\n")[0], process.argv[2]));
    }
    console.error(`certs: internal error: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.ECERT_DEBUG) console.error(error);
    process.exit(EXIT_INTERNAL);
  },
);
