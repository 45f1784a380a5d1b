/**
 * Production mode in separate processes, for the tests against a second EVM node (test/helpers/ganache.ts):
 * the deploy command, a production-style issuers file with encrypted keystores and PEM PAdES identities,
 * the issuer service as its own `node server/main.ts` process, and the `certs` CLI. Nothing runs on import.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Wallet, encryptKeystoreJson } from "ethers";
import { ensureDevPki } from "../../server/pki/dev-pki.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/certs.ts ...args` with `env` over the caller's environment minus its ECERT_* variables. */
export async function certs(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ECERT_")));
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "bin/certs.ts"), ...args], {
      env: { ...base, ...env },
      maxBuffer: 32 * 2 ** 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** An encrypted JSON keystore of `key` (light scrypt, for test speed); returns its path. */
export async function keystoreFile(dir: string, name: string, key: string, password: string): Promise<string> {
  const wallet = new Wallet(key);
  const json = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, {
    scrypt: { N: 1 << 10 },
  });
  const file = path.join(dir, `${name}.keystore.json`);
  await writeFile(file, json, { mode: 0o600 });
  return file;
}

/**
 * A network set up as a department's service expects it: `certs admin deploy` with a deployer keystore of
 * `deployerKey` and `issuersFile`, then `certs apikey create --issuer CSB` in `dir` (`env` adds e.g. a
 * DATABASE_URL). Throws, with the command's stderr, when either fails.
 */
export async function deployForService(
  dir: string,
  rpcUrl: string,
  deployerKey: string,
  issuersFile: string,
  env: Record<string, string> = {},
): Promise<{ registry: string; key: string; deployOutput: string }> {
  const deployer = await keystoreFile(dir, "deployer", deployerKey, "pw");
  const deployed = await certs(
    { ECERT_ADMIN_PASSWORD: "pw", DATA_DIR: dir },
    "admin",
    "deploy",
    "--rpc",
    rpcUrl,
    "--keystore",
    deployer,
    "--issuers",
    issuersFile,
  );
  if (deployed.code !== 0) throw new Error(`certs admin deploy exited ${deployed.code}: ${deployed.stderr}`);
  const registry = /^REGISTRY_ADDRESS=(0x[0-9a-fA-F]{40})$/m.exec(deployed.stdout)![1];
  const created = await certs({ DATA_DIR: dir, ...env }, "apikey", "create", "--issuer", "CSB");
  if (created.code !== 0) throw new Error(`certs apikey create exited ${created.code}: ${created.stderr}`);
  return { registry, key: created.stdout.trim(), deployOutput: deployed.stdout };
}

export interface Department {
  id: "CSB" | "FSD";
  nameEn: string;
  nameZh: string;
  domain: string;
  /** The chain signer's private key (funded on the node). */
  signerKey: string;
}

export interface DepartmentFiles {
  issuersFile: string;
  /** The service's environment for these departments (ISSUER_IDS and each `<ID>_*`). */
  env: Record<string, string>;
}

/**
 * A production-style issuers file (signers, signing certificates as PEM paths beside it, names) and per
 * department an encrypted signer keystore and a PEM PAdES identity (from the development CA helper).
 */
export async function departmentFiles(dir: string, departments: Department[]): Promise<DepartmentFiles> {
  const pki = await ensureDevPki(
    path.join(dir, "pki"),
    departments.map((d) => ({ id: d.id, nameEn: d.nameEn })),
  );
  const env: Record<string, string> = { ISSUER_IDS: departments.map((d) => d.id).join(",") };
  const issuers = [];
  for (const d of departments) {
    const password = `${d.id.toLowerCase()} signer password`;
    env[`${d.id}_SIGNER_KEYSTORE`] = await keystoreFile(dir, `${d.id.toLowerCase()}-signer`, d.signerKey, password);
    env[`${d.id}_SIGNER_PASSWORD`] = password;
    env[`${d.id}_PADES_CERT`] = pki.departments[d.id].certFile;
    env[`${d.id}_PADES_KEY`] = pki.departments[d.id].keyFile;
    issuers.push({
      id: d.id,
      nameEn: d.nameEn,
      nameZh: d.nameZh,
      domain: d.domain,
      signingCertificate: `pki/${d.id}.cert.pem`,
      signers: [{ address: new Wallet(d.signerKey).address, validFrom: "2026-01-01T00:00:00Z" }],
    });
  }
  const issuersFile = path.join(dir, "issuers.json");
  await writeFile(issuersFile, `${JSON.stringify({ issuers }, null, 2)}\n`);
  return { issuersFile, env };
}

export const CSB = { id: "CSB", nameEn: "Civil Service Bureau", nameZh: "公務員事務局", domain: "csb.gov.hk" } as const;
export const FSD = { id: "FSD", nameEn: "Fire Services Department", nameZh: "消防處", domain: "hkfsd.gov.hk" } as const;

