/**
 * PKCS#12 (RFC 7292) decoding in-process: asn1js parses the (BER) structure, node:crypto does the
 * cryptography, nothing is shelled out. Supported, which covers what OpenSSL 1.x/3.x, Windows and Java
 * keytool write by default:
 * - integrity: HMAC with the PKCS#12 key derivation (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512), or none;
 * - encryption: PBES2 (PBKDF2 with HMAC-SHA-1/224/256/384/512, then AES-128/192/256-CBC or 3DES-CBC; the
 *   OpenSSL 3 default is AES-256-CBC + PBKDF2-HMAC-SHA-256) and the legacy PKCS#12 PBEs
 *   pbeWithSHAAnd3-KeyTripleDES-CBC, pbeWithSHAAnd2-KeyTripleDES-CBC, pbeWithSHAAnd128BitRC2-CBC and
 *   pbeWithSHAAnd40BitRC2-CBC (`openssl pkcs12 -legacy`, older Windows exports).
 * Not supported (refused with UNSUPPORTED_PKCS12 naming the feature): public-key integrity mode, PBMAC1,
 * RC4 and PKCS#5 v1.5 PBEs.
 *
 * Passwords: the PKCS#12 key derivation uses the password as a BMPString (UTF-16BE plus two zero
 * bytes); PBKDF2 uses its UTF-8 bytes, as OpenSSL does.
 */
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import * as asn1js from "asn1js";
import { rc2DecryptCbc } from "./rc2.ts";
import { PdfSigningError } from "./signing-error.ts";

/** What a PKCS#12 file holds that signing needs. */
export interface Pkcs12Contents {
  /** X.509 certificates, DER, in file order, with their localKeyId attribute if any. */
  certificates: { der: Uint8Array; localKeyId: Uint8Array | undefined }[];
  /** Private keys as PKCS#8 PrivateKeyInfo DER, with their localKeyId attribute if any. */
  keys: { pkcs8: Uint8Array; localKeyId: Uint8Array | undefined }[];
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  safeContentsBag: "1.2.840.113549.1.12.10.1.6",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  pbmac1: "1.2.840.113549.1.5.14",
} as const;

/** Digest algorithm OIDs: node:crypto name, output length u and block length v (RFC 7292 B.2). */
const DIGESTS: Record<string, { name: string; u: number; v: number }> = {
  "1.3.14.3.2.26": { name: "sha1", u: 20, v: 64 },
  "2.16.840.1.101.3.4.2.4": { name: "sha224", u: 28, v: 64 },
  "2.16.840.1.101.3.4.2.1": { name: "sha256", u: 32, v: 64 },
  "2.16.840.1.101.3.4.2.2": { name: "sha384", u: 48, v: 128 },
  "2.16.840.1.101.3.4.2.3": { name: "sha512", u: 64, v: 128 },
};

/** PBKDF2 PRF OIDs (RFC 8018 B.1) to node:crypto digest names. */
const HMAC_PRFS: Record<string, string> = {
  "1.2.840.113549.2.7": "sha1",
  "1.2.840.113549.2.8": "sha224",
  "1.2.840.113549.2.9": "sha256",
  "1.2.840.113549.2.10": "sha384",
  "1.2.840.113549.2.11": "sha512",
};

/** PBES2 encryption schemes: node:crypto cipher name and key length. */
const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  "2.16.840.1.101.3.4.1.2": { name: "aes-128-cbc", keyLength: 16 },
  "2.16.840.1.101.3.4.1.22": { name: "aes-192-cbc", keyLength: 24 },
  "2.16.840.1.101.3.4.1.42": { name: "aes-256-cbc", keyLength: 32 },
  "1.2.840.113549.3.7": { name: "des-ede3-cbc", keyLength: 24 },
};

/** The PKCS#12 password-based encryption schemes (RFC 7292 appendix C), all with SHA-1. */
const PKCS12_PBES: Record<string, { name: string; keyLength: number } | { unsupported: string }> = {
  "1.2.840.113549.1.12.1.1": { unsupported: "pbeWithSHAAnd128BitRC4" },
  "1.2.840.113549.1.12.1.2": { unsupported: "pbeWithSHAAnd40BitRC4" },
  "1.2.840.113549.1.12.1.3": { name: "des-ede3-cbc", keyLength: 24 },
  "1.2.840.113549.1.12.1.4": { name: "des-ede-cbc", keyLength: 16 },
  "1.2.840.113549.1.12.1.5": { name: "rc2-cbc", keyLength: 16 },
  "1.2.840.113549.1.12.1.6": { name: "rc2-cbc", keyLength: 5 },
};

