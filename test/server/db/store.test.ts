import { describePostgres, postgresAvailable } from "../../helpers/postgres.ts";
import Database from "better-sqlite3";
import { expect } from "chai";
import pg from "pg";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../server/db/migrations.ts";
import {
  AUDIT_GENESIS_HASH,
  PUT_PDFS_CHUNK_BYTES,
  PUT_PDFS_CHUNK_ROWS,
  type AuditRow,
  type ChangeRequestRow,
  type Decision,
  type EmailRow,
  type NewAuditEntry,
  type NewCertificate,
  type Store,
  type UploadRow,
  type UploadState,
} from "../../../server/db/store.ts";
import { MAX_VERIFY_INPUT_BYTES } from "../../../core/verify/verify.ts";
import { isStoreError } from "../../../server/db/store-error.ts";
import {
  append,
  APPROVER,
  at,
  CLERK,
  CRE,
  decision,
  entryHash,
  CSB,
  DG,
  expectStoreError,
  FSD,
  hex32,
  mustFind,
  newApiKey,
  newAuditEntry,
  newBatch,
  newCertificate,
  newChangeRequest,
  newLoginAttempt,
  newOperation,
  newSession,
  newUpload,
  newUploadWith,
  pdfBytes,
  postgresHarness,
  SECOND_APPROVER,
  seedAwaiting,
  seedBatch,
  seedIssued,
  seedPending,
  sha256,
  sleep,
  sqliteHarness,
  testClock,
  type Harness,
} from "./store-fixtures.ts";

const TABLES = [
  "api_keys",
  "audit_heads",
  "audit_log",
  "batches",
  "certificate_pdfs",
  "certificates",
  "change_requests",
  "email_outbox",
  "events",
  "idempotency_keys",
  "leases",
  "login_attempts",
  "officer_sessions",
  "operations",
  "schema_migrations",
  "uploads",
];

