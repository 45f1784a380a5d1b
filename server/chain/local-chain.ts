import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import RegistryModule from "../../ignition/modules/Registry.ts";
import { ensureDevPki } from "../pki/dev-pki.ts";
import { openJournal, type OpenedJournal } from "./chain-journal.ts";
import { loadIssuersFile, registerIssuers, type RegistrationStep, type RegistryAdmin } from "./issuers.ts";
import { serveJsonRpc } from "./rpc-server.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The development issuers file committed in the repository. */
export const DEV_ISSUERS_FILE = path.join(ROOT, "config/issuers.dev.json");

/**
 * Private keys of Hardhat's well-known development accounts (from its public default mnemonic):
 * #0 is the governance admin, #1 signs for CSB and #2 for FSD in `config/issuers.dev.json`.
 * Public knowledge: only ever for the local chain.
 */
export const DEV_KEYS = {
  admin: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  CSB: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  FSD: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
} as const;

export interface LocalChainParameters {
  /** Where the development PKI lives (`DATA_DIR`); its `pki/` folder is created on first use. */
  dataDir: string;
  /** JSON-RPC port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Issuers to register (default: the development CSB and FSD). */
  issuersFile?: string;
  /**
   * Keep the chain across restarts: every transaction is appended to `DATA_DIR/chain/journal.jsonl` with
   * its block time, and a restart replays the journal into a fresh chain that starts at the same date,
   * so every earlier anchor, status and address is exactly as it was. (EDR keeps its state in memory
   * only.) Each line is fsynced before the transaction's result is returned. A torn last line (a crash
   * mid-append) is dropped with a warning; a damaged line before it stops the start (see
   * `chain-journal.ts`). Off by default: tests start from an empty chain.
   */
  persist?: boolean;
  /** Where journal warnings go (a dropped torn line); default `console.warn`. */
  onWarning?: (message: string) => void;
}

export interface LocalChainResult {
  rpcUrl: string;
  chainId: number;
  registry: string;
  /** The in-process EIP-1193 provider, for callers in the same process. */
  provider: { request(args: { method: string; params?: unknown[] }): Promise<unknown> };
  registration: RegistrationStep[];
  close(): Promise<void>;
}

/**
 * Starts Hardhat's in-process chain (EDR), serves it over JSON-RPC, deploys the registry with the
 * Ignition module and registers the issuers of `issuersFile`, creating the development PKI whose
 * certificate fingerprints they reference. The base of `npm start`'s embedded default.
 *
 * @example
 * const chain = await startLocalChain({ dataDir: ".data", port: 8545 });
 * console.log(chain.rpcUrl, chain.registry);
 * await chain.close();
 */
export async function startLocalChain(parameters: LocalChainParameters): Promise<LocalChainResult> {
  const { dataDir, persist = false, onWarning } = parameters;
  const journalFile = path.join(dataDir, "chain", "journal.jsonl");
  const firstDate = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  const opened = persist ? openJournal(journalFile, { initialDate: firstDate, onWarning }) : undefined;
  try {
    return await startChain(parameters, journalFile, firstDate, opened);
  } catch (error) {
    opened?.close();
    throw error;
  }
}

