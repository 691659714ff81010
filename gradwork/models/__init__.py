"""Models built from ``gradwork.nn`` layers, one readable file per model family, ``Config`` first.

- ``mnist1d``: the logistic regression, MLP, CNN and GRU baselines of MNIST-1D.
- ``mlp``: an MLP with optional residual connections and norms.
- ``cnn``: LeNet-5, a small ResNet and a 1-D CNN.
- ``vit``: a small Vision Transformer.
- ``rnn_lm``: a character language model (RNN/LSTM/GRU, truncated BPTT, sampling).
- ``gpt``: a decoder-only transformer with a KV cache (GPT-2 parameter layout).
- ``bert``: an encoder-only transformer that loads all-MiniLM-L6-v2.
- ``gnn``: GCN, GraphSAGE, GAT and GIN on sparse edge lists.
"""

from gradwork.models import bert, cnn, gnn, gpt, mlp, mnist1d, rnn_lm, vit

__all__ = ["bert", "cnn", "gnn", "gpt", "mlp", "mnist1d", "rnn_lm", "vit"]
