import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { verify, type VerificationResult } from "../../../core/index.ts";
import { parseStrictJson } from "../../../core/strictJson.ts";
import { DEV_KEYS } from "../../../server/chain/local-chain.ts";
import { startEcertFixture, type EcertFixture, type IssuedBatch } from "../../helpers/ecert-fixture.ts";
import { honestProxy, lyingProxy } from "../../helpers/lying-rpc.ts";
import { appendIncrementalUpdate } from "../../helpers/pdf-surgery.ts";
import { closedPort } from "../../browser/browser-helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");

/** Runs `certs verify ...` (its ECERT_ variables left out of the environment); the exit code and output. */
async function certsVerify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("ECERT_")));
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, "bin/certs.ts"), "verify", ...args],
      { env: { ...env, DATA_DIR: "/nonexistent" } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

type Proxy = Awaited<ReturnType<typeof honestProxy>>;
type Liar = Awaited<ReturnType<typeof lyingProxy>>;

/** The messages of the chain checks, in English. */
function chainMessages(result: VerificationResult): string {
  return result.checks
    .filter((c) => c.status === "error")
    .map((c) => c.message.en)
    .join("\n");
}

describe("verify: a quorum of JSON-RPC endpoints against a lying one", function () {
  this.timeout(60_000);
  let f: EcertFixture;
  /** csb-cre rows 0 to 2, anchored by CSB; row 1 revoked. */
  let genuine: IssuedBatch;
  /** csb-cre row 3, signed with CSB's registered certificate, its root never anchored: a forgery. */
  let forged: IssuedBatch;
  let forgedPdf: Uint8Array;
  let genuinePdf: Uint8Array;
  let honest: Proxy;
  let honest2: Proxy;
  let liar: Liar;
  let aheadLiar: Liar;

  before(async () => {
    f = await startEcertFixture();
    genuine = await f.issue("csb-cre.csv", "csb-cre", { rows: [0, 1, 2] });
    forged = await f.issue("csb-cre.csv", "csb-cre", { rows: [3], anchorKey: null });
    await (await f.registryAs(DEV_KEYS.CSB).revoke(genuine.digests[1], 3)).wait();
    forgedPdf = f.pdf(forged.credentials[0]);
    genuinePdf = f.pdf(genuine.credentials[0]);
    honest = await honestProxy(f.rpcUrl);
    honest2 = await honestProxy(f.rpcUrl);
    const lie = { registry: f.registry, genuine: { root: genuine.root, leaf: genuine.digests[0] } };
    liar = await lyingProxy(f.rpcUrl, lie);
    aheadLiar = await lyingProxy(f.rpcUrl, { ...lie, blockNumberOffset: 1000 });
  });
  after(async () => {
    await Promise.all([honest, honest2, liar, aheadLiar].map((p) => p?.close()));
    await f?.close();
  });

  const check = (providers: string[], quorum?: number) =>
    verify(forgedPdf, f.options({ providers, ...(quorum === undefined ? {} : { quorum }) }));

  describe("quorum 1 (the default): the first endpoint that answers is believed", () => {
    it("the honest chain says the forgery is NOT_ANCHORED", async () => {
      const result = await check([honest.url]);
      expect(result).to.deep.include({ status: "INVALID", reasons: ["NOT_ANCHORED"] });
    });

    it("is fooled when the lying endpoint answers first: the forgery reads VALID (why production needs k >= 2)", async () => {
      const lies = liar.state.lies;
      const result = await check([liar.url, honest.url]);
      expect(result.status).to.equal("VALID");
      expect(result.anchor?.txHash).to.equal(genuine.txHash);
      expect(liar.state.lies).to.be.greaterThan(lies);
    });

    it("is not fooled when an honest endpoint answers first (the liar is never asked)", async () => {
      const requests = liar.state.requests;
      const result = await check([honest.url, liar.url]);
      expect(result).to.deep.include({ status: "INVALID", reasons: ["NOT_ANCHORED"] });
      expect(liar.state.requests).to.equal(requests);
    });
  });

  describe("quorum 2", () => {
    it("gives UNABLE_TO_CHECK CHAIN_DISAGREEMENT, naming both endpoints by host, for the liar beside an honest endpoint, in either order", async () => {
      for (const providers of [
        [liar.url, honest.url],
        [honest.url, liar.url],
      ]) {
        const result = await check(providers, 2);
        expect(result).to.deep.include({ status: "UNABLE_TO_CHECK", reasons: ["CHAIN_DISAGREEMENT"] });
        expect(result.anchor).to.equal(null);
        expect(result.issuer).to.equal(null);
        const message = chainMessages(result);
        expect(message).to.include("gave different answers");
        expect(message).to.include(`(${liar.host})`).and.to.include(`(${honest.host})`);
        expect(message).to.match(/disagree on the certificate's status at block \d+/);
        const zh = result.checks.find((c) => c.id === "anchor")!.message["zh-HK"];
        expect(zh).to.include("答覆不一致").and.to.include(liar.host);
      }
    });

    it("is not fooled about a revoked certificate either (the liar says it is valid)", async () => {
      const revoked = f.pdf(genuine.credentials[1]);
      expect((await verify(revoked, f.options({ providers: [liar.url] }))).status).to.equal("VALID");
      const result = await verify(revoked, f.options({ providers: [honest.url, liar.url], quorum: 2 }));
      expect(result).to.deep.include({ status: "UNABLE_TO_CHECK", reasons: ["CHAIN_DISAGREEMENT"] });
    });

    it("gives VALID with two honest endpoints, read at one block number (not latest), with the anchoring transaction", async () => {
      honest.state.callBlockTags.length = 0;
      honest2.state.callBlockTags.length = 0;
      const result = await verify(genuinePdf, f.options({ providers: [honest.url, honest2.url], quorum: 2 }));
      expect(result).to.deep.include({ status: "VALID", reasons: [] });
      expect(result.anchor).to.deep.include({ txHash: genuine.txHash, blockNumber: genuine.blockNumber });
      const tags = [...honest.state.callBlockTags, ...honest2.state.callBlockTags];
      expect(tags).to.have.length(2);
      expect(tags[0])
        .to.match(/^0x[0-9a-f]+$/)
        .and.to.equal(tags[1]);
      expect(Number(tags[0])).to.equal(Number(await f.provider.send("eth_blockNumber", [])));
    });

    it("gives INVALID NOT_ANCHORED for the forgery with two honest endpoints", async () => {
      const result = await check([honest.url, honest2.url], 2);
      expect(result).to.deep.include({ status: "INVALID", reasons: ["NOT_ANCHORED"] });
    });

    it("gives UNABLE_TO_CHECK CHAIN_UNREACHABLE (too few answers) when one of two endpoints is down", async () => {
      const down = `http://127.0.0.1:${await closedPort()}`;
      for (const input of [genuinePdf, forgedPdf]) {
        const result = await verify(input, f.options({ providers: [honest.url, down], quorum: 2 }));
        expect(result).to.deep.include({ status: "UNABLE_TO_CHECK", reasons: ["CHAIN_UNREACHABLE"] });
        const message = chainMessages(result);
        expect(message).to.include(`endpoint 2 (${new URL(down).host}): connection refused`);
        expect(message).to.include("only 1 of 2 endpoints answered, and 2 must agree (the quorum)");
      }
    });

    it("does not take the majority: two honest endpoints and the liar still disagree (quorum 2 of 3)", async () => {
      const result = await check([honest.url, liar.url, honest2.url], 2);
      expect(result).to.deep.include({ status: "UNABLE_TO_CHECK", reasons: ["CHAIN_DISAGREEMENT"] });
      expect(chainMessages(result)).to.include(
        `one answer from endpoint 1 (${honest.host}) and endpoint 3 (${honest2.host})`,
      );
    });

    it("gives VALID with quorum 2 of 3 when one endpoint is down and the two others agree", async () => {
      const down = `http://127.0.0.1:${await closedPort()}`;
      const result = await verify(genuinePdf, f.options({ providers: [down, honest.url, honest2.url], quorum: 2 }));
      expect(result.status).to.equal("VALID");
    });

    it("gives CHAIN_DISAGREEMENT for an endpoint that claims a chain head far ahead of the others", async () => {
      const result = await verify(genuinePdf, f.options({ providers: [honest.url, aheadLiar.url], quorum: 2 }));
      expect(result).to.deep.include({ status: "UNABLE_TO_CHECK", reasons: ["CHAIN_DISAGREEMENT"] });
      expect(chainMessages(result)).to.include("disagree on the chain's latest block");
    });

    it("still reports a tampered PDF as INVALID TAMPERED while the endpoints disagree", async () => {
      const tampered = appendIncrementalUpdate(forgedPdf);
      const result = await verify(tampered, f.options({ providers: [liar.url, honest.url], quorum: 2 }));
      expect(result).to.deep.include({ status: "INVALID", reasons: ["TAMPERED"] });
      expect(result.checks.find((c) => c.id === "anchor")).to.deep.include({ status: "error" });
      expect(chainMessages(result)).to.include("gave different answers");
    });
  });

  it("certs verify: the liar first fools quorum 1 (exit 0); --quorum 2 gives exit 2 CHAIN_DISAGREEMENT, two honest endpoints exit 1 NOT_ANCHORED, a bad quorum 64", async () => {
    const file = path.join(f.dataDir, "forged.pdf");
    await writeFile(file, forgedPdf);
    const chain = ["--chain-id", String(f.chainId), "--registry", f.registry];
    const [fooled, disagree, honestOnly, tooHigh, notNumber] = await Promise.all([
      certsVerify(file, "--rpc", liar.url, "--rpc", honest.url, ...chain),
      certsVerify(file, "--rpc", liar.url, "--rpc", honest.url, "--quorum", "2", ...chain),
      certsVerify(file, "--rpc", honest.url, "--rpc", honest2.url, "--quorum", "2", "--json", ...chain),
      certsVerify(file, "--rpc", honest.url, "--rpc", honest2.url, "--quorum", "3", ...chain),
      certsVerify(file, "--rpc", honest.url, "--quorum", "two", ...chain),
    ]);
    expect(fooled.code, fooled.stderr).to.equal(0); // quorum 1: the liar answers first
    expect(disagree.code, disagree.stderr).to.equal(2);
    expect(disagree.stdout).to.match(/^UNABLE TO CHECK 無法核實: CHAIN_DISAGREEMENT\n/);
    expect(disagree.stdout).to.include(liar.host).and.to.include(honest.host);
    expect(honestOnly.code).to.equal(1);
    expect(parseStrictJson(honestOnly.stdout)).to.deep.include({ status: "INVALID", reasons: ["NOT_ANCHORED"] });
    expect(tooHigh).to.deep.include({ code: 64 });
    expect(tooHigh.stderr).to.include("--quorum 3 is more than the 2 JSON-RPC endpoints given");
    expect(notNumber).to.deep.include({ code: 64 });
    expect(notNumber.stderr).to.include("--quorum takes a number of endpoints");
  });

  it("refuses a quorum that is not an integer from 1 to the number of providers, naming the option", async () => {
    for (const quorum of [0, 3, 1.5, -1, Number.NaN, "2" as unknown as number]) {
      let error: unknown;
      try {
        await verify(genuinePdf, f.options({ providers: [honest.url, honest2.url], quorum }));
      } catch (e) {
        error = e;
      }
      expect(error, String(quorum)).to.include({ code: "INVALID_ARGUMENT" });
      expect((error as Error).message).to.match(/^quorum must be an integer from 1 to the number of providers \(2\)/);
    }
  });
});
