/**
 * Every word the verifier page shows, in English and Traditional Chinese (Hong Kong), in one table.
 * The HTML carries only `data-i18n` keys; the result view reads the reason, check and next-step texts
 * from here. Field labels come from the certificate type schemas (`core/types/`), check messages from
 * the verification core: both are bilingual at their source.
 */
import type { CheckId, CheckStatus, ReasonCode, VerificationStatus } from "../../core/verify/codes.ts";

/** The page's languages, as BCP 47 tags (also the keys of the core's bilingual messages). */
export const LANGUAGES = ["en", "zh-HK"] as const;
export type Language = (typeof LANGUAGES)[number];

/** A text in both languages. */
export type Text = { readonly en: string; readonly "zh-HK": string };

/** The page's own texts. `{name}` marks a value filled in by {@link t}. */
export const STRINGS = {
  "app.title": { en: "HK e-Cert Verifier", "zh-HK": "香港電子證書核實" },
  "app.tagline": {
    en: "Check that a Hong Kong government e-certificate or licence is authentic and still valid.",
    "zh-HK": "核實香港政府電子證書或牌照是否真確及仍然有效。",
  },
  "app.privacy": {
    en: "Your document does not leave this device: it is checked in your browser, and only the public blockchain registry is read.",
    "zh-HK": "你的文件不會離開此裝置：核實在瀏覽器內進行，只會讀取公開的區塊鏈登記冊。",
  },
  "lang.switch": { en: "繁體中文", "zh-HK": "English" },
  "lang.switchLabel": { en: "Switch to Traditional Chinese", "zh-HK": "切換至英文" },

  "input.heading": { en: "Check a certificate", "zh-HK": "核實證書" },
  "input.drop": {
    en: "Drop the certificate PDF or credential file (.json) anywhere on this page",
    "zh-HK": "把證書PDF或憑證檔案（.json）拖放到本頁任何位置",
  },
  "input.dropActive": { en: "Release to check this file", "zh-HK": "放開即可核實此檔案" },
  "input.file": { en: "Choose a PDF or credential file", "zh-HK": "選擇PDF或憑證檔案" },
  "input.fileHint": {
    en: "Nothing is uploaded: the file is read on this device.",
    "zh-HK": "檔案不會上載，只在此裝置上讀取。",
  },
  "input.link": { en: "Or paste a verification link", "zh-HK": "或貼上核實連結" },
  "input.linkHint": {
    en: "The address from the certificate's QR code, or a link someone shared with you (it contains #1-).",
    "zh-HK": "證書二維碼內的網址，或別人分享給你的連結（包含 #1-）。",
  },
  "input.linkButton": { en: "Check link", "zh-HK": "核實連結" },
  "input.linkEmpty": { en: "Paste a verification link first.", "zh-HK": "請先貼上核實連結。" },
  "input.notCertificateLink": {
    en: "This is not a certificate link. A certificate link is the address in the certificate's QR code (it contains #1-): check that it was copied completely, or choose the certificate's PDF instead.",
    "zh-HK": "這並非證書連結。證書連結是證書二維碼內的網址（包含 #1-）：請檢查是否已完整複製，或改為選擇證書的PDF。",
  },
  "input.scanHeading": { en: "Or scan the QR code", "zh-HK": "或掃描二維碼" },
  "input.scan": { en: "Scan QR code with camera", "zh-HK": "用相機掃描二維碼" },
  "input.scanStop": { en: "Stop camera", "zh-HK": "關閉相機" },

  "scan.starting": { en: "Starting the camera…", "zh-HK": "正在啟動相機…" },
  "scan.aim": {
    en: "Point the camera at the QR code printed on the certificate.",
    "zh-HK": "請把相機對準證書上印有的二維碼。",
  },
  "scan.videoLabel": { en: "Camera view", "zh-HK": "相機畫面" },
  "scan.unsupported": {
    en: "This browser cannot use a camera on this page (a camera needs a secure https:// page). Choose the PDF or paste the link instead.",
    "zh-HK": "此瀏覽器無法在本頁使用相機（相機只可在安全的 https:// 網頁使用）。請改為選擇PDF或貼上連結。",
  },
  "scan.noCamera": {
    en: "No camera was found on this device. Choose the PDF or paste the link instead.",
    "zh-HK": "此裝置找不到相機。請改為選擇PDF或貼上連結。",
  },
  "scan.denied": {
    en: "Permission to use the camera was refused. Allow the camera for this site in your browser's settings, or choose the PDF or paste the link instead.",
    "zh-HK": "使用相機的權限被拒絕。請在瀏覽器設定中容許本網站使用相機，或改為選擇PDF或貼上連結。",
  },
  "scan.failed": {
    en: "The camera could not be started (another app may be using it). Choose the PDF or paste the link instead.",
    "zh-HK": "無法啟動相機（可能正被其他應用程式使用）。請改為選擇PDF或貼上連結。",
  },
  "scan.notOurs": {
    en: "That QR code is not an HK e-Cert verification code. Aim at the QR code printed beside the verifier's address.",
    "zh-HK": "該二維碼並非香港電子證書的核實二維碼。請對準印於核實網址旁的二維碼。",
  },

  "status.checking": { en: "Checking…", "zh-HK": "核實中…" },
  "status.source.pdf": { en: "PDF file: {name}", "zh-HK": "PDF檔案：{name}" },
  "status.source.file": { en: "File: {name}", "zh-HK": "檔案：{name}" },
  "status.source.link": { en: "Verification link", "zh-HK": "核實連結" },
  "status.source.qr": { en: "Scanned QR code", "zh-HK": "已掃描的二維碼" },
  "status.source.address": { en: "Link opened in this page", "zh-HK": "於本頁開啟的連結" },
  "status.elapsed": { en: "Checked in {ms} ms.", "zh-HK": "核實用時 {ms} 毫秒。" },
  "error.tooLarge": {
    en: "This file is larger than {mib} MiB, far too large to be a certificate (certificate PDFs are about 100 KB).",
    "zh-HK": "此檔案大於 {mib} MiB，不可能是證書（證書PDF約為 100 KB）。",
  },
  "error.unreadable": {
    en: "The file could not be read. Try choosing it again.",
    "zh-HK": "無法讀取檔案，請再選擇一次。",
  },
  "error.config": {
    en: "This verifier page is not set up correctly: its configuration (config.json) could not be read, so certificates cannot be checked here. Please tell the site's operator.",
    "zh-HK": "本核實網頁設定有誤：無法讀取其設定（config.json），因此未能在此核實證書。請通知網站營運者。",
  },
  "error.internal": {
    en: "Something went wrong in this page while checking. Reload the page and try again.",
    "zh-HK": "核實時網頁出現錯誤。請重新載入網頁再試。",
  },

  "verdict.VALID": { en: "VALID", "zh-HK": "有效" },
  "verdict.INVALID": { en: "INVALID", "zh-HK": "無效" },
  "verdict.UNABLE_TO_CHECK": { en: "UNABLE TO CHECK", "zh-HK": "未能核實" },
  "verdict.summary.VALID": {
    en: "This certificate is authentic, issued by {issuer}, and in force.",
    "zh-HK": "此證書真確，由{issuer}簽發，現時有效。",
  },
  "verdict.summary.INVALID": { en: "Do not rely on this document. Why:", "zh-HK": "請勿依賴此文件。原因：" },
  "verdict.summary.UNABLE_TO_CHECK": {
    en: "The official registry could not be reached, or its answers could not be trusted, so this certificate could not be checked. This does not mean it is fake.",
    "zh-HK": "未能連接官方登記冊，或其答覆未能確認可信，因此未能核實此證書。這並不表示證書是偽造的。",
  },
  "verdict.alsoInvalid": {
    en: "The registry could not be reached either, so other problems may exist.",
    "zh-HK": "此外亦未能連接登記冊，因此可能還有其他問題。",
  },

  "network.title": {
    en: "Test network: not an official certificate",
    "zh-HK": "測試網絡：並非正式證書",
  },
  "network.chain": {
    en: "This verifier reads a development or test registry (chain {chainId}, {name}), not the government's official one: whatever it shows, VALID included, has no official standing.",
    "zh-HK":
      "本核實工具讀取的是開發或測試登記冊（鏈 {chainId}，{name}），並非政府的正式登記冊：此處顯示的任何結果（包括「有效」）均不具正式效力。",
  },
  "network.signer": {
    en: "The PDF was signed with a development signing certificate (“{name}”), not a department's official one.",
    "zh-HK": "PDF以開發用簽署證書（「{name}」）簽署，並非部門的正式簽署證書。",
  },

  "next.heading": { en: "What to do next", "zh-HK": "下一步" },
  "next.VALID.identity": {
    en: "Check that the name on the certificate matches the person or company presenting it (for example against their identity document).",
    "zh-HK": "核對證書上的名稱與出示證書的人士或公司是否相符（例如與其身份證明文件核對）。",
  },
  "next.VALID.address": {
    en: "Make sure the address of this page is the official verifier address printed beside the QR code on the certificate.",
    "zh-HK": "確認本頁網址與證書上二維碼旁印有的官方核實網址相同。",
  },
  "next.INVALID.reject": { en: "Do not accept this document as proof.", "zh-HK": "請勿接受此文件作為證明。" },
  "next.INVALID.original": {
    en: "Ask the holder for the original file as downloaded from the issuing department, or contact the department.",
    "zh-HK": "請持有人提供從簽發部門下載的原本檔案，或聯絡該部門。",
  },
  "next.INVALID.status": {
    en: "Contact the issuing department through its official website if you need to know why.",
    "zh-HK": "如需了解原因，請透過官方網站聯絡簽發部門。",
  },
  "next.INVALID.current": {
    en: "Ask the holder for their current (renewed) certificate or licence, and check that one.",
    "zh-HK": "請持有人提供現行（已續期）的證書或牌照，並核實該份文件。",
  },
  "next.INVALID.notYet": {
    en: "It can be relied on only from the start date shown below.",
    "zh-HK": "此證書只可在下列生效日期起使用。",
  },
  "next.INVALID.confirm": {
    en: "Contact the issuing department through its official website to confirm whether it issued this document.",
    "zh-HK": "請透過官方網站聯絡簽發部門，確認是否由其簽發此文件。",
  },
  "next.UNABLE_TO_CHECK.retry": {
    en: "Check your internet connection and try again in a few minutes.",
    "zh-HK": "請檢查網絡連線，數分鐘後再試。",
  },
  "next.UNABLE_TO_CHECK.wait": {
    en: "Do not treat the certificate as valid until it has been checked. If this keeps happening, the registry's endpoints may be down: try again later or contact the issuing department.",
    "zh-HK": "在完成核實前，請勿視證書為有效。如情況持續，登記冊節點可能暫時停止服務：請稍後再試或聯絡簽發部門。",
  },
  "next.UNABLE_TO_CHECK.disagreement": {
    en: "The registry's endpoints this page reads gave different answers: tell the operator of this verifier site, as one of them may have been tampered with.",
    "zh-HK": "本網頁所讀取的登記冊節點答覆不一致：請通知本核實網站的營運者，因為其中可能有節點被篡改。",
  },
  "next.retry": { en: "Try again", "zh-HK": "再試一次" },
  "next.again": { en: "Check another certificate", "zh-HK": "核實另一份證書" },

  "cert.heading": { en: "Certificate details", "zh-HK": "證書資料" },
  "cert.authentic": {
    en: "These details come from the verified credential, not from how the document looks.",
    "zh-HK": "以下資料取自已核實的電子憑證，而非文件的外觀。",
  },
  "cert.authenticNotValid": {
    en: "These details are authentic (they are the ones the issuer recorded), but the certificate is not valid now.",
    "zh-HK": "以下資料真確（與簽發機構記錄的相同），但此證書現時無效。",
  },
  "cert.notShown": {
    en: "The details in this document are not shown because they could not be confirmed as the issuer's.",
    "zh-HK": "由於未能確認文件內的資料出自簽發機構，因此不予顯示。",
  },
  "cert.type": { en: "Certificate", "zh-HK": "證書類別" },
  "cert.number": { en: "Certificate No.", "zh-HK": "證書編號" },
  "cert.hidden": { en: "hidden", "zh-HK": "已隱藏" },
  "cert.hiddenNote": {
    en: "“hidden”: the holder chose not to disclose this field; the rest of the certificate still verifies.",
    "zh-HK": "「已隱藏」：持有人選擇不披露此欄位；證書其餘部分仍然可以核實。",
  },
  "cert.issued": { en: "Issued", "zh-HK": "簽發日期" },
  "cert.validUntil": { en: "Valid until", "zh-HK": "有效期至" },
  "cert.permanent": { en: "No expiry (permanent)", "zh-HK": "永久有效" },
  "cert.successor": { en: "Replaced by the renewal with record", "zh-HK": "已由續期證書取代，紀錄" },
  "cert.id": { en: "Credential ID", "zh-HK": "憑證編號" },

  "issuer.heading": { en: "Issuer (from the registry)", "zh-HK": "簽發機構（取自登記冊）" },
  "issuer.name": { en: "Name", "zh-HK": "名稱" },
  "issuer.domain": { en: "Website", "zh-HK": "網站" },
  "issuer.id": { en: "Registry ID", "zh-HK": "登記冊編號" },

  "anchor.heading": { en: "Recorded on the blockchain", "zh-HK": "區塊鏈記錄" },
  "anchor.at": { en: "Recorded at", "zh-HK": "記錄時間" },
  "anchor.block": { en: "Block", "zh-HK": "區塊" },
  "anchor.tx": { en: "Transaction", "zh-HK": "交易" },
  "anchor.explorer": { en: "(view in the block explorer)", "zh-HK": "（在區塊瀏覽器查看）" },
  "anchor.txUnknown": { en: "not returned by the endpoint", "zh-HK": "節點沒有提供" },
  "anchor.chain": { en: "Chain ID", "zh-HK": "鏈編號" },
  "anchor.registry": { en: "Registry contract", "zh-HK": "登記冊合約" },
  "anchor.root": { en: "Batch root", "zh-HK": "批次根值" },

  "checks.heading": { en: "Checks", "zh-HK": "檢查項目" },
  "checks.untrusted": {
    en: "This document could not be confirmed as the issuer's, so no check it passed can be relied on: those are marked “not trusted”.",
    "zh-HK": "由於未能確認此文件出自簽發機構，其通過的檢查均不可依賴，並標示為「不可信」。",
  },
  "checks.notTrusted": { en: "Not trusted", "zh-HK": "不可信" },

  "report.heading": { en: "About this check", "zh-HK": "是次核實" },
  "report.title": { en: "HK e-Cert verification report", "zh-HK": "香港電子證書核實報告" },
  "report.at": { en: "Checked at", "zh-HK": "核實時間" },
  "report.hkTime": { en: "{time} (Hong Kong time)", "zh-HK": "{time}（香港時間）" },
  "report.verifier": { en: "Verifier", "zh-HK": "核實工具" },
  "report.chain": { en: "Chain ID", "zh-HK": "鏈編號" },
  "report.registry": { en: "Registry contract", "zh-HK": "登記冊合約" },
  "report.block": { en: "Registry read at", "zh-HK": "登記冊讀取區塊" },
  "report.blockAt": { en: "block {block}", "zh-HK": "第 {block} 個區塊" },
  "report.blockLatest": {
    en: "the latest block (block {block} when checked)",
    "zh-HK": "最新區塊（核實時為第 {block} 個區塊）",
  },
  "report.blockUnknown": { en: "not read", "zh-HK": "未有讀取" },
  "report.print": { en: "Print report", "zh-HK": "列印報告" },

  "footer.directory": { en: "Who may issue: the issuer directory", "zh-HK": "誰可簽發：簽發部門名錄" },

  "issuers.title": { en: "HK e-Cert issuers", "zh-HK": "香港電子證書簽發部門" },
  "issuers.tagline": {
    en: "Every department registered in the official registry to issue certificates, read from the registry's records on the blockchain.",
    "zh-HK": "所有已在官方登記冊登記、可簽發證書的部門，資料取自區塊鏈上的登記冊紀錄。",
  },
  "issuers.back": { en: "Check a certificate", "zh-HK": "核實證書" },
  "issuers.loading": { en: "Reading the registry…", "zh-HK": "正在讀取登記冊…" },
  "issuers.heading": { en: "Registered departments ({count})", "zh-HK": "已登記部門（{count}）" },
  "issuers.otherName": { en: "Chinese name", "zh-HK": "英文名稱" },
  "issuers.status": { en: "Status", "zh-HK": "狀態" },
  "issuers.active": { en: "Active: may issue", "zh-HK": "有效：可簽發" },
  "issuers.inactive": { en: "Deactivated: may not issue now", "zh-HK": "已停用：現時不可簽發" },
  "issuers.stopped": {
    en: "Stopped on {at}: every signer cut off, may not issue",
    "zh-HK": "已於 {at} 終止：所有簽署密鑰已停用，不可簽發",
  },
  "issuers.certificates": { en: "PDF signing certificates (SHA-256)", "zh-HK": "PDF簽署證書（SHA-256）" },
  "issuers.withdrawn": { en: "(withdrawn)", "zh-HK": "（已撤回）" },
  "issuers.noCertificate": { en: "none registered", "zh-HK": "未有登記" },
  "issuers.readFrom": { en: "Read from {endpoint}.", "zh-HK": "讀取自 {endpoint}。" },
  "issuers.unreachable": {
    en: "The registry could not be read, so the directory cannot be shown. Try again later.",
    "zh-HK": "未能讀取登記冊，因此無法顯示名錄。請稍後再試。",
  },

  "footer.registry": {
    en: "Trusted registry: chain {chainId}, contract {registry}.",
    "zh-HK": "信任的登記冊：鏈 {chainId}，合約 {registry}。",
  },
  "footer.endpoints": { en: "Read through: {endpoints}.", "zh-HK": "讀取途徑：{endpoints}。" },
} as const satisfies Record<string, Text>;

