import { expect } from "chai";
import { ConfigError, loadConfig, redact, shownUrl } from "../../server/config.ts";

const INFURA_KEY = "0123456789abcdef0123456789abcdef"; // 32 hex, as Infura's project ids
const ALCHEMY_KEY = "aB3dE_fGhIjK-LmNoPqRsTuVwXyZ0123"; // 32 of letters, digits, - and _
const ANKR_KEY = "ab".repeat(32); // 64 hex

describe("redact: URLs for messages and logs", () => {
  it("removes a user name, password and query, as before", () => {
    expect(redact("https://user:pw@rpc.example.org/eth?key=abc&x=1")).to.equal("https://rpc.example.org/eth");
    expect(redact("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545/");
    expect(redact("not a url")).to.equal("(unparseable URL)");
  });

  it("hides an Infura key in the path: https://mainnet.infura.io/v3/KEY", () => {
    expect(redact(`https://mainnet.infura.io/v3/${INFURA_KEY}`)).to.equal("https://mainnet.infura.io/v3/***");
    expect(redact(`wss://mainnet.infura.io/ws/v3/${INFURA_KEY}`)).to.equal("wss://mainnet.infura.io/ws/v3/***");
  });

  it("hides an Alchemy key in the path: https://eth-mainnet.g.alchemy.com/v2/KEY", () => {
    expect(redact(`https://eth-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY}`)).to.equal(
      "https://eth-mainnet.g.alchemy.com/v2/***",
    );
  });

  it("hides an Ankr key in the path: https://rpc.ankr.com/eth/KEY (and keeps what follows it)", () => {
    expect(redact(`https://rpc.ankr.com/eth/${ANKR_KEY}`)).to.equal("https://rpc.ankr.com/eth/***");
    expect(redact(`https://rpc.ankr.com/eth/${ANKR_KEY}/`)).to.equal("https://rpc.ankr.com/eth/***/");
  });

  it("hides 16+ characters with a digit, or any 20+, and keeps shorter or ordinary segments", () => {
    expect(redact("https://x.example/api/abc123def456ghi7")).to.equal("https://x.example/api/***"); // 16, a digit
    expect(redact("https://x.example/api/abcdefghijklmnop")).to.equal("https://x.example/api/abcdefghijklmnop"); // 16, none
    expect(redact("https://x.example/api/abcdefghijklmnopqrst")).to.equal("https://x.example/api/***"); // 20
    expect(redact("https://x.example/api/abc123def456ghi")).to.equal("https://x.example/api/abc123def456ghi"); // 15
    expect(redact("https://x.example/rpc/v1.2/some.file.name.json")).to.equal(
      "https://x.example/rpc/v1.2/some.file.name.json",
    );
  });

  it("leaves a URL with no secret unchanged", () => {
    for (const url of [
      "https://rpc.example.org/",
      "https://rpc.example.org/eth",
      "https://polygon-rpc.com/",
      "https://rpc.example.org/v3/api/rpc",
      "http://127.0.0.1:8545/rpc",
    ])
      expect(redact(url)).to.equal(url);
  });

  it("is what loadConfig's CHAIN_RPC_URLS error names: no key from the path", () => {
    expect(() =>
      loadConfig({
        CHAIN_RPC_URLS: `wss://mainnet.infura.io/ws/v3/${INFURA_KEY}`,
        CHAIN_ID: "1",
        REGISTRY_ADDRESS: `0x${"11".repeat(20)}`,
        ISSUER_IDS: "CSB",
      }),
    )
      .to.throw(ConfigError, /not wss:\/\/mainnet\.infura\.io\/ws\/v3\/\*\*\*$/)
      .and.satisfy((e: Error) => !e.message.includes(INFURA_KEY));
  });

  it("shows a URL someone typed in a usage message without its key, even when it does not parse (shownUrl)", () => {
    expect(shownUrl(`wss://user:pw@mainnet.infura.io/ws/v3/${INFURA_KEY}`)).to.equal(
      "wss://mainnet.infura.io/ws/v3/***",
    );
    const typo = shownUrl(`htps//user:pw@mainnet.infura.io/v3/${INFURA_KEY}`);
    expect(typo).to.not.include(INFURA_KEY).and.not.include("pw");
    expect(typo).to.equal("htps//***@mainnet.infura.io/v3/***");
  });
});
