/**
 * What the officer's search (`GET /api/v1/certificates?q=`) reads of a certificate: the claims its type's
 * schema marks `searchable` (`core/types/schema.ts`), kept beside the certificate as `searchJson`.
 */
import { pathTokens } from "../../core/types/index.ts";
import type { CertificateTypeSchema, SearchField } from "../../core/types/schema.ts";

/** Every search field, in the order `searchJson` holds them. */
export const SEARCH_FIELDS: readonly SearchField[] = ["name", "candidateNumber"];

/**
 * The search fields of one certificate, as JSON text: for each field, the subject's member at the first
 * token of the path of the first `searchable` column of that field that has a value (the whole
 * `{ en, zh-HK }` name for `/name/en`); a field no column gives a value is left out.
 *
 * @example
 * searchJson(getCertificateType("csb-cre"), subject); // '{"name":{"en":"CHAN Tai Man","zh-HK":"陳大文"},"candidateNumber":"A1234567"}'
 */
export function searchJson(schema: CertificateTypeSchema, subject: Readonly<Record<string, unknown>>): string {
  const fields: Partial<Record<SearchField, unknown>> = {};
  for (const field of SEARCH_FIELDS) {
    for (const column of schema.columns) {
      if (column.searchable !== field) continue;
      const value = subject[pathTokens(column.path)[0]];
      if (value !== undefined && value !== null) {
        fields[field] = value;
        break;
      }
    }
  }
  return JSON.stringify(fields);
}
