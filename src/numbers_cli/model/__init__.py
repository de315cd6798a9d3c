"""Pure data and pure functions: where compatibility with IPFS and Numbers lives.

Nothing here does I/O; every format is tested against published vectors.
"""
