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
/// check) and writes one new slot (the `AnchorRecord`, under (issuer, root)), then emits one event,
/// whatever the batch size.
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

    /// @dev The anchor of a root by one issuer (the issuer is the key, not a field) and, later, its batch
    /// revocation, packed by hand into one word (see `anchor` and `_unpackAnchor`): bits 0-31 signerNumber, 32-71
    /// anchoredAt, 72-119 anchorBlock, 120-151 certificateCount, 152-191 batchRevokedAt, 192-199
    /// batchRevocationReason, 200-231 batchRevokedBy (the revoking signer's number, 0 for the admin). A
    /// struct assignment compiles to one read-modify-write per member, about 1,000 gas more per anchor.
    /// Revoking a batch rewrites this non-zero slot instead of creating one. A revocation that no longer
    /// counts (its signer was cut off at or before it) is simply overwritten by the next one: a batch has
    /// no other status, so nothing below it can ever count again. uint40 seconds last until the year 36812.
    struct AnchorRecord {
        uint32 signerNumber;
        uint40 anchoredAt;
        uint48 anchorBlock;
        uint32 certificateCount;
        uint40 batchRevokedAt;
        uint8 batchRevocationReason;
        uint32 batchRevokedBy;
    }

    /// @dev Bits 0-151 of an anchor word: the anchor itself, without its batch revocation.
    uint256 private constant _ANCHOR_MASK = (1 << 152) - 1;
    uint256 private constant _BATCH_TIME_SHIFT = 152;
    uint256 private constant _BATCH_REASON_SHIFT = 192;
    uint256 private constant _BATCH_BY_SHIFT = 200;

    /// @dev A leaf change is an 88-bit record: bits 0-7 status, 8-15 reason, 16-55 time of the change,
    /// 56-87 the number of the signer that made it (0 for the admin). A leaf's head word holds its latest
    /// change (bits 0-87), the one before it (bits 88-175, zero when there is none) and how many earlier
    /// changes are kept in `_leafHistory` (bits 176-215; oldest at index 0). A new change pushes the
    /// previous one into the history only when it still counts: a change whose signer was cut off at or
    /// before it can never count again (cut-offs only move earlier), so it is dropped. So the first and
    /// second change of a leaf rewrite one slot, as before; only a third change that keeps two earlier
    /// ones that count writes a history slot. The successor of a superseded leaf is kept apart, so that
    /// revoking touches one slot only; it is read only when the counted change is a supersession, and can
    /// only be overwritten by a later supersession, which is refused while that one counts (final) and is
    /// made only on top of changes that counted then (or of the admin's restore, which always counts).
    uint256 private constant _LEAF_REASON_SHIFT = 8;
    uint256 private constant _LEAF_TIME_SHIFT = 16;
    uint256 private constant _LEAF_MAKER_SHIFT = 56;
    uint256 private constant _LEAF_PREVIOUS_SHIFT = 88;
    uint256 private constant _LEAF_DEPTH_SHIFT = 176;
    uint256 private constant _LEAF_RECORD_MASK = (1 << 88) - 1;

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
    mapping(uint32 issuerNumber => mapping(bytes32 root => uint256 packedAnchor)) private _anchors;
    mapping(uint32 issuerNumber => mapping(bytes32 leaf => uint256 packedLeaf)) private _leaves;
    mapping(uint32 issuerNumber => mapping(bytes32 leaf => mapping(uint256 index => uint256 packedLeaf))) private
        _leafHistory;
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
        _revoke(_requireIssuer(issuerId), leaf, reason, 0);
    }

    /// @inheritdoc IRegistry
    function suspendFor(bytes32 issuerId, bytes32 leaf, uint8 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _suspend(_requireIssuer(issuerId), leaf, reason, 0);
    }

    /// @inheritdoc IRegistry
    function reinstateFor(bytes32 issuerId, bytes32 leaf) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _reinstate(_requireIssuer(issuerId), leaf, 0);
    }

    /// @inheritdoc IRegistry
    function supersedeFor(bytes32 issuerId, bytes32 leaf, bytes32 successor) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _supersede(_requireIssuer(issuerId), leaf, successor, 0);
    }

    /// @inheritdoc IRegistry
    function revokeBatchFor(bytes32 issuerId, bytes32 root, uint8 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _revokeBatch(_requireIssuer(issuerId), root, reason, 0);
    }

    /// @inheritdoc IRegistry
    function restoreCertificate(bytes32 issuerId, bytes32 leaf, uint8 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint32 number = _requireIssuer(issuerId);
        (LeafStatus current, uint256 head, bool latestCounts) = _leaf(number, leaf, 0);
        if (current == LeafStatus.Valid) revert RegistryInvalidTransition(leaf, current);
        _setLeaf(number, leaf, head, latestCounts, LeafStatus.Valid, reason, 0);
        emit CertificateRestored(leaf, number, reason);
    }

    /// @inheritdoc IRegistry
    function restoreBatch(bytes32 issuerId, bytes32 root, uint8 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint32 number = _requireIssuer(issuerId);
        uint256 word = _anchors[number][root];
        if (word == 0) revert RegistryRootNotAnchored(issuerId, root);
        if (!_batchRevocationCounts(word)) revert RegistryBatchNotRevoked(issuerId, root);
        _anchors[number][root] = word & _ANCHOR_MASK;
        emit BatchRestored(root, number, reason);
    }

    // ---------------------------------------------------------------------------------------------
    // Issuers
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IRegistry
    function anchor(bytes32 root, uint32 certificateCount) external {
        uint256 caller = _validSigner();
        if (root == bytes32(0)) revert RegistryZeroRoot();
        if (certificateCount == 0) revert RegistryEmptyBatch();
        mapping(bytes32 => uint256) storage anchors = _anchors[uint32(caller >> 128)];
        if (anchors[root] != 0) revert RegistryRootAlreadyAnchored(root);
        // Packed by hand, with no memory struct on the hot path: the signer word's bits
        // 160-191 are the signerNumber (nothing above them), the anchor word's bits 0-31.
        anchors[root] = (caller >> 160) | (block.timestamp << 32) | (block.number << 72)
            | (uint256(certificateCount) << 120);
        emit RootAnchored(root, certificateCount);
    }

    /// @inheritdoc IRegistry
    function revokeBatch(bytes32 root, uint8 reason) external {
        uint256 caller = _validSigner();
        _revokeBatch(_issuerOf(caller), root, reason, uint32(caller >> 160));
    }

    /// @inheritdoc IRegistry
    function revoke(bytes32 leaf, uint8 reason) external {
        uint256 caller = _validSigner();
        _revoke(_issuerOf(caller), leaf, reason, caller);
    }

    /// @inheritdoc IRegistry
    function suspend(bytes32 leaf, uint8 reason) external {
        uint256 caller = _validSigner();
        _suspend(_issuerOf(caller), leaf, reason, caller);
    }

    /// @inheritdoc IRegistry
    function reinstate(bytes32 leaf) external {
        uint256 caller = _validSigner();
        _reinstate(_issuerOf(caller), leaf, caller);
    }

    /// @inheritdoc IRegistry
    function supersede(bytes32 leaf, bytes32 successor) external {
        uint256 caller = _validSigner();
        _supersede(_issuerOf(caller), leaf, successor, caller);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IRegistry
    function certificateStatus(bytes32 issuerId, bytes32 root, bytes32 leaf, bytes32 signingCertificate)
        external
        view
        returns (CertificateStatus memory status)
    {
        uint32 number = _issuerNumbers[issuerId];
        uint256 word = number == 0 ? 0 : _anchors[number][root];
        // Not anchored by the issuer asked for: report the first other issuer that anchored it, if any
        // (a view: the loop is bounded by the admin-admitted issuers, a handful).
        for (uint32 n = 1; word == 0 && n <= _issuerCount; ++n) {
            if (n != number) {
                word = _anchors[n][root];
                if (word != 0) number = n;
            }
        }
        if (word == 0) return status;
        AnchorRecord memory a = _unpackAnchor(word);
        IssuerRecord storage i = _issuers[number];
        address signerAddress = _signerAddresses[a.signerNumber - 1];
        SignerRecord memory s = _unpackSigner(_signers[signerAddress]);
        (, uint256 l,) = _currentLeaf(number, leaf, 0);
        bool batchRevoked = _batchRevocationCounts(word);

        status.anchored = true;
        status.issuerId = i.id;
        status.issuerNumber = number;
        status.issuerActive = i.active;
        status.issuerNameEn = i.nameEn;
        status.issuerNameZh = i.nameZh;
        status.issuerDomain = i.domain;
        status.signingCertificateRegistered = _signingCertificates[number][signingCertificate];
        status.signer = signerAddress;
        status.signerValidAtAnchor = s.validFrom <= a.anchoredAt && a.anchoredAt < s.validUntil;
        status.anchoredAt = a.anchoredAt;
        status.anchorBlock = a.anchorBlock;
        status.certificateCount = a.certificateCount;
        if (batchRevoked) {
            status.batchRevoked = true;
            status.batchRevocationReason = a.batchRevocationReason;
            status.batchRevokedAt = a.batchRevokedAt;
        }
        status.leafStatus = LeafStatus(uint8(l));
        status.leafReason = uint8(l >> _LEAF_REASON_SHIFT);
        status.leafChangedAt = uint40(l >> _LEAF_TIME_SHIFT);
        if (status.leafStatus == LeafStatus.Superseded) status.successor = _successors[number][leaf];
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

    /// @inheritdoc IRegistry
    function issuerIds() external view returns (bytes32[] memory ids) {
        ids = new bytes32[](_issuerCount);
        for (uint32 n = 1; n <= _issuerCount; ++n) ids[n - 1] = _issuers[n].id;
    }

    /// @inheritdoc IRegistry
    function signersOf(bytes32 issuerId) external view returns (address[] memory list) {
        uint32 number = _requireIssuer(issuerId);
        uint256 total = _signerAddresses.length;
        list = new address[](total);
        uint256 count = 0;
        for (uint256 k = 0; k < total; ++k) {
            address account = _signerAddresses[k];
            if (uint32(_signers[account] >> 128) == number) list[count++] = account;
        }
        assembly ("memory-safe") {
            mstore(list, count)
        }
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

    /// @dev True when the window of the signer whose packed record is `signerWord` covers `at`.
    function _covers(uint256 signerWord, uint256 at) private pure returns (bool) {
        return uint64(signerWord) <= at && at < uint64(signerWord >> 64);
    }

    /// @dev True when a leaf change record counts: made by the admin, or inside its signer's window.
    /// `callerWord` is the calling signer's record (zero for the admin and in views): when it made the
    /// change, its window is known without reading storage.
    function _counts(uint256 record, uint256 callerWord) private view returns (bool) {
        uint32 maker = uint32(record >> _LEAF_MAKER_SHIFT);
        if (maker == 0) return true;
        uint256 word = callerWord != 0 && uint32(callerWord >> 160) == maker
            ? callerWord
            : _signers[_signerAddresses[maker - 1]];
        return _covers(word, uint40(record >> _LEAF_TIME_SHIFT));
    }

    /// @dev True when the anchor word holds a batch revocation that counts.
    function _batchRevocationCounts(uint256 word) private view returns (bool) {
        uint256 at = uint40(word >> _BATCH_TIME_SHIFT);
        if (at == 0) return false;
        uint32 by = uint32(word >> _BATCH_BY_SHIFT);
        return by == 0 || _covers(_signers[_signerAddresses[by - 1]], at);
    }

    /// @dev A leaf's head word, its latest change that counts (zero: never changed, or no change counts,
    /// i.e. valid) and whether the latest change itself counts. Walks back through the history only past
    /// changes that no longer count.
    function _currentLeaf(uint32 number, bytes32 leaf, uint256 callerWord)
        private
        view
        returns (uint256 head, uint256 counted, bool latestCounts)
    {
        head = _leaves[number][leaf];
        if (head == 0) return (0, 0, false);
        uint256 latest = head & _LEAF_RECORD_MASK;
        if (_counts(latest, callerWord)) return (head, latest, true);
        uint256 previous = (head >> _LEAF_PREVIOUS_SHIFT) & _LEAF_RECORD_MASK;
        if (previous != 0 && _counts(previous, callerWord)) return (head, previous, false);
        mapping(uint256 => uint256) storage history = _leafHistory[number][leaf];
        for (uint256 k = head >> _LEAF_DEPTH_SHIFT; k > 0; --k) {
            uint256 older = history[k - 1];
            if (_counts(older, callerWord)) return (head, older, false);
        }
        return (head, 0, false);
    }

    /// @dev The status a transition is checked against, and what `_setLeaf` needs.
    function _leaf(uint32 number, bytes32 leaf, uint256 callerWord)
        private
        view
        returns (LeafStatus, uint256 head, bool latestCounts)
    {
        if (leaf == bytes32(0)) revert RegistryZeroLeaf();
        uint256 counted;
        (head, counted, latestCounts) = _currentLeaf(number, leaf, callerWord);
        return (LeafStatus(uint8(counted)), head, latestCounts);
    }

    /// @dev Writes a change made by the signer whose record is `callerWord` (zero: the admin) as the leaf's
    /// latest; the latest so far becomes the previous one when it still counts, and the previous one so
    /// far goes into the history when it still counts (changes that no longer count are dropped).
    function _setLeaf(
        uint32 number,
        bytes32 leaf,
        uint256 head,
        bool latestCounts,
        LeafStatus status,
        uint8 reason,
        uint256 callerWord
    ) private {
        uint256 kept;
        uint256 depth;
        if (head != 0) {
            depth = head >> _LEAF_DEPTH_SHIFT;
            uint256 previous = (head >> _LEAF_PREVIOUS_SHIFT) & _LEAF_RECORD_MASK;
            bool previousCounts = previous != 0 && _counts(previous, callerWord);
            if (latestCounts) {
                kept = head & _LEAF_RECORD_MASK;
                if (previousCounts) _leafHistory[number][leaf][depth++] = previous;
            } else if (previousCounts) {
                kept = previous;
            }
        }
        _leaves[number][leaf] = uint256(status) | (uint256(reason) << _LEAF_REASON_SHIFT)
            | (block.timestamp << _LEAF_TIME_SHIFT) | ((callerWord >> 160) << _LEAF_MAKER_SHIFT)
            | (kept << _LEAF_PREVIOUS_SHIFT) | (depth << _LEAF_DEPTH_SHIFT);
    }

    function _unpackAnchor(uint256 word) private pure returns (AnchorRecord memory) {
        return AnchorRecord({
            signerNumber: uint32(word),
            anchoredAt: uint40(word >> 32),
            anchorBlock: uint48(word >> 72),
            certificateCount: uint32(word >> 120),
            batchRevokedAt: uint40(word >> _BATCH_TIME_SHIFT),
            batchRevocationReason: uint8(word >> _BATCH_REASON_SHIFT),
            batchRevokedBy: uint32(word >> _BATCH_BY_SHIFT)
        });
    }

    /// @dev Revokes batch `root` of issuer `number`; `by` is the revoking signer's number (0: the admin).
    function _revokeBatch(uint32 number, bytes32 root, uint8 reason, uint32 by) private {
        uint256 word = _anchors[number][root];
        if (word == 0) revert RegistryRootNotAnchored(_issuers[number].id, root);
        if (_batchRevocationCounts(word)) revert RegistryBatchAlreadyRevoked(root);
        _anchors[number][root] = (word & _ANCHOR_MASK) | (block.timestamp << _BATCH_TIME_SHIFT)
            | (uint256(reason) << _BATCH_REASON_SHIFT) | (uint256(by) << _BATCH_BY_SHIFT);
        emit BatchRevoked(root, number, reason);
    }

    function _revoke(uint32 number, bytes32 leaf, uint8 reason, uint256 callerWord) private {
        (LeafStatus current, uint256 head, bool latestCounts) = _leaf(number, leaf, callerWord);
        if (current == LeafStatus.Revoked || current == LeafStatus.Superseded) {
            revert RegistryInvalidTransition(leaf, current);
        }
        _setLeaf(number, leaf, head, latestCounts, LeafStatus.Revoked, reason, callerWord);
        emit CertificateRevoked(leaf, number, reason);
    }

    function _suspend(uint32 number, bytes32 leaf, uint8 reason, uint256 callerWord) private {
        (LeafStatus current, uint256 head, bool latestCounts) = _leaf(number, leaf, callerWord);
        if (current != LeafStatus.Valid) revert RegistryInvalidTransition(leaf, current);
        _setLeaf(number, leaf, head, latestCounts, LeafStatus.Suspended, reason, callerWord);
        emit CertificateSuspended(leaf, number, reason);
    }

    function _reinstate(uint32 number, bytes32 leaf, uint256 callerWord) private {
        (LeafStatus current, uint256 head, bool latestCounts) = _leaf(number, leaf, callerWord);
        if (current != LeafStatus.Suspended) revert RegistryInvalidTransition(leaf, current);
        _setLeaf(number, leaf, head, latestCounts, LeafStatus.Valid, 0, callerWord);
        emit CertificateReinstated(leaf, number);
    }

    function _supersede(uint32 number, bytes32 leaf, bytes32 successor, uint256 callerWord) private {
        (LeafStatus current, uint256 head, bool latestCounts) = _leaf(number, leaf, callerWord);
        if (current == LeafStatus.Revoked || current == LeafStatus.Superseded) {
            revert RegistryInvalidTransition(leaf, current);
        }
        if (successor == bytes32(0) || successor == leaf) revert RegistryInvalidSuccessor(leaf, successor);
        _setLeaf(number, leaf, head, latestCounts, LeafStatus.Superseded, 0, callerWord);
        _successors[number][leaf] = successor;
        emit CertificateSuperseded(leaf, number, successor);
    }
}
