// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

/// @title IntegrityRegister
/// @notice The on-chain index of Numbers commits: the same ABI as the contract the
///         Numbers network and the reference `nit` tool use (see spec/NUMBERS.md).
/// @dev The records themselves live only in event logs (cheap, and what readers
///      fetch with eth_getLogs). Storage keeps, per asset, the block numbers of
///      its records, so a reader knows which block ranges to ask for instead of
///      scanning the whole chain. Assets are keyed by keccak256 of their Nid: the
///      same hash the indexed `string assetCid` topic carries.
contract IntegrityRegister is Initializable {
    /// Block numbers of each asset's commits, in chain order, keyed by keccak256(Nid).
    mapping(bytes32 => uint256[]) private _commits;

    /// Block numbers of each asset's integrity records, keyed by keccak256(Nid).
    mapping(bytes32 => uint256[]) private _records;

    /// One commit of an asset; `commitData` is the compact commit JSON.
    event Commit(address indexed recorder, string indexed assetCid, string commitData);

    /// One capture-time integrity record of an asset, with its signature.
    event Integrity(
        address indexed recorder, string indexed assetCid, string integrityData, bytes signature
    );

    /// @notice Kept for deployments behind an upgradeable proxy, like the networks'
    ///         own; on a plain deployment it only marks the contract initialised.
    function initialize() external initializer {}

    /// @notice Record a commit of `assetCid`. Any address may commit: who did is
    ///         in the event (`recorder`) and the commit's own signature.
    /// @return blockNumber the block the commit is recorded in.
    function commit(string calldata assetCid, string calldata commitData)
        external
        returns (uint256 blockNumber)
    {
        _commits[keccak256(bytes(assetCid))].push(block.number);
        emit Commit(msg.sender, assetCid, commitData);
        return block.number;
    }

    /// @notice Block numbers of the commits of `assetCid`, in order (one entry per commit).
    function getCommits(string calldata assetCid) external view returns (uint256[] memory) {
        return _commits[keccak256(bytes(assetCid))];
    }

    /// @notice Record capture-time integrity data of `assetCid` with its signature.
    function registerIntegrityRecord(
        string calldata assetCid,
        string calldata integrityData,
        bytes calldata signature
    ) external {
        _records[keccak256(bytes(assetCid))].push(block.number);
        emit Integrity(msg.sender, assetCid, integrityData, signature);
    }

    /// @notice Block numbers of the integrity records of `assetCid`, in order.
    function getRecordLogs(string calldata assetCid) external view returns (uint256[] memory) {
        return _records[keccak256(bytes(assetCid))];
    }
}
