// Helpers for the `certs admin` tests. Nothing here runs on import.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Wallet, encryptKeystoreJson } from "ethers";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `certs admin ...` (bin/certs.ts) as its own process, with `env` added to a clean environment
 * (no ECERT_* variables from the caller's).
 */
export async function certsAdmin(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ECERT_")));
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "bin/certs.ts"), "admin", ...args], {
      env: { ...base, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Writes an encrypted JSON keystore of `key` (light scrypt, for test speed) and returns its path. */
export async function writeKeystore(dir: string, name: string, key: string, password: string): Promise<string> {
  const wallet = new Wallet(key);
  const json = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, {
    scrypt: { N: 1 << 10 },
  });
  const file = path.join(dir, `${name}.keystore.json`);
  await writeFile(file, json, { mode: 0o600 });
  return file;
}

/** An ISO time (seconds) of unix seconds. */
export function iso(seconds: number | bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}