async function startChain(
  parameters: LocalChainParameters,
  journalFile: string,
  firstDate: string,
  opened: OpenedJournal | undefined,
): Promise<LocalChainResult> {
  const { dataDir, port = 0, host = "127.0.0.1", issuersFile = DEV_ISSUERS_FILE } = parameters;
  const journal = opened?.contents;
  const connection = await network.create({ override: { initialDate: journal?.initialDate ?? firstDate } });
  const { ethers, ignition, provider } = connection;

  if (journal) {
    // Replay: same transactions, same block times, so the same addresses and state.
    for (const entry of journal.transactions) {
      await provider.request({ method: "evm_setNextBlockTimestamp", params: [entry.timestamp] });
      try {
        await provider.request({ method: entry.method, params: entry.params });
      } catch (error) {
        // A reverted transaction was mined all the same (it used its nonce): it fails again, identically.
        if (!entry.reverted)
          throw new Error(
            `${journalFile}, line ${entry.line}: replaying the transaction failed: ${(error as Error).message}`,
            { cause: error },
          );
      }
    }
    // The chain's clock started at the first run's date: bring it to now.
    const latest = (await provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as {
      timestamp: string;
    };
    const behind = Math.floor(Date.now() / 1000) - Number(latest.timestamp);
    if (behind > 0) await provider.request({ method: "evm_increaseTime", params: [behind] });
  }
  if (opened) recordTransactions(provider, opened);
  const address = journal?.registry ?? (await deployRegistry());
  async function deployRegistry(): Promise<string> {
    const { registry } = await ignition.deploy(RegistryModule, {
      parameters: { Registry: { adminDelay: 0 } },
      displayUi: false,
    });
    const deployed = await registry.getAddress();
    opened?.append({ type: "registry", address: deployed });
    return deployed;
  }
  const registry = await ethers.getContractAt("Registry", address);

  await ensureDevPki(path.join(dataDir, "pki"), [
    { id: "CSB", nameEn: "Civil Service Bureau" },
    { id: "FSD", nameEn: "Fire Services Department" },
  ]);
  const issuers = await loadIssuersFile(issuersFile, { DATA_DIR: path.resolve(dataDir) });
  const registration = await registerIssuers(registry as unknown as RegistryAdmin, issuers);

  const rpc = await serveJsonRpc({ provider, port, host });
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  return {
    rpcUrl: rpc.url,
    chainId,
    registry: address,
    provider,
    registration,
    close: async () => {
      await rpc.close();
      await connection.close();
      opened?.close();
    },
  };
}

type Eip1193 = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

/**
 * Appends every transaction the chain accepts to the journal, durably, before its result goes back:
 * with the time of the block it went into (the chain automines: one transaction, one block). Sends
 * are taken one at a time so the lines are in block order. A transaction that reverted was mined all
 * the same and is recorded too (marked `reverted`), or the replayed nonces would diverge. Other requests
 * wait for the sends before them to be journaled, so no one reads a transaction that a crash can take
 * back; and once an append failed, every request is refused (the chain holds a transaction the journal
 * does not) until a restart.
 */
function recordTransactions(provider: Eip1193, journal: OpenedJournal): void {
  const insideSend = new AsyncLocalStorage<true>();
  const request = provider.request.bind(provider);
  let previous: Promise<unknown> = Promise.resolve();
  provider.request = (args) => {
    if (journal.failure) return Promise.reject(journal.failure);
    if (args.method !== "eth_sendTransaction" && args.method !== "eth_sendRawTransaction") {
      // Nothing is seen of a transaction before its line is durable: a read waits for the sends before it
      // (a receipt or an anchor seen, then lost with a torn line, would have been trusted by its reader).
      // (Requests the chain makes of itself while it runs a send go straight through.)
      if (insideSend.getStore()) return request(args);
      return previous.then(() => (journal.failure ? Promise.reject(journal.failure) : request(args)));
    }
    const method = args.method;
    const run = previous.then(() =>
      insideSend.run(true, async () => {
        if (journal.failure) throw journal.failure;
        let result: unknown;
        let failure: unknown;
        let hash: unknown;
        try {
          hash = result = await request(args);
        } catch (error) {
          failure = error;
          hash = (error as { transactionHash?: unknown }).transactionHash;
          if (typeof hash !== "string") throw error; // refused, not mined
        }
        const receipt = (await request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
          blockNumber: string;
        } | null;
        const block = (await request({
          method: "eth_getBlockByNumber",
          params: [receipt?.blockNumber ?? "latest", false],
        })) as { timestamp: string };
        journal.append({
          type: "tx",
          method,
          params: args.params ?? [],
          timestamp: Number(block.timestamp),
          ...(failure === undefined ? {} : { reverted: true as const }),
        });
        if (failure !== undefined) throw failure;
        return result;
      }),
    );
    previous = run.catch(() => undefined);
    return run;
  };
}
