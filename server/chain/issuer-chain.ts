import { crashPoint } from "../issuance/crash-point.ts";
import {
  Contract,
  Transaction,
  encodeBytes32String,
  isError,
  type AbstractProvider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
  type Wallet,
} from "ethers";
import { isBaseError } from "../../core/base-error.ts";
import { ChainError } from "./chain-error.ts";
import {
  backoffDelay,
  createThrottledLog,
  isTransientChainError,
  retry,
  retryAfterMs,
  type ThrottledLog,
} from "./backoff.ts";

/** The registry functions the issuer service calls (human-readable ABI). */
export const REGISTRY_ISSUER_ABI = [
  "function anchor(bytes32 root, uint32 certificateCount)",
  "function revoke(bytes32 leaf, uint8 reason)",
  "function suspend(bytes32 leaf, uint8 reason)",
  "function reinstate(bytes32 leaf)",
  "function supersede(bytes32 leaf, bytes32 successor)",
  "function revokeBatch(bytes32 root, uint8 reason)",
  "function certificateStatus(bytes32 issuerId, bytes32 root, bytes32 leaf, bytes32 signingCertificate) view returns ((bool anchored, bytes32 issuerId, uint32 issuerNumber, bool issuerActive, string issuerNameEn, string issuerNameZh, string issuerDomain, bool signingCertificateRegistered, address signer, bool signerValidAtAnchor, uint64 anchoredAt, uint64 anchorBlock, uint32 certificateCount, bool batchRevoked, uint8 batchRevocationReason, uint64 batchRevokedAt, uint8 leafStatus, uint8 leafReason, uint64 leafChangedAt, bytes32 successor))",
  "error RegistryRootAlreadyAnchored(bytes32 root)",
  "error RegistryUnauthorizedSigner(address account)",
  "error RegistryInvalidTransition(bytes32 leaf, uint8 current)",
] as const;

const ZERO = `0x${"0".repeat(64)}`;

/** A sent registry transaction: its hash, and the gas it used when its receipt was read. */
interface SendResult {
  txHash: string;
  gasUsed?: bigint;
}

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
  /** How often to look for a sent transaction's receipt (ms, default 1000). */
  pollIntervalMs?: number;
  /**
   * Retries of a chain call that failed in transit (see `isTransientChainError`): up to `attempts` tries
   * in all (default 10), waiting `backoffDelay` (full jitter from `baseMs`, default 500, doubling up to
   * `maxMs`, default 30 000; never sooner than the endpoint's `Retry-After`). About two minutes at worst,
   * then the call fails and the caller (the issuance pipeline) takes over.
   */
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
  /** Warnings about retried calls (throttled: once a minute per kind). */
  log?: { warn(obj: object, msg: string): void };
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * The issuer service's writes to the registry: anchoring roots and status changes, one transaction at a
 * time per signer (so nonces never collide), each recorded by the caller before it is broadcast (so a
 * crash right after sending is recovered by hash), retried with backoff on RPC errors and sent again
 * with a 25% higher fee, same nonce, when it is stuck. Every failure of its own is a {@link ChainError}
 * (`REVERTED` when the registry refused, `UNAVAILABLE` when the chain is out of reach ...); an error of
 * a callback (a store error from `onSubmitted`) is passed on as it is.
 */
export class IssuerChain {
  readonly registry: Contract;
  readonly #p: IssuerChainParameters;
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #warn: ThrottledLog | undefined;

  constructor(parameters: IssuerChainParameters) {
    this.#p = parameters;
    this.registry = new Contract(parameters.registry, REGISTRY_ISSUER_ABI, parameters.provider);
    this.#warn = parameters.log ? createThrottledLog(parameters.log, 60_000) : undefined;
  }

  get #sleep(): (ms: number) => Promise<void> {
    return this.#p.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  }

  get #backoff(): { attempts: number; baseMs: number; maxMs: number; random?: () => number } {
    const { attempts = 10, baseMs = 500, maxMs = 30_000 } = this.#p.retry ?? {};
    return { attempts, baseMs, maxMs, random: this.#p.random };
  }

