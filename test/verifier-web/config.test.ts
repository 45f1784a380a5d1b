import { expect } from "chai";
import { parseConfig } from "../../verifier-web/src/config.ts";

const BASE = new URL("https://verify.example.hk/config.json");
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const config = (extra: Record<string, unknown> = {}) => ({
  rpcUrls: ["/rpc", "https://rpc-2.example.org"],
  chainId: 31337,
  registry: REGISTRY,
  ...extra,
});

describe("verifier page: config.json", () => {
  it("takes quorum 1 when it is not given, and a quorum from 1 to the number of endpoints", () => {
    expect(parseConfig(config(), BASE)).to.deep.equal({
      rpcUrls: ["https://verify.example.hk/rpc", "https://rpc-2.example.org/"],
      chainId: 31337,
      registry: REGISTRY,
      quorum: 1,
    });
    expect(parseConfig(config({ quorum: 2 }), BASE).quorum).to.equal(2);
  });

  it("refuses a quorum that is not an integer from 1 to the number of rpcUrls, naming the field", () => {
    for (const quorum of [0, 3, 1.5, -1, "2", null, true]) {
      expect(() => parseConfig(config({ quorum }), BASE), JSON.stringify(quorum)).to.throw(
        `config.json: quorum must be an integer from 1 to the number of rpcUrls (2), not ${JSON.stringify(quorum)}`,
      );
    }
  });

  it("takes a block explorer's address (explorerUrl) only as an absolute http(s) URL ending in /, without credentials, query or fragment", () => {
    expect(parseConfig(config(), BASE)).to.not.have.property("explorerUrl");
    expect(parseConfig(config({ explorerUrl: "https://explorer.example.hk/" }), BASE).explorerUrl).to.equal(
      "https://explorer.example.hk/",
    );
    expect(parseConfig(config({ explorerUrl: "http://127.0.0.1:4000/chain/" }), BASE).explorerUrl).to.equal(
      "http://127.0.0.1:4000/chain/",
    );
    for (const explorerUrl of [
      "javascript:alert(1)//",
      "/explorer/",
      "explorer.example.hk/",
      "https://explorer.example.hk",
      "https://explorer.example.hk/tx",
      "https://user:pw@explorer.example.hk/",
      "https://explorer.example.hk/?x=/",
      "https://explorer.example.hk/#/",
      "https://EXPLORER.example.hk/",
      "ftp://explorer.example.hk/",
      "",
      1,
      null,
      ["https://explorer.example.hk/"],
    ]) {
      expect(() => parseConfig(config({ explorerUrl }), BASE), JSON.stringify(explorerUrl)).to.throw(
        `config.json: explorerUrl must be a block explorer's absolute http(s) address ending in "/"`,
      );
    }
  });

  it("takes the registry's deployment block (registryFromBlock, for the issuer directory) only as a block number", () => {
    expect(parseConfig(config({ registryFromBlock: 1234 }), BASE).registryFromBlock).to.equal(1234);
    for (const registryFromBlock of [-1, 1.5, "12", null, 2 ** 60]) {
      expect(() => parseConfig(config({ registryFromBlock }), BASE), JSON.stringify(registryFromBlock)).to.throw(
        `config.json: registryFromBlock must be a block number (an integer from 0), not ${JSON.stringify(registryFromBlock)}`,
      );
    }
  });
});
