// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.30;

/// @title An ERC-20 that misbehaves the way some deployed tokens do, for the
/// registry's tests only (never embedded, never deployed by ehr).
/// @notice returnsFalse == false: transfer and transferFrom return nothing and
/// revert on failure (USDT and kin). returnsFalse == true: they return false
/// on failure instead of reverting, and true on success.
contract OddToken {
	bool public immutable returnsFalse;
	uint8 public constant decimals = 6;
	mapping(address => uint256) public balanceOf;
	mapping(address => mapping(address => uint256)) public allowance;

	event Transfer(address indexed from, address indexed to, uint256 value);
	event Approval(address indexed owner, address indexed spender, uint256 value);

	constructor(bool returnsFalse_) {
		returnsFalse = returnsFalse_;
	}

	function mint(address to, uint256 amount) external {
		balanceOf[to] += amount;
		emit Transfer(address(0), to, amount);
	}

	function approve(address spender, uint256 amount) external returns (bool) {
		allowance[msg.sender][spender] = amount;
		emit Approval(msg.sender, spender, amount);
		return true;
	}

	function transfer(address to, uint256 amount) external {
		_reply(_move(msg.sender, to, amount));
	}

	function transferFrom(address from, address to, uint256 amount) external {
		bool ok = allowance[from][msg.sender] >= amount && _move(from, to, amount);
		if (ok)
			allowance[from][msg.sender] -= amount;
		_reply(ok);
	}

	function _move(address from, address to, uint256 amount) private returns (bool) {
		if (balanceOf[from] < amount)
			return false;
		balanceOf[from] -= amount;
		balanceOf[to] += amount;
		emit Transfer(from, to, amount);
		return true;
	}

	/// Ends the call the odd way: nothing (or a revert) or a bare bool.
	function _reply(bool ok) private view {
		if (!returnsFalse) {
			if (!ok)
				revert();
			return;
		}
		assembly {
			mstore(0, ok)
			return(0, 32)
		}
	}
}
