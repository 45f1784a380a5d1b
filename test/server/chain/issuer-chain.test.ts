import { expect } from "chai";
import { id } from "ethers";
import { network } from "hardhat";
import { IssuerChain } from "../../../server/chain/issuer-chain.ts";
import { deployCsbRegistry } from "../../helpers/csb-registry.ts";

const { ethers, provider: eip1193 } = await network.create();

describe("IssuerChain", () => {
  const deployed = () => deployCsbRegistry({ ethers, provider: eip1193 });

  it("anchors a root once: a second call finds it anchored and sends nothing", async () => {
    const { registry, signer, provider } = await deployed();
    const chain = new IssuerChain({ provider, registry, signers: { CSB: signer }, confirmations: 0 });
    const submitted: string[] = [];
    const first = await chain.anchor("CSB", id("root-a"), 3, async (hash) => void submitted.push(hash));
    const second = await chain.anchor("CSB", id("root-a"), 3, async (hash) => void submitted.push(hash));
    expect(submitted).to.have.length(1);
    expect(first.txHash).to.equal(submitted[0]);
    expect(second.txHash).to.equal(null);
    expect(second.blockNumber).to.equal(first.blockNumber);
  });

  it("sends a stuck anchor again with the same nonce and a higher fee, recording each hash before broadcast", async () => {
    const { registry, signer, provider } = await deployed();
    const chain = new IssuerChain({
      provider,
      registry,
      signers: { CSB: signer },
      confirmations: 0,
      replaceAfterMs: 400,
      pollIntervalMs: 50,
    });
    await eip1193.request({ method: "evm_setAutomine", params: [false] });
    const submitted: { hash: string; nonce: number }[] = [];
    // Mine only once the transaction has been replaced.
    const miner = (async () => {
      while (submitted.length < 2) await new Promise((r) => setTimeout(r, 50));
      await eip1193.request({ method: "evm_mine", params: [] });
    })();
    try {
      const result = await chain.anchor(
        "CSB",
        id("root-stuck"),
        7,
        async (hash, nonce) => void submitted.push({ hash, nonce }),
      );
      await miner;
      expect(submitted).to.have.length(2);
      expect(submitted[1].nonce).to.equal(submitted[0].nonce);
      expect(submitted[1].hash).to.not.equal(submitted[0].hash);
      // The replacement took the original's place in the pool and was mined; the original is gone.
      expect(await provider.getTransaction(submitted[0].hash)).to.equal(null);
      expect((await provider.getTransactionReceipt(submitted[1].hash))!.status).to.equal(1);
      expect(result.txHash).to.equal(submitted[1].hash);
      expect(await chain.anchorOf("CSB", id("root-stuck"))).to.not.equal(undefined);
    } finally {
      await eip1193.request({ method: "evm_setAutomine", params: [true] });
    }
  });

  it("refuses, with the registry's error and without sending, a status change the registry would revert", async () => {
    const { registry, signer, provider } = await deployed();
    const chain = new IssuerChain({ provider, registry, signers: { CSB: signer }, confirmations: 0 });
    let sent = false;
    try {
      await chain.changeStatus(
        "CSB",
        { kind: "reinstate", leaf: id("never-suspended") },
        async () => void (sent = true),
      );
      expect.fail("should have been refused");
    } catch (error) {
      expect(String((error as Error).message)).to.match(/RegistryInvalidTransition|revert/);
    }
    expect(sent).to.equal(false);
  });

  it("refuses to act for an issuer it has no signer for", async () => {
    const { registry, provider } = await deployed();
    const chain = new IssuerChain({ provider, registry, signers: {}, confirmations: 0 });
    try {
      await chain.changeStatus("FSD", { kind: "revoke", leaf: id("x"), reason: 1 }, async () => undefined);
      expect.fail("should have been refused");
    } catch (error) {
      expect((error as Error).message).to.equal("no chain signer is configured for issuer FSD");
    }
  });
});
