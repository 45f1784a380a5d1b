// Helpers for the verifier page tests. Nothing here runs on import.
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import type { Browser, BrowserContext, Page } from "playwright-core";
import QRCode from "qrcode";

const require = createRequire(import.meta.url);

/** Debian's Chromium (CI installs the `chromium` package). */
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** What the page shows once a verdict is in. */
export interface Verdict {
  status: string;
  reasons: string[];
  title: string;
  /** The page's own measure, from the input to the verdict drawn. */
  elapsedMs: number;
}

/** Waits for the result container to carry a verdict and reads it. */
export async function readVerdict(page: Page, timeoutMs = 20_000): Promise<Verdict> {
  await page.waitForSelector("#result[data-status]", { timeout: timeoutMs });
  return page.evaluate(() => {
    const result = document.getElementById("result")!;
    return {
      status: result.dataset.status ?? "",
      reasons: (result.dataset.reasons ?? "").split(" ").filter(Boolean),
      title: document.getElementById("verdict-title")?.textContent ?? "",
      elapsedMs: Number(result.dataset.elapsedMs),
    };
  });
}

/**
 * Drops a file on the page's drop zone as a user dragging it from the desktop would: `dragenter`,
 * `dragover`, `drop` with a `DataTransfer` holding the file.
 */
export async function dropFile(page: Page, bytes: Uint8Array, name: string, type: string): Promise<void> {
  await page.evaluate(
    ({ base64, name, type }) => {
      const raw = atob(base64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type }));
      const target = document.getElementById("dropzone")!;
      for (const event of ["dragenter", "dragover", "drop"]) {
        target.dispatchEvent(new DragEvent(event, { bubbles: true, cancelable: true, dataTransfer: transfer }));
      }
    },
    { base64: Buffer.from(bytes).toString("base64"), name, type },
  );
}

/** Clears the previous verdict (the "check another" button) so the next one can be awaited. */
export async function checkAnother(page: Page): Promise<void> {
  await page.click("[data-action=again]");
  await page.waitForSelector("#result[data-status]", { state: "detached", timeout: 5_000 }).catch(() => undefined);
  await page.waitForFunction(() => !document.getElementById("result")!.dataset.status);
}

/** A copy of `bytes` with the byte at `index` changed. */
export function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] ^= 0x01;
  return copy;
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".map": "application/json",
};

/**
 * A plain static web host for the built page (no Express, no API, no `/rpc`): serves the files of
 * `dir`, and `config` as `/config.json`.
 */
export async function serveStatic(dir: string, config: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    if (pathname === "/config.json") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(config));
      return;
    }
    const name = pathname === "/" ? "index.html" : path.basename(pathname);
    try {
      const body = await readFile(path.join(dir, name));
      res.writeHead(200, { "content-type": TYPES[path.extname(name)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes a Y4M video (what Chromium's fake camera plays, `--use-file-for-fake-video-capture`) of
 * `text` as a QR code, black on white, centred in a 1280 x 720 frame.
 */
export async function writeQrVideo(file: string, text: string): Promise<void> {
  const width = 1280;
  const height = 720;
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const scale = Math.floor((height - 40) / (size + 8));
  if (scale < 3) throw new Error(`QR code of ${size} modules is too large for the fake camera`);
  const left = Math.floor((width - size * scale) / 2);
  const top = Math.floor((height - size * scale) / 2);
  const luma = new Uint8Array(width * height).fill(235);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!qr.modules.get(y, x)) continue;
      for (let dy = 0; dy < scale; dy++)
        luma.fill(
          16,
          (top + y * scale + dy) * width + left + x * scale,
          (top + y * scale + dy) * width + left + (x + 1) * scale,
        );
    }
  }
  const chroma = new Uint8Array((width / 2) * (height / 2)).fill(128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  await writeFile(file, Buffer.concat([header, frame, frame]));
}

/** Closes a browser, never failing the suite when it is already gone. */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  await browser?.close().catch(() => undefined);
}

/**
 * A browser context for screenshots at `viewport` (a phone below 600 px wide), with Noto Sans HK served
 * for CJK characters (as a system font would be), appended to the page's stylesheet matching `stylesheet`.
 */
export async function screenshotContext(
  browser: Browser,
  viewport: { width: number; height: number },
  stylesheet: RegExp,
): Promise<BrowserContext> {
  const fonts = path.dirname(require.resolve("@expo-google-fonts/noto-sans-hk/package.json"));
  const phone = viewport.width < 600;
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: phone ? 2 : 1,
    isMobile: phone,
    hasTouch: phone,
    reducedMotion: "reduce",
  });
  await context.route("**/__test-fonts/*.ttf", async (route) => {
    const weight = route.request().url().includes("700")
      ? "700Bold/NotoSansHK_700Bold.ttf"
      : "400Regular/NotoSansHK_400Regular.ttf";
    await route.fulfill({ body: await readFile(path.join(fonts, weight)), contentType: "font/ttf" });
  });
  await context.route(stylesheet, async (route) => {
    const response = await route.fetch();
    const cjk = "unicode-range: U+2E80-33FF, U+3400-9FFF, U+F900-FAFF, U+FE30-FE4F, U+FF00-FFEF, U+20000-2FA1F";
    const faces =
      `@font-face { font-family: "Test CJK"; font-weight: 100 500; src: url("/__test-fonts/400.ttf"); ${cjk}; }\n` +
      `@font-face { font-family: "Test CJK"; font-weight: 600 900; src: url("/__test-fonts/700.ttf"); ${cjk}; }\n` +
      ':root { font-family: "Test CJK", system-ui, sans-serif; }\n';
    await route.fulfill({ response, body: `${await response.text()}\n${faces}` });
  });
  return context;
}

/** Waits until the screenshot fonts are loaded for CJK text. */
export async function fontsLoaded(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await Promise.all([
      document.fonts.load('400 16px "Test CJK"', "香港"),
      document.fonts.load('700 16px "Test CJK"', "香港"),
    ]);
    await document.fonts.ready;
  });
}
