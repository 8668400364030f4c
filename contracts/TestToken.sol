// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.30;

/// @title A test ERC-20 with 6 decimals, like the usual stablecoins.
/// @notice FOR LOCAL AND TEST CHAINS ONLY: anyone can mint any amount to
/// anyone with mint(). It is worth nothing by construction.
contract TestToken {
	string public constant name = "ehr Test Dollar";
	string public constant symbol = "TUSD";
	uint8 public constant decimals = 6;

	uint256 public totalSupply;
	mapping(address => uint256) public balanceOf;
	mapping(address => mapping(address => uint256)) public allowance;

	event Transfer(address indexed from, address indexed to, uint256 value);
	event Approval(address indexed owner, address indexed spender, uint256 value);

	error InsufficientBalance(uint256 balance, uint256 needed);
	error InsufficientAllowance(uint256 allowance, uint256 needed);
	error ZeroAddress();
	error PermitExpired();
	error BadPermit();

	/// EIP-2612: an approval signed by the owner (EIP-712, domain name
	/// "ehr Test Dollar", version "1"), submitted by anyone.
	bytes32 public constant PERMIT_TYPEHASH =
		keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
	mapping(address => uint256) public nonces;

	function DOMAIN_SEPARATOR() public view returns (bytes32) {
		return keccak256(abi.encode(
			keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
			keccak256(bytes(name)), keccak256("1"), block.chainid, address(this)));
	}

	function permit(address owner, address spender, uint256 value, uint256 deadline,
		uint8 v, bytes32 r, bytes32 s) external
	{
		if (block.timestamp > deadline)
			revert PermitExpired();
		bytes32 digest = keccak256(abi.encodePacked(hex"1901", DOMAIN_SEPARATOR(),
			keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonces[owner]++, deadline))));
		address signer = ecrecover(digest, v, r, s);
		if (signer == address(0) || signer != owner)
			revert BadPermit();
		allowance[owner][spender] = value;
		emit Approval(owner, spender, value);
	}

	/// The faucet: open to anyone.
	function mint(address to, uint256 amount) external {
		if (to == address(0))
			revert ZeroAddress();
		totalSupply += amount;
		unchecked { balanceOf[to] += amount; }	// bounded by totalSupply
		emit Transfer(address(0), to, amount);
	}

	function transfer(address to, uint256 amount) external returns (bool) {
		_move(msg.sender, to, amount);
		return true;
	}

	function approve(address spender, uint256 amount) external returns (bool) {
		if (spender == address(0))
			revert ZeroAddress();
		allowance[msg.sender][spender] = amount;
		emit Approval(msg.sender, spender, amount);
		return true;
	}

	/// An allowance of type(uint256).max is never decreased.
	function transferFrom(address from, address to, uint256 amount) external returns (bool) {
		uint256 allowed = allowance[from][msg.sender];
		if (allowed != type(uint256).max) {
			if (allowed < amount)
				revert InsufficientAllowance(allowed, amount);
			unchecked { allowance[from][msg.sender] = allowed - amount; }
		}
		_move(from, to, amount);
		return true;
	}

	function _move(address from, address to, uint256 amount) private {
		if (to == address(0))
			revert ZeroAddress();
		uint256 balance = balanceOf[from];
		if (balance < amount)
			revert InsufficientBalance(balance, amount);
		unchecked {
			balanceOf[from] = balance - amount;
			balanceOf[to] += amount;
		}
		emit Transfer(from, to, amount);
	}
}
