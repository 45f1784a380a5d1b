/**
 * `certs admin deploy`: the registry on a real network, from the compiled artifact, with ethers alone (no
 * Hardhat at run time). Idempotent: a registry already there (`--registry ADDR`, or one this deployer
 * created among its first {@link SCAN_NONCES} transactions, with exactly this build's code) is reused.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ContractFactory, getAddress, getCreateAddress, isError, type JsonRpcProvider, type Wallet } from "ethers";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Where `npm run build` (hardhat build) writes the registry's artifact. */
export const REGISTRY_ARTIFACT = path.join(ROOT, "artifacts/contracts/Registry.sol/Registry.json");

/** How many of the deployer's first transactions are looked at for a registry it already created. */
export const SCAN_NONCES = 64;

/** The admin handover delay of a new registry unless told otherwise: 3 days, as the Ignition module. */
export const DEFAULT_ADMIN_DELAY = 3 * 24 * 60 * 60;

/**
 * How long a command waits for a transaction it sent to be mined unless told otherwise
 * (`ECERT_ADMIN_TX_TIMEOUT_MS` for `certs admin`): 5 minutes.
 */
export const DEFAULT_TX_TIMEOUT_MS = 5 * 60 * 1000;

/** A transaction sent but not mined within the time allowed: it is not known to have failed, and may still be mined. */
export class TransactionNotMinedError extends Error {
  override name = "TransactionNotMinedError";
  readonly hash: string;
  readonly timeoutMs: number;
  constructor(hash: string, timeoutMs: number, options?: ErrorOptions) {
    super(
      `transaction ${hash} was sent but not mined within ${timeoutMs / 1000} s: it may still be mined later; check the account's nonce (or an explorer) before sending it again`,
      options,
    );
    this.hash = hash;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Waits at most `timeoutMs` for `tx` to be mined (one confirmation), instead of forever (a nonce stuck
 * behind another, a gas price too low, a chain that stopped making blocks).
 *
 * @throws TransactionNotMinedError when it is not mined by then.
 */
export async function waitMined<R>(
  tx: { hash: string; wait(confirms?: number, timeout?: number): Promise<R> },
  timeoutMs: number,
): Promise<R> {
  const started = Date.now();
  try {
    return await tx.wait(1, timeoutMs);
  } catch (error) {
    // ethers' "wait for transaction timeout"; a request's own timeout before then is the chain's trouble.
    if (isError(error, "TIMEOUT") && Date.now() - started >= timeoutMs)
      throw new TransactionNotMinedError(tx.hash, timeoutMs, { cause: error });
    throw error;
  }
}

export interface RegistryArtifact {
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
}

/** Reads the compiled registry (throws a message saying how to make it when it is missing). */
export async function readRegistryArtifact(file = REGISTRY_ARTIFACT): Promise<RegistryArtifact> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`no compiled registry at ${file}: run npm run build (hardhat build) in a full install first`);
  }
  const json = JSON.parse(text) as Partial<RegistryArtifact> & {
    contractName?: string;
    immutableReferences?: Record<string, unknown>;
  };
  if (json.contractName !== "Registry" || !json.bytecode || !json.deployedBytecode || !Array.isArray(json.abi))
    throw new Error(`${file} is not the Registry's artifact`);
  // The comparison of deployed code below is exact: it holds as long as the contract has no immutables.
  if (json.immutableReferences && Object.keys(json.immutableReferences).length > 0)
    throw new Error(`${file}: the registry has immutables; code comparison would need masking`);
  return { abi: json.abi, bytecode: json.bytecode, deployedBytecode: json.deployedBytecode };
}

/** What `deployRegistry` found or did. */
export type DeployOutcome =
  | { action: "reused"; address: string; how: "given" | "found"; sameCode: boolean }
  | { action: "no-contract"; address: string }
  | { action: "deployed"; address: string; txHash: string; blockNumber: number; adminDelay: number };

/**
 * The registry to use: `given` if set (`no-contract` when it holds no code; `sameCode` says whether it is
 * this build's), else
 * one the deployer already created with this build's code, else a new one with the deployer as its admin.
 *
 * @throws TransactionNotMinedError when the deployment is not mined within `txTimeoutMs`.
 */
export async function deployRegistry(parameters: {
  provider: JsonRpcProvider;
  deployer: Wallet;
  artifact: RegistryArtifact;
  given?: string;
  adminDelay?: number;
  /** How long to wait for the deployment to be mined (default {@link DEFAULT_TX_TIMEOUT_MS}). */
  txTimeoutMs?: number;
}): Promise<DeployOutcome> {
  const {
    provider,
    deployer,
    artifact,
    given,
    adminDelay = DEFAULT_ADMIN_DELAY,
    txTimeoutMs = DEFAULT_TX_TIMEOUT_MS,
  } = parameters;
  const expected = artifact.deployedBytecode.toLowerCase();
  if (given) {
    const address = getAddress(given);
    const code = (await provider.getCode(address)).toLowerCase();
    if (code === "0x") return { action: "no-contract", address };
    return { action: "reused", address, how: "given", sameCode: code === expected };
  }
  const [nonce, pending] = await Promise.all([
    provider.getTransactionCount(deployer.address, "latest"),
    provider.getTransactionCount(deployer.address, "pending"),
  ]);
  // A transaction of the deployer still pending may be an earlier run's deployment: deploying again now
  // could make a second registry.
  if (pending > nonce) {
    throw new Error(
      `the deployer ${deployer.address} has ${pending - nonce} transaction(s) pending (nonces ${nonce} to ${pending - 1}): wait until they are mined, then run deploy again`,
    );
  }
  const candidates = Array.from({ length: Math.min(nonce, SCAN_NONCES) }, (_, n) =>
    getCreateAddress({ from: deployer.address, nonce: n }),
  );
  for (let i = 0; i < candidates.length; i += 8) {
    const codes = await Promise.all(candidates.slice(i, i + 8).map((a) => provider.getCode(a)));
    const k = codes.findIndex((c) => c.toLowerCase() === expected);
    if (k >= 0) return { action: "reused", address: candidates[i + k], how: "found", sameCode: true };
  }
  const factory = new ContractFactory(artifact.abi as never, artifact.bytecode, deployer);
  const contract = await factory.deploy(adminDelay, deployer.address);
  const tx = contract.deploymentTransaction()!;
  const receipt = await waitMined(tx, txTimeoutMs);
  if (!receipt || receipt.status !== 1) throw new Error(`the registry's deployment transaction ${tx.hash} failed`);
  return {
    action: "deployed",
    address: getAddress(receipt.contractAddress!),
    txHash: tx.hash,
    blockNumber: receipt.blockNumber,
    adminDelay,
  };
}
