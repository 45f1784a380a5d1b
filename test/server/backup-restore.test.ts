import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect } from "chai";
import { postgresAvailable } from "../helpers/postgres.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

/** Runs the script; its exit code, output and last line (the JSON report). */
async function check(args: string[]) {
  let code = 0;
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await run(process.execPath, [path.join(ROOT, "scripts/backup-restore-check.ts"), ...args], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    ({ code, stdout, stderr } = e);
  }
  const report = JSON.parse(stdout.trimEnd().split("\n").pop()!);
  return { code, stdout, stderr, report };
}

// PostgreSQL as the other PostgreSQL suites find it (the script reads TEST_DATABASE_URL too); where none
// answers (and REQUIRE_POSTGRES is not set, see test/helpers/postgres.ts), SQLite alone.
const databases = postgresAvailable ? ["sqlite", "postgres"] : ["sqlite"];
const databaseArgs = ["--database", postgresAvailable ? "both" : "sqlite"];

describe("backup and restore (scripts/backup-restore-check.ts, npm run backup:check)", function () {
  this.timeout(300_000);

  it(`backs the service up online during an upload (${databases.join(", ")}), restores it elsewhere and reads everything back`, async () => {
    const { code, stdout, stderr, report } = await check(databaseArgs);
    expect(code, `exit code; stderr:\n${stderr}\nstdout:\n${stdout}`).to.equal(0);
    expect(report.ok).to.equal(true);
    expect(report.problems).to.equal(0);
    for (const database of databases) {
      const r = report[database];
      // examples/csb-cre.csv: 20 rows, each read back, its PDF the same bytes, VALID.
      expect(r.first).to.deep.equal({ certificates: 20, readBack: 20, pdfs: 20, valid: 20, inBackup: 20 });
      // The second upload (200 rows) was in flight during the backup, and finished after the restore.
      expect(r.second.accepted).to.equal(200);
      expect(r.second.inFlight).to.equal(true);
      expect(r.second.afterBackup.issued ?? 0).to.be.lessThan(200);
      expect(Object.values(r.second.inBackup as Record<string, number>).reduce((a, b) => a + b, 0)).to.equal(200);
      // Held half-way (scripts/backup-restore-check.ts): anchored, 100 of its PDFs stored, none issued.
      expect(r.second.inBackup).to.deep.equal({ anchoring: 200 });
      expect(r.second.pdfsInBackup).to.equal(100);
      expect(r.second.batchInBackup).to.equal("anchored");
      expect(r.second.restored).to.equal(200);
      expect(r.second.issuedAfterRestore).to.equal(200);
      expect(r.matchInput).to.equal(220);
      expect(r.halfWritten).to.deep.equal({});
      expect(r.integrity).to.equal(true);
      expect(r.backup.databaseBytes).to.be.greaterThan(0);
      expect(r.backup.bytes).to.be.greaterThan(r.backup.databaseBytes);
    }
    expect(stdout).to.match(/sqlite: backup: ecert\.sqlite \d+ pages/);
    if (postgresAvailable) expect(stdout).to.match(/postgres: backup: pg_dump ecert\.dump/);
  });

  it("fails when the second upload is no longer in flight at the backup (--backup-when-done)", async () => {
    const { code, stderr, report } = await check(["--database", "sqlite", "--rows", "20", "--backup-when-done"]);
    expect(code).to.equal(1);
    expect(report.ok).to.equal(false);
    expect(report.sqlite.second.inFlight).to.equal(false);
    expect(stderr).to.include("MISMATCH sqlite: the second upload was not in flight while the database was copied");
  });
});
