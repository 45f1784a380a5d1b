/**
 * The fields of the QR payload (`core/qr/format.ts`): times (`validFrom`, `validUntil`) and claim
 * values (integers, strings, enums, dates, lists, a derived certificate number), written and read.
 */
import type { ClaimSlot } from "../credential.ts";
import type { CertificateTypeSchema, ColumnSchema, RowValues } from "../types/index.ts";
import type { Reader, Writer } from "./byte-codec.ts";
import { isoDay, isoSeconds } from "../time.ts";
import {
  CERTIFICATE_NUMBER,
  DAY_MS,
  DAYS_1900_TO_1970,
  MAX_DAYS_1900,
  MAX_DAYS_1970,
  MAX_SECONDS,
  MAX_ZIGZAG,
  TIME_HK_DAY_END,
  TIME_HK_DAY_START,
  TIME_LITERAL,
  TIME_UTC_SECONDS,
  malformed,
} from "./format.ts";

// ----- times --------------------------------------------------------------------------------------

export function writeTime(w: Writer, value: string): void {
  const day = /^(\d{4}-\d{2}-\d{2})T(00:00:00|23:59:59)\+08:00$/.exec(value);
  if (day) {
    const ms = Date.parse(`${day[1]}T00:00:00Z`);
    const days = ms / DAY_MS;
    if (Number.isSafeInteger(days) && days >= 0 && days <= MAX_DAYS_1970 && isoDay(days) === day[1]) {
      w.varint(days * 4 + (day[2] === "00:00:00" ? TIME_HK_DAY_START : TIME_HK_DAY_END));
      return;
    }
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)) {
    const seconds = Date.parse(value) / 1000;
    if (Number.isSafeInteger(seconds) && seconds >= 0 && seconds <= MAX_SECONDS && isoSeconds(seconds) === value) {
      w.varint(seconds * 4 + TIME_UTC_SECONDS);
      return;
    }
  }
  const bytes = w.utf8(value);
  w.varint(bytes.length * 4 + TIME_LITERAL);
  w.raw(bytes);
}

export function readTime(r: Reader, what: string): string {
  const t = r.varint(what);
  const tag = t % 4;
  const n = (t - tag) / 4;
  switch (tag) {
    case TIME_LITERAL:
      return r.utf8(n, what);
    case TIME_UTC_SECONDS:
      if (n > MAX_SECONDS) malformed(`The credential payload has ${what} after the year 9999`);
      return isoSeconds(n);
    default:
      if (n > MAX_DAYS_1970) malformed(`The credential payload has ${what} after the year 9999`);
      return `${isoDay(n)}T${tag === TIME_HK_DAY_START ? "00:00:00" : "23:59:59"}+08:00`;
  }
}

// ----- values -------------------------------------------------------------------------------------

/** Options for one string: enum values (written as their index) or a date column. */
type StringKind = { enumValues?: readonly string[]; date?: boolean };

function stringKindOf(column: ColumnSchema | undefined): StringKind {
  if (column?.kind === "enum") return { enumValues: column.values };
  if (column?.kind === "list" && column.item.kind === "enum") return { enumValues: column.item.values };
  if (column?.kind === "date") return { date: true };
  return {};
}

function writeString(w: Writer, value: string, kind: StringKind): void {
  if (kind.enumValues) {
    const index = kind.enumValues.indexOf(value);
    if (index >= 0) w.varint(index);
    else w.string(value, kind.enumValues.length);
  } else if (kind.date) {
    const days = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) / DAY_MS + DAYS_1900_TO_1970 : -1;
    if (
      Number.isSafeInteger(days) &&
      days >= 0 &&
      days <= MAX_DAYS_1900 &&
      isoDay(days - DAYS_1900_TO_1970) === value
    ) {
      w.varint(days + 1);
    } else {
      w.varint(0);
      w.string(value);
    }
  } else {
    w.string(value);
  }
}

function readString(r: Reader, kind: StringKind, what: string): string {
  if (kind.enumValues) {
    const k = r.varint(what, kind.enumValues.length + r.bytes.length);
    return k < kind.enumValues.length ? kind.enumValues[k] : r.utf8(k - kind.enumValues.length, what);
  }
  if (kind.date) {
    const d = r.varint(what, MAX_DAYS_1900 + 1);
    return d === 0 ? r.string(what) : isoDay(d - 1 - DAYS_1900_TO_1970);
  }
  return r.string(what);
}

/** The values a certificate-number derivation reads: disclosed subject claims by column name. */
function rowValuesOf(schema: CertificateTypeSchema, claims: ReadonlyMap<string, unknown>): RowValues {
  const values: Record<string, string | number | readonly string[]> = {};
  for (const column of schema.columns) {
    const value = claims.get("/credentialSubject" + column.path);
    if (value !== undefined) values[column.column] = value as string | number | readonly string[];
  }
  return values;
}

export function derivedCertificateNumber(
  schema: CertificateTypeSchema,
  claims: ReadonlyMap<string, unknown>,
): string | undefined {
  if (!schema.certificateNumber) return undefined;
  try {
    const number: unknown = schema.certificateNumber.derive(rowValuesOf(schema, claims));
    return typeof number === "string" ? number : undefined;
  } catch {
    return undefined;
  }
}

export function writeValue(
  w: Writer,
  slot: ClaimSlot,
  value: unknown,
  schema: CertificateTypeSchema,
  claims: ReadonlyMap<string, unknown>,
): void {
  if (slot.pointer === CERTIFICATE_NUMBER && schema.certificateNumber) {
    if (derivedCertificateNumber(schema, claims) === value) w.varint(0);
    else w.string(value as string, 1);
    return;
  }
  const kind = stringKindOf(slot.column);
  switch (slot.value) {
    case "integer": {
      // Zigzag codes of safe integers reach 2^54 - 1: computed and written as a bigint, exactly.
      const n = BigInt(value as number);
      w.bigVarint(n >= 0n ? 2n * n : -2n * n - 1n);
      return;
    }
    case "string[]":
      w.varint((value as string[]).length);
      for (const item of value as string[]) writeString(w, item, kind);
      return;
    case "string":
      writeString(w, value as string, kind);
  }
}

/** Reads a value; `undefined` for a certificate number the schema derives (filled in afterwards). */
export function readValue(r: Reader, slot: ClaimSlot, schema: CertificateTypeSchema): unknown {
  const what = slot.pointer;
  if (slot.pointer === CERTIFICATE_NUMBER && schema.certificateNumber) {
    const t = r.varint(what, r.bytes.length + 1);
    return t === 0 ? undefined : r.utf8(t - 1, what);
  }
  const kind = stringKindOf(slot.column);
  switch (slot.value) {
    case "integer": {
      const z = r.bigVarint(what, MAX_ZIGZAG);
      return Number(z % 2n === 0n ? z / 2n : -(z + 1n) / 2n);
    }
    case "string[]": {
      const count = r.varint(what, r.bytes.length);
      const items: string[] = [];
      for (let i = 0; i < count; i++) items.push(readString(r, kind, what));
      return items;
    }
    case "string":
      return readString(r, kind, what);
  }
}
