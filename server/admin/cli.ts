/**
 * `certs admin ...`: the governance admin's commands on the registry (issuers, signers and their
 * windows, signing certificates, the emergency stop, status restores).
 *
 * The admin key comes from an encrypted JSON keystore (`--keystore FILE` or ECERT_ADMIN_KEYSTORE; the
 * password from ECERT_ADMIN_PASSWORD or, on a terminal, a prompt): never a plaintext key on the command
 * line. With no keystore and the embedded default's DATA_DIR/dev.json present, its development admin
 * key and the local chain's own JSON-RPC URL (`chainRpcUrl`) are used.
 *
 * Each transaction is waited for at most ECERT_ADMIN_TX_TIMEOUT_MS milliseconds (default 5 minutes).
 *
 * Exit codes: 0 done (or already so), 1 the registry refused, 64 bad usage, 66 unreadable input
 * (keystore, issuers file, certificate), 69 the chain cannot be reached, 70 an unexpected error, 75 a
 * transaction sent but not mined in time (it may still be mined: check before sending it again).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { Contract, JsonRpcProvider, Wallet, getAddress, type ContractTransactionResponse } from "ethers";
import { BaseError, type BaseErrorOptions } from "../../core/base-error.ts";
import { REVOCATION_REASONS } from "../../core/revocationReasons.ts";
import { certificateFingerprint, loadIssuersFile, registerIssuers, type RegistryAdmin } from "../chain/issuers.ts";
import { redact, shownUrl } from "../config.ts";
import {
  NO_END,
  REGISTRY_ADMIN_ABI,
  decodeRegistryError,
  devAdminKey,
  formatTime,
  isUnreachable,
  issuerIdOf,
  issuerName,
  listIssuers,
  type IssuerListing,
} from "./registry-admin.ts";
import {
  DEFAULT_ADMIN_DELAY,
  DEFAULT_TX_TIMEOUT_MS,
  TransactionNotMinedError,
  deployRegistry,
  readRegistryArtifact,
  waitMined,
} from "./deploy.ts";

const CONNECTION_HELP = `admin key: --keystore FILE (or ECERT_ADMIN_KEYSTORE): an encrypted JSON keystore; its password from
           ECERT_ADMIN_PASSWORD or, on a terminal, a prompt. Never a plaintext key on the command line.
           With no keystore and DATA_DIR/dev.json present (the embedded default, npm start), its
           development admin key.
chain:     --rpc URL (repeatable, tried in turn) --registry ADDR, or ECERT_RPC_URLS, ECERT_REGISTRY,
           or DATA_DIR/dev.json (the local chain's own URL, chainRpcUrl, and its registry)
TIME:      ISO 8601 with a time zone (2026-12-01T09:00:00+08:00, 2026-12-01T01:00:00Z), or now
waiting:   each transaction at most ECERT_ADMIN_TX_TIMEOUT_MS milliseconds to be mined (default ${DEFAULT_TX_TIMEOUT_MS / 60_000} minutes)`;

/** Every command: its usage line and what it does. */
const COMMANDS: Record<string, { usage: string; what: string }> = {
  deploy: {
    usage:
      "certs admin deploy --rpc URL --keystore FILE [--issuers issuers.json] [--registry ADDR] [--admin-delay SECONDS]",
    what: "deploys the registry from the compiled artifact (npm run build) with the keystore's account as its governance admin (handover delay default 3 days), or reuses the one at --registry or one this account already created with the same code; then registers the issuers of the file; prints what it did, then REGISTRY_ADDRESS= and CHAIN_ID= lines; idempotent",
  },
  "issuer list": {
    usage: "certs admin issuer list [--json]",
    what: "every issuer with its signers and their windows (Hong Kong time and ISO), active or stopped, and its signing-certificate fingerprints",
  },
  "issuer register": {
    usage: "certs admin issuer register --file issuers.json",
    what: "admits the issuers of the file (as config/issuers.dev.json) with their signing certificates and signers; idempotent: what is on chain already is left as it is",
  },
  "issuer update": {
    usage: "certs admin issuer update ID [--name-en TEXT] [--name-zh TEXT] [--domain DOMAIN]",
    what: "changes an issuer's names or domain (what is not given stays)",
  },
  "issuer stop": {
    usage: "certs admin issuer stop ID",
    what: "emergency stop: every signer of the issuer is cut off now (earlier roots stay valid, other issuers untouched); resume by adding a new signer",
  },
  "issuer deactivate": {
    usage: "certs admin issuer deactivate ID",
    what: "deactivates an issuer: every signer is cut off now and verifiers treat its certificates as of an unknown issuer",
  },
  "issuer reactivate": {
    usage: "certs admin issuer reactivate ID",
    what: "reactivates a deactivated issuer (cut-off signers stay cut off: add a new one)",
  },
  "signer add": {
    usage: "certs admin signer add ID ADDRESS [--from TIME] [--until TIME]",
    what: "adds a signer address to an issuer with the window [from, until) (default: from now, no end)",
  },
  "signer cut-off": {
    usage: "certs admin signer cut-off ADDRESS --from TIME",
    what: "ends a signer's window at TIME (may be in the past): roots it anchored and status changes it made from TIME on no longer count",
  },
  "signing-cert add": {
    usage: "certs admin signing-cert add ID FINGERPRINT",
    what: "registers a PDF-signing certificate for an issuer (FINGERPRINT: 0x SHA-256 of its DER, or a PEM certificate file)",
  },
  "signing-cert remove": {
    usage: "certs admin signing-cert remove ID FINGERPRINT",
    what: "withdraws a PDF-signing certificate: PDFs it signed no longer verify",
  },
  "restore certificate": {
    usage: "certs admin restore certificate ISSUER LEAF --reason CODE",
    what: "restores a certificate (its credential digest) to valid in ISSUER's namespace, from revoked, suspended or superseded",
  },
  "restore batch": {
    usage: "certs admin restore batch ISSUER ROOT --reason CODE",
    what: "lifts the revocation of the batch ROOT that ISSUER anchored",
  },
};

