/**
 * QR code scanning with the device camera: `getUserMedia` video frames drawn on a canvas and decoded
 * with jsQR. The camera is opened only when the user asks (the "Scan" button) and closed as soon as a
 * code is found, on "Stop", or when the page is hidden.
 */
import jsQRModule from "jsqr";
import { BaseError } from "../../core/base-error.ts";

// jsqr is CommonJS with an ES-style `default` export: esbuild hands over `default`, Node the module.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ??
  jsQRModule) as unknown as typeof jsQRModule.default;

/** Why the camera could not be used, each with its own message in the string table. */
export type CameraProblem = "unsupported" | "noCamera" | "denied" | "failed";

/** Every code a {@link CameraError} can carry, one per {@link CameraProblem}. Only ever add to this list. */
export const CAMERA_ERROR_CODES = ["CAMERA_UNSUPPORTED", "CAMERA_NOT_FOUND", "CAMERA_DENIED", "CAMERA_FAILED"] as const;
export type CameraErrorCode = (typeof CAMERA_ERROR_CODES)[number];

const CODE_OF_PROBLEM: Record<CameraProblem, CameraErrorCode> = {
  unsupported: "CAMERA_UNSUPPORTED",
  noCamera: "CAMERA_NOT_FOUND",
  denied: "CAMERA_DENIED",
  failed: "CAMERA_FAILED",
};

/** The camera could not be used: {@link CameraError.problem} picks the page's message. */
export class CameraError extends BaseError<CameraErrorCode> {
  override name = "CameraError";
  readonly problem: CameraProblem;
  constructor(problem: CameraProblem, options?: { cause?: unknown }) {
    super(CODE_OF_PROBLEM[problem], `camera: ${problem}`, options);
    this.problem = problem;
  }
}

export type StartScanParameters = {
  /** Where the camera picture is shown (muted, inline). */
  video: HTMLVideoElement;
  /**
   * Called with the text of each QR code found; return `true` to stop scanning (the code was the one
   * wanted), `false` to keep looking.
   */
  onCode: (text: string) => boolean;
  /** Largest frame side decoded, in pixels (larger frames are scaled down). Default 1280. */
  maxSide?: number;
  /** Least time between two decodes, in milliseconds. Default 120. */
  intervalMs?: number;
};

export type Scanner = {
  /** Stops decoding and releases the camera; idempotent. */
  stop(): void;
  /** Resolves when scanning has stopped (a code was accepted, or `stop` was called). */
  done: Promise<void>;
};

/**
 * Opens the rear camera (any camera if there is none) and decodes frames until `onCode` accepts one.
 *
 * @throws CameraError `unsupported` (no `getUserMedia`, e.g. not a secure page), `noCamera`, `denied`
 *   (permission refused) or `failed` (the camera is busy or broke).
 * @example
 * ```ts
 * const scanner = await startScan({ video, onCode: (text) => text.includes("#1-") });
 * ```
 */
export async function startScan({
  video,
  onCode,
  maxSide = 1280,
  intervalMs = 120,
}: StartScanParameters): Promise<Scanner> {
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function")
    throw new CameraError("unsupported");
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (error) {
    throw new CameraError(problemOf(error), { cause: error });
  }

  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  try {
    await video.play();
  } catch (error) {
    release(stream, video);
    throw new CameraError("failed", { cause: error });
  }

  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) {
    release(stream, video);
    throw new CameraError("failed");
  }

  let stopped = false;
  let frame = 0;
  let last = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const stop = () => {
    if (stopped) return;
    stopped = true;
    cancelAnimationFrame(frame);
    release(stream, video);
    finish();
  };
  // A track that ends by itself (camera unplugged, permission withdrawn) ends the scan too.
  for (const track of stream.getVideoTracks()) track.addEventListener("ended", stop);

  const tick = (time: number) => {
    if (stopped) return;
    frame = requestAnimationFrame(tick);
    if (time - last < intervalMs || video.readyState < video.HAVE_CURRENT_DATA || video.videoWidth === 0) return;
    last = time;
    const scale = Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight));
    const width = Math.round(video.videoWidth * scale);
    const height = Math.round(video.videoHeight * scale);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    context.drawImage(video, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    const code = jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
    if (code && code.data && onCode(code.data)) stop();
  };
  frame = requestAnimationFrame(tick);
  return { stop, done };
}

function release(stream: MediaStream, video: HTMLVideoElement): void {
  for (const track of stream.getTracks()) track.stop();
  video.pause();
  video.srcObject = null;
}

function problemOf(error: unknown): CameraProblem {
  const name = (error as { name?: unknown } | null)?.name;
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "noCamera";
    case "TypeError":
      return "unsupported";
    default:
      return "failed";
  }
}
