/**
 * Shared parts of the fuzz suite (`test/core/fuzz/*.fuzz.test.ts`). Nothing runs on import.
 *
 * - The seed and run counts: fixed by default so CI is reproducible; `FUZZ_SEED`, `FUZZ_RUNS` (a
 *   multiplier of every property's run count) and `FUZZ_TIME_MS` (the time box of each property) override
 *   them for longer local runs, e.g. `FUZZ_SEED=$RANDOM FUZZ_RUNS=20 FUZZ_TIME_MS=600000 npx hardhat test
 *   mocha test/core/fuzz/*.test.ts`. A failure prints fast-check's seed and path: re-run with that seed.
 * - The committed artefacts (`fixtures/`, written by `record-fixtures.ts`): three certificate PDFs
 *   signed as the issuer signs them, their credentials (and one with claims hidden), their QR URLs, and
 *   the registry's recorded answers, replayed by {@link recordedRegistry} so no chain is needed.
 * - The regression corpus (`regressions/`): every file is run through the same properties on every run.
 */
import { readFileSync, readdirSync } from "node:fs";
import type { ChainReader, Credential, VerifyOptions } from "../../../core/index.ts";

export const FIXTURES = new URL("./fixtures/", import.meta.url);
export const REGRESSIONS = new URL("./regressions/", import.meta.url);

/** The seed of every property (fixed unless `FUZZ_SEED` is set). */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_202;
const RUNS_FACTOR = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 1;
/** Time box of one property, in ms (fast-check stops generating after it; the runs done still count). */
export const FUZZ_TIME_MS = process.env.FUZZ_TIME_MS ? Number(process.env.FUZZ_TIME_MS) : 8_000;

if (!Number.isSafeInteger(FUZZ_SEED)) throw new Error(`FUZZ_SEED must be an integer, not ${process.env.FUZZ_SEED}`);
if (!(RUNS_FACTOR > 0)) throw new Error(`FUZZ_RUNS must be a positive number, not ${process.env.FUZZ_RUNS}`);
if (!(FUZZ_TIME_MS > 0)) throw new Error(`FUZZ_TIME_MS must be a positive number, not ${process.env.FUZZ_TIME_MS}`);

/** fast-check parameters of a property meant to run `runs` times by default. */
export function fuzzParameters(runs: number) {
  return {
    seed: FUZZ_SEED,
    numRuns: Math.max(1, Math.round(runs * RUNS_FACTOR)),
    interruptAfterTimeLimit: FUZZ_TIME_MS,
    // An interrupted run is not a failure, but it must have run a fair share of its inputs (checked by the
    // caller). A failure is shrunk (within the time box too) and reported with its seed and path.
    markInterruptAsFailure: false,
  } as const;
}

/** A mocha timeout for a property: its time box plus slack for the last input and shrinking. */
export const PROPERTY_TIMEOUT_MS = FUZZ_TIME_MS + 20_000;

/** The chain as recorded by `record-fixtures.ts`. */
export type RecordedChain = {
  chainId: number;
  registry: string;
  now: string;
  /** `certificateStatus` answers by word class: issuer id word, root, signing-certificate fingerprint. */
  probes: { issuer: string; root: string; fingerprint: string; answer: string }[];
  /** `eth_getLogs` and `eth_getTransactionByHash` answers of the genuine documents, by exact params. */
  calls: { method: string; params: unknown[]; result: unknown }[];
};

export type Artefacts = {
  chain: RecordedChain;
  /** Signed certificate PDFs, by file name. */
  pdfs: { name: string; bytes: Uint8Array }[];
  /** Genuine credentials (VALID), with proof.merkle; one with claims hidden. */
  credentials: Credential[];
  /** Genuine verifier URLs (numeric and base64url forms). */
  urls: string[];
};

export function loadArtefacts(): Artefacts {
  const json = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));
  const pdfs = readdirSync(FIXTURES)
    .filter((name) => name.endsWith(".pdf"))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, FIXTURES))) }));
  return { chain: json("chain.json"), pdfs, credentials: json("credentials.json"), urls: json("urls.json") };
}

