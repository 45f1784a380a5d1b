import { crashPoint } from "../issuance/crash-point.ts";
import { Contract, Transaction, type AbstractProvider, type Signer, type TransactionRequest, type Wallet } from "ethers";

/** The registry functions the issuer service calls (human-readable ABI). */
export const REGISTRY_ISSUER_ABI = [
  "function anchor(bytes32 root, uint32 certificateCount)",
  "function revoke(bytes32 leaf, uint8 reason)",
  "function suspend(bytes32 leaf, uint8 reason)",
  "function reinstate(bytes32 leaf)",
  "function supersede(bytes32 leaf, bytes32 successor)",
  "function revokeBatch(bytes32 root, uint8 reason)",
  "function certificateStatus(bytes32 root, bytes32 leaf, bytes32 signingCertificate) view returns ((bool anchored, bytes32 issuerId, uint32 issuerNumber, bool issuerActive, string issuerNameEn, string issuerNameZh, string issuerDomain, bool signingCertificateRegistered, address signer, bool signerValidAtAnchor, uint64 anchoredAt, uint64 anchorBlock, uint32 certificateCount, bool batchRevoked, uint8 batchRevocationReason, uint64 batchRevokedAt, uint8 leafStatus, uint8 leafReason, uint64 leafChangedAt, bytes32 successor))",
  "error RegistryRootAlreadyAnchored(bytes32 root)",
  "error RegistryUnauthorizedSigner(address account)",
  "error RegistryInvalidTransition(bytes32 leaf, uint8 current)",
] as const;

const ZERO = `0x${"0".repeat(64)}`;

export interface AnchorInfo {
  blockNumber: number;
  anchoredAt: string;
}

/** A status change as the registry takes it. */
export type StatusCall =
  | { kind: "revoke" | "suspend"; leaf: string; reason: number }
  | { kind: "reinstate"; leaf: string }
  | { kind: "supersede"; leaf: string; successor: string }
  | { kind: "revoke-batch"; root: string; reason: number };

export interface IssuerChainParameters {
  provider: AbstractProvider;
  registry: string;
  /** Per issuer id, its signer (a Wallet connected to `provider`). */
  signers: Record<string, Wallet | Signer>;
  /** Blocks after the including block before a transaction counts as final (0 on an automining dev chain). */
  confirmations: number;
  /** How long to wait for a transaction before sending it again with a higher fee (ms). */
  replaceAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The issuer service's writes to the registry: anchoring roots and status changes, one transaction at a
 * time per signer (so nonces never collide), each recorded by the caller before it is broadcast (so a
 * crash right after sending is recovered by hash), retried with backoff on RPC errors and sent again
 * with a 25% higher fee, same nonce, when it is stuck.
 */
export class IssuerChain {
  readonly registry: Contract;
  readonly #p: IssuerChainParameters;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(parameters: IssuerChainParameters) {
    this.#p = parameters;
    this.registry = new Contract(parameters.registry, REGISTRY_ISSUER_ABI, parameters.provider);
  }

  /** Whether `root` is anchored, and when (one view call). */
  async anchorOf(root: string): Promise<AnchorInfo | undefined> {
    const status = await this.registry.certificateStatus(root, ZERO, ZERO);
    if (!status.anchored) return undefined;
    return { blockNumber: Number(status.anchorBlock), anchoredAt: new Date(Number(status.anchoredAt) * 1000).toISOString() };
  }

  /**
   * Anchors `root` for `issuerId` unless it already is. `onSubmitted` is awaited with the signed
   * transaction's hash and nonce before it is broadcast (and again if it is replaced).
   */
  async anchor(
    issuerId: string,
    root: string,
    count: number,
    onSubmitted: (txHash: string, nonce: number) => Promise<void>,
  ): Promise<AnchorInfo & { txHash: string | null }> {
    const existing = await this.anchorOf(root);
    if (existing) return { ...existing, txHash: null };
    const data = this.registry.interface.encodeFunctionData("anchor", [root, count]);
    const txHash = await this.#send(issuerId, data, onSubmitted, async () => (await this.anchorOf(root)) !== undefined);
    const info = await this.anchorOf(root);
    if (!info) throw new Error(`anchor transaction ${txHash} was mined but root ${root} is not anchored`);
    return { ...info, txHash };
  }