export type StringKey = keyof typeof STRINGS;

/** A text of the table with its values, kept as a key so that it can be drawn again in the other language. */
export type Message = { key: StringKey; values?: Record<string, string> };

/** The verdict words and one-line meaning of each reason code, in plain words. */
export const REASON_TEXT: Record<ReasonCode, Text> = {
  MALFORMED: {
    en: "This is not a readable HK e-Cert certificate: the file or link is damaged, incomplete or of another kind.",
    "zh-HK": "這並非可讀取的香港電子證書：檔案或連結已損壞、不完整或屬其他類型。",
  },
  TAMPERED: {
    en: "The document was changed after it was issued: its contents no longer match what the issuer signed and recorded.",
    "zh-HK": "文件在簽發後曾被更改：內容與簽發機構所簽署及記錄的不符。",
  },
  SIGNATURE_MISSING: {
    en: "The PDF does not carry the issuing department's digital signature.",
    "zh-HK": "PDF沒有簽發部門的數碼簽署。",
  },
  SIGNER_NOT_REGISTERED: {
    en: "The PDF was signed with a certificate that is not registered for the issuing department.",
    "zh-HK": "PDF的簽署證書並非登記予簽發部門。",
  },
  NOT_ANCHORED: {
    en: "This certificate was never recorded in the official registry.",
    "zh-HK": "此證書從未記錄於官方登記冊。",
  },
  UNKNOWN_ISSUER: {
    en: "It was not recorded by a registered, active issuing department.",
    "zh-HK": "此證書並非由已登記及仍然有效的簽發部門記錄。",
  },
  ISSUER_KEY_REVOKED: {
    en: "It was recorded with an issuer key that had been cut off (for example after the key was compromised).",
    "zh-HK": "記錄此證書所用的簽發密鑰當時已被停用（例如因密鑰外洩）。",
  },
  REVOKED: { en: "The issuing department has revoked this certificate.", "zh-HK": "簽發部門已撤銷此證書。" },
  SUSPENDED: { en: "The issuing department has suspended this certificate.", "zh-HK": "簽發部門已暫停此證書。" },
  SUPERSEDED: {
    en: "This certificate has been replaced by a renewed one.",
    "zh-HK": "此證書已被續期後的新證書取代。",
  },
  EXPIRED: { en: "The certificate has expired.", "zh-HK": "此證書已過期。" },
  NOT_YET_VALID: { en: "The certificate is not in force yet.", "zh-HK": "此證書尚未生效。" },
  WRONG_NETWORK: {
    en: "It was recorded in a registry other than the one this verifier trusts (for example a test system).",
    "zh-HK": "此證書記錄於本核實工具不信任的另一登記冊（例如測試系統）。",
  },
  CHAIN_UNREACHABLE: {
    en: "Not enough of the registry's blockchain endpoints answered.",
    "zh-HK": "回應的登記冊區塊鏈節點不足。",
  },
  CHAIN_DISAGREEMENT: {
    en: "The registry's blockchain endpoints gave different answers, so none of them is believed (one may be wrong or compromised).",
    "zh-HK": "登記冊的區塊鏈節點答覆不一致，因此不採信任何答覆（其中可能有節點出錯或被入侵）。",
  },
};

