import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { id, makeError } from "ethers";
import { network } from "hardhat";
import { errorResponse } from "../../../server/api/errors.ts";
import { isTransientChainError } from "../../../server/chain/backoff.ts";
import { ChainError, chainErrorCode, isChainError } from "../../../server/chain/chain-error.ts";
import { createChainProvider } from "../../../server/chain/chain-provider.ts";
import { IssuerChain } from "../../../server/chain/issuer-chain.ts";
import { deployCsbRegistry } from "../../helpers/csb-registry.ts";
import { StoreError } from "../../../server/db/store-error.ts";

const { ethers, provider: eip1193 } = await network.create();

describe("ChainError", () => {
  const deployed = () => deployCsbRegistry({ ethers, provider: eip1193 });

  it("is REVERTED, naming the registry's custom error, when the registry refuses a status change; the client gets 409", async () => {
    const { registry, signer, provider } = await deployed();
    const chain = new IssuerChain({ provider, registry, signers: { CSB: signer }, confirmations: 0 });
    const error = await chain
      .changeStatus("CSB", { kind: "reinstate", leaf: id("never-suspended") }, async () =>
        expect.fail("must not be sent"),
      )
      .catch((e: unknown) => e);
    expect(isChainError(error, "REVERTED")).to.equal(true);
    expect((error as ChainError).details).to.deep.include({ registryError: "RegistryInvalidTransition" });
    expect(isTransientChainError(error)).to.equal(false);
    expect(errorResponse(error)).to.deep.include({ status: 409 });
    expect(errorResponse(error).body.error.code).to.equal("REVERTED");
  });

  it("is NO_SIGNER, with the same message, for an issuer without a signer", async () => {
    const { registry, provider } = await deployed();
    const error = await new IssuerChain({ provider, registry, signers: {}, confirmations: 0 })
      .changeStatus("FSD", { kind: "revoke", leaf: id("x"), reason: 1 }, async () => undefined)
      .catch((e: unknown) => e);
    expect(isChainError(error, "NO_SIGNER")).to.equal(true);
    expect((error as Error).message).to.equal("no chain signer is configured for issuer FSD");
  });

  it("is UNAVAILABLE, after the retries, when no endpoint can be reached; the client gets 503 with Retry-After", async () => {
    // A port nothing listens on.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const provider = createChainProvider([`http://127.0.0.1:${port}`], 31337, { timeoutMs: 500 });
    const chain = new IssuerChain({
      provider,
      registry: `0x${"1".repeat(40)}`,
      signers: {},
      confirmations: 0,
      retry: { attempts: 2, baseMs: 1, maxMs: 2 },
    });
    try {
      const error = await chain.anchorOf("CSB", id("root")).catch((e: unknown) => e);
      expect(isChainError(error, "UNAVAILABLE")).to.equal(true);
      expect(isTransientChainError(error)).to.equal(true);
      const answer = errorResponse(error);
      expect(answer.status).to.equal(503);
      expect(Number(answer.headers["retry-after"])).to.be.at.least(1);
    } finally {
      provider.destroy();
    }
  });

  it("passes a store error raised inside a chain call on as it is (a busy database is not the chain's failure)", async () => {
    const { registry, signer, provider } = await deployed();
    const chain = new IssuerChain({ provider, registry, signers: { CSB: signer }, confirmations: 0 });
    const busy = new StoreError("BUSY", "lock timeout");
    const error = await chain
      .anchor("CSB", id("root-busy"), 1, async () => Promise.reject(busy))
      .catch((e: unknown) => e);
    expect(error).to.equal(busy);
  });

  it("reads codes, not messages: ethers' codes and connection system codes; a message only when no code exists", () => {
    expect(chainErrorCode(makeError("reverted", "CALL_EXCEPTION"))).to.equal("REVERTED");
    expect(chainErrorCode(makeError("anything at all", "TIMEOUT"))).to.equal("UNAVAILABLE");
    expect(chainErrorCode(makeError("nonce has already been used", "NONCE_EXPIRED"))).to.equal("NONCE_CONFLICT");
    expect(chainErrorCode(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }))).to.equal("UNAVAILABLE");
    expect(chainErrorCode(new Error("read ECONNRESET"))).to.equal("UNAVAILABLE");
    // A message that looks like a revert or a connection failure does not make one when a code says otherwise.
    expect(
      chainErrorCode(Object.assign(new Error("execution reverted: ECONNRESET"), { code: "INVALID_ARGUMENT" })),
    ).to.equal(undefined);
    expect(chainErrorCode(new StoreError("BUSY", "ECONNRESET"))).to.equal(undefined);
    expect(ChainError.from(makeError("t", "TIMEOUT")).cause).to.have.property("code", "TIMEOUT");
  });
});
