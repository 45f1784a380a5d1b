/**
 * Finding the department's certificates (`GET /certificates?q=`: number, candidate number, name) and
 * listing them (number, name, type, issue date, batch, status), each with a button that opens it in the
 * detail view.
 */
import { CERTIFICATE_TYPES } from "../../../core/types/index.ts";
import { byId, h } from "../dom.ts";
import { formatDate } from "../format.ts";
import { pt } from "../portal-strings.ts";
import type { PortalKey } from "../portal-strings.ts";
import { problemOf, statusBadge } from "../portal.ts";
import type { Language } from "../strings.ts";
import { searchCertificates } from "./api.ts";
import type { CertificateSummary } from "./api.ts";
import { portal, shown } from "./state.ts";

const elements = {
  searchForm: byId<HTMLFormElement>("search-form"),
  searchQ: byId<HTMLInputElement>("search-q"),
  searchResults: byId("search-results"),
};

/** Wires the search form; `open` opens the certificate whose button was pressed. */
export function wireSearch(open: (id: string) => void): void {
  elements.searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void search();
  });
  elements.searchResults.addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-open]");
    if (button?.dataset.open) open(button.dataset.open);
  });
}

/** Runs the search in the form again when results are shown (a certificate's status changed). */
export function refreshResults(): void {
  if (shown.results) void search();
}

/** Forgets the results (signing out). */
export function clearResults(): void {
  shown.results = undefined;
  elements.searchResults.replaceChildren();
}

/** Shows a failure below the results (a certificate that could not be opened). */
export function sayBelowResults(error: unknown): void {
  const message = problemOf(error);
  elements.searchResults.append(
    h("p", { class: "message message--error", role: "alert" }, pt(message.key, portal.lang, message.values)),
  );
}

async function search(): Promise<void> {
  const q = elements.searchQ.value.trim();
  try {
    shown.results = await searchCertificates(q);
    drawResults();
  } catch (error) {
    shown.results = undefined;
    const message = problemOf(error);
    elements.searchResults.replaceChildren(
      h("p", { class: "message message--error", role: "alert" }, pt(message.key, portal.lang, message.values)),
    );
  }
}

/** The candidate's name in `lang` (or the other language, when the certificate has only that). */
export function nameOf(summary: CertificateSummary, lang: Language): string {
  const name = summary.search?.name;
  if (typeof name === "string") return name;
  if (name && typeof name === "object") {
    const text = name as Record<string, unknown>;
    return String(text[lang] ?? text.en ?? text["zh-HK"] ?? "");
  }
  return "";
}

/** The type's title in `lang`, or its id when no schema defines it. */
export function typeTitle(typeId: string, lang: Language): string {
  return CERTIFICATE_TYPES.find((t) => t.id === typeId)?.title[lang] ?? typeId;
}

export function drawResults(): void {
  const results = shown.results;
  if (!results) return;
  const { lang } = portal;
  if (results.length === 0) {
    elements.searchResults.replaceChildren(h("p", { class: "note", id: "search-none" }, pt("search.none", lang)));
    return;
  }
  const table = h(
    "table",
    { class: "table", id: "results-table" },
    h("caption", {}, pt("search.caption", lang, { count: String(results.length) })),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...(
          [
            "search.number",
            "search.name",
            "search.type",
            "search.issued",
            "search.batch",
            "search.status",
          ] as PortalKey[]
        ).map((k) => h("th", { scope: "col" }, pt(k, lang))),
        h("th", { scope: "col" }, pt("detail.action", lang)),
      ),
    ),
    h(
      "tbody",
      {},
      ...results.map((r) =>
        h(
          "tr",
          { "data-id": r.id },
          h("td", { class: "table__nowrap" }, r.certificateNumber),
          h("td", {}, nameOf(r, lang)),
          h("td", {}, typeTitle(r.type, lang)),
          h("td", { class: "table__nowrap" }, r.issuedAt ? formatDate(r.issuedAt, lang) : "—"),
          h("td", { class: "table__nowrap" }, r.batchId),
          h("td", {}, statusBadge(r.status, lang)),
          h(
            "td",
            {},
            h(
              "button",
              {
                type: "button",
                class: "button button--secondary",
                "data-open": r.id,
                "aria-label": pt("search.open", lang, { number: r.certificateNumber }),
              },
              pt("search.openShort", lang),
            ),
          ),
        ),
      ),
    ),
  );
  elements.searchResults.replaceChildren(h("div", { class: "table-wrap" }, table));
}
