"""The monitor adapter: perceptual fingerprints of images, the index that keeps
them, and the sources a scan reads images from.

- `image`: bytes → pixels, with the caps that make hostile input harmless
  (pixel count, side lengths), decoding at reduced size where the format allows.
- `fingerprint`: pure functions over pixels: PDQ prints (global, over trimmed
  borders, a centre window and the dihedral variants) and ORB local features
  with RANSAC verification, and what transform a match looks like.
- `store`: the one index store interface (`IndexStore`) and its directory
  implementation under `.numbers/monitor/`.
- `search`: nearest prints by Hamming distance (faiss binary index).
- `sources`: one small module per kind of place images come from (file, http,
  ipfs, nft).

Heavy libraries (numpy, Pillow, OpenCV, pdqhash, faiss) are imported inside the
functions that use them: `nit --help` never loads them.
"""