const REASONS = Object.keys(REVOCATION_REASONS).join(", ");

export const ADMIN_HELP = `usage: certs admin <command> [options]   (certs admin <command> --help for one)

The governance admin's commands on the registry. Each prints what it did (transaction, block), and says
"already so" instead of failing when the registry already is as asked.

${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}\n      ${c.what}`)
  .join("\n")}

${CONNECTION_HELP}
CODE:      a reason code (${REASONS}) or a number 0-255

exit codes: 0 done (or already so), 1 the registry refused (the error is explained), 64 bad usage,
            66 unreadable input (keystore, file), 69 the chain cannot be reached, 70 an unexpected error,
            75 a transaction sent but not mined in time (it may still be mined: check before retrying)`;

function commandHelp(name: string): string {
  const c = COMMANDS[name];
  return `usage: ${c.usage}\n\n${c.what}.\n\n${CONNECTION_HELP}${name.startsWith("restore") ? `\nCODE:      a reason code (${REASONS}) or a number 0-255` : ""}`;
}

/** Each code of an {@link AdminError}, with its exit code. Only ever add to this table. */
const ADMIN_ERROR_EXIT_CODES = {
  /** Bad usage: a missing or malformed argument or option. */
  USAGE: 64,
  /** An input that cannot be read or used: the keystore, a certificate or issuers file. */
  UNREADABLE_INPUT: 66,
  /** No chain endpoint answered. */
  CHAIN_UNREACHABLE: 69,
  /** A transaction was sent but not mined within ECERT_ADMIN_TX_TIMEOUT_MS (EX_TEMPFAIL: it may still be). */
  TX_NOT_MINED: 75,
} as const;

type AdminErrorCode = keyof typeof ADMIN_ERROR_EXIT_CODES;

/** An error with its exit code; its message is for the user. */
class AdminError extends BaseError<AdminErrorCode> {
  override name = "AdminError";
  readonly exitCode: number;
  constructor(code: AdminErrorCode, message: string, options: BaseErrorOptions = {}) {
    super(code, message, options);
    this.exitCode = ADMIN_ERROR_EXIT_CODES[code];
  }
}
const usageError = (message: string) => new AdminError("USAGE", message);

type Values = {
  help?: boolean;
  json?: boolean;
  keystore?: string;
  rpc?: string[];
  registry?: string;
  file?: string;
  "name-en"?: string;
  "name-zh"?: string;
  domain?: string;
  from?: string;
  until?: string;
  reason?: string;
  issuers?: string;
  "admin-delay"?: string;
};

/** Runs `certs admin` with the arguments after `admin`; resolves with the exit code. */
export async function runAdminCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.some((a) => /^--(private-?key|key|mnemonic|password)(=|$)/i.test(a))) {
    console.error(
      "a key or password is never taken on the command line: use --keystore FILE (an encrypted JSON keystore) and ECERT_ADMIN_PASSWORD or the prompt",
    );
    return 64;
  }
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        json: { type: "boolean" },
        keystore: { type: "string" },
        rpc: { type: "string", multiple: true },
        registry: { type: "string" },
        file: { type: "string" },
        "name-en": { type: "string" },
        "name-zh": { type: "string" },
        domain: { type: "string" },
        from: { type: "string" },
        until: { type: "string" },
        reason: { type: "string" },
        issuers: { type: "string" },
        "admin-delay": { type: "string" },
      },
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  const name = positionals.slice(0, 2).join(" ");
  if (positionals.length === 0) {
    if (values.help) {
      console.log(ADMIN_HELP);
      return 0;
    }
    return usage("no command");
  }
  if (!COMMANDS[name]) {
    const group = Object.keys(COMMANDS).filter((c) => c.startsWith(`${positionals[0]} `));
    if (values.help && group.length > 0) {
      console.log(
        group.map((c) => commandHelp(c).split("\n\n").slice(0, 2).join("\n")).join("\n\n") + `\n\n${CONNECTION_HELP}`,
      );
      return 0;
    }
    return usage(`unknown command: admin ${name}`);
  }
  if (values.help) {
    console.log(commandHelp(name));
    return 0;
  }
  const rest = positionals.slice(2);
  try {
    const txTimeoutMs = txTimeoutOf(env);
    const plan = planCommand(name, rest, values, env);
    const connection = {
      ...(name === "deploy" ? await connectForDeploy(values, env) : await connect(values, env, plan.write)),
      txTimeoutMs,
    };
    try {
      await plan.run(connection);
    } finally {
      connection.provider.destroy();
    }
    return 0;
  } catch (error) {
    return report(error);
  }
}

function usage(problem: string): number {
  console.error(`${problem}\n\n${ADMIN_HELP}`);
  return 64;
}

/** ECERT_ADMIN_TX_TIMEOUT_MS: how long each transaction is waited for, in milliseconds. */
function txTimeoutOf(env: NodeJS.ProcessEnv): number {
  const text = env.ECERT_ADMIN_TX_TIMEOUT_MS?.trim();
  if (text === undefined || text === "") return DEFAULT_TX_TIMEOUT_MS;
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 2 ** 31 - 1)
    throw usageError(`ECERT_ADMIN_TX_TIMEOUT_MS: milliseconds (1 to 2147483647), got ${text.slice(0, 20)}`);
  return Number(text);
}

function report(error: unknown): number {
  if (error instanceof TransactionNotMinedError)
    error = new AdminError("TX_NOT_MINED", error.message, { cause: error });
  if (error instanceof AdminError) {
    if (error.exitCode === 64) return usage(error.message);
    console.error(error.message);
    return error.exitCode;
  }
  const refusal = decodeRegistryError(error);
  if (refusal) {
    console.error(`the registry refused: ${refusal.sentence} (${refusal.name})`);
    return 1;
  }
  if (isUnreachable(error)) {
    console.error(`cannot reach the chain: ${shortMessage(error)}`);
    return 69;
  }
  const code = (error as { code?: unknown }).code;
  if (code === "CALL_EXCEPTION") {
    console.error(`the registry refused the transaction with no reason it could decode: ${shortMessage(error)}`);
    return 1;
  }
  if (code === "INSUFFICIENT_FUNDS") {
    console.error("the admin account has not enough funds to pay for the transaction");
    return 1;
  }
  console.error(`unexpected error: ${shortMessage(error)}`);
  return 70;
}

function shortMessage(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(error)).slice(0, 300);
}

interface Connection {
  provider: JsonRpcProvider;
  registry: Contract;
  admin: string;
  chainId: number;
  rpcUrl: string;
  /** The admin's (deployer's) wallet, for `deploy`. */
  wallet?: Wallet;
  /** How long each transaction is waited for to be mined (ECERT_ADMIN_TX_TIMEOUT_MS). */
  txTimeoutMs?: number;
}

interface Plan {
  /** Whether the command sends transactions (so it needs the admin key). */
  write: boolean;
  run(connection: Connection): Promise<void>;
}

/** Checks the arguments of a command (before anything is read or decrypted) and returns what to do. */
function planCommand(name: string, rest: string[], values: Values, env: NodeJS.ProcessEnv): Plan {
  const need = (count: number, what: string) => {
    if (rest.length < count) throw usageError(`admin ${name} needs ${what}`);
    if (rest.length > count) throw usageError(`admin ${name}: unexpected argument ${rest[count]}`);
  };
  switch (name) {
    case "deploy": {
      need(0, "no argument");
      const delay = values["admin-delay"] ?? String(DEFAULT_ADMIN_DELAY);
      if (!/^\d{1,10}$/.test(delay))
        throw usageError(`--admin-delay: seconds (0 to 9999999999), got ${delay.slice(0, 20)}`);
      if (values.registry !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(values.registry))
        throw usageError(`--registry: not an address: ${values.registry.slice(0, 50)}`);
      const issuersFile = values.issuers;
      return {
        write: true,
        run: (c) =>
          deploy(c, { registry: values.registry ?? env.ECERT_REGISTRY, adminDelay: Number(delay), issuersFile }, env),
      };
    }
    case "issuer list":
      need(0, "no argument");
      return { write: false, run: (c) => issuerList(c, values.json === true) };
    case "issuer register": {
      need(0, "--file issuers.json");
      if (!values.file) throw usageError("admin issuer register needs --file issuers.json");
      const file = values.file;
      return { write: true, run: (c) => issuerRegister(c, file, env) };
    }
    case "issuer update": {
      need(1, "an issuer id");
      const change = { nameEn: values["name-en"], nameZh: values["name-zh"], domain: values.domain };
      if (Object.values(change).every((v) => v === undefined))
        throw usageError("admin issuer update needs --name-en, --name-zh or --domain");
      return { write: true, run: (c) => issuerUpdate(c, issuerIdOf(rest[0]), change) };
    }
    case "issuer stop":
      need(1, "an issuer id");
      return { write: true, run: (c) => issuerStop(c, issuerIdOf(rest[0])) };
    case "issuer deactivate":
    case "issuer reactivate":
      need(1, "an issuer id");
      return { write: true, run: (c) => issuerSetActive(c, issuerIdOf(rest[0]), name === "issuer reactivate") };
    case "signer add": {
      need(2, "an issuer id and an address");
      const address = addressOf(rest[1]);
      const from = values.from === undefined ? "now" : values.from;
      const validFrom = timeOf("--from", from);
      const validUntil = values.until === undefined ? NO_END : timeOf("--until", values.until);
      return { write: true, run: (c) => signerAdd(c, issuerIdOf(rest[0]), address, validFrom, validUntil) };
    }
    case "signer cut-off": {
      need(1, "an address");
      if (values.from === undefined) throw usageError("admin signer cut-off needs --from TIME (ISO 8601, or now)");
      const address = addressOf(rest[0]);
      const at = timeOf("--from", values.from);
      return { write: true, run: (c) => signerCutOff(c, address, at) };
    }
    case "signing-cert add":
    case "signing-cert remove": {
      need(2, "an issuer id and a fingerprint");
      const id = issuerIdOf(rest[0]);
      const add = name === "signing-cert add";
      return { write: true, run: async (c) => signingCert(c, id, await fingerprintOf(rest[1]), add) };
    }
    case "restore certificate":
    case "restore batch": {
      const what = name === "restore batch" ? "ROOT" : "LEAF";
      need(2, `an issuer id and a ${what} (0x, 32 bytes)`);
      if (values.reason === undefined) throw usageError(`admin ${name} needs --reason CODE (${REASONS}, or 0-255)`);
      const hash = hashOf(what, rest[1]);
      const reason = reasonOf(values.reason);
      return { write: true, run: (c) => restore(c, issuerIdOf(rest[0]), hash, reason, name === "restore batch") };
    }
  }
  throw usageError(`unknown command: admin ${name}`);
}

function addressOf(text: string): string {
  try {
    return getAddress(text);
  } catch {
    throw usageError(`not an address: ${text.slice(0, 60)}`);
  }
}

function hashOf(what: string, text: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw usageError(`${what}: expected 0x and 64 hex digits, got ${text.slice(0, 70)}`);
  return text.toLowerCase();
}

function reasonOf(text: string): number {
  if (text in REVOCATION_REASONS) return REVOCATION_REASONS[text as keyof typeof REVOCATION_REASONS].code;
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return Number(text);
  throw usageError(`--reason: not a reason code: ${text.slice(0, 40)} (${REASONS}, or 0-255)`);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A TIME argument as unix seconds: `now`, or ISO 8601 with a time zone. */
export function timeOf(option: string, text: string): bigint {
  if (text === "now") return BigInt(Math.floor(Date.now() / 1000));
  const ms = Date.parse(text);
  if (!ISO.test(text) || Number.isNaN(ms)) {
    throw usageError(
      `${option}: expected ISO 8601 with a time zone (e.g. 2026-12-01T09:00:00+08:00 or 2026-12-01T01:00:00Z) or now, got ${text.slice(0, 40)}`,
    );
  }
  if (ms < 0) throw usageError(`${option}: before 1970: ${text}`);
  return BigInt(Math.floor(ms / 1000));
}

async function fingerprintOf(text: string): Promise<string> {
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  if (/^0x/i.test(text))
    throw usageError(`FINGERPRINT: expected 0x and 64 hex digits (a SHA-256), got ${text.slice(0, 70)}`);
  try {
    return await certificateFingerprint(text);
  } catch (error) {
    throw new AdminError("UNREADABLE_INPUT", `FINGERPRINT: ${(error as Error).message}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// Connection: the admin key and the chain
