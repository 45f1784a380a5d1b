/**
 * Reads what the verifier needs from the registry: one `eth_call` to
 * `certificateStatus(issuerId, root, leaf, signingCertificate)` under the issuer the credential names
 * (anchors are keyed by issuer and root: another department's anchor of the same root never stands in
 * for it, and when only another department anchored it the registry names that department, which the
 * `issuer` check turns into UNKNOWN_ISSUER), with `eth_chainId` alongside, to make sure the endpoint
 * serves the trusted chain, and, for an anchored root, one `eth_getLogs` for `RootAnchored` with topics
 * `[event, root]` restricted to the anchor block, for the transaction hash. When several departments
 * anchored the same root in that block, the log whose transaction the anchoring signer sent is taken
 * (one `eth_getTransactionByHash` per log, only then).
 *
 * Endpoints are tried in turn, each request with a time limit: an endpoint that fails, times out,
 * answers for another chain id or answers something that is not the registry's status is skipped. An
 * endpoint's chain id, once it matched, is remembered for a minute (`key`), so `eth_chainId` is not sent
 * with every verification. The
 * log is read from the endpoint that answered, then from the others; when none returns it, `txHash` is
 * null (the status itself is complete without it).
 *
 * ## A quorum of endpoints (`quorum` k >= 2)
 * With `quorum: 1` (the default) the first endpoint that answers is believed, as above: a lying endpoint
 * tried first could report a forgery as anchored. With k >= 2, no single endpoint is believed: every
 * endpoint is asked at once for its chain id and its latest block number (`eth_blockNumber`); those that
 * serve the trusted chain and are at most {@link QUORUM_MAX_BLOCK_SPREAD} blocks behind the highest block
 * reported are read at one agreed block, the lowest block number among them (`eth_call` at that block
 * number, so that honest endpoints at slightly different heights give the very same answer), and the
 * anchoring transaction's log from each of them. Every status answer must be byte-identical, and at least
 * k endpoints must have given it; the transaction hash is reported only when k endpoints return the same
 * one. Two different answers (or two different transaction hashes, or endpoints more than the spread
 * apart) are a disagreement: `{ ok: false, disagreement: true }`, whatever the majority says. Fewer than
 * k answers: `{ ok: false }`. Either way the verifier says UNABLE_TO_CHECK, never VALID: a forgery needs
 * every endpoint that answers, and at least k of them, to lie alike.
 */
import { checksumAddress } from "../address.ts";
import { BaseError } from "../base-error.ts";
import { fromHex, toHex } from "../bytes.ts";
import type { Hex } from "../credential.ts";
import { CERTIFICATE_STATUS_SELECTOR, ROOT_ANCHORED_TOPIC } from "../registry-abi.ts";
import type { ChainReader } from "./jsonRpc.ts";

export { REGISTRY_VERIFIER_ABI } from "../registry-abi.ts";

/** The registry's status of one certificate (`IRegistry.CertificateStatus`), as plain values. */
export type RegistryCertificateStatus = {
  anchored: boolean;
  /** The anchoring issuer's id as text (`CSB`), or its bytes32 hex when it is not text. */
  issuerId: string;
  issuerNumber: number;
  issuerActive: boolean;
  issuerNameEn: string;
  issuerNameZh: string;
  issuerDomain: string;
  signingCertificateRegistered: boolean;
  /** EIP-55 address of the signer that anchored the root. */
  signer: string;
  signerValidAtAnchor: boolean;
  /** Unix seconds. */
  anchoredAt: number;
  anchorBlock: number;
  certificateCount: number;
  batchRevoked: boolean;
  batchRevocationReason: number;
  batchRevokedAt: number;
  leafStatus: "valid" | "revoked" | "suspended" | "superseded";
  leafReason: number;
  leafChangedAt: number;
  successor: Hex;
};

/**
 * One endpoint and how to name it in messages (never its full URL, which may hold an API key). `key`
 * identifies the endpoint across calls (its URL, or the provider object) for the chain-id cache.
 */
export type LabelledReader = { reader: ChainReader; label: string; key?: string | object };