/** Upper bound on key-derivation iteration counts (real files use 2,000 to 600,000). */
const MAX_ITERATIONS = 10_000_000;

/** A parsed BER element, reduced to what the walk below needs. */
interface Node {
  /** 1 universal, 2 application, 3 context-specific, 4 private (asn1js numbering). */
  tagClass: number;
  tagNumber: number;
  constructed: boolean;
  children: Node[];
  /** Content octets of a primitive element. */
  content: Uint8Array;
  /** The element as it was encoded (tag, length and content). */
  raw: Uint8Array;
  /** Object identifier in dotted form, for OBJECT IDENTIFIER elements. */
  oid: string | undefined;
}

/** Thrown inside the walk; turned into a PdfSigningError that names the file. */
class Malformed extends Error {}

/**
 * Decodes a PKCS#12 file: checks its integrity with `password`, decrypts every bag and returns the
 * certificates and private keys it holds.
 *
 * @param file Name of the file, for error messages only.
 * @throws {PdfSigningError} WRONG_PASSWORD, MALFORMED_PKCS12 or UNSUPPORTED_PKCS12 (naming `file`).
 * @example
 * const { certificates, keys } = decodePkcs12(await readFile("csb.p12"), password, "csb.p12");
 */
export function decodePkcs12(bytes: Uint8Array, password: string, file: string): Pkcs12Contents {
  try {
    return decode(bytes, password, file);
  } catch (error) {
    if (error instanceof PdfSigningError) throw error;
    // asn1js and our own checks: the structure is wrong. The message never holds secrets.
    const reason = error instanceof Malformed ? `: ${error.message}` : "";
    throw new PdfSigningError("MALFORMED_PKCS12", `${file} is not a well-formed PKCS#12 file${reason}`, {
      file,
      cause: error instanceof Malformed ? undefined : error,
    });
  }
}

function decode(bytes: Uint8Array, password: string, file: string): Pkcs12Contents {
  const pfx = parse(bytes);
  expect(pfx.tagNumber === 16 && pfx.children.length >= 2, "the outer element is not a PFX SEQUENCE");
  const [version, authSafe, macData] = pfx.children;
  expect(version.tagNumber === 2 && version.content.length === 1 && version.content[0] === 3, "PFX version is not 3");
  const authSafeType = oidOf(authSafe.children[0]);
  if (authSafeType === OID.signedData) {
    throw new PdfSigningError("UNSUPPORTED_PKCS12", `${file} uses public-key integrity mode, which is not supported`, { file });
  }
  expect(authSafeType === OID.data, "authSafe is not id-data");
  const authSafeOctets = octets(explicit0(authSafe.children[1]));

  // Both password encodings: BMPString for the PKCS#12 KDF, UTF-8 for PBKDF2. An empty password can
  // mean "no password" (zero-length BMPString) or "" (two zero bytes): OpenSSL accepts both.
  let secrets = { bmp: bmpPassword(password), utf8: Buffer.from(password, "utf8") };
  if (macData) {
    const candidates = [secrets];
    if (password === "") candidates.push({ bmp: Buffer.alloc(0), utf8: Buffer.alloc(0) });
    const match = candidates.find((candidate) => macMatches(macData, authSafeOctets, candidate.bmp, file));
    if (!match) {
      throw new PdfSigningError(
        "WRONG_PASSWORD",
        `The password for the PKCS#12 file ${file} is wrong (its integrity check fails)`,
        { file },
      );
    }
    secrets = match;
  }

  const result: Pkcs12Contents = { certificates: [], keys: [] };
  for (const contentInfo of parse(authSafeOctets).children) {
    const type = oidOf(contentInfo.children[0]);
    const content = explicit0(contentInfo.children[1]);
    if (type === OID.data) {
      readSafeContents(parse(octets(content)), result, secrets, file);
    } else if (type === OID.encryptedData) {
      // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT content } }
      const encryptedContentInfo = content.children[1];
      const [, algorithm, encrypted] = encryptedContentInfo.children;
      expect(encrypted !== undefined, "encrypted content is missing");
      const plaintext = decrypt(algorithm, octets(encrypted), secrets, file);
      readSafeContents(parseDecrypted(plaintext, file), result, secrets, file);
    } else {
      throw new PdfSigningError("UNSUPPORTED_PKCS12", `${file} holds a content of type ${type}, which is not supported`, { file });
    }
  }
  return result;
}

