import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { buildVerifierWeb } from "../../verifier-web/build.ts";
import { startEcertFixture, type EcertFixture, type IssuedBatch } from "../helpers/ecert-fixture.ts";
import { honestProxy } from "../helpers/lying-rpc.ts";
import { DEV_KEYS } from "../../server/chain/local-chain.ts";
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  closeBrowser,
  dropFile,
  flipByte,
  readVerdict,
  serveStatic,
} from "./browser-helpers.ts";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");

/** The page's serious or critical axe-core violations, as lines. */
async function axeProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(context: Document): Promise<{
            violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const { violations } = await axe.run(document);
    return violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
}

describe("verifier page in Chromium: input that is not a certificate, try again, the network and its links, the report, the issuer directory", function () {
  this.timeout(120_000);
  let f: EcertFixture;
  let dir: string;
  let browser: Browser;
  let host: Awaited<ReturnType<typeof serveStatic>>;
  let batch: IssuedBatch;
  /** Issued naming chain 999 (not a test network): read through {@link asChain999}. */
  let production: IssuedBatch;
  /** Row 2 of csb-cre.csv, revoked on chain (reason 3, fraud). */
  let revoked: IssuedBatch;
  /** A second honest endpoint, for a quorum read at an agreed block. */
  let rpc2: Awaited<ReturnType<typeof honestProxy>>;
  /** The chain's endpoint with CORS, as a public JSON-RPC endpoint answers the page. */
  let rpc: Awaited<ReturnType<typeof honestProxy>>;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(
        `    (skipped: ${CHROMIUM} is missing; install Debian's chromium package to run the verifier page tests)`,
      );
      this.skip();
    }
    f = await startEcertFixture();
    dir = await mkdtemp(path.join(tmpdir(), "ecert-result-page-"));
    batch = await f.issue("csb-cre.csv", "csb-cre", { rows: [0] });
    production = await f.issue("csb-cre.csv", "csb-cre", { rows: [1], chainId: 999 });
    revoked = await f.issue("csb-cre.csv", "csb-cre", { rows: [2] });
    await (await f.registryAs(DEV_KEYS.CSB).revoke(revoked.digests[0], 3)).wait();
    rpc2 = await honestProxy(f.rpcUrl);
    await buildVerifierWeb({ outDir: path.join(dir, "site") });
    rpc = await honestProxy(f.rpcUrl);
    host = await serveStatic(path.join(dir, "site"), { rpcUrls: [rpc.url], chainId: f.chainId, registry: f.registry });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await closeBrowser(browser);
    await Promise.all([host?.close(), rpc?.close(), rpc2?.close()]);
    await f?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A page at `url` in its own context (axe needs the CSP bypassed), failing on any page error. */
  async function open(url: string, locale: string): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
    const context = await browser.newContext({ locale, bypassCSP: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(url);
    await page.waitForSelector("body.ready");
    return { page, context, errors };
  }

  /** The input error shown in the result area, or a verdict when there is one. */
  async function inputError(page: Page) {
    await page.waitForSelector("#result[data-input-error], #result[data-status]");
    return page.evaluate(() => {
      const result = document.getElementById("result")!;
      return {
        inputError: result.dataset.inputError ?? null,
        status: result.dataset.status ?? null,
        text: result.textContent ?? "",
        focused: document.activeElement === result,
      };
    });
  }

  it("says a link to another site is not a certificate link (an input error, not INVALID), in English and Chinese, axe clean", async () => {
    for (const [locale, words, notWords] of [
      ["en-GB", "This is not a certificate link", "Do not rely"],
      ["zh-HK", "這並非證書連結", "請勿依賴"],
    ] as const) {
      const { page, context, errors } = await open(`${host.url}/`, locale);
      try {
        await page.fill("#link", "https://www.example.com/jobs/apply?id=42");
        await page.press("#link", "Enter");
        const shown = await inputError(page);
        expect(shown).to.deep.include({ inputError: "not-certificate-link", status: null, focused: true });
        expect(shown.text).to.include(words).and.not.include(notWords);
        expect(await page.$("#verdict-title")).to.equal(null);
        expect(await axeProblems(page)).to.deep.equal([]);
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
  });

  it("says a mistyped certificate link opened in the page is not a certificate link, with what is wrong with it", async () => {
    const good = f.qrUrl(batch.credentials[0]);
    const fragment = new URL(good).hash;
    // Cut short, as a link copied from a message that wrapped it would be.
    const cut = `${host.url}/${fragment.slice(0, Math.floor(fragment.length / 2))}`;
    for (const [locale, words] of [
      ["en-GB", "This is not a certificate link"],
      ["zh-HK", "這並非證書連結"],
    ] as const) {
      const { page, context, errors } = await open(cut, locale);
      try {
        const shown = await inputError(page);
        expect(shown).to.deep.include({ inputError: "not-certificate-link", status: null });
        expect(shown.text).to.include(words);
        // The core's own words on what could not be read (its well-formed check), in the page's language.
        expect(await page.textContent(".problem__detail")).to.not.equal("");
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
    // The same link whole is a certificate: VALID.
    const { page, context } = await open(`${host.url}/${fragment}`, "en-GB");
    try {
      expect((await readVerdict(page)).status).to.equal("VALID");
    } finally {
      await context.close();
    }
  });

  it('offers "Try again" on UNABLE TO CHECK, which checks the same document again (English and Chinese, axe clean)', async () => {
    const pdf = f.pdf(batch.credentials[0]);
    for (const [locale, button, verdict] of [
      ["en-GB", "Try again", "VALID"],
      ["zh-HK", "再試一次", "有效"],
    ] as const) {
      const { page, context, errors } = await open(`${host.url}/`, locale);
      try {
        let down = true;
        await page.route(`${rpc.url}/**`, (route) => (down ? route.abort("connectionrefused") : route.continue()));
        await dropFile(page, pdf, "certificate.pdf", "application/pdf");
        expect(await readVerdict(page)).to.deep.include({ status: "UNABLE_TO_CHECK", reasons: ["CHAIN_UNREACHABLE"] });
        expect(await page.textContent("[data-action=retry]")).to.equal(button);
        expect(await axeProblems(page)).to.deep.equal([]);
        down = false;
        await page.click("[data-action=retry]");
        await page.waitForSelector("#result[data-status=VALID]");
        expect((await readVerdict(page)).title).to.equal(verdict);
        expect(await page.textContent(".source")).to.include("certificate.pdf");
        // Only UNABLE TO CHECK offers it: a verdict on the document is not changed by asking again.
        expect(await page.$("[data-action=retry]")).to.equal(null);
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
  });

  it('shows "Test network: not an official certificate" for the local chain 31337 and a development signing certificate (both languages, axe clean), and links the issuer\'s website', async () => {
    for (const [locale, title, chain, signer] of [
      ["en-GB", "Test network: not an official certificate", "chain 31337", "development signing certificate"],
      ["zh-HK", "測試網絡：並非正式證書", "鏈 31337", "開發用簽署證書"],
    ] as const) {
      const { page, context, errors } = await open(`${host.url}/`, locale);
      try {
        await dropFile(page, f.pdf(batch.credentials[0]), "certificate.pdf", "application/pdf");
        expect((await readVerdict(page)).status).to.equal("VALID");
        expect(await page.getAttribute(".test-network", "data-test-network")).to.equal("chain signer");
        const banner = await page.textContent(".test-network");
        expect(banner).to.include(title).and.include(chain).and.include(signer);
        expect(banner).to.include("Civil Service Bureau (development)");
        // Above the verdict: read first.
        expect(await page.$("#result > .test-network + .verdict")).to.not.equal(null);
        expect(await page.getAttribute(".panel--issuer a", "href")).to.equal("https://csb.gov.hk/");
        // No explorerUrl in this config.json: the transaction is shown, not linked.
        expect(await page.$(".anchor__explorer")).to.equal(null);
        expect(await axeProblems(page)).to.deep.equal([]);
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
  });

  it("shows no test-network banner on a production chain, and links the anchoring transaction in the configured block explorer", async () => {
    const other = await serveStatic(path.join(dir, "site"), {
      rpcUrls: [rpc.url],
      chainId: 999,
      registry: f.registry,
      explorerUrl: "https://explorer.example.hk/hk-chain/",
    });
    const { page, context, errors } = await open(
      `${other.url}/${new URL(f.qrUrl(production.credentials[0])).hash}`,
      "en-GB",
    );
    try {
      await asChain999(page);
      await page.reload();
      const verdict = await readVerdict(page);
      expect(verdict.status).to.equal("VALID");
      expect(await page.$(".test-network")).to.equal(null);
      expect(await page.textContent("#result")).to.not.include("Test network");
      const link = await page.getAttribute(".anchor__explorer", "href");
      expect(await page.textContent(".anchor__explorer")).to.equal("(view in the block explorer)");
      expect(link).to.equal(`https://explorer.example.hk/hk-chain/tx/${production.txHash}`);
      expect(await page.getAttribute(".anchor__explorer", "rel")).to.equal("noopener noreferrer");
      await page.click("#lang-switch");
      expect(await page.textContent(".anchor__explorer")).to.include("在區塊瀏覽器查看");
      expect(await axeProblems(page)).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
      await other.close();
    }
  });

  /** The endpoint's `eth_chainId` answers 999 (0x3e7) in this page: a chain that is no test network. */
  async function asChain999(page: Page): Promise<void> {
    await page.route(`${rpc.url}/**`, async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      const response = await route.fetch();
      const asked = JSON.parse(route.request().postData() ?? "null") as unknown;
      const answered = (await response.json()) as unknown;
      const list = (value: unknown) =>
        (Array.isArray(value) ? value : [value]) as { id: unknown; method?: string; result?: unknown }[];
      const chainIdCalls = new Set(
        list(asked)
          .filter((r) => r.method === "eth_chainId")
          .map((r) => r.id),
      );
      for (const answer of list(answered)) if (chainIdCalls.has(answer.id)) answer.result = "0x3e7";
      await route.fulfill({ response, json: answered });
    });
  }

  it("says when (Hong Kong time), where and against what the check was made, and shows the checks' times as the details do (both languages)", async () => {
    const hkDate = (locale: string) =>
      new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "Asia/Hong_Kong" }).format(new Date());
    for (const [locale, lang, hkTime, latest] of [
      ["en-GB", "en-HK", "(Hong Kong time)", /^the latest block \(block (\d+) when checked\)$/],
      ["zh-HK", "zh-HK", "（香港時間）", /^最新區塊（核實時為第 (\d+) 個區塊）$/],
    ] as const) {
      const { page, context, errors } = await open(`${host.url}/`, locale);
      try {
        await dropFile(page, f.pdf(batch.credentials[0]), "certificate.pdf", "application/pdf");
        expect((await readVerdict(page)).status).to.equal("VALID");
        const rows = async () =>
          Object.fromEntries(
            await page.$$eval(".panel--report .fields__row", (items) =>
              items.map((i, n) => [n, i.querySelector("dd")!.textContent ?? ""]),
            ),
          ) as Record<number, string>;
        await page.waitForFunction(() => /\d/.test(document.querySelector("[data-report=block]")?.textContent ?? ""));
        const [at, verifier, chain, registry, block] = Object.values(await rows());
        expect(at).to.include(hkDate(lang)).and.include(hkTime);
        expect(verifier).to.equal(`${host.url}/`);
        expect(chain).to.equal("31337");
        expect(registry).to.equal(f.registry);
        const latestBlock = Number(block.match(latest)?.[1]);
        expect(latestBlock).to.be.at.least(batch.blockNumber!);
        // The anchor time in the checks list is the one of the details, in Hong Kong time, not raw UTC.
        const recordedAt = await page.$eval(".panel--anchor .fields__row dd", (dd) => dd.textContent ?? "");
        const checks = await page.textContent(".panel--checks");
        expect(checks).to.include(recordedAt).and.include(hkTime);
        expect(checks).to.not.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/);
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
    // With a quorum, the agreed block every endpoint was read at.
    const quorum = await serveStatic(path.join(dir, "site"), {
      rpcUrls: [rpc.url, rpc2.url],
      quorum: 2,
      chainId: f.chainId,
      registry: f.registry,
    });
    const { page, context } = await open(`${quorum.url}/`, "en-GB");
    try {
      await dropFile(page, f.pdf(batch.credentials[0]), "certificate.pdf", "application/pdf");
      expect((await readVerdict(page)).status).to.equal("VALID");
      expect(await page.textContent("[data-report=block]")).to.equal(
        `block ${Number(rpc2.state.callBlockTags.at(-1))}`,
      );
    } finally {
      await context.close();
      await quorum.close();
    }
  });

  it('prints a clean report ("Print report"): the verdict, the details as verified, issuer, anchor, the check and every check, without the page around it (both languages)', async () => {
    for (const [locale, button, heading] of [
      ["en-GB", "Print report", "HK e-Cert verification report"],
      ["zh-HK", "列印報告", "香港電子證書核實報告"],
    ] as const) {
      const { page, context, errors } = await open(`${host.url}/`, locale);
      try {
        await dropFile(page, f.pdf(batch.credentials[0]), "certificate.pdf", "application/pdf");
        expect((await readVerdict(page)).status).to.equal("VALID");
        await page.evaluate(() => {
          (window as unknown as { printed: number }).printed = 0;
          window.print = () => void (window as unknown as { printed: number }).printed++;
        });
        expect(await page.textContent("[data-action=print]")).to.equal(button);
        expect(await page.isVisible(".print-heading")).to.equal(false);
        await page.click("[data-action=print]");
        expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).to.equal(1);
        await page.emulateMedia({ media: "print" });
        const visible = async (selector: string) => page.isVisible(selector);
        for (const shown of [
          ".print-heading",
          ".verdict",
          ".panel--certificate",
          ".panel--issuer",
          ".panel--anchor",
          ".panel--report",
          ".panel--checks",
        ])
          expect(await visible(shown), shown).to.equal(true);
        for (const hidden of [".masthead", ".inputs", ".again", ".footer", ".tagline"])
          expect(await visible(hidden), hidden).to.equal(false);
        expect(await page.textContent(".print-heading")).to.equal(heading);
        const pdf = await page.pdf({ format: "A4" });
        expect(Buffer.from(pdf.subarray(0, 5)).toString("latin1")).to.equal("%PDF-");
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
  });

  it("lists a tampered document's checks as not trusted, not as green ticks (both languages, axe clean)", async () => {
    const pdf = f.pdf(batch.credentials[0]);
    for (const [locale, word] of [
      ["en-GB", "Not trusted"],
      ["zh-HK", "不可信"],
    ] as const) {
      const { page, context, errors } = await open(`${host.url}/`, locale);
      try {
        await dropFile(page, flipByte(pdf, Math.floor(pdf.length / 2)), "certificate.pdf", "application/pdf");
        expect(await readVerdict(page)).to.deep.include({ status: "INVALID", reasons: ["TAMPERED"] });
        const checks = await page.$$eval("[data-check]", (items) =>
          items.map((i) => ({
            status: i.getAttribute("data-check-status"),
            shown: i.getAttribute("data-check-shown"),
            word: i.querySelector(".check__status")?.textContent,
            pass: i.classList.contains("check--pass"),
          })),
        );
        const passed = checks.filter((c) => c.status === "pass");
        expect(passed.length).to.be.above(0);
        for (const check of passed) expect(check).to.deep.include({ shown: "untrusted", word, pass: false });
        expect(checks.some((c) => c.pass)).to.equal(false);
        expect(await axeProblems(page)).to.deep.equal([]);
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
    // A genuine one keeps its ticks.
    const { page, context } = await open(`${host.url}/`, "en-GB");
    try {
      await dropFile(page, pdf, "certificate.pdf", "application/pdf");
      expect((await readVerdict(page)).status).to.equal("VALID");
      expect(await page.$$eval(".check--pass", (items) => items.length)).to.equal(10);
      expect(await page.$("[data-check-shown=untrusted]")).to.equal(null);
    } finally {
      await context.close();
    }
  });

  it("gives the revocation's date and reason in the verdict box (both languages)", async () => {
    for (const [locale, words] of [
      ["en-GB", ["revoked on", "reason: "]],
      ["zh-HK", ["被撤銷", "（"]],
    ] as const) {
      const { page, context, errors } = await open(`${host.url}/`, locale);
      try {
        await dropFile(page, f.pdf(revoked.credentials[0]), "certificate.pdf", "application/pdf");
        expect(await readVerdict(page)).to.deep.include({ status: "INVALID", reasons: ["REVOKED"] });
        const detail = (await page.textContent(".verdict [data-reason=REVOKED] .verdict__detail"))!.trim();
        for (const word of words) expect(detail).to.include(word);
        expect(detail).to.equal((await page.textContent("[data-check=certificate-status] .check__message"))!.trim());
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
  });

  // Last: it stops FSD and adds and withdraws a CSB fingerprint on the shared chain.
  it("lists every registered department from the registry's events: names, website, signing-certificate fingerprints, active or stopped (both languages, axe clean)", async () => {
    const admin = f.registryAs(DEV_KEYS.admin);
    const csb = encodeBytes32String("CSB");
    const fsd = encodeBytes32String("FSD");
    const extra = `0x${"ab".repeat(32)}`;
    const csbCertificate = ((await admin.issuer(csb)) as { signingCertificate: string }).signingCertificate;
    expect(csbCertificate).to.match(/^0x(?!0{64})[0-9a-f]{64}$/);
    await (await admin.addSigningCertificate(csb, extra)).wait();
    await (await admin.removeSigningCertificate(csb, extra)).wait();
    await (await admin.stopIssuer(fsd)).wait();
    const fsdCertificate = ((await admin.issuer(fsd)) as { signingCertificate: string }).signingCertificate;
    for (const [locale, heading, csbName, active, stopped, withdrawn] of [
      ["en-GB", "Registered departments (2)", "Civil Service Bureau", "Active: may issue", "Stopped on", "(withdrawn)"],
      ["zh-HK", "已登記部門（2）", "公務員事務局", "有效：可簽發", "終止", "（已撤回）"],
    ] as const) {
      const { page, context, errors } = await open(`${host.url}/issuers.html`, locale);
      try {
        await page.waitForSelector("#issuers[data-count]");
        expect(await page.textContent(".issuers__heading")).to.equal(heading);
        // The local chain 31337: the same test-network banner as the verifier page.
        expect(await page.getAttribute(".test-network", "data-test-network")).to.equal("chain");
        const entries = await page.$$eval(".issuer-entry", (items) =>
          items.map((i) => ({
            id: i.getAttribute("data-issuer"),
            state: i.getAttribute("data-issuer-state"),
            name: i.querySelector("h3")?.textContent,
            website: i.querySelector("a")?.getAttribute("href"),
            text: i.textContent ?? "",
            certificates: [...i.querySelectorAll("[data-fingerprint]")].map((c) => [
              c.getAttribute("data-fingerprint"),
              c.getAttribute("data-withdrawn"),
            ]),
          })),
        );
        expect(entries.map((e) => [e.id, e.state, e.website])).to.deep.equal([
          ["CSB", "active", "https://csb.gov.hk/"],
          ["FSD", "stopped", "https://hkfsd.gov.hk/"],
        ]);
        expect(entries[0].name).to.equal(csbName);
        expect(entries[0].text).to.include(active).and.include(withdrawn);
        expect(entries[0].certificates).to.deep.include([csbCertificate, "false"]).and.deep.include([extra, "true"]);
        expect(entries[1].certificates).to.deep.include([fsdCertificate, "false"]);
        expect(entries[1].text).to.include(stopped);
        expect(await page.textContent("#footer-endpoints")).to.include(rpc.host);
        expect(await axeProblems(page)).to.deep.equal([]);
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
    // The verifier page links to it.
    const { page, context } = await open(`${host.url}/`, "en-GB");
    try {
      expect(await page.getAttribute("footer a", "href")).to.equal("issuers.html");
    } finally {
      await context.close();
    }
  });
});
