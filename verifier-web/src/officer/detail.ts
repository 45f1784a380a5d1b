/**
 * One certificate: its status, its PDF, its history by person, its requested status changes and its
 * e-mail to the candidate; the status changes it allows (revoke, suspend, reinstate) with a reason and
 * a case note, sent after a confirmation step as a request another officer approves (or, where the
 * department needs no approval, followed until the chain has it); a new claim code, after a warning.
 */
import { DEPARTMENT_REASONS, REVOCATION_REASONS, revocationReasonOf } from "../../../core/revocationReasons.ts";
import type { DepartmentReason } from "../../../core/revocationReasons.ts";
import { byId, h } from "../dom.ts";
import { fieldList, formatDateTime } from "../format.ts";
import { EVENT_TEXT, pt, statusText } from "../portal-strings.ts";
import { problemOf, statusBadge } from "../portal.ts";
import type { Language } from "../strings.ts";
import { certificate, changeStatus, emailStatus, newClaimCode } from "./api.ts";
import type { EmailStatus, StatusChange } from "./api.ts";
import { batchStateText } from "./batches.ts";
import { loadRenew } from "./renew.ts";
import { nameOf, refreshResults, sayBelowResults, typeTitle } from "./search.ts";
import { POLL_MS, can, portal, shown } from "./state.ts";

const elements = {
  detail: byId("detail"),
  detailBody: byId("detail-body"),
  actionForm: byId<HTMLFormElement>("action-form"),
  actionKind: byId<HTMLSelectElement>("action-kind"),
  actionReason: byId<HTMLSelectElement>("action-reason"),
  actionSubmit: byId<HTMLButtonElement>("action-submit"),
  actionNote: byId<HTMLTextAreaElement>("action-note"),
  revokeFinal: byId("revoke-final"),
  claimCode: byId("claim-code"),
  claimCodeNew: byId<HTMLButtonElement>("claim-code-new"),
  claimCodeMessage: byId("claim-code-message"),
  confirm: byId("confirm"),
  confirmText: byId("confirm-text"),
  confirmFinal: byId("confirm-final"),
  confirmYes: byId<HTMLButtonElement>("confirm-yes"),
  confirmNo: byId<HTMLButtonElement>("confirm-no"),
  actionMessage: byId("action-message"),
};

const state = {
  /** The change awaiting confirmation. */
  pending: undefined as { kind: StatusChange; reason: DepartmentReason; note: string } | undefined,
  /** The candidate's e-mail (undefined: none, or not read yet). */
  email: undefined as EmailStatus | undefined,
  /** The officer pressed "new claim code" once: the warning asks them to confirm. */
  confirmingCode: false,
};

/** Wires the change form and its confirmation. */
export function wireDetail(): void {
  elements.actionForm.addEventListener("submit", (event) => {
    event.preventDefault();
    // The reason is the officer's choice, never a default: the placeholder refuses to be sent.
    const reason = elements.actionReason.value;
    if (!(DEPARTMENT_REASONS as readonly string[]).includes(reason)) {
      elements.actionReason.setAttribute("aria-invalid", "true");
      portal.say(elements.actionMessage, { key: "detail.reasonNeeded" }, "error");
      elements.actionReason.focus();
      return;
    }
    elements.actionReason.removeAttribute("aria-invalid");
    state.pending = {
      kind: elements.actionKind.value as StatusChange,
      reason: reason as DepartmentReason,
      note: elements.actionNote.value.trim(),
    };
    portal.say(elements.actionMessage, undefined);
    drawConfirm();
    elements.confirmNo.focus();
  });
  elements.confirmNo.addEventListener("click", () => {
    state.pending = undefined;
    drawConfirm();
    elements.actionSubmit.focus();
  });
  elements.confirmYes.addEventListener("click", () => void applyChange());
  elements.actionKind.addEventListener("change", drawFinal);
  elements.actionReason.addEventListener("change", () => {
    if (elements.actionReason.value) elements.actionReason.removeAttribute("aria-invalid");
  });
  elements.claimCodeNew.addEventListener("click", () => void replaceCode());
}

/** "Revocation is final" beside a revocation. */
function drawFinal(): void {
  elements.revokeFinal.hidden = elements.actionKind.value !== "revoke";
}

