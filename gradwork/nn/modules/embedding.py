"""``Embedding``: a lookup table of learnable vectors, indexed by integer ids."""

from __future__ import annotations

from gradwork._creation import empty
from gradwork.autograd.grad_mode import no_grad
from gradwork.nn import init
from gradwork.nn.module import Module
from gradwork.nn.parameter import Parameter
from gradwork.ops._util import check
from gradwork.ops.nn import embedding
from gradwork.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of ``num_embeddings`` vectors: ``out[*, :] = weight[input[*], :]``.

    The weight is drawn from N(0, 1), as in PyTorch, with the ``padding_idx`` row (if any) set
    to zeros; that row never receives a gradient, so it stays what it is.

    Args:
        num_embeddings: the size of the vocabulary ``V``.
        embedding_dim: the size of each vector ``D``.
        padding_idx: a row that is zero-initialised and gets no gradient (negative counts from
            the end).
        max_norm: rows read whose ``norm_type``-norm exceeds it are rescaled to it, in place.
        norm_type: the p of the norm for ``max_norm``. Default: 2.
        scale_grad_by_freq: divide each row's gradient by its frequency in the mini-batch.
        sparse: sparse gradients are not supported; must be False.
        device, dtype: where and in what precision the weight is created.

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``.

    Shape: ``(*)`` integer indices -> ``(*, embedding_dim)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> table = nn.Embedding(10, 3, padding_idx=0)
        >>> table
        Embedding(10, 3, padding_idx=0)
        >>> table(gradwork.tensor([[0, 2, 4], [4, 3, 9]])).shape
        (2, 3, 3)
        >>> table.weight[0].tolist()
        [0.0, 0.0, 0.0]
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within [{-num_embeddings}, "
                    f"{num_embeddings}), got {padding_idx}"
                )
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            weight = empty(num_embeddings, embedding_dim, dtype=dtype, device=device)
            self.weight = Parameter(weight, requires_grad=not _freeze)
            self.reset_parameters()
        else:
            check(
                tuple(_weight.shape) == (num_embeddings, embedding_dim),
                "Embedding",
                f"shape of weight {tuple(_weight.shape)} does not match num_embeddings and "
                f"embedding_dim ({num_embeddings}, {embedding_dim})",
                ValueError,
            )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Draw the weight from N(0, 1) and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An ``Embedding`` whose weight is ``embeddings`` (2-D; shared, not copied).

        Args:
            embeddings: ``(num_embeddings, embedding_dim)``.
            freeze: the weight does not require grad (not trained). Default: ``True``.
            padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse: as for the
                constructor (the padding row is not zeroed).

        Example:
            >>> import gradwork
            >>> from gradwork import nn
            >>> table = nn.Embedding.from_pretrained(gradwork.tensor([[1.0, 2.3], [4.0, 5.1]]))
            >>> table(gradwork.tensor([1]))
            tensor([[4. , 5.1]])
        """
        check(
            embeddings.ndim == 2,
            "Embedding.from_pretrained",
            f"embeddings parameter is expected to be 2-dimensional, got shape "
            f"{tuple(embeddings.shape)}",
            ValueError,
        )
        rows, cols = embeddings.shape
        return cls(
            num_embeddings=rows,
            embedding_dim=cols,
            _weight=embeddings,
            _freeze=freeze,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
        )
