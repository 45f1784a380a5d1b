/**
 * Inputs for the issuance tests that check the whole stored state: generated CSV uploads of every
 * certificate type, each row with its own certificate number, and what each row must become in its
 * credential (worked out from the type's schema here, not by the code under test). Nothing runs on
 * import.
 */
import { getCertificateType, type CertificateTypeSchema, type CellValue, type JsonValue } from "../../../core/index.ts";

/** A seeded pseudo-random generator (mulberry32): `next()` in [0, 1). */
export interface Random {
  readonly seed: number;
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

export type TypeId = "csb-cre" | "csb-blnst" | "fsd-dg-licence" | "fsd-fsi-contractor";
export const ALL_TYPES: readonly TypeId[] = ["csb-cre", "csb-blnst", "fsd-dg-licence", "fsd-fsi-contractor"];

/** One input row and what its certificate must hold. */
export interface InputRow {
  /** 1-based row of its upload. */
  row: number;
  /** The CSV cells, by column. */
  fields: Record<string, string>;
  certificateNumber: string;
  /** The expected `credentialSubject`, exactly. */
  subject: Record<string, JsonValue>;
  /** Period types: the expected `validFrom` / `validUntil` of the credential. */
  validFrom?: string;
  validUntil?: string;
}

/** What an upload answered (`POST /batches`): status and body. */
export interface UploadResponse {
  status: number;
  json: any;
}

/** One upload: its type, issuer, CSV and rows; `response` once it was sent (absent if cut off). */
export interface Upload {
  label: string;
  type: TypeId;
  issuer: string;
  csv: Uint8Array;
  rows: InputRow[];
  response?: UploadResponse;
}

const SURNAMES = ["CHAN", "WONG", "LEE", "CHEUNG", "LAU", "NG", "HO", "LEUNG", "TSANG", "YIP", "LAM", "CHOW"];
const GIVEN = [
  "Tai Man",
  "Siu Ming",
  "Ka Yan",
  "Hiu Tung",
  "Wing Sze",
  "Chi Keung",
  "Mei Ling",
  "Cheuk Hei",
  "Man Yee",
  "Ho Yin",
];
const ZH_SURNAMES = ["陳", "黃", "李", "張", "劉", "吳", "何", "梁", "曾", "葉", "林", "周"];
const ZH_GIVEN = ["大文", "小明", "嘉欣", "曉彤", "詠詩", "志強", "美玲", "卓希", "敏儀", "浩然"];
const DISTRICTS = [
  ["Kwun Tong, Kowloon", "九龍觀塘"],
  ["Tuen Mun, N.T.", "新界屯門"],
  ["Chai Wan, Hong Kong", "香港柴灣"],
  ["Tsuen Wan, N.T.", "新界荃灣"],
] as const;
const DG_ITEMS = [
  "Category 2 (compressed gases): 50 cylinders of liquefied petroleum gas, 50 kg each",
  "Category 5 Class 1 (flammable liquids, flash point below 23°C): 1,000 L",
  "Category 7 (strong supporters of combustion): 500 kg",
  "Category 5 Class 2 (flammable liquids, flash point 23°C to 66°C): 2,500 L",
];
const CONDITIONS = [
  "Quantities shall not exceed those stated on this licence.",
  "No smoking or naked flame within 6 m of the store.",
  "The store shall be kept locked when unattended.",
];

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * `count` rows of `type`, numbered with `tag` (capital letters and digits, 1 to 6 characters) so that no
 * two uploads of a test share a certificate number. Values vary by row so that any row's data differs
 * from any other's in several fields.
 */
export function generateFields(type: TypeId, count: number, tag: string, random: Random): Record<string, string>[] {
  if (!/^[A-Z0-9]{1,6}$/.test(tag)) throw new Error(`bad tag ${tag}`);
  const today = Date.now();
  const day = 86_400_000;
  return Array.from({ length: count }, (_, i): Record<string, string> => {
    const n = String(i + 1).padStart(5, "0");
    const name = {
      name_en: `${random.pick(SURNAMES)} ${random.pick(GIVEN)} ${tag} ${i + 1}`,
      name_zh: `${random.pick(ZH_SURNAMES)}${random.pick(ZH_GIVEN)}`,
      hkid_partial: `${String.fromCharCode(65 + random.int(0, 25))}${String(random.int(0, 999)).padStart(3, "0")}***(*)`,
    };
    switch (type) {
      case "csb-cre":
        return {
          candidate_number: `CRE${tag}${n}`,
          ...name,
          sitting_date: random.pick(["2026-03-14", "2026-06-20", "2026-09-12"]),
          uc_result: random.pick(["L2", "L1", "Fail"]),
          ue_result: random.pick(["L2", "L1", "Fail"]),
          at_result: random.pick(["Pass", "Fail"]),
        };
      case "csb-blnst": {
        const score = random.int(0, 100);
        return {
          candidate_number: `BL${tag}${n}`,
          ...name,
          test_date: random.pick(["2026-04-11", "2026-10-03"]),
          score: String(score),
          result: score >= 50 ? "Pass" : "Fail",
        };
      }
      case "fsd-dg-licence": {
        const [en, zh] = random.pick(DISTRICTS);
        const from = today - random.int(1, 200) * day;
        const items = DG_ITEMS.filter(() => random.next() < 0.5);
        if (items.length === 0) items.push(DG_ITEMS[i % DG_ITEMS.length]);
        return {
          licence_number: `DGL/${tag}/${n}`,
          licensee_en: `${random.pick(SURNAMES)} ${tag}-${i + 1} Trading Co. Ltd.`,
          licensee_zh: `${random.pick(ZH_SURNAMES)}氏${i + 1}號貿易有限公司`,
          premises_en: `Unit ${i + 1}, ${random.int(1, 30)}/F, ${random.int(1, 200)} Hing Yip Street, ${en}`,
          premises_zh: `${zh}興業街${random.int(1, 200)}號${random.int(1, 30)}樓${i + 1}室`,
          dg_items: items.join("; "),
          conditions: CONDITIONS.filter(() => random.next() < 0.6).join(" | "),
          valid_from: isoDay(from),
          valid_until: isoDay(from + 365 * day),
        };
      }
      case "fsd-fsi-contractor": {
        const from = today - random.int(1, 500) * day;
        const classes = ["1", "2", "3"].filter(() => random.next() < 0.6);
        return {
          registration_number: `FSIC/${tag}/${n}`,
          contractor_en: `${random.pick(SURNAMES)} ${tag}-${i + 1} Fire Engineering Limited`,
          contractor_zh: `${random.pick(ZH_SURNAMES)}氏${i + 1}號消防工程有限公司`,
          classes: (classes.length ? classes : ["2"]).join(";"),
          valid_from: isoDay(from),
          valid_until: isoDay(from + 3 * 365 * day),
        };
      }
    }
  });
}

/** RFC 4180 CSV of `rows` with the schema's columns (and validity columns) as the header. */
export function toCsv(schema: CertificateTypeSchema, rows: readonly Record<string, string>[]): Uint8Array {
  const columns = schema.columns.map((c) => c.column);
  if (schema.validity.kind === "period")
    columns.push(schema.validity.validFrom.column, schema.validity.validUntil.column);
  const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const lines = [columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c] ?? "")).join(","))];
  return new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
}

