// Helpers shared by the tests of the candidate page (claim.test.ts) and the officer page (officer.test.ts),
// the two pages of verifier-web/src/portal.ts. Nothing here runs on import.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { loadConfig } from "../../server/config.ts";
import { startServer, type RunningServer } from "../../server/start.ts";
import { sampleCsv } from "../server/pdf/documents-helpers.ts";
import { api, waitFor } from "../server/api/api-helpers.ts";
import { CHROMIUM, CHROMIUM_ARGS, closeBrowser, fontsLoaded, screenshotContext } from "./browser-helpers.ts";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
/** Set to a directory (e.g. docs/images) to keep the screenshots; otherwise they go to a temporary one. */
const SCREENSHOTS_DIR = process.env.VERIFIER_SCREENSHOTS_DIR;

export type PageWithErrors = Page & { errors: string[] };
export type Accepted = { row: number; id: string; certificateNumber: string; claimCode: string };

export interface Portal {
  dataDir: string;
  server: RunningServer;
  browser: Browser;
  context: BrowserContext;
  csbKey: string;
  fsdKey: string;
  /** CSB exam results issued through the API, for the candidate. */
  issued: Accepted[];
}

/**
 * The embedded default server in a fresh `DATA_DIR` (named `dataDirPrefix`...), with `csb-cre.csv` issued
 * through the API, and Chromium with a desktop context. Cleans up after itself if a step fails.
 */
export async function startPortal(dataDirPrefix: string): Promise<Portal> {
  const dataDir = await mkdtemp(path.join(tmpdir(), dataDirPrefix));
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer(
      loadConfig({ APPROVALS: "none", DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }),
    );
    const csbKey = server.dev!.apiKeys.CSB;
    const fsdKey = server.dev!.apiKeys.FSD;
    const cre = await api(server, "POST", "/batches?type=csb-cre", {
      key: csbKey,
      body: sampleCsv("csb-cre.csv"),
      contentType: "text/csv",
    });
    expect(cre.status).to.equal(202);
    const issued: Accepted[] = cre.json.certificates;
    await waitFor(
      async () => (await api(server!, "GET", `/batches/${cre.json.batchId}`, { key: csbKey })).json.done === true,
    );
    expect((await fetch(`${server.url}/claim`)).status).to.equal(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: "en-GB",
      acceptDownloads: true,
    });
    return { dataDir, server, browser, context, csbKey, fsdKey, issued };
  } catch (error) {
    await closeBrowser(browser);
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** The serious and critical axe-core violations of `page`, in English and in Traditional Chinese. */
export async function axeProblems(page: Page, label: string): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const problems: string[] = [];
  for (const lang of ["en", "zh-HK"]) {
    if ((await page.getAttribute("html", "lang")) !== lang) await page.click("#lang-switch");
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run(
              context: Document,
            ): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
          };
        }
      ).axe;
      const { violations } = await axe.run(document);
      return violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    });
    problems.push(...violations.map((v) => `${label} ${lang}: ${v}`));
  }
  return problems;
}

/**
 * `openPage` and `screenshot` over a suite's browser, its default context and its data directory (read
 * when called: the suite's `before` sets them).
 */
export function portalPages(suite: () => Pick<Portal, "browser" | "context" | "dataDir">) {
  /** A fresh page, failing the test on any console error (a CSP violation is one). */
  async function openPage(url: string, on: BrowserContext = suite().context): Promise<PageWithErrors> {
    const page = (await on.newPage()) as PageWithErrors;
    page.errors = [];
    page.on("console", (message) => {
      if (message.type() === "error") page.errors.push(message.text());
    });
    page.on("pageerror", (error) => page.errors.push(String(error)));
    await page.goto(url);
    await page.waitForSelector("body.ready");
    return page;
  }

  /** Screenshots of a page, with Noto Sans HK lent for CJK characters (this machine has no CJK system font). */
  async function screenshot(
    name: string,
    viewport: { width: number; height: number },
    lang: "en" | "zh-HK",
    prepare: (page: Page) => Promise<void>,
  ): Promise<void> {
    const { browser, dataDir } = suite();
    const dir = SCREENSHOTS_DIR ? path.resolve(SCREENSHOTS_DIR) : path.join(dataDir, "screenshots");
    await mkdir(dir, { recursive: true });
    const shotContext = await screenshotContext(browser, viewport, /\/portal-[A-Z0-9]+\.css$/);
    try {
      const page = await shotContext.newPage();
      await prepare(page);
      if (lang === "zh-HK" && (await page.getAttribute("html", "lang")) !== "zh-HK") await page.click("#lang-switch");
      await fontsLoaded(page);
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
    } finally {
      await shotContext.close();
    }
  }

  return { openPage, screenshot };
}