  /** `fn`, retried with backoff while it fails in transit. */
  #retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return retry(fn, {
      ...this.#backoff,
      sleep: this.#sleep,
      onRetry: (error, attempt, delayMs) =>
        this.#warn?.(
          `${what} ${(error as { code?: string }).code ?? "error"}`,
          { attempt: attempt + 1, retryInMs: delayMs, error: String((error as Error).message).slice(0, 300) },
          `chain call (${what}) failed; retrying`,
        ),
    });
  }

  /**
   * Whether `issuerId` anchored `root`, and when (one view call). Another issuer's anchor of the same
   * root does not count (the registry keys anchors by issuer and root).
   */
  async anchorOf(issuerId: string, root: string): Promise<AnchorInfo | undefined> {
    const id = encodeBytes32String(issuerId);
    const status = await chainCall(() => this.registry.certificateStatus(id, root, ZERO, ZERO));
    if (!status.anchored || status.issuerId !== id) return undefined;
    return {
      blockNumber: Number(status.anchorBlock),
      anchoredAt: new Date(Number(status.anchoredAt) * 1000).toISOString(),
    };
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
  ): Promise<AnchorInfo & { txHash: string | null; gasUsed?: bigint }> {
    return chainCall(() => this.#anchor(issuerId, root, count, onSubmitted));
  }

  async #anchor(
    issuerId: string,
    root: string,
    count: number,
    onSubmitted: (txHash: string, nonce: number) => Promise<void>,
  ): Promise<AnchorInfo & { txHash: string | null; gasUsed?: bigint }> {
    const anchorOf = () => this.#retrying("anchorOf", () => this.anchorOf(issuerId, root));
    const existing = await anchorOf();
    if (existing) return { ...existing, txHash: null };
    const data = this.registry.interface.encodeFunctionData("anchor", [root, count]);
    const { txHash, gasUsed } = await this.#send(
      issuerId,
      data,
      onSubmitted,
      async () => (await anchorOf()) !== undefined,
    );
    const info = await anchorOf();
    if (!info)
      throw new ChainError("NOT_APPLIED", `anchor transaction ${txHash} was mined but root ${root} is not anchored`, {
        details: { txHash, root },
      });
    return { ...info, txHash, ...(gasUsed === undefined ? {} : { gasUsed }) };
  }

  /** Sends one status change for `issuerId`; resolves with the transaction hash once final. */
  async changeStatus(
    issuerId: string,
    call: StatusCall,
    onSubmitted: (txHash: string) => Promise<void>,
  ): Promise<string> {
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
    return chainCall(
      async () =>
        (
          await this.#send(
            issuerId,
            data,
            (hash) => onSubmitted(hash),
            async () => false,
          )
        ).txHash,
    );
  }

  /**
   * Signs and sends `data` to the registry from the issuer's signer, in that signer's queue; resolves with
   * the transaction hash and, when its receipt was read, the gas it used (for the metrics).
   */
  #send(
    issuerId: string,
    data: string,
    onSubmitted: (txHash: string, nonce: number) => Promise<void>,
    alreadyDone: () => Promise<boolean>,
  ): Promise<SendResult> {
    const signer = this.#p.signers[issuerId];
    if (!signer)
      return Promise.reject(
        new ChainError("NO_SIGNER", `no chain signer is configured for issuer ${issuerId}`, { details: { issuerId } }),
      );
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
  ): Promise<SendResult> {
    const { provider, confirmations, replaceAfterMs = 60_000 } = this.#p;
    const from = await signer.getAddress();
    const request: TransactionRequest = await this.#retrying("prepare", async () => {
      const populated = await signer.populateTransaction({ to: this.registry.target as string, data });
      // Refuse early, with the registry's own error, what the chain would revert.
      await provider.call({ ...populated, from });
      return populated;
    });
    for (let attempt = 0; ; attempt++) {
      const signed = await signer.signTransaction(request);
      const tx = Transaction.from(signed);
      await onSubmitted(tx.hash!, Number(request.nonce));
      await this.#retrying("broadcast", () =>
        provider.broadcastTransaction(signed).catch((error: unknown) => {
          // A replacement may race the original, and a broadcast that timed out may have arrived: "nonce too
          // low" (ethers' NONCE_EXPIRED) / "already known" (no ethers code: the node's message) mean one is in.
          if (isError(error, "NONCE_EXPIRED") || /already known/i.test(String((error as Error).message)))
            return undefined;
          throw error;
        }),
      );
      crashPoint("anchor-broadcast");
      const receipt = await this.#waitForReceipt(tx.hash!, confirmations, replaceAfterMs);
      if (receipt) {
        if (receipt.status !== 1)
          throw new ChainError("REVERTED", `registry transaction ${tx.hash} reverted`, {
            details: { txHash: tx.hash },
          });
        return { txHash: tx.hash!, gasUsed: receipt.gasUsed };
      }
      if (await alreadyDone()) return { txHash: tx.hash! };
      // Stuck: same nonce, fees up by 25%.
      if (request.maxFeePerGas != null) {
        request.maxFeePerGas = (BigInt(request.maxFeePerGas) * 125n) / 100n;
        request.maxPriorityFeePerGas = (BigInt(request.maxPriorityFeePerGas ?? 0n) * 125n) / 100n;
      } else if (request.gasPrice != null) {
        request.gasPrice = (BigInt(request.gasPrice) * 125n) / 100n;
      }
      if (attempt > 20)
        throw new ChainError(
          "NOT_MINED",
          `registry transaction from ${from} is still not mined after ${attempt} replacements`,
          { details: { from, replacements: attempt } },
        );
    }
  }

  /**
   * The receipt of `hash` once `confirmations` blocks are on top of it; null if it is still not mined
   * after `timeoutMs` (stuck: the caller sends it again with a higher fee). Transit failures are retried
   * with backoff: the chain being unreachable is not the transaction being stuck.
   */
  async #waitForReceipt(hash: string, confirmations: number, timeoutMs: number): Promise<TransactionReceipt | null> {
    const { provider, pollIntervalMs = 1000 } = this.#p;
    const { attempts, ...backoff } = this.#backoff;
    const deadline = Date.now() + timeoutMs;
    for (let failures = 0; ;) {
      try {
        const receipt = await provider.getTransactionReceipt(hash);
        const head = receipt && confirmations > 0 ? await provider.getBlockNumber() : undefined;
        failures = 0;
        if (receipt && (head === undefined || head - receipt.blockNumber >= confirmations)) return receipt;
        // A mined transaction waits for its confirmations, however long; one not mined in time is stuck.
        if (!receipt && Date.now() >= deadline) return null;
        await this.#sleep(receipt ? pollIntervalMs : Math.min(pollIntervalMs, Math.max(0, deadline - Date.now())));
      } catch (error) {
        if (!isTransientChainError(error) || ++failures >= attempts) throw error;
        const delay = backoffDelay(failures - 1, { ...backoff, retryAfterMs: retryAfterMs(error) });
        this.#warn?.(
          `receipt ${(error as { code?: string }).code ?? "error"}`,
          { attempt: failures, retryInMs: delay, error: String((error as Error).message).slice(0, 300) },
          "chain call (receipt) failed; retrying",
        );
        await this.#sleep(delay);
      }
    }
  }
}

/** `fn`, its failures as {@link ChainError}s (errors of the project's own, a store's, pass as they are). */
async function chainCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw isBaseError(error) ? error : ChainError.from(error);
  }
}
