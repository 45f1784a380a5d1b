// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title HK e-Cert certificate registry
/// @notice Anchors Merkle roots of certificate digests for admitted issuing departments and records the
/// status of single certificates (leaves) and whole batches (roots). Nothing personal is stored: only
/// roots, leaf digests, reason codes and issuer metadata.
/// @dev Trust model:
/// - The governance admin (OpenZeppelin `DEFAULT_ADMIN_ROLE`, handed over with a delay) admits issuers,
///   their signer addresses (each with a validity window) and the SHA-256 fingerprints of the X.509
///   certificates they sign PDFs with.
/// - A signer anchors roots for its issuer. An anchor is keyed by (issuer, root): a root anchored by one
///   issuer never blocks, replaces or shadows the same root anchored by another, and a verifier reads the
///   anchor under the issuer the credential names. A root is valid only if its signer's window covered the
///   anchor time: cutting a signer off at time T invalidates every root it anchored at or after T, and
///   leaves earlier roots valid.
/// - Certificate status lives in the namespace of an issuer (its issuer number). A verifier reads a leaf's
///   status in the namespace of the issuer that anchored the root, so a signer can only ever change the
///   status of its own issuer's certificates; the admin can act in any namespace.
/// - Every status change (of a leaf or a batch) records who made it (a signer, or the admin) and when. A
///   change counts only while its signer's window covers its time: cutting a signer off at T also voids
///   every status change it made at or after T, and the status a verifier reads is the latest change that
///   counts (the admin's always count). Transitions (revoked and superseded are final) are checked against
///   that status, so a voided revocation blocks nothing, and the admin can restore a leaf or a batch.
interface IRegistry {
    /// @notice Status of a single certificate (leaf) in its issuer's namespace.
    enum LeafStatus {
        Valid,
        Revoked,
        Suspended,
        Superseded
    }

    /// @notice Everything a verifier needs about one certificate, read in one call. The batch and leaf
    /// fields are the latest changes that count (see the trust model); a change voided by a cut-off is
    /// left out, as if it had not been made.
    struct CertificateStatus {
        /// True when the root is anchored by the issuer asked for or, failing that, by another issuer
        /// (then `issuerId` names that other issuer, so a verifier can tell a wrong issuer from no anchor).
        bool anchored;
        bytes32 issuerId;
        uint32 issuerNumber;
        bool issuerActive;
        string issuerNameEn;
        string issuerNameZh;
        string issuerDomain;
        /// True when the fingerprint passed to `certificateStatus` is registered for the anchoring issuer.
        bool signingCertificateRegistered;
        address signer;
        /// True when the signer's validity window covered `anchoredAt`.
        bool signerValidAtAnchor;
        uint64 anchoredAt;
        uint64 anchorBlock;
        uint32 certificateCount;
        bool batchRevoked;
        uint8 batchRevocationReason;
        uint64 batchRevokedAt;
        LeafStatus leafStatus;
        uint8 leafReason;
        uint64 leafChangedAt;
        /// The renewal that replaced this certificate, when `leafStatus` is `Superseded`.
        bytes32 successor;
    }

    /// @notice Public view of an issuer.
    struct IssuerView {
        bytes32 id;
        uint32 number;
        bool active;
        uint64 stoppedAt;
        string nameEn;
        string nameZh;
        string domain;
        bytes32 signingCertificate;
        /// Signers whose window had not ended when a signer was last added (ended ones are dropped then).
        address[] signers;
    }