  /** Sends one status change for `issuerId`; resolves with the transaction hash once final. */
  async changeStatus(issuerId: string, call: StatusCall, onSubmitted: (txHash: string) => Promise<void>): Promise<string> {
    const i = this.registry.interface;
    let data: string;
    switch (call.kind) {
      case "revoke":
      case "suspend":
        data = i.encodeFunctionData(call.kind, [call.leaf, call.reason]);
        break;
      case "reinstate":
        data = i.encodeFunctionData("reinstate", [call.leaf]);
        break;
      case "supersede":
        data = i.encodeFunctionData("supersede", [call.leaf, call.successor]);
        break;
      case "revoke-batch":
        data = i.encodeFunctionData("revokeBatch", [call.root, call.reason]);
        break;
    }
    return this.#send(issuerId, data, (hash) => onSubmitted(hash), async () => false);
  }

  /** Signs and sends `data` to the registry from the issuer's signer, in that signer's queue. */
  #send(
    issuerId: string,
    data: string,
    onSubmitted: (txHash: string, nonce: number) => Promise<void>,
    alreadyDone: () => Promise<boolean>,
  ): Promise<string> {
    const signer = this.#p.signers[issuerId];
    if (!signer) return Promise.reject(new Error(`no chain signer is configured for issuer ${issuerId}`));
    const previous = this.#queues.get(issuerId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#sendNow(signer, data, onSubmitted, alreadyDone));
    this.#queues.set(issuerId, run);
    return run;
  }

  async #sendNow(
    signer: Wallet | Signer,
    data: string,
    onSubmitted: (txHash: string, nonce: number) => Promise<void>,
    alreadyDone: () => Promise<boolean>,
  ): Promise<string> {
    const { provider, confirmations, replaceAfterMs = 60_000 } = this.#p;
    const sleep = this.#p.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    const from = await signer.getAddress();
    const request: TransactionRequest = await retry(async () => {
      const populated = await signer.populateTransaction({ to: this.registry.target as string, data });
      // Refuse early, with the registry's own error, what the chain would revert.
      await provider.call({ ...populated, from });
      return populated;
    }, sleep);
    for (let attempt = 0; ; attempt++) {
      const signed = await signer.signTransaction(request);
      const tx = Transaction.from(signed);
      await onSubmitted(tx.hash!, Number(request.nonce));
      await retry(() => provider.broadcastTransaction(signed).catch((error: unknown) => {
        // A replacement may race the original: "already known" / "nonce too low" mean one of them is in.
        if (/already known|nonce (too low|has already been used)/i.test(String((error as Error).message))) return undefined;
        throw error;
      }), sleep);
      crashPoint("anchor-broadcast");
      const receipt = await provider.waitForTransaction(tx.hash!, confirmations + 1, replaceAfterMs).catch(() => null);
      if (receipt) {
        if (receipt.status !== 1) throw new Error(`registry transaction ${tx.hash} reverted`);
        return tx.hash!;
      }
      if (await alreadyDone()) return tx.hash!;
      // Stuck: same nonce, fees up by 25%.
      if (request.maxFeePerGas != null) {
        request.maxFeePerGas = (BigInt(request.maxFeePerGas) * 125n) / 100n;
        request.maxPriorityFeePerGas = (BigInt(request.maxPriorityFeePerGas ?? 0n) * 125n) / 100n;
      } else if (request.gasPrice != null) {
        request.gasPrice = (BigInt(request.gasPrice) * 125n) / 100n;
      }
      if (attempt > 20) throw new Error(`registry transaction from ${from} is still not mined after ${attempt} replacements`);
    }
  }
}

/** Retries `fn` on network errors (not on reverts), with exponential backoff, up to about a minute. */
async function retry<T>(fn: () => Promise<T>, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const e = error as { code?: string; message?: string };
      const transient = e.code === "NETWORK_ERROR" || e.code === "TIMEOUT" || e.code === "SERVER_ERROR" || /ECONNREFUSED|ECONNRESET|fetch failed|socket hang up/i.test(String(e.message));
      if (!transient || attempt >= 7) throw error;
      await sleep(250 * 2 ** attempt);
    }
  }
}
