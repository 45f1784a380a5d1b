/**
 * `certs check`: the integrity check (`check.ts`) from the command line, on the service's database
 * (`DATABASE_URL`, or `DATA_DIR/ecert.sqlite` as the server opens it) and a chain (flags, the
 * environment, or the embedded default's `DATA_DIR/dev.json`).
 *
 * Exit codes: 0 every check holds, 1 a check fails, 2 unable to check (the chain cannot be read, and
 * nothing failed), 64 bad usage, 66 the database cannot be opened or read, 70 an unexpected error.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { BaseError } from "../../core/base-error.ts";
import { createJsonRpcProvider, type ChainReader } from "../../core/index.ts";
import { shownUrl } from "../config.ts";
import { openCommandStore } from "../db/open-store.ts";
import { isStoreError } from "../db/store-error.ts";
import { checkIntegrity, type IntegrityReport } from "./check.ts";

export const CHECK_HELP = `usage: certs check [--json] [--rpc URL]... [--registry ADDR] [--chain-id N] [--from-block N] [--page-size N]

Checks the issuer service's database against itself and the chain, and reports per check how many
items were checked, how many failed, and the first offenders:
  credential-matches-row  every stored credential is its row's (type, issuer, number, record)
  digest-recomputes       every digest recomputes from its credential
  digest-unique           no two certificates share a digest
  leaf-in-root            every batch's root is rebuilt from its members' digests; every proof holds
  root-on-chain           every anchored batch's root is on chain, anchored once, by its issuer
  pdf-embeds-credential   every PDF embeds its own credential, root and path, and is signed
  number-live-once        no certificate number is live twice for one issuer
Nothing is written, to the database or to the chain.

database: DATABASE_URL (postgres://... or a SQLite file), else DATA_DIR/ecert.sqlite (DATA_DIR default .data)
chain:    --rpc URL (repeatable, tried in turn), --chain-id N, --registry ADDR; defaults from
          ECERT_RPC_URLS, ECERT_CHAIN_ID, ECERT_REGISTRY, or the server's CHAIN_RPC_URLS, CHAIN_ID,
          REGISTRY_ADDRESS, or DATA_DIR/dev.json (the embedded default, while it runs)
--from-block N   first block searched for RootAnchored events (default 0)
--page-size N    certificates and batches read per query (default 500)
--json           the report as JSON on stdout

exit codes: 0 every check holds, 1 a check fails, 2 unable to check (the chain cannot be read),
            64 bad usage, 66 the database cannot be opened or read, 70 an unexpected error`;

/** Bad usage of `certs check` (exit 64); its message is for the user. */
class UsageError extends BaseError<"USAGE"> {
  override name = "UsageError";

  constructor(message: string) {
    super("USAGE", message);
  }
}

/** Runs `certs check` with the arguments after `check`; resolves with the exit code. */
export async function runCheckCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h", default: false },
        json: { type: "boolean", default: false },
        rpc: { type: "string", multiple: true },
        registry: { type: "string" },
        "chain-id": { type: "string" },
        "from-block": { type: "string" },
        "page-size": { type: "string" },
      },
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    console.log(CHECK_HELP);
    return 0;
  }
  const dataDir = path.resolve(env.DATA_DIR ?? ".data");
  let chain: { rpc: string[]; chainId: number; registry: string };
  let fromBlock: number | undefined;
  let pageSize: number | undefined;
  try {
    chain = await chainOf(values, env, dataDir);
    fromBlock = integerOption("--from-block", values["from-block"], 0);
    pageSize = integerOption("--page-size", values["page-size"], 1);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }

  const opened = await openCommandStore(env.DATABASE_URL, dataDir);
  if (typeof opened === "number") return opened;
  const store = opened;
  let report: IntegrityReport;
  try {
    const progress = process.stderr.isTTY && !values.json;
    report = await checkIntegrity({
      store,
      provider: readerOf(chain.rpc),
      registry: chain.registry,
      chainId: chain.chainId,
      fromBlock,
      pageSize,
      onProgress: progress ? ({ phase, done }) => process.stderr.write(`\rchecking ${phase}: ${done}   `) : undefined,
    });
    if (progress) process.stderr.write("\r\x1b[K");
  } catch (error) {
    console.error(`cannot read the database: ${(error as Error).message}`);
    return isStoreError(error) ? 66 : 70;
  } finally {
    await store.close().catch(() => undefined);
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatReport(report));
  if (report.ok) return 0;
  return report.unableToCheck ? 2 : 1;
}