/** The advice shown under "What to do next" for an INVALID certificate, by its first reason. */
export const NEXT_STEP_FOR_REASON: Record<ReasonCode, StringKey> = {
  MALFORMED: "next.INVALID.original",
  TAMPERED: "next.INVALID.original",
  SIGNATURE_MISSING: "next.INVALID.original",
  SIGNER_NOT_REGISTERED: "next.INVALID.confirm",
  NOT_ANCHORED: "next.INVALID.confirm",
  UNKNOWN_ISSUER: "next.INVALID.confirm",
  ISSUER_KEY_REVOKED: "next.INVALID.confirm",
  REVOKED: "next.INVALID.status",
  SUSPENDED: "next.INVALID.status",
  SUPERSEDED: "next.INVALID.current",
  EXPIRED: "next.INVALID.current",
  NOT_YET_VALID: "next.INVALID.notYet",
  WRONG_NETWORK: "next.INVALID.confirm",
  CHAIN_UNREACHABLE: "next.UNABLE_TO_CHECK.retry",
  CHAIN_DISAGREEMENT: "next.UNABLE_TO_CHECK.retry",
};

/** What each check looks at, as a short title. */
export const CHECK_TEXT: Record<CheckId, Text> = {
  "well-formed": { en: "The file or link can be read", "zh-HK": "檔案或連結可讀取" },
  "pdf-signature": { en: "PDF digital signature, nothing changed", "zh-HK": "PDF數碼簽署，內容未被更改" },
  "signing-certificate": { en: "Signing certificate registered for the issuer", "zh-HK": "簽署證書已登記予簽發機構" },
  "credential-digest": { en: "Contents match the issued record", "zh-HK": "內容與簽發紀錄相符" },
  "merkle-proof": { en: "Part of an issued batch", "zh-HK": "屬於已簽發的批次" },
  network: { en: "The official registry", "zh-HK": "官方登記冊" },
  anchor: { en: "Recorded on the blockchain", "zh-HK": "已記錄於區塊鏈" },
  issuer: { en: "Registered issuing department", "zh-HK": "已登記的簽發部門" },
  "certificate-status": { en: "Not revoked, suspended or replaced", "zh-HK": "未被撤銷、暫停或取代" },
  "validity-period": { en: "Within its validity period", "zh-HK": "在有效期內" },
};

/** The outcome word of a check. */
export const CHECK_STATUS_TEXT: Record<CheckStatus, Text> = {
  pass: { en: "Passed", "zh-HK": "通過" },
  fail: { en: "Failed", "zh-HK": "不通過" },
  skip: { en: "Not applicable", "zh-HK": "不適用" },
  error: { en: "Could not check", "zh-HK": "未能檢查" },
};

/** The verdict word of each status (the same as `verdict.<status>` in {@link STRINGS}). */
export function verdictText(status: VerificationStatus): Text {
  return STRINGS[`verdict.${status}`];
}

/**
 * One text of the table in `lang`, with `{name}` placeholders filled from `values`.
 *
 * @example
 * ```ts
 * t("status.elapsed", "en", { ms: "212" }); // "Checked in 212 ms."
 * ```
 */
export function t(key: StringKey, lang: Language, values: Record<string, string> = {}): string {
  return fill(STRINGS[key][lang], values);
}

/** A bilingual text in `lang`, with `{name}` placeholders filled from `values`. */
export function pick(text: Text, lang: Language, values: Record<string, string> = {}): string {
  return fill(text[lang], values);
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
