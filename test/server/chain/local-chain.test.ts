import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Contract, JsonRpcProvider, Wallet, encodeBytes32String } from "ethers";
import { certificateFingerprint, loadIssuersFile, registerIssuers, type RegistryAdmin } from "../../../server/chain/issuers.ts";
import { DEV_ISSUERS_FILE, DEV_KEYS, startLocalChain, type LocalChainResult } from "../../../server/chain/local-chain.ts";

const REGISTRY_ABI = [
  "function issuer(bytes32) view returns ((bytes32 id, uint32 number, bool active, uint64 stoppedAt, string nameEn, string nameZh, string domain, bytes32 signingCertificate, address[] signers))",
  "function signerRecord(address) view returns ((bytes32 issuerId, uint64 validFrom, uint64 validUntil))",
  "function isSigningCertificate(bytes32, bytes32) view returns (bool)",
  "function registerIssuer(bytes32, string, string, string, bytes32)",
  "function addSigningCertificate(bytes32, bytes32)",
  "function addSigner(bytes32, address, uint64, uint64)",
];
const ISSUER_ABI = [
  "function issuer(bytes32) view returns ((bytes32 id, uint32 number, bool active, uint64 stoppedAt, string nameEn, string nameZh, string domain, bytes32 signingCertificate, address[] signers))",
];

describe("startLocalChain", () => {
  let dataDir: string;
  let chain: LocalChainResult;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-chain-"));
    chain = await startLocalChain({ dataDir, port: 0 });
  });
  after(async () => {
    await chain.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves the chain over JSON-RPC with chain id 31337", async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    expect((await provider.getNetwork()).chainId).to.equal(31337n);
    expect(chain.chainId).to.equal(31337);
    provider.destroy();
  });

  it("registers CSB and FSD with their names, domains and development certificate fingerprints", async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const registry = new Contract(chain.registry, ISSUER_ABI, provider);
    const csb = await registry.issuer(encodeBytes32String("CSB"));
    expect(csb.nameEn).to.equal("Civil Service Bureau");
    expect(csb.nameZh).to.equal("公務員事務局");
    expect(csb.domain).to.equal("csb.gov.hk");
    expect(csb.active).to.equal(true);
    expect(csb.signers).to.deep.equal(["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]);
    expect(csb.signingCertificate).to.equal(await certificateFingerprint(path.join(dataDir, "pki/CSB.cert.pem")));
    const fsd = await registry.issuer(encodeBytes32String("FSD"));
    expect(fsd.nameZh).to.equal("消防處");
    expect(fsd.signingCertificate).to.not.equal(csb.signingCertificate);
    provider.destroy();
  });

  it("changes nothing when the same issuers are registered again", async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const admin = new Wallet(DEV_KEYS.admin, provider);
    const registry = new Contract(chain.registry, REGISTRY_ABI, admin);
    const issuers = await loadIssuersFile(DEV_ISSUERS_FILE, { DATA_DIR: dataDir });
    const steps = await registerIssuers(registry as unknown as RegistryAdmin, issuers);
    expect(steps).to.deep.equal([
      { issuer: "CSB", action: "unchanged" },
      { issuer: "FSD", action: "unchanged" },
    ]);
    provider.destroy();
  });

  it("adds a renewed signing certificate and a new signer to an existing issuer", async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const admin = new Wallet(DEV_KEYS.admin, provider);
    const registry = new Contract(chain.registry, REGISTRY_ABI, admin);
    const [csb] = await loadIssuersFile(DEV_ISSUERS_FILE, { DATA_DIR: dataDir });
    const renewed = { ...csb, signingCertificate: "0x" + "cd".repeat(32), signers: [...csb.signers, { address: Wallet.createRandom().address, validFrom: 1767225600 }] };
    const steps = await registerIssuers(registry as unknown as RegistryAdmin, [renewed]);
    expect(steps.map((s) => s.action)).to.deep.equal(["added-signing-certificate", "added-signer"]);
    expect(await registry.isSigningCertificate(encodeBytes32String("CSB"), "0x" + "cd".repeat(32))).to.equal(true);
    provider.destroy();
  });

  it("keeps development keys readable by the owner only", async () => {
    const { stat } = await import("node:fs/promises");
    expect((await stat(path.join(dataDir, "pki/CSB.key.pem"))).mode & 0o077).to.equal(0);
  });

  it("answers a JSON-RPC parse error for a body that is not JSON", async () => {
    const res = await fetch(chain.rpcUrl, { method: "POST", body: "{nope" });
    expect((await res.json()).error.code).to.equal(-32700);
  });

  it("refuses a GET with 405", async () => {
    expect((await fetch(chain.rpcUrl)).status).to.equal(405);
  });

  it("refuses a body over the size limit with 413", async () => {
    const res = await fetch(chain.rpcUrl, { method: "POST", body: "x".repeat(2 * 1024 * 1024) });
    expect(res.status).to.equal(413);
  });

  it("returns the provider's error for a failing call, keeping the request id", async () => {
    const res = await fetch(chain.rpcUrl, {
      method: "POST",
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "eth_noSuchMethod", params: [] }),
    });
    const body = await res.json();
    expect(body.id).to.equal(7);
    expect(body.error.code).to.be.a("number");
  });
});

describe("loadIssuersFile", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-issuers-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function load(json: unknown): Promise<unknown> {
    const file = path.join(dir, "issuers.json");
    await writeFile(file, typeof json === "string" ? json : JSON.stringify(json));
    return loadIssuersFile(file, { DATA_DIR: dir });
  }
  const good = {
    id: "CSB",
    nameEn: "Civil Service Bureau",
    nameZh: "公務員事務局",
    domain: "csb.gov.hk",
    signingCertificate: "0x" + "ab".repeat(32),
    signers: [{ address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", validFrom: "2026-01-01T00:00:00Z" }],
  };

  it("reads a hex fingerprint and converts signer times to unix seconds", async () => {
    const [issuer] = (await load({ issuers: [good] })) as Awaited<ReturnType<typeof loadIssuersFile>>;
    expect(issuer.signingCertificate).to.equal("0x" + "ab".repeat(32));
    expect(issuer.signers[0]).to.deep.equal({
      address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      validFrom: 1767225600,
      validUntil: undefined,
    });
  });

  it("names the field when a signer address is malformed", async () => {
    const bad = { ...good, signers: [{ ...good.signers[0], address: "0x123" }] };
    await expectRejection(load({ issuers: [bad] }), /issuers\.0\.signers\.0\.address: must be a 0x-prefixed 20-byte address/);
  });

  it("names the file when it is not JSON", async () => {
    await expectRejection(load("{"), /issuers\.json: not valid JSON/);
  });

  it("says which certificate file is missing", async () => {
    await expectRejection(load({ issuers: [{ ...good, signingCertificate: "${DATA_DIR}/none.pem" }] }), /signing certificate file not found: .*none\.pem/);
  });

  it("refuses a certificate file that is not PEM", async () => {
    await writeFile(path.join(dir, "junk.pem"), "hello");
    await expectRejection(load({ issuers: [{ ...good, signingCertificate: "junk.pem" }] }), /not a PEM certificate/);
  });

  it("reads the development issuers file committed in the repository", async () => {
    const text = await readFile(new URL("../../../config/issuers.dev.json", import.meta.url), "utf8");
    expect(JSON.parse(text).issuers.map((i: { id: string }) => i.id)).to.deep.equal(["CSB", "FSD"]);
  });
});

async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(pattern);
    return;
  }
  expect.fail("expected a rejection");
}
