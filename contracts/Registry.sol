// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IRegistry} from "./IRegistry.sol";

/// @title HK e-Cert certificate registry
/// @notice See {IRegistry} for the trust model. The admin is `DEFAULT_ADMIN_ROLE` of
/// OpenZeppelin's `AccessControlDefaultAdminRules`: handing it over is a two-step transfer after a delay.
/// @dev Gas: `anchor` reads one slot (the caller's `SignerRecord`, which holds everything anchoring must
/// check) and writes one new slot (the `AnchorRecord`), then emits one event, whatever the batch size.
/// Leaf operations take no Merkle proof: status is kept per issuer namespace, and a verifier reads it in
/// the namespace of the issuer that anchored the root, so a write by another issuer is never read. This
/// keeps a revocation to one signer read and one new slot (a 14-hash proof for a 10,000 batch would cost
/// about 8,000 more gas and protect nothing the namespace does not already protect).
contract Registry is IRegistry, AccessControlDefaultAdminRules {
    /// @notice Upper bound on the signers an issuer has at once (signers whose window has ended are dropped
    /// from the list when a new one is added), so that `stopIssuer` always fits in a block.
    uint256 public constant MAX_SIGNERS_PER_ISSUER = 16;

    /// @dev Everything `anchor` and the leaf operations check about their caller, packed by hand into one
    /// word (bits 0-63 validFrom, 64-127 validUntil, 128-159 issuerNumber, 160-191 signerNumber; see
    /// `_packSigner`) so the hot path reads it with one SLOAD and no memory. `signerNumber` is the
    /// 1-based index into `_signerAddresses`. A never-added address has `validUntil == 0`: never valid.
    struct SignerRecord {
        uint64 validFrom;
        uint64 validUntil;
        uint32 issuerNumber;
        uint32 signerNumber;
    }

    /// @dev The anchor of a root and, later, its batch revocation, packed by hand into one word (see
    /// `_packAnchor`): a struct assignment compiles to one read-modify-write per member, about 1,000 gas
    /// more per anchor. Revoking a batch rewrites this non-zero slot instead of creating one.
    /// uint40 seconds last until the year 36812.
    struct AnchorRecord {
        uint32 issuerNumber;
        uint32 signerNumber;
        uint40 anchoredAt;
        uint48 anchorBlock;
        uint32 certificateCount;
        uint40 batchRevokedAt;
        uint8 batchRevocationReason;
    }

    /// @dev A leaf's record is one word: bits 0-7 status, 8-15 reason, 16-55 time of the change. The
    /// successor of a superseded leaf is kept apart, so that revoking touches one slot only.
    uint256 private constant _LEAF_REASON_SHIFT = 8;
    uint256 private constant _LEAF_TIME_SHIFT = 16;

    struct IssuerRecord {
        bytes32 id;
        bool active;
        uint40 stoppedAt;
        bytes32 signingCertificate;
        string nameEn;
        string nameZh;
        string domain;
        address[] signers;
    }

    uint32 private _issuerCount;
    mapping(uint32 issuerNumber => IssuerRecord) private _issuers;
    mapping(bytes32 issuerId => uint32) private _issuerNumbers;
    mapping(uint32 issuerNumber => mapping(bytes32 fingerprint => bool)) private _signingCertificates;
    address[] private _signerAddresses;
    mapping(address account => uint256 packedSigner) private _signers;
    mapping(bytes32 root => uint256 packedAnchor) private _anchors;
    mapping(uint32 issuerNumber => mapping(bytes32 leaf => uint256 packedLeaf)) private _leaves;
    mapping(uint32 issuerNumber => mapping(bytes32 leaf => bytes32)) private _successors;

    /// @param initialDelay Seconds a handover of the admin role must wait (see AccessControlDefaultAdminRules).
    /// @param initialAdmin The governance admin.
    constructor(uint48 initialDelay, address initialAdmin) AccessControlDefaultAdminRules(initialDelay, initialAdmin) {}

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IRegistry
    function registerIssuer(
        bytes32 issuerId,
        string calldata nameEn,
        string calldata nameZh,
        string calldata domain,
        bytes32 signingCertificate
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (issuerId == bytes32(0)) revert RegistryZeroIssuerId();
        if (_issuerNumbers[issuerId] != 0) revert RegistryIssuerExists(issuerId);
        _requireIssuerFields(nameEn, nameZh, domain);
        if (signingCertificate == bytes32(0)) revert RegistryZeroFingerprint();
        uint32 number = ++_issuerCount;
        _issuerNumbers[issuerId] = number;
        IssuerRecord storage record = _issuers[number];
        record.id = issuerId;
        record.active = true;
        record.nameEn = nameEn;
        record.nameZh = nameZh;
        record.domain = domain;
        record.signingCertificate = signingCertificate;
        _signingCertificates[number][signingCertificate] = true;
        emit IssuerRegistered(issuerId, number, nameEn, nameZh, domain, signingCertificate);
    }

    /// @inheritdoc IRegistry
    function updateIssuer(bytes32 issuerId, string calldata nameEn, string calldata nameZh, string calldata domain)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        IssuerRecord storage record = _issuers[_requireIssuer(issuerId)];
        _requireIssuerFields(nameEn, nameZh, domain);
        record.nameEn = nameEn;
        record.nameZh = nameZh;
        record.domain = domain;
        emit IssuerUpdated(issuerId, nameEn, nameZh, domain);
    }

    /// @inheritdoc IRegistry
    function setIssuerActive(bytes32 issuerId, bool active) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint32 number = _requireIssuer(issuerId);
        _issuers[number].active = active;
        emit IssuerActiveChanged(issuerId, active);
        if (!active) _cutOffAll(number);
    }

    /// @inheritdoc IRegistry
    function stopIssuer(bytes32 issuerId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint32 number = _requireIssuer(issuerId);
        _issuers[number].stoppedAt = uint40(block.timestamp);
        emit IssuerStopped(issuerId, uint64(block.timestamp));
        _cutOffAll(number);
    }

    /// @inheritdoc IRegistry
    function addSigningCertificate(bytes32 issuerId, bytes32 fingerprint) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint32 number = _requireIssuer(issuerId);
        if (fingerprint == bytes32(0)) revert RegistryZeroFingerprint();
        if (_signingCertificates[number][fingerprint]) revert RegistryFingerprintExists(issuerId, fingerprint);
        _signingCertificates[number][fingerprint] = true;
        _issuers[number].signingCertificate = fingerprint;
        emit SigningCertificateAdded(issuerId, fingerprint);
    }

    /// @inheritdoc IRegistry
    function removeSigningCertificate(bytes32 issuerId, bytes32 fingerprint) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint32 number = _requireIssuer(issuerId);
        if (!_signingCertificates[number][fingerprint]) revert RegistryUnknownFingerprint(issuerId, fingerprint);
        _signingCertificates[number][fingerprint] = false;
        if (_issuers[number].signingCertificate == fingerprint) _issuers[number].signingCertificate = bytes32(0);
        emit SigningCertificateRemoved(issuerId, fingerprint);
    }

    /// @inheritdoc IRegistry
    function addSigner(bytes32 issuerId, address account, uint64 validFrom, uint64 validUntil)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        uint32 number = _requireIssuer(issuerId);
        IssuerRecord storage record = _issuers[number];
        if (!record.active) revert RegistryIssuerInactive(issuerId);
        if (account == address(0)) revert RegistryZeroSigner();
        if (_signers[account] != 0) revert RegistrySignerExists(account);
        if (validFrom >= validUntil) revert RegistryInvalidWindow(validFrom, validUntil);
        if (record.signers.length >= MAX_SIGNERS_PER_ISSUER) _dropEndedSigners(record.signers);
        if (record.signers.length >= MAX_SIGNERS_PER_ISSUER) revert RegistryTooManySigners(issuerId);
        _signerAddresses.push(account);
        record.signers.push(account);
        _signers[account] = _packSigner(
            SignerRecord({
                validFrom: validFrom,
                validUntil: validUntil,
                issuerNumber: number,
                signerNumber: uint32(_signerAddresses.length)
            })
        );
        emit SignerAdded(issuerId, account, validFrom, validUntil);
    }

    /// @inheritdoc IRegistry
    function cutOffSigner(address account, uint64 at) external onlyRole(DEFAULT_ADMIN_ROLE) {
        SignerRecord memory record = _unpackSigner(_signers[account]);
        if (record.signerNumber == 0) revert RegistryUnknownSigner(account);
        if (at >= record.validUntil) revert RegistryCutOffNotEarlier(account, at, record.validUntil);
        record.validUntil = at;
        _signers[account] = _packSigner(record);
        emit SignerCutOff(_issuers[record.issuerNumber].id, account, at);
    }

    /// @inheritdoc IRegistry
    function revokeFor(bytes32 issuerId, bytes32 leaf, uint8 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _revoke(_requireIssuer(issuerId), leaf, reason);
    }

    /// @inheritdoc IRegistry
    function suspendFor(bytes32 issuerId, bytes32 leaf, uint8 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _suspend(_requireIssuer(issuerId), leaf, reason);
    }

    /// @inheritdoc IRegistry
    function reinstateFor(bytes32 issuerId, bytes32 leaf) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _reinstate(_requireIssuer(issuerId), leaf);
    }

    /// @inheritdoc IRegistry
    function supersedeFor(bytes32 issuerId, bytes32 leaf, bytes32 successor) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _supersede(_requireIssuer(issuerId), leaf, successor);
    }

    // ---------------------------------------------------------------------------------------------
    // Issuers
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IRegistry
    function anchor(bytes32 root, uint32 certificateCount) external {
        uint256 caller = _validSigner();
        if (root == bytes32(0)) revert RegistryZeroRoot();
        if (certificateCount == 0) revert RegistryEmptyBatch();
        if (_anchors[root] != 0) revert RegistryRootAlreadyAnchored(root);
        // `_packAnchor` written out, with no memory struct on the hot path: the signer word's bits
        // 128-191 are (issuerNumber, signerNumber), the anchor word's bits 0-63.
        _anchors[root] = (caller >> 128) | (block.timestamp << 64) | (block.number << 104)
            | (uint256(certificateCount) << 152);
        emit RootAnchored(root, certificateCount);
    }

    /// @inheritdoc IRegistry
    function revokeBatch(bytes32 root, uint8 reason) external {
        AnchorRecord memory record = _unpackAnchor(_anchors[root]);
        if (record.anchoredAt == 0) revert RegistryRootNotAnchored(root);
        if (!hasRole(DEFAULT_ADMIN_ROLE, msg.sender) && _issuerOf(_validSigner()) != record.issuerNumber) {
            revert RegistryUnauthorizedIssuer(root, msg.sender);
        }
        if (record.batchRevokedAt != 0) revert RegistryBatchAlreadyRevoked(root);
        record.batchRevokedAt = uint40(block.timestamp);
        record.batchRevocationReason = reason;
        _anchors[root] = _packAnchor(record);
        emit BatchRevoked(root, reason);
    }

    /// @inheritdoc IRegistry
    function revoke(bytes32 leaf, uint8 reason) external {
        _revoke(_issuerOf(_validSigner()), leaf, reason);
    }

    /// @inheritdoc IRegistry
    function suspend(bytes32 leaf, uint8 reason) external {
        _suspend(_issuerOf(_validSigner()), leaf, reason);
    }

    /// @inheritdoc IRegistry
    function reinstate(bytes32 leaf) external {
        _reinstate(_issuerOf(_validSigner()), leaf);
    }

    /// @inheritdoc IRegistry
    function supersede(bytes32 leaf, bytes32 successor) external {
        _supersede(_issuerOf(_validSigner()), leaf, successor);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IRegistry
    function certificateStatus(bytes32 root, bytes32 leaf, bytes32 signingCertificate)
        external
        view
        returns (CertificateStatus memory status)
    {
        AnchorRecord memory a = _unpackAnchor(_anchors[root]);
        if (a.anchoredAt == 0) return status;
        IssuerRecord storage i = _issuers[a.issuerNumber];
        address signerAddress = _signerAddresses[a.signerNumber - 1];
        SignerRecord memory s = _unpackSigner(_signers[signerAddress]);
        uint256 l = _leaves[a.issuerNumber][leaf];

        status.anchored = true;
        status.issuerId = i.id;
        status.issuerNumber = a.issuerNumber;
        status.issuerActive = i.active;
        status.issuerNameEn = i.nameEn;
        status.issuerNameZh = i.nameZh;
        status.issuerDomain = i.domain;
        status.signingCertificateRegistered = _signingCertificates[a.issuerNumber][signingCertificate];
        status.signer = signerAddress;
        status.signerValidAtAnchor = s.validFrom <= a.anchoredAt && a.anchoredAt < s.validUntil;
        status.anchoredAt = a.anchoredAt;
        status.anchorBlock = a.anchorBlock;
        status.certificateCount = a.certificateCount;
        status.batchRevoked = a.batchRevokedAt != 0;
        status.batchRevocationReason = a.batchRevocationReason;
        status.batchRevokedAt = a.batchRevokedAt;
        status.leafStatus = LeafStatus(uint8(l));
        status.leafReason = uint8(l >> _LEAF_REASON_SHIFT);
        status.leafChangedAt = uint40(l >> _LEAF_TIME_SHIFT);
        status.successor = _successors[a.issuerNumber][leaf];
    }

    /// @inheritdoc IRegistry
    function verifyProof(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc IRegistry
    function issuer(bytes32 issuerId) external view returns (IssuerView memory) {
        uint32 number = _requireIssuer(issuerId);
        IssuerRecord storage i = _issuers[number];
        return IssuerView({
            id: i.id,
            number: number,
            active: i.active,
            stoppedAt: i.stoppedAt,
            nameEn: i.nameEn,
            nameZh: i.nameZh,
            domain: i.domain,
            signingCertificate: i.signingCertificate,
            signers: i.signers
        });
    }

    /// @inheritdoc IRegistry
    function signerRecord(address account) external view returns (SignerView memory) {
        SignerRecord memory s = _unpackSigner(_signers[account]);
        if (s.signerNumber == 0) revert RegistryUnknownSigner(account);
        return SignerView({issuerId: _issuers[s.issuerNumber].id, validFrom: s.validFrom, validUntil: s.validUntil});
    }

    /// @inheritdoc IRegistry
    function isSigningCertificate(bytes32 issuerId, bytes32 fingerprint) external view returns (bool) {
        return _signingCertificates[_requireIssuer(issuerId)][fingerprint];
    }

    // ---------------------------------------------------------------------------------------------
    // Internal
    // ---------------------------------------------------------------------------------------------

    /// @dev The caller's packed signer record, if its window covers now (one storage read).
    function _validSigner() private view returns (uint256 word) {
        word = _signers[msg.sender];
        if (block.timestamp < uint64(word) || block.timestamp >= uint64(word >> 64)) {
            revert RegistryUnauthorizedSigner(msg.sender);
        }
    }

    function _issuerOf(uint256 signerWord) private pure returns (uint32) {
        return uint32(signerWord >> 128);
    }

    function _packSigner(SignerRecord memory s) private pure returns (uint256) {
        return uint256(s.validFrom) | (uint256(s.validUntil) << 64) | (uint256(s.issuerNumber) << 128)
            | (uint256(s.signerNumber) << 160);
    }

    function _unpackSigner(uint256 word) private pure returns (SignerRecord memory) {
        return SignerRecord({
            validFrom: uint64(word),
            validUntil: uint64(word >> 64),
            issuerNumber: uint32(word >> 128),
            signerNumber: uint32(word >> 160)
        });
    }

    function _requireIssuer(bytes32 issuerId) private view returns (uint32 number) {
        number = _issuerNumbers[issuerId];
        if (number == 0) revert RegistryUnknownIssuer(issuerId);
    }

    function _requireIssuerFields(string calldata nameEn, string calldata nameZh, string calldata domain)
        private
        pure
    {
        if (bytes(nameEn).length == 0) revert RegistryEmptyIssuerField("nameEn");
        if (bytes(nameZh).length == 0) revert RegistryEmptyIssuerField("nameZh");
        if (bytes(domain).length == 0) revert RegistryEmptyIssuerField("domain");
    }

    /// @dev Ends the window of every signer of issuer `number` at now (those already ended stay as they are).
    function _cutOffAll(uint32 number) private {
        IssuerRecord storage record = _issuers[number];
        uint64 nowSeconds = uint64(block.timestamp);
        uint256 count = record.signers.length;
        for (uint256 k = 0; k < count; ++k) {
            address account = record.signers[k];
            SignerRecord memory s = _unpackSigner(_signers[account]);
            if (s.validUntil > nowSeconds) {
                s.validUntil = nowSeconds;
                _signers[account] = _packSigner(s);
                emit SignerCutOff(record.id, account, nowSeconds);
            }
        }
    }

    /// @dev Removes from `list` the signers whose window has ended (their records stay, for verifiers).
    function _dropEndedSigners(address[] storage list) private {
        uint256 k = 0;
        while (k < list.length) {
            if (uint64(_signers[list[k]] >> 64) <= block.timestamp) {
                list[k] = list[list.length - 1];
                list.pop();
            } else {
                ++k;
            }
        }
    }

    function _leaf(uint32 number, bytes32 leaf) private view returns (LeafStatus) {
        if (leaf == bytes32(0)) revert RegistryZeroLeaf();
        return LeafStatus(uint8(_leaves[number][leaf]));
    }

    function _setLeaf(uint32 number, bytes32 leaf, LeafStatus status, uint8 reason) private {
        _leaves[number][leaf] = uint256(status) | (uint256(reason) << _LEAF_REASON_SHIFT)
            | (block.timestamp << _LEAF_TIME_SHIFT);
    }

    function _packAnchor(AnchorRecord memory a) private pure returns (uint256) {
        return uint256(a.issuerNumber) | (uint256(a.signerNumber) << 32) | (uint256(a.anchoredAt) << 64)
            | (uint256(a.anchorBlock) << 104) | (uint256(a.certificateCount) << 152)
            | (uint256(a.batchRevokedAt) << 184) | (uint256(a.batchRevocationReason) << 224);
    }

    function _unpackAnchor(uint256 word) private pure returns (AnchorRecord memory) {
        return AnchorRecord({
            issuerNumber: uint32(word),
            signerNumber: uint32(word >> 32),
            anchoredAt: uint40(word >> 64),
            anchorBlock: uint48(word >> 104),
            certificateCount: uint32(word >> 152),
            batchRevokedAt: uint40(word >> 184),
            batchRevocationReason: uint8(word >> 224)
        });
    }

    function _revoke(uint32 number, bytes32 leaf, uint8 reason) private {
        LeafStatus current = _leaf(number, leaf);
        if (current == LeafStatus.Revoked || current == LeafStatus.Superseded) {
            revert RegistryInvalidTransition(leaf, current);
        }
        _setLeaf(number, leaf, LeafStatus.Revoked, reason);
        emit CertificateRevoked(leaf, number, reason);
    }

    function _suspend(uint32 number, bytes32 leaf, uint8 reason) private {
        LeafStatus current = _leaf(number, leaf);
        if (current != LeafStatus.Valid) revert RegistryInvalidTransition(leaf, current);
        _setLeaf(number, leaf, LeafStatus.Suspended, reason);
        emit CertificateSuspended(leaf, number, reason);
    }

    function _reinstate(uint32 number, bytes32 leaf) private {
        LeafStatus current = _leaf(number, leaf);
        if (current != LeafStatus.Suspended) revert RegistryInvalidTransition(leaf, current);
        _setLeaf(number, leaf, LeafStatus.Valid, 0);
        emit CertificateReinstated(leaf, number);
    }

    function _supersede(uint32 number, bytes32 leaf, bytes32 successor) private {
        LeafStatus current = _leaf(number, leaf);
        if (current == LeafStatus.Revoked || current == LeafStatus.Superseded) {
            revert RegistryInvalidTransition(leaf, current);
        }
        if (successor == bytes32(0) || successor == leaf) revert RegistryInvalidSuccessor(leaf, successor);
        _setLeaf(number, leaf, LeafStatus.Superseded, 0);
        _successors[number][leaf] = successor;
        emit CertificateSuperseded(leaf, number, successor);
    }
}
