// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.30;

/// @title ehr registry: key directory, record anchors, grants, consent, access log, invoices
/// @notice Every state change emits an event; the events are the audit trail.
/// Grants authorise; data keys reach a grantee only in a release that answers
/// the grantee's logged access request (requestAccess, then release).
/// Every patient-related event has the patient as its first indexed field
/// (topic 1), the record, grant or invoice id second (topic 2) and the other
/// party (author, grantee, accessor, issuer) third (topic 3), so one
/// eth_getLogs filtered on topic 1 returns a patient's whole history and one
/// filtered on topic 3 a provider's.
/// @dev No owner, no upgrade, no pause: nobody but the parties named in each
/// rule can change anything. Roles in the key directory are self-declared
/// labels and gate nothing.
/// EIP-2612: what payWithPermit needs of a token.
interface IERC20Permit {
	function permit(address owner, address spender, uint256 value, uint256 deadline,
		uint8 v, bytes32 r, bytes32 s) external;
}

contract Registry {
	/* ---------------------------------------------------------------- */
	/* Types and storage                                                */
	/* ---------------------------------------------------------------- */

	struct Account {
		bytes32 encryptionKey;	// X25519 public key
		uint8 role;		// 1 patient, 2 provider, others: the client's
		string name;
	}

	/// One slot per record: what the access rules need, and the block of
	/// its RecordAnchored event so a client finds that event in one query.
	struct Record {
		address patient;
		uint64 anchoredBlock;
		bool erased;
	}

	struct Grant {
		address patient;	// slot 0
		uint64 expiry;		// active while block.timestamp < expiry
		uint8 flags;		// GRANT_* and REVOKED
		uint8 purpose;		// PURPOSE_*; 0 for grants made with grant()
		address grantee;	// slot 1; for bearer grants the ephemeral key's address
		uint64 issuedBlock;
		address redeemer;	// slot 2; the one redeemer of a single-use bearer grant
	}

	/// A grantee's request to read records under a grant: the access log
	/// entry, and what a release may answer (the records still unreleased
	/// are in _requested).
	struct AccessRequest {
		address requester;	// slot 0: the grantee, or a redeemer of a bearer grant
		uint64 grantId;
		uint8 status;		// REQUEST_OPEN or REQUEST_DENIED
		uint64 requestedBlock;	// slot 1
	}

	/// A provider asking a patient for a grant (provider first).
	struct GrantRequest {
		address requester;	// slot 0: the future grantee
		uint64 duration;	// seconds from approval
		uint8 flags;		// GRANT_WRITE, GRANT_ALL
		uint8 purpose;		// PURPOSE_*
		uint8 status;		// REQUEST_OPEN, REQUEST_APPROVED or REQUEST_DENIED
		address patient;	// slot 1
		uint64 requestedBlock;
		bytes32 recordsHash;	// slot 2: keccak256(abi.encode(recordIds))
		uint256 grantId;	// slot 3: the grant approval created
	}

	struct Invoice {
		address issuer;		// slot 0
		uint64 due;
		uint8 status;		// INVOICE_*
		address patient;	// slot 1
		uint96 amount;
		address token;		// slot 2; address(0) is the native coin
		uint64 issuedBlock;
	}

	/// A record to anchor: calldata only.
	struct NewRecord {
		bytes32 contentHash;	// SHA-256 of the envelope
		uint64 size;		// envelope size in bytes
		string locator;		// where the ciphertext is: "chain", "dir:...", ...
		bytes patientKey;	// data key sealed to the patient
		bytes authorKey;	// data key sealed to the author (empty when the patient writes)
		bytes meta;		// encrypted metadata
	}

	/// A piece of chain-stored ciphertext: calldata only, never stored.
	struct Chunk {
		bytes32 contentHash;
		uint32 index;
		uint32 count;
		bytes data;
	}

	uint8 public constant ROLE_PATIENT = 1;
	uint8 public constant ROLE_PROVIDER = 2;

	uint8 public constant GRANT_WRITE = 1;	// grantee may anchor records for the patient
	uint8 public constant GRANT_ALL = 2;	// covers every record of the patient, also later ones
	uint8 public constant GRANT_BEARER = 4;	// grantee is an ephemeral key; redeem with its signature
	uint8 public constant GRANT_MULTI = 8;	// bearer grant redeemable by many accounts (emergency card)
	uint8 private constant GRANT_INPUT_FLAGS = 15;
	uint8 private constant GRANT_REQUEST_FLAGS = 3;	// what a provider may ask for: write, all
	uint8 private constant REVOKED = 128;

	/// Purpose of use, public in the grant and its event.
	uint8 public constant PURPOSE_TREATMENT = 1;
	uint8 public constant PURPOSE_EMERGENCY = 2;
	uint8 public constant PURPOSE_RESEARCH = 3;
	uint8 public constant PURPOSE_PAYMENT = 4;

	uint8 public constant REQUEST_OPEN = 1;
	uint8 public constant REQUEST_APPROVED = 2;	// grant requests only
	uint8 public constant REQUEST_DENIED = 3;

	/// A grant request's sealed purpose text, and its longest duration
	/// (100 years, so approval time + duration fits the expiry's 64 bits).
	uint256 public constant MAX_NOTE_BYTES = 1024;
	uint64 public constant MAX_DURATION = 36525 days;

	uint8 public constant INVOICE_OPEN = 1;
	uint8 public constant INVOICE_PAID = 2;
	uint8 public constant INVOICE_CANCELLED = 3;

	uint256 public constant MAX_NAME_BYTES = 64;

	/// An invoice's sealed memo: 1024 bytes of text and the 48 that
	/// crypto_box_seal adds. Every patient's history scan reads every memo
	/// sent to them, so a stranger must not be able to make it huge.
	uint256 public constant MAX_MEMO_BYTES = 1072;

	/// Domain tag of the bearer redemption digest:
	/// keccak256(abi.encode(REDEEM_TAG, chainid, registry, grantId, redeemer)),
	/// signed as is (no EIP-191 prefix) by the grant's ephemeral key.
	bytes32 public constant REDEEM_TAG = keccak256("ehr.registry.redeemBearer.v1");

	/// secp256k1n / 2: signatures with a larger s are the malleable twin.
	uint256 private constant HALF_N =
		0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

	/// Ids start at 1; 0 means none. Record ids are global, not per patient.
	uint256 public recordCount;
	uint256 public grantCount;
	uint256 public invoiceCount;
	uint256 public requestCount;		// access requests
	uint256 public grantRequestCount;	// grant requests (provider first)

	mapping(address => Account) private _accounts;
	mapping(uint256 => Record) private _records;
	mapping(uint256 => Grant) private _grants;
	/// grantId => recordId / 256 => bitmap of covered records (grants without GRANT_ALL)
	mapping(uint256 => mapping(uint256 => uint256)) private _covered;
	/// grantId => account => redeemed (bearer grants with GRANT_MULTI)
	mapping(uint256 => mapping(address => bool)) private _redeemers;
	mapping(uint256 => Invoice) private _invoices;
	mapping(uint256 => AccessRequest) private _requests;
	/// requestId => recordId / 256 => bitmap of records requested and not yet released
	mapping(uint256 => mapping(uint256 => uint256)) private _requested;
	mapping(uint256 => GrantRequest) private _grantRequests;

	/* ---------------------------------------------------------------- */
	/* Events                                                           */
	/* ---------------------------------------------------------------- */

	event KeyRegistered(address indexed account, bytes32 encryptionKey, uint8 role, string name);

	event RecordAnchored(address indexed patient, uint256 indexed recordId, address indexed author,
		uint256 grantId, bytes32 contentHash, uint64 size, string locator,
		bytes patientKey, bytes authorKey, bytes meta);
	event RecordErased(address indexed patient, uint256 indexed recordId);
	/// The chunk's bytes are not in the event: they are in the calldata of
	/// the transaction that emitted it.
	event ChunkStored(bytes32 indexed contentHash, address indexed sender, uint32 index, uint32 count);

	/// sealedKeys is empty for grants that authorise only (grantAccess,
	/// approveGrant); pre-released keys (grant(): bearer grants, the
	/// emergency card) travel here.
	event GrantIssued(address indexed patient, uint256 indexed grantId, address indexed grantee,
		uint64 expiry, uint8 flags, uint8 purpose, uint256[] recordIds, bytes[] sealedKeys);
	event GrantKeysAdded(address indexed patient, uint256 indexed grantId, address indexed grantee,
		uint256[] recordIds, bytes[] sealedKeys);
	event GrantRevoked(address indexed patient, uint256 indexed grantId, address indexed grantee);
	event BearerRedeemed(address indexed patient, uint256 indexed grantId, address indexed redeemer);
	event AccessLogged(address indexed patient, uint256 indexed grantId, address indexed accessor,
		uint256[] recordIds);

	/// Consent: a grantee asks to read (the access log entry), the patient
	/// releases keys sealed to the requester's registered X25519 key, or denies.
	event AccessRequested(address indexed patient, uint256 indexed grantId, address indexed requester,
		uint256 requestId, uint256[] recordIds);
	event KeysReleased(address indexed patient, uint256 indexed grantId, address indexed requester,
		uint256 requestId, uint256[] recordIds, bytes[] sealedKeys);
	event AccessDenied(address indexed patient, uint256 indexed grantId, address indexed requester,
		uint256 requestId);
	/// A research grant's answer: derivedIds[i] is the patient's de-identified
	/// copy of originalIds[i], sealedKeys[i] its key; derivedIds[i] 0: withheld.
	event DerivedReleased(address indexed patient, uint256 indexed grantId, address indexed requester,
		uint256 requestId, uint256[] originalIds, uint256[] derivedIds, bytes[] sealedKeys);
	/// Provider first: topic 2 is the grant request's id.
	event GrantRequested(address indexed patient, uint256 indexed grantRequestId, address indexed requester,
		uint8 flags, uint64 duration, uint8 purpose, uint256[] recordIds, bytes sealedPurpose);
	event GrantRequestApproved(address indexed patient, uint256 indexed grantRequestId,
		address indexed requester, uint256 grantId);
	event GrantRequestDenied(address indexed patient, uint256 indexed grantRequestId,
		address indexed requester);

	event InvoiceIssued(address indexed patient, uint256 indexed invoiceId, address indexed issuer,
		address token, uint256 amount, uint64 due, bytes memo);
	event InvoicePaid(address indexed patient, uint256 indexed invoiceId, address indexed issuer,
		address token, uint256 amount);
	event InvoiceCancelled(address indexed patient, uint256 indexed invoiceId, address indexed issuer);

	/* ---------------------------------------------------------------- */
	/* Errors (an event and an error cannot share a name, hence the     */
	/* "Is" in GrantIsRevoked, RecordIsErased, InvoiceIsCancelled)      */
	/* ---------------------------------------------------------------- */

	error EmptyKey();
	error BadRole();
	error NameTooLong();
	error ZeroAddress();
	error EmptyBatch();
	error LengthMismatch();

	error NoSuchRecord(uint256 recordId);
	error NotPatientsRecord(uint256 recordId);
	error RecordIsErased(uint256 recordId);
	error NotPatient();
	error NoWriteGrant();

	error BadFlags();
	error BadExpiry();
	error NoSuchGrant();
	error NotGrantee();
	error GrantExpired();
	error GrantIsRevoked();
	error NotCovered(uint256 recordId);
	error NotBearer();
	error BadSignature();
	error AlreadyRedeemed();

	error BadPurpose();
	error NotPatientsGrant();
	error NoEncryptionKey();
	error NoSuchRequest();
	error RequestClosed();
	error NotRequested(uint256 recordId);
	error RecordsMismatch();
	error NoteTooLong();
	error ResearchGetsDerivedOnly();
	error NotResearch();
	error NotDerived(uint256 recordId);
	error MemoTooLong();

	error NoSuchInvoice();
	error ZeroAmount();
	error AmountTooLarge();
	error NotAToken();
	error NotInvoicePatient();
	error NotIssuer();
	error AlreadyPaid();
	error InvoiceIsCancelled();
	error WrongAmount(uint256 expected, uint256 sent);
	error TransferFailed();

	/* ---------------------------------------------------------------- */
	/* Key directory                                                    */
	/* ---------------------------------------------------------------- */

	/// Publishes (or replaces) the caller's encryption key, display name and role.
	function register(bytes32 encryptionKey, string calldata name, uint8 role) external {
		if (encryptionKey == bytes32(0))
			revert EmptyKey();
		if (role == 0)
			revert BadRole();
		if (bytes(name).length > MAX_NAME_BYTES)
			revert NameTooLong();
		Account storage a = _accounts[_sender()];
		a.encryptionKey = encryptionKey;
		a.role = role;
		a.name = name;
		emit KeyRegistered(_sender(), encryptionKey, role, name);
	}

	/// An unregistered account reads as (0, "", 0).
	function accountOf(address account)
		external view returns (bytes32 encryptionKey, string memory name, uint8 role)
	{
		Account storage a = _accounts[account];
		return (a.encryptionKey, a.name, a.role);
	}

	/* ---------------------------------------------------------------- */
	/* Records                                                          */
	/* ---------------------------------------------------------------- */

	/// Anchors one record in the patient's chart. Anyone but the patient
	/// passes the id of an active write grant the patient gave them (the
	/// patient passes 0; it is ignored). Returns the new record id.
	function anchorRecord(address patient, uint256 grantId, NewRecord calldata r)
		external returns (uint256 recordId)
	{
		grantId = _mayWrite(patient, grantId);
		recordId = ++recordCount;
		_anchor(patient, grantId, recordId, r);
	}

	/// The batch form: records get consecutive ids from the returned one on.
	function anchorRecords(address patient, uint256 grantId, NewRecord[] calldata rs)
		external returns (uint256 firstId)
	{
		return _anchorAll(patient, grantId, rs);
	}

	/// Chain storage and anchoring in one transaction: storeChunks, then
	/// anchorRecords. A record is then anchored if and only if its bytes are
	/// stored, and on chains that price calldata with a floor (EIP-7623) the
	/// anchoring costs almost nothing on top of the bytes.
	function storeAndAnchor(address patient, uint256 grantId, Chunk[] calldata chunks,
		NewRecord[] calldata rs) external returns (uint256 firstId)
	{
		_emitChunks(chunks);
		return _anchorAll(patient, grantId, rs);
	}

	/// Tombstones a record. The ciphertext may live on where the store
	/// cannot delete (calldata); clients stop serving and granting it.
	function eraseRecord(uint256 recordId) external {
		Record storage rec = _records[recordId];
		if (rec.patient == address(0))
			revert NoSuchRecord(recordId);
		if (rec.patient != _sender())
			revert NotPatient();
		if (rec.erased)
			revert RecordIsErased(recordId);
		rec.erased = true;
		emit RecordErased(_sender(), recordId);
	}

	function recordOf(uint256 recordId)
		external view returns (address patient, uint64 anchoredBlock, bool erased)
	{
		Record storage rec = _records[recordId];
		return (rec.patient, rec.anchoredBlock, rec.erased);
	}

	/// Chain storage: the bytes stay in this call's calldata, found again
	/// through ChunkStored (filter on contentHash and sender, then read the
	/// transaction's input). Nothing is stored and nothing is checked.
	function storeChunk(bytes32 contentHash, uint32 index, uint32 count, bytes calldata /* data */)
		external
	{
		emit ChunkStored(contentHash, _sender(), index, count);
	}

	/// Many chunks (of one or many records) in one transaction.
	function storeChunks(Chunk[] calldata chunks) external {
		_emitChunks(chunks);
	}

	/* ---------------------------------------------------------------- */
	/* Grants                                                           */
	/* ---------------------------------------------------------------- */

	/// The caller (the patient) authorises `grantee` until `expiry` (unix
	/// seconds) for `purpose` (PURPOSE_*). flags: GRANT_WRITE, GRANT_ALL,
	/// GRANT_BEARER, GRANT_MULTI (bearer only). No key travels: the grantee
	/// asks with requestAccess and the patient answers with release.
	function grantAccess(address grantee, uint64 expiry, uint8 flags, uint8 purpose,
		uint256[] calldata recordIds) external returns (uint256 grantId)
	{
		if (purpose == 0 || purpose > PURPOSE_PAYMENT)
			revert BadPurpose();
		_checkGrant(grantee, expiry, flags);
		grantId = _newGrant(grantee, expiry, flags, purpose, recordIds);
		emit GrantIssued(_sender(), grantId, grantee, expiry, flags, purpose, recordIds, new bytes[](0));
	}

	/// A grant with its keys released up front: sealedKeys[i] is the data
	/// key of recordIds[i] sealed to the grantee, public from this block on.
	/// For bearer grants and the emergency card, where nobody may be there
	/// to answer a request; no purpose (0). Returns the grant id.
	function grant(address grantee, uint64 expiry, uint8 flags,
		uint256[] calldata recordIds, bytes[] calldata sealedKeys)
		external returns (uint256 grantId)
	{
		_checkGrant(grantee, expiry, flags);
		if (recordIds.length != sealedKeys.length)
			revert LengthMismatch();
		grantId = _newGrant(grantee, expiry, flags, 0, recordIds);
		emit GrantIssued(_sender(), grantId, grantee, expiry, flags, 0, recordIds, sealedKeys);
	}

	/// The patient adds records to an active grant: more records for a
	/// grant over a list, or new records for a GRANT_ALL grant. sealedKeys
	/// is empty (authorisation only: the grantee requests them) or one key
	/// sealed to the grantee per record (released up front).
	function addGrantKeys(uint256 grantId, uint256[] calldata recordIds, bytes[] calldata sealedKeys)
		external
	{
		Grant storage g = _grants[grantId];
		if (g.patient == address(0))
			revert NoSuchGrant();
		if (g.patient != _sender())
			revert NotPatient();
		_requireActive(g);
		if (sealedKeys.length != 0 && recordIds.length != sealedKeys.length)
			revert LengthMismatch();
		if (sealedKeys.length != 0 && g.purpose == PURPOSE_RESEARCH)
			revert ResearchGetsDerivedOnly();
		if (recordIds.length == 0)
			revert EmptyBatch();
		_cover(grantId, g.flags, recordIds);
		emit GrantKeysAdded(_sender(), grantId, g.grantee, recordIds, sealedKeys);
	}

	/// Ends a grant at once. Only the patient who issued it.
	function revoke(uint256 grantId) external {
		Grant storage g = _grants[grantId];
		if (g.patient == address(0))
			revert NoSuchGrant();
		if (g.patient != _sender())
			revert NotPatient();
		if (g.flags & REVOKED != 0)
			revert GrantIsRevoked();
		g.flags |= REVOKED;
		emit GrantRevoked(_sender(), grantId, g.grantee);
	}

	/// Proves possession of a bearer grant's ephemeral key and binds the
	/// grant to the caller, under whose account its accesses are then
	/// logged. signature: 65 bytes r || s || v over the REDEEM_TAG digest
	/// (redeemDigest). A single-use grant (no GRANT_MULTI) binds only its
	/// first redeemer; that redeemer may redeem again.
	function redeemBearer(uint256 grantId, bytes calldata signature) external {
		Grant storage g = _grants[grantId];
		if (g.patient == address(0))
			revert NoSuchGrant();
		if (g.flags & GRANT_BEARER == 0)
			revert NotBearer();
		_requireActive(g);
		if (_recover(redeemDigest(grantId, _sender()), signature) != g.grantee)
			revert BadSignature();
		if (g.flags & GRANT_MULTI != 0) {
			_redeemers[grantId][_sender()] = true;
		} else if (g.redeemer == address(0)) {
			g.redeemer = _sender();
		} else if (g.redeemer != _sender()) {
			revert AlreadyRedeemed();
		}
		emit BearerRedeemed(g.patient, grantId, _sender());
	}

	function redeemDigest(uint256 grantId, address redeemer) public view returns (bytes32) {
		return keccak256(abi.encode(REDEEM_TAG, block.chainid, address(this), grantId, redeemer));
	}

	/// Not revoked and not expired.
	function isActive(uint256 grantId) public view returns (bool) {
		Grant storage g = _grants[grantId];
		return g.patient != address(0) && g.flags & REVOKED == 0 && block.timestamp < g.expiry;
	}

	/// Whether `account` may use the grant now: it is active and `account`
	/// is its grantee or (bearer grants) a redeemer.
	function canAccess(uint256 grantId, address account) external view returns (bool) {
		return isActive(grantId) && _isAccessor(grantId, _grants[grantId], account);
	}

	/// Whether the grant names the record (for GRANT_ALL: the record is the
	/// patient's). Says nothing about activity or erasure.
	function covers(uint256 grantId, uint256 recordId) public view returns (bool) {
		Grant storage g = _grants[grantId];
		if (g.patient == address(0))
			return false;
		if (g.flags & GRANT_ALL != 0)
			return _records[recordId].patient == g.patient;
		return _covered[grantId][recordId >> 8] & (uint256(1) << (recordId & 255)) != 0;
	}

	/// A grant with its purpose of use and whether it is active now.
	/// flags includes REVOKED (128) once revoked.
	function consentOf(uint256 grantId) external view returns (address patient, address grantee,
		uint64 expiry, uint8 flags, uint8 purpose, uint64 issuedBlock, address redeemer, bool active)
	{
		Grant storage g = _grants[grantId];
		patient = g.patient;
		grantee = g.grantee;
		expiry = g.expiry;
		flags = g.flags;
		purpose = g.purpose;
		issuedBlock = g.issuedBlock;
		redeemer = g.redeemer;
		active = isActive(grantId);
	}

	/// flags includes REVOKED (128) once revoked.
	function grantOf(uint256 grantId) external view returns (address patient, address grantee,
		uint64 expiry, uint8 flags, uint64 issuedBlock, address redeemer)
	{
		Grant storage g = _grants[grantId];
		return (g.patient, g.grantee, g.expiry, g.flags, g.issuedBlock, g.redeemer);
	}

	/* ---------------------------------------------------------------- */
	/* Access log                                                       */
	/* ---------------------------------------------------------------- */

	/// The grantee (or a redeemer of a bearer grant) records that it read
	/// these records under the grant. Refused once the grant is expired or
	/// revoked, and for records the grant does not cover or that are erased.
	function logAccess(uint256 grantId, uint256[] calldata recordIds) external {
		Grant storage g = _grants[grantId];
		address patient = g.patient;
		if (patient == address(0))
			revert NoSuchGrant();
		if (!_isAccessor(grantId, g, _sender()))
			revert NotGrantee();
		_requireActive(g);
		for (uint256 i = 0; i < recordIds.length; i++)
			_requireCovered(grantId, g, recordIds[i]);
		emit AccessLogged(patient, grantId, _sender(), recordIds);
	}

	/* ---------------------------------------------------------------- */
	/* Consent: request, then release                                   */
	/* ---------------------------------------------------------------- */

	/// The grantee (or a redeemer of a bearer grant) asks `patient` for the
	/// keys of records under a grant. This is the access log entry; it is
	/// refused for a grant that is revoked or expired, for records it does
	/// not cover or that are erased, and for a requester without a
	/// registered encryption key (nothing could be sealed to it).
	function requestAccess(address patient, uint256 grantId, uint256[] calldata recordIds)
		external returns (uint256 requestId)
	{
		Grant storage g = _grants[grantId];
		if (g.patient == address(0))
			revert NoSuchGrant();
		if (g.patient != patient)
			revert NotPatientsGrant();
		if (!_isAccessor(grantId, g, _sender()))
			revert NotGrantee();
		_requireActive(g);
		if (recordIds.length == 0)
			revert EmptyBatch();
		if (_accounts[_sender()].encryptionKey == bytes32(0))
			revert NoEncryptionKey();
		requestId = _newRequest(_sender(), grantId);
		for (uint256 i = 0; i < recordIds.length; i++) {
			uint256 id = recordIds[i];
			_requireCovered(grantId, g, id);
			_requested[requestId][id >> 8] |= uint256(1) << (id & 255);
		}
		emit AccessRequested(patient, grantId, _sender(), requestId, recordIds);
	}

	/// The patient answers a request: sealedKeys[i] is the data key of
	/// recordIds[i] sealed to the requester's registered X25519 key. Refused
	/// once the grant is revoked or expired, for a denied request, and for
	/// a record the request did not name or that was released already.
	function release(uint256 requestId, uint256[] calldata recordIds, bytes[] calldata sealedKeys)
		external
	{
		AccessRequest storage q = _requests[requestId];
		if (q.requester == address(0))
			revert NoSuchRequest();
		uint256 grantId = q.grantId;
		Grant storage g = _grants[grantId];
		if (g.patient != _sender())
			revert NotPatient();
		if (q.status != REQUEST_OPEN)
			revert RequestClosed();
		_requireActive(g);
		if (g.purpose == PURPOSE_RESEARCH)
			revert ResearchGetsDerivedOnly();
		if (recordIds.length != sealedKeys.length)
			revert LengthMismatch();
		if (recordIds.length == 0)
			revert EmptyBatch();
		for (uint256 i = 0; i < recordIds.length; i++) {
			uint256 id = recordIds[i];
			uint256 bit = uint256(1) << (id & 255);
			if (_requested[requestId][id >> 8] & bit == 0)
				revert NotRequested(id);
			_requested[requestId][id >> 8] &= ~bit;
			if (_records[id].erased)
				revert RecordIsErased(id);
		}
		emit KeysReleased(_sender(), grantId, q.requester, requestId, recordIds, sealedKeys);
	}

	/// The patient answers a research grant's request (and only such a
	/// request) with de-identified copies: derivedIds[i], a record of the
	/// patient's anchored since the request, is the copy of the requested
	/// originalIds[i] and sealedKeys[i] its key sealed to the requester;
	/// derivedIds[i] 0 withholds originalIds[i] (not FHIR). Each original is
	/// answered once, as with release; the event ties each copy to its
	/// original. The contract cannot tell what a copy holds: the patient's
	/// ehr de-identifies.
	function releaseDerived(uint256 requestId, uint256[] calldata originalIds,
		uint256[] calldata derivedIds, bytes[] calldata sealedKeys) external
	{
		AccessRequest storage q = _requests[requestId];
		if (q.requester == address(0))
			revert NoSuchRequest();
		Grant storage g = _grants[q.grantId];
		if (g.patient != _sender())
			revert NotPatient();
		if (q.status != REQUEST_OPEN)
			revert RequestClosed();
		_requireActive(g);
		if (g.purpose != PURPOSE_RESEARCH)
			revert NotResearch();
		if (originalIds.length != derivedIds.length || originalIds.length != sealedKeys.length)
			revert LengthMismatch();
		if (originalIds.length == 0)
			revert EmptyBatch();
		for (uint256 i = 0; i < originalIds.length; i++)
			_answerDerived(requestId, q.requestedBlock, originalIds[i], derivedIds[i]);
		emit DerivedReleased(_sender(), q.grantId, q.requester, requestId, originalIds, derivedIds,
			sealedKeys);
	}

	/// Marks original answered in the request; derived (unless 0, withheld)
	/// must be the caller's, not erased, anchored at or after requestedBlock.
	function _answerDerived(uint256 requestId, uint64 requestedBlock, uint256 original, uint256 derived)
		private
	{
		uint256 bit = uint256(1) << (original & 255);
		if (_requested[requestId][original >> 8] & bit == 0)
			revert NotRequested(original);
		_requested[requestId][original >> 8] &= ~bit;
		if (_records[original].erased)
			revert RecordIsErased(original);
		if (derived == 0)
			return;
		Record storage rec = _records[derived];
		if (rec.patient != _sender())
			revert NotPatientsRecord(derived);
		if (rec.erased)
			revert RecordIsErased(derived);
		if (rec.anchoredBlock < requestedBlock)
			revert NotDerived(derived);
	}

	/// The patient refuses a request; nothing can be released for it after.
	function denyAccess(uint256 requestId) external {
		AccessRequest storage q = _requests[requestId];
		if (q.requester == address(0))
			revert NoSuchRequest();
		if (_grants[q.grantId].patient != _sender())
			revert NotPatient();
		if (q.status != REQUEST_OPEN)
			revert RequestClosed();
		q.status = REQUEST_DENIED;
		emit AccessDenied(_sender(), q.grantId, q.requester, requestId);
	}

	/// What a request is: its grant's patient, the grant, who asked, when,
	/// its status, and whether the grant is active now.
	function requestOf(uint256 requestId) external view returns (address patient, uint256 grantId,
		address requester, uint64 requestedBlock, uint8 status, bool grantActive)
	{
		AccessRequest storage q = _requests[requestId];
		return (_grants[q.grantId].patient, q.grantId, q.requester, q.requestedBlock, q.status,
			q.requester != address(0) && isActive(q.grantId));
	}

	/// Whether a release may still answer the request for this record.
	function isRequested(uint256 requestId, uint256 recordId) external view returns (bool) {
		return _requested[requestId][recordId >> 8] & (uint256(1) << (recordId & 255)) != 0;
	}

	/* ---------------------------------------------------------------- */
	/* Provider first: grant requests                                   */
	/* ---------------------------------------------------------------- */

	/// A provider (the caller) asks `patient` for a grant over recordIds (or
	/// all records, GRANT_ALL), read or read+write (GRANT_WRITE), for
	/// `duration` seconds from approval, for `purpose`; sealedPurpose is the
	/// provider's words sealed to the patient. Returns the request's id.
	function requestGrant(address patient, uint256[] calldata recordIds, uint8 flags, uint64 duration,
		uint8 purpose, bytes calldata sealedPurpose) external returns (uint256 grantRequestId)
	{
		if (patient == address(0))
			revert ZeroAddress();
		if (flags & ~GRANT_REQUEST_FLAGS != 0)
			revert BadFlags();
		if (duration == 0 || duration > MAX_DURATION)
			revert BadExpiry();
		if (purpose == 0 || purpose > PURPOSE_PAYMENT)
			revert BadPurpose();
		if (sealedPurpose.length > MAX_NOTE_BYTES)
			revert NoteTooLong();
		if (_accounts[_sender()].encryptionKey == bytes32(0))
			revert NoEncryptionKey();
		grantRequestId = ++grantRequestCount;
		_grantRequests[grantRequestId] = GrantRequest({
			requester: _sender(),
			duration: duration,
			flags: flags,
			purpose: purpose,
			status: REQUEST_OPEN,
			patient: patient,
			requestedBlock: uint64(block.number),
			recordsHash: keccak256(abi.encode(recordIds)),
			grantId: 0
		});
		emit GrantRequested(patient, grantRequestId, _sender(), flags, duration, purpose, recordIds,
			sealedPurpose);
	}

	/// The patient approves a grant request: the grant is made for the
	/// requested duration from now. recordIds are the requested records
	/// exactly (for GRANT_ALL: the records whose keys are released now);
	/// sealedKeys is empty, or the keys of recordIds sealed to the requester,
	/// released at once in answer to the request. Returns the grant id.
	function approveGrant(uint256 grantRequestId, uint256[] calldata recordIds, bytes[] calldata sealedKeys)
		external returns (uint256 grantId)
	{
		GrantRequest storage q = _openGrantRequest(grantRequestId);
		uint8 flags = q.flags;
		if (flags & GRANT_ALL == 0 && keccak256(abi.encode(recordIds)) != q.recordsHash)
			revert RecordsMismatch();
		if (sealedKeys.length != 0 && sealedKeys.length != recordIds.length)
			revert LengthMismatch();
		if (sealedKeys.length != 0 && q.purpose == PURPOSE_RESEARCH)
			revert ResearchGetsDerivedOnly();
		address grantee = q.requester;
		uint64 expiry = uint64(block.timestamp) + q.duration;
		q.status = REQUEST_APPROVED;
		grantId = _newGrant(grantee, expiry, flags, q.purpose, recordIds);
		q.grantId = grantId;
		emit GrantIssued(_sender(), grantId, grantee, expiry, flags, q.purpose, recordIds, new bytes[](0));
		emit GrantRequestApproved(_sender(), grantRequestId, grantee, grantId);
		if (sealedKeys.length != 0) {
			uint256 requestId = _newRequest(grantee, grantId);
			emit AccessRequested(_sender(), grantId, grantee, requestId, recordIds);
			emit KeysReleased(_sender(), grantId, grantee, requestId, recordIds, sealedKeys);
		}
	}

	/// The patient refuses a grant request (logged).
	function denyGrant(uint256 grantRequestId) external {
		GrantRequest storage q = _openGrantRequest(grantRequestId);
		q.status = REQUEST_DENIED;
		emit GrantRequestDenied(_sender(), grantRequestId, q.requester);
	}

	/// grantId is 0 until approved; recordsHash is keccak256(abi.encode(recordIds)).
	function grantRequestOf(uint256 grantRequestId) external view returns (address patient,
		address requester, uint8 flags, uint8 purpose, uint64 duration, uint8 status,
		uint64 requestedBlock, uint256 grantId, bytes32 recordsHash)
	{
		GrantRequest storage q = _grantRequests[grantRequestId];
		return (q.patient, q.requester, q.flags, q.purpose, q.duration, q.status, q.requestedBlock,
			q.grantId, q.recordsHash);
	}

	/* ---------------------------------------------------------------- */
	/* Invoices                                                         */
	/* ---------------------------------------------------------------- */

	/// The caller (a provider) bills `patient` `amount` base units of
	/// `token` (address(0): the native coin), due at `due` (unix seconds,
	/// informative: a late invoice can still be paid). memo is sealed to
	/// the patient, at most MAX_MEMO_BYTES. Returns the invoice id.
	function issueInvoice(address patient, address token, uint256 amount, uint64 due,
		bytes calldata memo) external returns (uint256 invoiceId)
	{
		if (patient == address(0))
			revert ZeroAddress();
		if (amount == 0)
			revert ZeroAmount();
		if (amount > type(uint96).max)
			revert AmountTooLarge();
		// The registry itself is no token: a call of its own (pay's
		// transferFrom) must never reach it, as _sender() trusts the
		// registry's calls to itself (execute) to end with the signer.
		if (token != address(0) && (token.code.length == 0 || token == address(this)))
			revert NotAToken();
		if (memo.length > MAX_MEMO_BYTES)
			revert MemoTooLong();
		invoiceId = ++invoiceCount;
		_invoices[invoiceId] = Invoice({
			issuer: _sender(),
			due: due,
			status: INVOICE_OPEN,
			patient: patient,
			amount: uint96(amount),
			token: token,
			issuedBlock: uint64(block.number)
		});
		emit InvoiceIssued(patient, invoiceId, _sender(), token, amount, due, memo);
	}

	/// The invoice's patient pays it, once: native coin with msg.value equal
	/// to the amount, or a token with transferFrom(patient, issuer, amount)
	/// (the patient approves the registry first; msg.value must be 0).
	function pay(uint256 invoiceId) external payable {
		_pay(invoiceId, msg.value);
	}

	/// pay for a token invoice with an EIP-2612 permit of the patient's
	/// (value: the invoice's amount, spender: this registry) instead of an
	/// earlier approve, so a relayed intent moves the tokens in one
	/// transaction. A permit that fails (used already by someone who saw
	/// it) is passed over: the allowance it gave, if any, is what counts.
	function payWithPermit(uint256 invoiceId, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
		external
	{
		Invoice storage inv = _invoices[invoiceId];
		address token = inv.token;
		if (token != address(0) && token.code.length != 0) {
			try IERC20Permit(token).permit(_sender(), address(this), inv.amount, permitDeadline, v, r, s) {
			} catch {
			}
		}
		_pay(invoiceId, 0);
	}

	function _pay(uint256 invoiceId, uint256 value) private {
		Invoice storage inv = _invoices[invoiceId];
		uint8 status = inv.status;
		if (status == 0)
			revert NoSuchInvoice();
		if (inv.patient != _sender())
			revert NotInvoicePatient();
		if (status == INVOICE_PAID)
			revert AlreadyPaid();
		if (status == INVOICE_CANCELLED)
			revert InvoiceIsCancelled();
		address token = inv.token;
		address issuer = inv.issuer;
		uint256 amount = inv.amount;
		uint256 expect = token == address(0) ? amount : 0;
		if (value != expect)
			revert WrongAmount(expect, value);

		inv.status = INVOICE_PAID;
		emit InvoicePaid(_sender(), invoiceId, issuer, token, amount);

		if (token == address(0)) {
			(bool sent, ) = issuer.call{value: amount}("");
			if (!sent)
				revert TransferFailed();
		} else {
			_transferFrom(token, _sender(), issuer, amount);
		}
	}

	/// The issuer withdraws an open invoice.
	function cancelInvoice(uint256 invoiceId) external {
		Invoice storage inv = _invoices[invoiceId];
		uint8 status = inv.status;
		if (status == 0)
			revert NoSuchInvoice();
		if (inv.issuer != _sender())
			revert NotIssuer();
		if (status == INVOICE_PAID)
			revert AlreadyPaid();
		if (status == INVOICE_CANCELLED)
			revert InvoiceIsCancelled();
		inv.status = INVOICE_CANCELLED;
		emit InvoiceCancelled(inv.patient, invoiceId, _sender());
	}

	function invoiceOf(uint256 invoiceId) external view returns (address issuer, address patient,
		address token, uint256 amount, uint64 due, uint8 status, uint64 issuedBlock)
	{
		Invoice storage inv = _invoices[invoiceId];
		return (inv.issuer, inv.patient, inv.token, inv.amount, inv.due, inv.status, inv.issuedBlock);
	}

	/* ---------------------------------------------------------------- */
	/* Relayed actions: EIP-712 intents                                 */
	/* ---------------------------------------------------------------- */

	/// Anyone may submit (and pay the gas of) a call the signer signed as
	/// an EIP-712 intent: the registry then calls itself with the signer's
	/// address appended to the call data, and every function takes that
	/// address as its caller (_sender). The signature covers the whole call
	/// data, so a relayer cannot change what the intent does; a nonce the
	/// signer picks (any number, used at most once) and a deadline (unix
	/// seconds, the last second it may land) bound when and how often it
	/// lands. No fee is reimbursed: the relayer pays the gas.
	bytes32 public constant INTENT_TYPEHASH =
		keccak256("Intent(address signer,bytes data,uint256 nonce,uint256 deadline)");
	bytes32 private constant DOMAIN_TYPEHASH =
		keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

	/// signer => nonce => used
	mapping(address => mapping(uint256 => bool)) public intentUsed;

	event IntentExecuted(address indexed signer, uint256 indexed nonce, address indexed relayer);

	error IntentExpired();
	error IntentUsed();
	error IntentNotAllowed();

	/// The EIP-712 domain: name "ehr registry", version "1", this chain, this registry.
	function domainSeparator() public view returns (bytes32) {
		return keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("ehr registry"), keccak256("1"),
			block.chainid, address(this)));
	}

	/// The digest the signer signs (no EIP-191 prefix: EIP-712's 0x1901).
	function intentDigest(address signer, bytes calldata data, uint256 nonce, uint256 deadline)
		public view returns (bytes32)
	{
		return keccak256(abi.encodePacked(hex"1901", domainSeparator(),
			keccak256(abi.encode(INTENT_TYPEHASH, signer, keccak256(data), nonce, deadline))));
	}

	/// Runs data (a call of this registry's) as signer. Refused after the
	/// deadline, for a nonce the signer used, a signature by anyone else,
	/// and an intent inside an intent; the call's own refusal is passed on
	/// as it is. Returns what the call returns.
	function execute(address signer, bytes calldata data, uint256 nonce, uint256 deadline,
		bytes calldata signature) external returns (bytes memory result)
	{
		if (msg.sender == address(this) || data.length < 4 || bytes4(data[0:4]) == this.execute.selector)
			revert IntentNotAllowed();
		if (block.timestamp > deadline)
			revert IntentExpired();
		if (intentUsed[signer][nonce])
			revert IntentUsed();
		if (_recover(intentDigest(signer, data, nonce, deadline), signature) != signer)
			revert BadSignature();
		intentUsed[signer][nonce] = true;
		emit IntentExecuted(signer, nonce, msg.sender);
		bool ok;
		(ok, result) = address(this).call(abi.encodePacked(data, signer));
		if (!ok) {
			assembly {
				revert(add(result, 32), mload(result))
			}
		}
	}

	/// The account a call acts for: the signer of an intent when the
	/// registry calls itself (execute, which appends the signer's address
	/// to the call data), else the caller.
	function _sender() private view returns (address) {
		if (msg.sender == address(this) && msg.data.length >= 24)
			return address(bytes20(msg.data[msg.data.length - 20:]));
		return msg.sender;
	}

	/* ---------------------------------------------------------------- */
	/* Internals                                                        */
	/* ---------------------------------------------------------------- */

	function _anchorAll(address patient, uint256 grantId, NewRecord[] calldata rs)
		private returns (uint256 firstId)
	{
		uint256 n = rs.length;
		if (n == 0)
			revert EmptyBatch();
		grantId = _mayWrite(patient, grantId);
		firstId = recordCount + 1;
		recordCount += n;
		for (uint256 i = 0; i < n; i++)
			_anchor(patient, grantId, firstId + i, rs[i]);
	}

	function _emitChunks(Chunk[] calldata chunks) private {
		for (uint256 i = 0; i < chunks.length; i++)
			emit ChunkStored(chunks[i].contentHash, _sender(), chunks[i].index, chunks[i].count);
	}

	function _anchor(address patient, uint256 grantId, uint256 recordId, NewRecord calldata r) private {
		_records[recordId] = Record({
			patient: patient,
			anchoredBlock: uint64(block.number),
			erased: false
		});
		emit RecordAnchored(patient, recordId, _sender(), grantId, r.contentHash, r.size,
			r.locator, r.patientKey, r.authorKey, r.meta);
	}

	function _checkGrant(address grantee, uint64 expiry, uint8 flags) private view {
		if (grantee == address(0))
			revert ZeroAddress();
		// A bearer grant may not write: whoever holds its QR code could
		// fill the patient's chart.
		if (flags & ~GRANT_INPUT_FLAGS != 0 ||
		    (flags & GRANT_MULTI != 0 && flags & GRANT_BEARER == 0) ||
		    (flags & GRANT_BEARER != 0 && flags & GRANT_WRITE != 0))
			revert BadFlags();
		if (expiry <= block.timestamp)
			revert BadExpiry();
	}

	/// Stores a grant of the caller's; the caller emits GrantIssued.
	function _newGrant(address grantee, uint64 expiry, uint8 flags, uint8 purpose,
		uint256[] calldata recordIds) private returns (uint256 grantId)
	{
		grantId = ++grantCount;
		Grant storage g = _grants[grantId];
		g.patient = _sender();
		g.expiry = expiry;
		g.flags = flags;
		g.purpose = purpose;
		g.grantee = grantee;
		g.issuedBlock = uint64(block.number);
		_cover(grantId, flags, recordIds);
	}

	function _newRequest(address requester, uint256 grantId) private returns (uint256 requestId) {
		requestId = ++requestCount;
		_requests[requestId] = AccessRequest({
			requester: requester,
			grantId: uint64(grantId),
			status: REQUEST_OPEN,
			requestedBlock: uint64(block.number)
		});
	}

	/// The grant request, when it exists, is the caller's and still open.
	function _openGrantRequest(uint256 grantRequestId) private view returns (GrantRequest storage q) {
		q = _grantRequests[grantRequestId];
		if (q.requester == address(0))
			revert NoSuchRequest();
		if (q.patient != _sender())
			revert NotPatient();
		if (q.status != REQUEST_OPEN)
			revert RequestClosed();
	}

	/// The grant names the record (for GRANT_ALL: it is the patient's) and
	/// the record is not erased.
	function _requireCovered(uint256 grantId, Grant storage g, uint256 id) private view {
		Record storage rec = _records[id];
		if (g.flags & GRANT_ALL != 0 ? rec.patient != g.patient
		                            : _covered[grantId][id >> 8] & (uint256(1) << (id & 255)) == 0)
			revert NotCovered(id);
		if (rec.erased)
			revert RecordIsErased(id);
	}

	/// Returns the grant the write happens under: 0 when the patient writes.
	function _mayWrite(address patient, uint256 grantId) private view returns (uint256) {
		if (patient == address(0))
			revert ZeroAddress();
		if (_sender() == patient)
			return 0;
		Grant storage g = _grants[grantId];
		if (g.patient != patient || g.flags & GRANT_WRITE == 0 || !_isAccessor(grantId, g, _sender()))
			revert NoWriteGrant();
		_requireActive(g);
		return grantId;
	}

	function _isAccessor(uint256 grantId, Grant storage g, address account) private view returns (bool) {
		uint8 flags = g.flags;
		if (flags & GRANT_BEARER == 0)
			return account == g.grantee;
		if (flags & GRANT_MULTI != 0)
			return _redeemers[grantId][account];
		return account != address(0) && account == g.redeemer;
	}

	/// Revocation is reported before expiry: it is the stronger statement.
	function _requireActive(Grant storage g) private view {
		if (g.flags & REVOKED != 0)
			revert GrantIsRevoked();
		if (block.timestamp >= g.expiry)
			revert GrantExpired();
	}

	/// Checks that every record is the caller's and not erased, and marks
	/// it in the grant's bitmap unless the grant covers all records.
	function _cover(uint256 grantId, uint8 flags, uint256[] calldata recordIds) private {
		bool all = flags & GRANT_ALL != 0;
		for (uint256 i = 0; i < recordIds.length; i++) {
			uint256 id = recordIds[i];
			Record storage rec = _records[id];
			if (rec.patient == address(0))
				revert NoSuchRecord(id);
			if (rec.patient != _sender())
				revert NotPatientsRecord(id);
			if (rec.erased)
				revert RecordIsErased(id);
			if (!all)
				_covered[grantId][id >> 8] |= uint256(1) << (id & 255);
		}
	}

	/// transferFrom for tokens that return true, nothing (USDT and kin) or
	/// false: a call that reverts, returns false, or returns nothing from
	/// an address without code is a failed transfer.
	function _transferFrom(address token, address from, address to, uint256 amount) private {
		(bool ok, bytes memory ret) =
			token.call(abi.encodeWithSelector(0x23b872dd, from, to, amount));
		if (!ok)
			revert TransferFailed();
		if (ret.length == 0) {
			if (token.code.length == 0)
				revert TransferFailed();
		} else if (ret.length < 32 || abi.decode(ret, (uint256)) != 1) {
			revert TransferFailed();
		}
	}

	function _recover(bytes32 digest, bytes calldata sig) private pure returns (address) {
		if (sig.length != 65)
			revert BadSignature();
		bytes32 r = bytes32(sig[0:32]);
		bytes32 s = bytes32(sig[32:64]);
		uint8 v = uint8(sig[64]);
		if (v < 27)
			v += 27;
		if (uint256(s) > HALF_N || (v != 27 && v != 28))
			revert BadSignature();
		address signer = ecrecover(digest, v, r, s);
		if (signer == address(0))
			revert BadSignature();
		return signer;
	}
}
