/**
 * EIP-55 mixed-case checksum addresses, with the core's own keccak256 (no ethers in the browser bundle).
 * The same output as ethers' `getAddress(address.toLowerCase())`, checked by test/core/address.test.ts.
 */
import { CoreError } from "./errors.ts";
import { keccak256Bytes } from "./keccak.ts";

const ADDRESS = /^(0x)?[0-9a-fA-F]{40}$/;
const textEncoder = new TextEncoder();

/**
 * EIP-55 mixed-case checksum of 40 lowercase hex digits (no `0x`): a letter is upper case when the
 * matching nibble of keccak256(the lowercase digits as ASCII) is 8 or more.
 */
export function checksumCase(lowerHex: string): string {
  const hash = keccak256Bytes(textEncoder.encode(lowerHex));
  let out = "";
  for (let i = 0; i < 40; i++) {
    const c = lowerHex[i];
    const nibble = i % 2 === 0 ? hash[i >> 1] >> 4 : hash[i >> 1] & 15;
    out += c >= "a" && nibble >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/**
 * The EIP-55 checksummed form of a 20-byte hex address in any letter case (its case is not checked).
 *
 * @throws CoreError `INVALID_ARGUMENT` when `address` is not 40 hex digits, with or without `0x`.
 * @example
 * ```ts
 * checksumAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"); // "0x5FbDB2315678afecb367f032d93F642f64180aa3"
 * ```
 */
export function checksumAddress(address: string): string {
  if (typeof address !== "string" || !ADDRESS.test(address)) {
    throw new CoreError("INVALID_ARGUMENT", `Not a 20-byte hex address: ${String(address).slice(0, 50)}`);
  }
  return `0x${checksumCase(address.slice(-40).toLowerCase())}`;
}
