/**
 * Issue 13, part 3: `validateCsv` under a fuzzer. Seeds are the sample CSVs of `examples/` (the
 * 10,000-row one cut to its first 60 rows), mutated cell by cell (values, including formulas, full
 * HKIDs and over-long text; columns and rows deleted, duplicated, renamed, reordered; cells added or
 * removed) and byte by byte, re-encoded (CRLF, a byte-order mark, UTF-16, Latin-1), validated as their
 * own type or another; and random bytes and CSV-like text. For every input, `validateCsv` never
 * throws (its contract: "Bad input never throws") and its result keeps the contract of `validateCsv.ts`
 * and `ValidationIssue` (`core/errors.ts`):
 * - a file-level refusal (`fileError`) has one of the file-level codes, a message, a `line` (when given)
 *   that is a line of the file, the `columns` for the column codes, and then no records and no errors;
 * - every message is in both languages: non-empty English and Traditional Chinese (with a CJK character);
 * - otherwise every error names a row as a spreadsheet numbers it (the header is row 1, so 2 or more,
 *   and at most the file's line count), and a message;
 *   its `column` is `null` exactly for the row-level codes (COLUMN_COUNT, NOT_AN_OBJECT) and otherwise
 *   one of the type's columns (so every cell problem names its row and column); records and errors are
 *   in row order and no row is both a record and refused;
 * - no message repeats a full HKID, a formula or an over-long value put into a cell.
 * The seed is fixed (`FUZZ_SEED`, `FUZZ_RUNS`, `FUZZ_TIME_MS` override it); every `*.csv` of
 * `regressions/` (named `<type id>__<anything>.csv`) is run through the same checks.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { expect } from "chai";
import { parse } from "csv-parse/sync";
import fc from "fast-check";
import {
  CERTIFICATE_TYPES,
  EMAIL_COLUMN,
  VALIDATION_ISSUE_CODES,
  getCertificateType,
  validateCsv,
} from "../../../core/index.ts";
import { FUZZ_SEED, PROPERTY_TIMEOUT_MS, fuzzParameters, regressionFiles } from "./fuzz-helpers.ts";
import { applyByteOps, byteOp, concat, onceIn } from "./mutations.ts";

const EXAMPLES = new URL("../../../examples/", import.meta.url);
const SAMPLES: { typeId: string; name: string; bytes: Uint8Array }[] = [
  ["csb-cre", "csb-cre.csv"],
  ["csb-cre", "csb-cre-bad-rows.csv"],
  ["csb-cre", "csb-cre-missing-column.csv"],
  ["csb-cre", "csb-cre-not-utf8.csv"],
  ["csb-cre", "csb-cre-10k.csv"],
  ["csb-blnst", "csb-blnst.csv"],
  ["fsd-dg-licence", "fsd-dg-licence.csv"],
  ["fsd-fsi-contractor", "fsd-fsi-contractor.csv"],
].map(([typeId, name]) => {
  let bytes = new Uint8Array(readFileSync(new URL(name, EXAMPLES)));
  if (name.endsWith("-10k.csv")) {
    let newlines = 0;
    const end = bytes.findIndex((b) => b === 0x0a && ++newlines === 61);
    bytes = bytes.slice(0, end + 1);
  }
  return { typeId, name, bytes };
});
/** The samples' cells (parsed once); undefined for the one that is not UTF-8, which only gets byte mutations. */
const SAMPLE_ROWS = SAMPLES.map(({ name, bytes }) =>
  name.endsWith("not-utf8.csv")
    ? undefined
    : (parse(Buffer.from(bytes), { relax_column_count: true, bom: true, skip_empty_lines: false }) as string[][]),
);
const TYPE_IDS = CERTIFICATE_TYPES.map((t) => t.id);
const FILE_CODES = [
  "FILE_TOO_LARGE",
  "EMPTY_FILE",
  "NOT_UTF8",
  "CSV_SYNTAX",
  "MISSING_COLUMNS",
  "UNKNOWN_COLUMNS",
  "DUPLICATE_COLUMNS",
  "NO_ROWS",
  "TOO_MANY_ROWS",
];
const COLUMN_CODES = ["MISSING_COLUMNS", "UNKNOWN_COLUMNS", "DUPLICATE_COLUMNS"];
const ROW_CODES = ["COLUMN_COUNT", "NOT_AN_OBJECT"];