    /// @notice Public view of a signer.
    struct SignerView {
        bytes32 issuerId;
        uint64 validFrom;
        uint64 validUntil;
    }

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice Thrown when an issuer id is zero.
    error RegistryZeroIssuerId();
    /// @notice Thrown when `registerIssuer` is called with an id that is already registered.
    error RegistryIssuerExists(bytes32 issuerId);
    /// @notice Thrown when an issuer id is not registered.
    error RegistryUnknownIssuer(bytes32 issuerId);
    /// @notice Thrown when a required issuer field (`nameEn`, `nameZh` or `domain`) is empty.
    error RegistryEmptyIssuerField(string field);
    /// @notice Thrown when adding a signer to an issuer that is deactivated.
    error RegistryIssuerInactive(bytes32 issuerId);
    /// @notice Thrown when a signing-certificate fingerprint is zero.
    error RegistryZeroFingerprint();
    /// @notice Thrown when adding a signing-certificate fingerprint the issuer already has.
    error RegistryFingerprintExists(bytes32 issuerId, bytes32 fingerprint);
    /// @notice Thrown when removing a signing-certificate fingerprint the issuer does not have.
    error RegistryUnknownFingerprint(bytes32 issuerId, bytes32 fingerprint);
    /// @notice Thrown when a signer address is zero.
    error RegistryZeroSigner();
    /// @notice Thrown when adding a signer address that was ever added before (addresses are never reused).
    error RegistrySignerExists(address signer);
    /// @notice Thrown when a signer address was never added.
    error RegistryUnknownSigner(address signer);
    /// @notice Thrown when a validity window is empty (`validFrom >= validUntil`).
    error RegistryInvalidWindow(uint64 validFrom, uint64 validUntil);
    /// @notice Thrown when an issuer already has `MAX_SIGNERS_PER_ISSUER` signers whose window has not ended.
    error RegistryTooManySigners(bytes32 issuerId);
    /// @notice Thrown when a cut-off would extend a signer's window: cut-offs only move earlier.
    error RegistryCutOffNotEarlier(address signer, uint64 cutOff, uint64 validUntil);
    /// @notice Thrown when the caller is not a signer whose validity window covers the current time.
    error RegistryUnauthorizedSigner(address account);
    /// @notice Thrown when anchoring the zero root.
    error RegistryZeroRoot();
    /// @notice Thrown when anchoring a batch of zero certificates.
    error RegistryEmptyBatch();
    /// @notice Thrown when an issuer anchors a root it has already anchored (another issuer's anchor of
    /// the same root does not count).
    error RegistryRootAlreadyAnchored(bytes32 root);
    /// @notice Thrown when a batch operation names a root the issuer `issuerId` never anchored (a signer
    /// acting on another issuer's root gets this too: the root is not anchored in its own namespace).
    error RegistryRootNotAnchored(bytes32 issuerId, bytes32 root);
    /// @notice Thrown when revoking a batch whose revocation (one that counts) is already recorded.
    error RegistryBatchAlreadyRevoked(bytes32 root);
    /// @notice Thrown when the admin restores a batch that is not revoked (or whose revocation no longer
    /// counts).
    error RegistryBatchNotRevoked(bytes32 issuerId, bytes32 root);
    /// @notice Thrown when a leaf cannot move from its current status (the latest change that counts) to
    /// the requested one (revoked and superseded are final; only a suspended leaf can be reinstated; only
    /// a leaf that is not valid can be restored).
    error RegistryInvalidTransition(bytes32 leaf, LeafStatus current);
    /// @notice Thrown when a successor is zero or equal to the leaf it supersedes.
    error RegistryInvalidSuccessor(bytes32 leaf, bytes32 successor);
    /// @notice Thrown when a leaf is zero.
    error RegistryZeroLeaf();

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    /// @notice Emitted when the admin admits an issuer.
    event IssuerRegistered(
        bytes32 indexed issuerId,
        uint32 indexed issuerNumber,
        string nameEn,
        string nameZh,
        string domain,
        bytes32 signingCertificate
    );
    /// @notice Emitted when the admin changes an issuer's names or domain.
    event IssuerUpdated(bytes32 indexed issuerId, string nameEn, string nameZh, string domain);
    /// @notice Emitted when the admin deactivates or reactivates an issuer.
    event IssuerActiveChanged(bytes32 indexed issuerId, bool active);
    /// @notice Emitted when the admin stops an issuer: every signer of it is cut off at `at`.
    event IssuerStopped(bytes32 indexed issuerId, uint64 at);
    /// @notice Emitted when a signing-certificate fingerprint is registered for an issuer
    /// (it becomes the issuer's current one).
    event SigningCertificateAdded(bytes32 indexed issuerId, bytes32 indexed fingerprint);
    /// @notice Emitted when a signing-certificate fingerprint is withdrawn: PDFs it signed no longer verify.
    event SigningCertificateRemoved(bytes32 indexed issuerId, bytes32 indexed fingerprint);
    /// @notice Emitted when a signer is added to an issuer.
    event SignerAdded(bytes32 indexed issuerId, address indexed signer, uint64 validFrom, uint64 validUntil);
    /// @notice Emitted when a signer's window is cut off at `validUntil`.
    event SignerCutOff(bytes32 indexed issuerId, address indexed signer, uint64 validUntil);
    /// @notice Emitted when a root is anchored. The signer (the transaction's sender) and its issuer are in
    /// the anchor record (`certificateStatus`): leaving them out of the event saves 375 gas per anchor.
    event RootAnchored(bytes32 indexed root, uint256 certificateCount);
    /// @notice Emitted when a whole batch of issuer `issuerNumber` is revoked.
    event BatchRevoked(bytes32 indexed root, uint32 indexed issuerNumber, uint8 reason);
    /// @notice Emitted when the admin restores a revoked batch of issuer `issuerNumber` (it is no longer
    /// revoked); `reason` says why.
    event BatchRestored(bytes32 indexed root, uint32 indexed issuerNumber, uint8 reason);
    /// @notice Emitted when a certificate is revoked in issuer `issuerNumber`'s namespace.
    event CertificateRevoked(bytes32 indexed leaf, uint32 indexed issuerNumber, uint8 reason);
    /// @notice Emitted when a certificate is suspended.
    event CertificateSuspended(bytes32 indexed leaf, uint32 indexed issuerNumber, uint8 reason);
    /// @notice Emitted when a suspended certificate is reinstated.
    event CertificateReinstated(bytes32 indexed leaf, uint32 indexed issuerNumber);
    /// @notice Emitted when a certificate is superseded by its renewal `successor`.
    event CertificateSuperseded(bytes32 indexed leaf, uint32 indexed issuerNumber, bytes32 successor);
    /// @notice Emitted when the admin restores a certificate to valid (from revoked, suspended or
    /// superseded); `reason` says why.
    event CertificateRestored(bytes32 indexed leaf, uint32 indexed issuerNumber, uint8 reason);

