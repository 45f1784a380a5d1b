// Two issuer service instances sharing one chain signer (the same private key), each with its own ethers
// provider (so its own view of the account's nonce), on a real node: Hardhat's EDR chain, no mock of the
// chain. A nonce taken by another transaction of the same key (the other instance's, or any other) is
// noticed at once and the transaction is prepared again with a fresh nonce: nothing waits for
// `replaceAfterMs` (set to 60 s here, and the tests allow far less).
//
// Not ganache: ganache 7 accepts, and mines, a transaction whose nonce the account has already used (it
// never answers "nonce too low"), so two instances never collide there the way they do on a real node.
import { expect } from "chai";
import { BrowserProvider, Wallet, id, type TransactionReceipt } from "ethers";
import { network } from "hardhat";
import { IssuerChain } from "../../../server/chain/issuer-chain.ts";
import { deployCsbRegistry } from "../../helpers/csb-registry.ts";

const { ethers, provider: eip1193 } = await network.create();

const ROOT_ANCHORED = id("RootAnchored(bytes32,uint256)");
const REPLACE_AFTER_MS = 60_000;

/** An ethers provider of its own on the node (no caching: every call asks the node). */
function ownProvider(): BrowserProvider {
  return new BrowserProvider(eip1193, undefined, { cacheTimeout: -1, pollingInterval: 50 });
}

/** One "instance" of the service: its own provider, its own Wallet of `key`, its own IssuerChain. */
function instance(registry: string, key: string) {
  const provider = ownProvider();
  const signer = new Wallet(key, provider);
  const chain = new IssuerChain({
    provider,
    registry,
    signers: { CSB: signer },
    confirmations: 0,
    replaceAfterMs: REPLACE_AFTER_MS,
  });
  return { provider, signer, chain };
}

/** Every RootAnchored log of `registry`, as root -> how many times. */
async function anchoredRoots(provider: BrowserProvider, registry: string): Promise<Map<string, number>> {
  const logs = await provider.getLogs({ address: registry, topics: [ROOT_ANCHORED], fromBlock: 0 });
  const counts = new Map<string, number>();
  for (const log of logs) counts.set(log.topics[1], (counts.get(log.topics[1]) ?? 0) + 1);
  return counts;
}

/** Whether `receipt` holds a RootAnchored log of `root`. */
function anchors(receipt: TransactionReceipt | null, root: string): boolean {
  return receipt?.logs.some((l) => l.topics[0] === ROOT_ANCHORED && l.topics[1] === root) ?? false;
}

const mine = () => eip1193.request({ method: "evm_mine", params: [] });