/** Values a cell must never see repeated in a message (`validateCsv`'s contract). */
const SECRET_VALUES = [
  "A123456(7)",
  "A1234567",
  "A 123456 (7)",
  "AB987654(A)",
  "Z 654321 ( 3 )",
  '=HYPERLINK("http://x")',
  "+85291234567",
  "-2+3",
  "@SUM(A1)",
  "\tTAB",
  `${"長".repeat(300)}`,
  `${"W".repeat(5000)}`,
];
/** Other interesting cell values. */
const CELL_VALUES = [
  "",
  " ",
  "  Pass  ",
  "pass",
  "PASS",
  "L1",
  "l1",
  "Fail",
  "2026-02-29",
  "2024-02-29",
  "2026-13-01",
  "0000-00-00",
  "2026-9-1",
  "99",
  "-1",
  "0",
  "007",
  "1e2",
  "65.0",
  "9".repeat(30),
  "A123***(*)",
  "a123***(*)",
  "A1234***(*)",
  "CRE2026000001",
  "DGL/2026/00001",
  "FSIC/6421/001",
  "1;2;3",
  "1;1",
  ";",
  "1;2;3;4;5;6;7;8;9;10",
  "\u202eevil",
  "\u200b",
  "a\u0000b",
  "\u00a0",
  "\u3000",
  "é",
  "e\u0301",
  "𡃁",
  "\ud800",
  '"',
  '""',
  ",",
  "\n",
  "\r\n",
  "a\nb",
  "\ufeff",
  "NULL",
  "undefined",
  "__proto__",
];

/** A row-and-column view of a CSV and what to do to it. */
type CellOp =
  | { kind: "set"; row: number; column: number; value: string }
  | { kind: "deleteColumn" | "duplicateColumn" | "swapColumns"; column: number }
  | { kind: "renameColumn"; column: number; value: string }
  | { kind: "deleteRow" | "duplicateRow" | "blankRow" | "dropCell" | "addCell"; row: number; value: string };

const anyCell = fc.oneof(
  fc.constantFrom(...CELL_VALUES),
  fc.constantFrom(...SECRET_VALUES),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
);
const cellOp: fc.Arbitrary<CellOp> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({ kind: fc.constant("set" as const), row: fc.nat(), column: fc.nat(), value: anyCell }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom("deleteColumn" as const, "duplicateColumn" as const, "swapColumns" as const),
      column: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("renameColumn" as const),
      column: fc.nat(),
      value: fc.oneof(anyCell, fc.constantFrom(" name_en ", "NAME_EN", "valid_from", "score")),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        "deleteRow" as const,
        "duplicateRow" as const,
        "blankRow" as const,
        "dropCell" as const,
        "addCell" as const,
      ),
      row: fc.nat(),
      value: anyCell,
    }),
  },
);

function applyCellOp(rows: string[][], op: CellOp): string[][] {
  const width = Math.max(1, rows[0]?.length ?? 1);
  const r = "row" in op ? op.row % Math.max(1, rows.length) : 0;
  const c = "column" in op ? op.column % width : 0;
  const out = rows.map((cells) => [...cells]);
  switch (op.kind) {
    case "set": {
      // A data cell (the header is changed by renameColumn).
      const d = rows.length > 1 ? 1 + (op.row % (rows.length - 1)) : 0;
      if (out[d]) out[d][c] = op.value;
      return out;
    }
    case "deleteColumn":
      return out.map((cells) => cells.filter((_, i) => i !== c));
    case "duplicateColumn":
      return out.map((cells) => [...cells.slice(0, c + 1), ...cells.slice(c)]);
    case "swapColumns":
      return out.map((cells) => {
        const d = (c + 1) % cells.length;
        [cells[c], cells[d]] = [cells[d], cells[c]];
        return cells;
      });
    case "renameColumn":
      if (out[0]) out[0][c] = op.value;
      return out;
    case "deleteRow":
      return out.filter((_, i) => i !== r);
    case "duplicateRow":
      return [...out.slice(0, r + 1), ...out.slice(r)];
    case "blankRow":
      return [...out.slice(0, r), out[0].map(() => ""), ...out.slice(r)];
    case "dropCell":
      out[r]?.pop();
      return out;
    case "addCell":
      out[r]?.push(op.value);
      return out;
  }
}

