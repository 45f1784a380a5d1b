/**
 * PKCS#12 (RFC 7292) decoding with node-forge: integrity (HMAC-SHA-1/256/384/512) and the bags written by
 * OpenSSL 3 by default (PBES2: PBKDF2 + AES-CBC or 3DES), with `-legacy` or by older Windows exports
 * (pbeWithSHAAnd3-KeyTripleDES-CBC, pbeWithSHAAnd40BitRC2-CBC). Anything else forge refuses is reported
 * as UNSUPPORTED_PKCS12 with forge's reason (e.g. RC2-128, public-key integrity mode, CRL bags).
 *
 * Two things forge does not do as this project needs, handled for the one synchronous call:
 * - certificate bytes: forge hands out a parsed certificate, whose re-encoding need not be the stored
 *   bytes (forge rewrites the outer signature algorithm, and does not parse EC certificates at all),
 *   while the registered fingerprint is the SHA-256 of the stored bytes. So the bytes each ASN.1 tree was
 *   parsed from are recorded, and a certificate is returned as exactly what its bag held;
 * - passwords: forge feeds the password to PBKDF2 as one byte per UTF-16 unit, while OpenSSL uses its
 *   UTF-8 bytes there (and a BMPString, as forge does, for the PKCS#12 key derivation). So PBKDF2 runs
 *   in node:crypto (also about 10 times faster than forge's) on the password's UTF-8 bytes.
 */
import { pbkdf2Sync } from "node:crypto";
import forge from "node-forge";
import { PdfSigningError } from "./signing-error.ts";

/** What a PKCS#12 file holds that signing needs, in file order. */
export interface Pkcs12Contents {
  /** X.509 certificates, DER, byte for byte as stored in their bags. */
  certificates: Uint8Array[];
  /** Private keys as PKCS#8 PrivateKeyInfo DER. */
  keys: Uint8Array[];
}

type FromDer = (bytes: string | forge.util.ByteBuffer, options?: unknown) => forge.asn1.Asn1;
type Pbkdf2 = (
  password: string,
  salt: string,
  iterations: number,
  keyLength: number,
  md?: { algorithm: string },
) => string;
const asn1Module = forge.asn1 as unknown as { fromDer: FromDer };
const pkcs5Module = forge.pkcs5 as unknown as { pbkdf2: Pbkdf2 };

/**
 * Decodes a PKCS#12 file: checks its integrity with `password`, decrypts every bag and returns the
 * certificates and private keys it holds.
 *
 * @param file Name of the file, for error messages only.
 * @throws {PdfSigningError} WRONG_PASSWORD, MALFORMED_PKCS12 or UNSUPPORTED_PKCS12 (naming `file`); never
 * with the password or key material in the message.
 * @example
 * const { certificates, keys } = decodePkcs12(await readFile("csb.p12"), password, "csb.p12");
 */
export function decodePkcs12(bytes: Uint8Array, password: string, file: string): Pkcs12Contents {
  let pfxAsn1: forge.asn1.Asn1;
  try {
    pfxAsn1 = forge.asn1.fromDer(Buffer.from(bytes).toString("binary"));
  } catch (error) {
    throw malformed(file, error);
  }
  const hasMac = Array.isArray(pfxAsn1.value) && pfxAsn1.value.length > 2;

  // The bytes each ASN.1 tree was parsed from (keyed by the tree and by its first child, which is how a
  // forge certificate refers back to its tree: `tbsCertificate`).
  const parsedFrom = new WeakMap<object, string>();
  const { fromDer } = asn1Module;
  const { pbkdf2 } = pkcs5Module;
  let pfx: forge.pkcs12.Pkcs12Pfx;
  try {
    asn1Module.fromDer = (input, options) => {
      const text = typeof input === "string" ? input : input.bytes();
      const node = fromDer(input, options);
      parsedFrom.set(node, text);
      if (Array.isArray(node.value) && node.value[0]) parsedFrom.set(node.value[0], text);
      return node;
    };
    pkcs5Module.pbkdf2 = (secret, salt, iterations, keyLength, md) =>
      pbkdf2Sync(
        Buffer.from(secret, "utf8"),
        Buffer.from(salt, "binary"),
        iterations,
        keyLength,
        md?.algorithm ?? "sha1",
      ).toString("binary");
    pfx = forge.pkcs12.pkcs12FromAsn1(pfxAsn1, password);
  } catch (error) {
    throw translate(error, file, hasMac);
  } finally {
    asn1Module.fromDer = fromDer;
    pkcs5Module.pbkdf2 = pbkdf2;
  }

  const result: Pkcs12Contents = { certificates: [], keys: [] };
  for (const bag of pfx.safeContents.flatMap((contents) => contents.safeBags)) {
    if (bag.type === forge.pki.oids.certBag) {
      // An X.509 certificate forge parsed (RSA) or left as ASN.1 (EC and others).
      const stored = parsedFrom.get(bag.cert ? bag.cert.tbsCertificate : bag.asn1);
      if (stored === undefined) throw malformed(file, new Error("a certificate bag could not be read"));
      result.certificates.push(Buffer.from(stored, "binary"));
    } else if (bag.type === forge.pki.oids.keyBag || bag.type === forge.pki.oids.pkcs8ShroudedKeyBag) {
      // An RSA key forge parsed, or the PrivateKeyInfo of any other key type.
      const privateKeyInfo = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
      result.keys.push(Buffer.from(forge.asn1.toDer(privateKeyInfo).getBytes(), "binary"));
    }
  }
  return result;
}

/** Turns forge's errors into PdfSigningErrors; forge's messages never hold the password. */
function translate(error: unknown, file: string, hasMac: boolean): PdfSigningError {
  const message = error instanceof Error ? error.message : String(error);
  if (/MAC could not be verified/.test(message)) {
    return new PdfSigningError(
      "WRONG_PASSWORD",
      `The password for the PKCS#12 file ${file} is wrong (its integrity check fails)`,
      {
        file,
      },
    );
  }
  if (/unsupported|not supported/i.test(message)) {
    return new PdfSigningError(
      "UNSUPPORTED_PKCS12",
      `${file} uses a PKCS#12 feature that is not supported: ${message}`,
      { file },
    );
  }
  if (/Cannot read PKCS#12 PFX|version other than 3/.test(message)) return malformed(file, error);
  // Without a MAC, a wrong password shows only once decrypted: as bad padding or, as forge checks little
  // of the padding, as garbage that does not parse.
  if (!hasMac || /decrypt/i.test(message)) {
    return new PdfSigningError(
      "WRONG_PASSWORD",
      `The password for the PKCS#12 file ${file} does not decrypt its contents`,
      {
        file,
      },
    );
  }
  return malformed(file, error);
}

function malformed(file: string, error: unknown): PdfSigningError {
  const reason = error instanceof Error ? `: ${error.message}` : "";
  return new PdfSigningError("MALFORMED_PKCS12", `${file} is not a well-formed PKCS#12 file${reason}`, {
    file,
    cause: error,
  });
}
