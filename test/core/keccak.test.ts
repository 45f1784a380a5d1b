import { expect } from "chai";
import { keccak256 } from "ethers";
import fc from "fast-check";

import { toHex, utf8 } from "../../core/bytes.ts";
import { keccak256Bytes, keccak256Into } from "../../core/keccak.ts";

describe("keccak256Bytes (core's unrolled Keccak-256)", function () {
  it("gives the known digests of the empty string and 'abc'", function () {
    expect(toHex(keccak256Bytes(new Uint8Array(0)))).to.equal(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(toHex(keccak256Bytes(utf8("abc")))).to.equal(
      "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    );
  });

  it("agrees with ethers at every length around the 136-byte block boundary", function () {
    for (let length = 0; length <= 3 * 136 + 2; length++) {
      const input = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 255);
      expect(toHex(keccak256Bytes(input)), `length ${length}`).to.equal(keccak256(input));
    }
  });

  it("agrees with ethers on random inputs (fast-check)", function () {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (input) => {
        expect(toHex(keccak256Bytes(input))).to.equal(keccak256(input));
      }),
      { numRuns: 500 },
    );
  });

  it("writes into a buffer at an offset without touching the bytes around it", function () {
    const out = new Uint8Array(40).fill(0xee);

    keccak256Into(utf8("abc"), out, 4);

    expect([...out.subarray(0, 4)]).to.deep.equal([0xee, 0xee, 0xee, 0xee]);
    expect([...out.subarray(36)]).to.deep.equal([0xee, 0xee, 0xee, 0xee]);
    expect(toHex(out, 4, 32)).to.equal(keccak256(utf8("abc")));
  });
});