function readSafeContents(safeContents: Node, result: Pkcs12Contents, secrets: Secrets, file: string): void {
  for (const bag of safeContents.children) {
    const bagId = oidOf(bag.children[0]);
    const value = explicit0(bag.children[1]);
    const localKeyId = readLocalKeyId(bag.children[2]);
    if (bagId === OID.keyBag) {
      result.keys.push({ pkcs8: value.raw, localKeyId });
    } else if (bagId === OID.shroudedKeyBag) {
      const [algorithm, encrypted] = value.children;
      const pkcs8 = decrypt(algorithm, octets(encrypted), secrets, file);
      parseDecrypted(pkcs8, file);
      result.keys.push({ pkcs8, localKeyId });
    } else if (bagId === OID.certBag) {
      if (oidOf(value.children[0]) === OID.x509Certificate) {
        result.certificates.push({ der: octets(explicit0(value.children[1])), localKeyId });
      }
    } else if (bagId === OID.safeContentsBag) {
      readSafeContents(value, result, secrets, file);
    }
    // CRL and secret bags are of no use for signing: skipped.
  }
}

function readLocalKeyId(attributes: Node | undefined): Uint8Array | undefined {
  if (!attributes) return undefined;
  for (const attribute of attributes.children) {
    if (oidOf(attribute.children[0]) === OID.localKeyId) {
      const value = attribute.children[1]?.children[0];
      if (value) return octets(value);
    }
  }
  return undefined;
}

interface Secrets {
  bmp: Buffer;
  utf8: Buffer;
}

function macMatches(macData: Node, authSafeOctets: Uint8Array, bmp: Buffer, file: string): boolean {
  // MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }
  const [digestInfo, salt, iterationsNode] = macData.children;
  const [algorithm, expected] = digestInfo.children;
  const algorithmId = oidOf(algorithm.children[0]);
  if (algorithmId === OID.pbmac1) {
    throw new PdfSigningError("UNSUPPORTED_PKCS12", `${file} uses PBMAC1 integrity, which is not supported`, { file });
  }
  const digest = DIGESTS[algorithmId];
  if (!digest) {
    throw new PdfSigningError("UNSUPPORTED_PKCS12", `${file} uses MAC digest ${algorithmId}, which is not supported`, { file });
  }
  const iterations = iterationsNode ? integer(iterationsNode) : 1;
  const key = pkcs12Kdf(digest, bmp, octets(salt), iterations, 3, digest.u);
  const actual = createHmac(digest.name, key).update(authSafeOctets).digest();
  const wanted = octets(expected);
  return wanted.length === actual.length && timingSafeEqual(actual, wanted);
}

