/**
 * What the candidate and officer pages share: the page language with the portal's strings (the site's
 * one language choice, `language.ts`), calls to the issuer API, status badges and downloads.
 */
import { BaseError } from "../../core/base-error.ts";
import { h } from "./dom.ts";
import { PageLanguage } from "./language.ts";
import type { PageMessage } from "./language.ts";
import { PORTAL_STRINGS, pt, statusText } from "./portal-strings.ts";
import type { PortalKey } from "./portal-strings.ts";
import type { Language } from "./strings.ts";

export type PortalMessage = PageMessage<PortalKey>;

/**
 * The page language and its switch, with the portal's strings. `redraw` draws the page's dynamic parts
 * again after a switch.
 */
export class Portal extends PageLanguage<PortalKey> {
  constructor(redraw: () => void) {
    super(pt, redraw);
  }
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
  throw new ApiError(
    response.status,
    error?.code ?? `HTTP_${response.status}`,
    error?.message ?? `HTTP ${response.status}`,
    body,
  );
}

/** The server's words for a person in both languages (`error.details.message` of its body), if it gave them. */
export function serverMessage(body: unknown): { en: string; "zh-HK": string } | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const details = (error as { details?: unknown }).details;
  if (typeof details !== "object" || details === null) return undefined;
  const message = (details as { message?: unknown }).message;
  if (typeof message !== "object" || message === null) return undefined;
  const { en, "zh-HK": zh } = message as { en?: unknown; "zh-HK"?: unknown };
  return typeof en === "string" && typeof zh === "string" && en && zh ? { en, "zh-HK": zh } : undefined;
}

/**
 * The message for a failed call, in the page's language: the server's own words in both languages
 * (`error.details.message`) when it gave them, else the page's words for its error code (or for a busy
 * service), and only else its English `error.message`; "could not be reached" when there was no answer.
 */
export function problemOf(error: unknown): PortalMessage {
  if (!(error instanceof ApiError)) return { key: "common.network" };
  const words = serverMessage(error.body);
  if (words) return { key: "common.text", values: { en: words.en, zh: words["zh-HK"] } };
  const own = `error.${error.code}`;
  if (Object.hasOwn(PORTAL_STRINGS, own)) return { key: own as PortalKey };
  if (error.status === 503) return { key: "error.UNAVAILABLE" };
  return { key: "common.server", values: { message: error.message } };
}

/** Keeps an object URL per element, revoking the previous one. */
export function setDownload(link: HTMLAnchorElement, blob: Blob, name: string): void {
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = name;
}

/** A certificate's status as a badge (its words, never colour alone). */
export function statusBadge(status: string, lang: Language): HTMLElement {
  return h("span", { class: `status-badge status-badge--${status}` }, statusText(status, lang));
}
