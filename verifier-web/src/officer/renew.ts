/**
 * Renewal: a new certificate of the same type, from a form prefilled with the fields of the one shown
 * (read from its credential); a refused field is named beside it. Edits survive a language switch.
 */
import type { Credential } from "../../../core/credential.ts";
import { hongKongDate } from "../../../core/time.ts";
import { CERTIFICATE_TYPES } from "../../../core/types/index.ts";
import type { CertificateTypeSchema } from "../../../core/types/index.ts";
import { byId, h } from "../dom.ts";
import { valueAt } from "../format.ts";
import { pt } from "../portal-strings.ts";
import { problemOf } from "../portal.ts";
import { credential as credentialOf, renew as sendRenewal } from "./api.ts";
import type { RowError } from "./api.ts";
import { can, portal, shown } from "./state.ts";

const elements = {
  renew: byId("renew"),
  renewForm: byId<HTMLFormElement>("renew-form"),
  renewFields: byId("renew-fields"),
  renewSubmit: byId<HTMLButtonElement>("renew-submit"),
  renewMessage: byId("renew-message"),
  renewErrors: byId("renew-errors"),
};

const state = {
  /** The form's values (CSV column -> cell text), first those of the certificate shown. */
  values: undefined as Record<string, string> | undefined,
  errors: undefined as RowError[] | undefined,
};

export function wireRenew(): void {
  elements.renewForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void renew();
  });
  // Edits survive a language switch (the form is drawn again with its labels in the other language).
  elements.renewFields.addEventListener("input", (event) => {
    const control = event.target as HTMLInputElement;
    if (state.values && control.dataset.column) state.values[control.dataset.column] = control.value;
  });
}

function schemaOf(typeId: string): CertificateTypeSchema | undefined {
  return CERTIFICATE_TYPES.find((t) => t.id === typeId);
}

/** Loads the credential of the certificate shown, for the renewal form's first values. */
export async function loadRenew(id: string): Promise<void> {
  state.values = undefined;
  state.errors = undefined;
  portal.say(elements.renewMessage, undefined);
  elements.renewErrors.replaceChildren();
  elements.renewFields.replaceChildren();
  const detail = shown.detail;
  const schema = detail && schemaOf(detail.type);
  if (!detail || !schema || !can("issue") || (detail.status !== "issued" && detail.status !== "suspended")) {
    elements.renew.hidden = true;
    return;
  }
  try {
    const credential = await credentialOf(id);
    if (shown.detail?.id !== id) return;
    state.values = valuesOf(schema, credential);
    elements.renew.hidden = false;
    drawRenew();
  } catch (error) {
    console.error("credential for renewal failed", error);
    elements.renew.hidden = true;
  }
}

/** The credential's claims as CSV cells (lists one item per line, validity as Hong Kong dates). */
function valuesOf(schema: CertificateTypeSchema, credential: Credential): Record<string, string> {
  const values: Record<string, string> = {};
  for (const column of schema.columns) {
    const value = valueAt(credential.credentialSubject, column.path);
    if (value === undefined || value === null) values[column.column] = "";
    else values[column.column] = Array.isArray(value) ? value.map(String).join("\n") : String(value);
  }
  if (schema.validity.kind === "period") {
    values[schema.validity.validFrom.column] = dateValue(credential.validFrom);
    values[schema.validity.validUntil.column] = credential.validUntil ? dateValue(credential.validUntil) : "";
  }
  return values;
}

/** A validity bound as a date input's value: its Hong Kong day, `YYYY-MM-DD`; empty when it is not a date-time. */
function dateValue(value: string): string {
  return Number.isNaN(Date.parse(value)) ? "" : hongKongDate(value);
}

export function drawRenew(): void {
  const detail = shown.detail;
  const schema = detail && schemaOf(detail.type);
  const values = state.values;
  if (!schema || !values || elements.renew.hidden) return;
  const { lang } = portal;
  const errors = new Map((state.errors ?? []).filter((e) => e.column).map((e) => [e.column!, e.message[lang]]));
  const field = (column: string, label: string, control: HTMLElement, hint?: string): HTMLElement => {
    const id = `renew-${column}`;
    control.id = id;
    control.dataset.column = column;
    control.classList.add("input");
    const hintId = hint ? `${id}-hint` : undefined;
    const errorId = errors.has(column) ? `${id}-error` : undefined;
    const describedBy = [hintId, errorId].filter(Boolean).join(" ");
    if (describedBy) control.setAttribute("aria-describedby", describedBy);
    if (errorId) control.setAttribute("aria-invalid", "true");
    return h(
      "div",
      { class: "form-field" },
      h("label", { for: id }, label),
      control,
      hint ? h("p", { class: "hint", id: hintId }, hint) : null,
      errorId ? h("p", { class: "message message--error", id: errorId }, errors.get(column)!) : null,
    );
  };
  const fields: HTMLElement[] = [];
  for (const column of schema.columns) {
    const value = values[column.column] ?? "";
    let control: HTMLElement;
    if (column.kind === "enum") {
      control = h(
        "select",
        {},
        ...column.values.map((v) =>
          h("option", { value: v, selected: v === value }, column.valueLabels?.[v]?.[lang] ?? v),
        ),
      );
    } else if (column.kind === "list") {
      control = h("textarea", { rows: 3 }, value);
    } else {
      control = h("input", {
        type: column.kind === "date" ? "date" : column.kind === "integer" ? "number" : "text",
        value,
        autocomplete: "off",
        spellcheck: "false",
      });
    }
    fields.push(
      field(
        column.column,
        column.label[lang],
        control,
        column.kind === "list" ? pt("renew.listHint", lang) : undefined,
      ),
    );
  }
  if (schema.validity.kind === "period") {
    for (const bound of [schema.validity.validFrom, schema.validity.validUntil]) {
      fields.push(
        field(bound.column, bound.label[lang], h("input", { type: "date", value: values[bound.column] ?? "" })),
      );
    }
  }
  elements.renewFields.replaceChildren(h("div", { class: "form-grid" }, ...fields));
}

/** Sends the renewal (fields keyed by CSV column, lists as arrays). */
async function renew(): Promise<void> {
  const detail = shown.detail;
  const schema = detail && schemaOf(detail.type);
  if (!detail || !schema || !state.values) return;
  const fields: Record<string, string | string[]> = {};
  for (const control of elements.renewFields.querySelectorAll<
    HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement
  >("[data-column]")) {
    const column = control.dataset.column!;
    state.values[column] = control.value;
    const list = schema.columns.find((c) => c.column === column && c.kind === "list");
    if (list)
      fields[column] = control.value
        .split("\n")
        .map((item) => item.trim())
        .filter(Boolean);
    else if (control.value.trim() !== "") fields[column] = control.value;
  }
  elements.renewSubmit.disabled = true;
  try {
    const answer = await sendRenewal(detail.id, fields);
    const issuedRenewal = answer.certificates[0];
    state.errors = issuedRenewal ? undefined : answer.errors;
    drawRenew();
    if (issuedRenewal) {
      elements.renew.dataset.renewal = issuedRenewal.id;
      portal.say(
        elements.renewMessage,
        { key: "renew.accepted", values: { number: issuedRenewal.certificateNumber, code: issuedRenewal.claimCode } },
        "ok",
      );
    } else {
      portal.say(elements.renewMessage, { key: "renew.refused" }, "error");
      elements.renewFields.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
    }
  } catch (error) {
    portal.say(elements.renewMessage, problemOf(error), "error");
  } finally {
    elements.renewSubmit.disabled = false;
  }
}
