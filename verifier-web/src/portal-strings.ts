/**
 * Every word of the candidate page (`/claim`) and the department officer page (`/officer`), in English
 * and Traditional Chinese (Hong Kong). Field labels come from the certificate type schemas
 * (`core/types/`), revocation reasons from `core/revocationReasons.ts`: both bilingual at their source.
 */
import type { Language, Text } from "./strings.ts";

export const PORTAL_STRINGS = {
  "lang.switch": { en: "繁體中文", "zh-HK": "English" },
  "lang.switchLabel": { en: "Switch to Traditional Chinese", "zh-HK": "切換至英文" },
  "common.loading": { en: "Loading…", "zh-HK": "載入中…" },
  "common.network": {
    en: "The server could not be reached. Check your connection and try again.",
    "zh-HK": "無法連接伺服器。請檢查網絡連線後再試。",
  },
  "common.server": { en: "The server answered: {message}", "zh-HK": "伺服器回覆：{message}" },
  // A refusal of the server without its own words in both languages: the console's, by its error code.
  "error.FORBIDDEN": {
    en: "Your roles do not allow this. Ask an officer who has the role to do it.",
    "zh-HK": "你的角色不容許進行此操作，請由具備相關角色的人員處理。",
  },
  "error.SELF_APPROVAL": {
    en: "You cannot approve what you asked for yourself: another officer must approve it.",
    "zh-HK": "你不可批核自己提出的申請，須由另一名人員批核。",
  },
  "error.NOT_AWAITING_APPROVAL": {
    en: "This is no longer awaiting approval: another officer has already decided it. Refresh to see its state.",
    "zh-HK": "此項目已不再等候批核，另一名人員已作出決定。請重新整理以查看最新狀況。",
  },
  "error.INVALID_STATUS": {
    en: "The certificate's status does not allow this any more (it may have changed meanwhile). Open it again to see its status.",
    "zh-HK": "證書現時的狀態已不容許此操作（狀態可能已有變更）。請重新開啟證書查看其狀態。",
  },
  "error.NOT_FOUND": {
    en: "Not found: it does not exist, or it is not your department's.",
    "zh-HK": "找不到所需項目：項目不存在，或不屬於你的部門。",
  },
  "error.TOO_LARGE": {
    en: "Too large for the server: send a smaller file or fewer rows at a time.",
    "zh-HK": "內容過大，伺服器無法接收。請傳送較小的檔案，或分批傳送較少的行。",
  },
  "error.SESSION_EXPIRED": {
    en: "Your session has expired. Sign in again to go on.",
    "zh-HK": "你的登入已逾時，請重新登入以繼續。",
  },
  "error.INVALID_REQUEST": {
    en: "The request is incomplete or not valid: check what you entered (a rejection needs a reason) and try again.",
    "zh-HK": "要求不完整或無效：請檢查輸入的資料（拒絕須註明理由）後再試。",
  },
  "error.CSRF_TOKEN_INVALID": {
    en: "This page's security token is no longer valid. Reload the page and try again.",
    "zh-HK": "此頁面的保安權杖已失效。請重新載入頁面後再試。",
  },
  "error.UNAUTHENTICATED": {
    en: "You are not signed in, or the API key is not valid any more. Sign in again.",
    "zh-HK": "你尚未登入，或API密鑰已失效。請重新登入。",
  },
  "error.WRONG_ISSUER": {
    en: "This belongs to another department.",
    "zh-HK": "此項目屬於另一個部門。",
  },
  "error.RATE_LIMITED": {
    en: "Too many requests. Wait a minute and try again.",
    "zh-HK": "要求次數過多。請等候一分鐘後再試。",
  },
  "error.INTERNAL": {
    en: "Something went wrong on the server. Try again; if it happens again, tell the service's operators.",
    "zh-HK": "伺服器出現問題。請再試一次；如問題持續，請通知系統營運人員。",
  },
  "error.UNAVAILABLE": {
    en: "The service is busy or cannot reach its database or the blockchain. Try again shortly.",
    "zh-HK": "服務繁忙，或暫時無法連接資料庫或區塊鏈。請稍後再試。",
  },

  // Candidate page
  "claim.title": { en: "HK e-Cert: your certificate", "zh-HK": "香港電子證書：你的證書" },
  "claim.tagline": {
    en: "Download your e-certificate and share it with employers, showing only what you choose.",
    "zh-HK": "下載你的電子證書，並按你的選擇只向僱主披露部分資料。",
  },
  "claim.footer": {
    en: "Your claim code opens your certificate only. Keep it private. Share links are made on this device.",
    "zh-HK": "領取碼只可開啟你的證書，請妥善保管。分享連結在此裝置上產生。",
  },
  "claim.codeHeading": { en: "Enter your claim code", "zh-HK": "輸入領取碼" },
  "claim.codeLabel": { en: "Claim code", "zh-HK": "領取碼" },
  "claim.codeHint": {
    en: "The code in the letter or email from the issuing department.",
    "zh-HK": "簽發部門以信件或電郵發出的代碼。",
  },
  "claim.codeButton": { en: "Open my certificate", "zh-HK": "開啟我的證書" },
  "claim.codeEmpty": { en: "Enter your claim code first.", "zh-HK": "請先輸入領取碼。" },
  "claim.codeUnknown": {
    en: "No certificate has this claim code. Check the code and try again.",
    "zh-HK": "找不到此領取碼的證書。請核對代碼後再試。",
  },
  "claim.tooMany": {
    en: "Too many attempts. Wait a minute and try again.",
    "zh-HK": "嘗試次數過多。請等候一分鐘後再試。",
  },
  "claim.notReady": {
    en: "Your certificate is being issued (status: {status}). Try again in a few minutes.",
    "zh-HK": "你的證書正在簽發中（狀態：{status}）。請於數分鐘後再試。",
  },
  "claim.certHeading": { en: "Your certificate", "zh-HK": "你的證書" },
  "claim.type": { en: "Certificate", "zh-HK": "證書" },
  "claim.number": { en: "Certificate No.", "zh-HK": "證書編號" },
  "claim.status": { en: "Status", "zh-HK": "狀態" },
  "claim.validFrom": { en: "Valid from", "zh-HK": "有效期由" },
  "claim.validUntil": { en: "Valid until", "zh-HK": "有效期至" },
  "claim.downloadPdf": { en: "Download PDF", "zh-HK": "下載PDF" },
  "claim.downloadCredential": { en: "Download credential (.json)", "zh-HK": "下載憑證（.json）" },
  "claim.downloadHint": {
    en: "The PDF is signed by the department; print it or send it as it is. The credential file is for digital wallets and verifiers.",
    "zh-HK": "PDF已由部門數碼簽署，可直接列印或傳送。憑證檔案供數碼錢包及核實工具使用。",
  },
  // A revoked or suspended certificate: what happened, why, and what to do (no share link is offered).
  "claim.revokedTitle": { en: "This certificate has been revoked", "zh-HK": "此證書已被撤銷" },
  "claim.revokedBody": {
    en: "The {department} has revoked this certificate. It is no longer valid: anyone who checks it is told it is revoked.",
    "zh-HK": "{department}已撤銷此證書。證書已不再有效：任何人核實時都會得知證書已被撤銷。",
  },
  "claim.suspendedTitle": { en: "This certificate is suspended", "zh-HK": "此證書已被暫停" },
  "claim.suspendedBody": {
    en: "The {department} has suspended this certificate. It is not valid while it is suspended: anyone who checks it is told so. The department may reinstate it.",
    "zh-HK": "{department}已暫停此證書。暫停期間證書無效：任何人核實時都會得知此事。部門日後或會恢復證書的效力。",
  },
  "claim.reason": { en: "Reason: {reason}.", "zh-HK": "原因：{reason}。" },
  "claim.noReason": { en: "The department gave no reason.", "zh-HK": "部門未有註明原因。" },
  "claim.revokedWhat": {
    en: "What to do: if you have questions, or think this is a mistake, contact the {department}. Do not use this certificate or share it as valid.",
    "zh-HK": "你可以怎樣做：如有疑問或認為有誤，請聯絡{department}。請勿把此證書當作有效證書使用或分享。",
  },
  "claim.suspendedWhat": {
    en: "What to do: contact the {department} to find out why, and what is needed for it to be reinstated. Until then, do not share it as valid.",
    "zh-HK":
      "你可以怎樣做：請聯絡{department}，了解原因及恢復證書效力所需的安排。在此之前，請勿把此證書當作有效證書分享。",
  },
  "claim.theDepartment": { en: "issuing department", "zh-HK": "簽發部門" },
  "claim.noShare": {
    en: "Share links are not offered for a certificate that is not valid.",
    "zh-HK": "無效的證書不設分享連結。",
  },
  "share.heading": { en: "Share with less", "zh-HK": "只分享部分資料" },
  "share.intro": {
    en: "Tick the details to hide. The link and QR code below let anyone check the certificate is genuine, without seeing what you hid.",
    "zh-HK": "剔選要隱藏的資料。以下的連結及二維碼可讓任何人核實證書真偽，但不會看到你隱藏的資料。",
  },
  "share.legend": { en: "Hide these details", "zh-HK": "隱藏以下資料" },
  "share.make": { en: "Make share link", "zh-HK": "產生分享連結" },
  "share.linkLabel": { en: "Share link", "zh-HK": "分享連結" },
  "share.copy": { en: "Copy link", "zh-HK": "複製連結" },
  "share.copied": { en: "Link copied.", "zh-HK": "已複製連結。" },
  "share.open": { en: "Check it in the verifier", "zh-HK": "在核實工具中查看" },
  "share.qrAlt": { en: "QR code of the share link", "zh-HK": "分享連結的二維碼" },
  "share.summaryNone": { en: "Nothing hidden: every detail is disclosed.", "zh-HK": "沒有隱藏任何資料。" },
  "share.summary": { en: "Hidden: {fields}.", "zh-HK": "已隱藏：{fields}。" },
  "share.failed": { en: "The share link could not be made: {message}", "zh-HK": "無法產生分享連結：{message}" },
  "share.native": { en: "Share…", "zh-HK": "分享…" },
  "share.qrPng": { en: "Download QR image (PNG)", "zh-HK": "下載二維碼圖片（PNG）" },
  "share.qrSvg": { en: "Download QR image (SVG)", "zh-HK": "下載二維碼圖片（SVG）" },

  // Officer page
  "officer.title": { en: "HK e-Cert: department officers", "zh-HK": "香港電子證書：部門人員" },
  "officer.tagline": {
    en: "Issue certificates in bulk, follow their progress, and revoke, suspend or reinstate them.",
    "zh-HK": "批量簽發證書、查看進度，以及撤銷、暫停或恢復證書。",
  },
  "officer.footer": {
    en: "You are signed in with your department account; the session ends when you sign out or stay idle too long.",
    "zh-HK": "你以部門帳戶登入；登出或閒置過久後，登入即會結束。",
  },
  "officer.session": { en: "Session", "zh-HK": "登入狀態" },
  "officer.signinHeading": { en: "Sign in", "zh-HK": "登入" },
  "officer.signinIntro": {
    en: "Officers sign in with the account their department gave them: what you can do follows your roles.",
    "zh-HK": "人員以部門發出的帳戶登入：可進行的操作視乎你的角色。",
  },
  "officer.signinOfficer": { en: "Sign in with your department account", "zh-HK": "以部門帳戶登入" },
  "officer.forSystems": { en: "For systems: sign in with an API key", "zh-HK": "供系統使用：以API密鑰登入" },
  "officer.keyLabel": { en: "Department API key", "zh-HK": "部門API密鑰" },
  "officer.keyHint": {
    en: "API keys are for systems, not people. Kept in this tab only (never in the address or on disk).",
    "zh-HK": "API密鑰供系統使用，並非供人員使用。只保存在此分頁（不會出現在網址或儲存於磁碟）。",
  },
  "officer.signin": { en: "Sign in", "zh-HK": "登入" },
  "officer.signout": { en: "Sign out", "zh-HK": "登出" },
  "officer.keyEmpty": { en: "Enter the API key first.", "zh-HK": "請先輸入API密鑰。" },
  "officer.keyBad": { en: "This API key is not valid.", "zh-HK": "此API密鑰無效。" },
  "officer.signedInFor": { en: "Signed in for the {en}.", "zh-HK": "已登入：{zh}。" },
  "officer.signedInAs": { en: "Signed in as {name}, {en}.", "zh-HK": "已登入：{name}，{zh}。" },
  "officer.roles": { en: "Your roles: {roles}.", "zh-HK": "你的角色：{roles}。" },
  "officer.keyRoles": { en: "API key: {label}.", "zh-HK": "API密鑰：{label}。" },
  "officer.expired": {
    en: "Your session has expired. Sign in again to go on.",
    "zh-HK": "你的登入已逾時，請重新登入以繼續。",
  },
  "officer.signedOut": { en: "You have signed out.", "zh-HK": "你已登出。" },
  "role.clerk": { en: "clerk", "zh-HK": "文書" },
  "role.approver": { en: "approver", "zh-HK": "審批" },
  "role.auditor": { en: "auditor", "zh-HK": "審計" },
  "common.refresh": { en: "Refresh", "zh-HK": "重新整理" },
  "common.text": { en: "{en}", "zh-HK": "{zh}" },
  "common.none": { en: "None.", "zh-HK": "沒有。" },
  "approvals.heading": { en: "Awaiting approval", "zh-HK": "待批核" },
  "approvals.uploads": { en: "Uploads", "zh-HK": "上載" },
  "approvals.requests": { en: "Status changes", "zh-HK": "狀態更改" },
  "approvals.noUploads": { en: "No upload is awaiting approval.", "zh-HK": "沒有待批核的上載。" },
  "approvals.noRequests": { en: "No status change is awaiting approval.", "zh-HK": "沒有待批核的狀態更改。" },
  "approvals.uploadSummary": {
    en: "{type}: {accepted} of {rows} rows accepted, {errors} errors; uploaded by {by} on {at}.",
    "zh-HK": "{type}：共 {rows} 行，已接受 {accepted} 行，{errors} 個錯誤；由 {by} 於 {at} 上載。",
  },
  "approvals.requestSummary": {
    en: "{action} certificate {number}, reason: {reason}; requested by {by} on {at}.",
    "zh-HK": "{action}證書 {number}，原因：{reason}；由 {by} 於 {at} 提出。",
  },
  "approvals.noteIs": { en: "Case note: {note}", "zh-HK": "個案備註：{note}" },
  "approvals.firstRows": { en: "First rows", "zh-HK": "首數行" },
  "approvals.allRows": { en: "All {count} rows", "zh-HK": "全部 {count} 列" },
  "approvals.rowsShown": { en: "Rows {from} to {to} of {count}", "zh-HK": "第 {from} 至 {to} 列，共 {count} 列" },
  "approvals.showAll": { en: "Show all {count} rows", "zh-HK": "顯示全部 {count} 列" },
  "approvals.showFirst": { en: "Show the first rows only", "zh-HK": "只顯示首數列" },
  "approvals.previousPage": { en: "Previous rows", "zh-HK": "上一頁" },
  "approvals.nextPage": { en: "Next rows", "zh-HK": "下一頁" },
  "approvals.errorsSummary": { en: "Errors ({count})", "zh-HK": "錯誤（{count} 個）" },
  "approvals.renewalOf": { en: "Renewal of {number}", "zh-HK": "續期：{number}" },
  "approvals.renewalNote": {
    en: "Releasing it issues a new certificate that replaces certificate {number}.",
    "zh-HK": "發放後會簽發新證書，以取代證書 {number}。",
  },
  "approvals.own": {
    en: "Requested by you: another officer must approve",
    "zh-HK": "由你提出，須由另一名人員批核",
  },
  "approvals.release": { en: "Release", "zh-HK": "發放" },
  "approvals.approve": { en: "Approve", "zh-HK": "批准" },
  "approvals.reject": { en: "Reject", "zh-HK": "拒絕" },
  "approvals.rejectReason": { en: "Reason for rejecting", "zh-HK": "拒絕理由" },
  "approvals.reasonNeeded": { en: "Give the reason for rejecting first.", "zh-HK": "請先填寫拒絕理由。" },
  "approvals.released": { en: "Released: the certificates are being issued.", "zh-HK": "已發放：證書正在簽發。" },
  "approvals.rejected": { en: "Rejected.", "zh-HK": "已拒絕。" },
  "approvals.approved": { en: "Approved: the change is sent to the registry.", "zh-HK": "已批准：更改已提交登記冊。" },
  "batches.heading": { en: "Batches", "zh-HK": "批次" },
  "batches.caption": { en: "Uploads, newest first ({count})", "zh-HK": "上載（最新在前，共 {count} 個）" },
  "batches.none": { en: "No upload yet.", "zh-HK": "尚未有上載。" },
  "batches.batch": { en: "Batch", "zh-HK": "批次" },
  "batches.state": { en: "State", "zh-HK": "狀況" },
  "batches.counts": { en: "Certificates", "zh-HK": "證書" },
  "batches.countsText": {
    en: "{accepted} accepted, {issued} issued, {errors} errors",
    "zh-HK": "已接受 {accepted}，已簽發 {issued}，錯誤 {errors}",
  },
  "batches.uploadedBy": { en: "Uploaded by", "zh-HK": "上載者" },
  "batches.decidedBy": { en: "Released or rejected by", "zh-HK": "發放或拒絕者" },
  "batches.documents": { en: "Documents", "zh-HK": "文件" },
  "batches.zip": { en: "PDFs (.zip)", "zh-HK": "PDF（.zip）" },
  "batches.zipLabel": { en: "Download the PDFs of batch {id} (.zip)", "zh-HK": "下載批次 {id} 的PDF（.zip）" },
  "batches.letters": { en: "Claim letters", "zh-HK": "領取信" },
  "batches.lettersLabel": { en: "Print claim letters of batch {id}", "zh-HK": "列印批次 {id} 的領取信" },
  "batches.lettersWarning": {
    en: "Claim letters give every certificate of batch {id} a NEW claim code: the codes given before stop working. Print them?",
    "zh-HK": "領取信會為批次 {id} 的每張證書產生新的領取碼：之前發出的領取碼將會失效。確定列印？",
  },
  "batches.lettersReady": { en: "Claim letters ready: {link}", "zh-HK": "領取信已備妥：{link}" },
  "batches.lettersDownload": { en: "Download claim letters (PDF)", "zh-HK": "下載領取信（PDF）" },
  "batchState.awaiting-approval": { en: "awaiting approval", "zh-HK": "待批核" },
  "batchState.released": { en: "released", "zh-HK": "已發放" },
  "batchState.rejected": { en: "rejected", "zh-HK": "已拒絕" },
  "batchState.approved": { en: "approved", "zh-HK": "已批准" },
  "audit.heading": { en: "Audit trail", "zh-HK": "審計紀錄" },
  "audit.action": { en: "Action", "zh-HK": "操作" },
  "audit.all": { en: "Every action", "zh-HK": "所有操作" },
  "audit.show": { en: "Show", "zh-HK": "顯示" },
  "audit.export": { en: "Export CSV", "zh-HK": "匯出CSV" },
  "audit.verify": { en: "Verify the trail", "zh-HK": "核實紀錄" },
  "audit.caption": { en: "Entries ({count})", "zh-HK": "紀錄（{count} 項）" },
  "audit.seq": { en: "No.", "zh-HK": "編號" },
  "audit.at": { en: "When", "zh-HK": "時間" },
  "audit.who": { en: "Who", "zh-HK": "人員" },
  "audit.what": { en: "What", "zh-HK": "操作" },
  "audit.about": { en: "About", "zh-HK": "對象" },
  "audit.from": { en: "From", "zh-HK": "來源" },
  "audit.none": { en: "No entry matches.", "zh-HK": "沒有相符的紀錄。" },
  "audit.ok": {
    en: "The trail holds: {entries} entries checked, none changed, deleted or added.",
    "zh-HK": "紀錄完整：已核對 {entries} 項，沒有被更改、刪除或加插。",
  },
  "audit.broken": { en: "The trail is broken: {problems}", "zh-HK": "紀錄有問題：{problems}" },
  "upload.heading": { en: "Issue certificates from a CSV file", "zh-HK": "以CSV檔案簽發證書" },
  "upload.type": { en: "Certificate type", "zh-HK": "證書類別" },
  "upload.file": { en: "CSV file", "zh-HK": "CSV檔案" },
  "upload.submit": { en: "Upload", "zh-HK": "上載" },
  "upload.noFile": { en: "Choose a CSV file first.", "zh-HK": "請先選擇CSV檔案。" },
  "upload.sending": { en: "Uploading {name}…", "zh-HK": "正在上載 {name}…" },
  "upload.accepted": {
    en: "{accepted} of {rows} rows accepted; {errors} rows have errors.",
    "zh-HK": "共 {rows} 行，已接受 {accepted} 行；{errors} 行有錯誤。",
  },
  "upload.awaiting": {
    en: "Awaiting approval: {accepted} of {rows} rows accepted; {errors} rows have errors. Nothing is issued until an approver releases the upload.",
    "zh-HK": "待批核：共 {rows} 行，已接受 {accepted} 行；{errors} 行有錯誤。批核人員發放前不會簽發任何證書。",
  },
  "upload.acceptedRows": { en: "Accepted rows ({count})", "zh-HK": "已接受的行（{count}）" },
  "upload.refused": { en: "The file was refused: {message}", "zh-HK": "檔案被拒絕：{message}" },
  "upload.progressHeading": { en: "Batch progress", "zh-HK": "批次進度" },
  "upload.progress": {
    en: "{issued} of {accepted} issued ({pending} waiting, {anchoring} being anchored, {failed} failed).",
    "zh-HK":
      "共 {accepted} 張，已簽發 {issued} 張（{pending} 張等候中，{anchoring} 張正記錄於區塊鏈，{failed} 張失敗）。",
  },
  "upload.done": { en: "Done: every accepted certificate is issued.", "zh-HK": "完成：所有已接受的證書均已簽發。" },
  "upload.failed": {
    en: "Finished with a failure: {issued} issued; {failed} could not be issued and were set aside (reason: {reason}). Their numbers can be uploaded again.",
    "zh-HK":
      "已完成但有失敗：已簽發 {issued} 張；{failed} 張未能簽發，已被擱置（原因：{reason}）。這些編號可重新上載。",
  },
  "upload.claimCodes": { en: "Download claim codes (.csv)", "zh-HK": "下載領取碼（.csv）" },
  "upload.errorsCaption": { en: "Rows with errors ({count})", "zh-HK": "有錯誤的行（{count}）" },
  "upload.row": { en: "Row", "zh-HK": "行" },
  "upload.column": { en: "Column", "zh-HK": "欄" },
  "upload.problem": { en: "Problem", "zh-HK": "問題" },
  "search.heading": { en: "Find a certificate", "zh-HK": "搜尋證書" },
  "search.label": { en: "Certificate number, candidate number or name", "zh-HK": "證書編號、考生編號或姓名" },
  "search.hint": { en: "Only your department's certificates are searched.", "zh-HK": "只會搜尋你部門的證書。" },
  "search.submit": { en: "Search", "zh-HK": "搜尋" },
  "search.none": { en: "No certificate matches.", "zh-HK": "沒有相符的證書。" },
  "search.caption": { en: "Certificates found ({count})", "zh-HK": "找到的證書（{count}）" },
  "search.number": { en: "Certificate No.", "zh-HK": "證書編號" },
  "search.name": { en: "Name", "zh-HK": "名稱" },
  "search.type": { en: "Type", "zh-HK": "類別" },
  "search.status": { en: "Status", "zh-HK": "狀態" },
  "search.issued": { en: "Issue date", "zh-HK": "簽發日期" },
  "search.batch": { en: "Batch", "zh-HK": "批次" },
  "search.openShort": { en: "Open", "zh-HK": "開啟" },
  "search.open": { en: "Open {number}", "zh-HK": "開啟 {number}" },
  "detail.heading": { en: "Certificate", "zh-HK": "證書" },
  "detail.history": { en: "History", "zh-HK": "紀錄" },
  "detail.reasonNow": { en: "Reason", "zh-HK": "原因" },
  "detail.changeHeading": { en: "Change its status", "zh-HK": "更改狀態" },
  "detail.action": { en: "Action", "zh-HK": "操作" },
  "detail.reason": { en: "Reason", "zh-HK": "原因" },
  "detail.chooseReason": { en: "Choose a reason", "zh-HK": "請選擇理由" },
  "detail.reasonNeeded": { en: "Choose the reason first.", "zh-HK": "請先選擇理由。" },
  "detail.note": { en: "Case note (optional)", "zh-HK": "個案備註（選填）" },
  "detail.noteHint": {
    en: "Kept by the department for its records, never on the blockchain.",
    "zh-HK": "由部門保存作紀錄，不會記錄於區塊鏈。",
  },
  "detail.revokeFinal": {
    en: "Revocation is final: it cannot be undone",
    "zh-HK": "撤銷是最終決定，不能復原",
  },
  "detail.requested": {
    en: "Requested: another officer must approve it before it is applied.",
    "zh-HK": "已提出申請：須由另一名人員批核後才會生效。",
  },
  "detail.pdf": { en: "Download its PDF", "zh-HK": "下載其PDF" },
  "detail.requests": { en: "Status change requests", "zh-HK": "狀態更改申請" },
  "detail.requestLine": {
    en: "{action} ({reason}): {state}; requested by {by}{decided}",
    "zh-HK": "{action}（{reason}）：{state}；由 {by} 提出{decided}",
  },
  "detail.decidedBy": { en: ", decided by {by}", "zh-HK": "，由 {by} 決定" },
  "detail.email": { en: "E-mail to the candidate", "zh-HK": "致考生的電郵" },
  "detail.emailLine": {
    en: "{status} ({to}), {attempts} attempts{error}",
    "zh-HK": "{status}（{to}），已嘗試 {attempts} 次{error}",
  },
  "detail.emailNone": { en: "No e-mail address was given.", "zh-HK": "未有提供電郵地址。" },
  "email.waiting": { en: "waiting", "zh-HK": "等候發送" },
  "email.sent": { en: "sent", "zh-HK": "已發送" },
  "email.failed": { en: "failed", "zh-HK": "發送失敗" },
  "email.cancelled": { en: "cancelled", "zh-HK": "已取消" },
  "claimCode.heading": { en: "New claim code", "zh-HK": "新領取碼" },
  "claimCode.warning": {
    en: "For a candidate who lost theirs: the old claim code stops working.",
    "zh-HK": "供遺失領取碼的考生使用：舊的領取碼將會失效。",
  },
  "claimCode.button": { en: "Make a new claim code", "zh-HK": "產生新領取碼" },
  "claimCode.confirm": {
    en: "Make a new claim code for {number}? The old one stops working.",
    "zh-HK": "為 {number} 產生新領取碼？舊的領取碼將會失效。",
  },
  "claimCode.made": {
    en: "New claim code: {code} (shown this once). The old one no longer opens the certificate.",
    "zh-HK": "新領取碼：{code}（只顯示這一次）。舊的領取碼已不能開啟證書。",
  },
  "detail.continue": { en: "Continue", "zh-HK": "繼續" },
  "detail.confirm": { en: "Confirm", "zh-HK": "確認" },
  "detail.cancel": { en: "Cancel", "zh-HK": "取消" },
  "detail.confirmText": {
    en: "{action} certificate {number}, reason: {reason}? This is recorded on the blockchain.",
    "zh-HK": "{action}證書 {number}，原因：{reason}？此操作會記錄於區塊鏈。",
  },
  "detail.sent": {
    en: "Sent to the registry. Waiting for the blockchain…",
    "zh-HK": "已提交登記冊，正等候區塊鏈確認…",
  },
  "detail.changed": { en: "Done: the certificate is now {status}.", "zh-HK": "完成：證書現時狀態為{status}。" },
  "renew.heading": { en: "Renew", "zh-HK": "續期" },
  "renew.intro": {
    en: "Issue a new certificate with these details; it supersedes this one once recorded on the blockchain.",
    "zh-HK": "以下列資料簽發新證書；新證書記錄於區塊鏈後即取代此證書。",
  },
  "renew.listHint": { en: "One item per line.", "zh-HK": "每行一項。" },
  "renew.submit": { en: "Issue renewal", "zh-HK": "簽發續期證書" },
  "renew.accepted": {
    en: "Renewal accepted: certificate {number}, claim code {code}. This certificate becomes superseded once it is recorded.",
    "zh-HK": "已接受續期：證書 {number}，領取碼 {code}。新證書記錄後，此證書即被取代。",
  },
  "renew.refused": {
    en: "The renewal was refused; correct the fields below.",
    "zh-HK": "續期被拒絕；請更正以下欄位。",
  },
  "action.revoke": { en: "Revoke", "zh-HK": "撤銷" },
  "action.suspend": { en: "Suspend", "zh-HK": "暫停" },
  "action.reinstate": { en: "Reinstate", "zh-HK": "恢復" },
  "status.pending": { en: "pending", "zh-HK": "等候中" },
  "status.anchoring": { en: "anchoring", "zh-HK": "記錄中" },
  "status.issued": { en: "issued", "zh-HK": "已簽發" },
  "status.revoked": { en: "revoked", "zh-HK": "已撤銷" },
  "status.suspended": { en: "suspended", "zh-HK": "已暫停" },
  "status.superseded": { en: "superseded", "zh-HK": "已被取代" },
  "status.failed": { en: "failed", "zh-HK": "失敗" },
} as const satisfies Record<string, Text>;

