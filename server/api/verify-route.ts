/**
 * `POST /api/v1/verify`: public, rate-limited, size-limited; the same result JSON as the core, the CLI
 * and the verifier page.
 */
import express, { type RequestHandler, type Router } from "express";
import type { z } from "zod";
import { scanJsonText, type VerificationResult, type VerifyInput } from "../../core/index.ts";
import { ApiError } from "./errors.ts";
import type { schemas } from "./openapi.ts";
import { bodyLimit, type AuthedRequest } from "./request.ts";

export interface VerifyRouteParameters {
  /** The core's `verify` with this service's chain and trust. */
  verify: (input: VerifyInput) => Promise<VerificationResult>;
  /** Largest body taken, bytes. */
  maxVerifyBytes: number;
  limit: RequestHandler;
}

/** Mounts `POST /verify` on `api`: a PDF (application/pdf), a credential or `{ "url": ... }` (application/json). */
export function mountVerifyRoute(api: Router, parameters: VerifyRouteParameters): void {
  const { verify, maxVerifyBytes, limit } = parameters;
  api.post(
    "/verify",
    limit,
    bodyLimit(maxVerifyBytes),
    express.raw({ type: ["application/pdf", "application/octet-stream"], limit: maxVerifyBytes }),
    express.json({ limit: maxVerifyBytes, verify: (req, _res, raw) => void ((req as AuthedRequest).rawBody = raw) }),
    async (req: AuthedRequest, res) => {
      const body = req.body as unknown;
      let input: VerifyInput;
      if (Buffer.isBuffer(body)) input = { pdf: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
      else if (body && typeof body === "object") {
        // A credential goes to the core as its text, so that its strict reading sees a member name given
        // twice (MALFORMED); so does `{ "url" }` given twice.
        const text = req.rawBody!.toString("utf8");
        const url = (body as { url?: unknown }).url;
        const isUrl =
          !Array.isArray(body) &&
          Object.keys(body).length === 1 &&
          typeof url === "string" &&
          !scanJsonText(text).duplicate;
        input = isUrl ? { url: url as string } : { credential: text };
      } else
        throw new ApiError(
          "INVALID_REQUEST",
          'Send a PDF (application/pdf), a credential or { "url": ... } (application/json)',
        );
      const result: z.infer<typeof schemas.VerificationResult> = await verify(input);
      res.json(result);
    },
  );
}
