/**
 * Registered Fire Service Installation Contractor certificate, issued by the Fire Services Department.
 * Valid for a period (typically three years). Nothing is hideable: it is a public registration.
 */
import { defineCertificateType } from "./schema.ts";

export default defineCertificateType({
  id: "fsd-fsi-contractor",
  version: 1,
  issuer: "FSD",
  title: { en: "Registered Fire Service Installation Contractor", "zh-HK": "註冊消防裝置承辦商" },
  validity: {
    kind: "period",
    validFrom: { column: "valid_from", label: { en: "Valid from", "zh-HK": "有效期由" } },
    validUntil: { column: "valid_until", label: { en: "Valid until", "zh-HK": "有效期至" } },
  },
  keyColumn: "registration_number",
  columns: [
    {
      column: "registration_number",
      path: "/certificateNumber",
      kind: "text",
      pattern: "[A-Z0-9][A-Z0-9/-]{2,39}",
      patternHint: { en: "capital letters, digits, / and -", "zh-HK": "由大寫英文字母、數字、/ 及 - 組成" },
      required: true,
      maxLength: 40,
      hideable: false,
      label: { en: "Registration No.", "zh-HK": "註冊編號" },
    },
    {
      column: "contractor_en",
      path: "/contractor/en",
      kind: "text",
      required: true,
      maxLength: 200,
      hideable: false,
      searchable: "name",
      label: { en: "Contractor (English)", "zh-HK": "承辦商（英文）" },
    },
    {
      column: "contractor_zh",
      path: "/contractor/zh-HK",
      kind: "text",
      required: false,
      maxLength: 100,
      hideable: false,
      searchable: "name",
      label: { en: "Contractor (Chinese)", "zh-HK": "承辦商（中文）" },
    },
    {
      column: "classes",
      path: "/classes",
      kind: "list",
      separator: ";",
      item: {
        kind: "enum",
        values: ["1", "2", "3"],
        valueLabels: {
          "1": { en: "Class 1", "zh-HK": "第一級" },
          "2": { en: "Class 2", "zh-HK": "第二級" },
          "3": { en: "Class 3", "zh-HK": "第三級" },
        },
      },
      maxItems: 3,
      unique: true,
      required: true,
      maxLength: 20,
      hideable: false,
      label: { en: "Classes", "zh-HK": "類別" },
    },
  ],
});
