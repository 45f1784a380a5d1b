import { expect } from "chai";
import { sha256 } from "ethers";
import fc from "fast-check";

import { toHex, utf8 } from "../../core/bytes.ts";
import { sha256Into } from "../../core/sha256.ts";

function digest(input: Uint8Array): string {
  const out = new Uint8Array(32);
  sha256Into(input, input.length, out, 0);
  return toHex(out);
}

describe("sha256Into (core's SHA-256)", function () {
  it("gives the FIPS 180-4 example digests", function () {
    expect(digest(utf8("abc"))).to.equal("0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(digest(new Uint8Array(0))).to.equal("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(digest(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).to.equal(
      "0x248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("agrees with ethers at every length around the padding boundaries (55, 56, 63, 64 ... bytes)", function () {
    for (let length = 0; length <= 200; length++) {
      const input = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 255);
      expect(digest(input), `length ${length}`).to.equal(sha256(input));
    }
  });

  it("agrees with ethers on random inputs (fast-check)", function () {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (input) => {
        expect(digest(input)).to.equal(sha256(input));
      }),
      { numRuns: 500 },
    );
  });

  it("hashes only the first `length` bytes and writes at the offset", function () {
    const input = utf8("abc-and-more");
    const out = new Uint8Array(36).fill(0xee);

    sha256Into(input, 3, out, 2);

    expect(toHex(out, 2, 32)).to.equal(sha256(utf8("abc")));
    expect([out[0], out[1], out[34], out[35]]).to.deep.equal([0xee, 0xee, 0xee, 0xee]);
  });
});