/**
 * What a row must become, from the schema alone: each non-empty cell at its column's path in
 * `credentialSubject` (integers as numbers, lists split at their separator), the type, the certificate
 * number (its column, or the schema's `derive`), and for period types the validity dates (start of the
 * first day and end of the last, Hong Kong time).
 */
export function expectedRow(schema: CertificateTypeSchema, fields: Record<string, string>, row: number): InputRow {
  const subject: Record<string, JsonValue> = { type: schema.id };
  const values: Record<string, CellValue> = {};
  for (const column of schema.columns) {
    const raw = (fields[column.column] ?? "").trim();
    if (raw === "") continue;
    let value: CellValue;
    if (column.kind === "integer") value = Number(raw);
    else if (column.kind === "list") value = raw.split(column.separator).map((item) => item.trim());
    else value = raw;
    values[column.column] = value;
    const tokens = column.path
      .split("/")
      .slice(1)
      .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
    let node = subject;
    for (const token of tokens.slice(0, -1)) node = (node[token] ??= {}) as Record<string, JsonValue>;
    node[tokens.at(-1)!] = value as JsonValue;
  }
  if (schema.certificateNumber) subject.certificateNumber = schema.certificateNumber.derive(values);
  const input: InputRow = { row, fields, certificateNumber: String(subject.certificateNumber), subject };
  if (schema.validity.kind === "period") {
    input.validFrom = `${fields[schema.validity.validFrom.column]}T00:00:00+08:00`;
    input.validUntil = `${fields[schema.validity.validUntil.column]}T23:59:59+08:00`;
  }
  return input;
}

/** An upload of `count` generated rows of `type`, numbered with `tag`. */
export function makeUpload(
  type: TypeId,
  count: number,
  tag: string,
  random: Random,
  label = `${type} ${tag} (${count} rows)`,
): Upload {
  const schema = getCertificateType(type);
  const fields = generateFields(type, count, tag, random);
  return {
    label,
    type,
    issuer: schema.issuer,
    csv: toCsv(schema, fields),
    // Uploaded as CSV: rows as the spreadsheet numbers them, the header being row 1.
    rows: fields.map((f, i) => expectedRow(schema, f, i + 2)),
  };
}
