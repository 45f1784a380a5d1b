/**
 * What the officer page's features share: the page language, the signed-in session, and the
 * certificate shown (the detail view and the renewal form both work on it). Each feature keeps the rest
 * of its state to itself.
 */
import type { CertificateDetail, CertificateSummary } from "./api.ts";
import { Portal } from "../portal.ts";

/** How often a batch or a status change is polled, in milliseconds. */
export const POLL_MS = 500;

const drawers: (() => void)[] = [];

/** The page language; after a switch, every feature's view is drawn again ({@link redrawOnSwitch}). */
export const portal = new Portal(() => {
  for (const draw of drawers) draw();
});

/** Draws these views again after each language switch, in this order. */
export function redrawOnSwitch(...draws: (() => void)[]): void {
  drawers.push(...draws);
}

export const session = {
  /** The department's API key, once `GET /me` accepted it. */
  key: undefined as string | undefined,
  /** The certificate types the signed-in department issues (from `GET /me`). */
  types: [] as string[],
};

export const shown = {
  /** The last search's certificates. */
  results: undefined as CertificateSummary[] | undefined,
  /** The certificate open in the detail view. */
  detail: undefined as CertificateDetail | undefined,
};
