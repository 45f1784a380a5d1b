// The audit trail's hash chain on SQLite and PostgreSQL: appends from several stores at once make one
// gap-free chain per department; an edited, deleted, forged or truncated entry is found by
// verifyAuditTrail and by `certs audit verify` (exit 1), by its seq; the CSV export.
import { describeOn } from "../../helpers/postgres.ts";
import { userInfo } from "node:os";
import { expect } from "chai";
import { auditCsv, AUDIT_CSV_COLUMNS, csvCell } from "../../../server/audit/audit-csv.ts";
import { auditHash, recordAudit, verifyAuditTrail, type AuditInput } from "../../../server/audit/audit-trail.ts";
import type { OfficerActor } from "../../../server/auth/actor.ts";
import { AUDIT_GENESIS_HASH, type NewAuditEntry, type Store } from "../../../server/db/store.ts";
import { at, CSB, FSD, postgresHarness, sqliteHarness, type Harness } from "../db/store-fixtures.ts";
import { certs, openMigrated, parseCsv, rawSql } from "./audit-helpers.ts";

const officer = (issuerId: string, name: string): OfficerActor => ({
  kind: "officer",
  issuerId,
  subject: `sub-${name}`,
  name,
  email: null,
  roles: ["clerk"],
  sessionHash: "0".repeat(64),
});

