/**
 * How every page shows a certificate's fields: a claim found by its schema path, an enum or a list by
 * the schema's labels, a calendar date, a validity bound and an instant in Hong Kong, in the page's
 * language; and the label/value list they are shown in. The verifier's result view (`render.ts`), the
 * candidate page and the officer page all format through here.
 */
import { pathTokens } from "../../core/types/index.ts";
import type { CertificateTypeSchema, ColumnSchema, LocalizedText } from "../../core/types/index.ts";
import { h } from "./dom.ts";
import type { Language } from "./strings.ts";

/** The `Intl` locale of each page language. */
const LOCALE: Record<Language, string> = { en: "en-HK", "zh-HK": "zh-HK" };

/**
 * The claim at a schema `path` (`/name/en`) of a credential subject (or a verified certificate's
 * fields), own members only; `undefined` when it is absent (hidden, or not in this credential).
 */
export function valueAt(subject: unknown, path: string): unknown {
  let value: unknown = subject;
  for (const token of pathTokens(path)) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, token))
      return undefined;
    value = (value as Record<string, unknown>)[token];
  }
  return value;
}

/** A claim as the page shows it: a list as a list, an enum by its label, a date as a calendar date. */
export function formatValue(column: ColumnSchema, value: unknown, lang: Language): Node | string {
  if (column.kind === "list" && Array.isArray(value)) {
    const labels = column.item.kind === "enum" ? column.item.valueLabels : undefined;
    return h("ul", { class: "list-value" }, ...value.map((item) => h("li", {}, labelled(String(item), labels, lang))));
  }
  if (column.kind === "enum" && typeof value === "string") return labelled(value, column.valueLabels, lang);
  if (column.kind === "date" && typeof value === "string") return formatCalendarDate(value, lang);
  if (typeof value === "string" || typeof value === "number") return String(value);
  return JSON.stringify(value);
}

function labelled(value: string, labels: Readonly<Record<string, LocalizedText>> | undefined, lang: Language): string {
  return labels && Object.hasOwn(labels, value) ? labels[value][lang] : value;
}

/** The schema's label for the certificate number, if it has one. */
export function numberLabel(schema: CertificateTypeSchema | undefined): LocalizedText | undefined {
  return schema?.certificateNumber?.label ?? schema?.columns.find((c) => c.path === "/certificateNumber")?.label;
}

/** A `YYYY-MM-DD` field: the calendar date, whatever the reader's time zone. */
export function formatCalendarDate(value: string, lang: Language): string {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: "long", timeZone: "UTC" }).format(date);
}

/** A validity bound (an ISO date-time): its day in Hong Kong. */
export function formatDate(value: string, lang: Language): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: "long", timeZone: "Asia/Hong_Kong" }).format(date);
}

/**
 * An instant (an ISO date-time) in Hong Kong time: `long` (the verifier's anchor time) or `medium`
 * (the officer's history lines).
 */
export function formatDateTime(value: string, lang: Language, style: "long" | "medium" = "long"): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(LOCALE[lang], {
    dateStyle: style,
    timeStyle: style,
    timeZone: "Asia/Hong_Kong",
  }).format(date);
}

/** Label/value rows as the pages' field list (`dl.fields`). */
export function fieldList(rows: [string, Node | string][], id?: string): HTMLElement {
  const list = h("dl", { class: "fields", id });
  for (const [label, value] of rows)
    list.append(h("div", { class: "fields__row" }, h("dt", {}, label), h("dd", {}, value)));
  return list;
}
