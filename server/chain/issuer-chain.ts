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

/**
 * Nonces a transaction may lose in a row to other transactions of its signer (another instance of the
 * service with the same key) before it gives up (`NONCE_CONFLICT`): each time, prepared again with a fresh one.
 */
const MAX_NONCES_TAKEN = 10;
/** How soon a nonce that looks taken by another transaction is looked at again, to be sure (ms). */
const TAKEN_RECHECK_MS = 200;

/**
 * A sent registry transaction: its hash, and the gas it used when its receipt was read. `ours` is false
 * when what it was to do was found done otherwise (`alreadyDone`: by another transaction, maybe another
 * instance's), and `txHash` is then the last one signed here.
 */
interface SendResult {
  txHash: string;
  gasUsed?: bigint;
  ours: boolean;
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
    const sent = await this.#send(issuerId, data, onSubmitted, async () => (await anchorOf()) !== undefined);
    const { gasUsed } = sent;
    const info = await anchorOf();
    if (!info)
      throw new ChainError(
        "NOT_APPLIED",
        `anchor transaction ${sent.txHash} was mined but root ${root} is not anchored`,
        { details: { txHash: sent.txHash, root } },
      );
    // Anchored by another transaction (another instance's, same key): name that one, when it can be found.
    const txHash = sent.ours ? sent.txHash : ((await this.#anchoringTx(info.blockNumber, data)) ?? sent.txHash);
    return { ...info, txHash, ...(gasUsed === undefined ? {} : { gasUsed }) };
  }

  /** The hash of the transaction of block `blockNumber` that sent `data` to the registry, if one did. */
  async #anchoringTx(blockNumber: number, data: string): Promise<string | undefined> {
    const registry = String(this.registry.target).toLowerCase();
    try {
      const block = await this.#retrying("block", () => this.#p.provider.getBlock(blockNumber, true));
      return block?.prefetchedTransactions.find((t) => t.to?.toLowerCase() === registry && t.data === data)?.hash;
    } catch {
      return undefined; // the hash is for the record only: the anchor is there
    }
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
    const prepare = () =>
      this.#retrying("prepare", async () => {
        // A fresh `pending` nonce each time (after another transaction of the signer took the last one).
        const populated = await signer.populateTransaction({ to: this.registry.target as string, data });
        // Refuse early, with the registry's own error, what the chain would revert.
        await provider.call({ ...populated, from });
        return populated;
      });
    /** The hashes signed so far, newest last (of every nonce tried). */
    const signedHashes: string[] = [];
    for (let prepared = 0; ; prepared++) {
      if (prepared > 0) {
        // The last nonce was taken by another transaction of the signer (another instance with the same key).
        if (await alreadyDone()) return { txHash: signedHashes[signedHashes.length - 1], ours: false };
        if (prepared > MAX_NONCES_TAKEN)
          throw new ChainError(
            "NONCE_CONFLICT",
            `registry transaction from ${from} lost ${prepared} nonces in a row to other transactions of the same signer`,
            { details: { from, noncesTaken: prepared, txHashes: signedHashes } },
          );
      }
      const request: TransactionRequest = await prepare();
      const nonce = Number(request.nonce);
      /** This nonce's transaction and its replacements, newest last. */
      const hashes: string[] = [];
      for (let attempt = 0; ; attempt++) {
        const signed = await signer.signTransaction(request);
        const tx = Transaction.from(signed);
        hashes.push(tx.hash!);
        signedHashes.push(tx.hash!);
        await onSubmitted(tx.hash!, nonce);
        const refusal = await this.#retrying("broadcast", () =>
          provider.broadcastTransaction(signed).then(
            () => undefined,
            (error: unknown) => {
              // A broadcast that timed out may have arrived ("already known": the node's message, no ethers
              // code); the nonce may have been used ("nonce too low", ethers' NONCE_EXPIRED: by one of ours,
              // the original of a replacement, or by another transaction); another transaction may be
              // pending with it (REPLACEMENT_UNDERPRICED). Which it is is found out below.
              if (/already known|already imported|known transaction/i.test(String((error as Error).message)))
                return "known" as const;
              if (isError(error, "NONCE_EXPIRED")) return "nonce-used" as const;
              if (isError(error, "REPLACEMENT_UNDERPRICED")) return "underpriced" as const;
              throw error;
            },
          ),
        );
        crashPoint("anchor-broadcast");
        // "nonce too low" and none of ours known to the node: a first sign that the nonce was taken.
        const takenSigns = refusal === "nonce-used" && !(await this.#anyKnown(hashes)) ? 1 : 0;
        const outcome = await this.#waitForReceipt(from, nonce, hashes, confirmations, replaceAfterMs, takenSigns);
        if (outcome === "taken") break; // prepared again, with a fresh nonce
        if (outcome !== "stuck") {
          const receipt = outcome;
          if (receipt.status !== 1) {
            // An anchor that reverted because the root got anchored meanwhile (by another instance) is done.
            if (await alreadyDone()) return { txHash: receipt.hash, ours: false };
            throw new ChainError("REVERTED", `registry transaction ${receipt.hash} reverted`, {
              details: { txHash: receipt.hash },
            });
          }
          return { txHash: receipt.hash, gasUsed: receipt.gasUsed, ours: true };
        }
        if (await alreadyDone()) return { txHash: tx.hash!, ours: false };
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
  }

  /**
   * `receipt` while its block is still the chain's block at that height; null once a reorganisation
   * replaced it (some nodes, ganache among them, go on answering a dropped transaction's old receipt).
   */
  async #canonical(receipt: TransactionReceipt | null): Promise<TransactionReceipt | null> {
    if (!receipt) return null;
    const block = await this.#p.provider.getBlock(receipt.blockNumber);
    return block?.hash === receipt.blockHash ? receipt : null;
  }

  /** Whether the node knows any of `hashes` (pending or mined). */
  async #anyKnown(hashes: readonly string[]): Promise<boolean> {
    const { provider } = this.#p;
    for (const hash of hashes) {
      const [tx, receipt] = await this.#retrying("lookup", () =>
        Promise.all([provider.getTransaction(hash), provider.getTransactionReceipt(hash)]),
      );
      if (tx || receipt) return true;
    }
    return false;
  }

  /**
   * The receipt of whichever of `hashes` (one nonce's transaction and its replacements) was mined, once
   * `confirmations` blocks are on top of it. "stuck" if none is mined after `timeoutMs` (the caller sends it
   * again with a higher fee). "taken" as soon as another transaction used the nonce: the account's mined
   * nonce is past `nonce` and none of `hashes` has a receipt, seen twice in a row (`takenSigns` counts a
   * sign seen before, a "nonce too low" for a hash the node does not know), so that one lagging endpoint
   * is not taken at its word. A receipt whose block is no longer the chain's counts as none, and one seen
   * mined and then gone with its nonce unused (a reorganisation) is "stuck" at once: sent again. Transit
   * failures are retried with backoff: the chain being unreachable is not the transaction being stuck.
   */
  async #waitForReceipt(
    from: string,
    nonce: number,
    hashes: readonly string[],
    confirmations: number,
    timeoutMs: number,
    takenSigns = 0,
  ): Promise<TransactionReceipt | "stuck" | "taken"> {
    const { provider, pollIntervalMs = 1000 } = this.#p;
    const { attempts, ...backoff } = this.#backoff;
    const deadline = Date.now() + timeoutMs;
    const latest = hashes[hashes.length - 1];
    /** The mined one of `hashes`, once known. */
    let mined: string | undefined;
    for (let failures = 0; ;) {
      try {
        let receipt = await this.#canonical(await provider.getTransactionReceipt(mined ?? latest));
        if (!receipt && (await provider.getTransactionCount(from, "latest")) > nonce) {
          // The nonce is used: by one of ours (the original of a replacement, or the latest, mined since
          // it was looked up), or by another transaction.
          for (const hash of [...hashes].reverse()) {
            receipt = await this.#canonical(await provider.getTransactionReceipt(hash));
            if (receipt) break;
          }
          if (receipt) takenSigns = 0;
          else if (++takenSigns >= 2) return "taken";
        } else {
          takenSigns = 0;
          if (!receipt && mined !== undefined) {
            // Mined, and now neither mined nor its nonce used: the block that held it left the chain (a
            // reorganisation) and the node did not put it back in its pool. Sent again at once.
            this.#p.log?.warn(
              { txHash: mined, nonce },
              "a mined registry transaction was reorganised out; sending it again",
            );
            return "stuck";
          }
        }
        if (receipt) mined = receipt.hash;
        const head = receipt && confirmations > 0 ? await provider.getBlockNumber() : undefined;
        failures = 0;
        if (receipt && (head === undefined || head - receipt.blockNumber >= confirmations)) return receipt;
        // A mined transaction waits for its confirmations, however long; one not mined in time is stuck.
        if (!receipt && takenSigns === 0 && Date.now() >= deadline) return "stuck";
        // A nonce seen taken is looked at again soon (a second sign, or ours after all), not after the timeout.
        if (takenSigns > 0) {
          await this.#sleep(Math.min(pollIntervalMs, TAKEN_RECHECK_MS));
          continue;
        }
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
