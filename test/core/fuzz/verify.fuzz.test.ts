/**
 * Issue 13, part 3: `verify` under a fuzzer. Seeds are real artefacts (`fixtures/`: signed PDFs,
 * credentials, QR URLs, the registry's recorded answers; see `record-fixtures.ts`), so no chain runs.
 * For every input, whatever it is:
 * - `verify` resolves (never throws, never rejects) with one of the statuses, within 1 s;
 * - it is VALID only when the input is exactly a genuine document (`oracle.ts` says precisely which
 *   inputs those are: every other one, a PDF with any byte changed, added or removed, a credential whose
 *   parsed value differs or that names a member twice, a URL that decodes to anything else, is not VALID).
 * The seed is fixed (`FUZZ_SEED`, `FUZZ_RUNS`, `FUZZ_TIME_MS` override it: see `fuzz-helpers.ts`); every
 * file of `regressions/` is run through the same checks.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { expect } from "chai";
import fc from "fast-check";
import { VERIFICATION_STATUSES, verify, type VerifyOptions } from "../../../core/index.ts";
import { appendIncrementalUpdate, replaceEmbeddedText } from "../../helpers/pdf-surgery.ts";
import {
  FUZZ_SEED,
  PROPERTY_TIMEOUT_MS,
  decodeInput,
  encodeInput,
  fuzzParameters,
  loadArtefacts,
  recordedOptions,
  regressionFiles,
} from "./fuzz-helpers.ts";
import {
  TOKENS,
  applyByteOps,
  applyJsonOp,
  applyUrlOp,
  byteOp,
  jsonOp,
  onceIn,
  serialise,
  toTree,
  urlOp,
} from "./mutations.ts";
import { mayBeValid, type Genuine } from "./oracle.ts";

const artefacts = loadArtefacts();
const pdfs = artefacts.pdfs.map((p) => p.bytes);
const credentialTexts = artefacts.credentials.map((c) => JSON.stringify(c));
const genuine: Genuine = { pdfs, credentials: artefacts.credentials };
const encoder = new TextEncoder();
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

/** Where in each PDF targeted mutations land: the /ByteRange array, the /Contents hex string, the attachment. */
const windows = pdfs.map((pdf) => {
  const text = latin1(pdf);
  const byteRange = text.indexOf("/ByteRange");
  const [, , b, c] = (/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text) ?? []).slice(1).map(Number);
  const attachment = text.indexOf("/Type /EmbeddedFile");
  return [
    { from: byteRange, to: byteRange + 40 },
    { from: b, to: c },
    { from: attachment - 200, to: attachment + 1500 },
  ];
});

const MAX_MS_PER_INPUT = 1000;
const counts: Record<string, { inputs: number; ms: number; max: number; verdicts: Map<string, number> }> = {};

/**
 * The input as a file, for the message of a failure: copy it to `regressions/` to keep it (`.bin` for
 * bytes, `.url.txt` for text, `.input.json` for any other value, see `encodeInput`).
 */
function saveFailure(input: unknown): string {
  const [data, extension] =
    input instanceof Uint8Array
      ? [input, "bin"]
      : typeof input === "string"
        ? [encoder.encode(input), "url.txt"]
        : [encoder.encode(encodeInput(input)), "input.json"];
  const name = `ecert-fuzz-${createHash("sha256").update(data).digest("hex").slice(0, 12)}.${extension}`;
  const file = path.join(tmpdir(), name);
  writeFileSync(file, data);
  return file;
}

