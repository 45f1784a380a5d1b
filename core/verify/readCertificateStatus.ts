/**
 * Reads what the verifier needs from the registry: one `eth_call` to
 * `certificateStatus(root, leaf, signingCertificate)` (with `eth_chainId` alongside, to make sure the
 * endpoint serves the trusted chain) and, for an anchored root, one `eth_getLogs` for `RootAnchored` with
 * topics `[event, root]` restricted to the anchor block, for the transaction hash.
 *
 * Endpoints are tried in turn, each request with a time limit: an endpoint that fails, times out,
 * answers for another chain id or answers something that is not the registry's status is skipped. The
 * log is read from the endpoint that answered, then from the others; when none returns it, `txHash` is
 * null (the status itself is complete without it).
 */
import { Interface, decodeBytes32String, getAddress } from "ethers";
import type { Hex } from "../credential.ts";
import type { ChainReader } from "./jsonRpc.ts";

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

/** One endpoint and how to name it in messages (never its full URL, which may hold an API key). */
export type LabelledReader = { reader: ChainReader; label: string };

export type ReadCertificateStatusParameters = {
  endpoints: readonly LabelledReader[];
  chainId: number;
  registry: string;
  root: Hex;
  leaf: Hex;
  /** SHA-256 fingerprint of the PDF's signing certificate; zero when there is none. */
  signingCertificate: Hex;
  timeoutMs: number;
};

export type ReadCertificateStatusResult =
  | { ok: true; status: RegistryCertificateStatus; txHash: Hex | null; endpoint: string }
  | { ok: false; failures: string[] };

/** The registry functions and events the verifier uses (checked against the compiled ABI in the tests). */
export const REGISTRY_VERIFIER_ABI = [
  "function certificateStatus(bytes32 root, bytes32 leaf, bytes32 signingCertificate) view returns ((bool anchored, bytes32 issuerId, uint32 issuerNumber, bool issuerActive, string issuerNameEn, string issuerNameZh, string issuerDomain, bool signingCertificateRegistered, address signer, bool signerValidAtAnchor, uint64 anchoredAt, uint64 anchorBlock, uint32 certificateCount, bool batchRevoked, uint8 batchRevocationReason, uint64 batchRevokedAt, uint8 leafStatus, uint8 leafReason, uint64 leafChangedAt, bytes32 successor))",
  "event RootAnchored(bytes32 indexed root, uint256 certificateCount)",
] as const;

const registryInterface = new Interface(REGISTRY_VERIFIER_ABI);
const ROOT_ANCHORED_TOPIC = registryInterface.getEvent("RootAnchored")!.topicHash;
const CERTIFICATE_STATUS_SELECTOR = registryInterface.getFunction("certificateStatus")!.selector;
const LEAF_STATUSES = ["valid", "revoked", "suspended", "superseded"] as const;

/** The 64 lowercase hex digits of a bytes32. */
function word(value: Hex): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error(`not a bytes32: ${value.slice(0, 70)}`);
  return value.slice(2).toLowerCase();
}

let lastAddress: [string, string] | undefined;
/** EIP-55 form of an address (the last one is remembered: a verifier trusts one registry). */
export function checksummed(address: string): string {
  if (lastAddress?.[0] !== address) lastAddress = [address, getAddress(address.toLowerCase())];
  return lastAddress[1];
}

class EndpointProblem extends Error {}

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
export async function readCertificateStatus(parameters: ReadCertificateStatusParameters): Promise<ReadCertificateStatusResult> {
  const { endpoints, chainId, root, leaf, signingCertificate, timeoutMs } = parameters;
  const registry = checksummed(parameters.registry);
  // certificateStatus(bytes32,bytes32,bytes32): the selector and three static words.
  const data = CERTIFICATE_STATUS_SELECTOR + word(root) + word(leaf) + word(signingCertificate);
  const failures: string[] = [];
  for (let i = 0; i < endpoints.length; i++) {
    const { reader, label } = endpoints[i];
    let status: RegistryCertificateStatus;
    try {
      const [answeredChainId, answer] = await Promise.all([
        withTimeout(() => reader.request({ method: "eth_chainId", params: [] }), timeoutMs),
        withTimeout(() => reader.request({ method: "eth_call", params: [{ to: registry, data }, "latest"] }), timeoutMs),
      ]);
      const served = parseQuantity(answeredChainId);
      if (served === undefined) throw new EndpointProblem("answered eth_chainId with something that is not a chain id");
      if (served !== chainId) throw new EndpointProblem(`serves chain ${served}, not the trusted chain ${chainId}`);
      status = decodeStatus(answer);
    } catch (error) {
      failures.push(`${label}: ${describe(error)}`);
      continue;
    }
    let txHash: Hex | null = null;
    if (status.anchored) {
      // The endpoint that answered first, then the others.
      for (const other of [endpoints[i], ...endpoints.slice(i + 1), ...endpoints.slice(0, i)]) {
        txHash = await readAnchorTransaction(other.reader, registry, root, status.anchorBlock, timeoutMs).catch(() => null);
        if (txHash) break;
      }
    }
    return { ok: true, status, txHash, endpoint: label };
  }
  return { ok: false, failures: endpoints.length > 0 ? failures : ["no JSON-RPC endpoint is configured"] };
}

