#!/usr/bin/env node
// Compiles the contracts with the pinned solc-js (tests/node_modules/solc)
// and writes one artifact per contract: abi, creation and runtime bytecode,
// the compiler version and the exact settings. The output depends only on the
// sources and this file, so recompiling reproduces the committed artifacts
// byte for byte (tests/e2e/contracts-reproducible.sh checks it).
//
//   node contracts/compile.js [OUTDIR]    (default contracts/artifacts)
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'tests', 'node_modules', 'solc'));

const PINNED = '0.8.30+commit.73712a01';

// Source unit names are repository-relative, so the metadata hash embedded in
// the bytecode does not depend on where the repository is checked out.
const SOURCES = [
	['contracts/Registry.sol', 'Registry'],
	['contracts/TestToken.sol', 'TestToken'],
	['contracts/test/OddToken.sol', 'OddToken'],
];

// paris: no PUSH0 and no transient storage, so the same bytecode deploys on
// the EVM chains that lag behind mainnet (Cosmos EVM chains, private
// permissioned networks) as well as on current ones.
const SETTINGS = {
	optimizer: { enabled: true, runs: 200 },
	evmVersion: 'paris',
	viaIR: false,
	metadata: { bytecodeHash: 'ipfs' },
	outputSelection: {
		'*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
	},
};

function main() {
	const outDir = path.resolve(process.argv[2] || path.join(root, 'contracts', 'artifacts'));
	const version = solc.version();
	if (!version.startsWith(PINNED)) {
		console.error(`compile: solc ${version} is not the pinned ${PINNED}; run make deps`);
		process.exit(1);
	}

	const sources = {};
	for (const [unit] of SOURCES)
		sources[unit] = { content: fs.readFileSync(path.join(root, unit), 'utf8') };
	const input = { language: 'Solidity', sources, settings: SETTINGS };
	const output = JSON.parse(solc.compile(JSON.stringify(input)));

	let failed = false;
	for (const e of output.errors || []) {
		console.error(e.formattedMessage.trimEnd());
		if (e.severity === 'error')
			failed = true;
	}
	// Warnings are as bad as errors here: the artifacts are the product.
	if (failed || (output.errors || []).length)
		process.exit(1);

	fs.mkdirSync(outDir, { recursive: true });
	for (const [unit, name] of SOURCES) {
		const c = output.contracts[unit][name];
		const artifact = {
			contractName: name,
			sourceName: unit,
			compiler: { version, settings: { optimizer: SETTINGS.optimizer,
				evmVersion: SETTINGS.evmVersion, viaIR: SETTINGS.viaIR,
				metadata: SETTINGS.metadata } },
			abi: c.abi,
			bytecode: '0x' + c.evm.bytecode.object,
			deployedBytecode: '0x' + c.evm.deployedBytecode.object,
		};
		const file = path.join(outDir, name + '.json');
		fs.writeFileSync(file + '.tmp', JSON.stringify(artifact, null, 2) + '\n');
		fs.renameSync(file + '.tmp', file);
		const size = c.evm.deployedBytecode.object.length / 2;
		console.log(`${path.relative(process.cwd(), file)}: ${size} bytes runtime`);
	}
}

main();
