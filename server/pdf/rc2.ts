/**
 * RC2-CBC decryption (RFC 2268), for the one place it still appears: the certificate bag of PKCS#12
 * files written with the old defaults (`pbeWithSHAAnd40BitRC2-CBC`: OpenSSL 1.x and `openssl pkcs12
 * -legacy`, older Windows exports). OpenSSL 3 moved RC2 to its legacy provider, which Node does not
 * load, so it is implemented here. Decryption only; never used to protect anything.
 */

/** PITABLE of RFC 2268 section 2: a permutation of 0..255 derived from the digits of pi. */
const PITABLE = Uint8Array.from(
  Buffer.from(
    "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2" +
      "179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82" +
      "54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626" +
      "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7" +
      "08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec" +
      "c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731" +
      "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9" +
      "0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad",
    "hex",
  ),
);

/**
 * Expands `key` to the 64 16-bit subkeys K[0..63] for `effectiveBits` effective key bits (RFC 2268
 * section 2).
 */
function expandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const L = new Uint8Array(128);
  L.set(key);
  const T = key.length;
  for (let i = T; i < 128; i++) L[i] = PITABLE[(L[i - 1] + L[i - T]) & 0xff];
  const T8 = Math.ceil(effectiveBits / 8);
  const TM = 0xff >> (8 * T8 - effectiveBits);
  L[128 - T8] = PITABLE[L[128 - T8] & TM];
  for (let i = 127 - T8; i >= 0; i--) L[i] = PITABLE[L[i + 1] ^ L[i + T8]];
  const K = new Uint16Array(64);
  for (let i = 0; i < 64; i++) K[i] = L[2 * i] | (L[2 * i + 1] << 8);
  return K;
}

const SHIFTS = [1, 2, 3, 5];

/** Decrypts one 8-byte block in place (RFC 2268 section 4). */
function decryptBlock(K: Uint16Array, block: Uint8Array, offset: number): void {
  const R = new Uint16Array(4);
  for (let i = 0; i < 4; i++) R[i] = block[offset + 2 * i] | (block[offset + 2 * i + 1] << 8);
  let j = 63;
  const mixRound = (): void => {
    for (let i = 3; i >= 0; i--) {
      const s = SHIFTS[i];
      R[i] = ((R[i] >>> s) | (R[i] << (16 - s))) & 0xffff;
      R[i] = R[i] - K[j] - (R[(i + 3) & 3] & R[(i + 2) & 3]) - (~R[(i + 3) & 3] & R[(i + 1) & 3]);
      j--;
    }
  };
  const mashRound = (): void => {
    for (let i = 3; i >= 0; i--) R[i] = R[i] - K[R[(i + 3) & 3] & 63];
  };
  for (let round = 0; round < 5; round++) mixRound();
  mashRound();
  for (let round = 0; round < 6; round++) mixRound();
  mashRound();
  for (let round = 0; round < 5; round++) mixRound();
  for (let i = 0; i < 4; i++) {
    block[offset + 2 * i] = R[i] & 0xff;
    block[offset + 2 * i + 1] = R[i] >>> 8;
  }
}

/**
 * Decrypts RC2 in ECB mode without padding (test vectors of RFC 2268 section 5).
 *
 * @example
 * rc2DecryptEcb(Buffer.from("ebb773f993278eff", "hex"), new Uint8Array(8), 63); // 8 zero bytes
 */
export function rc2DecryptEcb(ciphertext: Uint8Array, key: Uint8Array, effectiveBits: number): Uint8Array {
  if (ciphertext.length % 8 !== 0) throw new RangeError("RC2: ciphertext is not a whole number of blocks");
  const K = expandKey(key, effectiveBits);
  const out = Uint8Array.from(ciphertext);
  for (let offset = 0; offset < out.length; offset += 8) decryptBlock(K, out, offset);
  return out;
}

/**
 * Decrypts RC2-CBC with PKCS#7 padding, `effectiveBits` = 8 x key length (as PKCS#12 uses it).
 *
 * @throws {RangeError} when the ciphertext length or the padding is wrong (as with a wrong key).
 */
export function rc2DecryptCbc(ciphertext: Uint8Array, key: Uint8Array, iv: Uint8Array): Uint8Array {
  if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) {
    throw new RangeError("RC2: ciphertext is not a whole number of blocks");
  }
  const out = rc2DecryptEcb(ciphertext, key, key.length * 8);
  for (let i = out.length - 1; i >= 8; i--) out[i] ^= ciphertext[i - 8];
  for (let i = 0; i < 8; i++) out[i] ^= iv[i];
  const pad = out[out.length - 1];
  if (pad < 1 || pad > 8) throw new RangeError("RC2: bad padding");
  for (let i = out.length - pad; i < out.length; i++) if (out[i] !== pad) throw new RangeError("RC2: bad padding");
  return out.subarray(0, out.length - pad);
}
