import { expect } from "chai";
import fc from "fast-check";
import { isCoreError, parseStrictJson, scanJsonText } from "../../core/index.ts";

describe("strict JSON (no member name twice in one object)", () => {
  it("finds a duplicate at the top level, in a nested object and in an object inside an array, with its JSON pointer", () => {
    expect(scanJsonText('{"a":1,"a":2}').duplicate).to.deep.equal({ member: "a", pointer: "/a" });
    expect(scanJsonText('{"x":{"y":[1,{"b":{},"c":"}","b":[]}]}}').duplicate).to.deep.equal({
      member: "b",
      pointer: "/x/y/1/b",
    });
    expect(scanJsonText('[{"k":1},{"k":2,"k":3}]').duplicate).to.deep.equal({ member: "k", pointer: "/1/k" });
  });

  it("compares names after unescaping, and escapes ~ and / in the pointer", () => {
    expect(scanJsonText('{"a":1,"\\u0061":2}').duplicate).to.deep.equal({ member: "a", pointer: "/a" });
    expect(
      scanJsonText('{"p":{"/credentialSubject/name~x":1,"\\/credentialSubject\\/name~x":2}}').duplicate,
    ).to.deep.equal({
      member: "/credentialSubject/name~x",
      pointer: "/p/~1credentialSubject~1name~0x",
    });
  });

  it("does not mistake values, strings with brackets or quotes, or the same name in other objects for duplicates", () => {
    for (const text of [
      '{"a":"a","b":{"a":1},"c":[{"a":2},{"a":3}]}',
      '{"s":"\\"a\\":1,\\"a\\":2}","a":"{[,"}',
      '{"a":{},"b":{"a":1,"b":2}}',
      "[1,2,3]",
      '"x"',
    ]) {
      expect(scanJsonText(text).duplicate, text).to.equal(undefined);
    }
  });

  it("measures nesting depth without recursion, even 100,000 levels deep", () => {
    expect(scanJsonText("1").depth).to.equal(0);
    expect(scanJsonText('{"a":[{"b":[]}]}').depth).to.equal(4);
    expect(scanJsonText(`${"[".repeat(100_000)}${"]".repeat(100_000)}`).depth).to.equal(100_000);
  });

  it("parses strictly: MALFORMED naming the member and pointer, or saying the text is not JSON", () => {
    expect(parseStrictJson('{"a":[1,{"b":2}]}')).to.deep.equal({ a: [1, { b: 2 }] });
    for (const [text, pattern] of [
      [
        '{"credentialSubject":{},"credentialSubject":{}}',
        /"credentialSubject" appears twice \(at \/credentialSubject\)/,
      ],
      ["{ not json", /not valid JSON/],
    ] as const) {
      try {
        parseStrictJson(text);
        expect.fail("should have thrown");
      } catch (error) {
        expect(isCoreError(error, "MALFORMED"), String(error)).to.equal(true);
        expect((error as Error).message).to.match(pattern);
      }
    }
  });

  it("property: JSON.stringify never gives a duplicate, and adding a member of an existing name is always found", () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.jsonValue(),
        (value, object, extra) => {
          expect(scanJsonText(JSON.stringify(value)).duplicate).to.equal(undefined);
          const name = Object.keys(object)[0];
          const text = JSON.stringify(object);
          const doubled = `${text.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(extra)}}`;
          expect(scanJsonText(JSON.stringify({ wrap: [JSON.parse(doubled)] })).duplicate).to.equal(undefined); // re-serialised: one left
          expect(scanJsonText(`{"wrap":[${doubled}]}`).duplicate?.member).to.equal(name);
        },
      ),
      { numRuns: 300 },
    );
  });
});
