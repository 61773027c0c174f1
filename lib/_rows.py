"""Walking over the slices of an array quickly: the plumbing behind `lib.softmax` (private).

The math of `lib.softmax` works on one slice at a time (the logits of one example). This module

* turns an array and a class axis into a 2-d ``(rows, m)`` view, one row per slice;
* cuts the rows into blocks of at most `BLOCK` elements, so that a block's temporaries stay in
  the CPU cache (a fresh full-size temporary costs as much time as the arithmetic on it);
* reduces short rows column by column, because numpy's reductions along a short last axis
  (10 classes, say) pay a per-row overhead that is several times the arithmetic.

Nothing here changes a result by more than the order of a floating-point sum.
"""

import numpy as np

BLOCK = 1 << 15  # elements per block: 256 KiB of float64, so a few temporaries fit in L2 cache
SHORT = 16  # rows with at most this many classes are reduced column by column (see above)


def as_rows(array, axis):
    """A 2-d view (rows, m) of `array` with the classes along `axis` as columns, or None.

    None means that no view exists (the other axes cannot be merged without a copy).
    """
    moved = np.moveaxis(array, axis, -1)
    if moved.ndim == 2:
        return moved
    try:
        return moved.reshape(-1, moved.shape[-1], copy=False)
    except ValueError:
        return None


def row_blocks(num_rows, num_cols):
    """Slices of consecutive rows holding at most `BLOCK` elements (and at least one row)."""
    step = max(1, BLOCK // num_cols)
    for start in range(0, num_rows, step):
        yield slice(start, min(num_rows, start + step))


def column_chunks(num_cols):
    """Slices of at most `BLOCK` columns: one slice unless the rows are very long."""
    for start in range(0, num_cols, BLOCK):
        yield slice(start, min(num_cols, start + BLOCK))


def row_max(block):
    """The maximum of each row of a 2-d block (nan if the row has a nan)."""
    if block.shape[1] > SHORT:
        return np.max(block, axis=1)
    best = block[:, 0].copy()
    for j in range(1, block.shape[1]):  # short rows: one vectorised pass per column is faster
        np.maximum(best, block[:, j], out=best)
    return best


def row_argmax(block):
    """The maximum of each row and the column of its first occurrence (nan wins, as in max)."""
    if block.shape[1] > SHORT:
        index = np.argmax(block, axis=1)
        return block[np.arange(block.shape[0]), index], index
    best = block[:, 0].copy()
    index = np.zeros(block.shape[0], dtype=np.intp)
    for j in range(1, block.shape[1]):  # short rows: one vectorised pass per column is faster
        column = block[:, j]
        np.copyto(index, j, where=column > best)  # strictly greater: a tie keeps the first
        np.maximum(best, column, out=best)  # a nan propagates, so the row is flagged later
    return best, index


def row_sum(block):
    """The sum of each row (pairwise summation for long rows, as np.sum does)."""
    if block.shape[1] > SHORT:
        return np.sum(block, axis=1)
    return np.einsum("ij->i", block)  # short rows: einsum avoids np.sum's per-row overhead


def row_dot(left, right):
    """The dot product of corresponding rows of two blocks of the same shape."""
    return np.einsum("ij,ij->i", left, right)  # not np.vecdot: it may call a threaded BLAS
