"""Test-support code shared by the test suites: real local tools (IPFS node, reference Nids)."""
