// The progress of an upload (GET /batches/{id}, IssuanceReads.uploadView) on SQLite and PostgreSQL: a small
// upload is counted on every look; a large one (more than LARGE_UPLOAD_ROWS rows) at most once every
// progressMemoMs, so that officers watching the same sitting share one count (at 100,000 rows a count costs
// PostgreSQL 0.3 to 0.5 s while the rows change); looks at once share the count under way; a count that
// fails is not kept.
import { describeOn } from "../../helpers/postgres.ts";
import { expect } from "chai";
import type { Store } from "../../../server/db/store.ts";
import { BatchTrees } from "../../../server/issuance/batch-trees.ts";
import { IssuanceReads, LARGE_UPLOAD_ROWS } from "../../../server/issuance/issuance-reads.ts";
import { CSB, postgresHarness, seedBatch, seedPending, sqliteHarness, type Harness } from "../db/store-fixtures.ts";

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(`upload progress (${database})`, function () {
    this.timeout(60_000);
    let harness: Harness;
    let store: Store;
    let counts: number;
    let failNext: boolean;

    before(async () => {
      harness = database === "SQLite" ? sqliteHarness() : postgresHarness();
      await harness.setup();
    });
    after(async () => harness.cleanup());
    beforeEach(async () => {
      store = await harness.open(await harness.fresh());
      await store.migrate();
      counts = 0;
      failNext = false;
    });
    afterEach(async () => store.close());

    /** IssuanceReads over the real store, counting (or failing) its uploadProgress calls. */
    function reads(progressMemoMs: number): IssuanceReads {
      const watched = new Proxy(store, {
        get(target, key, receiver) {
          if (key === "uploadProgress")
            return async (uploadId: string) => {
              counts += 1;
              if (failNext) {
                failNext = false;
                throw new Error("the database went away");
              }
              return target.uploadProgress(uploadId);
            };
          const value = Reflect.get(target, key, receiver);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      return new IssuanceReads({
        store: watched,
        chainId: 31337,
        registry: `0x${"0".repeat(40)}`,
        issuers: {},
        trees: new BatchTrees(store),
        progressMemoMs,
      });
    }

    it("counts a small upload on every look, and shows each change at once", async () => {
      const { upload, certificates } = await seedPending(store, 3, { rowCount: LARGE_UPLOAD_ROWS });
      const r = reads(60_000);
      expect((await r.upload(CSB, upload.id))!.progress).to.deep.equal({ pending: 3 });
      await seedBatch(store, certificates.slice(0, 2));
      expect((await r.upload(CSB, upload.id))!.progress).to.deep.equal({ pending: 1, anchoring: 2 });
      expect(counts).to.equal(2);
    });

    it("counts a large upload once for every look within progressMemoMs, at once or one after another, then again", async () => {
      const { upload, certificates } = await seedPending(store, 3, { rowCount: LARGE_UPLOAD_ROWS + 1 });
      const other = await seedPending(store, 2, { rowCount: LARGE_UPLOAD_ROWS + 1 });
      const r = reads(400);
      const together = await Promise.all([1, 2, 3].map(() => r.upload(CSB, upload.id)));
      expect(together.map((v) => v!.progress)).to.deep.equal([{ pending: 3 }, { pending: 3 }, { pending: 3 }]);
      expect(counts).to.equal(1);
      await seedBatch(store, certificates.slice(0, 2));
      // Within the 400 ms: the last count (the change shows on the next one); another upload is its own.
      expect((await r.upload(CSB, upload.id))!.progress).to.deep.equal({ pending: 3 });
      expect((await r.upload(CSB, other.upload.id))!.progress).to.deep.equal({ pending: 2 });
      expect(counts).to.equal(2);
      await new Promise((resolve) => setTimeout(resolve, 450));
      const later = (await r.upload(CSB, upload.id))!;
      expect(later.progress).to.deep.equal({ pending: 1, anchoring: 2 });
      expect(later).to.include({ accepted: 3, done: false, rows: LARGE_UPLOAD_ROWS + 1 });
      expect(counts).to.equal(3);
    });

    it("does not keep a count that failed: the next look counts again", async () => {
      const { upload } = await seedPending(store, 3, { rowCount: LARGE_UPLOAD_ROWS + 1 });
      const r = reads(60_000);
      failNext = true;
      let failure: unknown;
      await r.upload(CSB, upload.id).catch((error: unknown) => (failure = error));
      expect(String(failure)).to.match(/the database went away/);
      expect((await r.upload(CSB, upload.id))!.progress).to.deep.equal({ pending: 3 });
      expect((await r.upload(CSB, upload.id))!.progress).to.deep.equal({ pending: 3 });
      expect(counts).to.equal(2);
    });
  });
}
