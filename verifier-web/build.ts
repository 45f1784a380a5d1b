/**
 * Builds the verifier page into static files (`verifier-web/dist/` by default) that any web host can
 * serve: `index.html` (the verifier), `claim.html` (candidates), `officer.html` (department officers),
 * `issuers.html` (the issuer directory), `app-<hash>.js` (the page and the `core/` verification code, bundled for the
 * browser by esbuild), `app-<hash>.css`, `favicon.svg`, and `config.json` when one is given. The
 * hashed names can be cached for ever; `index.html` and `config.json` should not be cached.
 *
 * The build fails when a page's script grows past {@link SCRIPT_BUDGETS} (minified, and gzipped): the
 * verifier is opened on phones over mobile data, and a dependency that pulls in a large library (a
 * full schema validator, an ABI coder) shows here first, not in the field.
 *
 * ```sh
 * npx node verifier-web/build.ts                                   # -> verifier-web/dist/
 * npx node verifier-web/build.ts --out /srv/verify --config prod.json
 * ```
 *
 * A static host needs `config.json` beside `index.html` (`{ "rpcUrls": [...], "chainId": N,
 * "registry": "0x..." }`); the issuer server (`server/api/verifier-routes.ts`) answers it itself and
 * builds the page when `dist/` is missing or older than its sources ({@link ensureVerifierWebBuilt}).
 */
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Plugin } from "esbuild";
import { parseStrictJson } from "../core/strictJson.ts";
import { parseConfig } from "./src/config.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPOSITORY = path.dirname(HERE);
/** Where the page is built by default. */
export const DEFAULT_VERIFIER_DIST = path.join(HERE, "dist");
/** Written into the output: the sources the build read, so a server can tell when it is stale. */
const BUILD_INFO = "build-info.json";
/** Browsers the bundle's syntax must run in (every evergreen browser of the last few years). */
const TARGETS = ["es2022", "chrome105", "edge105", "firefox110", "safari16"];

/**
 * The most each page's script may weigh, in bytes, minified and gzipped (README "Bundle size"). The
 * build stops with an error naming the script above its budget. Measured at 191 / 63 KB (`app`, the
 * verifier), 106 / 40 KB (`claim`), 38 / 13 KB (`officer`).
 */
export const SCRIPT_BUDGETS: Readonly<
  Record<"app" | "claim" | "officer" | "issuers", { bytes: number; gzipBytes: number }>
> = {
  app: { bytes: 250_000, gzipBytes: 90_000 },
  claim: { bytes: 250_000, gzipBytes: 90_000 },
  officer: { bytes: 100_000, gzipBytes: 35_000 },
  issuers: { bytes: 100_000, gzipBytes: 35_000 },
};

export type BuildVerifierWebParameters = {
  /** Output directory (replaced as a whole). Default `verifier-web/dist`. */
  outDir?: string;
  /** Written to `config.json` in the output when given (a static deployment). */
  config?: { rpcUrls: string[]; chainId: number; registry: string; quorum?: number; explorerUrl?: string };
  /** Default true. */
  minify?: boolean;
  /** Script budgets to enforce (default {@link SCRIPT_BUDGETS}); only enforced on minified builds. */
  budgets?: Partial<Record<string, { bytes: number; gzipBytes: number }>>;
};

export type BuildVerifierWebResult = {
  outDir: string;
  /** Output files (relative to `outDir`) with their sizes in bytes, raw and gzipped. */
  files: { name: string; bytes: number; gzipBytes: number }[];
};

type BuildInfo = { builtAt: string; inputs: string[] };

/**
 * Builds the page. The output is written to a fresh directory beside `outDir` and then renamed into
 * place, so a server reading `outDir` never sees half a build, and two builds at once do not mix.
 *
 * @returns the output directory and its files.
 * @throws the esbuild error (with file and line) when the page does not compile; an Error naming the
 *   script when a minified script is larger than its budget ({@link SCRIPT_BUDGETS}), and then nothing is
 *   written to `outDir`.
 * @example
 * ```ts
 * const { files } = await buildVerifierWeb({ outDir: "/tmp/verifier" });
 * ```
 */