/** The first press warns (the old code stops working), the second makes the new code. */
async function replaceCode(): Promise<void> {
  const detail = shown.detail;
  if (!detail) return;
  if (!state.confirmingCode) {
    state.confirmingCode = true;
    portal.say(
      elements.claimCodeMessage,
      { key: "claimCode.confirm", values: { number: detail.certificateNumber } },
      "error",
    );
    elements.claimCodeNew.textContent = pt("detail.confirm", portal.lang);
    return;
  }
  state.confirmingCode = false;
  elements.claimCodeNew.textContent = pt("claimCode.button", portal.lang);
  elements.claimCodeNew.disabled = true;
  try {
    const answer = await newClaimCode(detail.id);
    portal.say(elements.claimCodeMessage, { key: "claimCode.made", values: { code: answer.claimCode } }, "ok");
  } catch (error) {
    portal.say(elements.claimCodeMessage, problemOf(error), "error");
  } finally {
    elements.claimCodeNew.disabled = false;
  }
}

/** Forgets the certificate shown (signing out). */
export function clearDetail(): void {
  shown.detail = undefined;
  state.pending = undefined;
  elements.detail.hidden = true;
}

/**
 * Reads the certificate `id` and shows it; `focus` (an officer opened it) also resets the change form,
 * loads the renewal form and moves the focus to it.
 */
export async function openDetail(id: string, focus: boolean): Promise<void> {
  try {
    const detail = await certificate(id);
    if (shown.detail?.id !== id) state.email = undefined;
    shown.detail = detail;
  } catch (error) {
    sayBelowResults(error);
    return;
  }
  elements.detail.hidden = false;
  drawDetail();
  if (focus) {
    state.pending = undefined;
    state.confirmingCode = false;
    elements.actionNote.value = "";
    elements.actionReason.value = "";
    elements.actionReason.removeAttribute("aria-invalid");
    drawConfirm();
    portal.say(elements.actionMessage, undefined);
    portal.say(elements.claimCodeMessage, undefined);
    void emailStatus(id)
      .then((email) => {
        state.email = email;
        drawDetail();
      })
      .catch(() => undefined);
    void loadRenew(id);
    elements.detail.focus();
  }
}

function reasonText(code: number | null | undefined, lang: Language): string | undefined {
  if (code === null || code === undefined) return undefined;
  const name = revocationReasonOf(code);
  return name ? REVOCATION_REASONS[name][lang] : String(code);
}

