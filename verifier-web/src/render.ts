/**
 * The result view: the verdict (icon and words, never colour alone), the reasons in plain words, what
 * to do next, the certificate as the verified credential states it (labels from the type schema),
 * the issuer and the anchor as read from the chain, and every check. Built from the verification
 * result JSON only; every text comes from `strings.ts`, the schemas or the core's bilingual messages.
 */
import { getCertificateType } from "../../core/types/index.ts";
import { authenticDetails } from "../../core/verify/authentic-details.ts";
import { testNetworkSigns } from "../../core/verify/test-network.ts";
import type { TestNetworkSigns } from "../../core/verify/test-network.ts";
import type { CertificateTypeSchema } from "../../core/types/index.ts";
import type { CheckStatus, ReasonCode, VerificationStatus } from "../../core/verify/codes.ts";

export { authenticDetails };
import type { CertificateSummary, LocalizedMessage, VerificationResult } from "../../core/verify/types.ts";
import { h, svg } from "./dom.ts";
import { fieldList, formatDate, formatDateTime, formatValue, numberLabel, valueAt } from "./format.ts";
import { CHECK_STATUS_TEXT, CHECK_TEXT, NEXT_STEP_FOR_REASON, REASON_TEXT, pick, t, verdictText } from "./strings.ts";
import type { Language, Message, StringKey } from "./strings.ts";

/** How the certificate reached the page. */
export type Source = { kind: "pdf" | "file"; name: string } | { kind: "link" | "qr" | "address" };

/** A verification to show. */
export type ResultView = {
  result: VerificationResult;
  source: Source;
  /** From the input (drop, choice, scan, link) to the verdict, in milliseconds. */
  elapsedMs: number;
  /** The chain and registry this page trusts (config.json), and where its block explorer shows a transaction. */
  network: { chainId: number; registry: string; explorerUrl?: string };
  /** When the verdict came. */
  checkedAt: Date;
  /** This page's address (the verifier an employer can name in a file). */
  verifier: string;
  /**
   * The block the registry was read at: the agreed block of a quorum read, or (one endpoint, read at
   * its latest block) that endpoint's latest block number asked right after; absent until known, or when
   * the registry was not read.
   */
  readAt?: { block: number; latest: boolean };
};

/**
 * Builds the result view in `lang`.
 *
 * @returns the nodes to put in the result container (which carries `data-status` / `data-reasons`).
 */
export function renderResult(view: ResultView, lang: Language): Node[] {
  const { result } = view;
  const shown = authenticDetails(result);
  return [
    h("p", { class: "print-heading" }, t("report.title", lang)),
    renderTestNetwork(testNetworkSigns(result, view.network.chainId), lang),
    renderVerdict(result, lang),
    h(
      "p",
      { class: "source" },
      sourceText(view.source, lang),
      " · ",
      t("status.elapsed", lang, { ms: String(Math.round(view.elapsedMs)) }),
    ),
    renderNextSteps(result, lang),
    renderCertificate(result, shown, lang),
    // Who anchored it, and when, only alongside details that are the issuer's (not beside a changed PDF).
    shown && result.issuer ? renderIssuer(result.issuer, lang) : null,
    shown && result.anchor ? renderAnchor(result.anchor, view.network.explorerUrl, lang) : null,
    renderReport(view, lang),
    renderChecks(result, lang),
    h(
      "p",
      { class: "again" },
      h(
        "button",
        { type: "button", class: "button button--secondary", "data-action": "print" },
        t("report.print", lang),
      ),
      " ",
      // UNABLE TO CHECK is about the registry, not the document: the same input can simply be checked again.
      result.status === "UNABLE_TO_CHECK"
        ? h("button", { type: "button", class: "button", "data-action": "retry" }, t("next.retry", lang))
        : null,
      result.status === "UNABLE_TO_CHECK" ? " " : null,
      h("button", { type: "button", class: "button button--secondary", "data-action": "again" }, t("next.again", lang)),
    ),
  ].filter((node): node is HTMLElement => node !== null);
}

/** The "Checking…" state. */
export function renderChecking(source: Source, lang: Language): Node[] {
  return [
    h(
      "div",
      { class: "checking" },
      h("span", { class: "spinner", "aria-hidden": "true" }),
      h("p", { class: "checking__text" }, t("status.checking", lang)),
    ),
    h("p", { class: "source" }, sourceText(source, lang)),
  ];
}

/** A message in the result area that is not a verdict (the page's configuration is broken ...). */
export function renderProblem(message: Message, lang: Language, detail?: string): Node[] {
  return [
    h(
      "div",
      { class: "problem" },
      icon("warning", "problem__icon"),
      h(
        "div",
        {},
        h("p", {}, t(message.key, lang, message.values)),
        detail ? h("p", { class: "problem__detail" }, detail) : null,
      ),
    ),
  ];
}

