/**
 * `POST /verify`'s work on worker threads (`server/verification/verify-workers.ts`): the same result as
 * the core's `verify` on the main thread, every chain read through the main thread's one reader, and
 * many verifications at once each answered for its own input.
 */
import { expect } from "chai";
import { createJsonRpcProvider, verify, type VerifyInput } from "../../../core/index.ts";
import type { ChainRequester } from "../../../server/chain/caching-reader.ts";
import { VerifyWorkers } from "../../../server/verification/verify-workers.ts";
import { startEcertFixture, type EcertFixture, type IssuedBatch } from "../../helpers/ecert-fixture.ts";
import { flipByte, offsetOf } from "../../helpers/pdf-surgery.ts";

describe("VerifyWorkers: verification on worker threads, chain reads on the main thread", function () {
  this.timeout(120_000);
  let fixture: EcertFixture;
  let batch: IssuedBatch;
  let pdfs: Uint8Array[];
  let reader: ChainRequester & { methods: string[] };
  let workers: VerifyWorkers;
  let trusted: { chainId: number; registry: string };

  before(async () => {
    fixture = await startEcertFixture();
    batch = await fixture.issue("csb-cre.csv", "csb-cre", { rows: [0, 1, 2, 3, 4, 5, 6, 7] });
    pdfs = batch.credentials.map((c) => fixture.pdf(c));
    const inner = createJsonRpcProvider(fixture.rpcUrl);
    const methods: string[] = [];
    reader = { methods, request: (args) => (methods.push(args.method), inner.request(args)) };
    trusted = { chainId: fixture.chainId, registry: fixture.registry };
    workers = new VerifyWorkers(reader, { trusted }, 2);
  });
  after(async () => {
    await workers?.close();
    await fixture?.close();
  });

  it("gives the core's own result for a PDF, a changed PDF, a credential, a URL and nonsense", async () => {
    const changed = flipByte(pdfs[1], offsetOf(pdfs[1], "/Type /Page") + 2);
    const inputs: VerifyInput[] = [
      { pdf: pdfs[0] },
      { pdf: changed },
      { credential: JSON.stringify(batch.credentials[2]) },
      { url: fixture.qrUrl(batch.credentials[3]) },
      { pdf: new TextEncoder().encode("%PDF-1.7 not really") },
      { credential: '{"a":1,"a":2}' },
    ];
    for (const input of inputs) {
      const onMain = await verify(input, { providers: [reader], trusted });
      expect(await workers.verify(input)).to.deep.equal(onMain);
    }
    expect((await workers.verify({ pdf: pdfs[0] })).status).to.equal("VALID");
    expect((await workers.verify({ pdf: changed })).status).to.equal("INVALID");
    // The caller's bytes are its own still (copied, then moved to the worker).
    expect(pdfs[0].byteLength).to.be.greaterThan(0);
  });

  it("sends every chain read to the main thread's reader, and answers UNABLE_TO_CHECK when it fails", async () => {
    const before = reader.methods.length;
    expect((await workers.verify({ pdf: pdfs[4] })).status).to.equal("VALID");
    expect(reader.methods.slice(before)).to.include("eth_call");
    const failing = new VerifyWorkers(
      { request: () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: undefined })) },
      { trusted },
      1,
    );
    try {
      const result = await failing.verify({ pdf: pdfs[4] });
      expect(result.status).to.equal("UNABLE_TO_CHECK");
      expect(result.reasons).to.include("CHAIN_UNREACHABLE");
      expect(result).to.deep.equal(
        await verify(
          { pdf: pdfs[4] },
          { providers: [{ request: () => Promise.reject(new Error("connect ECONNREFUSED")) }], trusted },
        ),
      );
    } finally {
      await failing.close();
    }
  });

  it("answers each of 48 verifications at once for its own PDF", async () => {
    const order = Array.from({ length: 48 }, (_, i) => (i * 5) % pdfs.length);
    const results = await Promise.all(order.map((i) => workers.verify({ pdf: pdfs[i] })));
    results.forEach((result, k) => {
      expect(result.status).to.equal("VALID");
      expect(result.certificate?.id).to.equal(batch.credentials[order[k]].id);
    });
  });
});
