// npm runs this after `npm ci` / `npm install`. better-sqlite3 is a native addon: without network its
// prebuilt binary cannot be fetched, so it is compiled, and npm on these machines compiles against the
// system Node's headers (/usr, Node 20) while every npm script runs the exact Node 22 of the `node`
// devDependency. When the addon does not load in this Node, rebuild it against this Node's own headers,
// which the `node` package ships. Plain JavaScript: it must run before anything is built.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/** Whether the addon loads in this Node (checked in a fresh process: a failed load is cached). */
function loads() {
  try {
    execFileSync(process.execPath, ["-e", 'new (require("better-sqlite3"))(":memory:").close()'], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function headersDir() {
  const candidates = [path.resolve(path.dirname(process.execPath), "..")];
  const archPackages = path.resolve("node_modules/node/node_modules");
  if (existsSync(archPackages))
    for (const name of readdirSync(archPackages)) candidates.push(path.join(archPackages, name));
  return candidates.find((dir) => existsSync(path.join(dir, "include/node/node_version.h")));
}

if (!existsSync("node_modules/better-sqlite3") || loads()) process.exit(0);
const nodedir = headersDir();
if (!nodedir) {
  console.error(
    `postinstall: better-sqlite3 does not load in Node ${process.version} and no headers for it were found`,
  );
  process.exit(1);
}
console.log(`postinstall: rebuilding better-sqlite3 for Node ${process.version} (headers from ${nodedir})`);
execFileSync("npm", ["rebuild", "better-sqlite3"], {
  stdio: "inherit",
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (!loads()) {
  console.error("postinstall: better-sqlite3 still does not load after the rebuild");
  process.exit(1);
}