/** Whether the compiled registry outgrows EIP-170's 24 KiB (instrumented by `hardhat test --coverage`). */
export function registryOutgrowsSizeLimit(): boolean {
  const artifact = JSON.parse(
    readFileSync(path.join(ROOT, "artifacts/contracts/Registry.sol/Registry.json"), "utf8"),
  ) as { deployedBytecode: string };
  return (artifact.deployedBytecode.length - 2) / 2 > 24_576;
}

export interface ServiceProcess {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  child: ChildProcess;
  /** Everything it wrote (pino JSON lines on stdout, anything on stderr). */
  output(): string;
  /** Parsed log lines so far. */
  logs(): Record<string, unknown>[];
  stop(): Promise<number | null>;
}

/**
 * Starts `node <entry>` (default `server/main.ts`), or `command`, as its own process with `env` (PORT 0 unless given)
 * and resolves once it logs that it started, with its URL.
 */
export async function startServiceProcess(
  env: Record<string, string>,
  options: { entry?: string; cwd?: string; command?: string[]; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const {
    entry = path.join(ROOT, "server/main.ts"),
    cwd = ROOT,
    command = [process.execPath, entry],
    timeoutMs = 120_000,
  } = options;
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(ECERT_|CHAIN_|REGISTRY_|ISSUER_IDS|DATABASE_URL|DATA_DIR|PORT$|CONFIRMATIONS)/.test(k),
    ),
  );
  const child = spawn(command[0], command.slice(1), {
    cwd,
    env: { ...base, PORT: "0", LOG_LEVEL: "info", APPROVALS: "none", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  // Its own process group, signalled as one: `npm start` does not pass SIGTERM on to the node it starts.
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // Never left running by a test process that ends without stopping it.
  const orphanGuard = () => signal("SIGKILL");
  process.once("exit", orphanGuard);
  void exited.then(() => process.off("exit", orphanGuard));
  const logs = () =>
    output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url) {
    url = logs().find((l) => l.msg === "HK e-Cert issuer service started")?.url as string | undefined;
    if (url) break;
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      signal("SIGKILL");
      throw new Error(`the service did not start within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    logs,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** One call to `/api/v1<route>` of a service process. */
export async function call(
  url: string,
  method: string,
  route: string,
  options: { key?: string; json?: unknown; csv?: Uint8Array } = {},
): Promise<{ status: number; json: any; bytes: Uint8Array }> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.csv) {
    headers["content-type"] = "text/csv";
    body = options.csv as BodyInit;
  }
  const res = await fetch(`${url}/api/v1${route}`, { method, headers, body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: res.status, json, bytes };
}

/** The header and the first `count` rows of a CSV file of examples/. */
export function exampleRows(name: string, count: number): Uint8Array {
  const lines = readFileSync(path.join(ROOT, "examples", name), "utf8")
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter(Boolean);
  if (lines.length < count + 1) throw new Error(`examples/${name} has fewer than ${count} rows`);
  return new TextEncoder().encode(`${lines.slice(0, count + 1).join("\r\n")}\r\n`);
}

/**
 * Posts rows `from` to `to` (1-based) of examples/csb-cre.csv to a service process as one CSB upload (each
 * upload its own candidates); its 202 answer.
 */
export async function uploadCsbRows(
  url: string,
  key: string,
  from: number,
  to: number,
): Promise<{ batchId: string; certificates: { id: string; claimCode: string }[] }> {
  const lines = new TextDecoder().decode(exampleRows("csb-cre.csv", to)).split("\r\n");
  const csv = new TextEncoder().encode(`${[lines[0], ...lines.slice(from, to + 1)].join("\r\n")}\r\n`);
  const res = await call(url, "POST", "/batches?type=csb-cre", { key, csv });
  if (res.status !== 202) throw new Error(`POST /batches: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

/** A certificate's PDF from a service process, through its claim code. */
export async function claimPdf(url: string, claimCode: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(`${url}/api/v1/claim/${claimCode}/pdf`)).arrayBuffer());
}

/** `POST /api/v1/verify` of a PDF to a service process: the verification result. */
export async function verifyPdf(
  url: string,
  pdf: Uint8Array,
): Promise<{ status: string; reasons: string[]; anchor: { root: string; blockNumber: number } | null }> {
  const res = await fetch(`${url}/api/v1/verify`, {
    method: "POST",
    headers: { "content-type": "application/pdf" },
    body: pdf as BodyInit,
  });
  if (res.status !== 200) throw new Error(`POST /verify: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Polls `check` every 100 ms until it is true, or fails after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs = 60_000, what = "the condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
