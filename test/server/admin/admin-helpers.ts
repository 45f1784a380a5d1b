// Helpers for the `certs admin` tests. Nothing here runs on import.
import { isoSeconds } from "../../../core/time.ts";
import { certs, keystoreFile, type CliResult } from "../../helpers/production.ts";

export type { CliResult };

/**
 * Runs `certs admin ...` (bin/certs.ts) as its own process, with `env` added to a clean environment
 * (no ECERT_* variables from the caller's).
 */
export function certsAdmin(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return certs(env, "admin", ...args);
}

/** Writes an encrypted JSON keystore of `key` (light scrypt, for test speed) and returns its path. */
export const writeKeystore = keystoreFile;

/** An ISO time (seconds) of unix seconds. */
export function iso(seconds: number | bigint): string {
  return isoSeconds(Number(seconds));
}
