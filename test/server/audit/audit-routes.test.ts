// The audit routes (GET /api/v1/audit, /audit.csv, /audit/verify) on SQLite and PostgreSQL, mounted as
// app.ts mounts them behind the department authentication (auth.ts's authenticate with the officers'
// session resolver, server/auth/sessions.ts): an auditor's session reads, exports and verifies its own
// department's trail, and each read is recorded; a clerk's session and every API key get 403 FORBIDDEN.
import { describeOn } from "../../helpers/postgres.ts";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { expect } from "chai";
import { pino } from "pino";
import { mountAuditRoutes } from "../../../server/api/audit-routes.ts";
import { authenticate } from "../../../server/api/auth.ts";
import { errorHandler, notFound } from "../../../server/api/errors.ts";
import { recordAudit, verifyAuditTrail } from "../../../server/audit/audit-trail.ts";
import type { Role } from "../../../server/auth/actor.ts";
import { createSessionResolver } from "../../../server/auth/sessions.ts";
import type { Store } from "../../../server/db/store.ts";
import { BatchTrees } from "../../../server/issuance/batch-trees.ts";
import { IssuanceReads } from "../../../server/issuance/issuance-reads.ts";
import { at, CSB, FSD, postgresHarness, sqliteHarness, type Harness } from "../db/store-fixtures.ts";
import { openMigrated, parseCsv, rawSql } from "./audit-helpers.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(`audit routes (${database})`, function () {
    this.timeout(120_000);
    let harness: Harness;
    let location: string;
    let store: Store;
    let server: Server;
    let base: string;

    before(async () => {
      harness = database === "SQLite" ? sqliteHarness() : postgresHarness();
      await harness.setup();
    });
    after(async () => {
      await harness.cleanup();
    });
    beforeEach(async () => {
      location = await harness.fresh();
      store = await openMigrated(harness, location);
      const reads = new IssuanceReads({
        store,
        chainId: 31337,
        registry: `0x${"0".repeat(40)}`,
        issuers: {},
        trees: new BatchTrees(store),
      });
      const app = express();
      const api = express.Router();
      mountAuditRoutes(api, {
        store,
        auth: authenticate({ reads, sessions: createSessionResolver({ store, idleMinutes: 30 }) }),
      });
      app.use("/api/v1", api);
      app.use(notFound);
      app.use(errorHandler({ log: pino({ level: "silent" }), maxBodyBytes: 1024 }));
      server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    });
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    });

    /** A signed-in officer's session cookie (a session row, as the sign-in stores it). */
    async function session(issuerId: string, roles: Role[], name = "WONG Ka Ho 黃家豪"): Promise<string> {
      const cookie = randomBytes(32).toString("base64url");
      const now = new Date();
      await store.insertSession({
        idHash: sha256(cookie),
        issuerId,
        subject: `sub-${randomUUID()}`,
        name,
        email: null,
        roles,
        createdAt: now.toISOString(),
        lastSeenAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 3600_000).toISOString(),
        endedAt: null,
      });
      return `ecert_session=${cookie}`;
    }

    async function apiKey(issuerId: string): Promise<string> {
      const key = `ecert_test_${randomBytes(16).toString("hex")}`;
      await store.insertApiKey({
        id: randomUUID(),
        issuerId,
        label: "ops",
        keyHash: sha256(key),
        createdAt: at(0),
        revokedAt: null,
        scopes: ["issue", "read", "status"],
      });
      return `Bearer ${key}`;
    }

    const get = (route: string, headers: Record<string, string> = {}) => fetch(`${base}${route}`, { headers });

    async function seed(issuerId: string, n: number): Promise<void> {
      for (let i = 1; i <= n; i++)
        await recordAudit(store, {
          issuerId,
          actor: { id: `officer:sub-${i % 3}`, name: `Officer ${i % 3}` },
          action: i % 2 ? "upload" : "upload-released",
          source: "192.0.2.1",
          certificateId: i % 5 === 0 ? `cert-${i}` : null,
          uploadId: `upload-${Math.ceil(i / 4)}`,
          detail: { i },
          at: at(i),
        });
    }

    it("pages an auditor's own department's entries in seq order with next, filters them, and records the read", async () => {
      await seed(CSB, 25);
      await seed(FSD, 5);
      const cookie = await session(CSB, ["auditor"]);
      const seen: number[] = [];
      let after: number | null = 0;
      while (after !== null) {
        const res = await get(`/audit?limit=10&after=${after}`, { cookie });
        expect(res.status).to.equal(200);
        expect(res.headers.get("cache-control")).to.equal("no-store");
        const body = (await res.json()) as { entries: { seq: number }[]; next: number | null };
        seen.push(...body.entries.map((e) => e.seq));
        after = body.next;
        if (seen.length > 100) break;
      }
      // 25 entries and the reads recorded as it paged (each after its own page).
      expect(seen.slice(0, 25)).to.deep.equal(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(seen).to.deep.equal(Array.from({ length: seen.length }, (_, i) => i + 1));
      const all = (await (await get("/audit?limit=1000", { cookie })).json()) as {
        entries: Record<string, unknown>[];
        next: number | null;
      };
      expect(all.next).to.equal(null);
      expect(all.entries.every((e) => (e.seq as number) <= 25 || e.action === "audit-read")).to.equal(true);
      const first = all.entries[0];
      const stored = (await store.listAudit(CSB, { limit: 1 }))[0];
      expect(first).to.deep.equal({
        seq: 1,
        at: at(1),
        actor: { id: "officer:sub-1", name: "Officer 1" },
        action: "upload",
        source: "192.0.2.1",
        certificateId: null,
        uploadId: "upload-1",
        batchId: null,
        detail: { i: 1 },
        hash: stored.hash,
        prevHash: stored.prevHash,
      });
      const read = all.entries.find((e) => e.action === "audit-read")!;
      expect(read).to.deep.include({ source: "127.0.0.1", certificateId: null });
      expect((read.actor as { name: string }).name).to.equal("WONG Ka Ho 黃家豪");
      expect(read.detail).to.deep.equal({ filter: { limit: 10, after: 0, order: "oldest" }, entries: 10 });

      const seqs = async (query: string) =>
        ((await (await get(`/audit?${query}`, { cookie })).json()) as { entries: { seq: number }[] }).entries.map(
          (e) => e.seq,
        );
      expect(await seqs("action=upload-released&limit=3")).to.deep.equal([2, 4, 6]);
      // Newest first, paged on with ?before= (what the console's audit view reads).
      expect(await seqs("order=newest&action=upload-released&limit=3")).to.deep.equal([24, 22, 20]);
      expect(await seqs("order=newest&action=upload-released&limit=3&before=20")).to.deep.equal([18, 16, 14]);
      const newest = (await (await get("/audit?order=newest&limit=2", { cookie })).json()) as {
        entries: { seq: number; action: string }[];
        next: number | null;
      };
      expect(newest.entries[0].seq).to.be.greaterThan(newest.entries[1].seq);
      expect(newest.next).to.equal(newest.entries[1].seq);
      expect(await seqs("actor=officer:sub-0")).to.deep.equal([3, 6, 9, 12, 15, 18, 21, 24]);
      expect(await seqs("certificate=cert-10")).to.deep.equal([10]);
      expect(await seqs("upload=upload-2")).to.deep.equal([5, 6, 7, 8]);
      expect(await seqs(`from=${at(3)}&to=${encodeURIComponent("2025-01-01T08:00:06+08:00")}`)).to.deep.equal([
        3, 4, 5,
      ]);
      expect(await seqs("from=2025-01-01&to=2025-01-01T00:00:02Z")).to.deep.equal([1]);
      // FSD's trail is not CSB's auditor's; FSD's auditor sees only FSD's.
      const fsd = await session(FSD, ["auditor", "clerk"]);
      const fsdEntries = (
        (await (await get("/audit?limit=1000", { cookie: fsd })).json()) as { entries: { detail: { i?: number } }[] }
      ).entries;
      expect(fsdEntries.map((e) => e.detail.i)).to.deep.equal([1, 2, 3, 4, 5]);

      for (const bad of [
        "limit=0",
        "limit=1001",
        "after=-1",
        "before=0",
        "order=up",
        "from=yesterday",
        "action=",
        "limit=1&limit=2",
      ]) {
        const res = await get(`/audit?${bad}`, { cookie });
        expect(res.status, bad).to.equal(400);
        expect(((await res.json()) as { error: { code: string } }).error.code, bad).to.equal("INVALID_REQUEST");
      }
      expect((await verifyAuditTrail(store, CSB)).ok).to.equal(true);
    });

    it("streams the CSV (BOM, text/csv, attachment, a row per entry across pages, formulas neutralised) and records the export", async () => {
      await seed(CSB, 1203);
      await recordAudit(store, {
        issuerId: CSB,
        actor: { id: "officer:evil", name: '=cmd|"/c calc"!A1' },
        action: "sign-in",
        at: at(2000),
      });
      const cookie = await session(CSB, ["auditor"]);
      const res = await get("/audit.csv", { cookie });
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).to.equal('attachment; filename="audit-CSB.csv"');
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const rows = parseCsv(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes).slice(1));
      expect(rows[0]).to.deep.equal([
        "seq",
        "at",
        "actor_id",
        "actor_name",
        "action",
        "source",
        "certificate_id",
        "upload_id",
        "batch_id",
        "detail",
        "prev_hash",
        "hash",
      ]);
      // 1,203 entries, the sign-in, and the export itself (recorded before the file was written).
      expect(rows.length - 1).to.equal(1205);
      expect(rows.slice(1).map((r) => Number(r[0]))).to.deep.equal(Array.from({ length: 1205 }, (_, i) => i + 1));
      expect(rows[1204][3]).to.equal(`'=cmd|"/c calc"!A1`);
      expect(rows[1205].slice(3, 6)).to.deep.equal(["WONG Ka Ho 黃家豪", "audit-exported", "127.0.0.1"]);
      expect(JSON.parse(rows[1205][9])).to.deep.equal({ filter: {}, format: "csv" });
      const head = await store.auditHead(CSB);
      expect(rows[1205][11]).to.equal(head.hash);

      const ranged = await get(`/audit.csv?from=${at(10)}&to=${at(13)}`, { cookie });
      const text = await ranged.text();
      expect(parseCsv(text.replace(/^\ufeff/, "")).map((r) => r[0])).to.deep.equal(["seq", "10", "11", "12"]);
      expect((await get("/audit.csv?from=soon", { cookie })).status).to.equal(400);
    });

    it("verifies the caller's department's chain, finds a tampered entry by seq, and records the check", async () => {
      await seed(CSB, 12);
      await seed(FSD, 3);
      const cookie = await session(CSB, ["auditor"]);
      const ok = await get("/audit/verify", { cookie });
      expect(ok.status).to.equal(200);
      expect(await ok.json()).to.deep.equal({ issuerId: CSB, entries: 12, headSeq: 12, ok: true, problems: [] });
      const last = (await store.listAudit(CSB, { afterSeq: 12, limit: 1 }))[0];
      expect(last).to.deep.include({ action: "audit-verified", detailJson: '{"ok":true,"entries":12,"problems":0}' });

      const sql = rawSql(harness, location);
      await sql("UPDATE audit_log SET detail_json = ? WHERE issuer_id = ? AND seq = ?", ['{"i":700}', CSB, 7]);
      const broken = (await (await get("/audit/verify", { cookie })).json()) as {
        ok: boolean;
        problems: { seq: number; kind: string; problem: { en: string; "zh-HK": string } }[];
      };
      expect(broken.ok).to.equal(false);
      expect(broken.problems.map((p) => [p.seq, p.kind])).to.deep.equal([[7, "changed"]]);
      expect(broken.problems[0].problem["zh-HK"]).to.include("第 7 項");
      const fsd = await session(FSD, ["auditor"]);
      expect(((await (await get("/audit/verify", { cookie: fsd })).json()) as { ok: boolean }).ok).to.equal(true);
    });

    it("refuses every API key (403 FORBIDDEN), a clerk or approver (403), no credentials (401) and an unknown session (401)", async () => {
      await seed(CSB, 2);
      const key = await apiKey(CSB);
      const clerk = await session(CSB, ["clerk", "approver"]);
      for (const route of ["/audit", "/audit.csv", "/audit/verify"]) {
        const byKey = await get(route, { authorization: key });
        expect(byKey.status, route).to.equal(403);
        const body = (await byKey.json()) as { error: { code: string; message: string } };
        expect(body.error.code, route).to.equal("FORBIDDEN");
        expect(body.error.message).to.include("never an API key");
        const byClerk = await get(route, { cookie: clerk });
        expect([byClerk.status, ((await byClerk.json()) as { error: { code: string } }).error.code]).to.deep.equal([
          403,
          "FORBIDDEN",
        ]);
        const none = await get(route);
        expect([none.status, ((await none.json()) as { error: { code: string } }).error.code]).to.deep.equal([
          401,
          "UNAUTHENTICATED",
        ]);
        const unknown = await get(route, { cookie: `ecert_session=${randomBytes(32).toString("base64url")}` });
        expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).to.deep.equal([
          401,
          "SESSION_EXPIRED",
        ]);
      }
      // Nothing was read, so nothing was recorded.
      expect((await store.auditHead(CSB)).seq).to.equal(2);
    });
  });
}