function decodeStatus(answer: unknown): RegistryCertificateStatus {
  if (typeof answer !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(answer)) {
    throw new EndpointProblem("answered eth_call with something that is not hex data");
  }
  if (answer === "0x") throw new EndpointProblem("has no registry contract at the trusted address");
  let s: Record<string, unknown>;
  try {
    s = registryInterface.decodeFunctionResult("certificateStatus", answer)[0] as Record<string, unknown>;
  } catch {
    throw new EndpointProblem("answered with data that is not the registry's certificate status");
  }
  const leafStatus = LEAF_STATUSES[Number(s.leafStatus)];
  if (!leafStatus) throw new EndpointProblem(`answered an unknown certificate status ${String(s.leafStatus)}`);
  const issuerIdHex = String(s.issuerId);
  let issuerId: string;
  try {
    issuerId = decodeBytes32String(issuerIdHex);
  } catch {
    issuerId = issuerIdHex;
  }
  return {
    anchored: Boolean(s.anchored),
    issuerId,
    issuerNumber: Number(s.issuerNumber),
    issuerActive: Boolean(s.issuerActive),
    issuerNameEn: String(s.issuerNameEn),
    issuerNameZh: String(s.issuerNameZh),
    issuerDomain: String(s.issuerDomain),
    signingCertificateRegistered: Boolean(s.signingCertificateRegistered),
    signer: String(s.signer),
    signerValidAtAnchor: Boolean(s.signerValidAtAnchor),
    anchoredAt: Number(s.anchoredAt),
    anchorBlock: Number(s.anchorBlock),
    certificateCount: Number(s.certificateCount),
    batchRevoked: Boolean(s.batchRevoked),
    batchRevocationReason: Number(s.batchRevocationReason),
    batchRevokedAt: Number(s.batchRevokedAt),
    leafStatus,
    leafReason: Number(s.leafReason),
    leafChangedAt: Number(s.leafChangedAt),
    successor: String(s.successor).toLowerCase() as Hex,
  };
}

/** The hash of the transaction that emitted `RootAnchored(root)` in `block`, or null. */
async function readAnchorTransaction(reader: ChainReader, registry: string, root: Hex, block: number, timeoutMs: number): Promise<Hex | null> {
  const blockHex = "0x" + block.toString(16);
  const logs = await withTimeout(
    () =>
      reader.request({
        method: "eth_getLogs",
        params: [{ address: registry, topics: [ROOT_ANCHORED_TOPIC, root.toLowerCase()], fromBlock: blockHex, toBlock: blockHex }],
      }),
    timeoutMs,
  );
  if (!Array.isArray(logs)) return null;
  for (const log of logs as { address?: unknown; topics?: unknown; transactionHash?: unknown; removed?: unknown }[]) {
    if (typeof log !== "object" || log === null || log.removed === true) continue;
    if (String(log.address).toLowerCase() !== registry.toLowerCase()) continue;
    if (!Array.isArray(log.topics) || String(log.topics[1]).toLowerCase() !== root.toLowerCase()) continue;
    if (typeof log.transactionHash === "string" && /^0x[0-9a-fA-F]{64}$/.test(log.transactionHash)) {
      return log.transactionHash.toLowerCase() as Hex;
    }
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
    timer = setTimeout(() => reject(new EndpointProblem(`no answer within ${ms} ms`)), ms);
  });
  const work = new Promise<T>((resolve) => resolve(start()));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 200);
  return String(error).slice(0, 200);
}