export type ReadCertificateStatusParameters = {
  endpoints: readonly LabelledReader[];
  chainId: number;
  registry: string;
  /**
   * The issuer the credential names (`CSB` of `urn:hk-ecert:issuer:CSB`), as text; one that does not fit
   * a bytes32 is read as the zero id (no issuer: the registry then names whichever issuer anchored the root).
   */
  issuerId: string;
  root: Hex;
  leaf: Hex;
  /** SHA-256 fingerprint of the PDF's signing certificate; zero when there is none. */
  signingCertificate: Hex;
  timeoutMs: number;
  /**
   * How many endpoints must give the same answer (an integer from 1 to the number of endpoints; default
   * 1: the first endpoint that answers is believed). See the module comment.
   */
  quorum?: number;
};

export type ReadCertificateStatusResult =
  | {
      ok: true;
      status: RegistryCertificateStatus;
      txHash: Hex | null;
      /** The endpoint that answered, or (quorum >= 2) those that agreed, comma-separated. */
      endpoint: string;
    }
  | {
      ok: false;
      failures: string[];
      /** Set when endpoints gave different answers (quorum >= 2): one of them may be lying. */
      disagreement?: true;
    };

/**
 * With a quorum of 2 or more: how far (in blocks) an endpoint's latest block may be behind the highest
 * latest block reported, to be read at the agreed block (the lowest latest block among those within it).
 * An endpoint further behind is left out, and counts as a disagreement about the chain's head.
 */
export const QUORUM_MAX_BLOCK_SPREAD = 16;

/**
 * How long an endpoint's chain id is taken as known (ms): within it, `eth_chainId` is not asked again,
 * saving one of the three requests of a verification (a server verifying hundreds a second sends a
 * third fewer requests). Only a matching chain id is remembered.
 */
const CHAIN_ID_TTL_MS = 60_000;
const chainIdsByUrl = new Map<string, { chainId: number; until: number }>();
const chainIdsByProvider = new WeakMap<object, { chainId: number; until: number }>();

function knownChainId(key: string | object): number | undefined {
  const entry = typeof key === "string" ? chainIdsByUrl.get(key) : chainIdsByProvider.get(key);
  return entry && entry.until > Date.now() ? entry.chainId : undefined;
}

function rememberChainId(key: string | object, chainId: number): void {
  const entry = { chainId, until: Date.now() + CHAIN_ID_TTL_MS };
  if (typeof key === "string") {
    if (chainIdsByUrl.size >= 64) chainIdsByUrl.clear();
    chainIdsByUrl.set(key, entry);
  } else {
    chainIdsByProvider.set(key, entry);
  }
}

const LEAF_STATUSES = ["valid", "revoked", "suspended", "superseded"] as const;

const UTF8_ENCODER = new TextEncoder();

/**
 * The 64 hex digits of an issuer id as a bytes32 short string (what `encodeBytes32String` writes: UTF-8,
 * zero-padded on the right); zeros when it is empty or longer than 31 bytes.
 */
export function issuerIdWord(issuerId: string): string {
  const bytes = UTF8_ENCODER.encode(issuerId);
  if (bytes.length === 0 || bytes.length > 31) return "0".repeat(64);
  return toHex(bytes).slice(2).padEnd(64, "0");
}

/** The issuer id of a credential's `issuer` (`urn:hk-ecert:issuer:<id>`), or "" when it is not one. */
export function issuerIdOfUrn(issuer: unknown): string {
  const prefix = "urn:hk-ecert:issuer:";
  return typeof issuer === "string" && issuer.startsWith(prefix) ? issuer.slice(prefix.length) : "";
}

/** The 64 lowercase hex digits of a bytes32. */
function wordOf(value: Hex): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error(`not a bytes32: ${value.slice(0, 70)}`);
  return value.slice(2).toLowerCase();
}

const checksums = new Map<string, string>();
/**
 * EIP-55 form of an address. The last 64 asked are remembered: a verifier trusts one registry, and its
 * departments' few signers come back on every verification (each would otherwise cost a keccak).
 */
export function checksummed(address: string): string {
  let form = checksums.get(address);
  if (form === undefined) {
    form = checksumAddress(address);
    if (checksums.size >= 64) checksums.delete(checksums.keys().next().value!);
    checksums.set(address, form);
  }
  return form;
}