export function sourceText(source: Source, lang: Language): string {
  switch (source.kind) {
    case "pdf":
      return t("status.source.pdf", lang, { name: source.name });
    case "file":
      return t("status.source.file", lang, { name: source.name });
    default:
      return t(`status.source.${source.kind}`, lang);
  }
}

const VERDICT_ICON: Record<VerificationStatus, IconName> = {
  VALID: "valid",
  INVALID: "invalid",
  UNABLE_TO_CHECK: "warning",
};

/** The reasons the registry's status of the certificate gives (its message says when, and why). */
const STATUS_REASONS: readonly ReasonCode[] = ["REVOKED", "SUSPENDED", "SUPERSEDED"];

/** The reasons that say the chain could not be read (reliably): UNABLE_TO_CHECK's, not the certificate's. */
const CHAIN_REASONS: readonly ReasonCode[] = ["CHAIN_UNREACHABLE", "CHAIN_DISAGREEMENT"];

/** The "test network / not an official certificate" banner, above the verdict; nothing for production. */
function renderTestNetwork(signs: TestNetworkSigns | undefined, lang: Language): HTMLElement | null {
  if (!signs) return null;
  return h(
    "div",
    {
      class: "test-network",
      "data-test-network": [signs.chain ? "chain" : "", signs.signer ? "signer" : ""].join(" ").trim(),
    },
    icon("warning", "test-network__icon"),
    h(
      "div",
      {},
      h("p", { class: "test-network__title" }, t("network.title", lang)),
      signs.chain
        ? h("p", {}, t("network.chain", lang, { chainId: String(signs.chain.chainId), name: signs.chain.name }))
        : null,
      signs.signer ? h("p", {}, t("network.signer", lang, { name: signs.signer.commonName })) : null,
    ),
  );
}

/** A registered domain name, as the issuer's website can be linked (anything else is shown as text). */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function renderVerdict(result: VerificationResult, lang: Language): HTMLElement {
  const status = result.status;
  const reasons = result.reasons.filter((r) => status === "UNABLE_TO_CHECK" || !CHAIN_REASONS.includes(r));
  const alsoUnreachable = status === "INVALID" && result.reasons.some((r) => CHAIN_REASONS.includes(r));
  const issuerName = result.issuer?.name[lang] ?? result.issuer?.id ?? "";
  // A revocation, suspension or replacement: its date and reason, as the registry states them.
  const statusResult = result.checks.find((c) => c.id === "certificate-status");
  const statusCheck = statusResult?.status === "fail" ? checkMessage(statusResult.message, lang) : undefined;
  return h(
    "div",
    { class: `verdict verdict--${status.toLowerCase().replaceAll("_", "-")}` },
    icon(VERDICT_ICON[status], "verdict__icon"),
    h(
      "div",
      { class: "verdict__body" },
      h("h2", { class: "verdict__title", id: "verdict-title" }, pick(verdictText(status), lang)),
      h("p", { class: "verdict__summary" }, t(`verdict.summary.${status}`, lang, { issuer: issuerName })),
      status === "VALID"
        ? null
        : h(
            "ul",
            { class: "verdict__reasons" },
            ...reasons.map((r) =>
              h(
                "li",
                { "data-reason": r },
                pick(REASON_TEXT[r], lang),
                STATUS_REASONS.includes(r) && statusCheck
                  ? h("span", { class: "verdict__detail" }, " ", statusCheck)
                  : null,
              ),
            ),
          ),
      alsoUnreachable ? h("p", { class: "verdict__note" }, t("verdict.alsoInvalid", lang)) : null,
    ),
  );
}

function renderNextSteps(result: VerificationResult, lang: Language): HTMLElement {
  let keys: StringKey[];
  if (result.status === "VALID") keys = ["next.VALID.identity", "next.VALID.address"];
  else if (result.status === "UNABLE_TO_CHECK") {
    keys = ["next.UNABLE_TO_CHECK.retry", "next.UNABLE_TO_CHECK.wait"];
    if (result.reasons.includes("CHAIN_DISAGREEMENT")) keys.push("next.UNABLE_TO_CHECK.disagreement");
  } else {
    const reasons = result.reasons.filter((r) => !CHAIN_REASONS.includes(r));
    keys = ["next.INVALID.reject", ...new Set(reasons.map((r) => NEXT_STEP_FOR_REASON[r]))];
  }
  return section(
    "next",
    t("next.heading", lang),
    h("ul", { class: "next__list" }, ...keys.map((k) => h("li", {}, t(k, lang)))),
  );
}