/** Decrypts `ciphertext` with the password-based scheme `algorithm` (an AlgorithmIdentifier). */
function decrypt(algorithm: Node, ciphertext: Uint8Array, secrets: Secrets, file: string): Buffer {
  const algorithmId = oidOf(algorithm.children[0]);
  const params = algorithm.children[1];
  let cipher: { name: string; keyLength: number };
  let key: Buffer;
  let iv: Buffer;
  if (algorithmId === OID.pbes2) {
    // PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }
    const [kdf, scheme] = params.children;
    const kdfId = oidOf(kdf.children[0]);
    if (kdfId !== OID.pbkdf2) {
      throw new PdfSigningError("UNSUPPORTED_PKCS12", `${file} uses key derivation ${kdfId}, which is not supported`, { file });
    }
    const schemeId = oidOf(scheme.children[0]);
    const found = PBES2_CIPHERS[schemeId];
    if (!found) {
      throw new PdfSigningError("UNSUPPORTED_PKCS12", `${file} uses cipher ${schemeId}, which is not supported`, { file });
    }
    cipher = found;
    iv = Buffer.from(octets(scheme.children[1]));
    // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1 }
    const [salt, iterations, ...rest] = kdf.children[1].children;
    expect(salt?.tagNumber === 4, "PBKDF2 salt is not an OCTET STRING");
    const prfNode = rest.find((node) => node.tagNumber === 16);
    const prfId = prfNode ? oidOf(prfNode.children[0]) : "1.2.840.113549.2.7";
    const prf = HMAC_PRFS[prfId];
    if (!prf) {
      throw new PdfSigningError("UNSUPPORTED_PKCS12", `${file} uses PBKDF2 PRF ${prfId}, which is not supported`, { file });
    }
    key = pbkdf2Sync(secrets.utf8, octets(salt), integer(iterations), cipher.keyLength, prf);
  } else {
    const pbe = PKCS12_PBES[algorithmId];
    if (!pbe || "unsupported" in pbe) {
      const name = pbe && "unsupported" in pbe ? pbe.unsupported : algorithmId;
      throw new PdfSigningError("UNSUPPORTED_PKCS12", `${file} is encrypted with ${name}, which is not supported`, { file });
    }
    cipher = pbe;
    // pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
    const [salt, iterations] = params.children;
    const sha1 = DIGESTS["1.3.14.3.2.26"];
    key = pkcs12Kdf(sha1, secrets.bmp, octets(salt), integer(iterations), 1, cipher.keyLength);
    iv = pkcs12Kdf(sha1, secrets.bmp, octets(salt), integer(iterations), 2, 8);
  }
  try {
    if (cipher.name === "rc2-cbc") return Buffer.from(rc2DecryptCbc(ciphertext, key, iv));
    const decipher = createDecipheriv(cipher.name, key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    // Bad padding: with the MAC already checked, the bag was encrypted with another password.
    throw new PdfSigningError("WRONG_PASSWORD", `The password for the PKCS#12 file ${file} does not decrypt its contents`, {
      file,
    });
  }
}

/** Parses decrypted bytes; garbage after a lucky padding check means a wrong password. */
function parseDecrypted(plaintext: Uint8Array, file: string): Node {
  try {
    return parse(plaintext);
  } catch {
    throw new PdfSigningError("WRONG_PASSWORD", `The password for the PKCS#12 file ${file} does not decrypt its contents`, {
      file,
    });
  }
}

/**
 * The PKCS#12 key derivation function (RFC 7292 appendix B.2): `id` 1 for keys, 2 for IVs, 3 for MAC
 * keys; `password` already a BMPString.
 */
export function pkcs12Kdf(
  digest: { name: string; u: number; v: number },
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  id: 1 | 2 | 3,
  length: number,
): Buffer {
  const { u, v } = digest;
  const repeat = (data: Uint8Array): Buffer => {
    const out = Buffer.alloc(v * Math.ceil(data.length / v));
    for (let i = 0; i < out.length; i++) out[i] = data[i % data.length];
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([repeat(salt), repeat(password)]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash(digest.name).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(digest.name).update(A).digest();
    blocks.push(A);
    if (produced + u >= length) break;
    const B = Buffer.alloc(v);
    for (let i = 0; i < v; i++) B[i] = A[i % u];
    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let i = v - 1; i >= 0; i--) {
        const sum = I[j + i] + B[i] + carry;
        I[j + i] = sum & 0xff;
        carry = sum >>> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

function parse(bytes: Uint8Array): Node {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1) throw new Malformed(parsed.result.error || "not BER");
  return toNode(parsed.result);
}

function toNode(block: asn1js.AsnType): Node {
  const base = block as unknown as asn1js.BaseBlock & {
    valueBlock: { value?: asn1js.AsnType[]; valueHexView?: Uint8Array };
  };
  const constructed = base.idBlock.isConstructed;
  const children = constructed
    ? (base.valueBlock.value ?? [])
        .filter((child) => !(child instanceof asn1js.EndOfContent))
        .map((child) => toNode(child))
    : [];
  return {
    tagClass: base.idBlock.tagClass,
    tagNumber: base.idBlock.tagNumber,
    constructed,
    children,
    content: constructed ? new Uint8Array(0) : (base.valueBlock.valueHexView ?? new Uint8Array(0)),
    raw: base.valueBeforeDecodeView,
    oid: block instanceof asn1js.ObjectIdentifier ? block.valueBlock.toString() : undefined,
  };
}

function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Malformed(message);
}

function oidOf(node: Node | undefined): string {
  expect(node?.oid !== undefined, "expected an OBJECT IDENTIFIER");
  return node.oid;
}

/** The content of a `[0] EXPLICIT` wrapper. */
function explicit0(node: Node | undefined): Node {
  expect(node !== undefined && node.tagClass === 3 && node.tagNumber === 0 && node.children.length === 1, "expected [0] EXPLICIT");
  return node.children[0];
}

/** The octets of an OCTET STRING (or of an implicitly tagged one), joining constructed segments. */
function octets(node: Node | undefined): Buffer {
  expect(node !== undefined, "expected an OCTET STRING");
  if (!node.constructed) return Buffer.from(node.content);
  return Buffer.concat(node.children.map((child) => octets(child)));
}

/** Reads an iteration count; refuses counts that would keep start-up busy for minutes. */
function integer(node: Node | undefined): number {
  expect(node?.tagNumber === 2 && !node.constructed && node.content.length <= 4, "expected a small INTEGER");
  let value = 0;
  for (const byte of node.content) value = value * 256 + byte;
  expect(value >= 1 && value <= MAX_ITERATIONS, `iteration count ${value} is outside 1..${MAX_ITERATIONS}`);
  return value;
}