/** Every code an {@link EndpointProblem} can carry. Only ever add to this list. */
export const ENDPOINT_PROBLEM_CODES = [
  /** The endpoint answered with something that is not what was asked for (not a chain id, not hex, not a status). */
  "BAD_ANSWER",
  /** The endpoint serves another chain than the trusted one. */
  "WRONG_CHAIN",
  /** There is no contract at the trusted registry address on the endpoint's chain. */
  "NO_REGISTRY",
  /** The endpoint did not answer in time. */
  "TIMEOUT",
] as const;

/** Why one endpoint could not give the status; its message becomes that endpoint's failure line. */
class EndpointProblem extends BaseError<(typeof ENDPOINT_PROBLEM_CODES)[number]> {
  override name = "EndpointProblem";
}

/**
 * Reads the status of `leaf` under `root` from the first endpoint that can answer (see the module
 * comment).
 *
 * @returns `{ ok: true, status, txHash, endpoint }`, or `{ ok: false, failures }` with one English line
 *   per endpoint. Never throws.
 * @example
 * ```ts
 * const read = await readCertificateStatus({ endpoints, chainId: 31337, registry, root, leaf,
 *   signingCertificate: ZERO, timeoutMs: 4000 });
 * if (read.ok && read.status.anchored) console.log(read.status.issuerNameEn, read.txHash);
 * ```
 */
export async function readCertificateStatus(
  parameters: ReadCertificateStatusParameters,
): Promise<ReadCertificateStatusResult> {
  const { endpoints, chainId, root, leaf, signingCertificate, timeoutMs } = parameters;
  const quorum = parameters.quorum ?? 1;
  const registry = checksummed(parameters.registry);
  // certificateStatus(bytes32,bytes32,bytes32,bytes32): the selector and four static words.
  const data =
    CERTIFICATE_STATUS_SELECTOR +
    issuerIdWord(parameters.issuerId) +
    wordOf(root) +
    wordOf(leaf) +
    wordOf(signingCertificate);
  if (quorum !== 1) {
    if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > Math.max(endpoints.length, 1))
      return { ok: false, failures: [`the quorum ${String(quorum)} is not between 1 and ${endpoints.length}`] };
    return readWithQuorum(endpoints, chainId, registry, root, data, timeoutMs, quorum);
  }
  const failures: string[] = [];
  for (let i = 0; i < endpoints.length; i++) {
    const { reader, label } = endpoints[i];
    let status: RegistryCertificateStatus;
    try {
      const key = endpoints[i].key;
      const known = key !== undefined && knownChainId(key) === chainId;
      const [answeredChainId, answer] = await Promise.all([
        known ? chainId : withTimeout(() => reader.request({ method: "eth_chainId", params: [] }), timeoutMs),
        withTimeout(
          () => reader.request({ method: "eth_call", params: [{ to: registry, data }, "latest"] }),
          timeoutMs,
        ),
      ]);
      const served = typeof answeredChainId === "number" ? answeredChainId : parseQuantity(answeredChainId);
      if (served === undefined)
        throw new EndpointProblem("BAD_ANSWER", "answered eth_chainId with something that is not a chain id");
      if (served !== chainId)
        throw new EndpointProblem("WRONG_CHAIN", `serves chain ${served}, not the trusted chain ${chainId}`);
      status = decodeStatus(answer);
      if (key !== undefined && !known) rememberChainId(key, served);
    } catch (error) {
      failures.push(`${label}: ${describe(error)}`);
      continue;
    }
    let txHash: Hex | null = null;
    if (status.anchored) {
      // The endpoint that answered first, then the others.
      for (const other of [endpoints[i], ...endpoints.slice(i + 1), ...endpoints.slice(0, i)]) {
        txHash = await readAnchorTransaction(other.reader, registry, root, status, timeoutMs).catch(() => null);
        if (txHash) break;
      }
    }
    return { ok: true, status, txHash, endpoint: label };
  }
  return { ok: false, failures: endpoints.length > 0 ? failures : ["no JSON-RPC endpoint is configured"] };
}

/** The chain id an endpoint serves (asked, or known for a minute), checked against the trusted one. */
async function checkChainId(endpoint: LabelledReader, chainId: number, timeoutMs: number): Promise<void> {
  const { reader, key } = endpoint;
  if (key !== undefined && knownChainId(key) === chainId) return;
  const answered = await withTimeout(() => reader.request({ method: "eth_chainId", params: [] }), timeoutMs);
  const served = typeof answered === "number" ? answered : parseQuantity(answered);
  if (served === undefined)
    throw new EndpointProblem("BAD_ANSWER", "answered eth_chainId with something that is not a chain id");
  if (served !== chainId)
    throw new EndpointProblem("WRONG_CHAIN", `serves chain ${served}, not the trusted chain ${chainId}`);
  if (key !== undefined) rememberChainId(key, served);
}

