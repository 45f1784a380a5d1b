/**
 * Claim codes: the one credential a candidate holds. Only a hash of the normalised code is stored.
 */
import { createHash, randomBytes } from "node:crypto";

const CLAIM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; // no 0/O, 1/I

/** A claim code: 12 characters from a 32-letter alphabet (60 bits), grouped `XXXX-XXXX-XXXX`. */
export function newClaimCode(): string {
  const bytes = randomBytes(12);
  const chars = Array.from(bytes, (b) => CLAIM_ALPHABET[b & 31]).join("");
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

/** The stored lookup value of a claim code: SHA-256 (hex) of it in capitals, without separators. */
export function claimCodeHash(code: string): string {
  return createHash("sha256")
    .update(
      String(code)
        .toUpperCase()
        .replace(/[^0-9A-Z]/g, ""),
    )
    .digest("hex");
}
