// Helpers for the document tests. Nothing here runs on import.
import { readFileSync } from "node:fs";

export const ISSUERS = {
  CSB: { id: "CSB", nameEn: "Civil Service Bureau", nameZh: "公務員事務局", domain: "csb.gov.hk" },
  FSD: { id: "FSD", nameEn: "Fire Services Department", nameZh: "消防處", domain: "hkfsd.gov.hk" },
} as const;
export const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const VERIFIER_URL = "https://verify.ecert.gov.hk";

/** A sample CSV from `examples/`. */
export function sampleCsv(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../../examples/${name}`, import.meta.url)));
}