export function drawDetail(): void {
  const detail = shown.detail;
  if (!detail) return;
  const { lang } = portal;
  elements.detail.dataset.status = detail.status;
  const rows: [string, Node | string][] = [
    [pt("search.number", lang), detail.certificateNumber],
    [pt("search.type", lang), typeTitle(detail.type, lang)],
    [pt("search.name", lang), nameOf(detail, lang)],
    [pt("search.status", lang), statusBadge(detail.status, lang)],
  ];
  const reason =
    detail.status === "revoked" || detail.status === "suspended" ? reasonText(detail.reason, lang) : undefined;
  if (reason) rows.push([pt("detail.reasonNow", lang), reason]);
  const history = h(
    "ol",
    { class: "history", id: "detail-history" },
    ...detail.history.map((event) => {
      const words = Object.hasOwn(EVENT_TEXT, event.type) ? EVENT_TEXT[event.type][lang] : event.type;
      const why = reasonText(event.detail?.reason, lang);
      return h(
        "li",
        { "data-event": event.type },
        h("time", { datetime: event.at }, formatDateTime(event.at, lang, "medium")),
        " · ",
        words,
        why ? ` (${why})` : "",
        " · ",
        h("span", { class: "history__who" }, event.actorName ?? event.actor),
      );
    }),
  );
  const requests = detail.changeRequests ?? [];
  const email = state.email;
  elements.detailBody.replaceChildren(
    fieldList(rows, "detail-fields"),
    h(
      "div",
      { class: "actions" },
      h(
        "a",
        {
          class: "button button--secondary",
          id: "detail-pdf",
          href: `/api/v1/certificates/${encodeURIComponent(detail.id)}/pdf`,
          download: `${detail.certificateNumber}.pdf`,
        },
        pt("detail.pdf", lang),
      ),
    ),
    h("h3", {}, pt("detail.history", lang)),
    history,
    ...(requests.length === 0
      ? []
      : [
          h("h3", {}, pt("detail.requests", lang)),
          h(
            "ul",
            { class: "history", id: "detail-requests" },
            ...requests.map((r) =>
              h(
                "li",
                { "data-state": r.state },
                pt("detail.requestLine", lang, {
                  action: pt(`action.${r.kind}`, lang),
                  reason: r.reason ? REVOCATION_REASONS[r.reason][lang] : "–",
                  state: batchStateText(r.state, lang),
                  by: r.requestedBy.name,
                  decided: r.decidedBy ? pt("detail.decidedBy", lang, { by: r.decidedBy.name }) : "",
                }),
                r.note ? h("span", { class: "note" }, ` · ${pt("approvals.noteIs", lang, { note: r.note })}`) : "",
              ),
            ),
          ),
        ]),
    h("h3", {}, pt("detail.email", lang)),
    h(
      "p",
      { id: "detail-email" },
      email
        ? pt("detail.emailLine", lang, {
            status: pt(`email.${email.status}`, lang),
            to: email.toAddress,
            attempts: String(email.attempts),
            error: email.lastError ? ` · ${email.lastError}` : "",
          })
        : pt("detail.emailNone", lang),
    ),
  );
  elements.claimCode.hidden = !can("status") || (detail.status !== "issued" && detail.status !== "suspended");

  // The changes this status allows.
  const kinds: StatusChange[] =
    detail.status === "issued" ? ["revoke", "suspend"] : detail.status === "suspended" ? ["reinstate", "revoke"] : [];
  elements.actionForm.hidden = kinds.length === 0 || !can("status");
  const kind = elements.actionKind.value;
  elements.actionKind.replaceChildren(...kinds.map((k) => h("option", { value: k }, pt(`action.${k}`, lang))));
  if (kinds.includes(kind as StatusChange)) elements.actionKind.value = kind;
  const reasonName = elements.actionReason.value;
  elements.actionReason.replaceChildren(
    h("option", { value: "" }, pt("detail.chooseReason", lang)),
    ...DEPARTMENT_REASONS.map((r) => h("option", { value: r }, REVOCATION_REASONS[r][lang])),
  );
  elements.actionReason.value = reasonName;
  drawFinal();
  if (!state.confirmingCode) elements.claimCodeNew.textContent = pt("claimCode.button", lang);
}

export function drawConfirm(): void {
  const pending = state.pending;
  const detail = shown.detail;
  elements.confirm.hidden = !pending;
  elements.confirmFinal.hidden = pending?.kind !== "revoke";
  elements.actionSubmit.disabled = Boolean(pending);
  if (!pending || !detail) return;
  const { lang } = portal;
  elements.confirmText.textContent = pt("detail.confirmText", lang, {
    action: pt(`action.${pending.kind}`, lang),
    number: detail.certificateNumber,
    reason: REVOCATION_REASONS[pending.reason][lang],
  });
}

/** Sends the confirmed change, then follows the certificate until the chain has it. */
async function applyChange(): Promise<void> {
  const pending = state.pending;
  const detail = shown.detail;
  if (!pending || !detail) return;
  elements.confirmYes.disabled = true;
  try {
    const queued = await changeStatus(detail.id, pending.kind, pending.reason, pending.note || undefined);
    state.pending = undefined;
    elements.actionNote.value = "";
    elements.actionReason.value = "";
    drawConfirm();
    if (queued.state === "awaiting-approval") {
      portal.say(elements.actionMessage, { key: "detail.requested" }, "ok");
      await openDetail(detail.id, false);
      return;
    }
    portal.say(elements.actionMessage, { key: "detail.sent" }, "ok");
    const target = pending.kind === "revoke" ? "revoked" : pending.kind === "suspend" ? "suspended" : "issued";
    const deadline = Date.now() + 120_000;
    await openDetail(detail.id, false);
    while (shown.detail?.id === detail.id && shown.detail.status !== target && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      await openDetail(detail.id, false);
    }
    if (shown.detail?.status === target) {
      portal.say(
        elements.actionMessage,
        { key: "detail.changed", values: { status: statusText(target, portal.lang) } },
        "ok",
      );
      refreshResults();
      void loadRenew(detail.id);
    }
  } catch (error) {
    state.pending = undefined;
    drawConfirm();
    portal.say(elements.actionMessage, problemOf(error), "error");
  } finally {
    elements.confirmYes.disabled = false;
  }
}