    // ---------------------------------------------------------------------------------------------
    // Governance (DEFAULT_ADMIN_ROLE)
    // ---------------------------------------------------------------------------------------------

    /// @notice Admits an issuer, active, with its first signing-certificate fingerprint.
    function registerIssuer(
        bytes32 issuerId,
        string calldata nameEn,
        string calldata nameZh,
        string calldata domain,
        bytes32 signingCertificate
    ) external;

    /// @notice Changes an issuer's names and domain.
    function updateIssuer(bytes32 issuerId, string calldata nameEn, string calldata nameZh, string calldata domain)
        external;

    /// @notice Deactivates (cutting off every signer from now) or reactivates an issuer. A verifier treats
    /// every certificate of an inactive issuer as unknown. Reactivating does not revive cut-off signers.
    function setIssuerActive(bytes32 issuerId, bool active) external;

    /// @notice Emergency stop: cuts off every signer of the issuer from now, leaving other issuers and the
    /// issuer's earlier roots untouched. Resume by adding a new signer.
    function stopIssuer(bytes32 issuerId) external;

    /// @notice Registers a further signing-certificate fingerprint (a renewed PDF-signing certificate);
    /// earlier ones stay registered until removed.
    function addSigningCertificate(bytes32 issuerId, bytes32 fingerprint) external;

    /// @notice Withdraws a signing-certificate fingerprint (for a compromised PDF-signing key).
    function removeSigningCertificate(bytes32 issuerId, bytes32 fingerprint) external;

    /// @notice Adds a signer to an issuer with the window `[validFrom, validUntil)` (unix seconds).
    function addSigner(bytes32 issuerId, address signer, uint64 validFrom, uint64 validUntil) external;

    /// @notice Ends a signer's window at `at` (may be in the past): roots it anchored and status changes it
    /// made at or after `at` no longer count. Only ever moves the end earlier.
    function cutOffSigner(address signer, uint64 at) external;

