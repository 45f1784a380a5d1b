/**
 * Whether a verification was made against a development or test network, for the "test network / not an
 * official certificate" banner of the verifier page and `certs verify`. Read from the result JSON and the
 * chain the verifier trusts, never changing either: a banner only adds caution, it never makes anything VALID.
 */
import type { VerificationResult } from "./types.ts";

/**
 * Chain ids of development and public test networks (the embedded default's local chain is 31337). A
 * registry on one of these is never an official one, whatever its answers say.
 */
export const TEST_CHAIN_IDS: ReadonlyMap<number, string> = new Map([
  [31337, "Hardhat (local development)"],
  [1337, "local development"],
  [11155111, "Sepolia"],
  [17000, "Holesky"],
  [560048, "Hoodi"],
  [80002, "Polygon Amoy"],
  [84532, "Base Sepolia"],
  [421614, "Arbitrum Sepolia"],
  [11155420, "OP Sepolia"],
]);

/** Why a result is from a test network: its chain, and/or the PDF's signing certificate. */
export type TestNetworkSigns = {
  /** The trusted chain id when it is a development or test network's, with that network's name. */
  chain?: { chainId: number; name: string };
  /**
   * The common name of the PDF's signing certificate when it says it is for development or testing (the
   * development PKI of `server/pki/dev-pki.ts` names its certificates "<department> (development)").
   */
  signer?: { commonName: string };
};

/** The signing certificate as the `signing-certificate` check names it: `("<common name>", SHA-256 0x...)`. */
const SIGNER_IN_MESSAGE = /\("(.*)", SHA-256 0x[0-9a-f]{64}\)/;
/**
 * What a development or test certificate's common name says, in brackets ("Civil Service Bureau
 * (development)"): a department's own name may hold the word ("Development Bureau").
 */
const DEVELOPMENT_NAME = /\((?:development|test|testing)(?: only)?\)/i;

/**
 * The signs that `result`, verified against the chain `trustedChainId`, comes from a development or
 * test network; `undefined` when there are none (the trusted production network, a production signer).
 *
 * @example
 * ```ts
 * testNetworkSigns(result, 31337); // { chain: { chainId: 31337, name: "Hardhat (local development)" }, ... }
 * ```
 */
export function testNetworkSigns(result: VerificationResult, trustedChainId: number): TestNetworkSigns | undefined {
  const signs: TestNetworkSigns = {};
  const name = TEST_CHAIN_IDS.get(trustedChainId);
  if (name) signs.chain = { chainId: trustedChainId, name };
  const check = result.checks.find((c) => c.id === "signing-certificate");
  const commonName = check ? SIGNER_IN_MESSAGE.exec(check.message.en)?.[1] : undefined;
  if (commonName !== undefined && DEVELOPMENT_NAME.test(commonName)) signs.signer = { commonName };
  return signs.chain || signs.signer ? signs : undefined;
}