const quoteCell = (value: string) => (/[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/** The secret values the ops put into cells that are data cells at the end (not in the header). */
function secretsOf(ops: readonly CellOp[], rows: readonly string[][]): string[] {
  const header = rows[0] ?? [];
  return ops.flatMap((op) =>
    op.kind === "set" && SECRET_VALUES.includes(op.value) && !header.some((name) => name.includes(op.value))
      ? [op.value]
      : [],
  );
}

const counts: Record<string, { inputs: number; ms: number; max: number; outcomes: Map<string, number> }> = {};

/** Checks one input against the contract (see the module comment). */
function check(property: string, bytes: Uint8Array, typeId: string, secrets: readonly string[] = []): void {
  try {
    checkContract(property, bytes, typeId, secrets);
  } catch (error) {
    // The input as a file, to copy to regressions/ once the bug is fixed.
    const name = `${typeId}__fuzz-${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}.csv`;
    const file = path.join(tmpdir(), name);
    writeFileSync(file, bytes);
    throw new Error(`${(error as Error).message} (input saved to ${file})`, { cause: error });
  }
}

function checkContract(property: string, bytes: Uint8Array, typeId: string, secrets: readonly string[]): void {
  const entry = (counts[property] ??= { inputs: 0, ms: 0, max: 0, outcomes: new Map() });
  const started = performance.now();
  let result;
  try {
    result = validateCsv(bytes, typeId);
  } finally {
    const elapsed = performance.now() - started;
    entry.inputs++;
    entry.ms += elapsed;
    entry.max = Math.max(entry.max, elapsed);
  }
  const outcome = result.fileError ? result.fileError.code : result.errors.length > 0 ? "row errors" : "all rows valid";
  entry.outcomes.set(outcome, (entry.outcomes.get(outcome) ?? 0) + 1);
  const lines =
    bytes.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 1) + bytes.reduce((n, b) => n + (b === 0x0d ? 1 : 0), 0);
  const say = (what: string) =>
    `${what}: ${JSON.stringify({ fileError: result.fileError, errors: result.errors.slice(0, 5) })}`;
  const columns = new Set(getCertificateType(typeId).columns.map((c) => c.column));
  const validity = getCertificateType(typeId).validity;
  if (validity.kind === "period") columns.add(validity.validFrom.column).add(validity.validUntil.column);
  columns.add(EMAIL_COLUMN);
  const bilingual = (message: { en: string; "zh-HK": string }, what: string) => {
    expect(message.en, say(`${what} in English`))
      .to.be.a("string")
      .and.not.equal("");
    expect(message["zh-HK"], say(`${what} in Chinese`))
      .to.be.a("string")
      .and.match(/\p{Script=Han}/u);
  };

  const messages: string[] = [];
  if (result.fileError) {
    const e = result.fileError;
    expect(FILE_CODES, say("a file-level code")).to.include(e.code);
    bilingual(e.message, "a message");
    if (e.line !== undefined)
      expect(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines, say("a line of the file")).to.equal(true);
    if (COLUMN_CODES.includes(e.code)) expect(e.columns?.length, say("the columns named")).to.be.above(0);
    expect(result.records, say("no records with a file error")).to.deep.equal([]);
    expect(result.errors, say("no errors with a file error")).to.deep.equal([]);
    messages.push(e.message.en, e.message["zh-HK"]);
  } else {
    let previous = 0;
    const refused = new Set<number>();
    for (const e of result.errors) {
      expect(VALIDATION_ISSUE_CODES, say("a known code")).to.include(e.code);
      expect(FILE_CODES, say("not a file-level code")).to.not.include(e.code);
      expect(
        Number.isInteger(e.row) && e.row >= 2 && e.row <= lines,
        say("a row after the header (row 1), no further than the file's lines"),
      ).to.equal(true);
      expect(e.row >= previous, say("errors in row order")).to.equal(true);
      previous = e.row;
      if (ROW_CODES.includes(e.code)) expect(e.column, say("no column for a row problem")).to.equal(null);
      else expect(columns.has(e.column as string), say(`a column of ${typeId} for a cell problem`)).to.equal(true);
      bilingual(e.message, "a message");
      refused.add(e.row);
      messages.push(e.message.en, e.message["zh-HK"]);
    }
    let last = 0;
    for (const record of result.records) {
      expect(record.row > last, say("records in row order")).to.equal(true);
      expect(refused.has(record.row), say(`row ${record.row} both accepted and refused`)).to.equal(false);
      last = record.row;
    }
  }
  for (const secret of secrets) {
    for (const message of messages)
      expect(message.includes(secret), say(`a message repeats ${JSON.stringify(secret)}`)).to.equal(false);
  }
}

describe("fuzz: validateCsv never throws, and every problem it reports names its row and column", function () {
  this.timeout(PROPERTY_TIMEOUT_MS);

  after(function () {
    const total = Object.values(counts).reduce((n, c) => n + c.inputs, 0);
    const lines = Object.entries(counts).map(([name, c]) => {
      const top = [...c.outcomes].sort((a, b) => b[1] - a[1]).slice(0, 5);
      return `    ${name}: ${c.inputs} inputs in ${(c.ms / 1000).toFixed(1)} s, slowest ${c.max.toFixed(1)} ms (${top.map(([v, n]) => `${v} ${n}`).join(", ")})`;
    });
    console.log(`  fuzz (seed ${FUZZ_SEED}): validateCsv, ${total} inputs\n${lines.join("\n")}`);
  });

  function run<T>(arbitrary: fc.Arbitrary<T>, runs: number, predicate: (value: T) => void) {
    const parameters = fuzzParameters(runs);
    const details = fc.check(fc.property(arbitrary, predicate), parameters);
    if (details.failed) throw new Error(`${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`);
    expect(details.numRuns, "inputs run within the time box").to.be.at.least(Math.ceil(parameters.numRuns / 10));
  }

  it("sample CSVs with cells, columns and rows changed, bytes mutated, re-encoded, read as any type", function () {
    const CSV_TOKENS = [
      ",",
      '"',
      '""',
      "\n",
      "\r\n",
      "\r",
      "=",
      "+",
      "-",
      "@",
      "\t",
      "\ufeff",
      "\0",
      "\u202e",
      ";",
      " ",
      "\u00a5\u00a5",
      "\ud800",
    ].map((t) => new TextEncoder().encode(t));
    const plan = fc.record({
      sample: fc.nat({ max: SAMPLES.length - 1 }),
      otherType: onceIn(12, fc.constantFrom(...TYPE_IDS)),
      ops: fc.array(cellOp, { minLength: 1, maxLength: 4 }),
      byteOps: onceIn(4, fc.array(byteOp(SAMPLES.length), { minLength: 1, maxLength: 2 }), []),
      token: onceIn(
        5,
        fc.tuple(fc.constantFrom(...CSV_TOKENS), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
      ),
      encoding: fc.constantFrom(...Array<string>(12).fill("utf8"), "crlf", "bom", "utf16le", "latin1"),
    });
    run(plan, 5000, ({ sample, otherType, ops, byteOps, token, encoding }) => {
      const seed = SAMPLES[sample];
      let bytes = seed.bytes;
      let secrets: string[] = [];
      let rows = SAMPLE_ROWS[sample];
      if (rows) {
        rows = ops.reduce(applyCellOp, rows);
        // A secret that ends up in the header row is a column name (echoed, cut short); only data cells count.
        secrets = secretsOf(ops, rows);
        const text =
          rows.map((cells) => cells.map(quoteCell).join(",")).join(encoding === "crlf" ? "\r\n" : "\n") + "\n";
        bytes =
          encoding === "utf16le"
            ? new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]))
            : encoding === "latin1"
              ? new Uint8Array(Buffer.from(text, "latin1"))
              : new TextEncoder().encode((encoding === "bom" ? "\ufeff" : "") + text);
      }
      if (token) {
        const at = Math.floor(token[1] * (bytes.length + 1));
        bytes = concat([bytes.subarray(0, at), token[0], bytes.subarray(at)]);
      }
      if (byteOps.length > 0) {
        bytes = applyByteOps(
          bytes,
          byteOps,
          SAMPLES.map((s) => s.bytes),
        );
        secrets = []; // a byte change may cut a secret into something else
      }
      check("mutated CSVs", bytes, otherType ?? seed.typeId, otherType ? [] : secrets);
    });
  });

  it("random bytes and CSV-like text, for every type", function () {
    const csvLike = fc
      .array(
        fc.array(fc.oneof(fc.constantFrom(...CELL_VALUES, ...SECRET_VALUES), fc.string({ maxLength: 8 })), {
          maxLength: 10,
        }),
        { maxLength: 12 },
      )
      .chain((rows) =>
        fc.constantFrom(...TYPE_IDS).map((typeId) => {
          const header = [...getCertificateType(typeId).columns.map((c) => c.column), "valid_from", "valid_until"];
          return { typeId, text: [header, ...rows].map((cells) => cells.map(quoteCell).join(",")).join("\n") };
        }),
      );
    const input = fc.oneof(
      fc.tuple(fc.constantFrom(...TYPE_IDS), fc.uint8Array({ maxLength: 1024 })),
      fc.tuple(
        fc.constantFrom(...TYPE_IDS),
        fc.string({ unit: "binary", maxLength: 400 }).map((s) => new TextEncoder().encode(s)),
      ),
      csvLike.map(({ typeId, text }) => [typeId, new TextEncoder().encode(text)] as [string, Uint8Array]),
    );
    run(input, 3000, ([typeId, bytes]) => check("random", bytes, typeId));
  });

  it("regressions/: every kept CSV", function () {
    for (const { name, bytes } of regressionFiles(".csv")) {
      const typeId = name.split("__")[0];
      expect(TYPE_IDS, `${name}: <type id>__<anything>.csv`).to.include(typeId);
      // The secrets the file holds must not come back in a message either.
      const text = new TextDecoder().decode(bytes);
      check(
        "regressions",
        bytes,
        typeId,
        SECRET_VALUES.filter((secret) => text.includes(secret)),
      );
    }
  });
});
