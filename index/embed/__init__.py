"""Embedding models behind one protocol (identity, dimension, tokenizer, encode): the ONNX and torch
backends, and the vector cache that keeps a rebuild from embedding what it has embedded before."""
