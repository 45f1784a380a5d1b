/**
 * Dates and times in the forms the project shows and stores: one place for each.
 * Hong Kong time is UTC+8 all year (no daylight saving).
 */

const HONG_KONG_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** The Hong Kong calendar date (UTC+8) of an ISO date-time or unix seconds, `YYYY-MM-DD`. */
export function hongKongDate(value: string | number): string {
  const ms = typeof value === "number" ? value * 1000 : Date.parse(value);
  return new Date(ms + HONG_KONG_OFFSET_MS).toISOString().slice(0, 10);
}

/** Unix seconds (or a Date, its milliseconds dropped) as ISO 8601, UTC, whole seconds: `2026-09-30T08:15:00Z`. */
export function isoSeconds(time: number | Date): string {
  const date = typeof time === "number" ? new Date(time * 1000) : time;
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Days since 1970-01-01 as an ISO calendar date, `YYYY-MM-DD`. */
export function isoDay(days1970: number): string {
  return new Date(days1970 * DAY_MS).toISOString().slice(0, 10);
}
