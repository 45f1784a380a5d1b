import { expect } from "chai";
import { ConfigError, loadConfig } from "../../server/config.ts";

const production = {
  CHAIN_RPC_URLS: "https://rpc.example.invalid",
  CHAIN_ID: "1337",
  REGISTRY_ADDRESS: `0x${"11".repeat(20)}`,
  ISSUER_IDS: "CSB",
  CSB_SIGNER_KEYSTORE: "/keys/csb.json",
  CSB_SIGNER_PASSWORD: "secret",
  CSB_PADES_P12: "/keys/csb.p12",
  CSB_PADES_P12_PASSWORD: "secret",
};

describe("loadConfig", () => {
  it("refuses a WebSocket endpoint in CHAIN_RPC_URLS, naming the variable and never the credentials", () => {
    expect(() =>
      loadConfig({
        ...production,
        CHAIN_RPC_URLS: "https://a.example.invalid,wss://user:pw@b.example.invalid/v3/KEY?x=1",
      }),
    )
      .to.throw(ConfigError, /^CHAIN_RPC_URLS: only http:\/\/ and https:\/\/ endpoints are supported/)
      .and.satisfy((e: Error) => !e.message.includes("pw") && !e.message.includes("x=1"));
  });

  it("takes http(s) endpoints with a request timeout (CHAIN_RPC_TIMEOUT_MS), and refuses a timeout out of range", () => {
    const config = loadConfig({
      ...production,
      CHAIN_RPC_URLS: "http://127.0.0.1:8545, https://b.example.invalid",
      CHAIN_RPC_TIMEOUT_MS: "2500",
    });
    expect(config.chain!.rpcUrls).to.deep.equal(["http://127.0.0.1:8545", "https://b.example.invalid"]);
    expect(config.chain!.rpcTimeoutMs).to.equal(2500);
    expect(() => loadConfig({ ...production, CHAIN_RPC_TIMEOUT_MS: "5" })).to.throw(
      ConfigError,
      /^CHAIN_RPC_TIMEOUT_MS: /,
    );
  });
});
