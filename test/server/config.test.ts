import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
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

describe("APPROVALS (maker-checker per department)", () => {
  it("is on for every department by default, and takes none or a list of issuer ids", () => {
    expect(loadConfig({}).approvals).to.equal("all");
    expect(loadConfig({ APPROVALS: "none" }).approvals).to.equal("none");
    expect(loadConfig({ APPROVALS: "CSB,FSD" }).approvals).to.deep.equal(["CSB", "FSD"]);
  });

  it("refuses anything else, naming the variable", () => {
    for (const bad of ["", "off", "csb", "CSB,", "CSB FSD"])
      expect(() => loadConfig({ APPROVALS: bad }), bad).to.throw(ConfigError, /^APPROVALS: /);
  });
});

describe("config/production.env.example", () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const text = readFileSync(path.join(root, "config/production.env.example"), "utf8");
  const env = Object.fromEntries(
    text
      .split("\n")
      .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );

  it("is a valid production configuration", () => {
    const config = loadConfig(env);
    expect(config.chain?.rpcUrls).to.have.length(2);
    expect(config.chain?.pades.CSB).to.have.property("p12File");
  });

  it("names every variable server/config.ts reads", () => {
    const source = readFileSync(path.join(root, "server/config.ts"), "utf8");
    const schema = source.slice(
      source.indexOf("const envSchema"),
      source.indexOf("});", source.indexOf("const envSchema")),
    );
    const read = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
    const perIssuer = [...source.matchAll(/need\("([A-Z0-9_]+)"\)/g)].map((m) => `CSB_${m[1]}`);
    expect(read).to.include.members(["PORT", "CHAIN_RPC_URLS", "LOG_LEVEL"]);
    const named = new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    for (const variable of [...read, ...new Set(perIssuer)]) expect(named.has(variable), variable).to.equal(true);
  });
});