describe("IssuerChain: two instances sharing one signer (same key, own providers)", function () {
  this.timeout(40_000);

  /** Two instances on a fresh registry, sharing its signer's key. */
  async function twoInstances() {
    const { registry, signer } = await deployCsbRegistry({ ethers, provider: eip1193 });
    return {
      registry,
      key: signer.privateKey,
      a: instance(registry, signer.privateKey),
      b: instance(registry, signer.privateKey),
    };
  }

  /** Anchors `perInstance` roots from each of `a` and `b`, all at once; asserts each is on chain exactly once. */
  async function anchorConcurrently(perInstance: number, prefix: string, mining?: () => Promise<unknown>) {
    const { registry, a, b } = await twoInstances();
    await mining?.();
    const submitted: { by: string; root: string; hash: string; nonce: number }[] = [];
    const roots = { a: [] as string[], b: [] as string[] };
    for (let i = 0; i < perInstance; i++) {
      roots.a.push(id(`${prefix}-a-${i}`));
      roots.b.push(id(`${prefix}-b-${i}`));
    }
    // Each instance's first transaction waits, signed, for the other's: both took the same nonce, one loses it.
    let bothSigned!: () => void;
    const barrier = new Promise<void>((resolve) => (bothSigned = resolve));
    const started = Date.now();
    const results = await Promise.all(
      (["a", "b"] as const).flatMap((by) =>
        roots[by].map(async (root, i) => {
          const { chain } = by === "a" ? a : b;
          const result = await chain.anchor("CSB", root, i + 1, async (hash, nonce) => {
            submitted.push({ by, root, hash, nonce });
            if (submitted.filter((s) => s.by === by).length > 1) return;
            if (new Set(submitted.map((s) => s.by)).size === 2) bothSigned();
            await barrier;
          });
          return { root, result };
        }),
      ),
    );
    const elapsedMs = Date.now() - started;
    const [firstA, firstB] = (["a", "b"] as const).map((by) => submitted.find((s) => s.by === by)!);
    expect(firstA.nonce).to.equal(firstB.nonce);
    const all = [...roots.a, ...roots.b];
    // Every root anchored, exactly once, each by the transaction anchor() named.
    const counts = await anchoredRoots(a.provider, registry);
    expect([...counts.keys()].sort()).to.deep.equal([...all].sort());
    expect(
      [...counts.values()].every((n) => n === 1),
      JSON.stringify([...counts]),
    ).to.equal(true);
    for (const { root, result } of results) {
      expect(result.txHash, root).to.be.a("string");
      expect(anchors(await a.provider.getTransactionReceipt(result.txHash!), root), root).to.equal(true);
      expect(await a.chain.anchorOf("CSB", root), root).to.not.equal(undefined);
    }
    return { submitted, elapsedMs, roots: all };
  }

  it("anchors 10 roots from each of two instances at once, each exactly once, without any replaceAfterMs wait", async () => {
    const { submitted, elapsedMs } = await anchorConcurrently(10, "automine");
    // The instances did collide: more transactions were signed than roots (a nonce lost, prepared again).
    expect(submitted.length).to.be.greaterThan(20);
    expect(elapsedMs).to.be.below(15_000);
  });

  it("the same with a block every 250 ms (the colliding transaction pending: replacement underpriced)", async () => {
    try {
      const { submitted, elapsedMs } = await anchorConcurrently(10, "interval", async () => {
        await eip1193.request({ method: "evm_setAutomine", params: [false] });
        await eip1193.request({ method: "evm_setIntervalMining", params: [250] });
      });
      expect(submitted.length).to.be.greaterThan(20);
      expect(elapsedMs).to.be.below(25_000);
    } finally {
      await eip1193.request({ method: "evm_setIntervalMining", params: [0] });
      await eip1193.request({ method: "evm_setAutomine", params: [true] });
    }
  });

  it("a foreign transaction takes the nonce between populate and broadcast: prepared again with a fresh nonce, anchored", async () => {
    const { registry, key, a } = await twoInstances();
    const foreign = new Wallet(key, ownProvider());
    const submitted: { hash: string; nonce: number }[] = [];
    let transfer: string | undefined;
    const root = id("foreign-before-broadcast");
    const started = Date.now();
    const result = await a.chain.anchor("CSB", root, 3, async (hash, nonce) => {
      submitted.push({ hash, nonce });
      if (submitted.length > 1) return;
      // A plain transfer from the same key with the very nonce just signed, mined before ours is broadcast.
      const tx = await foreign.sendTransaction({ to: Wallet.createRandom().address, value: 1n, nonce });
      transfer = (await tx.wait())!.hash;
    });
    expect(Date.now() - started).to.be.below(10_000);
    expect(submitted).to.have.length(2);
    expect(submitted[1].nonce).to.equal(submitted[0].nonce + 1);
    expect(submitted[1].hash).to.not.equal(submitted[0].hash);
    expect((await a.provider.getTransaction(transfer!))!.nonce).to.equal(submitted[0].nonce);
    expect(await a.provider.getTransaction(submitted[0].hash)).to.equal(null);
    expect(result.txHash).to.equal(submitted[1].hash);
    expect(anchors(await a.provider.getTransactionReceipt(submitted[1].hash), root)).to.equal(true);
    expect((await anchoredRoots(a.provider, registry)).get(root)).to.equal(1);
  });

  it("a foreign transaction replaces ours in the pool and is mined: noticed at once, not after replaceAfterMs", async () => {
    const { registry, key, a } = await twoInstances();
    const foreign = new Wallet(key, ownProvider());
    const submitted: { hash: string; nonce: number }[] = [];
    const root = id("foreign-while-pending");
    let done = false;
    let interference: Promise<void> | undefined;
    await eip1193.request({ method: "evm_setAutomine", params: [false] });
    try {
      const started = Date.now();
      const result = await a.chain.anchor("CSB", root, 5, async (hash, nonce) => {
        submitted.push({ hash, nonce });
        if (submitted.length > 1) return;
        interference = (async () => {
          // Once ours is in the pool: the same nonce, twice the fees, mined; then a block every 100 ms.
          while (!(await a.provider.getTransaction(hash))) await new Promise((r) => setTimeout(r, 20));
          const fees = await a.provider.getFeeData();
          await foreign.sendTransaction({
            to: Wallet.createRandom().address,
            value: 1n,
            nonce,
            maxFeePerGas: fees.maxFeePerGas! * 2n,
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas! * 2n,
          });
          while (!done) {
            await mine();
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
      });
      done = true;
      await interference;
      expect(Date.now() - started).to.be.below(10_000);
      expect(submitted).to.have.length(2);
      expect(submitted[1].nonce).to.equal(submitted[0].nonce + 1);
      expect(await a.provider.getTransaction(submitted[0].hash)).to.equal(null);
      expect(result.txHash).to.equal(submitted[1].hash);
      expect((await anchoredRoots(a.provider, registry)).get(root)).to.equal(1);
    } finally {
      done = true;
      await interference?.catch(() => undefined);
      await eip1193.request({ method: "evm_setAutomine", params: [true] });
    }
  });
});