/**
 * An EIP-1193 endpoint that answers as the recorded registry does. `eth_call` to `certificateStatus` is
 * answered by the class of each word it asks about (a recorded issuer id, root and fingerprint are their
 * own class; any other value of each is "other", recorded with a random value): the registry's answer
 * depends on nothing else (the leaf only through its revocation status, and none of the recorded leaves
 * is revoked, which `record-fixtures.ts` checks). Anything else recorded is answered by exact params;
 * `eth_getLogs` for anything else is `[]`, as the chain would answer.
 */
export function recordedRegistry(chain: RecordedChain): ChainReader {
  const classes = (key: "issuer" | "root" | "fingerprint") => new Set(chain.probes.map((p) => p[key]));
  const issuers = classes("issuer");
  const roots = classes("root");
  const fingerprints = classes("fingerprint");
  const answers = new Map(chain.probes.map((p) => [`${p.issuer}/${p.root}/${p.fingerprint}`, p.answer]));
  const calls = new Map(chain.calls.map((c) => [JSON.stringify([c.method, c.params]), c.result]));
  const classOf = (word: string | undefined, known: Set<string>) =>
    word !== undefined && known.has(word) ? word : "other";
  return {
    async request({ method, params = [] }) {
      if (method === "eth_chainId") return `0x${chain.chainId.toString(16)}`;
      if (method === "eth_call") {
        const { to, data } = params[0] as { to: string; data: string };
        if (to.toLowerCase() !== chain.registry.toLowerCase()) return "0x"; // no contract there
        const words: string[] = data.slice(10).match(/.{64}/g) ?? [];
        const key = `${classOf(words[0], issuers)}/${classOf(words[1], roots)}/${classOf(words[3], fingerprints)}`;
        const answer = answers.get(key);
        if (answer === undefined) throw new Error(`no recorded answer for ${key}`);
        return answer;
      }
      const key = JSON.stringify([method, params]);
      if (calls.has(key)) return calls.get(key);
      if (method === "eth_getLogs") return [];
      if (method === "eth_getTransactionByHash") return null;
      throw new Error(`unexpected ${method}`);
    },
  };
}

/** `verify` options against the recorded registry (a fresh endpoint object: no chain-id cache shared across suites). */
export function recordedOptions(chain: RecordedChain): VerifyOptions {
  return {
    providers: [recordedRegistry(chain)],
    trusted: { chainId: chain.chainId, registry: chain.registry },
    now: new Date(chain.now),
  };
}

/** The regression corpus files whose name ends with `suffix`, as bytes. */
export function regressionFiles(suffix: string): { name: string; bytes: Uint8Array }[] {
  let names: string[];
  try {
    names = readdirSync(REGRESSIONS);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, REGRESSIONS))) }));
}

/**
 * A JavaScript input as JSON, for the corpus (`*.input.json`): `undefined` is `{ "$undefined": true }`,
 * bytes are `{ "$bytes": "<base64>" }`, anything else JSON cannot hold is written as its `String()`.
 */
export function encodeInput(value: unknown): string {
  const encode = (v: unknown): unknown => {
    if (v === undefined) return { $undefined: true };
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString("base64") };
    if (v instanceof ArrayBuffer) return { $bytes: Buffer.from(v).toString("base64") };
    if (Array.isArray(v)) return v.map(encode);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (typeof v === "bigint" || typeof v === "symbol" || typeof v === "function") return String(v);
    return v;
  };
  return `${JSON.stringify(encode(value), null, 2)}\n`;
}

/** The inverse of {@link encodeInput}. */
export function decodeInput(text: string): unknown {
  const decode = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(decode);
    if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (Object.keys(o).length === 1 && o.$undefined === true) return undefined;
      if (Object.keys(o).length === 1 && typeof o.$bytes === "string")
        return new Uint8Array(Buffer.from(o.$bytes, "base64"));
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
    }
    return v;
  };
  return decode(JSON.parse(text));
}
