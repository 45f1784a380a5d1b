import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect } from "chai";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

describe("backup and restore (scripts/backup-restore-check.ts, npm run backup:check)", function () {
  this.timeout(300_000);

  it("backs the embedded default up online during an upload, restores it elsewhere and reads everything back", async () => {
    let code = 0;
    let stdout: string;
    let stderr: string;
    try {
      ({ stdout, stderr } = await run(process.execPath, [path.join(ROOT, "scripts/backup-restore-check.ts")], {
        cwd: ROOT,
        maxBuffer: 16 * 1024 * 1024,
      }));
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      ({ code, stdout, stderr } = e);
    }
    expect(code, `exit code; stderr:\n${stderr}\nstdout:\n${stdout}`).to.equal(0);
    const report = JSON.parse(stdout.trimEnd().split("\n").pop()!);
    expect(report.ok).to.equal(true);
    expect(report.problems).to.equal(0);
    // examples/csb-cre.csv: 20 rows, each read back, its PDF the same bytes, VALID.
    expect(report.first).to.deep.equal({ certificates: 20, readBack: 20, pdfs: 20, valid: 20 });
    // The second upload (200 rows) was in the backup before it was issued, and finished after the restore.
    expect(report.second.accepted).to.equal(200);
    expect(Object.values(report.second.inBackup as Record<string, number>).reduce((a, b) => a + b, 0)).to.equal(200);
    expect(report.second.restored).to.equal(200);
    expect(report.second.issuedAfterRestore).to.equal(200);
    expect(report.integrity).to.equal(true);
    expect(report.backup.databaseBytes).to.be.greaterThan(0);
    expect(report.backup.bytes).to.be.greaterThan(report.backup.databaseBytes);
    expect(stdout).to.match(/backup: ecert\.sqlite \d+ pages/);
  });
});