function usage(problem: string): number {
  console.error(`${problem}\n${CHECK_HELP}`);
  return 64;
}

function integerOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value) || Number(value) < min)
    throw new UsageError(`${name}: expected an integer of at least ${min}, got ${value.slice(0, 40)}`);
  return Number(value);
}

/** Which chain to read: the flags, then the environment, then the embedded default's dev.json. */
async function chainOf(
  values: { rpc?: string[]; registry?: string; "chain-id"?: string },
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<{ rpc: string[]; chainId: number; registry: string }> {
  let dev: { rpcUrl?: string; chainId?: number; registry?: string } = {};
  try {
    dev = JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8"));
  } catch {
    // not the embedded default: the flags or the environment say which chain
  }
  const list = (text: string | undefined) =>
    text
      ?.split(",")
      .map((u) => u.trim())
      .filter(Boolean);
  const rpc = values.rpc ?? list(env.ECERT_RPC_URLS) ?? list(env.CHAIN_RPC_URLS) ?? (dev.rpcUrl ? [dev.rpcUrl] : []);
  const chainIdText =
    values["chain-id"] ??
    env.ECERT_CHAIN_ID ??
    env.CHAIN_ID ??
    (dev.chainId === undefined ? undefined : String(dev.chainId));
  const registry = values.registry ?? env.ECERT_REGISTRY ?? env.REGISTRY_ADDRESS ?? dev.registry;
  if (rpc.length === 0 || chainIdText === undefined || registry === undefined) {
    throw new UsageError(
      "say which chain to check against: --rpc URL, --chain-id N and --registry ADDR (or ECERT_RPC_URLS, ECERT_CHAIN_ID, ECERT_REGISTRY, or DATA_DIR/dev.json)",
    );
  }
  for (const url of rpc)
    if (!/^https?:\/\//i.test(url)) throw new UsageError(`--rpc: not an http(s) URL: ${shownUrl(url)}`);
  if (!/^\d{1,15}$/.test(chainIdText) || Number(chainIdText) < 1)
    throw new UsageError(`--chain-id: not a chain id: ${chainIdText.slice(0, 20)}`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(registry))
    throw new UsageError(`--registry: not an address: ${registry.slice(0, 50)}`);
  return { rpc, chainId: Number(chainIdText), registry };
}

/** One reader over several endpoints: each request goes to the first that answers. */
function readerOf(urls: string[]): ChainReader {
  const readers = urls.map((url) => createJsonRpcProvider(url, { timeoutMs: 10_000 }));
  return {
    async request(args) {
      let last: unknown;
      for (const reader of readers) {
        try {
          return await reader.request(args);
        } catch (error) {
          last = error;
        }
      }
      throw last;
    },
  };
}

/** The report as a table: one line per check, its offenders below it. */
export function formatReport(report: IntegrityReport): string {
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const lines = [
    `HK e-Cert integrity check of ${count(report.totals.certificates, "certificate")}, ${count(report.totals.batches, "batch", "batches")} and ${count(report.totals.pdfs, "PDF")} against chain ${report.chainId}, registry ${report.registry} (${(report.durationMs / 1000).toFixed(1)} s)`,
    "",
    `      ${"check".padEnd(width)}  ${"checked".padStart(9)}  ${"failed".padStart(7)}  first offenders`,
  ];
  const indent = " ".repeat(6 + width + 2 + 9 + 2 + 7 + 2);
  for (const check of report.checks) {
    const mark = check.error !== undefined ? "ERROR" : check.ok ? "ok" : "FAIL";
    const notes = check.offenders.map((o) => `${o.kind} ${o.id}: ${o.reason}`);
    if (check.error !== undefined) notes.unshift(`unable to check: ${check.error}`);
    if (check.failed > check.offenders.length) notes.push(`... and ${check.failed - check.offenders.length} more`);
    lines.push(
      `${mark.padEnd(5)} ${check.id.padEnd(width)}  ${String(check.checked).padStart(9)}  ${String(check.failed).padStart(7)}  ${notes[0] ?? ""}`.trimEnd(),
    );
    for (const note of notes.slice(1)) lines.push(`${indent}${note}`);
  }
  const failing = report.checks.filter((c) => !c.ok).length;
  lines.push("");
  lines.push(
    report.ok
      ? `all ${report.checks.length} checks hold`
      : report.unableToCheck
        ? `unable to check: ${report.checks
            .filter((c) => c.error !== undefined)
            .map((c) => c.id)
            .join(", ")} could not be completed`
        : `${failing} of ${report.checks.length} checks fail`,
  );
  return lines.join("\n");
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
