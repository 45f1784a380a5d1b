/**
 * The QR code / share-link payload moved to `core/qr/` (the format in `core/qr/format.ts`, the API in
 * `core/qr/index.ts`). This re-export stays only until the last importers (pages' tests being moved
 * under `test/browser/`) import `core/qr/index.ts`; new code imports that.
 */
export * from "./qr/index.ts";
