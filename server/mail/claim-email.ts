/**
 * # The candidate's e-mail
 *
 * One message per certificate that a row's `email` asked for, in English and Traditional Chinese (Hong
 * Kong), both languages in one message: the subject says both, the plain-text part and the HTML part each
 * hold the English text and then the Chinese. It names the department (both names, from the issuer
 * profile), the certificate's type title and number, and carries the claim link
 * `<claimUrl>/claim#<code>` (the code in the fragment, which browsers never send). Nothing else of the
 * certificate is in it: no name, no result, never the credential. The HTML part is plain markup with no
 * remote images, styles or scripts, so a mail client shows it as it is and nothing is fetched on opening.
 */

/** Words in both languages. */
export type Bilingual = { en: string; "zh-HK": string };

/** What a claim e-mail says. */
export interface ClaimEmailParameters {
  /** The issuing department's name in both languages (the issuer profile). */
  department: Bilingual;
  /** The certificate type's title (`CertificateTypeSchema.title`). */
  typeTitle: Bilingual;
  /** The label of the certificate number (e.g. "Certificate No."), from the type schema. */
  numberLabel: Bilingual;
  certificateNumber: string;
  /** The whole claim link (`claimLink`). */
  claimLink: string;
  /** The certificate's status when the e-mail is sent: a suspended or revoked one says so. */
  status: "issued" | "suspended" | "revoked";
}

/** The message: a one-line subject, the plain text and the HTML. */
export interface ClaimEmailResult {
  subject: string;
  text: string;
  html: string;
}

/**
 * The claim link of a claim code: `<claimUrl>/claim#<code>` (`verifier-web/src/claim.ts` opens the code
 * from the fragment and removes it from the address bar).
 *
 * @example
 * claimLink("https://ecert.gov.hk", "ABCD-EFGH-JKLM") // "https://ecert.gov.hk/claim#ABCD-EFGH-JKLM"
 */
export function claimLink(claimUrl: string, code: string): string {
  return `${claimUrl.replace(/\/+$/, "")}/claim#${encodeURIComponent(code)}`;
}

const STATUS_NOTE: Record<"suspended" | "revoked", (department: Bilingual) => Bilingual> = {
  suspended: (d) => ({
    en: `The ${d.en} has since suspended this certificate: it is not valid while suspended. The page the link opens says why and what to do.`,
    "zh-HK": `${d["zh-HK"]}其後已暫停此證書：暫停期間證書無效。連結開啟的網頁會說明原因及你可以怎樣做。`,
  }),
  revoked: (d) => ({
    en: `The ${d.en} has since revoked this certificate: it is no longer valid. The page the link opens says why and what to do.`,
    "zh-HK": `${d["zh-HK"]}其後已撤銷此證書：證書已不再有效。連結開啟的網頁會說明原因及你可以怎樣做。`,
  }),
};

/** One language's paragraphs (each a list of lines); the link is its own paragraph. */
function paragraphs(p: ClaimEmailParameters, lang: "en" | "zh-HK"): string[][] {
  const d = p.department;
  const note = p.status === "issued" ? undefined : STATUS_NOTE[p.status](d)[lang];
  if (lang === "en") {
    return [
      ["Dear candidate,"],
      [`The ${d.en} has issued you an electronic certificate:`],
      [p.typeTitle.en, `${p.numberLabel.en}: ${p.certificateNumber}`],
      ["Open it with this link to download the signed PDF and share it with an employer:"],
      [p.claimLink],
      ...(note ? [[note]] : []),
      [
        "The link holds your claim code: keep it to yourself. The department will never ask you for it.",
        "If you did not expect this e-mail, you can ignore it.",
      ],
      [d.en],
    ];
  }
  return [
    ["考生你好："],
    [`${d["zh-HK"]}已向你簽發電子證書：`],
    [p.typeTitle["zh-HK"], `${p.numberLabel["zh-HK"]}：${p.certificateNumber}`],
    ["請用以下連結開啟證書，下載已簽署的PDF，並可與僱主分享："],
    [p.claimLink],
    ...(note ? [[note]] : []),
    [
      "連結載有你的領取碼，請妥為保管，切勿告訴他人。部門絕不會向你索取領取碼。",
      "如你並無預期收到此電郵，可不予理會。",
    ],
    [d["zh-HK"]],
  ];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Strips line breaks and other control characters: no field can start a header or a line of its own. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").trim();
}

/**
 * The bilingual claim e-mail.
 *
 * @example
 * claimEmail({ department: { en: "Civil Service Bureau", "zh-HK": "公務員事務局" }, typeTitle, numberLabel,
 *   certificateNumber: "CRE-2026-000001", claimLink: claimLink(url, code), status: "issued" }).subject
 * // "Your certificate from the Civil Service Bureau · 公務員事務局簽發給你的證書"
 */
export function claimEmail(parameters: ClaimEmailParameters): ClaimEmailResult {
  const p: ClaimEmailParameters = {
    ...parameters,
    department: { en: oneLine(parameters.department.en), "zh-HK": oneLine(parameters.department["zh-HK"]) },
    typeTitle: { en: oneLine(parameters.typeTitle.en), "zh-HK": oneLine(parameters.typeTitle["zh-HK"]) },
    numberLabel: { en: oneLine(parameters.numberLabel.en), "zh-HK": oneLine(parameters.numberLabel["zh-HK"]) },
    certificateNumber: oneLine(parameters.certificateNumber),
    claimLink: oneLine(parameters.claimLink),
  };
  const subject = `Your certificate from the ${p.department.en} · ${p.department["zh-HK"]}簽發給你的證書`;
  const en = paragraphs(p, "en");
  const zh = paragraphs(p, "zh-HK");
  const text = [
    ...en.map((lines) => lines.join("\n")),
    "----------------------------------------",
    ...zh.map((lines) => lines.join("\n")),
  ].join("\n\n");
  const htmlSection = (lang: "en" | "zh-HK", parts: string[][]) =>
    `<div lang="${lang}">\n${parts
      .map((lines) =>
        lines.length === 1 && lines[0] === p.claimLink
          ? `<p><a href="${escapeHtml(p.claimLink)}">${escapeHtml(p.claimLink)}</a></p>`
          : `<p>${lines.map(escapeHtml).join("<br>\n")}</p>`,
      )
      .join("\n")}\n</div>`;
  const html = [
    "<!doctype html>",
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>' + escapeHtml(subject) + "</title></head>",
    "<body>",
    htmlSection("en", en),
    "<hr>",
    htmlSection("zh-HK", zh),
    "</body>",
    "</html>",
    "",
  ].join("\n");
  return { subject, text: `${text}\n`, html };
}
