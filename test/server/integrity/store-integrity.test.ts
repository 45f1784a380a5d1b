// The Store's read-only methods for the integrity check, on both databases.
import { postgresAvailable } from "../../helpers/postgres.ts";
import { expect } from "chai";
import type { Store } from "../../../server/db/store.ts";
import {
  CSB,
  expectStoreError,
  FSD,
  hex32,
  pdfBytes,
  postgresHarness,
  seedBatch,
  seedIssued,
  seedPending,
  sha256,
  sqliteHarness,
  type Harness,
} from "../db/store-fixtures.ts";

function integrityReads(harness: Harness): void {
  describe(`${harness.name} store: integrity reads`, function () {
    this.timeout(30_000);
    let location: string;
    let store: Store;

    /** Raw SQL under the store, `?` placeholders on both databases. */
    function sql(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
      let n = 0;
      return harness.query(
        location,
        harness.dialect === "postgres" ? text.replace(/\?/g, () => `$${++n}`) : text,
        params,
      );
    }

    before(() => harness.setup());
    after(() => harness.cleanup());
    beforeEach(async () => {
      location = await harness.fresh();
      store = await harness.open(location);
      await store.migrate();
    });
    afterEach(() => store.close());

    it("scanCertificates pages through every certificate once, in the database's id order", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push(
          ...(
            await seedPending(store, 5, {
              issuerId: i === 2 ? FSD : CSB,
              typeId: i === 2 ? "fsd-dg-licence" : "csb-cre",
            })
          ).certificates.map((c) => c.id),
        );
      const ordered = (await sql("SELECT id FROM certificates ORDER BY id")).map((r) => String(r.id));
      const seen: string[] = [];
      const sizes: number[] = [];
      for (let after: string | null = null; ;) {
        const page = await store.scanCertificates(after, 4);
        if (page.length === 0) break;
        sizes.push(page.length);
        seen.push(...page.map((c) => c.id));
        after = page[page.length - 1].id;
      }
      expect(sizes).to.deep.equal([4, 4, 4, 3]);
      expect(seen).to.deep.equal(ordered);
      expect([...seen].sort()).to.deep.equal([...ids].sort());
      const first = (await store.scanCertificates(null, 1))[0];
      expect(first).to.deep.equal(await store.findCertificate(first.id));
      expect(await store.scanCertificates(ordered[14], 10)).to.deep.equal([]);
      await expectStoreError(store.scanCertificates(null, -1), "INVALID_ARGUMENT", /scanCertificates: limit -1/);
    });

    it("listBatches pages through every batch once, and batchLeaves gives a batch's leaves in leaf order", async () => {
      const { certificates } = await seedPending(store, 9);
      const batches = [
        await seedBatch(store, certificates.slice(0, 4)),
        await seedBatch(store, certificates.slice(4, 5)),
        await seedBatch(store, certificates.slice(5, 9).reverse()),
      ];
      const seen: string[] = [];
      for (let after: string | null = null; ;) {
        const page = await store.listBatches(after, 2);
        if (page.length === 0) break;
        expect(page.length).to.be.at.most(2);
        seen.push(...page.map((b) => b.id));
        after = page[page.length - 1].id;
      }
      expect([...seen].sort()).to.deep.equal(batches.map((b) => b.id).sort());
      expect((await store.listBatches(null, 3)).find((b) => b.id === batches[0].id)).to.deep.equal(
        await store.findBatch(batches[0].id),
      );
      const leaves = await store.batchLeaves(batches[2].id);
      expect(leaves).to.deep.equal(
        certificates
          .slice(5, 9)
          .reverse()
          .map((c, i) => ({ certificateId: c.id, leafIndex: i, digest: c.digest, status: "anchoring" })),
      );
      expect(await store.batchLeaves("no-such-batch")).to.deep.equal([]);
      await expectStoreError(store.listBatches(null, 1.5), "INVALID_ARGUMENT");
    });

    it("batchPdfs gives each member with its stored PDF, a page at a time, and null where none is stored", async () => {
      const { certificates } = await seedPending(store, 7);
      const issued = await seedIssued(store, certificates.slice(0, 5));
      const closed = await seedBatch(store, certificates.slice(5));
      const members: {
        certificateId: string;
        leafIndex: number;
        pdf: Uint8Array | null;
        storedPdfHash: string | null;
      }[] = [];
      for (let after: number | null = null; ;) {
        const page = await store.batchPdfs(issued.id, after, 2);
        if (page.length === 0) break;
        expect(page.length).to.be.at.most(2);
        members.push(...page);
        after = page[page.length - 1].leafIndex;
      }
      expect(members.map((m) => m.leafIndex)).to.deep.equal([0, 1, 2, 3, 4]);
      members.forEach((m, i) => {
        const id = certificates[i].id;
        expect(m).to.include({
          certificateId: id,
          status: "issued",
          credentialJson: certificates[i].credentialJson,
          pdfHash: sha256(pdfBytes(id)),
          storedPdfHash: sha256(pdfBytes(id)),
        });
        expect(Buffer.from(m.pdf!).equals(Buffer.from(pdfBytes(id)))).to.equal(true);
      });
      const pending = await store.batchPdfs(closed.id, null, 10);
      expect(pending.map((m) => [m.certificateId, m.status, m.pdf, m.pdfHash, m.storedPdfHash])).to.deep.equal(
        certificates.slice(5).map((c) => [c.id, "anchoring", null, null, null]),
      );
      expect(await store.batchPdfs(issued.id, 4, 10)).to.deep.equal([]);
    });

    it("duplicateDigests counts every certificate sharing a digest and lists the first groups, ten ids each", async () => {
      const { certificates } = await seedPending(store, 20);
      expect(await store.duplicateDigests(10)).to.deep.equal({ total: 0, groups: [] });
      await sql("DROP INDEX IF EXISTS certificates_digest_unique"); // the database's own guard, removed to test the check
      const low = hex32("low");
      const high = low < hex32("high") ? hex32("high") : low;
      const first = low < hex32("high") ? low : hex32("high");
      const big = certificates.slice(0, 12);
      const pair = certificates.slice(12, 14);
      for (const c of big) await sql("UPDATE certificates SET digest = ? WHERE id = ?", [first, c.id]);
      for (const c of pair) await sql("UPDATE certificates SET digest = ? WHERE id = ?", [high, c.id]);
      const all = await store.duplicateDigests(10);
      const sorted = (list: { id: string }[]) => list.map((c) => c.id).sort();
      expect(all.total).to.equal(14);
      expect(all.groups.map((g) => [g.digest, g.count])).to.deep.equal([
        [first, 12],
        [high, 2],
      ]);
      const firstTen = (await sql("SELECT id FROM certificates WHERE digest = ? ORDER BY id LIMIT 10", [first])).map(
        (r) => String(r.id),
      );
      expect(all.groups[0].certificateIds).to.deep.equal(firstTen);
      expect(sorted(big)).to.include.members(firstTen);
      expect([...all.groups[1].certificateIds].sort()).to.deep.equal(sorted(pair));
      const one = await store.duplicateDigests(1);
      expect(one.total).to.equal(14);
      expect(one.groups.map((g) => g.digest)).to.deep.equal([first]);
    });

    it("duplicateLiveNumbers counts live duplicates per issuer; revoked, superseded, other issuers' and renewals on their way are not", async () => {
      const csb = (await seedPending(store, 6)).certificates;
      const fsd = (await seedPending(store, 1, { issuerId: FSD, typeId: "fsd-dg-licence" })).certificates;
      await seedIssued(store, csb.slice(0, 4));
      expect(await store.duplicateLiveNumbers(10)).to.deep.equal({ total: 0, groups: [] });
      await sql("DROP INDEX IF EXISTS certificates_live_number_unique"); // the database's own guard, removed to test the check
      const number = csb[0].certificateNumber;
      const setNumber = (id: string) =>
        sql("UPDATE certificates SET certificate_number = ? WHERE id = ?", [number, id]);
      await setNumber(csb[1].id); // issued twice
      await setNumber(csb[4].id); // and pending
      await setNumber(fsd[0].id); // another issuer's: its own namespace
      let found = await store.duplicateLiveNumbers(10);
      expect(found.total).to.equal(3);
      expect(found.groups).to.have.length(1);
      expect(found.groups[0]).to.include({ issuerId: CSB, certificateNumber: number, count: 3 });
      expect([...found.groups[0].certificateIds].sort()).to.deep.equal([csb[0].id, csb[1].id, csb[4].id].sort());

      await sql("UPDATE certificates SET status = 'revoked' WHERE id = ?", [csb[1].id]);
      await sql("UPDATE certificates SET status = 'superseded' WHERE id = ?", [csb[2].id]);
      await setNumber(csb[2].id);
      found = await store.duplicateLiveNumbers(10);
      expect(found.total).to.equal(2);

      // csb[0] is being renewed by csb[4] (pending, same number, superseding it): they may share the number.
      await sql("UPDATE certificates SET supersedes = ? WHERE id = ?", [csb[0].id, csb[4].id]);
      await sql("UPDATE certificates SET renewed_by = ? WHERE id = ?", [csb[4].id, csb[0].id]);
      expect(await store.duplicateLiveNumbers(10)).to.deep.equal({ total: 0, groups: [] });
      // A renewal mark that no renewal on its way backs (the renewal failed) excuses nothing.
      await sql("UPDATE certificates SET status = 'failed' WHERE id = ?", [csb[4].id]);
      await setNumber(csb[3].id);
      found = await store.duplicateLiveNumbers(10);
      expect(found.total).to.equal(2);
      expect([...found.groups[0].certificateIds].sort()).to.deep.equal([csb[0].id, csb[3].id].sort());
    });
  });
}

integrityReads(sqliteHarness());
if (postgresAvailable) integrityReads(postgresHarness());