function renderCertificate(result: VerificationResult, shown: boolean, lang: Language): HTMLElement | null {
  const certificate = result.certificate;
  if (!certificate) return null;
  if (!shown)
    return section("certificate", t("cert.heading", lang), h("p", { class: "note" }, t("cert.notShown", lang)));
  let schema: CertificateTypeSchema | undefined;
  try {
    schema = getCertificateType(certificate.type);
  } catch {
    schema = undefined;
  }
  const rows: [string, Node | string][] = [];
  rows.push([t("cert.type", lang), schema ? schema.title[lang] : certificate.type]);
  const number = numberLabel(schema);
  rows.push([number ? number[lang] : t("cert.number", lang), String(certificate.fields.certificateNumber ?? "")]);
  const hidden = new Set(certificate.hidden);
  let anyHidden = false;
  if (schema) {
    for (const column of schema.columns) {
      if (column.path === "/certificateNumber") continue;
      if (hidden.has(`/credentialSubject${column.path}`)) {
        anyHidden = true;
        rows.push([column.label[lang], h("span", { class: "hidden-field" }, t("cert.hidden", lang))]);
        continue;
      }
      const value = valueAt(certificate.fields, column.path);
      if (value === undefined) continue;
      rows.push([column.label[lang], formatValue(column, value, lang)]);
    }
  } else {
    for (const [key, value] of Object.entries(certificate.fields))
      if (key !== "certificateNumber") rows.push([key, JSON.stringify(value)]);
  }
  rows.push(...validityRows(certificate, schema, lang));
  if (certificate.successor) rows.push([t("cert.successor", lang), h("code", { class: "hex" }, certificate.successor)]);
  rows.push([t("cert.id", lang), h("code", { class: "hex" }, certificate.id)]);
  const note = result.status === "VALID" ? t("cert.authentic", lang) : t("cert.authenticNotValid", lang);
  return section(
    "certificate",
    t("cert.heading", lang),
    h("p", { class: "note" }, note),
    fieldList(rows),
    anyHidden ? h("p", { class: "note" }, t("cert.hiddenNote", lang)) : null,
  );
}

function validityRows(
  certificate: CertificateSummary,
  schema: CertificateTypeSchema | undefined,
  lang: Language,
): [string, string][] {
  if (schema?.validity.kind === "period" || certificate.validUntil) {
    const labels = schema?.validity.kind === "period" ? schema.validity : undefined;
    return [
      [labels ? labels.validFrom.label[lang] : t("cert.issued", lang), formatDate(certificate.validFrom, lang)],
      [
        labels ? labels.validUntil.label[lang] : t("cert.validUntil", lang),
        certificate.validUntil ? formatDate(certificate.validUntil, lang) : t("cert.permanent", lang),
      ],
    ];
  }
  return [
    [t("cert.issued", lang), formatDate(certificate.validFrom, lang)],
    [t("cert.validUntil", lang), t("cert.permanent", lang)],
  ];
}

function renderIssuer(issuer: NonNullable<VerificationResult["issuer"]>, lang: Language): HTMLElement {
  return section(
    "issuer",
    t("issuer.heading", lang),
    fieldList([
      [t("issuer.name", lang), issuer.name[lang]],
      [
        t("issuer.domain", lang),
        DOMAIN.test(issuer.domain)
          ? h(
              "a",
              { href: `https://${issuer.domain}/`, rel: "noopener noreferrer", class: "issuer__website" },
              issuer.domain,
            )
          : issuer.domain,
      ],
      [t("issuer.id", lang), issuer.id],
    ]),
  );
}

function renderAnchor(
  anchor: NonNullable<VerificationResult["anchor"]>,
  explorerUrl: string | undefined,
  lang: Language,
): HTMLElement {
  const tx: Node | string = anchor.txHash
    ? h(
        "span",
        {},
        h("code", { class: "hex" }, anchor.txHash),
        explorerUrl ? " " : null,
        explorerUrl
          ? h(
              "a",
              {
                href: new URL(`tx/${anchor.txHash}`, explorerUrl).href,
                rel: "noopener noreferrer",
                class: "anchor__explorer",
              },
              t("anchor.explorer", lang),
            )
          : null,
      )
    : t("anchor.txUnknown", lang);
  return section(
    "anchor",
    t("anchor.heading", lang),
    fieldList([
      [t("anchor.at", lang), formatDateTime(anchor.anchoredAt, lang)],
      [t("anchor.block", lang), String(anchor.blockNumber)],
      [t("anchor.tx", lang), tx],
      [t("anchor.chain", lang), String(anchor.chainId)],
      [t("anchor.registry", lang), h("code", { class: "hex" }, anchor.registry)],
      [t("anchor.root", lang), h("code", { class: "hex" }, anchor.root)],
    ]),
  );
}