/** `labels` as "A", "A and B", "A, B and C". */
function listed(labels: readonly string[]): string {
  return labels.length <= 1 ? (labels[0] ?? "") : `${labels.slice(0, -1).join(", ")} and ${labels.at(-1)}`;
}

/** "one answer from A, another from B[, another from C]". */
function oneAndAnother(sides: readonly string[]): string {
  return [`one answer from ${sides[0]}`, ...sides.slice(1).map((side) => `another from ${side}`)].join(", ");
}

/**
 * The quorum read (k >= 2) of the module comment: every endpoint at once, at one agreed block; every
 * answer must agree, and at least `quorum` must answer.
 */
async function readWithQuorum(
  endpoints: readonly LabelledReader[],
  chainId: number,
  registry: string,
  root: Hex,
  data: string,
  timeoutMs: number,
  quorum: number,
): Promise<ReadCertificateStatusResult> {
  const failures: (string | undefined)[] = endpoints.map(() => undefined);
  const failed = (i: number, error: unknown) => void (failures[i] = `${endpoints[i].label}: ${describe(error)}`);
  const collected = () => failures.filter((f): f is string => f !== undefined);
  const tooFew = (answered: number): ReadCertificateStatusResult => ({
    ok: false,
    failures: [
      ...collected(),
      `only ${answered} of ${endpoints.length} endpoints answered, and ${quorum} must agree (the quorum)`,
    ],
  });

  // 1. Each endpoint's chain id and latest block.
  const heads = await Promise.all(
    endpoints.map(async (endpoint, i) => {
      try {
        const [, height] = await Promise.all([
          checkChainId(endpoint, chainId, timeoutMs),
          withTimeout(() => endpoint.reader.request({ method: "eth_blockNumber", params: [] }), timeoutMs),
        ]);
        const block = typeof height === "number" && Number.isSafeInteger(height) ? height : parseQuantity(height);
        if (block === undefined)
          throw new EndpointProblem("BAD_ANSWER", "answered eth_blockNumber with something that is not a block number");
        return { i, block };
      } catch (error) {
        failed(i, error);
        return undefined;
      }
    }),
  );
  const live = heads.filter((h) => h !== undefined);
  if (live.length < quorum) return tooFew(live.length);
  const highest = Math.max(...live.map((h) => h.block));
  const near = live.filter((h) => highest - h.block <= QUORUM_MAX_BLOCK_SPREAD);
  if (near.length < live.length) {
    const ahead = near.map((h) => endpoints[h.i].label);
    const behind = live.filter((h) => !near.includes(h));
    return {
      ok: false,
      disagreement: true,
      failures: [
        ...collected(),
        `the endpoints disagree on the chain's latest block: ${listed(ahead)} report block ${highest}, ` +
          behind.map((h) => `${endpoints[h.i].label} block ${h.block}`).join(", ") +
          ` (more than ${QUORUM_MAX_BLOCK_SPREAD} blocks apart)`,
      ],
    };
  }
  const block = Math.min(...near.map((h) => h.block));
  const blockTag = "0x" + block.toString(16);

  // 2. The status, at the agreed block, from each of them.
  const answers = await Promise.all(
    near.map(async ({ i }) => {
      try {
        const answer = await withTimeout(
          () => endpoints[i].reader.request({ method: "eth_call", params: [{ to: registry, data }, blockTag] }),
          timeoutMs,
        );
        const status = decodeStatus(answer);
        return { i, raw: (answer as string).toLowerCase(), status };
      } catch (error) {
        failed(i, error);
        return undefined;
      }
    }),
  );
  const answered = answers.filter((a) => a !== undefined);
  const groups = new Map<string, number[]>();
  for (const a of answered) groups.set(a.raw, [...(groups.get(a.raw) ?? []), a.i]);
  if (groups.size > 1) {
    const sides = [...groups.values()].map((members) => listed(members.map((i) => endpoints[i].label)));
    return {
      ok: false,
      disagreement: true,
      failures: [
        ...collected(),
        `the endpoints disagree on the certificate's status at block ${block}: ${oneAndAnother(sides)}`,
      ],
    };
  }
  if (answered.length < quorum) return tooFew(answered.length);
  const { status } = answered[0];
  const agreeing = answered.map((a) => a.i);

  // 3. The anchoring transaction, from each of them: reported when `quorum` of them return the same one.
  let txHash: Hex | null = null;
  if (status.anchored) {
    const hashes = await Promise.all(
      agreeing.map((i) =>
        readAnchorTransaction(endpoints[i].reader, registry, root, status, timeoutMs).catch(() => null),
      ),
    );
    const distinct = [...new Set(hashes.filter((h): h is Hex => h !== null))];
    if (distinct.length > 1) {
      const sides = distinct.map((hash) =>
        listed(agreeing.filter((_, j) => hashes[j] === hash).map((i) => endpoints[i].label)),
      );
      return {
        ok: false,
        disagreement: true,
        failures: [
          ...collected(),
          `the endpoints disagree on the transaction that anchored the root: ${oneAndAnother(sides)}`,
        ],
      };
    }
    if (distinct.length === 1 && hashes.filter((h) => h === distinct[0]).length >= quorum) txHash = distinct[0];
  }
  return { ok: true, status, txHash, endpoint: agreeing.map((i) => endpoints[i].label).join(", ") };
}

