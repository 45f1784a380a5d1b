import { expect } from "chai";
import { cachingReader } from "../../../server/chain/caching-reader.ts";

/** A fake chain: a block number and one value that a transaction changes. */
function fakeChain() {
  const state = { block: 1, status: "valid", calls: 0, logs: 0 };
  return {
    state,
    async request({ method }: { method: string; params?: unknown[] }): Promise<unknown> {
      if (method === "eth_blockNumber") return `0x${state.block.toString(16)}`;
      if (method === "eth_call") return (state.calls++, state.status);
      if (method === "eth_getLogs") return (state.logs++, [{ transactionHash: "0xabc" }]);
      return null;
    },
  };
}

describe("cachingReader", () => {
  it("answers the same eth_call once per block, and reads again after a new block", async () => {
    const chain = fakeChain();
    const reader = cachingReader(chain, { blockMs: 20 });
    const call = { method: "eth_call", params: [{ to: "0x1", data: "0x2" }, "latest"] };
    expect(await reader.request(call)).to.equal("valid");
    expect(await reader.request(call)).to.equal("valid");
    expect(chain.state.calls).to.equal(1);
    chain.state.block = 2;
    chain.state.status = "revoked";
    await new Promise((r) => setTimeout(r, 30));
    expect(await reader.request(call)).to.equal("revoked");
    expect(chain.state.calls).to.equal(2);
  });

  it("keeps a non-empty eth_getLogs answer", async () => {
    const chain = fakeChain();
    const reader = cachingReader(chain);
    const query = { method: "eth_getLogs", params: [{ fromBlock: "0x1", toBlock: "0x1", topics: ["0x3"] }] };
    await reader.request(query);
    await reader.request(query);
    expect(chain.state.logs).to.equal(1);
  });

  it("does not keep a failed eth_call", async () => {
    let fail = true;
    const reader = cachingReader({
      async request({ method }) {
        if (method === "eth_blockNumber") return "0x1";
        if (fail) throw new Error("down");
        return "ok";
      },
    });
    const call = { method: "eth_call", params: [{}, "latest"] };
    await reader.request(call).catch(() => undefined);
    fail = false;
    expect(await reader.request(call)).to.equal("ok");
  });
});