/** When, where and against what the check was made: what a filed report must say. */
function renderReport(view: ResultView, lang: Language): HTMLElement {
  return section(
    "report",
    t("report.heading", lang),
    fieldList([
      [t("report.at", lang), t("report.hkTime", lang, { time: formatDateTime(view.checkedAt.toISOString(), lang) })],
      [t("report.verifier", lang), h("code", { class: "hex" }, view.verifier)],
      [t("report.chain", lang), String(view.network.chainId)],
      [t("report.registry", lang), h("code", { class: "hex" }, view.network.registry)],
      [t("report.block", lang), h("span", { "data-report": "block" }, blockText(view.readAt, lang))],
    ]),
  );
}

/** The block the registry was read at, in words. */
export function blockText(readAt: ResultView["readAt"], lang: Language): string {
  return readAt
    ? t(readAt.latest ? "report.blockLatest" : "report.blockAt", lang, { block: String(readAt.block) })
    : t("report.blockUnknown", lang);
}

/** An instant the core writes in a check's message (`2026-11-20T09:00:00Z`): shown in Hong Kong time, as the details. */
const INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z\b/g;

/** A check's message in `lang`, its instants in Hong Kong time. */
export function checkMessage(message: LocalizedMessage, lang: Language): string {
  return message[lang].replace(INSTANT, (instant) => t("report.hkTime", lang, { time: formatDateTime(instant, lang) }));
}

const CHECK_ICON: Record<CheckStatus, IconName> = { pass: "valid", fail: "invalid", skip: "skip", error: "warning" };

function renderChecks(result: VerificationResult, lang: Language): HTMLElement {
  // A changed or unconfirmed document: what it passed was computed from data that cannot be trusted.
  const untrusted = result.status !== "VALID" && !authenticDetails(result);
  return section(
    "checks",
    t("checks.heading", lang),
    untrusted ? h("p", { class: "note" }, t("checks.untrusted", lang)) : null,
    h(
      "ol",
      { class: "checks__list" },
      ...result.checks.map((check) => {
        const notTrusted = untrusted && check.status === "pass";
        return h(
          "li",
          {
            class: `check check--${notTrusted ? "untrusted" : check.status}`,
            "data-check": check.id,
            "data-check-status": check.status,
            "data-check-shown": notTrusted ? "untrusted" : check.status,
          },
          icon(notTrusted ? "skip" : CHECK_ICON[check.status], "check__icon"),
          h(
            "div",
            { class: "check__body" },
            h(
              "p",
              { class: "check__title" },
              h("span", { class: "check__name" }, pick(CHECK_TEXT[check.id], lang)),
              " ",
              h(
                "span",
                { class: "check__status" },
                notTrusted ? t("checks.notTrusted", lang) : pick(CHECK_STATUS_TEXT[check.status], lang),
              ),
            ),
            h("p", { class: "check__message" }, checkMessage(check.message, lang)),
          ),
        );
      }),
    ),
  );
}

function section(name: string, heading: string, ...children: (Node | null)[]): HTMLElement {
  const id = `result-${name}-heading`;
  return h("section", { class: `panel panel--${name}`, "aria-labelledby": id }, h("h3", { id }, heading), ...children);
}

type IconName = "valid" | "invalid" | "warning" | "skip";

/** A decorative icon (the words beside it carry the meaning). */
export function icon(name: IconName, className = "icon"): SVGElement {
  const stroke = {
    fill: "none",
    stroke: "currentColor",
    "stroke-width": 2.5,
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
  };
  const shapes: Record<IconName, SVGElement[]> = {
    valid: [svg("circle", { cx: 12, cy: 12, r: 10, ...stroke }), svg("path", { d: "M7 12.5l3.5 3.5L17 9", ...stroke })],
    invalid: [
      svg("circle", { cx: 12, cy: 12, r: 10, ...stroke }),
      svg("path", { d: "M8.5 8.5l7 7M15.5 8.5l-7 7", ...stroke }),
    ],
    warning: [
      svg("path", { d: "M12 3L1.8 20.5h20.4z", ...stroke }),
      svg("path", { d: "M12 10v4.5M12 17.5v.01", ...stroke }),
    ],
    skip: [svg("circle", { cx: 12, cy: 12, r: 10, ...stroke }), svg("path", { d: "M8 12h8", ...stroke })],
  };
  return svg(
    "svg",
    {
      class: `icon ${className}`,
      viewBox: "0 0 24 24",
      width: 24,
      height: 24,
      "aria-hidden": "true",
      focusable: "false",
    },
    ...shapes[name],
  );
}