/** The behaviour every Store must have, run against one database. */
function storeContract(harness: Harness): void {
  describe(`${harness.name} store`, function () {
    this.timeout(30_000);
    let location: string;
    let store: Store;
    let clock: ReturnType<typeof testClock>;
    const opened: Store[] = [];

    async function openMigrated(): Promise<Store> {
      const s = await harness.open(location, { now: clock.now });
      opened.push(s);
      await s.migrate();
      return s;
    }

    before(() => harness.setup());
    after(() => harness.cleanup());
    beforeEach(async () => {
      clock = testClock(100);
      location = await harness.fresh();
      store = await openMigrated();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    describe("migrate", () => {
      it("creates every table and records each migration once, even when run a second time", async () => {
        await store.insertApiKey({
          id: "k1",
          issuerId: CSB,
          label: "ops",
          keyHash: sha256("key"),
          createdAt: at(0),
          revokedAt: null,
        });
        await store.migrate();
        expect(await harness.tables(location)).to.deep.equal(TABLES);
        const rows = await harness.query(location, "SELECT version, name FROM schema_migrations ORDER BY version");
        expect(rows.map((r) => Number(r.version))).to.deep.equal(MIGRATIONS.map((m) => m.version));
        expect(await store.findApiKeyByHash(sha256("key"))).to.include({ id: "k1" });
      });

      it("refuses with SCHEMA_TOO_NEW when the database records a migration this build does not know", async () => {
        const insert =
          harness.dialect === "sqlite"
            ? "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"
            : "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";
        await harness.query(location, insert, [SCHEMA_VERSION + 1, "from a newer build", at(0)]);
        await expectStoreError(store.migrate(), "SCHEMA_TOO_NEW", new RegExp(`version ${SCHEMA_VERSION + 1}`));
      });

      it("leaves neither the tables nor the record of a migration that fails halfway", async () => {
        const broken = await harness.open(location, {
          migrations: [
            ...MIGRATIONS,
            {
              version: SCHEMA_VERSION + 1,
              name: "broken",
              sql: () => "CREATE TABLE extra (id TEXT); SELECT * FROM no_such_table",
            },
          ],
        });
        opened.push(broken);
        let failed = false;
        await broken.migrate().catch(() => (failed = true));
        expect(failed).to.equal(true);
        expect(await harness.tables(location)).to.not.include("extra");
        const rows = await harness.query(location, "SELECT max(version) AS v FROM schema_migrations");
        expect(Number(rows[0].v)).to.equal(SCHEMA_VERSION);
      });
    });

    describe("transaction", () => {
      it("commits every write of fn and returns its result when fn resolves", async () => {
        const { upload, certificates } = newUploadWith(2);
        const result = await store.transaction(async (tx) => {
          await tx.insertUpload(upload, certificates);
          await tx.insertEvent({
            issuerId: CSB,
            certificateId: certificates[0].id,
            batchId: null,
            type: "accepted",
            actor: "k1",
            detailJson: "{}",
            at: at(1),
          });
          return "done";
        });
        expect(result).to.equal("done");
        expect(await store.findUpload(CSB, upload.id)).to.deep.equal(upload);
        expect(await store.certificateEvents(certificates[0].id)).to.have.length(1);
      });

      it("leaves nothing when fn throws after writing", async () => {
        const { upload, certificates } = newUploadWith(2);
        const boom = new Error("boom");
        let caught: unknown;
        await store
          .transaction(async (tx) => {
            await tx.insertUpload(upload, certificates);
            await tx.insertApiKey({
              id: "k1",
              issuerId: CSB,
              label: "ops",
              keyHash: sha256("key"),
              createdAt: at(0),
              revokedAt: null,
            });
            throw boom;
          })
          .catch((e) => (caught = e));
        expect(caught).to.equal(boom);
        expect(await store.findUpload(CSB, upload.id)).to.equal(undefined);
        expect(await store.findCertificate(certificates[0].id)).to.equal(undefined);
        expect(await store.findApiKeyByHash(sha256("key"))).to.equal(undefined);
      });

      it("undoes only a failed nested transaction's writes when the outer transaction goes on", async () => {
        const first = newUploadWith(1);
        const second = newUploadWith(1);
        await store.transaction(async (tx) => {
          await tx.insertUpload(first.upload, first.certificates);
          await tx
            .transaction(async (inner) => {
              await inner.insertUpload(second.upload, second.certificates);
              throw new Error("inner");
            })
            .catch(() => undefined);
          await tx.insertApiKey({
            id: "k1",
            issuerId: CSB,
            label: "ops",
            keyHash: sha256("key"),
            createdAt: at(0),
            revokedAt: null,
          });
        });
        expect(await store.findUpload(CSB, first.upload.id)).to.not.equal(undefined);
        expect(await store.findUpload(CSB, second.upload.id)).to.equal(undefined);
        expect(await store.findApiKeyByHash(sha256("key"))).to.not.equal(undefined);
      });

      it("keeps a call made outside a running transaction from seeing its writes when it rolls back", async () => {
        let inserted!: () => void;
        const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const running = store
          .transaction(async (tx) => {
            await tx.insertApiKey({
              id: "k1",
              issuerId: CSB,
              label: "ops",
              keyHash: sha256("key"),
              createdAt: at(0),
              revokedAt: null,
            });
            inserted();
            await gate;
            throw new Error("rolled back");
          })
          .catch(() => "rolled back");
        await insertedSignal;
        const outside = store.findApiKeyByHash(sha256("key"));
        await sleep(20);
        release();
        expect(await running).to.equal("rolled back");
        expect(await outside).to.equal(undefined);
      });

      it("refuses calls on a transaction's store handle once the transaction has ended, with CLOSED", async () => {
        let handle!: Store;
        await store.transaction(async (tx) => {
          handle = tx;
        });
        await expectStoreError(handle.findCertificate("x"), "CLOSED", /transaction/);
      });
    });

    describe("API keys", () => {
      it("finds a key by its hash and lists one issuer's keys oldest first, never another issuer's", async () => {
        const newer = newApiKey({
          id: "k2",
          label: "batch job",
          keyHash: sha256("b"),
          createdAt: at(2),
          revokedAt: at(3),
          scopes: ["read"],
          expiresAt: at(86_400),
        });
        const older = newApiKey({ id: "k1", keyHash: sha256("a"), createdAt: at(1) });
        const other = newApiKey({ id: "k3", issuerId: FSD, keyHash: sha256("c"), createdAt: at(0) });
        for (const row of [newer, older, other]) await store.insertApiKey(row);
        expect(await store.findApiKeyByHash(sha256("b"))).to.deep.equal(newer);
        expect(await store.findApiKeyByHash(sha256("nothing"))).to.equal(undefined);
        expect(await store.listApiKeys(CSB)).to.deep.equal([older, newer]);
        expect(await store.listApiKeys("NOBODY")).to.deep.equal([]);
      });

      it("keeps a key's scopes and expiry as given, and gives a key inserted without them every scope and no expiry", async () => {
        const scoped = newApiKey({ scopes: ["issue", "status"], expiresAt: at(3600) });
        const none = newApiKey({ scopes: [] });
        const { scopes: _scopes, expiresAt: _expiresAt, ...legacy } = newApiKey();
        for (const row of [scoped, none, legacy]) await store.insertApiKey(row);
        expect(await store.findApiKeyByHash(scoped.keyHash)).to.deep.equal(scoped);
        expect((await store.findApiKeyByHash(none.keyHash))!.scopes).to.deep.equal([]);
        expect(await store.findApiKeyByHash(legacy.keyHash)).to.deep.equal({
          ...legacy,
          scopes: ["issue", "read", "status"],
          expiresAt: null,
        });
      });

      it("revokes a live key only for its own issuer, once", async () => {
        const key = newApiKey();
        await store.insertApiKey(key);
        expect(await store.revokeApiKey(FSD, key.id, at(5))).to.equal(false);
        expect((await store.findApiKeyByHash(key.keyHash))!.revokedAt).to.equal(null);
        expect(await store.revokeApiKey(CSB, "no-such-key", at(5))).to.equal(false);
        expect(await store.revokeApiKey(CSB, key.id, at(5))).to.equal(true);
        expect(await store.revokeApiKey(CSB, key.id, at(6))).to.equal(false);
        expect((await store.findApiKeyByHash(key.keyHash))!.revokedAt).to.equal(at(5));
      });

      it("refuses a second key with the same hash with DUPLICATE", async () => {
        await store.insertApiKey({
          id: "k1",
          issuerId: CSB,
          label: "ops",
          keyHash: sha256("a"),
          createdAt: at(1),
          revokedAt: null,
        });
        await expectStoreError(
          store.insertApiKey({
            id: "k2",
            issuerId: FSD,
            label: "ops",
            keyHash: sha256("a"),
            createdAt: at(1),
            revokedAt: null,
          }),
          "DUPLICATE",
          /key_hash/,
        );
        expect(await store.listApiKeys(FSD)).to.deep.equal([]);
      });

      it("refuses a key hash that is not 64 lower-case hex with INVALID_VALUE", async () => {
        await expectStoreError(
          store.insertApiKey({
            id: "k1",
            issuerId: CSB,
            label: "ops",
            keyHash: sha256("a").toUpperCase(),
            createdAt: at(1),
            revokedAt: null,
          }),
          "INVALID_VALUE",
          /api_keys_key_hash_format/,
        );
      });
    });

    describe("idempotency", () => {
      const row = (overrides = {}) => ({
        issuerId: CSB,
        key: "upload-2025-06",
        requestHash: sha256("POST /batches"),
        statusCode: 202,
        responseJson: '{"uploadId":"u1"}',
        createdAt: at(1),
        ...overrides,
      });

      it("stores a key once: a second insert of the key returns false and keeps the first response", async () => {
        expect(await store.insertIdempotency(row())).to.equal(true);
        expect(await store.insertIdempotency(row({ requestHash: sha256("other"), responseJson: "{}" }))).to.equal(
          false,
        );
        expect(await store.findIdempotency(CSB, "upload-2025-06")).to.deep.equal(row());
        expect(await store.findIdempotency(CSB, "unknown")).to.equal(undefined);
      });

      it("keeps the same key of two issuers apart", async () => {
        expect(await store.insertIdempotency(row())).to.equal(true);
        expect(await store.insertIdempotency(row({ issuerId: FSD, statusCode: 400 }))).to.equal(true);
        expect((await store.findIdempotency(FSD, "upload-2025-06"))!.statusCode).to.equal(400);
        expect((await store.findIdempotency(CSB, "upload-2025-06"))!.statusCode).to.equal(202);
      });

      it("returns false for a taken key inside a transaction, which still commits", async () => {
        await store.insertIdempotency(row());
        await store.transaction(async (tx) => {
          expect(await tx.insertIdempotency(row())).to.equal(false);
          await tx.insertApiKey({
            id: "k1",
            issuerId: CSB,
            label: "ops",
            keyHash: sha256("a"),
            createdAt: at(1),
            revokedAt: null,
          });
        });
        expect(await store.findApiKeyByHash(sha256("a"))).to.not.equal(undefined);
      });
    });

    describe("uploads", () => {
      it("stores an upload and its certificates as pending, every field as given", async () => {
        const { upload, certificates } = newUploadWith(2, {
          errorsJson: '[{"row":3,"column":"name","code":"REQUIRED","message":"x"}]',
        });
        await store.insertUpload(upload, certificates);
        expect(await store.findUpload(CSB, upload.id)).to.deep.equal(upload);
        expect(await store.findCertificate(certificates[1].id)).to.deep.equal({
          ...certificates[1],
          status: "pending",
          batchId: null,
          leafIndex: null,
          pdfHash: null,
          reason: null,
          createdAt: upload.createdAt,
          updatedAt: upload.createdAt,
        });
        expect(await store.uploadProgress(upload.id)).to.deep.equal({ pending: 2 });
      });

      it("stores an upload without certificates when every row was invalid", async () => {
        const upload = newUpload({ rowCount: 2, errorsJson: '[{"row":1},{"row":2}]' });
        await store.insertUpload(upload, []);
        expect(await store.findUpload(CSB, upload.id)).to.deep.equal(upload);
        expect(await store.uploadProgress(upload.id)).to.deep.equal({});
      });

      it("finds an upload only for its own issuer", async () => {
        const { upload } = await seedPending(store, 1);
        expect(await store.findUpload(FSD, upload.id)).to.equal(undefined);
        expect(await store.findUpload(CSB, "no-such-upload")).to.equal(undefined);
      });

      it("counts an upload's certificates by status as they move on", async () => {
        const { upload, certificates } = await seedPending(store, 3);
        await seedBatch(store, certificates.slice(0, 2));
        expect(await store.uploadProgress(upload.id)).to.deep.equal({ pending: 1, anchoring: 2 });
      });

      it("leaves nothing, not even the upload, when one certificate collides (claim code hash taken)", async () => {
        const taken = await seedPending(store, 1);
        const { upload, certificates } = newUploadWith(3);
        certificates[2] = { ...certificates[2], claimCodeHash: taken.certificates[0].claimCodeHash };
        await expectStoreError(store.insertUpload(upload, certificates), "DUPLICATE", /claim_code_hash/);
        expect(await store.findUpload(CSB, upload.id)).to.equal(undefined);
        expect(await store.findCertificate(certificates[0].id)).to.equal(undefined);
        expect(await store.uploadProgress(upload.id)).to.deep.equal({});
      });

      it("leaves nothing when a certificate has a digest that is not 0x and 64 hex", async () => {
        const { upload, certificates } = newUploadWith(2);
        certificates[1] = { ...certificates[1], digest: "0x1234" };
        await expectStoreError(store.insertUpload(upload, certificates), "INVALID_VALUE", /certificates_digest_format/);
        expect(await store.findUpload(CSB, upload.id)).to.equal(undefined);
        expect(await store.findCertificate(certificates[0].id)).to.equal(undefined);
      });

      it("refuses a certificate of another issuer with INVALID_ARGUMENT and stores nothing", async () => {
        const { upload, certificates } = newUploadWith(2);
        certificates[1] = { ...certificates[1], issuerId: FSD };
        await expectStoreError(store.insertUpload(upload, certificates), "INVALID_ARGUMENT", /belongs to/);
        expect(await store.findUpload(CSB, upload.id)).to.equal(undefined);
      });

      it("refuses a renewal that supersedes another issuer's certificate with INVALID_REFERENCE", async () => {
        const fsd = await seedPending(store, 1, { issuerId: FSD, typeId: DG });
        const { upload, certificates } = newUploadWith(1);
        certificates[0] = { ...certificates[0], supersedes: fsd.certificates[0].id };
        await expectStoreError(store.insertUpload(upload, certificates), "INVALID_REFERENCE");
        expect(await store.findUpload(CSB, upload.id)).to.equal(undefined);
      });
    });

    describe("constraints under the store", () => {
      it("refuse a certificate status outside the list even for a direct SQL write", async () => {
        const { certificates } = await seedPending(store, 1);
        await seedBatch(store, certificates);
        const update =
          harness.dialect === "sqlite"
            ? "UPDATE certificates SET status = 'lost' WHERE id = ?"
            : "UPDATE certificates SET status = 'lost' WHERE id = $1";
        let error: unknown;
        await harness.query(location, update, [certificates[0].id]).catch((e) => (error = e));
        expect(String(error)).to.match(/certificates_status_check/);
        expect((await mustFind(store, certificates[0].id)).status).to.equal("anchoring");
      });

      it("refuse a pending certificate with a batch, and an upper-case batch root, even for a direct SQL write", async () => {
        const { certificates } = await seedPending(store, 2);
        const batch = await seedBatch(store, [certificates[0]]);
        const [p1, p2] = harness.dialect === "sqlite" ? ["?", "?"] : ["$1", "$2"];
        let error: unknown;
        await harness
          .query(location, `UPDATE certificates SET batch_id = ${p1}, leaf_index = 1 WHERE id = ${p2}`, [
            batch.id,
            certificates[1].id,
          ])
          .catch((e) => (error = e));
        expect(String(error)).to.match(/certificates_batch_by_status/);
        error = undefined;
        await harness
          .query(location, `UPDATE batches SET root = ${p1} WHERE id = ${p2}`, [hex32("x").toUpperCase(), batch.id])
          .catch((e) => (error = e));
        expect(String(error)).to.match(/batches_root_format/);
      });
    });

    describe("certificates", () => {
      it("finds a certificate by id and by claim code hash, and nothing for unknown ones", async () => {
        const { certificates } = await seedPending(store, 2);
        expect((await store.findCertificateByClaimHash(certificates[1].claimCodeHash))!.id).to.equal(
          certificates[1].id,
        );
        expect(await store.findCertificateByClaimHash(sha256("no such code"))).to.equal(undefined);
        expect(await store.findCertificate("no-such-id")).to.equal(undefined);
      });

      it("lists one issuer's certificates oldest first then by row, paged by limit and offset", async () => {
        const later = await seedPending(store, 2, { createdAt: at(50) });
        const earlier = await seedPending(store, 3, { createdAt: at(40) });
        await seedPending(store, 2, { issuerId: FSD, typeId: DG });
        const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
        const all = [...earlier.certificates, ...later.certificates].map((c) => c.id);
        expect(ids(await store.listCertificates(CSB, { limit: 100, offset: 0 }))).to.deep.equal(all);
        expect(ids(await store.listCertificates(CSB, { limit: 2, offset: 2 }))).to.deep.equal(all.slice(2, 4));
        expect(ids(await store.listCertificates(CSB, { limit: 0, offset: 0 }))).to.deep.equal([]);
      });

      it("filters the list by upload and by status", async () => {
        const a = await seedPending(store, 3);
        const b = await seedPending(store, 2);
        await seedBatch(store, [a.certificates[0], b.certificates[1]]);
        const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
        expect(ids(await store.listCertificates(CSB, { uploadId: b.upload.id, limit: 10, offset: 0 }))).to.deep.equal(
          b.certificates.map((c) => c.id).sort(),
        );
        expect(ids(await store.listCertificates(CSB, { status: "anchoring", limit: 10, offset: 0 }))).to.deep.equal(
          [a.certificates[0].id, b.certificates[1].id].sort(),
        );
        expect(
          ids(await store.listCertificates(CSB, { uploadId: a.upload.id, status: "pending", limit: 10, offset: 0 })),
        ).to.deep.equal([a.certificates[1].id, a.certificates[2].id].sort());
      });

      it("matches a number by its start (certificate or candidate number) and a name by any part, case-insensitively", async () => {
        const upload = newUpload({ rowCount: 3 });
        const chan = newCertificate(upload, 1, {
          certificateNumber: "CRE-2025-00001",
          searchJson: JSON.stringify({ name: { en: "CHAN Tai Man", "zh-HK": "陳大文" }, candidateNumber: "A1234567" }),
        });
        const wong = newCertificate(upload, 2, {
          certificateNumber: "CRE-2025-00002",
          searchJson: JSON.stringify({ name: { en: "WONG Siu Ming", "zh-HK": "黃小明" }, candidateNumber: "B7654321" }),
        });
        const lee = newCertificate(upload, 3, {
          certificateNumber: "LIC-99",
          searchJson: JSON.stringify({ name: "Lee Kam Construction, Ltd", candidateNumber: 5550001 }),
        });
        await store.insertUpload(upload, [chan, wong, lee]);
        const find = async (query: string) =>
          (await store.listCertificates(CSB, { query, limit: 10, offset: 0 })).map((r) => r.id);
        // A number: whole, or its start; either case.
        expect(await find("cre-2025-00002")).to.deep.equal([wong.id]);
        expect(await find("CRE-2025-00002")).to.deep.equal([wong.id]);
        expect(await find("CRE-2025")).to.deep.equal([chan.id, wong.id]);
        expect(await find("a12345")).to.deep.equal([chan.id]);
        expect(await find("A1234567")).to.deep.equal([chan.id]);
        expect(await find("555000")).to.deep.equal([lee.id]);
        // Not by its middle or its end.
        expect(await find("2025-00002")).to.deep.equal([]);
        expect(await find("00001")).to.deep.equal([]);
        expect(await find("1234567")).to.deep.equal([]);
        expect(await find("550001")).to.deep.equal([]);
        // A name by any part, either case; never the numbers for a query that is not one.
        expect(await find("tai man")).to.deep.equal([chan.id]);
        expect(await find("TAI MAN")).to.deep.equal([chan.id]);
        expect(await find("iu mi")).to.deep.equal([wong.id]);
        expect(await find("小明")).to.deep.equal([wong.id]);
        expect(await find("construction")).to.deep.equal([lee.id]);
        expect(await find("construction, ltd")).to.deep.equal([lee.id]);
        expect(await find(",")).to.deep.equal([lee.id]);
        expect(await find("lic")).to.deep.equal([]);
        expect(await find("cre-")).to.deep.equal([]);
        expect(await find("%")).to.deep.equal([]);
        expect(await find("   ")).to.deep.equal([chan.id, wong.id, lee.id]);
      });

      it("matches LIKE's wildcards, quotes and backslashes as themselves (the PostgreSQL index's prefilter)", async () => {
        const upload = newUpload({ rowCount: 3 });
        const odd = newCertificate(upload, 1, {
          certificateNumber: "X-1",
          searchJson: JSON.stringify({
            name: { en: 'O"NEIL 50%_off \\ Ltd', "zh-HK": "歐尼爾" },
            candidateNumber: "Q1",
          }),
        });
        const plain = newCertificate(upload, 2, {
          certificateNumber: "X-2",
          searchJson: JSON.stringify({ name: { en: "O NEIL 50 off Ltd", "zh-HK": "歐尼" }, candidateNumber: "Q2" }),
        });
        await store.insertUpload(upload, [odd, plain]);
        const find = async (query: string) =>
          (await store.listCertificates(CSB, { query, limit: 10, offset: 0 })).map((r) => r.id);
        expect(await find("50%_off")).to.deep.equal([odd.id]);
        expect(await find("0_o")).to.deep.equal([]);
        expect(await find("50_")).to.deep.equal([]);
        expect(await find("50%")).to.deep.equal([odd.id]);
        expect(await find("%_")).to.deep.equal([odd.id]);
        expect(await find("\\")).to.deep.equal([odd.id]);
        expect(await find("x%")).to.deep.equal([]);
        expect(await find("x_1")).to.deep.equal([]);
        expect(await find("x\\")).to.deep.equal([]);
        expect(await find('o"neil')).to.deep.equal([odd.id]);
        expect(await find("off \\ ltd")).to.deep.equal([odd.id]);
        expect(await find("50 off")).to.deep.equal([plain.id]);
        expect(await find("歐尼爾")).to.deep.equal([odd.id]);
        expect(await find("歐尼")).to.deep.equal([odd.id, plain.id]);
        expect(await find(" ltd")).to.deep.equal([odd.id, plain.id]);
        // Never across two fields: the number and a name, a name and the candidate number, two names.
        expect(await find("x-1o")).to.deep.equal([]);
        expect(await find("ltdq1")).to.deep.equal([]);
        expect(await find("ltd 歐")).to.deep.equal([]);
        expect(await find('ltd", "歐')).to.deep.equal([]);
        expect(await find(", ")).to.deep.equal([]);
        expect(await find("[")).to.deep.equal([]);
        if (harness.dialect === "postgres") {
          const indexes = await harness.query(
            location,
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'certificates'",
          );
          expect(indexes.map((r) => r.indexname)).to.include.members([
            "certificates_name_trgm_idx",
            "certificates_number_prefix_idx",
            "certificates_candidate_prefix_idx",
          ]);
        }
      });

      it("never matches JSON keys or another issuer's certificates", async () => {
        await seedPending(store, 2);
        const fsd = await seedPending(store, 1, { issuerId: FSD, typeId: DG });
        expect(await store.listCertificates(CSB, { query: "candidateNumber", limit: 10, offset: 0 })).to.deep.equal([]);
        expect(await store.listCertificates(CSB, { query: '"name"', limit: 10, offset: 0 })).to.deep.equal([]);
        expect(await store.listCertificates(CSB, { query: "DG-2025", limit: 10, offset: 0 })).to.deep.equal([]);
        expect(
          (await store.listCertificates(FSD, { query: "dg-2025", limit: 10, offset: 0 })).map((r) => r.id),
        ).to.deep.equal([fsd.certificates[0].id]);
      });

      it("refuses a negative limit or offset with INVALID_ARGUMENT", async () => {
        await expectStoreError(store.listCertificates(CSB, { limit: -1, offset: 0 }), "INVALID_ARGUMENT", /limit/);
        await expectStoreError(store.listCertificates(CSB, { limit: 1, offset: 1.5 }), "INVALID_ARGUMENT", /offset/);
      });
    });

    describe("pending certificates", () => {
      it("groups pending certificates by issuer and type with their count and oldest time, oldest group first", async () => {
        await seedPending(store, 2, { createdAt: at(60) });
        await seedPending(store, 1, { createdAt: at(70) });
        await seedPending(store, 3, { issuerId: FSD, typeId: DG, createdAt: at(50) });
        const batched = await seedPending(store, 2, { issuerId: FSD, typeId: "fsd-fsi-contractor", createdAt: at(10) });
        await seedBatch(store, batched.certificates);
        expect(await store.pendingGroups()).to.deep.equal([
          { issuerId: FSD, typeId: DG, count: 3, oldest: at(50) },
          { issuerId: CSB, typeId: CRE, count: 3, oldest: at(60) },
        ]);
      });

      it("gives the oldest pending certificates of one issuer and type in row order, at most limit", async () => {
        const later = await seedPending(store, 2, { createdAt: at(70) });
        const earlier = await seedPending(store, 3, { createdAt: at(60) });
        await seedPending(store, 2, { issuerId: FSD, typeId: DG, createdAt: at(0) });
        await seedBatch(store, [earlier.certificates[0]]);
        const rows = await store.pendingCertificates(CSB, CRE, 3);
        expect(rows.map((r) => r.id)).to.deep.equal([
          earlier.certificates[1].id,
          earlier.certificates[2].id,
          later.certificates[0].id,
        ]);
        expect(rows.every((r) => r.status === "pending")).to.equal(true);
        expect(await store.pendingCertificates(CSB, DG, 10)).to.deep.equal([]);
      });
    });

    describe("closeBatch", () => {
      it("moves the certificates into a closed batch as anchoring, leaf indexes in the given order", async () => {
        const { certificates } = await seedPending(store, 3);
        const order = [certificates[2], certificates[0], certificates[1]];
        clock.set(200);
        const batch = newBatch(CSB, CRE, 3);
        await store.closeBatch(
          batch,
          order.map((c) => c.id),
        );
        expect(await store.findBatch(batch.id)).to.deep.equal(batch);
        const members = await store.batchCertificates(batch.id);
        expect(members.map((c) => c.id)).to.deep.equal(order.map((c) => c.id));
        expect(members.map((c) => [c.status, c.batchId, c.leafIndex, c.updatedAt])).to.deep.equal([
          ["anchoring", batch.id, 0, at(200)],
          ["anchoring", batch.id, 1, at(200)],
          ["anchoring", batch.id, 2, at(200)],
        ]);
      });

      it("refuses a certificate that is no longer pending with INVALID_STATE, creating no batch and moving none", async () => {
        const { certificates } = await seedPending(store, 3);
        await seedBatch(store, [certificates[1]]);
        const batch = newBatch(CSB, CRE, 3);
        await expectStoreError(
          store.closeBatch(
            batch,
            certificates.map((c) => c.id),
          ),
          "INVALID_STATE",
          /no longer pending/,
        );
        expect(await store.findBatch(batch.id)).to.equal(undefined);
        expect((await mustFind(store, certificates[0].id)).status).to.equal("pending");
        expect((await mustFind(store, certificates[2].id)).batchId).to.equal(null);
      });

      it("refuses an unknown certificate with NOT_FOUND", async () => {
        const { certificates } = await seedPending(store, 1);
        const batch = newBatch(CSB, CRE, 2);
        await expectStoreError(store.closeBatch(batch, [certificates[0].id, "no-such-id"]), "NOT_FOUND", /no-such-id/);
        expect((await mustFind(store, certificates[0].id)).status).to.equal("pending");
      });

      it("refuses a certificate of another type with INVALID_ARGUMENT", async () => {
        const cre = await seedPending(store, 1);
        const other = await seedPending(store, 1, { typeId: "csb-blnst" });
        await expectStoreError(
          store.closeBatch(newBatch(CSB, CRE, 2), [cre.certificates[0].id, other.certificates[0].id]),
          "INVALID_ARGUMENT",
          /csb-blnst/,
        );
        expect(await store.unfinishedBatches()).to.deep.equal([]);
      });

      it("refuses a root another batch already has with DUPLICATE, leaving the certificates pending", async () => {
        const { certificates } = await seedPending(store, 2);
        const first = await seedBatch(store, [certificates[0]]);
        await expectStoreError(
          store.closeBatch(newBatch(CSB, CRE, 1, { root: first.root }), [certificates[1].id]),
          "DUPLICATE",
          /root/,
        );
        expect((await mustFind(store, certificates[1].id)).status).to.equal("pending");
      });

      it("refuses an empty batch, a count that is off and an id given twice with INVALID_ARGUMENT", async () => {
        const { certificates } = await seedPending(store, 2);
        await expectStoreError(store.closeBatch(newBatch(CSB, CRE, 0), []), "INVALID_ARGUMENT", /no certificates/);
        await expectStoreError(
          store.closeBatch(
            newBatch(CSB, CRE, 3),
            certificates.map((c) => c.id),
          ),
          "INVALID_ARGUMENT",
          /certificateCount/,
        );
        await expectStoreError(
          store.closeBatch(newBatch(CSB, CRE, 2), [certificates[0].id, certificates[0].id]),
          "INVALID_ARGUMENT",
          /twice/,
        );
      });
    });

    describe("batches", () => {
      it("finds a batch by id and by root, and lists unfinished batches oldest first", async () => {
        const { certificates } = await seedPending(store, 3);
        const newer = await seedBatch(store, [certificates[0]], { createdAt: at(30), updatedAt: at(30) });
        const older = await seedBatch(store, [certificates[1]], { createdAt: at(20), updatedAt: at(20) });
        const done = await seedIssued(store, [certificates[2]], { createdAt: at(10), updatedAt: at(10) });
        expect(await store.findBatchByRoot(newer.root)).to.deep.equal(newer);
        expect(await store.findBatchByRoot(hex32("unknown"))).to.equal(undefined);
        expect(await store.findBatch("no-such-batch")).to.equal(undefined);
        expect((await store.unfinishedBatches()).map((b) => b.id)).to.deep.equal([older.id, newer.id]);
        expect((await store.findBatch(done.id))!.status).to.equal("rendered");
      });

      it("goes closed -> submitted -> anchored, storing transaction, nonce, block and time", async () => {
        const { certificates } = await seedPending(store, 1);
        const batch = await seedBatch(store, certificates);
        clock.set(300);
        await store.markBatchSubmitted(batch.id, hex32("tx1"), 41);
        expect(await store.findBatch(batch.id)).to.deep.equal({
          ...batch,
          status: "submitted",
          txHash: hex32("tx1"),
          txNonce: 41,
          updatedAt: at(300),
        });
        clock.set(310);
        await store.markBatchAnchored(batch.id, 1_234_567, at(305), null);
        expect(await store.findBatch(batch.id)).to.deep.equal({
          ...batch,
          status: "anchored",
          txHash: hex32("tx1"),
          txNonce: 41,
          blockNumber: 1_234_567,
          anchoredAt: at(305),
          updatedAt: at(310),
        });
        expect((await mustFind(store, certificates[0].id)).status).to.equal("anchoring");
      });

      it("records a replacement transaction while submitted, and the confirmed hash when anchoring", async () => {
        const { certificates } = await seedPending(store, 1);
        const batch = await seedBatch(store, certificates);
        await store.markBatchSubmitted(batch.id, hex32("tx1"), 41);
        await store.markBatchSubmitted(batch.id, hex32("tx1-replacement"), 41);
        expect((await store.findBatch(batch.id))!.txHash).to.equal(hex32("tx1-replacement"));
        await store.markBatchAnchored(batch.id, 9, at(5), hex32("tx1"));
        expect((await store.findBatch(batch.id))!.txHash).to.equal(hex32("tx1"));
      });

      it("marks a closed batch anchored directly when recovery finds its root on chain", async () => {
        const { certificates } = await seedPending(store, 1);
        const batch = await seedBatch(store, certificates);
        await store.markBatchAnchored(batch.id, 9, at(5), hex32("found"));
        expect(await store.findBatch(batch.id)).to.include({
          status: "anchored",
          txHash: hex32("found"),
          txNonce: null,
          blockNumber: 9,
        });
      });

      it("refuses to record a transaction or anchor again once anchored (INVALID_STATE), and NOT_FOUND for an unknown batch", async () => {
        const { certificates } = await seedPending(store, 1);
        const batch = await seedBatch(store, certificates);
        await store.markBatchAnchored(batch.id, 9, at(5), hex32("tx"));
        await expectStoreError(store.markBatchSubmitted(batch.id, hex32("late"), 1), "INVALID_STATE", /anchored/);
        await expectStoreError(store.markBatchAnchored(batch.id, 10, at(6), null), "INVALID_STATE", /anchored/);
        expect((await store.findBatch(batch.id))!.blockNumber).to.equal(9);
        await expectStoreError(store.markBatchSubmitted("no-such-batch", hex32("tx"), 1), "NOT_FOUND");
        await expectStoreError(store.markBatchAnchored("no-such-batch", 1, at(1), null), "NOT_FOUND");
      });
    });

    describe("PDFs", () => {
      it("stores a PDF's bytes and hash, returns the same bytes, and keeps the first PDF on a second put", async () => {
        const { certificates } = await seedPending(store, 2);
        await seedBatch(store, certificates);
        const id = certificates[0].id;
        expect(await store.getPdf(id)).to.equal(undefined);
        const first = pdfBytes(id);
        await store.putPdf(id, first, sha256(first));
        expect(Buffer.from((await store.getPdf(id))!).equals(Buffer.from(first))).to.equal(true);
        expect((await mustFind(store, id)).pdfHash).to.equal(sha256(first));
        // Another instance rendered it too: the PDF served never changes.
        const again = pdfBytes("rendered again");
        await store.putPdf(id, again, sha256(again));
        expect(Buffer.from((await store.getPdf(id))!).equals(Buffer.from(first))).to.equal(true);
        expect((await mustFind(store, id)).pdfHash).to.equal(sha256(first));
        const large = new Uint8Array(3_000_000).map((_, i) => (i * 31) & 0xff).subarray(1000);
        await store.putPdf(certificates[1].id, large, sha256(large));
        expect(Buffer.from((await store.getPdf(certificates[1].id))!).equals(Buffer.from(large))).to.equal(true);
        expect((await mustFind(store, certificates[1].id)).pdfHash).to.equal(sha256(large));
      });

      it("refuses a PDF for a pending certificate with INVALID_STATE, and for an unknown one with NOT_FOUND", async () => {
        const { certificates } = await seedPending(store, 1);
        const pdf = pdfBytes("x");
        await expectStoreError(store.putPdf(certificates[0].id, pdf, sha256(pdf)), "INVALID_STATE", /pending/);
        expect(await store.getPdf(certificates[0].id)).to.equal(undefined);
        await expectStoreError(store.putPdf("no-such-id", pdf, sha256(pdf)), "NOT_FOUND");
      });
    });

    describe("putPdfs", () => {
      /** A distinct PDF-like byte string of `size` bytes for a certificate. */
      function sizedPdf(certificateId: string, size: number): Uint8Array {
        const head = Buffer.from(`%PDF-1.7\n% ${certificateId}\n`, "latin1");
        const bytes = new Uint8Array(size);
        bytes.set(head.subarray(0, size));
        for (let i = head.length; i < size; i++) bytes[i] = (i * 131 + head[head.length - 2]) & 0xff;
        return bytes;
      }
      const item = (certificateId: string, pdf = pdfBytes(certificateId)) => ({
        certificateId,
        pdf,
        pdfHash: sha256(pdf),
      });
      async function expectStored(items: { certificateId: string; pdf: Uint8Array; pdfHash: string }[]) {
        for (const { certificateId, pdf, pdfHash } of items) {
          const stored = await store.getPdf(certificateId);
          expect(stored && Buffer.from(stored).equals(Buffer.from(pdf)), `PDF of ${certificateId}`).to.equal(true);
          expect((await mustFind(store, certificateId)).pdfHash).to.equal(pdfHash);
        }
      }

      it("stores every PDF across chunk boundaries (rows), each with its own bytes and hash, and counts them", async () => {
        const count = 2 * PUT_PDFS_CHUNK_ROWS + 1;
        const { certificates } = await seedPending(store, count);
        await seedBatch(store, certificates);
        const items = certificates.map((c, i) => item(c.id, sizedPdf(c.id, 40 + (i % 7))));
        clock.set(300);
        expect(await store.putPdfs(items)).to.equal(count);
        await expectStored(items);
        expect((await mustFind(store, certificates[count - 1].id)).updatedAt).to.equal(at(300));
        expect(await store.putPdfs([])).to.equal(0);
      });

      it("splits by bytes: a PDF at the chunk's byte limit, one over it and one the verifier's largest go through intact", async () => {
        const { certificates } = await seedPending(store, 6);
        await seedBatch(store, certificates);
        const sizes = [100, PUT_PDFS_CHUNK_BYTES, 200, PUT_PDFS_CHUNK_BYTES + 1, MAX_VERIFY_INPUT_BYTES, 300];
        const items = certificates.map((c, i) => item(c.id, sizedPdf(c.id, sizes[i])));
        expect(await store.putPdfs(items)).to.equal(6);
        await expectStored(items);
      });

      it("keeps a PDF stored already (another instance rendered it first) and stores the others", async () => {
        const { certificates } = await seedPending(store, 3);
        await seedBatch(store, certificates);
        const first = item(certificates[1].id);
        await store.putPdf(first.certificateId, first.pdf, first.pdfHash);
        const items = certificates.map((c) => item(c.id, pdfBytes(`again ${c.id}`)));
        expect(await store.putPdfs(items)).to.equal(2);
        await expectStored([items[0], first, items[2]]);
        expect(await store.putPdfs(items)).to.equal(0);
        await expectStored([items[0], first, items[2]]);
      });

      it("stores nothing when one certificate is not anchoring (INVALID_STATE), unknown (NOT_FOUND) or given twice (INVALID_ARGUMENT)", async () => {
        const pending = await seedPending(store, 1);
        const { certificates } = await seedPending(store, 3);
        await seedBatch(store, certificates);
        const items = certificates.map((c) => item(c.id));
        await expectStoreError(store.putPdfs([...items, item(pending.certificates[0].id)]), "INVALID_STATE", /pending/);
        await expectStoreError(store.putPdfs([items[0], item("no-such-id"), items[1]]), "NOT_FOUND");
        await expectStoreError(store.putPdfs([items[0], items[1], items[0]]), "INVALID_ARGUMENT", /twice/);
        for (const c of [...certificates, pending.certificates[0]]) {
          expect(await store.getPdf(c.id)).to.equal(undefined);
          expect((await mustFind(store, c.id)).pdfHash).to.equal(null);
        }
      });

      it("runs the fence first in the same transaction: a lost lease stores nothing, a held one stores all", async () => {
        const { certificates } = await seedPending(store, PUT_PDFS_CHUNK_ROWS + 2);
        await seedBatch(store, certificates);
        const items = certificates.map((c) => item(c.id));
        const old = (await store.acquireLease("batch:b1", "instance-a", 60_000))!;
        await store.releaseLease("batch:b1", "instance-a", old.epoch);
        const now = (await store.acquireLease("batch:b1", "instance-b", 60_000))!;
        await expectStoreError(
          store.putPdfs(items, (tx) => tx.assertLease("batch:b1", "instance-a", old.epoch)),
          "LEASE_LOST",
        );
        for (const c of certificates) expect(await store.getPdf(c.id)).to.equal(undefined);
        // A fence that fails after the PDFs were written (its transaction rolls back) keeps nothing either.
        await expectStoreError(
          store.transaction(async (tx) => {
            await tx.putPdfs(items);
            await tx.assertLease("batch:b1", "instance-a", old.epoch);
          }),
          "LEASE_LOST",
        );
        expect((await mustFind(store, certificates[0].id)).pdfHash).to.equal(null);
        expect(await store.putPdfs(items, (tx) => tx.assertLease("batch:b1", "instance-b", now.epoch))).to.equal(
          items.length,
        );
        await expectStored(items);
      });
    });

    describe("markBatchRendered", () => {
      async function anchoredBatch(count: number) {
        const seeded = await seedPending(store, count);
        const batch = await seedBatch(store, seeded.certificates);
        await store.markBatchAnchored(batch.id, 12, at(20), hex32("tx"));
        return { ...seeded, batch };
      }

      it("refuses while a certificate of the batch has no PDF, changing nothing", async () => {
        const { certificates, batch } = await anchoredBatch(3);
        for (const c of certificates.slice(0, 2)) await store.putPdf(c.id, pdfBytes(c.id), sha256(pdfBytes(c.id)));
        await expectStoreError(store.markBatchRendered(batch.id), "INVALID_STATE", /1 certificates have no PDF/);
        expect((await store.findBatch(batch.id))!.status).to.equal("anchored");
        expect((await store.batchCertificates(batch.id)).map((c) => c.status)).to.deep.equal([
          "anchoring",
          "anchoring",
          "anchoring",
        ]);
      });

      it("refuses a batch that is not anchored yet with INVALID_STATE, and an unknown one with NOT_FOUND", async () => {
        const { certificates } = await seedPending(store, 1);
        const batch = await seedBatch(store, certificates);
        await store.putPdf(certificates[0].id, pdfBytes("a"), sha256(pdfBytes("a")));
        await expectStoreError(store.markBatchRendered(batch.id), "INVALID_STATE", /closed/);
        await expectStoreError(store.markBatchRendered("no-such-batch"), "NOT_FOUND");
      });

      it("marks the batch rendered and its certificates issued, and takes it off the unfinished list", async () => {
        const { upload, certificates, batch } = await anchoredBatch(2);
        for (const c of certificates) await store.putPdf(c.id, pdfBytes(c.id), sha256(pdfBytes(c.id)));
        clock.set(400);
        await store.markBatchRendered(batch.id);
        expect(await store.findBatch(batch.id)).to.include({ status: "rendered", updatedAt: at(400) });
        expect((await store.batchCertificates(batch.id)).map((c) => [c.status, c.updatedAt])).to.deep.equal([
          ["issued", at(400)],
          ["issued", at(400)],
        ]);
        expect(await store.unfinishedBatches()).to.deep.equal([]);
        expect(await store.uploadProgress(upload.id)).to.deep.equal({ issued: 2 });
        await expectStoreError(store.markBatchRendered(batch.id), "INVALID_STATE", /rendered/);
      });

      it("marks the certificates that renewals supersede superseded, but leaves a revoked one revoked", async () => {
        const old = await seedPending(store, 2);
        const oldBatch = await seedIssued(store, old.certificates);
        const revoke = newOperation("revoke", { issuerId: CSB, certificateId: old.certificates[1].id });
        await store.insertOperation(revoke);
        await store.confirmOperation(revoke.id, "revoked", 1);
        const upload = newUpload({ rowCount: 2, createdAt: at(50) });
        const renewals = old.certificates.map((c, i) => newCertificate(upload, i + 1, { supersedes: c.id }));
        await store.insertUpload(upload, renewals);
        await seedIssued(store, renewals);
        expect((await mustFind(store, old.certificates[0].id)).status).to.equal("superseded");
        expect(await mustFind(store, old.certificates[1].id)).to.include({ status: "revoked", reason: 1 });
        expect((await mustFind(store, renewals[0].id)).supersedes).to.equal(old.certificates[0].id);
        expect((await store.findBatch(oldBatch.id))!.status).to.equal("rendered");
      });
    });

    describe("operations", () => {
      async function issued(count: number) {
        const seeded = await seedPending(store, count);
        const batch = await seedIssued(store, seeded.certificates);
        return { ...seeded, batch };
      }

      it("goes queued -> submitted -> confirmed, then sets the certificate's status and reason", async () => {
        const { certificates } = await issued(1);
        const op = newOperation("revoke", { issuerId: CSB, certificateId: certificates[0].id }, { reason: 4 });
        await store.insertOperation(op);
        expect(await store.unfinishedOperations()).to.deep.equal([op]);
        clock.set(500);
        await store.markOperationSubmitted(op.id, hex32("op tx"));
        expect(await store.unfinishedOperations()).to.deep.equal([
          { ...op, status: "submitted", txHash: hex32("op tx"), updatedAt: at(500) },
        ]);
        expect((await mustFind(store, certificates[0].id)).status).to.equal("issued");
        clock.set(510);
        await store.confirmOperation(op.id, "revoked", 4);
        expect(await mustFind(store, certificates[0].id)).to.include({
          status: "revoked",
          reason: 4,
          updatedAt: at(510),
        });
        expect(await store.unfinishedOperations()).to.deep.equal([]);
      });

      it("lists unfinished operations oldest first", async () => {
        const { certificates } = await issued(2);
        const later = newOperation(
          "suspend",
          { issuerId: CSB, certificateId: certificates[0].id },
          { createdAt: at(40) },
        );
        const earlier = newOperation(
          "revoke",
          { issuerId: CSB, certificateId: certificates[1].id },
          { createdAt: at(35) },
        );
        await store.insertOperation(later);
        await store.insertOperation(earlier);
        expect((await store.unfinishedOperations()).map((o) => o.id)).to.deep.equal([earlier.id, later.id]);
      });

      it("reinstates a suspended certificate: issued again with no reason", async () => {
        const { certificates } = await issued(1);
        const suspend = newOperation("suspend", { issuerId: CSB, certificateId: certificates[0].id }, { reason: 2 });
        await store.insertOperation(suspend);
        await store.confirmOperation(suspend.id, "suspended", 2);
        expect(await mustFind(store, certificates[0].id)).to.include({ status: "suspended", reason: 2 });
        const reinstate = newOperation(
          "reinstate",
          { issuerId: CSB, certificateId: certificates[0].id },
          { reason: 0 },
        );
        await store.insertOperation(reinstate);
        await store.confirmOperation(reinstate.id, "issued", null);
        expect(await mustFind(store, certificates[0].id)).to.include({ status: "issued", reason: null });
      });

      it("confirms a batch revocation with a status on every certificate of the batch, and without one on none", async () => {
        const { certificates, batch } = await issued(2);
        const silent = newOperation("revoke-batch", { issuerId: CSB, batchId: batch.id });
        await store.insertOperation(silent);
        await store.confirmOperation(silent.id, null, null);
        expect((await store.batchCertificates(batch.id)).map((c) => c.status)).to.deep.equal(["issued", "issued"]);
        const op = newOperation("revoke-batch", { issuerId: CSB, batchId: batch.id }, { reason: 9 });
        await store.insertOperation(op);
        await store.confirmOperation(op.id, "revoked", 9);
        for (const c of certificates) expect(await mustFind(store, c.id)).to.include({ status: "revoked", reason: 9 });
      });

      it("records a failure with its error and takes the operation off the unfinished list", async () => {
        const { certificates } = await issued(1);
        const op = newOperation("revoke", { issuerId: CSB, certificateId: certificates[0].id });
        await store.insertOperation(op);
        await store.failOperation(op.id, "RegistryInvalidTransition");
        expect(await store.unfinishedOperations()).to.deep.equal([]);
        expect((await mustFind(store, certificates[0].id)).status).to.equal("issued");
      });

      it("refuses to confirm, fail or submit a finished operation with INVALID_STATE, and an unknown one with NOT_FOUND", async () => {
        const { certificates } = await issued(1);
        const op = newOperation("revoke", { issuerId: CSB, certificateId: certificates[0].id });
        await store.insertOperation(op);
        await store.confirmOperation(op.id, "revoked", 3);
        await expectStoreError(store.confirmOperation(op.id, "revoked", 3), "INVALID_STATE", /confirmed/);
        await expectStoreError(store.failOperation(op.id, "late"), "INVALID_STATE", /confirmed/);
        await expectStoreError(store.markOperationSubmitted(op.id, hex32("late")), "INVALID_STATE", /confirmed/);
        await expectStoreError(store.confirmOperation("no-such-op", "revoked", 3), "NOT_FOUND");
        await expectStoreError(store.failOperation("no-such-op", "x"), "NOT_FOUND");
        await expectStoreError(store.markOperationSubmitted("no-such-op", hex32("x")), "NOT_FOUND");
      });

      it("refuses an operation on another issuer's certificate with INVALID_REFERENCE", async () => {
        const { certificates } = await issued(1);
        await expectStoreError(
          store.insertOperation(newOperation("revoke", { issuerId: FSD, certificateId: certificates[0].id })),
          "INVALID_REFERENCE",
        );
        expect(await store.unfinishedOperations()).to.deep.equal([]);
      });
    });

    describe("events", () => {
      it("returns a certificate's events in insertion order with increasing ids", async () => {
        const { certificates } = await seedPending(store, 2);
        const [a, b] = certificates;
        for (const [certificateId, type] of [
          [a.id, "accepted"],
          [b.id, "accepted"],
          [a.id, "batched"],
          [a.id, "issued"],
        ]) {
          await store.insertEvent({
            issuerId: CSB,
            certificateId,
            batchId: null,
            type,
            actor: "system",
            detailJson: `{"t":"${type}"}`,
            at: at(1),
          });
        }
        const events = await store.certificateEvents(a.id);
        expect(events.map((e) => e.type)).to.deep.equal(["accepted", "batched", "issued"]);
        expect(events[0]).to.deep.include({
          issuerId: CSB,
          certificateId: a.id,
          batchId: null,
          actor: "system",
          detailJson: '{"t":"accepted"}',
          at: at(1),
        });
        expect(events.every((e, i) => typeof e.id === "number" && (i === 0 || e.id > events[i - 1].id))).to.equal(true);
        expect(await store.certificateEvents("no-such-id")).to.deep.equal([]);
      });

      it("stores many events at once in their order, over several statements, and all or none of them", async () => {
        const { certificates } = await seedPending(store, 3);
        const event = (certificateId: string, i: number) => ({
          issuerId: CSB,
          certificateId,
          batchId: null,
          type: "accepted",
          actor: "system",
          actorName: i % 2 === 0 ? null : "Officer 陳",
          detailJson: `{"i":${i}}`,
          at: at(1),
        });
        // 1,201 events: three statements of at most 500, one certificate's interleaved with the others'.
        const many = Array.from({ length: 1201 }, (_, i) => event(certificates[i % 3].id, i));
        await store.insertEvents(many);
        const first = await store.certificateEvents(certificates[0].id);
        expect(first.map((e) => e.detailJson)).to.deep.equal(
          many.filter((_, i) => i % 3 === 0).map((e) => e.detailJson),
        );
        expect(first[1]).to.deep.include({ actorName: "Officer 陳", type: "accepted", at: at(1) });
        expect(first.every((e, i) => i === 0 || e.id > first[i - 1].id)).to.equal(true);
        await store.insertEvents([]);
        // The 600th names another department's certificate: none of the 1,000 is stored.
        const bad = Array.from({ length: 1000 }, (_, i) => ({
          ...event(certificates[1].id, 5000 + i),
          ...(i === 599 ? { issuerId: FSD } : {}),
        }));
        await expectStoreError(store.insertEvents(bad), "INVALID_REFERENCE");
        expect(await store.certificateEvents(certificates[1].id)).to.have.length(400);
        await expectStoreError(store.insertEvents("no" as unknown as []), "INVALID_ARGUMENT");
      });

      it("refuses an event that names another issuer's certificate with INVALID_REFERENCE", async () => {
        const { certificates } = await seedPending(store, 1);
        await expectStoreError(
          store.insertEvent({
            issuerId: FSD,
            certificateId: certificates[0].id,
            batchId: null,
            type: "x",
            actor: "system",
            detailJson: "{}",
            at: at(1),
          }),
          "INVALID_REFERENCE",
        );
      });
    });

    describe("two instances on one database", () => {
      it("puts each certificate in exactly one batch when two stores race to close batches over the same pending rows", async () => {
        const peer = await openMigrated();
        const { certificates } = await seedPending(store, 60);
        async function batcher(s: Store): Promise<string[]> {
          const closed: string[] = [];
          for (let round = 0; round < 100; round++) {
            const pending = await s.pendingCertificates(CSB, CRE, 7);
            if (pending.length === 0) break;
            const batch = newBatch(CSB, CRE, pending.length);
            try {
              await s.closeBatch(
                batch,
                pending.map((c) => c.id),
              );
              closed.push(batch.id);
            } catch (error) {
              if (!isStoreError(error, "INVALID_STATE")) throw error;
            }
          }
          return closed;
        }
        const [mine, theirs] = await Promise.all([batcher(store), batcher(peer)]);
        const batchIds = [...mine, ...theirs];
        expect((await store.unfinishedBatches()).map((b) => b.id).sort()).to.deep.equal([...batchIds].sort());
        let total = 0;
        for (const id of batchIds) {
          const batch = (await store.findBatch(id))!;
          const members = await store.batchCertificates(id);
          expect(members.map((m) => m.leafIndex)).to.deep.equal([...Array(batch.certificateCount).keys()]);
          total += members.length;
        }
        expect(total).to.equal(60);
        for (const c of certificates) expect((await mustFind(store, c.id)).status).to.equal("anchoring");
      });
    });

    describe("leases", () => {
      it("grants a free lease at epoch 1, refuses it to another holder while live, renews it at the same epoch", async () => {
        const a = await store.acquireLease("chain:0xabc", "instance-a", 60_000);
        expect(a).to.include({ name: "chain:0xabc", holder: "instance-a", epoch: 1 });
        expect(a!.expiresAt).to.be.within(Date.now() + 55_000, Date.now() + 65_000);
        expect(await store.acquireLease("chain:0xabc", "instance-b", 60_000)).to.equal(undefined);
        const renewed = await store.acquireLease("chain:0xabc", "instance-a", 60_000);
        expect(renewed!.epoch).to.equal(1);
        expect(renewed!.expiresAt).to.be.at.least(a!.expiresAt);
        await store.assertLease("chain:0xabc", "instance-a", 1);
        await expectStoreError(store.assertLease("chain:0xabc", "instance-b", 1), "LEASE_LOST", /another holder/);
        await expectStoreError(store.assertLease("chain:0xabc", "instance-a", 2), "LEASE_LOST");
        await expectStoreError(store.assertLease("batch:none", "instance-a", 1), "LEASE_LOST", /nobody/);
      });

      it("hands an expired or released lease over with the next epoch, and fences the old holder's writes", async () => {
        expect((await store.acquireLease("batch:b1", "instance-a", 150))!.epoch).to.equal(1);
        await sleep(300);
        await expectStoreError(store.assertLease("batch:b1", "instance-a", 1), "LEASE_LOST", /expired/);
        expect((await store.acquireLease("batch:b1", "instance-b", 60_000))!.epoch).to.equal(2);
        // The old holder's step, fenced: nothing it wrote in the transaction stays.
        const { upload } = await seedPending(store, 1);
        await expectStoreError(
          store.transaction(async (s) => {
            await s.setUploadErrors(upload.id, JSON.stringify([{ row: 1 }]));
            await s.assertLease("batch:b1", "instance-a", 1);
          }),
          "LEASE_LOST",
        );
        expect((await store.findUpload(CSB, upload.id))!.errorsJson).to.equal(upload.errorsJson);
        await store.releaseLease("batch:b1", "instance-a", 1); // not a's any more: no effect
        expect(await store.acquireLease("batch:b1", "instance-c", 60_000)).to.equal(undefined);
        await store.releaseLease("batch:b1", "instance-b", 2);
        expect((await store.acquireLease("batch:b1", "instance-c", 60_000))!.epoch).to.equal(3);
        // The same holder taking its lease again after it lapsed is a new tenure too.
        await store.releaseLease("batch:b1", "instance-c", 3);
        expect((await store.acquireLease("batch:b1", "instance-c", 60_000))!.epoch).to.equal(4);
      });

      it("grants a lease to exactly one of many stores racing for it, and each takeover to one", async () => {
        const peers = [store, await openMigrated(), await openMigrated()];
        for (let round = 0; round < 5; round++) {
          const granted = await Promise.all(
            peers.flatMap((s, i) => [0, 1].map((j) => s.acquireLease("race", `holder-${round}-${i}-${j}`, 100))),
          );
          const winners = granted.filter((g) => g !== undefined);
          expect(winners, `round ${round}`).to.have.length(1);
          expect(winners[0]!.epoch).to.equal(round + 1);
          await sleep(150);
        }
      });

      it("refuses a name or holder past 200 characters, and a ttl out of range, before any statement", async () => {
        await expectStoreError(store.acquireLease("x".repeat(201), "a", 1000), "INVALID_ARGUMENT", /name/);
        await expectStoreError(store.acquireLease("x", "", 1000), "INVALID_ARGUMENT", /holder/);
        await expectStoreError(store.acquireLease("x", "a", 0), "INVALID_ARGUMENT", /ttlMs/);
        const longest = await store.acquireLease("n".repeat(200), "h".repeat(200), 86_400_000);
        expect(longest!.name).to.have.length(200);
        await store.assertLease("n".repeat(200), "h".repeat(200), 1);
      });
    });

    describe("one live certificate per number", () => {
      it("refuses a number that is live already, returning the holder, and stores the rest of the upload", async () => {
        const first = await seedPending(store, 3);
        const again = newUpload({ rowCount: 3 });
        const repeat = newCertificate(again, 1, { certificateNumber: first.certificates[1].certificateNumber });
        const fresh = newCertificate(again, 2);
        const { refused } = await store.insertUpload(again, [repeat, fresh]);
        expect(refused).to.deep.equal([{ id: repeat.id, existingId: first.certificates[1].id }]);
        expect(await store.findCertificate(repeat.id)).to.equal(undefined);
        expect((await mustFind(store, fresh.id)).status).to.equal("pending");
      });

      it("refuses the second of two rows with one number in the same upload", async () => {
        const upload = newUpload({ rowCount: 2 });
        const a = newCertificate(upload, 1, { certificateNumber: "CRE-SAME" });
        const b = newCertificate(upload, 2, { certificateNumber: "CRE-SAME" });
        expect((await store.insertUpload(upload, [a, b])).refused).to.deep.equal([{ id: b.id, existingId: a.id }]);
      });

      it("frees a number once its certificate is no longer live (failed), and keeps numbers per issuer", async () => {
        const first = await seedPending(store, 1);
        const batch = await seedBatch(store, first.certificates);
        expect(await store.recordBatchFailure(batch.id, "refused by the registry", { maxAttempts: 1 })).to.deep.equal({
          attempts: 1,
          setAside: true,
        });
        const again = newUpload({ rowCount: 1 });
        const reissue = newCertificate(again, 1, { certificateNumber: first.certificates[0].certificateNumber });
        expect((await store.insertUpload(again, [reissue])).refused).to.deep.equal([]);
        const fsdUpload = newUpload({ issuerId: FSD, typeId: DG, rowCount: 1 });
        const other = newCertificate(fsdUpload, 1, { certificateNumber: first.certificates[0].certificateNumber });
        expect((await store.insertUpload(fsdUpload, [other])).refused).to.deep.equal([]);
      });

      it("stores each number once when two stores insert uploads with the same numbers at once", async () => {
        const peer = await openMigrated();
        const make = () => {
          const upload = newUpload({ rowCount: 40 });
          return {
            upload,
            certificates: Array.from({ length: 40 }, (_, i) =>
              newCertificate(upload, i + 1, { certificateNumber: `CRE-RACE-${i}` }),
            ),
          };
        };
        const a = make();
        const b = make();
        const [ra, rb] = await Promise.all([
          store.insertUpload(a.upload, a.certificates),
          peer.insertUpload(b.upload, b.certificates),
        ]);
        expect(ra.refused.length + rb.refused.length).to.equal(40);
        const rows = await harness.query(
          location,
          "SELECT certificate_number FROM certificates WHERE certificate_number LIKE 'CRE-RACE-%'",
        );
        expect(rows).to.have.length(40);
        expect(new Set(rows.map((r) => r.certificate_number)).size).to.equal(40);
      });

      it("refuses a digest stored already with DUPLICATE, storing nothing of the upload", async () => {
        const first = await seedPending(store, 1);
        const again = newUpload({ rowCount: 2 });
        const ok = newCertificate(again, 1);
        const copy = newCertificate(again, 2, { digest: first.certificates[0].digest });
        await expectStoreError(store.insertUpload(again, [ok, copy]), "DUPLICATE");
        expect(await store.findCertificate(ok.id)).to.equal(undefined);
        expect(await store.findUpload(CSB, again.id)).to.equal(undefined);
      });

      it("lets a renewal with the same number be stored beside the certificate it renews, once", async () => {
        const [old] = (await seedPending(store, 1)).certificates;
        await seedIssued(store, [old]);
        const upload = newUpload({ rowCount: 1 });
        const renewal = newCertificate(upload, 1, { certificateNumber: old.certificateNumber, supersedes: old.id });
        await expectStoreError(store.markRenewing(renewal.id, old.id), "NOT_FOUND");
        await store.markRenewing(old.id, renewal.id);
        await expectStoreError(store.markRenewing(old.id, "another"), "INVALID_STATE");
        expect((await store.insertUpload(upload, [renewal])).refused).to.deep.equal([]);
        const third = newUpload({ rowCount: 1 });
        const copy = newCertificate(third, 1, { certificateNumber: old.certificateNumber });
        expect((await store.insertUpload(third, [copy])).refused).to.deep.equal([
          { id: copy.id, existingId: renewal.id },
        ]);
      });

      it("replaces an upload's errors", async () => {
        const { upload } = await seedPending(store, 1);
        await store.setUploadErrors(
          upload.id,
          JSON.stringify([{ row: 1, column: null, code: "DUPLICATE_CERTIFICATE", message: "x" }]),
        );
        expect(JSON.parse((await store.findUpload(CSB, upload.id))!.errorsJson)).to.have.length(1);
        await expectStoreError(store.setUploadErrors("nope", "[]"), "NOT_FOUND");
      });
    });

    describe("failing batches", () => {
      it("counts failed steps and sets the batch aside at the last attempt: certificates failed, renewals unmarked, reason kept", async () => {
        const [old] = (await seedPending(store, 1)).certificates;
        await seedIssued(store, [old]);
        const upload = newUpload({ rowCount: 2 });
        const renewal = newCertificate(upload, 1, { certificateNumber: old.certificateNumber, supersedes: old.id });
        const other = newCertificate(upload, 2);
        await store.markRenewing(old.id, renewal.id);
        await store.insertUpload(upload, [renewal, other]);
        const batch = await seedBatch(store, [renewal, other]);
        expect(await store.recordBatchFailure(batch.id, "first", { maxAttempts: 3 })).to.deep.equal({
          attempts: 1,
          setAside: false,
        });
        expect(await store.recordBatchFailure(batch.id, "second", { maxAttempts: 3 })).to.deep.equal({
          attempts: 2,
          setAside: false,
        });
        expect((await store.unfinishedBatches()).map((b) => b.id)).to.deep.equal([batch.id]);
        expect(await store.recordBatchFailure(batch.id, "the registry refused it", { maxAttempts: 3 })).to.deep.equal({
          attempts: 3,
          setAside: true,
        });
        expect(await store.unfinishedBatches()).to.deep.equal([]);
        expect(await store.findBatch(batch.id)).to.include({ attempts: 3, failure: "the registry refused it" });
        expect((await mustFind(store, renewal.id)).status).to.equal("failed");
        expect((await mustFind(store, other.id)).status).to.equal("failed");
        expect(await store.uploadFailures(upload.id)).to.deep.equal([
          {
            batchId: batch.id,
            failure: "the registry refused it",
            failedAt: (await store.findBatch(batch.id))!.failedAt,
          },
        ]);
        // The old certificate is live and renewable again.
        await store.markRenewing(old.id, "next");
        await expectStoreError(store.recordBatchFailure(batch.id, "again", { maxAttempts: 3 }), "INVALID_STATE");
      });

      it("sets a batch aside at once when asked", async () => {
        const { certificates } = await seedPending(store, 2);
        const batch = await seedBatch(store, certificates);
        expect(
          await store.recordBatchFailure(batch.id, "a PDF embeds another certificate", {
            maxAttempts: 3,
            setAside: true,
          }),
        ).to.deep.equal({ attempts: 1, setAside: true });
      });

      it("lists anchored and issued batches, not set aside, in pages", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const { certificates } = await seedPending(store, 1);
          ids.push((await seedIssued(store, certificates, { createdAt: at(10 + i) })).id);
        }
        const { certificates } = await seedPending(store, 1);
        await seedBatch(store, certificates, { createdAt: at(5) });
        const first = await store.anchoredBatches(null, 2);
        expect(first.map((b) => b.id)).to.deep.equal(ids.slice(0, 2));
        const rest = await store.anchoredBatches({ createdAt: first[1].createdAt, id: first[1].id }, 2);
        expect(rest.map((b) => b.id)).to.deep.equal(ids.slice(2));
      });
    });

    describe("approvals of uploads", () => {
      const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);
      const decided = (upload: UploadRow, d: Decision): UploadRow => ({
        ...upload,
        state: d.state as UploadState,
        decidedBy: d.by,
        decidedByName: d.byName,
        decidedAt: d.at,
        decisionReason: d.reason,
      });

      it("stores an upload awaiting approval with who uploaded it, and lists one issuer's uploads newest first, by state, paged", async () => {
        const released = await seedPending(store, 1, { createdAt: at(1) });
        const awaiting = await seedAwaiting(store, 2, CLERK, { createdAt: at(2) });
        const rejected = await seedAwaiting(store, 1, CLERK, { createdAt: at(3) });
        const fsd = await seedAwaiting(store, 1, CLERK, { issuerId: FSD, typeId: DG, createdAt: at(4) });
        const rejection = decision("rejected");
        expect(await store.decideUpload(CSB, rejected.upload.id, rejection)).to.equal(true);
        expect(await store.findUpload(CSB, awaiting.upload.id)).to.deep.equal(awaiting.upload);
        expect(await store.listUploads(CSB, { limit: 10, offset: 0 })).to.deep.equal([
          decided(rejected.upload, rejection),
          awaiting.upload,
          released.upload,
        ]);
        const list = (state: UploadState | undefined, limit = 10, offset = 0) =>
          store.listUploads(CSB, { state, limit, offset }).then(ids);
        expect(await list("awaiting-approval")).to.deep.equal([awaiting.upload.id]);
        expect(await list("released")).to.deep.equal([released.upload.id]);
        expect(await list("rejected")).to.deep.equal([rejected.upload.id]);
        expect(await list(undefined, 1, 1)).to.deep.equal([awaiting.upload.id]);
        expect(await list(undefined, 10, 3)).to.deep.equal([]);
        expect(await store.listUploads(FSD, { limit: 10, offset: 0 })).to.deep.equal([fsd.upload]);
        expect(await store.listUploads("NOBODY", { limit: 10, offset: 0 })).to.deep.equal([]);
        await expectStoreError(store.listUploads(CSB, { limit: -1, offset: 0 }), "INVALID_ARGUMENT");
      });

      it("keeps the certificates of an upload awaiting approval or rejected from the batcher, and gives them to it once released", async () => {
        const released = await seedPending(store, 1, { createdAt: at(1) });
        const awaiting = await seedAwaiting(store, 2, CLERK, { createdAt: at(2) });
        const rejected = await seedAwaiting(store, 2, CLERK, { createdAt: at(3) });
        const fsd = await seedAwaiting(store, 1, CLERK, { issuerId: FSD, typeId: DG, createdAt: at(4) });
        expect(await store.pendingGroups()).to.deep.equal([{ issuerId: CSB, typeId: CRE, count: 1, oldest: at(1) }]);
        expect(ids(await store.pendingCertificates(CSB, CRE, 10))).to.deep.equal([released.certificates[0].id]);
        expect(await store.pendingCertificates(FSD, DG, 10)).to.deep.equal([]);

        expect(await store.decideUpload(CSB, rejected.upload.id, decision("rejected"))).to.equal(true);
        expect(await store.pendingGroups()).to.deep.equal([{ issuerId: CSB, typeId: CRE, count: 1, oldest: at(1) }]);
        expect(await store.decideUpload(CSB, awaiting.upload.id, decision("released"))).to.equal(true);
        expect(await store.pendingGroups()).to.deep.equal([{ issuerId: CSB, typeId: CRE, count: 3, oldest: at(1) }]);
        expect(ids(await store.pendingCertificates(CSB, CRE, 10))).to.deep.equal([
          released.certificates[0].id,
          ...ids(awaiting.certificates),
        ]);
        expect(await store.uploadProgress(rejected.upload.id)).to.deep.equal({ failed: 2 });

        expect(await store.decideUpload(FSD, fsd.upload.id, decision("released"))).to.equal(true);
        expect(await store.pendingGroups()).to.deep.equal([
          { issuerId: CSB, typeId: CRE, count: 3, oldest: at(1) },
          { issuerId: FSD, typeId: DG, count: 1, oldest: at(4) },
        ]);
        expect(ids(await store.pendingCertificates(FSD, DG, 10))).to.deep.equal(ids(fsd.certificates));
      });

      it("releases or rejects only an upload awaiting approval, never by its requester (SELF_APPROVAL)", async () => {
        const a = await seedAwaiting(store, 1);
        await expectStoreError(store.decideUpload(CSB, a.upload.id, decision("released", CLERK)), "SELF_APPROVAL");
        await expectStoreError(store.decideUpload(CSB, a.upload.id, decision("rejected", CLERK)), "SELF_APPROVAL");
        expect(await store.findUpload(CSB, a.upload.id)).to.deep.equal(a.upload);
        await expectStoreError(store.decideUpload(FSD, a.upload.id, decision("released")), "NOT_FOUND");
        await expectStoreError(store.decideUpload(CSB, "no-such-upload", decision("released")), "NOT_FOUND");
        await expectStoreError(store.decideUpload(CSB, a.upload.id, decision("approved")), "INVALID_ARGUMENT");

        const release = decision("released");
        expect(await store.decideUpload(CSB, a.upload.id, release)).to.equal(true);
        expect(await store.findUpload(CSB, a.upload.id)).to.deep.equal(decided(a.upload, release));
        // Decided: no second decision, by anyone.
        expect(await store.decideUpload(CSB, a.upload.id, decision("rejected", SECOND_APPROVER))).to.equal(false);
        expect(await store.decideUpload(CSB, a.upload.id, decision("released", SECOND_APPROVER))).to.equal(false);
        expect(await store.decideUpload(CSB, a.upload.id, decision("rejected", CLERK))).to.equal(false);
        expect(await store.findUpload(CSB, a.upload.id)).to.deep.equal(decided(a.upload, release));
        expect(await store.uploadProgress(a.upload.id)).to.deep.equal({ pending: 1 });

        // An upload stored released (no approval asked for) is not awaiting approval either.
        const released = await seedPending(store, 1);
        expect(await store.decideUpload(CSB, released.upload.id, decision("rejected"))).to.equal(false);
        expect(await store.uploadProgress(released.upload.id)).to.deep.equal({ pending: 1 });

        const b = await seedAwaiting(store, 1);
        expect(await store.decideUpload(CSB, b.upload.id, decision("rejected"))).to.equal(true);
        expect(await store.decideUpload(CSB, b.upload.id, decision("released", SECOND_APPROVER))).to.equal(false);
        expect((await store.findUpload(CSB, b.upload.id))!.state).to.equal("rejected");
        expect(await store.uploadProgress(b.upload.id)).to.deep.equal({ failed: 1 });
      });

      it("refuses a rejection without its reason, or with one past 500 characters, changing nothing", async () => {
        const { upload } = await seedAwaiting(store, 2);
        await expectStoreError(
          store.decideUpload(CSB, upload.id, decision("rejected", APPROVER, { reason: null })),
          "INVALID_VALUE",
          /uploads_decision_check/,
        );
        await expectStoreError(
          store.decideUpload(CSB, upload.id, decision("rejected", APPROVER, { reason: "理".repeat(501) })),
          "INVALID_VALUE",
          /uploads_decision_check/,
        );
        expect(await store.findUpload(CSB, upload.id)).to.deep.equal(upload);
        expect(await store.uploadProgress(upload.id)).to.deep.equal({ pending: 2 });
        const rejection = decision("rejected", APPROVER, { reason: "理".repeat(500) });
        expect(await store.decideUpload(CSB, upload.id, rejection)).to.equal(true);
        expect(await store.findUpload(CSB, upload.id)).to.deep.equal(decided(upload, rejection));
      });

      it("rejects an upload: its certificates failed and their numbers free, what they renewed no longer marked, their e-mails cancelled", async () => {
        const [old] = (await seedPending(store, 1)).certificates;
        await seedIssued(store, [old]);
        const upload = newUpload({
          rowCount: 2,
          state: "awaiting-approval",
          requestedBy: CLERK.id,
          requestedByName: CLERK.name,
          createdAt: at(30),
        });
        const renewal = newCertificate(upload, 1, {
          certificateNumber: old.certificateNumber,
          supersedes: old.id,
          email: { toAddress: "chan.tai.man@example.com", claimCode: "CLAIM-RENEWAL" },
        });
        const fresh = newCertificate(upload, 2, {
          email: { toAddress: "wong.siu.ming@example.com", claimCode: "CLAIM-FRESH" },
        });
        await store.markRenewing(old.id, renewal.id);
        expect((await store.insertUpload(upload, [renewal, fresh])).refused).to.deep.equal([]);
        // While it awaits approval its numbers are taken: by the renewal (not the certificate it renews) and the new one.
        const probe = newUpload({ rowCount: 2 });
        const probes = [
          newCertificate(probe, 1, { certificateNumber: old.certificateNumber }),
          newCertificate(probe, 2, { certificateNumber: fresh.certificateNumber }),
        ];
        expect((await store.insertUpload(probe, probes)).refused.map((r) => r.existingId)).to.deep.equal([
          renewal.id,
          fresh.id,
        ]);
        expect((await store.findEmail(fresh.id))!.status).to.equal("waiting");

        const rejection = decision("rejected", APPROVER, { reason: "the wrong sitting" });
        expect(await store.decideUpload(CSB, upload.id, rejection)).to.equal(true);
        for (const c of [renewal, fresh]) expect((await mustFind(store, c.id)).status).to.equal("failed");
        expect((await mustFind(store, old.id)).status).to.equal("issued");
        // The renewed certificate holds its number alone again, and can be renewed again; the new number is free.
        const again = newUpload({ rowCount: 2 });
        const copy = newCertificate(again, 1, { certificateNumber: old.certificateNumber });
        const reuse = newCertificate(again, 2, { certificateNumber: fresh.certificateNumber });
        expect((await store.insertUpload(again, [copy, reuse])).refused).to.deep.equal([
          { id: copy.id, existingId: old.id },
        ]);
        expect((await mustFind(store, reuse.id)).status).to.equal("pending");
        await store.markRenewing(old.id, "a-later-renewal");
        for (const c of [renewal, fresh]) {
          expect(await store.findEmail(c.id)).to.include({ status: "cancelled", claimCode: null, sentAt: null });
        }
        expect(await store.dueEmails(at(10_000_000), 10)).to.deep.equal([]);
        expect(await store.findUpload(CSB, upload.id)).to.deep.equal(decided(upload, rejection));
      });

      it("lets exactly one of two approvers deciding an upload at once (on two instances) decide it", async () => {
        const peer = await openMigrated();
        const winners = new Set<string>();
        for (let round = 0; round < 8; round++) {
          const { upload } = await seedAwaiting(store, 2);
          const release = () => store.decideUpload(CSB, upload.id, decision("released", APPROVER));
          const reject = () => peer.decideUpload(CSB, upload.id, decision("rejected", SECOND_APPROVER));
          const [released, rejected] =
            round % 2 === 0
              ? await Promise.all([release(), reject()])
              : (await Promise.all([reject(), release()])).reverse();
          expect([released, rejected].filter(Boolean), `round ${round}`).to.have.length(1);
          winners.add(released ? "release" : "reject");
          const row = (await store.findUpload(CSB, upload.id))!;
          expect(row.state).to.equal(released ? "released" : "rejected");
          expect(row.decidedBy).to.equal(released ? APPROVER.id : SECOND_APPROVER.id);
          expect(await store.uploadProgress(upload.id)).to.deep.equal(released ? { pending: 2 } : { failed: 2 });
        }
        expect(winners.size).to.be.greaterThan(0);
      });
    });

    describe("change requests", () => {
      async function issuedCertificate(issuerId: string = CSB): Promise<NewCertificate> {
        const seeded = await seedPending(store, 1, issuerId === CSB ? {} : { issuerId, typeId: DG });
        await seedIssued(store, seeded.certificates);
        return seeded.certificates[0];
      }
      const operationFor = (request: ChangeRequestRow) =>
        newOperation(
          request.kind,
          { issuerId: request.issuerId, certificateId: request.certificateId },
          {
            reason: request.reason,
          },
        );
      const decidedRequest = (request: ChangeRequestRow, d: Decision, operationId: string | null) => ({
        ...request,
        state: d.state,
        decidedBy: d.by,
        decidedByName: d.byName,
        decidedAt: d.at,
        decisionReason: d.reason,
        operationId,
      });

      it("stores a request as given, finds it only for its issuer, and refuses a second open request for the certificate with DUPLICATE", async () => {
        const certificate = await issuedCertificate();
        const request = newChangeRequest(certificate);
        await store.insertChangeRequest(request);
        expect(await store.findChangeRequest(CSB, request.id)).to.deep.equal(request);
        expect(await store.findChangeRequest(FSD, request.id)).to.equal(undefined);
        expect(await store.findChangeRequest(CSB, "no-such-request")).to.equal(undefined);
        await expectStoreError(
          store.insertChangeRequest(newChangeRequest(certificate, { kind: "suspend" })),
          "DUPLICATE",
          /awaiting approval already/,
        );
        // Once decided, the certificate may have a new request.
        expect(await store.decideChangeRequest(CSB, request.id, decision("rejected"), null)).to.equal(true);
        const next = newChangeRequest(certificate, { kind: "suspend", note: null, requestedAt: at(60) });
        await store.insertChangeRequest(next);
        expect(await store.findChangeRequest(CSB, next.id)).to.deep.equal(next);
      });

      it("refuses a request naming another issuer's certificate or an unknown kind", async () => {
        const fsd = await issuedCertificate(FSD);
        await expectStoreError(
          store.insertChangeRequest(newChangeRequest({ id: fsd.id, issuerId: CSB })),
          "INVALID_REFERENCE",
        );
        const certificate = await issuedCertificate();
        await expectStoreError(
          store.insertChangeRequest(newChangeRequest(certificate, { kind: "supersede" as ChangeRequestRow["kind"] })),
          "INVALID_VALUE",
          /change_requests_kind_check/,
        );
        expect(await store.listChangeRequests(CSB, { limit: 10, offset: 0 })).to.deep.equal([]);
      });

      it("stores only one of two requests for one certificate inserted at once (on two instances): the other fails DUPLICATE", async () => {
        const peer = await openMigrated();
        const { certificates } = await seedPending(store, 6);
        for (const certificate of certificates) {
          const results = await Promise.allSettled([
            store.insertChangeRequest(newChangeRequest(certificate, { kind: "revoke" })),
            peer.insertChangeRequest(newChangeRequest(certificate, { kind: "suspend" })),
          ]);
          const failed = results.filter((r) => r.status === "rejected");
          expect(failed, certificate.id).to.have.length(1);
          expect(isStoreError(failed[0].reason, "DUPLICATE"), String(failed[0].reason)).to.equal(true);
          const open = await store.listChangeRequests(CSB, { certificateId: certificate.id, limit: 10, offset: 0 });
          expect(open).to.have.length(1);
        }
      });

      it("approves a request once, by another officer, queuing its operation in the same transaction", async () => {
        const certificate = await issuedCertificate();
        const request = newChangeRequest(certificate);
        await store.insertChangeRequest(request);
        const operation = operationFor(request);
        await expectStoreError(
          store.decideChangeRequest(CSB, request.id, decision("approved", CLERK), operation),
          "SELF_APPROVAL",
        );
        await expectStoreError(
          store.decideChangeRequest(CSB, request.id, decision("approved"), null),
          "INVALID_ARGUMENT",
        );
        await expectStoreError(
          store.decideChangeRequest(CSB, request.id, decision("rejected"), operation),
          "INVALID_ARGUMENT",
        );
        await expectStoreError(
          store.decideChangeRequest(CSB, request.id, decision("released"), operation),
          "INVALID_ARGUMENT",
        );
        await expectStoreError(
          store.decideChangeRequest(FSD, request.id, decision("approved"), operation),
          "NOT_FOUND",
        );
        await expectStoreError(
          store.decideChangeRequest(CSB, "no-such-request", decision("approved"), operation),
          "NOT_FOUND",
        );
        expect(await store.findOperation(operation.id)).to.equal(undefined);
        expect(await store.findChangeRequest(CSB, request.id)).to.deep.equal(request);

        const approval = decision("approved");
        expect(await store.decideChangeRequest(CSB, request.id, approval, operation)).to.equal(true);
        expect(await store.findChangeRequest(CSB, request.id)).to.deep.equal(
          decidedRequest(request, approval, operation.id),
        );
        expect(await store.unfinishedOperations()).to.deep.equal([operation]);

        const late = operationFor(request);
        expect(await store.decideChangeRequest(CSB, request.id, decision("approved", SECOND_APPROVER), late)).to.equal(
          false,
        );
        expect(await store.decideChangeRequest(CSB, request.id, decision("rejected", SECOND_APPROVER), null)).to.equal(
          false,
        );
        expect(await store.findOperation(late.id)).to.equal(undefined);
        expect(await store.unfinishedOperations()).to.deep.equal([operation]);
      });

      it("approves no change the certificate's status does not allow now, nor one while another is on its way to the chain", async () => {
        const certificate = await issuedCertificate();
        // A reinstatement of an issued certificate: its status does not allow it.
        const reinstate = newChangeRequest(certificate, { kind: "reinstate", reason: 0 });
        await store.insertChangeRequest(reinstate);
        await expectStoreError(
          store.decideChangeRequest(CSB, reinstate.id, decision("approved"), operationFor(reinstate)),
          "INVALID_STATE",
        );
        expect((await store.findChangeRequest(CSB, reinstate.id))!.state).to.equal("awaiting-approval");
        expect(await store.decideChangeRequest(CSB, reinstate.id, decision("rejected"), null)).to.equal(true);
        // A suspension queued (approved, not yet applied): a revocation waits until it is.
        const suspend = newChangeRequest(certificate, { kind: "suspend", reason: 5 });
        await store.insertChangeRequest(suspend);
        const queued = operationFor(suspend);
        expect(await store.decideChangeRequest(CSB, suspend.id, decision("approved"), queued)).to.equal(true);
        const revoke = newChangeRequest(certificate);
        await store.insertChangeRequest(revoke);
        await expectStoreError(
          store.decideChangeRequest(CSB, revoke.id, decision("approved"), operationFor(revoke)),
          "INVALID_STATE",
        );
        expect(await store.unfinishedOperations()).to.deep.equal([queued]);
        // Once the suspension is applied, the revocation is approved.
        await store.confirmOperation(queued.id, "suspended", 5);
        expect(await store.decideChangeRequest(CSB, revoke.id, decision("approved"), operationFor(revoke))).to.equal(
          true,
        );
      });

      it("writes nothing when the decision cannot be stored: a rejection without a reason, a reason past 500 characters", async () => {
        const certificate = await issuedCertificate();
        const request = newChangeRequest(certificate);
        await store.insertChangeRequest(request);
        await expectStoreError(
          store.decideChangeRequest(CSB, request.id, decision("rejected", APPROVER, { reason: null }), null),
          "INVALID_VALUE",
          /change_requests_rejected_has_reason/,
        );
        const operation = operationFor(request);
        await expectStoreError(
          store.decideChangeRequest(
            CSB,
            request.id,
            decision("approved", APPROVER, { reason: "因".repeat(501) }),
            operation,
          ),
          "INVALID_VALUE",
          /change_requests_decision_reason_length/,
        );
        expect(await store.findOperation(operation.id)).to.equal(undefined);
        expect(await store.unfinishedOperations()).to.deep.equal([]);
        expect(await store.findChangeRequest(CSB, request.id)).to.deep.equal(request);

        const rejection = decision("rejected", APPROVER, { reason: "因".repeat(500) });
        expect(await store.decideChangeRequest(CSB, request.id, rejection, null)).to.equal(true);
        expect(await store.findChangeRequest(CSB, request.id)).to.deep.equal(decidedRequest(request, rejection, null));
        expect(await store.unfinishedOperations()).to.deep.equal([]);
      });

      it("keeps a case note of 2,000 characters, and refuses one of 2,001 with INVALID_VALUE", async () => {
        const { certificates } = await seedPending(store, 2);
        const longest = newChangeRequest(certificates[0], { note: "案".repeat(2000) });
        await store.insertChangeRequest(longest);
        expect((await store.findChangeRequest(CSB, longest.id))!.note).to.equal("案".repeat(2000));
        await expectStoreError(
          store.insertChangeRequest(newChangeRequest(certificates[1], { note: "案".repeat(2001) })),
          "INVALID_VALUE",
          /change_requests_note_length/,
        );
      });

      it("lets exactly one of two approvers approving at once (on two instances) win, queuing exactly one operation", async () => {
        const peer = await openMigrated();
        const { certificates } = await seedPending(store, 6);
        await seedIssued(store, certificates);
        for (const certificate of certificates) {
          const request = newChangeRequest(certificate);
          await store.insertChangeRequest(request);
          const [a, b] = [operationFor(request), operationFor(request)];
          const results = await Promise.all([
            store.decideChangeRequest(CSB, request.id, decision("approved", APPROVER), a),
            peer.decideChangeRequest(CSB, request.id, decision("approved", SECOND_APPROVER), b),
          ]);
          expect(results.filter(Boolean), certificate.id).to.have.length(1);
          const winner = results[0] ? a : b;
          const queued = (await store.unfinishedOperations()).filter((o) => o.certificateId === certificate.id);
          expect(queued).to.deep.equal([winner]);
          const stored = (await store.findChangeRequest(CSB, request.id))!;
          expect(stored).to.include({
            state: "approved",
            operationId: winner.id,
            decidedBy: results[0] ? APPROVER.id : SECOND_APPROVER.id,
          });
        }
      });

      it("lists one issuer's requests newest first, by state and by certificate, paged", async () => {
        const { certificates } = await seedPending(store, 3);
        const fsd = await seedPending(store, 1, { issuerId: FSD, typeId: DG });
        const first = newChangeRequest(certificates[0], { requestedAt: at(41) });
        const second = newChangeRequest(certificates[1], { requestedAt: at(42), kind: "suspend" });
        const third = newChangeRequest(certificates[0], { requestedAt: at(43), kind: "reinstate" });
        const other = newChangeRequest(fsd.certificates[0], { requestedAt: at(44) });
        await store.insertChangeRequest(first);
        await store.insertChangeRequest(second);
        await store.insertChangeRequest(other);
        expect(await store.decideChangeRequest(CSB, first.id, decision("rejected"), null)).to.equal(true);
        await store.insertChangeRequest(third);
        const list = (filter: { state?: ChangeRequestRow["state"]; certificateId?: string }, limit = 10, offset = 0) =>
          store.listChangeRequests(CSB, { ...filter, limit, offset }).then((rows) => rows.map((r) => r.id));
        expect(await list({})).to.deep.equal([third.id, second.id, first.id]);
        expect(await list({ state: "awaiting-approval" })).to.deep.equal([third.id, second.id]);
        expect(await list({ state: "rejected" })).to.deep.equal([first.id]);
        expect(await list({ state: "approved" })).to.deep.equal([]);
        expect(await list({ certificateId: certificates[0].id })).to.deep.equal([third.id, first.id]);
        expect(await list({ certificateId: certificates[0].id, state: "rejected" })).to.deep.equal([first.id]);
        expect(await list({ certificateId: fsd.certificates[0].id })).to.deep.equal([]);
        expect(await list({}, 1, 1)).to.deep.equal([second.id]);
        expect(await store.listChangeRequests(FSD, { limit: 10, offset: 0 })).to.deep.equal([other]);
        await expectStoreError(store.listChangeRequests(CSB, { limit: -1, offset: 0 }), "INVALID_ARGUMENT");
      });
    });

    describe("officers' sessions and sign-ins", () => {
      it("stores a session as given, records its last use (never backwards) and its end (once)", async () => {
        const session = newSession();
        await store.insertSession(session);
        expect(await store.findSession(session.idHash)).to.deep.equal(session);
        expect(await store.findSession(sha256("no such session"))).to.equal(undefined);
        await store.touchSession(session.idHash, at(200));
        await store.touchSession(session.idHash, at(150));
        expect(await store.findSession(session.idHash)).to.deep.equal({ ...session, lastSeenAt: at(200) });
        await store.endSession(session.idHash, at(300));
        await store.endSession(session.idHash, at(400));
        expect(await store.findSession(session.idHash)).to.deep.equal({
          ...session,
          lastSeenAt: at(200),
          endedAt: at(300),
        });
        const other = newSession({ email: null, roles: ["auditor"], issuerId: FSD });
        await store.insertSession(other);
        expect(await store.findSession(other.idHash)).to.deep.equal(other);
        await expectStoreError(store.insertSession({ ...newSession(), idHash: session.idHash }), "DUPLICATE");
        await expectStoreError(
          store.insertSession(newSession({ idHash: "the-cookie-itself" })),
          "INVALID_VALUE",
          /officer_sessions_id_hash_format/,
        );
      });

      it("gives a sign-in under way once: a second take, and a take of an unknown state, find nothing", async () => {
        const attempt = newLoginAttempt();
        await store.insertLoginAttempt(attempt);
        await expectStoreError(store.insertLoginAttempt({ ...newLoginAttempt(), state: attempt.state }), "DUPLICATE");
        expect(await store.takeLoginAttempt(attempt.state)).to.deep.equal(attempt);
        expect(await store.takeLoginAttempt(attempt.state)).to.equal(undefined);
        expect(await store.takeLoginAttempt("no-such-state")).to.equal(undefined);
      });

      it("gives a sign-in to exactly one of two instances taking it at once", async () => {
        const peer = await openMigrated();
        for (let round = 0; round < 10; round++) {
          const attempt = newLoginAttempt();
          await store.insertLoginAttempt(attempt);
          const taken = await Promise.all([
            store.takeLoginAttempt(attempt.state),
            peer.takeLoginAttempt(attempt.state),
          ]);
          expect(taken.filter((t) => t !== undefined)).to.deep.equal([attempt]);
        }
      });

      it("prunes sign-ins started, and sessions that ended or expired, before the time given; keeps the rest", async () => {
        const oldAttempt = newLoginAttempt({ createdAt: at(100) });
        const newAttempt = newLoginAttempt({ createdAt: at(500) });
        const expired = newSession({ expiresAt: at(400) });
        const ended = newSession({ endedAt: at(300) });
        const live = newSession();
        const endedLater = newSession({ endedAt: at(600) });
        for (const a of [oldAttempt, newAttempt]) await store.insertLoginAttempt(a);
        for (const s of [expired, ended, live, endedLater]) await store.insertSession(s);
        await store.pruneSessions(at(450));
        expect(await store.findSession(expired.idHash)).to.equal(undefined);
        expect(await store.findSession(ended.idHash)).to.equal(undefined);
        expect(await store.findSession(live.idHash)).to.deep.equal(live);
        expect(await store.findSession(endedLater.idHash)).to.deep.equal(endedLater);
        expect(await store.takeLoginAttempt(oldAttempt.state)).to.equal(undefined);
        expect(await store.takeLoginAttempt(newAttempt.state)).to.deep.equal(newAttempt);
      });
    });

    describe("audit trail", () => {
      it("numbers each department's entries 1, 2, 3 ..., each linked to the hash of the one before, and keeps the head", async () => {
        expect(await store.auditHead(CSB)).to.deep.equal({ seq: 0, hash: AUDIT_GENESIS_HASH });
        expect(await store.auditIssuers()).to.deep.equal([]);
        const entries = [0, 1, 2].map((i) => newAuditEntry({ at: at(60 + i), detailJson: JSON.stringify({ i }) }));
        const rows = [];
        for (const entry of entries) rows.push(await append(store, entry));
        const fsdEntry = newAuditEntry({ issuerId: FSD, source: null, detailJson: "{}" });
        const fsd = await append(store, fsdEntry);
        expect(rows.map((r) => r.seq)).to.deep.equal([1, 2, 3]);
        expect(rows.map((r) => r.prevHash)).to.deep.equal([AUDIT_GENESIS_HASH, rows[0].hash, rows[1].hash]);
        rows.forEach((r, i) =>
          expect(r).to.deep.equal({
            ...entries[i],
            seq: i + 1,
            prevHash: r.prevHash,
            hash: entryHash(entries[i], i + 1, r.prevHash),
          }),
        );
        expect(fsd).to.deep.equal({
          ...fsdEntry,
          seq: 1,
          prevHash: AUDIT_GENESIS_HASH,
          hash: entryHash(fsdEntry, 1, AUDIT_GENESIS_HASH),
        });
        expect(await store.auditHead(CSB)).to.deep.equal({ seq: 3, hash: rows[2].hash });
        expect(await store.auditHead(FSD)).to.deep.equal({ seq: 1, hash: fsd.hash });
        expect(await store.auditIssuers()).to.deep.equal([CSB, FSD]);
        expect(await store.listAudit(CSB, { limit: 10 })).to.deep.equal(rows);
        expect(await store.listAudit(FSD, { limit: 10 })).to.deep.equal([fsd]);
      });

      it("leaves no gap when an append fails or its transaction rolls back", async () => {
        const first = await append(store, newAuditEntry());
        await expectStoreError(append(store, newAuditEntry({ detailJson: "{not json" })), "INVALID_VALUE");
        await expectStoreError(
          store.appendAudit(newAuditEntry(), () => "not a hash"),
          "INVALID_VALUE",
          /audit_log_hash_format/,
        );
        const undo = new Error("undo");
        let caught: unknown;
        await store
          .transaction(async (tx) => {
            await append(tx, newAuditEntry());
            throw undo;
          })
          .catch((e) => (caught = e));
        expect(caught).to.equal(undo);
        expect(await store.auditHead(CSB)).to.deep.equal({ seq: 1, hash: first.hash });
        const second = await append(store, newAuditEntry());
        expect(second).to.include({ seq: 2, prevHash: first.hash });
        expect((await store.listAudit(CSB, { limit: 10 })).map((r) => r.seq)).to.deep.equal([1, 2]);
        // A department's first append that fails leaves it no head either.
        await expectStoreError(append(store, newAuditEntry({ issuerId: FSD, detailJson: "[" })), "INVALID_VALUE");
        expect(await store.auditIssuers()).to.deep.equal([CSB]);
      });

      it("keeps each department's chain gap-free when 50 appends each run at once on two instances", async () => {
        const peer = await openMigrated();
        const entries = new Map<string, NewAuditEntry>();
        const appends: Promise<AuditRow>[] = [];
        for (let i = 0; i < 50; i++) {
          for (const issuerId of [CSB, FSD]) {
            const entry = newAuditEntry({ issuerId, detailJson: JSON.stringify({ issuerId, i }) });
            entries.set(entry.detailJson, entry);
            appends.push(append(i % 2 === 0 ? store : peer, entry));
          }
        }
        const returned = await Promise.all(appends);
        for (const issuerId of [CSB, FSD]) {
          const chain = await store.listAudit(issuerId, { limit: 100 });
          expect(chain.map((r) => r.seq)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
          chain.forEach((r, i) => {
            expect(r.prevHash, `seq ${r.seq}`).to.equal(i === 0 ? AUDIT_GENESIS_HASH : chain[i - 1].hash);
            expect(r.hash, `seq ${r.seq}`).to.equal(entryHash(entries.get(r.detailJson)!, r.seq, r.prevHash));
          });
          expect(new Set(chain.map((r) => r.detailJson)).size).to.equal(50);
          expect(await store.auditHead(issuerId)).to.deep.equal({ seq: 50, hash: chain[49].hash });
          const mine = returned.filter((r) => r.issuerId === issuerId).sort((a, b) => a.seq - b.seq);
          expect(mine).to.deep.equal(chain);
        }
      });

      it("lists entries by action, actor, certificate, upload, time (from inclusive, to exclusive) and after a number, at most limit", async () => {
        const u = "upload-1";
        const c = "certificate-1";
        for (const entry of [
          newAuditEntry({ at: at(60), action: "upload", uploadId: u }),
          newAuditEntry({
            at: at(61),
            action: "upload-released",
            actorId: APPROVER.id,
            actorName: APPROVER.name,
            uploadId: u,
          }),
          newAuditEntry({ at: at(62), action: "status-requested", certificateId: c }),
          newAuditEntry({
            at: at(63),
            action: "pdf-downloaded",
            actorId: APPROVER.id,
            actorName: APPROVER.name,
            certificateId: c,
            batchId: "batch-1",
          }),
          newAuditEntry({ at: at(64), action: "sign-in", source: "cli" }),
          newAuditEntry({ issuerId: FSD, at: at(60), action: "upload", uploadId: u, certificateId: c }),
        ])
          await append(store, entry);
        const seqs = async (filter: Omit<Parameters<Store["listAudit"]>[1], "limit"> & { limit?: number }) =>
          (await store.listAudit(CSB, { limit: 100, ...filter })).map((r) => r.seq);
        expect(await seqs({})).to.deep.equal([1, 2, 3, 4, 5]);
        expect(await seqs({ action: "upload" })).to.deep.equal([1]);
        expect(await seqs({ actorId: CLERK.id })).to.deep.equal([1, 3, 5]);
        expect(await seqs({ certificateId: c })).to.deep.equal([3, 4]);
        expect(await seqs({ uploadId: u })).to.deep.equal([1, 2]);
        expect(await seqs({ from: at(61), to: at(63) })).to.deep.equal([2, 3]);
        expect(await seqs({ from: at(64) })).to.deep.equal([5]);
        expect(await seqs({ to: at(60) })).to.deep.equal([]);
        expect(await seqs({ afterSeq: 3 })).to.deep.equal([4, 5]);
        expect(await seqs({ limit: 2 })).to.deep.equal([1, 2]);
        expect(await seqs({ afterSeq: 1, actorId: CLERK.id, limit: 1 })).to.deep.equal([3]);
        expect(await seqs({ action: "sign-in", actorId: APPROVER.id })).to.deep.equal([]);
        expect(await seqs({ action: "no-such-action" })).to.deep.equal([]);
        expect((await store.listAudit(FSD, { limit: 100 })).map((r) => [r.seq, r.action])).to.deep.equal([
          [1, "upload"],
        ]);
        expect(await store.listAudit("NOBODY", { limit: 100 })).to.deep.equal([]);
        await expectStoreError(store.listAudit(CSB, { limit: -1 }), "INVALID_ARGUMENT");
      });
    });

    describe("e-mail outbox", () => {
      const mail = (n: number) => ({ toAddress: `candidate.${n}@example.com`, claimCode: `CLAIM-${n}-7Q4M-XK2P` });
      async function seedWithEmail(count: number, overrides: Partial<UploadRow> = {}) {
        const upload = newUpload({ rowCount: count, createdAt: at(10), ...overrides });
        const certificates = Array.from({ length: count }, (_, i) =>
          newCertificate(upload, i + 1, { email: mail(i + 1) }),
        );
        await store.insertUpload(upload, certificates);
        return { upload, certificates };
      }
      const emailOf = async (certificateId: string) => {
        const row = await store.findEmail(certificateId);
        expect(row, `e-mail of ${certificateId}`).to.not.equal(undefined);
        return row!;
      };

      it("queues a waiting e-mail with its claim code for each certificate stored with an address, none for a refused duplicate or a row without one", async () => {
        const first = await seedPending(store, 1);
        const upload = newUpload({ rowCount: 5, createdAt: at(10) });
        const withAddress = newCertificate(upload, 1, { email: mail(1) });
        const without = newCertificate(upload, 2);
        const nullAddress = newCertificate(upload, 3, { email: null });
        const liveElsewhere = newCertificate(upload, 4, {
          email: mail(4),
          certificateNumber: first.certificates[0].certificateNumber,
        });
        const twiceHere = newCertificate(upload, 5, {
          email: mail(5),
          certificateNumber: withAddress.certificateNumber,
        });
        const { refused } = await store.insertUpload(upload, [
          withAddress,
          without,
          nullAddress,
          liveElsewhere,
          twiceHere,
        ]);
        expect(refused.map((r) => r.id)).to.deep.equal([liveElsewhere.id, twiceHere.id]);
        const row = await emailOf(withAddress.id);
        expect(row.id).to.match(/^[0-9a-f-]{36}$/);
        expect(row).to.deep.equal({
          id: row.id,
          issuerId: CSB,
          certificateId: withAddress.id,
          toAddress: mail(1).toAddress,
          claimCode: mail(1).claimCode,
          status: "waiting",
          attempts: 0,
          lastError: null,
          nextAttemptAt: at(10),
          createdAt: at(10),
          sentAt: null,
        });
        for (const c of [without, nullAddress, liveElsewhere, twiceHere])
          expect(await store.findEmail(c.id)).to.equal(undefined);
        expect(await store.listEmails(CSB, { limit: 10, offset: 0 })).to.deep.equal([row]);
        // The certificate row itself never holds the address.
        expect(JSON.stringify(await mustFind(store, withAddress.id))).to.not.include(mail(1).toAddress);
      });

      it("gives an e-mail as due only once its certificate is no longer pending or anchoring and its time has come, oldest first", async () => {
        const { certificates } = await seedWithEmail(2);
        const later = await seedWithEmail(1, { createdAt: at(20) });
        expect(await store.dueEmails(at(10_000), 10)).to.deep.equal([]);
        const batch = await seedBatch(store, [...certificates, ...later.certificates]);
        expect(await store.dueEmails(at(10_000), 10)).to.deep.equal([]);
        await store.markBatchSubmitted(batch.id, hex32(`tx ${batch.id}`), 7);
        await store.markBatchAnchored(batch.id, 12, at(20), null);
        for (const c of [...certificates, ...later.certificates]) {
          const pdf = pdfBytes(c.id);
          await store.putPdf(c.id, pdf, sha256(pdf));
        }
        expect(await store.dueEmails(at(10_000), 10)).to.deep.equal([]);
        await store.markBatchRendered(batch.id);
        const due = await store.dueEmails(at(10_000), 10);
        const byTime = (await Promise.all(certificates.map((c) => emailOf(c.id)))).sort((a, b) =>
          a.id < b.id ? -1 : 1,
        );
        expect(due).to.deep.equal([
          ...byTime.map((e) => ({ ...e, certificateStatus: "issued" })),
          { ...(await emailOf(later.certificates[0].id)), certificateStatus: "issued" },
        ]);
        expect((await store.dueEmails(at(9), 10)).length).to.equal(0);
        expect((await store.dueEmails(at(10), 10)).length).to.equal(2);
        expect((await store.dueEmails(at(10_000), 1)).map((e) => e.id)).to.deep.equal([byTime[0].id]);
        await expectStoreError(store.dueEmails(at(10_000), -1), "INVALID_ARGUMENT");
      });

      it("gives the e-mail of a certificate whose batch was set aside as due, with its status failed (to be cancelled)", async () => {
        const { certificates } = await seedWithEmail(1);
        const batch = await seedBatch(store, certificates);
        await store.recordBatchFailure(batch.id, "refused", { maxAttempts: 1 });
        const due = await store.dueEmails(at(10_000), 10);
        expect(due.map((e) => [e.certificateId, e.certificateStatus])).to.deep.equal([[certificates[0].id, "failed"]]);
        await store.cancelEmail(due[0].id);
        expect(await emailOf(certificates[0].id)).to.include({ status: "cancelled", claimCode: null });
        expect(await store.dueEmails(at(10_000), 10)).to.deep.equal([]);
      });

      it("marks an e-mail sent once: its claim code forgotten, no longer due, nothing changed afterwards", async () => {
        const { certificates } = await seedWithEmail(1);
        await seedIssued(store, certificates);
        const waiting = await emailOf(certificates[0].id);
        await store.markEmailSent(waiting.id, at(500));
        const sent = { ...waiting, status: "sent", claimCode: null, attempts: 1, sentAt: at(500) };
        expect(await emailOf(certificates[0].id)).to.deep.equal(sent);
        expect(await store.dueEmails(at(10_000), 10)).to.deep.equal([]);
        await store.markEmailSent(waiting.id, at(600));
        await store.markEmailAttempt(waiting.id, "late", at(700), true);
        await store.cancelEmail(waiting.id);
        expect(await emailOf(certificates[0].id)).to.deep.equal(sent);
      });

      it("counts failed attempts, tries again at the time given, and gives up keeping the last error", async () => {
        const { certificates } = await seedWithEmail(1);
        await seedIssued(store, certificates);
        const waiting = await emailOf(certificates[0].id);
        await store.markEmailAttempt(waiting.id, "421 4.3.0 try again later", at(2000), false);
        expect(await emailOf(certificates[0].id)).to.deep.equal({
          ...waiting,
          attempts: 1,
          lastError: "421 4.3.0 try again later",
          nextAttemptAt: at(2000),
        });
        expect(await store.dueEmails(at(1999), 10)).to.deep.equal([]);
        expect((await store.dueEmails(at(2000), 10)).map((e) => e.id)).to.deep.equal([waiting.id]);
        await store.markEmailAttempt(waiting.id, "x".repeat(5000), at(4000), false);
        const second = await emailOf(certificates[0].id);
        expect(second).to.include({
          attempts: 2,
          status: "waiting",
          claimCode: waiting.claimCode,
          nextAttemptAt: at(4000),
        });
        expect(second.lastError).to.have.length(1000);
        await store.markEmailAttempt(waiting.id, "550 5.1.1 no such user", at(8000), true);
        const failed = {
          ...waiting,
          status: "failed",
          claimCode: null,
          attempts: 3,
          lastError: "550 5.1.1 no such user",
          nextAttemptAt: at(8000),
        };
        expect(await emailOf(certificates[0].id)).to.deep.equal(failed);
        expect(await store.dueEmails(at(10_000_000), 10)).to.deep.equal([]);
        await store.markEmailAttempt(waiting.id, "again", at(9000), false);
        await store.markEmailSent(waiting.id, at(9000));
        expect(await emailOf(certificates[0].id)).to.deep.equal(failed);
      });

      it("cancels a waiting e-mail, and lists one issuer's e-mails newest first, by status, paged", async () => {
        const a = await seedWithEmail(1, { createdAt: at(10) });
        const b = await seedWithEmail(1, { createdAt: at(11) });
        const c = await seedWithEmail(1, { createdAt: at(12) });
        const fsdUpload = newUpload({ issuerId: FSD, typeId: DG, rowCount: 1, createdAt: at(13) });
        const fsdCertificate = newCertificate(fsdUpload, 1, { email: mail(9) });
        await store.insertUpload(fsdUpload, [fsdCertificate]);
        const [ea, eb, ec] = await Promise.all([a, b, c].map((s) => emailOf(s.certificates[0].id)));
        await store.cancelEmail(eb.id);
        await store.cancelEmail("no-such-email");
        const cancelled = { ...eb, status: "cancelled", claimCode: null };
        expect(await emailOf(b.certificates[0].id)).to.deep.equal(cancelled);
        const list = (status: EmailRow["status"] | undefined, limit = 10, offset = 0) =>
          store.listEmails(CSB, { status, limit, offset });
        expect(await list(undefined)).to.deep.equal([ec, cancelled, ea]);
        expect(await list("waiting")).to.deep.equal([ec, ea]);
        expect(await list("cancelled")).to.deep.equal([cancelled]);
        expect(await list("sent")).to.deep.equal([]);
        expect(await list(undefined, 1, 1)).to.deep.equal([cancelled]);
        expect((await store.listEmails(FSD, { limit: 10, offset: 0 })).map((e) => e.certificateId)).to.deep.equal([
          fsdCertificate.id,
        ]);
        expect(await store.findEmail("no-such-certificate")).to.equal(undefined);
        await expectStoreError(store.listEmails(CSB, { limit: -1, offset: 0 }), "INVALID_ARGUMENT");
      });

      it("keeps an address of 254 characters, and refuses one of 255 with INVALID_VALUE, storing nothing of the upload", async () => {
        const domain = "@example.com";
        const longest = `${"a".repeat(254 - domain.length)}${domain}`;
        const upload = newUpload({ rowCount: 1 });
        const ok = newCertificate(upload, 1, { email: { toAddress: longest, claimCode: "CLAIM" } });
        await store.insertUpload(upload, [ok]);
        expect((await emailOf(ok.id)).toAddress).to.equal(longest);
        const tooLong = newUpload({ rowCount: 1 });
        const refused = newCertificate(tooLong, 1, { email: { toAddress: `a${longest}`, claimCode: "CLAIM" } });
        await expectStoreError(store.insertUpload(tooLong, [refused]), "INVALID_VALUE", /email_outbox_address_length/);
        expect(await store.findUpload(CSB, tooLong.id)).to.equal(undefined);
        expect(await store.findCertificate(refused.id)).to.equal(undefined);
        expect(await store.findEmail(refused.id)).to.equal(undefined);
      });
    });

    describe("claim codes", () => {
      it("replaces a certificate's claim code: the old hash finds nothing, the new one finds it; only for its own issuer", async () => {
        const { certificates } = await seedPending(store, 2);
        await seedIssued(store, certificates);
        const [mine, other] = certificates;
        const fresh = sha256("a new claim code");
        await expectStoreError(store.replaceClaimCode(FSD, mine.id, fresh), "NOT_FOUND");
        await expectStoreError(store.replaceClaimCode(CSB, "no-such-certificate", fresh), "NOT_FOUND");
        expect((await store.findCertificateByClaimHash(mine.claimCodeHash))!.id).to.equal(mine.id);
        expect(await store.findCertificateByClaimHash(fresh)).to.equal(undefined);

        clock.set(200);
        await store.replaceClaimCode(CSB, mine.id, fresh);
        expect(await store.findCertificateByClaimHash(mine.claimCodeHash)).to.equal(undefined);
        const found = (await store.findCertificateByClaimHash(fresh))!;
        expect(found).to.include({ id: mine.id, claimCodeHash: fresh, status: "issued", updatedAt: at(200) });
        expect((await store.findCertificateByClaimHash(other.claimCodeHash))!.id).to.equal(other.id);
        await expectStoreError(store.replaceClaimCode(CSB, mine.id, other.claimCodeHash), "DUPLICATE");
        await expectStoreError(store.replaceClaimCode(CSB, mine.id, fresh.toUpperCase()), "INVALID_VALUE");
        expect((await store.findCertificateByClaimHash(fresh))!.id).to.equal(mine.id);
      });
    });

    describe("close", () => {
      it("refuses calls after close with CLOSED, and a second close does nothing", async () => {
        const s = await openMigrated();
        await s.close();
        await s.close();
        await expectStoreError(s.findCertificate("x"), "CLOSED", /closed/);
        await expectStoreError(
          s.transaction(async () => undefined),
          "CLOSED",
        );
      });
    });
  });
}

