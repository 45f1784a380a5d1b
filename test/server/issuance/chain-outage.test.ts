// The issuance pipeline against a chain that hangs or throttles: it backs off (a bounded number of
// requests reach the endpoint), loses nothing, anchors each root once and issues everything once the
// chain answers again. Production wiring: the chain provider of CHAIN_RPC_URLS in front of a real local
// chain, through a fault-injecting proxy.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { pino } from "pino";
import { createChainProvider } from "../../../server/chain/chain-provider.ts";
import { IssuerChain } from "../../../server/chain/issuer-chain.ts";
import { DEV_KEYS, startLocalChain, type LocalChainResult } from "../../../server/chain/local-chain.ts";
import { openStore } from "../../../server/db/open-store.ts";
import type { Store } from "../../../server/db/store.ts";
import { checkIntegrity } from "../../../server/integrity/check.ts";
import { IssuanceService } from "../../../server/issuance/issuance-service.ts";
import { loadSigningIdentity } from "../../../server/pdf/signing-identity.ts";
import { ensureDevPki } from "../../../server/pki/dev-pki.ts";
import { faultyProxy, type Mode } from "../../helpers/faulty-rpc.ts";
import { ISSUERS } from "../pdf/documents-helpers.ts";
import { makeUpload, seededRandom } from "./issuance-inputs.ts";

describe("the issuance pipeline against a chain that hangs or throttles", function () {
  this.timeout(120_000);
  let dataDir: string;
  let chain: LocalChainResult;
  let proxy: Awaited<ReturnType<typeof faultyProxy>>;
  let store: Store;
  let service: IssuanceService;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-outage-"));
    chain = await startLocalChain({ dataDir, port: 0 });
    proxy = await faultyProxy(chain.rpcUrl);
    const provider = createChainProvider([proxy.url], chain.chainId, { timeoutMs: 1_000 });
    const issuerChain = new IssuerChain({
      provider,
      registry: chain.registry,
      signers: { CSB: new Wallet(DEV_KEYS.CSB, provider) },
      confirmations: 0,
      pollIntervalMs: 100,
      // A short give-up inside one call, so that the pipeline's own backoff is what is measured.
      retry: { attempts: 3, baseMs: 200, maxMs: 1_000 },
    });
    const pki = await ensureDevPki(path.join(dataDir, "pki"), [ISSUERS.CSB]);
    store = await openStore(undefined, dataDir);
    service = new IssuanceService({
      store,
      chain: issuerChain,
      chainId: chain.chainId,
      registry: chain.registry,
      issuers: { CSB: { ...ISSUERS.CSB, identity: await loadSigningIdentity(pki.departments.CSB) } },
      verifierUrl: "https://verify.ecert.gov.hk",
      batchSize: 25,
      batchWaitMs: 100,
      log: pino({ level: "silent" }),
      workers: 1,
    });
    service.start();
  });
  after(async () => {
    await service?.stop();
    await store?.close();
    await proxy?.close();
    await chain?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function issuedCount(uploadId: string): Promise<number> {
    return (await store.uploadProgress(uploadId)).issued ?? 0;
  }

  for (const [index, mode] of (["hang", "429"] as Mode[]).entries()) {
    it(`backs off while the chain ${mode === "hang" ? "hangs" : "answers 429"} for 8 s, then issues every certificate once`, async () => {
      proxy.state.mode = mode;
      const before = proxy.state.requests;
      const upload = makeUpload("csb-cre", 60, `OUT${index}`, seededRandom(7300 + index));
      const result = await service.submit({ issuerId: "CSB", typeId: "csb-cre", csv: upload.csv, actor: "test" });
      expect(result.accepted).to.have.length(60);
      await new Promise((r) => setTimeout(r, 8_000));
      const during = proxy.state.requests - before;
      expect(await issuedCount(result.uploadId), "nothing is released while the chain is out").to.equal(0);
      // Without backoff a pass every 250 ms would send hundreds; with it, a few dozen at most.
      expect(during, `${during} requests reached the endpoint in 8 s`).to.be.lessThan(60);
      proxy.state.mode = "forward";
      const deadline = Date.now() + 60_000;
      while ((await issuedCount(result.uploadId)) < 60) {
        if (Date.now() > deadline)
          throw new Error(`not all issued: ${JSON.stringify(await store.uploadProgress(result.uploadId))}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      console.log(`      ${mode}: ${during} requests reached the endpoint in 8 s of outage; all 60 issued after`);
      const report = await checkIntegrity({
        store,
        provider: chain.provider,
        registry: chain.registry,
        chainId: chain.chainId,
      });
      expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
    });
  }
});
