import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type BrowserContext, type FileChooser, type Page } from "playwright-core";
import { hideClaims } from "../../core/hideClaims.ts";
import { encodeCredentialUrl } from "../../core/qr/index.ts";
import type { Credential } from "../../core/credential.ts";
import { loadConfig } from "../../server/config.ts";
import { startServer, type RunningServer } from "../../server/start.ts";
import { DEFAULT_VERIFIER_DIST } from "../../verifier-web/build.ts";
import { sampleCsv } from "../server/pdf/documents-helpers.ts";
import { api, waitFor } from "../server/api/api-helpers.ts";
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  checkAnother,
  closeBrowser,
  closedPort,
  dropFile,
  flipByte,
  fontsLoaded,
  readVerdict,
  screenshotContext,
  serveStatic,
  writeQrVideo,
} from "./browser-helpers.ts";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
/** Set to a directory (e.g. docs/images) to keep the screenshots; otherwise they go to a temporary one. */
const SCREENSHOTS_DIR = process.env.VERIFIER_SCREENSHOTS_DIR;

type Issued = { id: string; pdf: Uint8Array; credential: Credential; qrUrl: string };

describe("verifier page in Chromium (embedded default server)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  /** A CSB exam result, issued. */
  let valid: Issued;
  /** A CSB exam result, revoked on chain. */
  let revoked: Issued;
  /** An FSD dangerous goods licence whose validity ended on 2026-02-10. */
  let expired: Issued;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(
        `    (skipped: ${CHROMIUM} is missing; install Debian's chromium package to run the verifier page tests)`,
      );
      this.skip();
    }
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-verifier-"));
    server = await startServer(
      loadConfig({ APPROVALS: "none", DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }),
    );
    const csb = server.dev!.apiKeys.CSB;
    const fsd = server.dev!.apiKeys.FSD;

    const cre = await api(server, "POST", "/batches?type=csb-cre", {
      key: csb,
      body: sampleCsv("csb-cre.csv"),
      contentType: "text/csv",
    });
    const dg = await api(server, "POST", "/batches?type=fsd-dg-licence", {
      key: fsd,
      body: sampleCsv("fsd-dg-licence.csv"),
      contentType: "text/csv",
    });
    expect(cre.status).to.equal(202);
    expect(dg.status).to.equal(202);
    for (const [batch, key] of [
      [cre, csb],
      [dg, fsd],
    ] as const) {
      await waitFor(
        async () => (await api(server, "GET", `/batches/${batch.json.batchId}`, { key })).json.done === true,
      );
    }
    const fetchIssued = async (id: string, key: string): Promise<Issued> => {
      const pdf = (await api(server, "GET", `/certificates/${id}/pdf`, { key })).bytes;
      const credential = (await api(server, "GET", `/certificates/${id}/credential`, { key })).json as Credential;
      return { id, pdf, credential, qrUrl: encodeCredentialUrl(server.dev!.verifierUrl, credential) };
    };
    valid = await fetchIssued(cre.json.certificates[0].id, csb);
    revoked = await fetchIssued(cre.json.certificates[1].id, csb);
    const expiredRow = dg.json.certificates.find(
      (c: { certificateNumber: string }) => c.certificateNumber === "DGL/2025/00011",
    );
    expired = await fetchIssued(expiredRow.id, fsd);

    expect(
      (
        await api(server, "POST", `/certificates/${revoked.id}/revoke`, {
          key: csb,
          json: { reason: "issued-in-error" },
        })
      ).status,
    ).to.equal(202);
    await waitFor(
      async () => (await api(server, "GET", `/certificates/${revoked.id}`, { key: csb })).json.status === "revoked",
    );

    // The page is built by the server at start when dist/ is missing or stale: the first request waits for it.
    expect((await fetch(`${server.url}/`)).status).to.equal(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" });
  });

  after(async () => {
    await closeBrowser(browser);
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A fresh page at the verifier, failing the test on any console error (a CSP violation is one). */
  async function openPage(url = `${server.url}/`, on: BrowserContext = context): Promise<Page & { errors: string[] }> {
    const page = (await on.newPage()) as Page & { errors: string[] };
    page.errors = [];
    page.on("console", (message) => {
      if (message.type() === "error") page.errors.push(message.text());
    });
    page.on("pageerror", (error) => page.errors.push(String(error)));
    await page.goto(url);
    await page.waitForSelector("body.ready");
    return page;
  }

  it("serves the page and its config.json under the strict CSP, with no inline script or style", async () => {
    const res = await fetch(`${server.url}/`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).to.include("script-src 'self'").and.include("style-src 'self'");
    const html = await res.text();
    expect(html).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).to.not.match(/\sstyle=|<style/i);
    expect(html).to.not.match(/\son[a-z]+=/i);
    const config = await (await fetch(`${server.url}/config.json`)).json();
    expect(config).to.deep.equal({ rpcUrls: ["/rpc"], chainId: 31337, registry: server.dev!.registry });
    const page = await openPage();
    expect(await page.getAttribute("html", "lang")).to.equal("en");
    expect((await page.textContent("h1"))?.trim()).to.equal("HK e-Cert Verifier");
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it("shows VALID for an issued PDF dropped on the page: the credential's fields, the issuer from the chain, the anchor, every check", async () => {
    const page = await openPage();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
    await dropFile(page, valid.pdf, "certificate.pdf", "application/pdf");
    const verdict = await readVerdict(page);
    expect(verdict.status).to.equal("VALID");
    expect(verdict.title).to.equal("VALID");
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("result");
    const details = await page.textContent(".panel--certificate");
    const subject = valid.credential.credentialSubject as unknown as {
      name: { en: string };
      candidateNumber: string;
      certificateNumber: string;
    };
    expect(details)
      .to.include(subject.name.en)
      .and.include(subject.candidateNumber)
      .and.include(subject.certificateNumber);
    expect(details).to.include("Use of Chinese").and.include("Common Recruitment Examination Result");
    expect(await page.textContent(".panel--issuer")).to.include("Civil Service Bureau");
    const anchor = await page.textContent(".panel--anchor");
    expect(anchor)
      .to.match(/0x[0-9a-f]{64}/)
      .and.include("Block");
    const checks = await page.$$eval("[data-check]", (items) =>
      items.map((i) => `${i.getAttribute("data-check")}:${i.getAttribute("data-check-status")}`),
    );
    expect(checks).to.have.length(10);
    expect(checks.filter((c) => c.endsWith(":pass"))).to.have.length(10);
    // Nothing but the chain reads left the page: no upload of the document.
    expect(requests.filter((r) => !r.startsWith("POST /rpc"))).to.deep.equal([]);
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it("prints the drop-to-verdict time of a PDF (cold, then warm)", async () => {
    const page = await openPage();
    const times: { page: number; wall: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      await dropFile(page, valid.pdf, "certificate.pdf", "application/pdf");
      const verdict = await readVerdict(page);
      times.push({ page: verdict.elapsedMs, wall: performance.now() - started });
      expect(verdict.status).to.equal("VALID");
      await checkAnother(page);
    }
    const warm = times
      .slice(1)
      .map((t) => t.page)
      .sort((a, b) => a - b);
    console.log(
      `      drop-to-verdict, ${valid.pdf.length} byte PDF: first ${times[0].page} ms (${Math.round(times[0].wall)} ms from the test's drop), ` +
        `then median ${warm[Math.floor(warm.length / 2)]} ms, max ${warm[warm.length - 1]} ms`,
    );
    await page.close();
  });

  it("shows INVALID (tampered) when one byte of the PDF is changed", async () => {
    const page = await openPage();
    await dropFile(page, flipByte(valid.pdf, Math.floor(valid.pdf.length / 2)), "certificate.pdf", "application/pdf");
    const verdict = await readVerdict(page);
    expect(verdict.status).to.equal("INVALID");
    expect(verdict.reasons).to.include("TAMPERED");
    expect(verdict.title).to.equal("INVALID");
    expect(await page.textContent("[data-reason=TAMPERED]")).to.include("changed after it was issued");
    // The details of a changed document are not shown as the issuer's, nor who anchored them.
    expect(await page.textContent(".panel--certificate")).to.include("not shown");
    expect(await page.$(".panel--issuer")).to.equal(null);
    expect(await page.textContent("[data-check=pdf-signature]")).to.include("Failed");
    await page.close();
  });

  it("shows INVALID (malformed) for a credential file holding a member twice, naming it and not showing the forged values", async () => {
    const page = await openPage();
    const text = JSON.stringify(valid.credential);
    const forged = { ...valid.credential.credentialSubject, certificateNumber: "FORGED-0001" };
    await dropFile(
      page,
      new TextEncoder().encode(`{"credentialSubject":${JSON.stringify(forged)},${text.slice(1)}`),
      "credential.json",
      "application/json",
    );
    const verdict = await readVerdict(page);
    expect(verdict.status).to.equal("INVALID");
    expect(verdict.reasons).to.include("MALFORMED");
    expect(await page.textContent("#result")).to.include('"credentialSubject" twice (at /credentialSubject)');
    expect(await page.textContent("#result")).to.not.include("FORGED-0001");
    await page.close();
  });

  it("shows INVALID (revoked) for the PDF of a certificate its issuer revoked", async () => {
    const page = await openPage();
    await dropFile(page, revoked.pdf, "revoked.pdf", "application/pdf");
    const verdict = await readVerdict(page);
    expect(verdict).to.deep.include({ status: "INVALID", reasons: ["REVOKED"] });
    expect(await page.textContent("[data-reason=REVOKED]")).to.include("revoked this certificate");
    expect(await page.textContent(".panel--next")).to.include("Do not accept");
    await page.close();
  });

  it("shows INVALID (expired) for a dangerous goods licence whose validity ended", async () => {
    const page = await openPage();
    await dropFile(page, expired.pdf, "licence.pdf", "application/pdf");
    const verdict = await readVerdict(page);
    expect(verdict).to.deep.include({ status: "INVALID", reasons: ["EXPIRED"] });
    expect(await page.textContent("[data-reason=EXPIRED]")).to.include("expired");
    const details = await page.textContent(".panel--certificate");
    expect(details).to.include("DGL/2025/00011").and.include("Valid until").and.include("10 February 2026");
    expect(await page.textContent(".panel--issuer")).to.include("Fire Services Department");
    await page.close();
  });

  it("shows VALID when the QR code's URL is opened directly, and checks again when the fragment changes", async () => {
    expect(valid.qrUrl).to.match(/\/#1-\d+$/);
    const page = await openPage(valid.qrUrl);
    expect((await readVerdict(page)).status).to.equal("VALID");
    expect(await page.textContent(".panel--issuer")).to.include("Civil Service Bureau");
    await page.evaluate((hash) => {
      location.hash = hash;
    }, new URL(revoked.qrUrl).hash);
    await page.waitForSelector("#result[data-status=INVALID]");
    expect((await readVerdict(page)).reasons).to.deep.equal(["REVOKED"]);
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it("checks a pasted share link (base64url form) and says so when the field is empty", async () => {
    const page = await openPage();
    await page.click("#link-form button[type=submit]");
    expect(await page.textContent("#link-message")).to.equal("Paste a verification link first.");
    await page.fill("#link", encodeCredentialUrl("https://verify.example.hk", valid.credential, { form: "base64url" }));
    await page.press("#link", "Enter");
    expect((await readVerdict(page)).status).to.equal("VALID");
    await page.close();
  });

  it('shows the fields the holder hid as "hidden", and the shared credential as VALID', async () => {
    const shared = hideClaims(valid.credential, ["/credentialSubject/hkidPartial", "/credentialSubject/name/zh-HK"]);
    const page = await openPage(encodeCredentialUrl(server.dev!.verifierUrl, shared));
    expect((await readVerdict(page)).status).to.equal("VALID");
    const rows = await page.$$eval(".panel--certificate .fields__row", (items) =>
      items.map((i) => [i.querySelector("dt")!.textContent, i.querySelector("dd")!.textContent]),
    );
    expect(rows).to.deep.include(["HKID No. (partial)", "hidden"]);
    expect(rows).to.deep.include(["Name (Chinese)", "hidden"]);
    expect(JSON.stringify(rows)).to.not.include(
      (valid.credential.credentialSubject as unknown as { hkidPartial: string }).hkidPartial,
    );
    await page.close();
  });

  it("checks a credential JSON chosen with the keyboard through the labelled file input", async () => {
    const page = await openPage();
    expect(await page.$eval("label[for=file]", (l) => l.textContent)).to.equal("Choose a PDF or credential file");
    let focused = "";
    for (let i = 0; i < 10 && focused !== "file"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement?.id ?? "");
    }
    expect(focused).to.equal("file");
    // Space on the focused input opens the chooser; on a loaded machine a keypress can land before the
    // page takes it, so press again (still with the keyboard) if no chooser came.
    let chooser: FileChooser | undefined;
    for (let attempt = 0; attempt < 3 && !chooser; attempt++) {
      const opened = page.waitForEvent("filechooser", { timeout: 5_000 }).catch(() => undefined);
      await page.keyboard.press("Space");
      chooser = await opened;
    }
    expect(chooser, "the keyboard opened the file chooser").to.not.equal(undefined);
    await chooser!.setFiles({
      name: "credential.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(valid.credential)),
    });
    expect((await readVerdict(page)).status).to.equal("VALID");
    expect(await page.textContent(".source")).to.include("credential.json");
    await page.close();
  });

  it("shows UNABLE TO CHECK, never INVALID, from a static copy of the page whose only endpoint is a closed port", async () => {
    const port = await closedPort();
    const host = await serveStatic(DEFAULT_VERIFIER_DIST, {
      rpcUrls: [`http://127.0.0.1:${port}/`],
      chainId: 31337,
      registry: server.dev!.registry,
    });
    try {
      const page = await openPage(`${host.url}/`);
      await dropFile(page, valid.pdf, "certificate.pdf", "application/pdf");
      const verdict = await readVerdict(page);
      expect(verdict).to.deep.include({
        status: "UNABLE_TO_CHECK",
        reasons: ["CHAIN_UNREACHABLE"],
        title: "UNABLE TO CHECK",
      });
      expect(await page.textContent(".verdict")).to.include("does not mean it is fake");
      expect(await page.textContent(".panel--next")).to.include("try again");
      await page.close();
    } finally {
      await host.close();
    }
  });

  it("falls back to the next endpoint when the first does not answer", async () => {
    const port = await closedPort();
    const page = await context.newPage();
    await page.route("**/config.json", (route) =>
      route.fulfill({
        json: { rpcUrls: [`http://127.0.0.1:${port}/`, "/rpc"], chainId: 31337, registry: server.dev!.registry },
      }),
    );
    await page.goto(`${server.url}/`);
    await dropFile(page, valid.pdf, "certificate.pdf", "application/pdf");
    expect((await readVerdict(page)).status).to.equal("VALID");
    await page.close();
  });

  it("switches the whole page, verdict and reasons included, between English and Traditional Chinese", async () => {
    // Its own context: the language chosen is remembered (localStorage), and must not leak into other tests.
    const own = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" });
    try {
      const page = await openPage(`${server.url}/`, own);
      await dropFile(page, flipByte(valid.pdf, Math.floor(valid.pdf.length / 2)), "certificate.pdf", "application/pdf");
      expect((await readVerdict(page)).title).to.equal("INVALID");
      expect(await page.textContent("#lang-switch")).to.equal("繁體中文");
      await page.click("#lang-switch");
      expect(await page.getAttribute("html", "lang")).to.equal("zh-HK");
      expect(await page.textContent("#verdict-title")).to.equal("無效");
      expect(await page.textContent("[data-reason=TAMPERED]")).to.include("曾被更改");
      expect((await page.textContent("h1"))?.trim()).to.equal("香港電子證書核實");
      expect(await page.textContent("label[for=file]")).to.equal("選擇PDF或憑證檔案");
      expect(await page.textContent("#lang-switch")).to.equal("English");
      expect(await page.getAttribute("#lang-switch", "lang")).to.equal("en");

      // A new verdict arrives in the chosen language; the choice is remembered on reload.
      await checkAnother(page);
      await dropFile(page, valid.pdf, "certificate.pdf", "application/pdf");
      expect((await readVerdict(page)).title).to.equal("有效");
      expect(await page.textContent(".panel--issuer")).to.include("公務員事務局");
      await page.reload();
      await page.waitForSelector("body.ready");
      expect(await page.getAttribute("html", "lang")).to.equal("zh-HK");
      await page.click("#lang-switch");
      expect(await page.getAttribute("html", "lang")).to.equal("en");
    } finally {
      await own.close();
    }
  });

  it("has no serious or critical axe-core violations (VALID and INVALID, both languages, desktop and phone)", async () => {
    // axe is injected as a script: allowed for this context only (the page's CSP forbids it, as it should).
    const axeContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const phoneContext = await browser.newContext({
      bypassCSP: true,
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const problems: string[] = [];
    try {
      for (const [label, on] of [
        ["desktop", axeContext],
        ["phone", phoneContext],
      ] as const) {
        for (const [name, pdf] of [
          ["VALID", valid.pdf],
          ["INVALID", flipByte(valid.pdf, Math.floor(valid.pdf.length / 2))],
        ] as const) {
          const page = await openPage(`${server.url}/`, on);
          await page.addScriptTag({ path: AXE });
          await dropFile(page, pdf, "certificate.pdf", "application/pdf");
          expect((await readVerdict(page)).status).to.equal(name);
          for (const lang of ["en", "zh-HK"]) {
            if ((await page.getAttribute("html", "lang")) !== lang) await page.click("#lang-switch");
            const violations = await page.evaluate(async () => {
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
            problems.push(...violations.map((v) => `${label} ${name} ${lang}: ${v}`));
          }
          await page.close();
        }
      }
    } finally {
      await axeContext.close();
      await phoneContext.close();
    }
    expect(problems).to.deep.equal([]);
  });

  it("fits a phone screen: no sideways scrolling, the verdict in view", async () => {
    const phone = await browser.newContext({
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    try {
      const page = await openPage(expired.qrUrl, phone);
      expect((await readVerdict(page)).status).to.equal("INVALID");
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).to.equal(0);
      const box = await page.$eval(".verdict", (e) => e.getBoundingClientRect().toJSON());
      expect(box.width).to.be.at.most(360);
    } finally {
      await phone.close();
    }
  });

  it("says clearly when the camera cannot be used (no camera, or permission refused)", async () => {
    const page = await openPage();
    await page.click("#scan");
    await page.waitForSelector("#scan-message:not([hidden])");
    await page.waitForFunction(() => !document.getElementById("scan-message")!.textContent!.startsWith("Starting"));
    const message = await page.textContent("#scan-message");
    expect(message).to.match(/No camera was found|Permission to use the camera was refused|cannot use a camera/);
    expect(await page.isHidden("#scan-view")).to.equal(true);
    expect(await page.getAttribute("#scan-message", "role")).to.equal("alert");
    await page.close();
  });

  it("scans the QR code with the camera (Chromium's fake camera showing the certificate's QR code) and shows VALID", async () => {
    const video = path.join(dataDir, "qr.y4m");
    await writeQrVideo(video, valid.qrUrl);
    const cameraBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        ...CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    try {
      const camera = await cameraBrowser.newContext({ permissions: ["camera"] });
      const page = await camera.newPage();
      await page.goto(`${server.url}/`);
      await page.waitForSelector("body.ready");
      await page.click("#scan");
      const verdict = await readVerdict(page, 30_000);
      expect(verdict.status).to.equal("VALID");
      expect(await page.textContent(".source")).to.include("Scanned QR code");
      // The camera is released once the code is read.
      await page.waitForSelector("#scan-view[hidden]", { state: "attached" });
      expect(await page.getAttribute("#scan", "aria-pressed")).to.equal("false");
    } finally {
      await closeBrowser(cameraBrowser);
    }
  });

  it("takes screenshots: desktop and phone, VALID and INVALID, English and Chinese", async () => {
    const dir = SCREENSHOTS_DIR ? path.resolve(SCREENSHOTS_DIR) : path.join(dataDir, "screenshots");
    await mkdir(dir, { recursive: true });
    // This machine has no CJK system font (every phone and desktop in Hong Kong has one): lend the
    // page Noto Sans HK for the screenshots only, as a system font would be used (CJK characters only).
    const shots: [string, { width: number; height: number }, Uint8Array | string, "en" | "zh-HK"][] = [
      ["verifier-desktop-valid-en", { width: 1280, height: 900 }, valid.pdf, "en"],
      [
        "verifier-desktop-invalid-zh",
        { width: 1280, height: 900 },
        flipByte(valid.pdf, Math.floor(valid.pdf.length / 2)),
        "zh-HK",
      ],
      ["verifier-phone-valid-zh", { width: 390, height: 844 }, valid.qrUrl, "zh-HK"],
      ["verifier-phone-expired-en", { width: 390, height: 844 }, expired.pdf, "en"],
      ["verifier-phone-start-en", { width: 390, height: 844 }, "", "en"],
    ];
    for (const [name, viewport, input, lang] of shots) {
      const phone = viewport.width < 600;
      const shotContext = await screenshotContext(browser, viewport, /\/app-[A-Z0-9]+\.css$/);
      try {
        const page = await openPage(typeof input === "string" && input ? input : `${server.url}/`, shotContext);
        if (lang === "zh-HK") await page.click("#lang-switch");
        if (input instanceof Uint8Array) await dropFile(page, input, "certificate.pdf", "application/pdf");
        if (input) await readVerdict(page);
        await fontsLoaded(page);
        if (input) await page.$eval("#result", (e) => e.scrollIntoView({ block: "start" }));
        await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: !phone || !input });
      } finally {
        await shotContext.close();
      }
    }
    console.log(`      screenshots in ${dir}`);
  });
});