storeContract(sqliteHarness());
if (postgresAvailable) storeContract(postgresHarness());
else describe.skip("PostgreSQL store (no PostgreSQL answers)", () => undefined);

describe("SQLite store only", function () {
  this.timeout(30_000);
  const harness = sqliteHarness();
  before(() => harness.setup());
  after(() => harness.cleanup());

  it("keeps every row when the file is closed and opened again", async () => {
    const file = await harness.fresh();
    const first = await harness.open(file);
    await first.migrate();
    const { certificates } = await seedPending(first, 2);
    const batch = await seedIssued(first, certificates);
    await first.close();

    const second = await harness.open(file);
    try {
      await second.migrate();
      expect((await second.findBatch(batch.id))!.status).to.equal("rendered");
      expect((await second.batchCertificates(batch.id)).map((c) => c.status)).to.deep.equal(["issued", "issued"]);
      expect(Buffer.from((await second.getPdf(certificates[0].id))!).toString("latin1")).to.include(certificates[0].id);
      const rows = await harness.query(file, "SELECT count(*) AS n FROM schema_migrations");
      expect(rows[0].n).to.equal(MIGRATIONS.length);
    } finally {
      await second.close();
    }
  });

  it("runs in WAL mode with foreign keys on", async () => {
    const file = await harness.fresh();
    const store = await harness.open(file);
    try {
      await store.migrate();
      const db = new Database(file, { readonly: true });
      expect(db.pragma("journal_mode", { simple: true })).to.equal("wal");
      db.close();
      const { upload, certificates } = newUploadWith(1);
      certificates[0] = { ...certificates[0], supersedes: "no-such-certificate" };
      await expectStoreError(store.insertUpload(upload, certificates), "INVALID_REFERENCE", /FOREIGN KEY/);
    } finally {
      await store.close();
    }
  });

  it("makes a call from outside an open transaction wait, then see what the transaction committed", async () => {
    const file = await harness.fresh();
    const store = await harness.open(file);
    try {
      await store.migrate();
      const order: string[] = [];
      let started!: () => void;
      const startedSignal = new Promise<void>((resolve) => (started = resolve));
      const tx = store.transaction(async (t) => {
        started();
        await sleep(30);
        await t.insertApiKey({
          id: "k1",
          issuerId: CSB,
          label: "ops",
          keyHash: sha256("a"),
          createdAt: at(0),
          revokedAt: null,
        });
        order.push("committing");
      });
      await startedSignal;
      const outside = store.findApiKeyByHash(sha256("a")).then((row) => {
        order.push("outside");
        return row;
      });
      await tx;
      expect((await outside)?.id).to.equal("k1");
      expect(order).to.deep.equal(["committing", "outside"]);
    } finally {
      await store.close();
    }
  });

  it("runs two nested transactions started at once on one handle one after the other", async () => {
    const file = await harness.fresh();
    const store = await harness.open(file);
    try {
      await store.migrate();
      const log: string[] = [];
      await store.transaction(async (tx) => {
        await Promise.all(
          ["a", "b"].map((name) =>
            tx
              .transaction(async (inner) => {
                log.push(`${name} start`);
                await sleep(10);
                await inner.insertApiKey({
                  id: name,
                  issuerId: CSB,
                  label: name,
                  keyHash: sha256(name),
                  createdAt: at(0),
                  revokedAt: null,
                });
                log.push(`${name} end`);
                if (name === "a") throw new Error("a fails");
              })
              .catch(() => undefined),
          ),
        );
      });
      expect(log).to.deep.equal(["a start", "a end", "b start", "b end"]);
      expect(await store.findApiKeyByHash(sha256("a"))).to.equal(undefined);
      expect(await store.findApiKeyByHash(sha256("b"))).to.not.equal(undefined);
    } finally {
      await store.close();
    }
  });
});