function decodeStatus(answer: unknown): RegistryCertificateStatus {
  if (typeof answer !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(answer)) {
    throw new EndpointProblem("BAD_ANSWER", "answered eth_call with something that is not hex data");
  }
  if (answer === "0x") throw new EndpointProblem("NO_REGISTRY", "has no registry contract at the trusted address");
  try {
    return decodeCertificateStatus(answer);
  } catch {
    throw new EndpointProblem("BAD_ANSWER", "answered with data that is not the registry's certificate status");
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** Fields of `IRegistry.CertificateStatus`, in order (20 head words). */
const STATUS_WORDS = 20;

/**
 * Decodes the ABI return data of `certificateStatus` (a tuple holding one dynamic struct: an offset,
 * then 20 head words, strings as offsets from the struct's start, then the strings). Written out
 * rather than through ethers' generic decoder, which takes ~0.2 ms here (most of a verification's CPU);
 * checked against ethers and the compiled ABI in the tests. Strict: booleans 0 or 1, integers within
 * their width, addresses with zero padding, strings within bounds and valid UTF-8.
 *
 * @throws Error for data that is not such an encoding.
 */
export function decodeCertificateStatus(data: string): RegistryCertificateStatus {
  const bytes = fromHex(data);
  if (!bytes) throw new Error("not hex");
  if (bytes.length < 32 || bytes.length % 32 !== 0) throw new Error("not whole ABI words");
  const base = uintAt(bytes, 0, 64);
  if (base + 32 * STATUS_WORDS > bytes.length) throw new Error("the struct does not fit");
  const word = (i: number) => base + 32 * i;
  const bool = (i: number) => {
    const v = uintAt(bytes, word(i), 8);
    if (v > 1) throw new Error("not a boolean");
    return v === 1;
  };
  const uint = (i: number, bits: number) => uintAt(bytes, word(i), bits);
  const bytes32 = (i: number) => toHex(bytes, word(i), 32);
  const string = (i: number) => {
    const start = base + uintAt(bytes, word(i), 64);
    if (start + 32 > bytes.length) throw new Error("string out of bounds");
    const length = uintAt(bytes, start, 64);
    if (start + 32 + length > bytes.length) throw new Error("string out of bounds");
    return UTF8.decode(bytes.subarray(start + 32, start + 32 + length));
  };
  const signerWord = word(8);
  for (let i = 0; i < 12; i++) if (bytes[signerWord + i] !== 0) throw new Error("not an address");
  const leafStatus = LEAF_STATUSES[uint(16, 8)];
  if (!leafStatus) throw new Error("unknown leaf status");
  return {
    anchored: bool(0),
    issuerId: bytes32String(bytes.subarray(word(1), word(1) + 32)) ?? bytes32(1),
    issuerNumber: uint(2, 32),
    issuerActive: bool(3),
    issuerNameEn: string(4),
    issuerNameZh: string(5),
    issuerDomain: string(6),
    signingCertificateRegistered: bool(7),
    signer: checksummed(toHex(bytes, signerWord + 12, 20)),
    signerValidAtAnchor: bool(9),
    anchoredAt: uint(10, 64),
    anchorBlock: uint(11, 64),
    certificateCount: uint(12, 32),
    batchRevoked: bool(13),
    batchRevocationReason: uint(14, 8),
    batchRevokedAt: uint(15, 64),
    leafStatus,
    leafReason: uint(17, 8),
    leafChangedAt: uint(18, 64),
    successor: bytes32(19),
  };
}

/** The unsigned integer of the word at `offset`, which must fit in `bits` bits and in a JS safe integer. */
function uintAt(bytes: Uint8Array, offset: number, bits: number): number {
  if (offset + 32 > bytes.length) throw new Error("word out of bounds");
  const width = Math.min(bits, 53);
  const zeros = 32 - Math.ceil(width / 8);
  for (let i = 0; i < zeros; i++) if (bytes[offset + i] !== 0) throw new Error("integer too large");
  let value = 0;
  for (let i = zeros; i < 32; i++) value = value * 256 + bytes[offset + i];
  if (value > 2 ** width - 1) throw new Error("integer too large");
  return value;
}

/** The text of a bytes32 short string (as `encodeBytes32String` writes it), or undefined. */
function bytes32String(value: Uint8Array): string | undefined {
  const end = value.indexOf(0);
  if (end <= 0) return undefined;
  for (let i = end; i < 32; i++) if (value[i] !== 0) return undefined;
  try {
    return UTF8.decode(value.subarray(0, end));
  } catch {
    return undefined;
  }
}

/**
 * The hash of the transaction that emitted `RootAnchored(root)` in the anchor's block for the anchoring
 * issuer, or null. With one such log in the block, it is the one; with several (departments anchoring the
 * same root in one block), the one sent by the anchoring signer.
 */
async function readAnchorTransaction(
  reader: ChainReader,
  registry: string,
  root: Hex,
  status: Pick<RegistryCertificateStatus, "anchorBlock" | "signer">,
  timeoutMs: number,
): Promise<Hex | null> {
  const blockHex = "0x" + status.anchorBlock.toString(16);
  const logs = await withTimeout(
    () =>
      reader.request({
        method: "eth_getLogs",
        params: [
          {
            address: registry,
            topics: [ROOT_ANCHORED_TOPIC, root.toLowerCase()],
            fromBlock: blockHex,
            toBlock: blockHex,
          },
        ],
      }),
    timeoutMs,
  );
  if (!Array.isArray(logs)) return null;
  const hashes: Hex[] = [];
  for (const log of logs as { address?: unknown; topics?: unknown; transactionHash?: unknown; removed?: unknown }[]) {
    if (typeof log !== "object" || log === null || log.removed === true) continue;
    if (String(log.address).toLowerCase() !== registry.toLowerCase()) continue;
    if (!Array.isArray(log.topics) || String(log.topics[1]).toLowerCase() !== root.toLowerCase()) continue;
    if (typeof log.transactionHash === "string" && /^0x[0-9a-fA-F]{64}$/.test(log.transactionHash)) {
      const hash = log.transactionHash.toLowerCase() as Hex;
      if (!hashes.includes(hash)) hashes.push(hash);
    }
  }
  if (hashes.length <= 1) return hashes[0] ?? null;
  for (const hash of hashes) {
    const tx = (await withTimeout(
      () => reader.request({ method: "eth_getTransactionByHash", params: [hash] }),
      timeoutMs,
    )) as { from?: unknown } | null;
    if (tx && typeof tx.from === "string" && tx.from.toLowerCase() === status.signer.toLowerCase()) return hash;
  }
  return null;
}

function parseQuantity(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{1,13}$/.test(value)) return undefined;
  return Number.parseInt(value.slice(2), 16);
}

/** Runs `start`, rejecting with a timeout error when it has not settled within `ms` (a synchronous throw rejects too). */
function withTimeout<T>(start: () => Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EndpointProblem("TIMEOUT", `no answer within ${ms} ms`)), ms);
  });
  const work = new Promise<T>((resolve) => resolve(start()));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 200);
  return String(error).slice(0, 200);
}