export type PortalKey = keyof typeof PORTAL_STRINGS;

/** A page text in `lang`, with `{name}` placeholders filled from `values`. */
export function pt(key: PortalKey, lang: Language, values: Record<string, string> = {}): string {
  return PORTAL_STRINGS[key][lang].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name] : whole,
  );
}

/** A certificate status (`issued`, `revoked` ...) in words. */
export function statusText(status: string, lang: Language): string {
  const key = `status.${status}`;
  return Object.hasOwn(PORTAL_STRINGS, key) ? pt(key as PortalKey, lang) : status;
}

/** Words for the events of a certificate's history (`accepted`, `revoke-requested` ...); unknown ones are shown as they are. */
export const EVENT_TEXT: Record<string, Text> = {
  accepted: { en: "Accepted for issuance", "zh-HK": "已接受簽發" },
  anchored: { en: "Recorded on the blockchain", "zh-HK": "已記錄於區塊鏈" },
  issued: { en: "Issued", "zh-HK": "已簽發" },
  "revoke-requested": { en: "Revocation requested", "zh-HK": "已要求撤銷" },
  "suspend-requested": { en: "Suspension requested", "zh-HK": "已要求暫停" },
  "reinstate-requested": { en: "Reinstatement requested", "zh-HK": "已要求恢復" },
  revoked: { en: "Revoked on the blockchain", "zh-HK": "已於區塊鏈撤銷" },
  suspended: { en: "Suspended on the blockchain", "zh-HK": "已於區塊鏈暫停" },
  reinstated: { en: "Reinstated on the blockchain", "zh-HK": "已於區塊鏈恢復" },
  "batch-revoked": { en: "Batch revoked", "zh-HK": "整批已撤銷" },
  superseded: { en: "Superseded by a renewal", "zh-HK": "已由續期證書取代" },
  failed: { en: "Issuance failed", "zh-HK": "簽發失敗" },
};