export async function buildVerifierWeb(parameters: BuildVerifierWebParameters = {}): Promise<BuildVerifierWebResult> {
  const outDir = path.resolve(parameters.outDir ?? DEFAULT_VERIFIER_DIST);
  const staging = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await removeLeftovers(outDir);
  const esbuild = await import("esbuild");
  try {
    const built = await esbuild.build({
      absWorkingDir: REPOSITORY,
      entryPoints: [
        { in: path.join(HERE, "src/main.ts"), out: "app" },
        { in: path.join(HERE, "app.css"), out: "app" },
        { in: path.join(HERE, "src/claim.ts"), out: "claim" },
        { in: path.join(HERE, "src/officer.ts"), out: "officer" },
        { in: path.join(HERE, "src/issuers.ts"), out: "issuers" },
        { in: path.join(HERE, "portal.css"), out: "portal" },
      ],
      entryNames: "[name]-[hash]",
      outdir: staging,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: TARGETS,
      minify: parameters.minify ?? true,
      sourcemap: "linked",
      legalComments: "linked",
      metafile: true,
      logLevel: "silent",
      charset: "utf8",
      plugins: [withoutJsQrKanjiTable],
    });
    const outputs = Object.keys(built.metafile.outputs).map((file) => path.basename(file));
    /** The hashed output of the entry point named `name` with extension `ext` (`app` + `.js` -> `app-<hash>.js`). */
    const output = (name: string, ext: string): string => {
      const found = outputs.find((file) => file.startsWith(`${name}-`) && file.endsWith(ext));
      if (!found) throw new Error(`esbuild produced no ${name}${ext}: ${outputs.join(", ")}`);
      return found;
    };
    // The verifier (index.html) and the candidate and officer pages (claim.html, officer.html).
    for (const [html, script, style] of [
      ["index", "app", "app"],
      ["claim", "claim", "portal"],
      ["officer", "officer", "portal"],
      ["issuers", "issuers", "app"],
    ] as const) {
      const source = await readFile(path.join(HERE, `${html}.html`), "utf8");
      const page = replaceOnce(
        replaceOnce(source, `src="${script}.js"`, `src="${output(script, ".js")}"`, html),
        `href="${style}.css"`,
        `href="${output(style, ".css")}"`,
        html,
      );
      await writeFile(path.join(staging, `${html}.html`), page);
    }
    await copyFile(path.join(HERE, "favicon.svg"), path.join(staging, "favicon.svg"));
    if (parameters.config)
      await writeFile(path.join(staging, "config.json"), `${JSON.stringify(parameters.config, null, 2)}\n`);
    const inputs = [
      ...Object.keys(built.metafile.inputs).filter((file) => !file.startsWith("node_modules/")),
      "verifier-web/index.html",
      "verifier-web/claim.html",
      "verifier-web/officer.html",
      "verifier-web/issuers.html",
      "verifier-web/favicon.svg",
    ].sort();
    const info: BuildInfo = { builtAt: new Date().toISOString(), inputs };
    await writeFile(path.join(staging, BUILD_INFO), `${JSON.stringify(info, null, 2)}\n`);

    const files = [];
    for (const name of (await readdir(staging)).sort()) {
      const bytes = await readFile(path.join(staging, name));
      files.push({ name, bytes: bytes.length, gzipBytes: gzipSync(bytes).length });
    }
    if (parameters.minify ?? true) checkBudgets(files, parameters.budgets ?? SCRIPT_BUDGETS);
    await swapInto(staging, outDir);
    return { outDir, files };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * jsQR (the camera's QR decoder) carries a Shift JIS to Unicode table of some 7,000 entries (about 80 KB
 * minified, most of jsQR) for QR codes in Kanji mode. The verifier reads only certificate QR codes, which
 * the issuer writes with `qrcode` in byte and alphanumeric modes (it never uses Kanji mode without a
 * `toSJISFunc`), so the table is left out of the bundle: a Kanji segment would decode to NUL characters
 * (its `bytes` are still right), which no certificate URL holds. Fails the build when the table is not
 * found exactly once (a jsqr upgrade that moved it must be looked at).
 */
const withoutJsQrKanjiTable: Plugin = {
  name: "jsqr-without-kanji-table",
  setup(build) {
    build.onLoad({ filter: /[\\/]jsqr[\\/]dist[\\/]jsQR\.js$/ }, async ({ path: file }) => {
      const source = await readFile(file, "utf8");
      const table = /exports\.shiftJISTable = \{[^}]*\};/g;
      const found = source.match(table)?.length ?? 0;
      if (found !== 1) throw new Error(`${file}: expected one shiftJISTable, found ${found}`);
      return { contents: source.replace(table, "exports.shiftJISTable = {};"), loader: "js" };
    });
  },
};

/** Throws when a page's script (`app-<hash>.js` ...) is larger than its budget, minified or gzipped. */
function checkBudgets(
  files: BuildVerifierWebResult["files"],
  budgets: Partial<Record<string, { bytes: number; gzipBytes: number }>>,
): void {
  const over: string[] = [];
  for (const file of files) {
    const match = /^([a-z]+)-[A-Z0-9]+\.js$/.exec(file.name);
    const budget = match ? budgets[match[1]] : undefined;
    if (!budget) continue;
    if (file.bytes > budget.bytes)
      over.push(`${file.name} is ${file.bytes} bytes minified, over its budget of ${budget.bytes}`);
    if (file.gzipBytes > budget.gzipBytes)
      over.push(`${file.name} is ${file.gzipBytes} bytes gzipped, over its budget of ${budget.gzipBytes}`);
  }
  if (over.length > 0)
    throw new Error(
      `The verifier page's scripts are over budget (verifier-web/build.ts SCRIPT_BUDGETS): ${over.join("; ")}`,
    );
}

/**
 * Builds the page unless `outDir` holds a build that is newer than every source it was built from
 * (the page's files and the `core/` modules it bundles).
 *
 * @returns `"fresh"` when the existing build was kept, `"built"` otherwise.
 */
export async function ensureVerifierWebBuilt(parameters: { outDir?: string } = {}): Promise<"fresh" | "built"> {
  const outDir = path.resolve(parameters.outDir ?? DEFAULT_VERIFIER_DIST);
  if (await isFresh(outDir)) return "fresh";
  await buildVerifierWeb({ outDir });
  return "built";
}

async function isFresh(outDir: string): Promise<boolean> {
  let info: BuildInfo;
  let builtAt: number;
  try {
    info = JSON.parse(await readFile(path.join(outDir, BUILD_INFO), "utf8")) as BuildInfo;
    builtAt = (await stat(path.join(outDir, "index.html"))).mtimeMs;
  } catch {
    return false;
  }
  // Every file the page was built from, and any file that is new beside the page's own sources.
  const sources = new Set(info.inputs.map((file) => path.join(REPOSITORY, file)));
  for (const dir of [path.join(HERE, "src"), path.join(REPOSITORY, "core")]) {
    for (const file of await readdir(dir, { recursive: true }))
      if (file.endsWith(".ts")) sources.add(path.join(dir, file));
  }
  for (const file of ["app.css", "portal.css", "index.html", "claim.html", "officer.html", "issuers.html"])
    sources.add(path.join(HERE, file));
  for (const file of sources) {
    try {
      if ((await stat(file)).mtimeMs > builtAt) return false;
    } catch {
      return false; // a source the build read is gone: rebuild
    }
  }
  return true;
}

async function swapInto(staging: string, outDir: string): Promise<void> {
  await mkdir(path.dirname(outDir), { recursive: true });
  const old = `${outDir}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(outDir, old);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  try {
    await rename(staging, outDir);
  } catch (error) {
    // Another build put its output in place between the two renames: it is as new as this one.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  } finally {
    await rm(old, { recursive: true, force: true });
  }
}

/** Staging directories of builds that were killed half-way (a process stopped mid-build leaves one). */
async function removeLeftovers(outDir: string): Promise<void> {
  const parent = path.dirname(outDir);
  const prefix = path.basename(outDir);
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  const before = Date.now() - 10 * 60_000;
  for (const name of names) {
    if (!name.startsWith(`${prefix}.tmp-`) && !name.startsWith(`${prefix}.old-`)) continue;
    const leftover = path.join(parent, name);
    try {
      if ((await stat(leftover)).mtimeMs < before) await rm(leftover, { recursive: true, force: true });
    } catch {
      // removed by another build meanwhile
    }
  }
}

function replaceOnce(text: string, search: string, replacement: string, page = "index"): string {
  const at = text.indexOf(search);
  if (at < 0 || text.indexOf(search, at + 1) >= 0)
    throw new Error(`verifier-web/${page}.html must contain ${search} exactly once`);
  return text.slice(0, at) + replacement + text.slice(at + search.length);
}

function parseArguments(argv: string[]): { outDir?: string; configFile?: string } {
  const result: { outDir?: string; configFile?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--out" && argv[i + 1]) result.outDir = argv[++i];
    else if (arg === "--config" && argv[i + 1]) result.configFile = argv[++i];
    else
      throw new Error(`Unknown argument ${arg}. Usage: node verifier-web/build.ts [--out DIR] [--config config.json]`);
  }
  return result;
}

if (import.meta.main) {
  try {
    const { outDir, configFile } = parseArguments(process.argv.slice(2));
    const config = configFile ? parseStrictJson(await readFile(configFile, "utf8")) : undefined;
    // Checked as the page will check it (a quorum above the number of endpoints, a bad address ...).
    if (config !== undefined) parseConfig(config, new URL("http://localhost/"));
    const started = performance.now();
    const result = await buildVerifierWeb({ outDir, config: config as BuildVerifierWebParameters["config"] });
    console.log(
      `Built the verifier page into ${path.relative(process.cwd(), result.outDir) || "."} in ${Math.round(performance.now() - started)} ms:`,
    );
    for (const file of result.files) {
      console.log(
        `  ${file.name.padEnd(28)} ${(file.bytes / 1024).toFixed(1).padStart(8)} KiB  (gzip ${(file.gzipBytes / 1024).toFixed(1)} KiB)`,
      );
    }
    if (!config)
      console.log(
        'Serve it with a config.json beside index.html: { "rpcUrls": [...], "chainId": N, "registry": "0x..." }',
      );
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
