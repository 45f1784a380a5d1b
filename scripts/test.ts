/**
 * `npm test`: runs every test (Solidity and mocha: contracts, core, server, browser) through
 * `hardhat test --coverage`, shows its output, then fails unless every contract in `contracts/` is
 * covered at 100% of lines and statements. Extra arguments are passed on to `hardhat test`.
 */
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";

const args = ["hardhat", "test", "--coverage", ...process.argv.slice(2)];
const child = spawn("npx", args, { stdio: ["inherit", "pipe", "inherit"] });
let output = "";
child.stdout.on("data", (chunk: Buffer) => {
  process.stdout.write(chunk);
  output += chunk.toString("utf8");
});
const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));

// Rows of Hardhat's coverage table: "║ contracts/Registry.sol │ 100.00 │ 100.00 │ - ║"
const rows = new Map<string, { lines: number; statements: number }>();
for (const match of output.matchAll(/║\s*(contracts\/\S+\.sol)\s*│\s*([\d.]+)\s*│\s*([\d.]+)\s*│/g)) {
  rows.set(match[1], { lines: Number(match[2]), statements: Number(match[3]) });
}
const problems: string[] = [];
// Every file that defines a contract or library (interfaces have nothing to execute).
const contracts: string[] = [];
for (const file of await readdir("contracts", { recursive: true })) {
  if (!file.endsWith(".sol")) continue;
  const source = await readFile(`contracts/${file}`, "utf8");
  if (/^\s*(abstract\s+contract|contract|library)\s/m.test(source)) contracts.push(`contracts/${file}`);
}
if (process.argv.length <= 2) {
  for (const file of contracts) {
    const row = rows.get(file);
    if (!row) problems.push(`${file}: missing from the coverage report`);
    else if (row.lines < 100 || row.statements < 100) {
      problems.push(`${file}: ${row.lines}% of lines and ${row.statements}% of statements covered (100% required)`);
    }
  }
}

const passing = [...output.matchAll(/^(\d+) passing \(\d+ solidity, \d+ mocha\)/gm)].pop();
// Hardhat prints each runner's summary and then the total ("5 failing (0 solidity, 5 mocha)"): the total.
const failing = Number([...output.matchAll(/^(\d+) failing \(/gm)].pop()?.[1] ?? 0);
for (const problem of problems) console.error(`coverage: ${problem}`);
// The PostgreSQL suites skipped (test/helpers/postgres.ts says so once, mid-run): say it again at the end.
for (const line of output.matchAll(/^!!! PostgreSQL .*$/gm)) console.log(`\n${line[0]}`);
if (passing) console.log(`\ntests: ${passing[1]} passed, ${failing} failed`);
process.exit(code !== 0 ? code : problems.length > 0 ? 1 : 0);
