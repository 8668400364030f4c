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
