// Helpers for the batch documents tests. Nothing here runs on import.
import { sampleCsv } from "../pdf/documents-helpers.ts";

/** The header and `rows` rows of examples/csb-cre-10k.csv, from its data row `from` (0-based). */
export function creRows(rows: number, from = 0): Uint8Array {
  const lines = new TextDecoder().decode(sampleCsv("csb-cre-10k.csv")).split("\n");
  return new TextEncoder().encode(`${[lines[0], ...lines.slice(1 + from, 1 + from + rows)].join("\n")}\n`);
}