// ---------------------------------------------------------------------------------------------

interface DevJsonLike {
  chainRpcUrl?: string;
  registry?: string;
}

async function connect(values: Values, env: NodeJS.ProcessEnv, write: boolean): Promise<Connection> {
  const dataDir = path.resolve(env.DATA_DIR ?? ".data");
  const devFile = path.join(dataDir, "dev.json");
  let dev: DevJsonLike | undefined;
  try {
    dev = JSON.parse(await readFile(devFile, "utf8")) as DevJsonLike;
  } catch {
    // not the embedded default
  }
  const keystore = values.keystore ?? env.ECERT_ADMIN_KEYSTORE;
  const list = (text: string | undefined) =>
    text
      ?.split(",")
      .map((u) => u.trim())
      .filter(Boolean);
  const rpcUrls = values.rpc ?? list(env.ECERT_RPC_URLS) ?? (dev?.chainRpcUrl ? [dev.chainRpcUrl] : []);
  const registryAddress = values.registry ?? env.ECERT_REGISTRY ?? dev?.registry;
  if (rpcUrls.length === 0 || !registryAddress) {
    throw usageError(
      dev && !dev.chainRpcUrl
        ? `${devFile} has no chainRpcUrl (written by an older npm start): restart the service, or give --rpc URL --registry ADDR`
        : "say which chain: --rpc URL and --registry ADDR (or ECERT_RPC_URLS and ECERT_REGISTRY, or DATA_DIR/dev.json of the embedded default)",
    );
  }
  for (const url of rpcUrls)
    if (!/^https?:\/\//i.test(url)) throw usageError(`--rpc: not an http(s) URL: ${shownUrl(url)}`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(registryAddress))
    throw usageError(`--registry: not an address: ${registryAddress.slice(0, 50)}`);

  // The key first (a wrong password is found before the chain is asked anything).
  let key: string | undefined;
  if (write) {
    if (keystore) key = await decryptKeystore(keystore, env);
    else if (dev) {
      key = devAdminKey();
      console.error(
        `using the embedded default's development admin key (${devFile} present; give --keystore FILE for a real chain)`,
      );
    } else throw usageError("the admin key: --keystore FILE (an encrypted JSON keystore), or ECERT_ADMIN_KEYSTORE");
  }

  const { url, chainId } = await reachable(rpcUrls);
  const provider = new JsonRpcProvider(url, chainId, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  try {
    if ((await provider.getCode(registryAddress)) === "0x")
      throw usageError(`no contract at ${registryAddress} on chain ${chainId} (${redact(url)}): check --registry`);
    const runner = key ? new Wallet(key, provider) : provider;
    const registry = new Contract(registryAddress, REGISTRY_ADMIN_ABI as unknown as string[], runner);
    return { provider, registry, admin: key ? (runner as Wallet).address : "", chainId, rpcUrl: url };
  } catch (error) {
    provider.destroy();
    throw error;
  }
}

/**
 * The connection of `deploy`: the chain and the deployer's key (always from a keystore: the embedded
 * default deploys its own registry); the registry is found or deployed by the command itself.
 */
async function connectForDeploy(values: Values, env: NodeJS.ProcessEnv): Promise<Connection> {
  const keystore = values.keystore ?? env.ECERT_ADMIN_KEYSTORE;
  const rpcUrls =
    values.rpc ??
    env.ECERT_RPC_URLS?.split(",")
      .map((u) => u.trim())
      .filter(Boolean) ??
    [];
  if (rpcUrls.length === 0) throw usageError("admin deploy needs --rpc URL (or ECERT_RPC_URLS)");
  for (const url of rpcUrls)
    if (!/^https?:\/\//i.test(url)) throw usageError(`--rpc: not an http(s) URL: ${shownUrl(url)}`);
  if (!keystore)
    throw usageError(
      "admin deploy needs the deployer's key: --keystore FILE (an encrypted JSON keystore), or ECERT_ADMIN_KEYSTORE",
    );
  const key = await decryptKeystore(keystore, env);
  const { url, chainId } = await reachable(rpcUrls);
  const provider = new JsonRpcProvider(url, chainId, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  const wallet = new Wallet(key, provider);
  // The registry is set by `deploy` once it is found or deployed.
  return { provider, registry: undefined as unknown as Contract, admin: wallet.address, chainId, rpcUrl: url, wallet };
}

/** The first endpoint that answers `eth_chainId` within 10 s. */
async function reachable(urls: string[]): Promise<{ url: string; chainId: number }> {
  const problems: string[] = [];
  for (const url of urls) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { result?: string };
      if (!res.ok || typeof body.result !== "string") throw new Error(`HTTP ${res.status}`);
      return { url, chainId: Number(BigInt(body.result)) };
    } catch (error) {
      problems.push(`${redact(url)}: ${(error as Error).message}`);
    }
  }
  throw new AdminError("CHAIN_UNREACHABLE", `cannot reach the chain: ${problems.join("; ")}`);
}

async function decryptKeystore(file: string, env: NodeJS.ProcessEnv): Promise<string> {
  let json: string;
  try {
    json = await readFile(file, "utf8");
  } catch {
    throw new AdminError("UNREADABLE_INPUT", `cannot read the keystore ${file}`);
  }
  let password = env.ECERT_ADMIN_PASSWORD;
  if (password === undefined) {
    if (!process.stdin.isTTY)
      throw usageError("the keystore's password: set ECERT_ADMIN_PASSWORD, or run on a terminal to be asked");
    password = await promptHidden(`password of ${file}: `);
  }
  try {
    return (await Wallet.fromEncryptedJson(json, password)).privateKey;
  } catch {
    throw new AdminError(
      "UNREADABLE_INPUT",
      `cannot decrypt the keystore ${file}: a wrong password, or not an encrypted JSON keystore`,
    );
  }
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const writer = rl as unknown as { _writeToOutput(text: string): void };
    let asked = false;
    writer._writeToOutput = (text: string) => {
      if (!asked) {
        asked = true;
        process.stderr.write(text);
      }
    };
    rl.question(question, (answer) => {
      process.stderr.write("\n");
      rl.close();
      resolve(answer);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** Sends a transaction, waits for it and prints what it did with its hash and block. */
async function send(c: Connection, what: string, tx: () => Promise<ContractTransactionResponse>): Promise<void> {
  const response = await tx();
  const receipt = await waitMined(response, c.txTimeoutMs ?? DEFAULT_TX_TIMEOUT_MS);
  console.log(`${what}: transaction ${response.hash}, block ${receipt?.blockNumber}`);
}

function alreadySo(what: string): void {
  console.log(`already so: ${what}`);
}

async function chainNow(c: Connection): Promise<number> {
  const block = await c.provider.getBlock("latest");
  return Math.max(block?.timestamp ?? 0, Math.floor(Date.now() / 1000));
}

async function issuerList(c: Connection, json: boolean): Promise<void> {
  const now = await chainNow(c);
  const issuers = await listIssuers(c.registry, now);
  if (json) {
    console.log(
      JSON.stringify(
        { chainId: c.chainId, registry: await c.registry.getAddress(), issuers },
        (_k, v) => (typeof v === "bigint" ? v.toString() : v),
        2,
      ),
    );
    return;
  }
  console.log(
    `registry ${await c.registry.getAddress()} on chain ${c.chainId}, ${issuers.length} issuer${issuers.length === 1 ? "" : "s"} (now ${formatTime(now)})`,
  );
  for (const issuer of issuers) console.log(`\n${formatIssuer(issuer, now)}`);
}

function issuerState(issuer: IssuerListing): string {
  if (!issuer.active) return "DEACTIVATED";
  if (issuer.stoppedAt > 0n && !issuer.signers.some((s) => s.current))
    return `STOPPED at ${formatTime(issuer.stoppedAt)}`;
  return issuer.signers.some((s) => s.current) ? "active" : "active, but no signer is valid now";
}

function formatIssuer(issuer: IssuerListing, now: number): string {
  const lines = [
    `${issuer.id} (issuer #${issuer.number}): ${issuer.nameEn} ${issuer.nameZh}, ${issuer.domain}: ${issuerState(issuer)}`,
    `  signing certificates (SHA-256):${issuer.signingCertificates.length === 0 ? " none" : ""}`,
    ...issuer.signingCertificates.map(
      (f) => `    ${f}${f === issuer.signingCertificate.toLowerCase() ? "  (current)" : ""}`,
    ),
    `  signers:${issuer.signers.length === 0 ? " none" : ""}`,
  ];
  for (const s of issuer.signers) {
    const state = s.current ? "valid now" : s.validUntil <= BigInt(now) ? "ended" : "not yet valid";
    lines.push(
      `    ${s.address}  ${state}`,
      `      from  ${formatTime(s.validFrom)}`,
      `      until ${formatTime(s.validUntil)}`,
    );
  }
  return lines.join("\n");
}

async function issuerRegister(c: Connection, file: string, env: NodeJS.ProcessEnv): Promise<void> {
  let issuers;
  try {
    issuers = await loadIssuersFile(file, { DATA_DIR: path.resolve(env.DATA_DIR ?? ".data") });
  } catch (error) {
    throw new AdminError(
      "UNREADABLE_INPUT",
      `cannot use ${file}: ${(error as Error).message.replace(/^ENOENT: no such file or directory, open '.*'$/, "no such file")}`,
      { cause: error },
    );
  }
  // Every transaction registerIssuers sends, in order, to print with its step.
  const sent: ContractTransactionResponse[] = [];
  const writes = new Set(["registerIssuer", "addSigningCertificate", "addSigner"]);
  const contract = c.registry as unknown as Record<string, unknown>;
  const recording = new Proxy(c.registry, {
    get(target, property) {
      const value = (target as unknown as Record<string | symbol, unknown>)[property];
      if (typeof property === "string" && writes.has(property)) {
        return async (...args: unknown[]) => {
          const tx = (await (contract[property] as (...a: unknown[]) => Promise<ContractTransactionResponse>)(
            ...args,
          )) as ContractTransactionResponse;
          sent.push(tx);
          return tx;
        };
      }
      return value;
    },
  });
  const steps = await registerIssuers(recording as unknown as RegistryAdmin, issuers);
  let k = 0;
  for (const step of steps) {
    if (step.action === "unchanged") {
      alreadySo(`issuer ${step.issuer} is registered with its signing certificate and every signer of ${file}`);
      continue;
    }
    const tx = sent[k++];
    const receipt = await waitMined(tx, c.txTimeoutMs ?? DEFAULT_TX_TIMEOUT_MS);
    const words = {
      registered: "registered",
      "added-signing-certificate": "signing certificate added",
      "added-signer": "signer added",
    }[step.action];
    console.log(
      `issuer ${step.issuer}: ${words}${step.detail ? ` ${step.detail}` : ""}: transaction ${tx.hash}, block ${receipt?.blockNumber}`,
    );
  }
}

async function deploy(
  c: Connection,
  options: { registry?: string; adminDelay: number; issuersFile?: string },
  env: NodeJS.ProcessEnv,
): Promise<void> {
  let artifact;
  try {
    artifact = await readRegistryArtifact();
  } catch (error) {
    throw new AdminError("UNREADABLE_INPUT", (error as Error).message, { cause: error });
  }
  if (options.issuersFile) {
    // The file is checked before anything is sent.
    try {
      await loadIssuersFile(options.issuersFile, { DATA_DIR: path.resolve(env.DATA_DIR ?? ".data") });
    } catch (error) {
      throw new AdminError(
        "UNREADABLE_INPUT",
        `cannot use ${options.issuersFile}: ${(error as Error).message.replace(/^ENOENT: no such file or directory, open '.*'$/, "no such file")}`,
        { cause: error },
      );
    }
  }
  const outcome = await deployRegistry({
    provider: c.provider,
    deployer: c.wallet!,
    artifact,
    given: options.registry,
    adminDelay: options.adminDelay,
    txTimeoutMs: c.txTimeoutMs,
  });
  if (outcome.action === "no-contract")
    throw usageError(
      `no contract at ${outcome.address} on chain ${c.chainId} (${redact(c.rpcUrl)}): check --registry, or leave it out to deploy one`,
    );
  if (outcome.action === "deployed") {
    console.log(
      `registry deployed at ${outcome.address}: transaction ${outcome.txHash}, block ${outcome.blockNumber} (governance admin ${c.admin}, handover delay ${outcome.adminDelay} s)`,
    );
  } else if (outcome.how === "found") {
    alreadySo(`the registry is deployed at ${outcome.address} (created by ${c.admin}, the same code as artifacts/)`);
  } else {
    alreadySo(
      `the registry at ${outcome.address} is used as given${outcome.sameCode ? "" : " (its code differs from this build's artifact: another version or compiler setting)"}`,
    );
  }
  c.registry = new Contract(outcome.address, REGISTRY_ADMIN_ABI as unknown as string[], c.wallet);
  const admin = (await c.registry.defaultAdmin()) as string;
  if (admin.toLowerCase() !== c.admin.toLowerCase())
    console.log(`  note: its governance admin is ${admin}, not ${c.admin}: registering issuers needs that admin's key`);
  if (options.issuersFile) await issuerRegister(c, options.issuersFile, env);
  console.log(`REGISTRY_ADDRESS=${outcome.address}`);
  console.log(`CHAIN_ID=${c.chainId}`);
}

async function issuerView(c: Connection, id: string) {
  return c.registry.issuer(id);
}

async function issuerUpdate(
  c: Connection,
  id: string,
  change: { nameEn?: string; nameZh?: string; domain?: string },
): Promise<void> {
  const current = await issuerView(c, id);
  const next = {
    nameEn: change.nameEn ?? current.nameEn,
    nameZh: change.nameZh ?? current.nameZh,
    domain: change.domain ?? current.domain,
  };
  const name = issuerName(id);
  if (next.nameEn === current.nameEn && next.nameZh === current.nameZh && next.domain === current.domain) {
    alreadySo(`issuer ${name} is ${next.nameEn} ${next.nameZh}, ${next.domain}`);
    return;
  }
  await send(c, `issuer ${name} updated to ${next.nameEn} ${next.nameZh}, ${next.domain}`, () =>
    c.registry.updateIssuer(id, next.nameEn, next.nameZh, next.domain),
  );
}

async function currentSigners(c: Connection, id: string, now: number): Promise<string[]> {
  const current: string[] = [];
  for (const address of (await c.registry.signersOf(id)) as string[]) {
    const record = await c.registry.signerRecord(address);
    if (BigInt(record.validUntil) > BigInt(now)) current.push(address);
  }
  return current;
}

async function issuerStop(c: Connection, id: string): Promise<void> {
  const view = await issuerView(c, id);
  const name = issuerName(id);
  const open = await currentSigners(c, id, await chainNow(c));
  if (BigInt(view.stoppedAt) > 0n && open.length === 0) {
    alreadySo(`issuer ${name} was stopped at ${formatTime(view.stoppedAt)} and has no signer whose window is open`);
    return;
  }
  await send(
    c,
    `issuer ${name} stopped (${open.length} signer${open.length === 1 ? "" : "s"} cut off now${open.length ? `: ${open.join(", ")}` : ""})`,
    () => c.registry.stopIssuer(id),
  );
  const after = await issuerView(c, id);
  console.log(
    `  stopped at ${formatTime(after.stoppedAt)}; earlier roots stay valid; resume with certs admin signer add ${name} <new address>`,
  );
}

async function issuerSetActive(c: Connection, id: string, active: boolean): Promise<void> {
  const view = await issuerView(c, id);
  const name = issuerName(id);
  if (view.active === active) {
    alreadySo(`issuer ${name} is ${active ? "active" : "deactivated"}`);
    return;
  }
  await send(
    c,
    `issuer ${name} ${active ? "reactivated (cut-off signers stay cut off)" : "deactivated (every signer cut off now)"}`,
    () => c.registry.setIssuerActive(id, active),
  );
}

async function signerRecordOf(
  c: Connection,
  address: string,
): Promise<{ issuerId: string; validFrom: bigint; validUntil: bigint } | undefined> {
  try {
    const r = await c.registry.signerRecord(address);
    return { issuerId: r.issuerId, validFrom: BigInt(r.validFrom), validUntil: BigInt(r.validUntil) };
  } catch (error) {
    if (decodeRegistryError(error)?.name === "RegistryUnknownSigner") return undefined;
    throw error;
  }
}

const windowOf = (from: bigint, until: bigint) => `[${formatTime(from)}, ${formatTime(until)})`;

async function signerAdd(
  c: Connection,
  id: string,
  address: string,
  validFrom: bigint,
  validUntil: bigint,
): Promise<void> {
  const name = issuerName(id);
  const known = await signerRecordOf(c, address);
  if (known && known.issuerId.toLowerCase() === id.toLowerCase()) {
    const same = known.validFrom === validFrom && known.validUntil === validUntil;
    alreadySo(
      `${address} is a signer of ${name}, window ${windowOf(known.validFrom, known.validUntil)}${same ? "" : " (the window is left as it is: an added signer's window only changes by a cut-off)"}`,
    );
    return;
  }
  await send(c, `signer ${address} added to ${name}, window ${windowOf(validFrom, validUntil)}`, () =>
    c.registry.addSigner(id, address, validFrom, validUntil),
  );
}

async function signerCutOff(c: Connection, address: string, at: bigint): Promise<void> {
  const known = await signerRecordOf(c, address);
  if (known && known.validUntil <= at) {
    alreadySo(
      `${address} (${issuerName(known.issuerId)})'s window already ends at ${formatTime(known.validUntil)}, at or before ${formatTime(at)}`,
    );
    return;
  }
  await send(
    c,
    `signer ${address}${known ? ` (${issuerName(known.issuerId)})` : ""} cut off from ${formatTime(at)}`,
    () => c.registry.cutOffSigner(address, at),
  );
  console.log("  roots it anchored and status changes it made from then on no longer count");
}

async function signingCert(c: Connection, id: string, fingerprint: string, add: boolean): Promise<void> {
  const name = issuerName(id);
  await issuerView(c, id); // an unknown issuer is refused here, with its name
  const registered = (await c.registry.isSigningCertificate(id, fingerprint)) as boolean;
  if (registered === add) {
    alreadySo(`signing certificate ${fingerprint} is ${add ? "registered" : "not registered"} for ${name}`);
    return;
  }
  if (add)
    await send(c, `signing certificate ${fingerprint} registered for ${name} (now its current one)`, () =>
      c.registry.addSigningCertificate(id, fingerprint),
    );
  else
    await send(c, `signing certificate ${fingerprint} withdrawn from ${name}: PDFs it signed no longer verify`, () =>
      c.registry.removeSigningCertificate(id, fingerprint),
    );
}

async function restore(c: Connection, id: string, hash: string, reason: number, batch: boolean): Promise<void> {
  const name = issuerName(id);
  try {
    if (batch)
      await send(c, `batch ${hash} of ${name} restored (no longer revoked), reason ${reason}`, () =>
        c.registry.restoreBatch(id, hash, reason),
      );
    else
      await send(c, `certificate ${hash} restored to valid in ${name}'s namespace, reason ${reason}`, () =>
        c.registry.restoreCertificate(id, hash, reason),
      );
  } catch (error) {
    const refusal = decodeRegistryError(error);
    if (!batch && refusal?.name === "RegistryInvalidTransition" && Number(refusal.args.current) === 0) {
      alreadySo(`certificate ${hash} is valid in ${name}'s namespace`);
      return;
    }
    if (batch && refusal?.name === "RegistryBatchNotRevoked") {
      alreadySo(`batch ${hash} of ${name} is not revoked`);
      return;
    }
    throw error;
  }
}
