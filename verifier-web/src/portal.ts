/**
 * What the candidate and officer pages share: the language (saved with the verifier's choice), the
 * `data-i18n` texts, messages that follow a language switch, and calls to the issuer API.
 */
import { BaseError } from "../../core/base-error.ts";
import { byId } from "./dom.ts";
import { PORTAL_STRINGS, pt } from "./portal-strings.ts";
import type { PortalKey } from "./portal-strings.ts";
import { LANGUAGES } from "./strings.ts";
import type { Language } from "./strings.ts";

/** The verifier page's key: one language choice for every page of the site. */
const LANGUAGE_STORAGE_KEY = "hk-ecert-verifier-lang";

export type PortalMessage = { key: PortalKey; values?: Record<string, string> };

/**
 * The page language and its switch. `redraw` draws the page's dynamic parts again after a switch.
 */
export class Portal {
  lang: Language;
  readonly #messages = new Map<HTMLElement, PortalMessage>();
  readonly #redraw: () => void;

  constructor(redraw: () => void) {
    this.#redraw = redraw;
    this.lang = initialLanguage();
    byId<HTMLButtonElement>("lang-switch").addEventListener("click", () => {
      this.lang = this.lang === "en" ? "zh-HK" : "en";
      try {
        localStorage.setItem(LANGUAGE_STORAGE_KEY, this.lang);
      } catch {
        // storage may be disabled: the choice lasts for this page only
      }
      this.apply();
    });
  }

  /** Writes every text of the page in the current language. */
  apply(): void {
    const { lang } = this;
    document.documentElement.lang = lang;
    const titleKey = document.querySelector<HTMLElement>(".masthead__title [data-i18n]")?.dataset.i18n as PortalKey | undefined;
    if (titleKey) document.title = pt(titleKey, lang);
    for (const element of document.querySelectorAll<HTMLElement>("[data-i18n]")) element.textContent = pt(element.dataset.i18n as PortalKey, lang);
    for (const element of document.querySelectorAll<HTMLElement>("[data-i18n-aria-label]")) {
      element.setAttribute("aria-label", pt(element.dataset.i18nAriaLabel as PortalKey, lang));
    }
    const other: Language = lang === "en" ? "zh-HK" : "en";
    const button = byId<HTMLButtonElement>("lang-switch");
    button.lang = other;
    button.textContent = pt("lang.switch", lang);
    button.setAttribute("aria-label", `${pt("lang.switch", lang)}: ${pt("lang.switchLabel", lang)}`);
    for (const [element, message] of this.#messages) element.textContent = pt(message.key, lang, message.values);
    this.#redraw();
  }

  /** Shows `message` in `element` (and keeps it translated), or hides the element. */
  say(element: HTMLElement, message: PortalMessage | undefined, tone?: "ok" | "error"): void {
    if (tone) {
      element.classList.toggle("message--ok", tone === "ok");
      element.classList.toggle("message--error", tone === "error");
    }
    if (message) {
      this.#messages.set(element, message);
      element.textContent = pt(message.key, this.lang, message.values);
      element.hidden = false;
    } else {
      this.#messages.delete(element);
      element.textContent = "";
      element.hidden = true;
    }
  }
}

function initialLanguage(): Language {
  try {
    const saved = localStorage.getItem(LANGUAGE_STORAGE_KEY);
    if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Language;
  } catch {
    // storage may be disabled
  }
  return navigator.languages?.some((l) => /^zh\b/i.test(l)) ? "zh-HK" : "en";
}

/**
 * An answer of the issuer API that is not 2xx: its HTTP status, the server's stable error code (the
 * `error.code` of its body: `server/api/errors.ts`), or `HTTP_<status>` when the body has none, its
 * message, and the body itself (a 422 upload answer still lists the rows' errors).
 */
export class ApiError extends BaseError<string> {
  override name = "ApiError";
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, code: string, message: string, body: unknown) {
    super(code, message, { details: { status } });
    this.status = status;
    this.body = body;
  }
}

/** Calls `/api/v1<route>` on this server; resolves the JSON of a 2xx answer, rejects with {@link ApiError}. */
export async function callApi<T>(route: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(new URL(`api/v1${route}`, new URL("/", location.href)), {
    ...init,
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
  if (response.ok) return (await response.json()) as T;
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `HTTP ${response.status}`, body);
}

/** The message for a failed call: the server's own words, or "could not be reached". */
export function problemOf(error: unknown): PortalMessage {
  if (error instanceof ApiError) return { key: "common.server", values: { message: error.message } };
  return { key: "common.network" };
}

/** Keeps an object URL per element, revoking the previous one. */
export function setDownload(link: HTMLAnchorElement, blob: Blob, name: string): void {
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = name;
}