describePostgres("PostgreSQL store only", function () {
  this.timeout(30_000);
  const harness = postgresHarness();
  let location: string;
  const opened: Store[] = [];
  async function open(): Promise<Store> {
    const s = await harness.open(location);
    opened.push(s);
    return s;
  }
  before(() => harness.setup());
  after(() => harness.cleanup());
  beforeEach(async () => {
    location = await harness.fresh();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  it("migrates once when two instances migrate the same empty schema at the same time", async () => {
    const [a, b] = [await open(), await open()];
    await Promise.all([a.migrate(), b.migrate()]);
    const rows = await harness.query(location, "SELECT version FROM schema_migrations ORDER BY version");
    expect(rows.map((r) => r.version)).to.deep.equal(MIGRATIONS.map((m) => m.version));
  });

  it("makes closeBatch wait on a locked certificate, then lets exactly one of two racing instances batch it", async () => {
    const [a, b] = [await open(), await open()];
    await a.migrate();
    const { certificates } = await seedPending(a, 5);
    const ids = certificates.map((c) => c.id);

    // A third session holds one certificate, so that both closeBatch calls have to wait for it.
    const locker = new pg.Client({ connectionString: location });
    await locker.connect();
    let results: PromiseSettledResult<void>[];
    const batches = [newBatch(CSB, CRE, 5), newBatch(CSB, CRE, 5)];
    try {
      await locker.query("BEGIN");
      await locker.query("SELECT id FROM certificates WHERE id = $1 FOR UPDATE", [ids[2]]);
      const lockerPid = (await locker.query("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      // Settled from the start: a failure below must not leave the two calls' rejections unhandled.
      const racing = Promise.allSettled([a.closeBatch(batches[0], ids), b.closeBatch(batches[1], [...ids].reverse())]);
      const deadline = Date.now() + 10_000;
      for (;;) {
        // A closeBatch session waits on the row this session holds (the other waits too, or is still
        // on its way: either way it reads the row only after this session lets go).
        const waiting = await locker.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
          [lockerPid],
        );
        if (waiting.rows[0].n >= 1) break;
        if (Date.now() > deadline) {
          await locker.query("ROLLBACK");
          await racing;
          throw new Error("the two closeBatch calls never waited on the lock");
        }
        await sleep(10);
      }
      await locker.query("COMMIT");
      results = await racing;
    } finally {
      await locker.end();
    }
    const won = results.findIndex((r) => r.status === "fulfilled");
    expect(won, "one closeBatch succeeds").to.not.equal(-1);
    const lost = results[1 - won];
    expect(lost.status).to.equal("rejected");
    expect(isStoreError((lost as PromiseRejectedResult).reason, "INVALID_STATE")).to.equal(true);
    expect(await a.findBatch(batches[1 - won].id)).to.equal(undefined);
    const members = await a.batchCertificates(batches[won].id);
    expect(members).to.have.length(5);
    expect(members.every((m) => m.status === "anchoring")).to.equal(true);
  });

  it("makes later calls of a transaction fail with INVALID_STATE after a failed call, unless a nested transaction wrapped it", async () => {
    const store = await open();
    await store.migrate();
    const key = { id: "k1", issuerId: CSB, label: "ops", keyHash: sha256("a"), createdAt: at(0), revokedAt: null };
    await store.insertApiKey(key);
    let later: unknown;
    await store
      .transaction(async (tx) => {
        await tx.insertApiKey(key).catch(() => undefined);
        later = await tx.findApiKeyByHash(sha256("a")).catch((e) => e);
      })
      .catch(() => undefined);
    expect(isStoreError(later, "INVALID_STATE")).to.equal(true);

    await store.transaction(async (tx) => {
      await tx.transaction((inner) => inner.insertApiKey(key)).catch(() => undefined);
      await tx.insertApiKey({ ...key, id: "k2", keyHash: sha256("b") });
    });
    expect((await store.listApiKeys(CSB)).map((k) => k.id)).to.deep.equal(["k1", "k2"]);
  });
});
