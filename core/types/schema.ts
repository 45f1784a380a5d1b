/**
 * The shape of a certificate type schema. Certificate types are data: each file in `core/types/`
 * exports one {@link CertificateTypeSchema}, and `core/types/index.ts` lists them. The CSV / JSON
 * validator, the credential builder and the digest checker read everything type-specific from here, so a
 * fifth type is one new schema file (plus one line in the registry and a PDF template).
 *
 * A schema says, per input column: the CSV column (and JSON field) name, where the value goes in
 * `credentialSubject` (an RFC 6901 pointer relative to it), how to parse and check it, whether it is
 * required, its bilingual label, and whether the holder may hide it (selective disclosure).
 */

/** Text in the two languages every certificate is printed in. */
export type LocalizedText = { readonly en: string; readonly "zh-HK": string };

/** A parsed, valid cell: text, date (`YYYY-MM-DD`) and enum values are strings; lists are arrays. */
export type CellValue = string | number | readonly string[];

/** Parsed values of the valid cells of one row, keyed by column name (invalid or empty cells absent). */
export type RowValues = Readonly<Record<string, CellValue>>;

/** A cross-field problem reported by {@link CertificateTypeSchema.check}. */
export type CrossFieldIssue = {
  /** The column the message is attached to. */
  column: string;
  code: "RESULT_MISMATCH" | "DATE_ORDER";
  /** In both languages, naming the column by its label (and its name in brackets). */
  message: LocalizedText;
};

type ColumnBase = {
  /** CSV header and JSON field name, e.g. `name_en`. */
  readonly column: string;
  /**
   * Where the value goes, as an RFC 6901 pointer inside `credentialSubject`, e.g. `/name/en`.
   * `/certificateNumber` is allowed for the column that is the certificate number (a licence number).
   */
  readonly path: string;
  /** An empty cell is an error when true, and leaves the claim out of the credential when false. */
  readonly required: boolean;
  /**
   * Longest accepted cell, in Unicode code points, after NFC normalisation and trimming. Enforced with a
   * TOO_LONG error for text and list columns; dates, enums, integers and partial HKIDs are bounded by
   * their own format check, which gives a more useful message.
   */
  readonly maxLength: number;
  /** Whether the holder may hide this claim (selective disclosure). */
  readonly hideable: boolean;
  /**
   * Whether the issuer's officers find certificates by this claim, and under which search field: the
   * subject's member at the path's first token (the whole `name` for `/name/en`) is kept for the search
   * under that field's name. Several columns may feed one field; the first that has a value gives it.
   */
  readonly searchable?: SearchField;
  readonly label: LocalizedText;
};

/** The fields of the officer's search (`GET /api/v1/certificates?q=`): a holder's name, a candidate number. */
export type SearchField = "name" | "candidateNumber";

/** Free text. */
export type TextColumn = ColumnBase & {
  readonly kind: "text";
  /** Optional regular expression (source, anchored by the validator) the whole value must match. */
  readonly pattern?: string;
  /**
   * What the pattern asks for, in words, for the error message: the English completes "must be ..."
   * (e.g. "4 to 20 capital letters and digits"), the Chinese completes 「必須……」 (e.g.
   * 「由 4 至 20 個大寫英文字母及數字組成」).
   */
  readonly patternHint?: LocalizedText;
};

/** A calendar date written `YYYY-MM-DD`; stored as that string. */
export type DateColumn = ColumnBase & { readonly kind: "date" };

/** One of a fixed list of values; case-sensitive. */
export type EnumColumn = ColumnBase & {
  readonly kind: "enum";
  readonly values: readonly string[];
  /** How each value is printed (e.g. `L2` as "Level 2" / "二級"). */
  readonly valueLabels?: Readonly<Record<string, LocalizedText>>;
};

/** A whole number in [min, max]; stored as a JSON number. */
export type IntegerColumn = ColumnBase & { readonly kind: "integer"; readonly min: number; readonly max: number };

