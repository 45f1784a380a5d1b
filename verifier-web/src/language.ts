/**
 * The language of every page of the site (the verifier, `/claim`, `/officer`): the first choice (the one
 * saved, else the browser's languages), the switch button (`#lang-switch`) that changes and saves it,
 * the texts marked in the HTML (`data-i18n`, `data-i18n-aria-label`, the title from the masthead's key),
 * and the messages shown in the page, written again in the other language after a switch.
 *
 * Each page brings its own string table as a {@link Translate} function (`strings.ts` for the verifier,
 * `portal-strings.ts` for the candidate and officer pages).
 */
import { byId } from "./dom.ts";
import { LANGUAGES } from "./strings.ts";
import type { Language } from "./strings.ts";

/** `localStorage` key of the choice: one for every page of the site (named after the first page). */
const LANGUAGE_STORAGE_KEY = "hk-ecert-verifier-lang";

/** A page's string table: the text of `key` in `lang`, with `{name}` values filled in. */
export type Translate<K extends string> = (key: K, lang: Language, values?: Record<string, string>) => string;

/** A message of the page's string table, kept so that a language switch can write it again. */
export type PageMessage<K extends string> = { key: K; values?: Record<string, string> };

/** The language saved by any page of the site, else Chinese when the browser prefers it, else English. */
export function initialLanguage(): Language {
  try {
    const saved = localStorage.getItem(LANGUAGE_STORAGE_KEY);
    if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Language;
  } catch {
    // storage may be disabled; fall back to the browser's languages
  }
  return navigator.languages?.some((l) => /^zh\b/i.test(l)) ? "zh-HK" : "en";
}

/** Saves the choice for every page of the site (when storage is disabled, it lasts for this page only). */
export function saveLanguage(lang: Language): void {
  try {
    localStorage.setItem(LANGUAGE_STORAGE_KEY, lang);
  } catch {
    // not remembered; still switched
  }
}

/**
 * The page language and its switch. `redraw` draws the page's own dynamic parts again after
 * {@link PageLanguage.apply} has written the marked texts and the messages.
 *
 * @example
 * ```ts
 * const language = new PageLanguage(t, () => drawResult(false));
 * language.apply();
 * language.say(byId("link-message"), { key: "input.linkEmpty" });
 * ```
 */
export class PageLanguage<K extends string> {
  lang: Language;
  readonly #translate: Translate<K>;
  readonly #redraw: () => void;
  readonly #messages = new Map<HTMLElement, PageMessage<K>>();
  readonly #switch = byId<HTMLButtonElement>("lang-switch");

  constructor(translate: Translate<K>, redraw: () => void) {
    this.#translate = translate;
    this.#redraw = redraw;
    this.lang = initialLanguage();
    this.#switch.addEventListener("click", () => {
      this.lang = this.lang === "en" ? "zh-HK" : "en";
      saveLanguage(this.lang);
      this.apply();
    });
  }

  /** Writes every text of the page in the current language, then calls `redraw`. */
  apply(): void {
    const { lang } = this;
    const text = (key: string) => this.#translate(key as K, lang);
    document.documentElement.lang = lang;
    const titleKey = document.querySelector<HTMLElement>(".masthead__title [data-i18n]")?.dataset.i18n;
    if (titleKey) document.title = text(titleKey);
    for (const element of document.querySelectorAll<HTMLElement>("[data-i18n]"))
      element.textContent = text(element.dataset.i18n!);
    for (const element of document.querySelectorAll<HTMLElement>("[data-i18n-aria-label]")) {
      element.setAttribute("aria-label", text(element.dataset.i18nAriaLabel!));
    }
    // The switch names the other language, in that language.
    const other: Language = lang === "en" ? "zh-HK" : "en";
    this.#switch.lang = other;
    this.#switch.textContent = text("lang.switch");
    this.#switch.setAttribute("aria-label", `${text("lang.switch")}: ${text("lang.switchLabel")}`);
    for (const [element, message] of this.#messages)
      element.textContent = this.#translate(message.key, lang, message.values);
    this.#redraw();
  }

  /**
   * Shows `message` in `element` (and keeps it translated), or empties and hides the element;
   * `tone` sets its `message--ok` / `message--error` class.
   */
  say(element: HTMLElement, message: PageMessage<K> | undefined, tone?: "ok" | "error"): void {
    if (tone) {
      element.classList.toggle("message--ok", tone === "ok");
      element.classList.toggle("message--error", tone === "error");
    }
    if (message) {
      this.#messages.set(element, message);
      element.textContent = this.#translate(message.key, this.lang, message.values);
      element.hidden = false;
    } else {
      this.#messages.delete(element);
      element.textContent = "";
      element.hidden = true;
    }
  }

  /** The message shown in `element`, if any. */
  shown(element: HTMLElement): PageMessage<K> | undefined {
    return this.#messages.get(element);
  }
}