/** The n-th entry a test appends for `issuerId`. */
function entry(issuerId: string, n: number, overrides: Partial<AuditInput> = {}): AuditInput {
  return {
    issuerId,
    actor: officer(issuerId, n % 2 ? "CHAN Tai Man 陳大文" : "LEE Siu Ming 李小明"),
    action: "upload",
    source: "192.0.2.7",
    uploadId: `upload-${n}`,
    detail: { n, rows: n * 3 },
    at: at(n),
    ...overrides,
  };
}

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(`audit trail (${database})`, function () {
    this.timeout(120_000);
    let harness: Harness;
    let location: string;
    let store: Store;
    let opened: Store[] = [];
    let sql: ReturnType<typeof rawSql>;

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
      opened = [store];
      sql = rawSql(harness, location);
    });
    afterEach(async () => {
      for (const s of opened) await s.close();
    });

    /** `n` entries for `issuerId`, one after another. */
    async function seed(issuerId: string, n: number): Promise<void> {
      for (let i = 1; i <= n; i++) await recordAudit(store, entry(issuerId, i));
    }

    it("serialises 200 appends for two departments from two stores at once into gap-free chains that verify", async () => {
      // A second instance on the same database: on PostgreSQL the head row's lock orders the two.
      const other = await harness.open(location);
      opened.push(other);
      const appends: Promise<unknown>[] = [];
      for (let i = 1; i <= 100; i++) {
        for (const issuerId of [CSB, FSD]) {
          const input = entry(issuerId, i);
          if (i % 3 === 0) appends.push(other.transaction((tx) => recordAudit(tx, input)));
          else appends.push(recordAudit(i % 3 === 1 ? store : other, input));
        }
      }
      await Promise.all(appends);

      for (const issuerId of [CSB, FSD]) {
        const rows = await store.listAudit(issuerId, { limit: 1000 });
        expect(rows.map((r) => r.seq)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 1));
        // Every append is there once, and each entry names its predecessor's hash.
        expect(rows.map((r) => (JSON.parse(r.detailJson) as { n: number }).n).sort((a, b) => a - b)).to.deep.equal(
          Array.from({ length: 100 }, (_, i) => i + 1),
        );
        rows.forEach((r, i) => expect(r.prevHash).to.equal(i === 0 ? AUDIT_GENESIS_HASH : rows[i - 1].hash));
        expect(await store.auditHead(issuerId)).to.deep.equal({ seq: 100, hash: rows[99].hash });
        const result = await verifyAuditTrail(store, issuerId, { pageSize: 7 });
        expect(result).to.deep.equal({ issuerId, entries: 100, headSeq: 100, ok: true, problems: [] });
      }
      expect(await store.auditIssuers()).to.deep.equal([CSB, FSD]);
      const cli = await certs(location, ["audit", "verify"]);
      expect(cli.code, cli.stderr).to.equal(0);
      expect(cli.stdout).to.match(/^CSB {2}OK 完整 +100 entries$/m);
      expect(cli.stdout).to.match(/^FSD {2}OK 完整 +100 entries$/m);
    });

    it("verifies an empty trail, and a department with no trail, as OK", async () => {
      expect(await verifyAuditTrail(store, CSB)).to.deep.equal({
        issuerId: CSB,
        entries: 0,
        headSeq: 0,
        ok: true,
        problems: [],
      });
      const none = await certs(location, ["audit", "verify"]);
      expect([none.code, none.stdout.trim()]).to.deep.equal([
        0,
        "no department has an audit trail yet 尚無部門有審計記錄",
      ]);
      const one = await certs(location, ["audit", "verify", "--issuer", CSB]);
      expect(one.code).to.equal(0);
      expect(one.stdout).to.match(/^CSB {2}OK 完整 +0 entries$/m);
    });

    /** Verification after a tampering of CSB's trail of 10 entries (FSD's 10 untouched): its problems. */
    async function tampered(kind: string, seq: number) {
      const result = await verifyAuditTrail(store, CSB, { pageSize: 3 });
      expect(result.ok).to.equal(false);
      expect(result.problems.map((p) => [p.seq, p.kind])).to.deep.equal([[seq, kind]]);
      const problem = result.problems[0].problem;
      expect(problem.en).to.match(new RegExp(`\\b${seq}\\b`));
      expect(problem["zh-HK"])
        .to.match(new RegExp(`第 ${seq} `))
        .and.to.match(/[\u4e00-\u9fff]/);
      expect((await verifyAuditTrail(store, FSD)).ok).to.equal(true);
      // The command line: exit 1, naming the department, the seq and the problem in both languages.
      const cli = await certs(location, ["audit", "verify"]);
      expect(cli.code, cli.stderr).to.equal(1);
      expect(cli.stdout).to.match(/^CSB {2}BROKEN 受損/m);
      expect(cli.stdout).to.include(`seq ${seq} (${kind}): ${problem.en}`);
      expect(cli.stdout).to.include(problem["zh-HK"]);
      expect(cli.stdout).to.match(/^FSD {2}OK 完整 +10 entries$/m);
      expect(cli.stdout).to.include("1 of 2 audit trails broken");
      const json = await certs(location, ["audit", "verify", "--issuer", CSB, "--json"]);
      expect(json.code).to.equal(1);
      expect(JSON.parse(json.stdout)).to.deep.equal([result]);
      const fsdOnly = await certs(location, ["audit", "verify", "--issuer", FSD]);
      expect(fsdOnly.code).to.equal(0);
      return result;
    }

    describe("tampering with the database directly", () => {
      beforeEach(async () => {
        await seed(CSB, 10);
        await seed(FSD, 10);
        expect((await verifyAuditTrail(store, CSB)).ok).to.equal(true);
      });

      it("finds an entry whose detail was changed (UPDATE detail_json), by its seq", async () => {
        await sql("UPDATE audit_log SET detail_json = ? WHERE issuer_id = ? AND seq = ?", ['{"n":4,"rows":1}', CSB, 4]);
        await tampered("changed", 4);
      });

      it("finds an entry whose actor was changed, even with its own hash recomputed, by the broken link after it", async () => {
        const [row] = await store.listAudit(CSB, { afterSeq: 5, limit: 1 });
        const forged: NewAuditEntry = { ...row, actorName: "Nobody" };
        await sql("UPDATE audit_log SET actor_name = ?, hash = ? WHERE issuer_id = ? AND seq = ?", [
          "Nobody",
          auditHash(forged, 6, row.prevHash),
          CSB,
          6,
        ]);
        await tampered("broken-link", 7);
      });

      it("finds a deleted middle entry (DELETE seq 5) as missing at seq 5", async () => {
        await sql("DELETE FROM audit_log WHERE issuer_id = ? AND seq = ?", [CSB, 5]);
        const result = await tampered("missing", 5);
        expect(result.entries).to.equal(9);
      });

      it("finds a deleted last entry (DELETE seq 10) as a missing tail at seq 10", async () => {
        await sql("DELETE FROM audit_log WHERE issuer_id = ? AND seq = ?", [CSB, 10]);
        await tampered("tail-missing", 10);
      });

      it("finds a forged entry inserted with a correct-looking hash but no head update, at seq 11", async () => {
        const head = await store.auditHead(CSB);
        const forged: NewAuditEntry = {
          issuerId: CSB,
          at: at(11),
          actorId: "officer:sub-forger",
          actorName: "Forger",
          action: "upload-released",
          source: "192.0.2.66",
          certificateId: null,
          uploadId: "upload-x",
          batchId: null,
          detailJson: "{}",
        };
        await sql(
          `INSERT INTO audit_log (issuer_id, seq, at, actor_id, actor_name, action, source, certificate_id, upload_id,
             batch_id, detail_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            CSB,
            11,
            forged.at,
            forged.actorId,
            forged.actorName,
            forged.action,
            forged.source,
            null,
            forged.uploadId,
            null,
            forged.detailJson,
            head.hash,
            auditHash(forged, 11, head.hash),
          ],
        );
        await tampered("not-in-head", 11);
      });
    });

    it("keeps appending while it verifies: entries appended during the check are read, not taken as forged", async () => {
      await seed(CSB, 30);
      const appends = Array.from({ length: 20 }, (_, i) => recordAudit(store, entry(CSB, 31 + i)));
      const results = await Promise.all([
        verifyAuditTrail(store, CSB, { pageSize: 2 }),
        verifyAuditTrail(store, CSB, { pageSize: 5 }),
        ...appends,
      ]);
      for (const r of results.slice(0, 2) as Awaited<ReturnType<typeof verifyAuditTrail>>[]) {
        expect(r.problems).to.deep.equal([]);
        expect(r.entries).to.equal(r.headSeq);
      }
      expect((await verifyAuditTrail(store, CSB)).headSeq).to.equal(50);
    });

    it("exports CSV: a byte-order mark, every cell quoted, formulas neutralised, a row per entry, paged, from/to", async () => {
      const names = [
        '=HYPERLINK("http://evil.example","x")',
        "+61 2 9999",
        "-1+1",
        "@SUM(A1)",
        "\tTabbed",
        "\rReturned",
        'WONG "Tony" Ka-ho, 黃家豪',
        "陳大文\nsecond line",
      ];
      for (const [i, name] of names.entries())
        await recordAudit(store, entry(CSB, i + 1, { actor: { id: `officer:${i}`, name }, detail: { note: name } }));
      await seed(FSD, 2);
      let text = "";
      for await (const chunk of auditCsv(store, CSB, { pageSize: 3 })) text += chunk;
      expect(text.startsWith("\ufeff")).to.equal(true);
      expect(Buffer.from(text, "utf8").subarray(0, 3)).to.deep.equal(Buffer.from([0xef, 0xbb, 0xbf]));
      const rows = parseCsv(text.slice(1));
      expect(rows[0]).to.deep.equal([...AUDIT_CSV_COLUMNS]);
      expect(rows).to.have.length(names.length + 1);
      const stored = await store.listAudit(CSB, { limit: 100 });
      rows.slice(1).forEach((row, i) => {
        const name = names[i];
        const shown = /^[=+\-@\t\r]/.test(name) ? `'${name}` : name;
        expect(row).to.deep.equal([
          String(i + 1),
          stored[i].at,
          `officer:${i}`,
          shown,
          "upload",
          "192.0.2.7",
          "",
          `upload-${i + 1}`,
          "",
          stored[i].detailJson,
          stored[i].prevHash,
          stored[i].hash,
        ]);
        expect(JSON.parse(row[9])).to.deep.equal({ note: name });
      });
      // Every cell is quoted, so no line of the file starts a cell with a formula character.
      for (const line of text.slice(1).split("\r\n").filter(Boolean)) expect(line).to.match(/^"/);
      expect(csvCell('a"b')).to.equal('"a""b"');
      expect(csvCell(null)).to.equal('""');
      // from (inclusive) and to (exclusive).
      let part = "";
      for await (const chunk of auditCsv(store, CSB, { from: at(3), to: at(6), pageSize: 1 })) part += chunk;
      expect(parseCsv(part.slice(1)).map((r) => r[0])).to.deep.equal(["seq", "3", "4", "5"]);
    });

    it("certs audit export writes one department's CSV, records the export, and refuses bad usage (64)", async () => {
      await seed(CSB, 5);
      await seed(FSD, 3);
      const out = await certs(location, ["audit", "export", "--issuer", CSB]);
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stdout.startsWith("\ufeff")).to.equal(true);
      const rows = parseCsv(out.stdout.slice(1));
      // The five entries and the export itself, recorded before it was written.
      expect(rows.map((r) => r[0])).to.deep.equal(["seq", "1", "2", "3", "4", "5", "6"]);
      const user = userInfo().username;
      expect(rows[6].slice(2, 6)).to.deep.equal([`cli:${user}`, `${user} (command line)`, "audit-exported", "cli"]);
      expect((await verifyAuditTrail(store, CSB)).ok).to.equal(true);
      const ranged = await certs(location, [
        "audit",
        "export",
        "--issuer",
        CSB,
        "--from",
        at(2),
        "--to",
        "2025-01-01T08:00:04+08:00",
      ]);
      expect(ranged.code, ranged.stderr).to.equal(0);
      expect(parseCsv(ranged.stdout.slice(1)).map((r) => r[0])).to.deep.equal(["seq", "2", "3"]);

      for (const args of [
        ["audit"],
        ["audit", "export"],
        ["audit", "export", "--issuer", CSB, "--from", "yesterday"],
        ["audit", "verify", "--issuer", "csb"],
        ["audit", "verify", "extra"],
        ["audit", "verify", "--bogus"],
      ]) {
        const res = await certs(location, args);
        expect([res.code, res.stdout], args.join(" ")).to.deep.equal([64, ""]);
        expect(res.stderr, args.join(" ")).to.include("usage: certs audit verify");
      }
      const help = await certs(location, ["audit", "--help"]);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.match(/^usage: certs audit verify/);
      const listed = await certs(location, ["--help"]);
      expect(listed.stdout).to.include("certs audit verify");
    });

    if (database === "SQLite") {
      it("certs audit verify exits 66 when there is no database", async () => {
        const res = await certs(`${location}.missing`, ["audit", "verify"]);
        expect(res.code).to.equal(66);
        expect(res.stderr).to.include("no database at");
      });
    }
  });
}
