import { expect } from "chai";
import { getAddress, hexlify } from "ethers";
import fc from "fast-check";
import { checksumAddress } from "../../core/address.ts";
import { isCoreError } from "../../core/errors.ts";

describe("checksumAddress (EIP-55 with the core's keccak256)", () => {
  it("gives ethers' getAddress for any 20 bytes in any letter case", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (bytes, upper) => {
          const lower = hexlify(bytes);
          const mixed = "0x" + [...lower.slice(2)].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("");
          expect(checksumAddress(mixed)).to.equal(getAddress(lower));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("matches the EIP-55 examples", () => {
    for (const address of [
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    ]) {
      expect(checksumAddress(address.toLowerCase())).to.equal(address);
    }
  });

  it("throws CoreError INVALID_ARGUMENT for anything that is not 40 hex digits", () => {
    for (const bad of ["", "0x", "0x1234", `0x${"g".repeat(40)}`, `0x${"a".repeat(41)}`, 42 as unknown as string]) {
      expect(() => checksumAddress(bad), String(bad))
        .to.throw()
        .that.satisfies((e: unknown) => isCoreError(e, "INVALID_ARGUMENT"));
    }
  });
});