/** Several items in one cell, split at `separator`, each trimmed; stored as an array of strings. */
export type ListColumn = ColumnBase & {
  readonly kind: "list";
  readonly separator: string;
  readonly maxItems: number;
  /** Each item: free text up to `maxLength` code points, or one of `values`. */
  readonly item:
    | { readonly kind: "text"; readonly maxLength: number }
    | {
        readonly kind: "enum";
        readonly values: readonly string[];
        readonly valueLabels?: Readonly<Record<string, LocalizedText>>;
      };
  /** Whether an item may appear only once. */
  readonly unique: boolean;
};

/** A partial HKID: one or two letters, three digits, then `***(*)` (e.g. `A123***(*)`). */
export type PartialHkidColumn = ColumnBase & { readonly kind: "partial-hkid" };

export type ColumnSchema = TextColumn | DateColumn | EnumColumn | IntegerColumn | ListColumn | PartialHkidColumn;

/** A CSV column that sets the credential's top-level `validFrom` or `validUntil` (a `YYYY-MM-DD` date). */
export type ValidityColumn = { readonly column: string; readonly label: LocalizedText };

export type Validity =
  /** The certificate never expires; `validFrom` is the issuance time. */
  | { readonly kind: "permanent" }
  /**
   * The certificate is valid from the start of the `validFrom` day to the end of the `validUntil` day,
   * Hong Kong time (UTC+8). Both columns are required and `valid_from` must be before `valid_until`.
   */
  | { readonly kind: "period"; readonly validFrom: ValidityColumn; readonly validUntil: ValidityColumn };

/**
 * A disclosure rule: of these columns, at least one that the credential carries must stay disclosed when
 * the holder hides claims (`hideClaims` refuses a hide that leaves none of them, and the candidate page
 * disables the box that would). Both names, for instance: the verifier tells employers to compare the
 * name with the holder's identity document. The rule binds the holder's tools only; a credential that
 * breaks it still verifies (its digest is unchanged), so credentials made before a rule are unaffected.
 */
export type DisclosureRule = {
  /** Column names (at least two, each hideable). */
  readonly atLeastOneOf: readonly string[];
  /** Why, in words the holder reads beside the disabled box and in the refusal. */
  readonly reason: LocalizedText;
};

export type CertificateTypeSchema = {
  /** Type id, e.g. `csb-cre`: `credentialSubject.type`, and part of the schema id. */
  readonly id: string;
  /** Schema version: `credentialSchema.id` is `urn:hk-ecert:schema:<id>:<version>`. */
  readonly version: number;
  /** Issuing department id as registered on chain, e.g. `CSB`. */
  readonly issuer: string;
  readonly title: LocalizedText;
  readonly validity: Validity;
  /** The column that must be unique within one upload (candidate, licence or registration number). */
  readonly keyColumn: string;
  readonly columns: readonly ColumnSchema[];
  /**
   * `credentialSubject.certificateNumber` for types where no column has the path `/certificateNumber`
   * (exam results: the candidate number and the sitting). Must be deterministic, so that re-uploading a
   * row gives the same number.
   */
  readonly certificateNumber?: {
    readonly label: LocalizedText;
    readonly derive: (values: RowValues) => string;
  };
  /** What the holder must keep disclosed when hiding claims (none when absent). */
  readonly disclosure?: readonly DisclosureRule[];
  /** Cross-field rules, run only when every column they read is individually valid. */
  readonly check?: (values: RowValues) => CrossFieldIssue[];
};

/**
 * Identity function that gives a schema literal its type (and editor completion).
 *
 * @example
 * ```ts
 * export default defineCertificateType({ id: "csb-cre", version: 1, issuer: "CSB", ... });
 * ```
 */
export function defineCertificateType<const T extends CertificateTypeSchema>(schema: T): T {
  return schema;
}
