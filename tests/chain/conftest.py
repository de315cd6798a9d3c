"""Tests against a real anvil. The fixtures (`anvil`, `bare_devnet`, `devnet`,
`chain`) live in tests/conftest.py, shared with the push and fetch tests: one
node per xdist worker, a freshly deployed register per test, so no test sees
another's commits."""
