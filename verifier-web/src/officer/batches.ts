/**
 * The department's uploads (`GET /batches`), newest first: state, counts, who uploaded and who released
 * or rejected, the batch's PDFs as one zip (`GET /batches/{id}/pdfs.zip`, a link: the session cookie
 * goes with it) and its claim letters (`POST /batches/{id}/claim-letters`, after a warning: every
 * certificate of the batch gets a new claim code).
 */
import { byId, h } from "../dom.ts";
import { formatDateTime } from "../format.ts";
import { pt } from "../portal-strings.ts";
import type { PortalKey } from "../portal-strings.ts";
import { problemOf, setDownload } from "../portal.ts";
import { claimLetters, listBatches } from "./api.ts";
import type { BatchSummary } from "./api.ts";
import { typeTitle } from "./search.ts";
import { can, portal } from "./state.ts";

const elements = {
  batches: byId("batches"),
  list: byId("batches-list"),
  refresh: byId<HTMLButtonElement>("batches-refresh"),
  message: byId("batches-message"),
};

const state = {
  batches: undefined as BatchSummary[] | undefined,
  /** The batch whose claim letters wait for the officer's confirmation. */
  confirming: undefined as string | undefined,
  letters: undefined as { id: string; url: string } | undefined,
};

/** A batch's state as words. */
export function batchStateText(value: string, lang: "en" | "zh-HK"): string {
  return pt(`batchState.${value}` as PortalKey, lang);
}

export function wireBatches(): void {
  elements.refresh.addEventListener("click", () => void loadBatches());
  elements.list.addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-letters], button[data-confirm]");
    if (!button) return;
    if (button.dataset.letters) {
      state.confirming = button.dataset.letters;
      drawBatches();
      byId("letters-no").focus();
    } else if (button.dataset.confirm === "yes") void printLetters();
    else {
      state.confirming = undefined;
      drawBatches();
    }
  });
}

/** Reads the department's uploads again. */
export async function loadBatches(): Promise<void> {
  try {
    state.batches = await listBatches();
    drawBatches();
  } catch (error) {
    portal.say(elements.message, problemOf(error), "error");
  }
}

export function clearBatches(): void {
  state.batches = undefined;
  state.confirming = undefined;
  state.letters = undefined;
  elements.list.replaceChildren();
  portal.say(elements.message, undefined);
}

async function printLetters(): Promise<void> {
  const id = state.confirming;
  if (!id) return;
  state.confirming = undefined;
  try {
    const blob = await claimLetters(id);
    const link = h("a", { href: "#" });
    setDownload(link, blob, `claim-letters-${id}.pdf`);
    state.letters = { id, url: link.href };
    drawBatches();
    byId<HTMLAnchorElement>("letters-download").focus();
  } catch (error) {
    drawBatches();
    portal.say(elements.message, problemOf(error), "error");
  }
}

export function drawBatches(): void {
  const batches = state.batches;
  if (!batches) return;
  const { lang } = portal;
  if (batches.length === 0) {
    elements.list.replaceChildren(h("p", { class: "note", id: "batches-none" }, pt("batches.none", lang)));
    return;
  }
  const letters = can("status");
  const rows = batches.map((b) =>
    h(
      "tr",
      { "data-batch": b.id, "data-state": b.state },
      h("td", { class: "table__nowrap" }, b.id, h("br"), h("span", { class: "note" }, typeTitle(b.type, lang))),
      h("td", {}, formatDateTime(b.createdAt, lang, "medium")),
      h("td", { class: "batch-state" }, batchStateText(b.state, lang)),
      h(
        "td",
        {},
        pt("batches.countsText", lang, {
          accepted: String(b.accepted),
          issued: String(b.progress.issued ?? 0),
          errors: String(b.errorCount),
        }),
      ),
      h("td", { class: "batch-requested" }, b.requestedBy?.name ?? "–"),
      h("td", { class: "batch-decided" }, b.decidedBy?.name ?? "–"),
      h(
        "td",
        {},
        b.state === "released" && (b.progress.issued ?? 0) > 0
          ? h(
              "div",
              { class: "actions actions--tight" },
              h(
                "a",
                {
                  class: "button button--secondary",
                  href: `/api/v1/batches/${encodeURIComponent(b.id)}/pdfs.zip`,
                  download: `${b.id}.zip`,
                  "aria-label": pt("batches.zipLabel", lang, { id: b.id }),
                },
                pt("batches.zip", lang),
              ),
              letters
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "button button--secondary",
                      "data-letters": b.id,
                      "aria-label": pt("batches.lettersLabel", lang, { id: b.id }),
                    },
                    pt("batches.letters", lang),
                  )
                : null,
            )
          : "–",
      ),
    ),
  );
  const table = h(
    "table",
    { class: "table", id: "batches-table" },
    h("caption", {}, pt("batches.caption", lang, { count: String(batches.length) })),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...(
          [
            "batches.batch",
            "search.issued",
            "batches.state",
            "batches.counts",
            "batches.uploadedBy",
            "batches.decidedBy",
            "batches.documents",
          ] as PortalKey[]
        ).map((k) => h("th", { scope: "col" }, pt(k, lang))),
      ),
    ),
    h("tbody", {}, ...rows),
  );
  const confirm = state.confirming
    ? h(
        "div",
        { class: "confirm", role: "alertdialog", "aria-labelledby": "letters-text", id: "letters-confirm" },
        h("p", { id: "letters-text" }, pt("batches.lettersWarning", lang, { id: state.confirming })),
        h(
          "div",
          { class: "actions" },
          h(
            "button",
            { type: "button", class: "button", "data-confirm": "yes", id: "letters-yes" },
            pt("detail.confirm", lang),
          ),
          h(
            "button",
            { type: "button", class: "button button--secondary", "data-confirm": "no", id: "letters-no" },
            pt("detail.cancel", lang),
          ),
        ),
      )
    : null;
  const ready = state.letters
    ? h(
        "p",
        { class: "message message--ok", role: "status" },
        h(
          "a",
          { id: "letters-download", href: state.letters.url, download: `claim-letters-${state.letters.id}.pdf` },
          pt("batches.lettersDownload", lang),
        ),
      )
    : null;
  elements.list.replaceChildren(
    h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": pt("batches.heading", lang) }, table),
    confirm ?? "",
    ready ?? "",
  );
}
