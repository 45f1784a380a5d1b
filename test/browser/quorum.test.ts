import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildVerifierWeb } from "../../verifier-web/build.ts";
import { startEcertFixture, type EcertFixture, type IssuedBatch } from "../helpers/ecert-fixture.ts";
import { honestProxy, lyingProxy } from "../helpers/lying-rpc.ts";
import { CHROMIUM, CHROMIUM_ARGS, closeBrowser, dropFile, readVerdict, serveStatic } from "./browser-helpers.ts";

describe("verifier page in Chromium: a quorum of endpoints, one of them lying", function () {
  this.timeout(120_000);
  let f: EcertFixture;
  let dir: string;
  let browser: Browser;
  let liar: Awaited<ReturnType<typeof lyingProxy>>;
  let honest: Awaited<ReturnType<typeof honestProxy>>;
  /** A csb-cre certificate signed with CSB's registered certificate whose root was never anchored. */
  let forgedPdf: Uint8Array;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(
        `    (skipped: ${CHROMIUM} is missing; install Debian's chromium package to run the verifier page tests)`,
      );
      this.skip();
    }
    f = await startEcertFixture();
    dir = await mkdtemp(path.join(tmpdir(), "ecert-quorum-page-"));
    const genuine: IssuedBatch = await f.issue("csb-cre.csv", "csb-cre", { rows: [0] });
    const forged = await f.issue("csb-cre.csv", "csb-cre", { rows: [3], anchorKey: null });
    forgedPdf = f.pdf(forged.credentials[0]);
    liar = await lyingProxy(f.rpcUrl, {
      registry: f.registry,
      genuine: { root: genuine.root, leaf: genuine.digests[0] },
    });
    honest = await honestProxy(f.rpcUrl);
    await buildVerifierWeb({ outDir: path.join(dir, "site") });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await closeBrowser(browser);
    await Promise.all([liar?.close(), honest?.close()]);
    await f?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The page served with `config` as its config.json, the forgery dropped on it; its verdict and reasons' text. */
  async function verdictFor(config: Record<string, unknown>, locale = "en-GB") {
    const host = await serveStatic(path.join(dir, "site"), {
      chainId: f.chainId,
      registry: f.registry,
      ...config,
    });
    const page: Page = await browser.newPage({ locale });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    try {
      await page.goto(`${host.url}/`);
      await page.waitForSelector("body.ready");
      await dropFile(page, forgedPdf, "certificate.pdf", "application/pdf");
      const verdict = await readVerdict(page);
      const text = (selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? "", selector);
      const reasons = await text(".verdict__reasons");
      const checks = await text(".panel--checks");
      const next = await text(".panel--next");
      expect(errors).to.deep.equal([]);
      return { ...verdict, reasons: verdict.reasons, reasonText: reasons, checks, next };
    } finally {
      await page.close();
      await host.close();
    }
  }

  it("with quorum 1 and the liar first, the page is fooled (VALID): why production needs quorum >= 2", async () => {
    const verdict = await verdictFor({ rpcUrls: [liar.url, honest.url] });
    expect(verdict.status).to.equal("VALID");
  });

  it("with quorum 2 and the liar beside an honest endpoint, the page shows UNABLE TO CHECK naming the disagreement, not VALID", async () => {
    const verdict = await verdictFor({ rpcUrls: [liar.url, honest.url], quorum: 2 });
    expect(verdict).to.deep.include({
      status: "UNABLE_TO_CHECK",
      reasons: ["CHAIN_DISAGREEMENT"],
      title: "UNABLE TO CHECK",
    });
    expect(verdict.reasonText).to.include("gave different answers");
    expect(verdict.checks).to.include(liar.host).and.to.include(honest.host);
    expect(verdict.next).to.include("tell the operator of this verifier site");
    const zh = await verdictFor({ rpcUrls: [honest.url, liar.url], quorum: 2 }, "zh-HK");
    expect(zh).to.deep.include({ status: "UNABLE_TO_CHECK", reasons: ["CHAIN_DISAGREEMENT"], title: "未能核實" });
    expect(zh.reasonText).to.include("答覆不一致");
    expect(zh.next).to.include("請通知本核實網站的營運者");
  });
});
