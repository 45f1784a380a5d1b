/**
 * Uploading a CSV file of one of the department's certificate types. What it became (progress, per-row
 * errors, the claim codes) is the batch view's ({@link showBatch}).
 */
import { CERTIFICATE_TYPES } from "../../../core/types/index.ts";
import { byId, h } from "../dom.ts";
import { problemOf } from "../portal.ts";
import { uploadCsv } from "./api.ts";
import { clearBatch, showBatch } from "./batch.ts";
import { portal, session } from "./state.ts";

const elements = {
  uploadForm: byId<HTMLFormElement>("upload-form"),
  uploadType: byId<HTMLSelectElement>("upload-type"),
  uploadFile: byId<HTMLInputElement>("upload-file"),
  uploadSubmit: byId<HTMLButtonElement>("upload-submit"),
  uploadMessage: byId("upload-message"),
};

/** Called after each upload (the batch list and the approvals are read again). */
let uploaded: () => void = () => {};

export function wireUpload(after: () => void): void {
  uploaded = after;
  elements.uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void upload();
  });
}

/** The certificate types to choose from: the signed-in department's (every type before `GET /me`). */
export function drawTypes(): void {
  const selected = elements.uploadType.value;
  const types = CERTIFICATE_TYPES.filter((type) => session.types.length === 0 || session.types.includes(type.id));
  elements.uploadType.replaceChildren(
    ...types.map((type) => h("option", { value: type.id }, `${type.title[portal.lang]} (${type.id})`)),
  );
  if (selected) elements.uploadType.value = selected;
}

/** Forgets the last upload (signing out). */
export function clearUpload(): void {
  clearBatch();
  portal.say(elements.uploadMessage, undefined);
}

async function upload(): Promise<void> {
  const file = elements.uploadFile.files?.[0];
  if (!file) {
    portal.say(elements.uploadMessage, { key: "upload.noFile" }, "error");
    return;
  }
  clearBatch();
  elements.uploadSubmit.disabled = true;
  portal.say(elements.uploadMessage, { key: "upload.sending", values: { name: file.name } }, "ok");
  try {
    const answer = await uploadCsv(elements.uploadType.value, file);
    if (answer.fileError) {
      portal.say(
        elements.uploadMessage,
        { key: "upload.refused", values: { message: answer.fileError.message[portal.lang] } },
        "error",
      );
    } else {
      const refused = new Set(answer.errors.map((e) => e.row)).size;
      const values = {
        accepted: String(answer.certificates.length),
        rows: String(answer.certificates.length + refused),
        errors: String(refused),
      };
      const awaiting = answer.state === "awaiting-approval" && answer.certificates.length > 0;
      portal.say(
        elements.uploadMessage,
        { key: awaiting ? "upload.awaiting" : "upload.accepted", values },
        answer.errors.length > 0 ? "error" : "ok",
      );
      elements.uploadMessage.dataset.state = answer.state;
    }
    showBatch(answer);
    uploaded();
  } catch (error) {
    portal.say(elements.uploadMessage, problemOf(error), "error");
  } finally {
    elements.uploadSubmit.disabled = false;
  }
}
