/**
 * The registry of certificate types. To add a type: write `core/types/<id>.ts` (see `schema.ts`), add it
 * to {@link CERTIFICATE_TYPES} below, and add its PDF template. Every schema is checked for consistency
 * when this module loads, so a mistake in a new schema fails every test at once, not one upload later.
 */
import { CoreError } from "../errors.ts";
import type { CertificateTypeSchema } from "./schema.ts";
import csbBlnst from "./csb-blnst.ts";
import csbCre from "./csb-cre.ts";
import fsdDgLicence from "./fsd-dg-licence.ts";
import fsdFsiContractor from "./fsd-fsi-contractor.ts";

export type * from "./schema.ts";
export { defineCertificateType } from "./schema.ts";

/**
 * The optional contact column every CSV upload and JSON record may have, whatever the type: the
 * candidate's e-mail address, for telling them their certificate exists. It is never part of a
 * credential or of the search fields, so no type may define a column of that name.
 */
export const EMAIL_COLUMN = "email";
/** The label of {@link EMAIL_COLUMN}. */
export const EMAIL_LABEL = { en: "E-mail address", "zh-HK": "電郵地址" } as const;

/** Every certificate type, in display order. */
export const CERTIFICATE_TYPES: readonly CertificateTypeSchema[] = [csbCre, csbBlnst, fsdDgLicence, fsdFsiContractor];

/** Pointer tokens of a schema path (`/name/en` -> `["name", "en"]`), per RFC 6901. */
export function pathTokens(path: string): string[] {
  return path
    .split("/")
    .slice(1)
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/**
 * Throws `CoreError("INVALID_SCHEMA")` when a schema is inconsistent: duplicate or malformed column
 * names or paths, a path inside another path, no certificate number or two, a key column that does
 * not exist, an enum value longer than the column allows, and so on.
 *
 * @example
 * ```ts
 * assertValidSchema(myNewType); // at load, in tests
 * ```
 */
export function assertValidSchema(schema: CertificateTypeSchema): void {
  const fail = (message: string): never => {
    throw new CoreError("INVALID_SCHEMA", `Certificate type ${schema.id}: ${message}`);
  };
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(schema.id)) fail("the id must be lowercase words joined by -");
  if (!Number.isSafeInteger(schema.version) || schema.version < 1) fail("the version must be a positive integer");
  if (!/^[A-Z0-9]{2,16}$/.test(schema.issuer)) fail("the issuer id must be 2 to 16 capital letters or digits");
  const names = schema.columns.map((c) => c.column);
  if (schema.validity.kind === "period") names.push(schema.validity.validFrom.column, schema.validity.validUntil.column);
  for (const name of names) if (!/^[a-z][a-z0-9_]*$/.test(name)) fail(`column name ${name} must be snake_case`);
  if (names.includes(EMAIL_COLUMN)) fail(`column name ${EMAIL_COLUMN} is reserved for the contact e-mail address`);
  if (new Set(names).size !== names.length) fail("column names must be unique");
  if (!schema.columns.some((c) => c.column === schema.keyColumn)) fail(`key column ${schema.keyColumn} is not a column`);
  const paths = schema.columns.map((c) => c.path);
  for (const path of paths) {
    if (!/^(\/[^/]+)+$/.test(path)) fail(`path ${path} must be a JSON pointer like /name/en`);
    if (path === "/type") fail("no column may set /type");
  }
  for (const a of paths) {
    for (const b of paths) {
      if (a !== b && b.startsWith(a + "/")) fail(`path ${b} is inside path ${a}`);
    }
  }
  if (new Set(paths).size !== paths.length) fail("column paths must be unique");
  const numberColumns = schema.columns.filter((c) => c.path === "/certificateNumber");
  if (numberColumns.length + (schema.certificateNumber ? 1 : 0) !== 1) {
    fail("exactly one of a /certificateNumber column or certificateNumber.derive must give the certificate number");
  }
  if (numberColumns.some((c) => c.hideable || !c.required)) fail("the certificate number column must be required and not hideable");
  for (const c of schema.columns) {
    if (!Number.isSafeInteger(c.maxLength) || c.maxLength < 1) fail(`${c.column}: maxLength must be a positive integer`);
    if (c.kind === "enum" && (c.values.length === 0 || c.values.some((v) => [...v].length > c.maxLength))) {
      fail(`${c.column}: enum values must be non-empty and fit maxLength`);
    }
    if (c.kind === "integer" && !(Number.isSafeInteger(c.min) && Number.isSafeInteger(c.max) && c.min <= c.max)) {
      fail(`${c.column}: integer bounds must be safe integers with min <= max`);
    }
    if (c.kind === "list" && (c.separator.length === 0 || c.maxItems < 1)) fail(`${c.column}: list needs a separator and maxItems >= 1`);
    if (c.kind === "list" && c.item.kind === "enum" && c.item.values.some((v) => v.includes(c.separator))) {
      fail(`${c.column}: list values must not contain the separator`);
    }
  }
  for (const rule of schema.disclosure ?? []) {
    const columns = rule.atLeastOneOf;
    if (columns.length < 2 || new Set(columns).size !== columns.length) {
      fail("a disclosure rule needs at least two different columns");
    }
    for (const name of columns) {
      const column = schema.columns.find((c) => c.column === name);
      if (!column) fail(`disclosure rule: ${name} is not a column`);
      else if (!column.hideable) fail(`disclosure rule: ${name} is not hideable, so the rule says nothing`);
    }
    if (!rule.reason.en.trim() || !rule.reason["zh-HK"].trim()) fail("a disclosure rule needs its reason in both languages");
  }
}

const byId = new Map<string, CertificateTypeSchema>();
for (const schema of CERTIFICATE_TYPES) {
  assertValidSchema(schema);
  if (byId.has(schema.id)) throw new CoreError("INVALID_SCHEMA", `Certificate type ${schema.id} is listed twice`);
  byId.set(schema.id, schema);
}

/**
 * The schema of a certificate type.
 *
 * @throws CoreError `UNKNOWN_TYPE` when no schema has this id.
 * @example
 * ```ts
 * getCertificateType("csb-cre").title.en; // "Common Recruitment Examination Result"
 * ```
 */
export function getCertificateType(typeId: string): CertificateTypeSchema {
  const schema = typeof typeId === "string" ? byId.get(typeId) : undefined;
  if (!schema) {
    throw new CoreError("UNKNOWN_TYPE", `Unknown certificate type ${JSON.stringify(String(typeId)).slice(0, 60)}`, {
      details: { known: [...byId.keys()] },
    });
  }
  return schema;
}