describe("fuzz: verify never throws, answers within 1 s, and is VALID only for a genuine document", function () {
  this.timeout(PROPERTY_TIMEOUT_MS);
  let options: VerifyOptions;

  before(async function () {
    options = recordedOptions(artefacts.chain);
    for (const input of [...pdfs, ...artefacts.credentials.map((credential) => ({ credential })), ...artefacts.urls]) {
      const result = await verify(input, options);
      expect(result.status, JSON.stringify(result.reasons)).to.equal("VALID");
    }
  });

  after(function () {
    const total = Object.values(counts).reduce((n, c) => n + c.inputs, 0);
    const lines = Object.entries(counts).map(([name, c]) => {
      const top = [...c.verdicts].sort((a, b) => b[1] - a[1]).slice(0, 4);
      return `    ${name}: ${c.inputs} inputs in ${(c.ms / 1000).toFixed(1)} s, slowest ${c.max.toFixed(1)} ms (${top.map(([v, n]) => `${v} ${n}`).join(", ")})`;
    });
    console.log(`  fuzz (seed ${FUZZ_SEED}): verify, ${total} inputs\n${lines.join("\n")}`);
  });

  async function check(property: string, input: unknown): Promise<void> {
    const entry = (counts[property] ??= { inputs: 0, ms: 0, max: 0, verdicts: new Map() });
    const started = performance.now();
    let result;
    try {
      result = await verify(input as never, options);
    } catch (error) {
      throw new Error(`verify threw ${String(error)} (input saved to ${saveFailure(input)})`, { cause: error });
    } finally {
      const elapsed = performance.now() - started;
      entry.inputs++;
      entry.ms += elapsed;
      entry.max = Math.max(entry.max, elapsed);
    }
    const ms = performance.now() - started;
    const verdict = `${result.status} ${result.reasons.join("+")}`.trim();
    entry.verdicts.set(verdict, (entry.verdicts.get(verdict) ?? 0) + 1);
    const problem =
      ms > MAX_MS_PER_INPUT
        ? `took ${Math.round(ms)} ms`
        : !VERIFICATION_STATUSES.includes(result.status)
          ? `answered the status ${String(result.status)}`
          : result.status === "VALID" && !mayBeValid(input, genuine)
            ? "answered VALID for a changed document"
            : undefined;
    if (problem) throw new Error(`verify ${problem} (input saved to ${saveFailure(input)})`);
  }

  /** Runs a property and checks it ran at least a tenth of its inputs in its time box. */
  async function run<T>(arbitrary: fc.Arbitrary<T>, runs: number, predicate: (value: T) => Promise<void>) {
    const parameters = fuzzParameters(runs);
    const details = await fc.check(fc.asyncProperty(arbitrary, predicate), parameters);
    if (details.failed) throw new Error(`${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`);
    expect(details.numRuns, "inputs run within the time box").to.be.at.least(Math.ceil(parameters.numRuns / 10));
  }

  it("PDFs: signed certificates with bytes flipped, inserted, deleted, duplicated, cut, spliced, forged", async function () {
    const targeted = fc.record({
      window: fc.nat({ max: 2 }),
      at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      bytes: fc.oneof(fc.constantFrom(...TOKENS), fc.uint8Array({ minLength: 1, maxLength: 4 })),
      insert: fc.boolean(),
    });
    const plan = fc.record({
      seed: fc.nat({ max: pdfs.length - 1 }),
      target: onceIn(3, targeted),
      ops: fc.array(byteOp(pdfs.length), { minLength: 1, maxLength: 3 }),
      forge: onceIn(6, fc.tuple(fc.nat(), jsonOp)),
      form: fc.constantFrom("bytes", "bytes", "bytes", "tagged", "buffer"),
    });
    await run(plan, 5000, async ({ seed, target, ops, forge, form }) => {
      let bytes = pdfs[seed];
      if (forge) {
        // The embedded credential replaced in place by a changed one (the PDF still opens).
        const [which, op] = forge;
        const text = serialise(applyJsonOp(toTree(JSON.parse(credentialTexts[which % credentialTexts.length])), op));
        try {
          bytes = replaceEmbeddedText(bytes, text);
        } catch {
          bytes = appendIncrementalUpdate(bytes);
        }
      }
      if (target) {
        const w = windows[seed][target.window];
        const at = Math.floor(w.from + target.at * (w.to - w.from));
        const tail = bytes.subarray(target.insert ? at : Math.min(bytes.length, at + target.bytes.length));
        const out = new Uint8Array(at + target.bytes.length + tail.length);
        out.set(bytes.subarray(0, at));
        out.set(target.bytes, at);
        out.set(tail, at + target.bytes.length);
        bytes = out;
      }
      bytes = applyByteOps(bytes, ops, pdfs);
      const input = form === "tagged" ? { pdf: bytes } : form === "buffer" ? bytes.slice().buffer : bytes;
      await check("PDFs", input);
    });
  });

  it("credentials: values, keys and members changed, added, removed, duplicated; text bytes changed", async function () {
    const plan = fc.record({
      seed: fc.nat({ max: credentialTexts.length - 1 }),
      ops: fc.array(jsonOp, { minLength: 1, maxLength: 3 }),
      indent: fc.constantFrom(0, 0, 2),
      textOps: fc.array(byteOp(credentialTexts.length), { maxLength: 2 }),
      form: fc.constantFrom("text", "tagged-text", "tagged-object", "object", "bytes"),
    });
    const seeds = credentialTexts.map((t) => encoder.encode(t));
    await run(plan, 5000, async ({ seed, ops, indent, textOps, form }) => {
      const tree = ops.reduce(applyJsonOp, toTree(JSON.parse(credentialTexts[seed])));
      const bytes = applyByteOps(encoder.encode(serialise(tree, indent)), textOps, seeds);
      const text = new TextDecoder().decode(bytes);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // the object forms get the text when it is not JSON any more
      }
      const input =
        form === "text"
          ? text
          : form === "tagged-text"
            ? { credential: text }
            : form === "tagged-object"
              ? { credential: parsed }
              : form === "object"
                ? parsed
                : bytes;
      await check("credentials", input);
    });
  });

  it("QR / verifier URLs: fragment characters, version, host, query and white space changed", async function () {
    const plan = fc.record({
      seed: fc.nat({ max: artefacts.urls.length - 1 }),
      ops: fc.array(urlOp, { minLength: 1, maxLength: 3 }),
      splice: onceIn(8, fc.tuple(fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }))),
      form: fc.constantFrom("text", "text", "tagged", "bytes", "bare"),
    });
    await run(plan, 4000, async ({ seed, ops, splice, form }) => {
      let url = artefacts.urls[seed];
      if (splice) {
        // The head of one payload with the tail of another.
        const other = artefacts.urls[splice[0] % artefacts.urls.length];
        const cut = Math.floor(splice[1] * url.length);
        url = url.slice(0, cut) + other.slice(cut);
      }
      url = ops.reduce(applyUrlOp, url);
      const input =
        form === "tagged"
          ? { url }
          : form === "bytes"
            ? encoder.encode(url)
            : form === "bare"
              ? url.slice(url.indexOf("#") + 1)
              : url;
      await check("URLs", input);
    });
  });

  it("random inputs: bytes, PDF-like token soup, text, JSON values, any JavaScript value", async function () {
    const pdfSoup = fc
      .array(fc.oneof(fc.constantFrom(...TOKENS), fc.uint8Array({ maxLength: 12 })), { maxLength: 60 })
      .map((parts) => {
        const all = [encoder.encode("%PDF-1.7\n"), ...parts];
        const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of all) {
          out.set(p, at);
          at += p.length;
        }
        return out;
      });
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      pdfSoup,
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.string({ maxLength: 300 }).map((s) => `{${s}`),
      fc.stringMatching(/^[0-9]{0,400}$/).map((d) => `https://verify.ecert.gov.hk/#1-${d}`),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,400}$/).map((d) => `1.${d}`),
      fc.jsonValue({ maxDepth: 4 }),
      fc.jsonValue({ maxDepth: 3 }).map((credential) => ({ credential })),
      fc.anything({ maxDepth: 3, withTypedArray: true, withMap: true, withSet: true, withDate: true }),
      fc.anything({ maxDepth: 2 }).map((v) => ({ pdf: v })),
      fc.anything({ maxDepth: 2 }).map((v) => ({ url: v })),
      fc.anything({ maxDepth: 2 }).map((v) => ({ credential: v })),
    );
    await run(input, 3000, async (value) => check("random", value));
  });

  it("regressions/: every kept input", async function () {
    // *.pdf and *.bin: bytes, also as { pdf }; *.credential.json: credential text, also as { credential }
    // and bytes; *.url.txt: a URL or payload, also as { url }; *.input.json: any value (`decodeInput`).
    const forms = (name: string, bytes: Uint8Array): unknown[] => {
      const text = new TextDecoder().decode(bytes);
      if (name.endsWith(".input.json")) return [decodeInput(text)];
      if (name.endsWith(".credential.json")) return [text, { credential: text }, bytes];
      if (name.endsWith(".url.txt")) return [text, { url: text }];
      return [bytes, { pdf: bytes }];
    };
    const files = [".pdf", ".bin", ".credential.json", ".url.txt", ".input.json"].flatMap(regressionFiles);
    expect(files.length, "the corpus").to.be.above(0);
    for (const { name, bytes } of files) for (const input of forms(name, bytes)) await check("regressions", input);
  });
});
