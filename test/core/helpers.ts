// Test helpers for the credential core. Nothing here runs on import: only functions and constants.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import type { GetRandomValues } from "../../core/createCredential.ts";
import { copyJson, fieldDigest, type Credential } from "../../core/credential.ts";
import { pathTokens } from "../../core/types/index.ts";

/** The sample inputs in `examples/` (see its README). */
export const SAMPLE_DATA_DIR = new URL("../../examples/", import.meta.url);

/** The bytes of a sample file, e.g. `sample("csb-cre.csv")`. */
export function sample(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, SAMPLE_DATA_DIR)));
}

/** UTF-8 bytes of a CSV written inline. */
export function csv(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * A deterministic stand-in for `crypto.getRandomValues`, for test vectors only: the bytes are
 * sha256(seed || counter) blocks, so the same seed always gives the same salts and ids.
 */
export function deterministicRandom(seed: string): GetRandomValues {
  let counter = 0;
  return (array) => {
    for (let offset = 0; offset < array.length; offset += 32) {
      const block = createHash("sha256").update(`${seed}:${counter++}`).digest();
      array.set(block.subarray(0, Math.min(32, array.length - offset)), offset);
    }
    return array;
  };
}

/** A clock stopped at `iso`. */
export function fixedClock(iso: string): () => Date {
  return () => new Date(iso);
}

/** The header and one valid row of each type, for inline CSVs and JSON records. */
export const VALID_ROWS = {
  "csb-cre": {
    candidate_number: "CRE2026000001",
    name_en: "WONG Hiu Tung",
    name_zh: "黃曉彤",
    hkid_partial: "E654***(*)",
    sitting_date: "2026-09-12",
    uc_result: "Fail",
    ue_result: "L2",
    at_result: "Pass",
  },
  "csb-blnst": {
    candidate_number: "BLNST2026000001",
    name_en: "LO Cheuk Hei",
    name_zh: "盧卓希",
    hkid_partial: "R429***(*)",
    test_date: "2026-10-03",
    score: "65",
    result: "Pass",
  },
  "fsd-dg-licence": {
    licence_number: "DGL/2026/00004",
    licensee_en: "Golden Dragon Restaurant Group Limited",
    licensee_zh: "金龍酒家集團有限公司",
    premises_en: "G/F, 3 Wing Lok Street, Sheung Wan, Hong Kong",
    premises_zh: "香港上環永樂街3號地下",
    dg_items: "Category 2 (compressed gases): 20 cylinders of oxygen, 40 L each",
    conditions:
      "The store shall be kept locked when unattended. | Quantities shall not exceed those stated on this licence.",
    valid_from: "2026-10-21",
    valid_until: "2027-10-21",
  },
  "fsd-fsi-contractor": {
    registration_number: "FSIC/6421/001",
    contractor_en: "Aberdeen Boatyard Co.",
    contractor_zh: "香港仔船廠",
    classes: "1;2;3",
    valid_from: "2026-10-28",
    valid_until: "2029-10-28",
  },
} as const satisfies Record<string, Record<string, string>>;

export type SampleTypeId = keyof typeof VALID_ROWS;

/** Quotes a CSV cell when it needs it. */
function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A CSV of `typeId` with a header and one line per row: each row is the valid row with `overrides`
 * applied (a column set to `undefined` is dropped from header and rows alike).
 */
export function csvOf(typeId: SampleTypeId, ...rows: Record<string, string | undefined>[]): Uint8Array {
  const base: Record<string, string | undefined> = VALID_ROWS[typeId];
  const first = rows[0] ?? {};
  const columns = [...new Set([...Object.keys(base), ...rows.flatMap((r) => Object.keys(r))])].filter(
    (c) => !(c in first && first[c] === undefined),
  );
  const lines = [columns.join(",")];
  for (const overrides of rows) {
    const row: Record<string, string | undefined> = { ...base, ...overrides };
    lines.push(columns.map((c) => cell(row[c] ?? "")).join(","));
  }
  return csv(lines.join("\n") + "\n");
}

/**
 * Hides claims as `hideClaims` did before the schemas' disclosure rules: what an older or another tool may
 * have made (both names hidden, say), which verifiers must still accept with the same digest. Written out
 * here, not through `hideClaims`, which refuses such a hide. A pointer hides the disclosed claims at or
 * under it; hidden ones are skipped; no other check.
 */
export function hideIgnoringDisclosureRules(credential: Credential, pointers: readonly string[]): Credential {
  const result = copyJson(credential);
  for (const pointer of pointers) {
    for (const claim of Object.keys(credential.proof.salts)) {
      if (claim !== pointer && !claim.startsWith(pointer + "/")) continue;
      if (!Object.hasOwn(result.proof.salts, claim)) continue;
      const tokens = pathTokens(claim);
      const parents: Record<string, unknown>[] = [result as unknown as Record<string, unknown>];
      for (const token of tokens.slice(0, -1))
        parents.push(parents[parents.length - 1][token] as Record<string, unknown>);
      const last = tokens[tokens.length - 1];
      result.proof.hidden[claim] = fieldDigest(credential.proof.salts[claim], claim, parents[parents.length - 1][last]);
      delete result.proof.salts[claim];
      delete parents[parents.length - 1][last];
      for (let i = parents.length - 1; i > 0 && Object.keys(parents[i]).length === 0; i--)
        delete parents[i - 1][tokens[i - 1]];
    }
  }
  return result;
}