    /// @notice Admin: revokes `leaf` in the namespace of `issuerId`.
    function revokeFor(bytes32 issuerId, bytes32 leaf, uint8 reason) external;

    /// @notice Admin: suspends `leaf` in the namespace of `issuerId`.
    function suspendFor(bytes32 issuerId, bytes32 leaf, uint8 reason) external;

    /// @notice Admin: reinstates a suspended `leaf` in the namespace of `issuerId`.
    function reinstateFor(bytes32 issuerId, bytes32 leaf) external;

    /// @notice Admin: marks `leaf` superseded by `successor` in the namespace of `issuerId`.
    function supersedeFor(bytes32 issuerId, bytes32 leaf, bytes32 successor) external;

    /// @notice Admin: revokes the batch `root` that `issuerId` anchored.
    function revokeBatchFor(bytes32 issuerId, bytes32 root, uint8 reason) external;

    /// @notice Admin: restores `leaf` to valid in the namespace of `issuerId` (from revoked, suspended or
    /// superseded: the repair for a wrong final change). `reason` is recorded with it.
    function restoreCertificate(bytes32 issuerId, bytes32 leaf, uint8 reason) external;

    /// @notice Admin: lifts the revocation of the batch `root` that `issuerId` anchored.
    function restoreBatch(bytes32 issuerId, bytes32 root, uint8 reason) external;

    // ---------------------------------------------------------------------------------------------
    // Issuers (a currently valid signer)
    // ---------------------------------------------------------------------------------------------

    /// @notice Anchors the Merkle root of a batch of `certificateCount` certificates for the caller's
    /// issuer, under (issuer, root). Costs the same for any batch size: one signer read, one new storage
    /// slot, one event.
    function anchor(bytes32 root, uint32 certificateCount) external;

    /// @notice Revokes a whole batch the caller's issuer anchored (the admin uses `revokeBatchFor`).
    function revokeBatch(bytes32 root, uint8 reason) external;

    /// @notice Revokes `leaf` (final) in the caller's issuer namespace.
    function revoke(bytes32 leaf, uint8 reason) external;

    /// @notice Suspends a valid `leaf` in the caller's issuer namespace.
    function suspend(bytes32 leaf, uint8 reason) external;

    /// @notice Reinstates a suspended `leaf` in the caller's issuer namespace.
    function reinstate(bytes32 leaf) external;

    /// @notice Marks `leaf` superseded by its renewal `successor` (final) in the caller's issuer namespace.
    function supersede(bytes32 leaf, bytes32 successor) external;

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice Everything a verifier needs for `leaf` under `root` as anchored by `issuerId` (the issuer the
    /// credential names), in one call. Pass the SHA-256 fingerprint of the X.509 certificate that signed
    /// the PDF (or zero when there is none). When `issuerId` did not anchor `root` (or is not registered),
    /// the first issuer (by number) that did is reported instead, so the caller sees whose root it is.
    function certificateStatus(bytes32 issuerId, bytes32 root, bytes32 leaf, bytes32 signingCertificate)
        external
        view
        returns (CertificateStatus memory);

    /// @notice True when `proof` proves `leaf` is in the tree of `root` (OpenZeppelin `MerkleProof`,
    /// sorted pairs, keccak256).
    function verifyProof(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external pure returns (bool);

    /// @notice An issuer's public record.
    function issuer(bytes32 issuerId) external view returns (IssuerView memory);

    /// @notice A signer's issuer and validity window.
    function signerRecord(address account) external view returns (SignerView memory);

    /// @notice True when `fingerprint` is a registered signing certificate of `issuerId`.
    function isSigningCertificate(bytes32 issuerId, bytes32 fingerprint) external view returns (bool);

    /// @notice The ids of every registered issuer, by issuer number.
    function issuerIds() external view returns (bytes32[] memory);

    /// @notice Every signer ever added to `issuerId`, ended windows included, in the order they were added.
    function signersOf(bytes32 issuerId) external view returns (address[] memory);
}
