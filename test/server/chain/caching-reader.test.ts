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
    // The block number is re-read in the background, then block 2's answer is read once: within two
    // round trips of the new block, the change is seen.
    await reader.request(call);
    await reader.request(call);
    expect(await reader.request(call)).to.equal("revoked");
    expect(chain.state.calls).to.equal(2);
  });

  it("does not make a request wait for the block number or a new block's answer while the last ones are fresh", async () => {
    // A chain whose answers are held until released: the requests must not wait for them.
    const held: (() => void)[] = [];
    const state = { block: 1, status: "valid", calls: 0 };
    const reader = cachingReader(
      {
        request: ({ method }) =>
          new Promise((resolve) => {
            const answer = () =>
              resolve(method === "eth_blockNumber" ? `0x${state.block.toString(16)}` : (state.calls++, state.status));
            if (state.calls === 0 && method !== "eth_blockNumber") answer();
            else if (method === "eth_blockNumber" && state.block === 1) answer();
            else held.push(answer);
          }),
      },
      { blockMs: 10, staleMs: 1000 },
    );
    const call = { method: "eth_call", params: [{ to: "0x1", data: "0x2" }, "latest"] };
    expect(await reader.request(call)).to.equal("valid");
    state.block = 2;
    state.status = "revoked";
    await new Promise((r) => setTimeout(r, 20));
    // The block number is stale: re-read in the background (held), block 1 still used.
    expect(await reader.request(call)).to.equal("valid");
    expect(held).to.have.length(1);
    held.shift()!(); // block 2 arrives
    await new Promise((r) => setTimeout(r, 0));
    // Block 2's answer is being read (held): block 1's answer is given meanwhile.
    expect(await reader.request(call)).to.equal("valid");
    expect(held).to.have.length(1);
    held.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(await reader.request(call)).to.equal("revoked");
    expect(state.calls).to.equal(2);
  });

  it("gives no answer older than staleMs while the chain does not answer: the request waits, and fails with the chain", async () => {
    let down = false;
    const reader = cachingReader(
      {
        async request({ method }) {
          if (down) throw new Error("down");
          return method === "eth_blockNumber" ? "0x1" : "valid";
        },
      },
      { blockMs: 10, staleMs: 50 },
    );
    const call = { method: "eth_call", params: [{ to: "0x1", data: "0x2" }, "latest"] };
    expect(await reader.request(call)).to.equal("valid");
    down = true;
    await new Promise((r) => setTimeout(r, 20));
    expect(await reader.request(call)).to.equal("valid"); // within staleMs: block 1's answer
    await new Promise((r) => setTimeout(r, 60));
    const late = await reader.request(call).then(
      (v) => v,
      (e: Error) => e.message,
    );
    expect(late).to.equal("down");
    down = false;
    expect(await reader.request(call)).to.equal("valid");
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
