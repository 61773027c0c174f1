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

from ._validation import as_float_array, check_out, normalize_axis

BLOCK = 1 << 17  # elements per block: 1 MiB of float64, so a block's work stays in L2 cache
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


def prepare(z, axis, out):
    """Check the input; return (x, axis, out) with `out` allocated or checked.

    If a user-supplied `out` overlaps `z` without being the same array (in-place is fine),
    `z` is copied first, so that writing a block of `out` cannot change unread input.
    """
    x = as_float_array(z, "z")
    axis = normalize_axis(x, axis, "z")
    if out is None:
        return x, axis, np.empty_like(x)
    check_out(out, x.shape, x.dtype)
    same = x.ctypes.data == out.ctypes.data and x.strides == out.strides
    if not same and np.may_share_memory(x, out):
        x = x.copy()
    return x, axis, out


def rows_of(array, axis):
    """(rows, m) view of `array` with the classes along `axis`, or a copy if no view exists."""
    rows = as_rows(array, axis)
    if rows is None:
        rows = np.ascontiguousarray(np.moveaxis(array, axis, -1)).reshape(-1, array.shape[axis])
    return rows


def slice_shape(array, axis):
    """The shape of `array` without `axis`: one entry per slice."""
    return array.shape[:axis] + array.shape[axis + 1 :]


def write_rows(out, axis, fill):
    """Call ``fill(out_rows)`` on a (rows, m) view of `out` (or a buffer copied into it)."""
    out_rows = as_rows(out, axis)
    if out_rows is not None:
        fill(out_rows)
        return out
    moved = np.moveaxis(out, axis, -1)
    buffer = np.empty((moved.size // moved.shape[-1], moved.shape[-1]), dtype=out.dtype)
    fill(buffer)
    moved[...] = buffer.reshape(moved.shape)
    return out


def row_blocks(num_rows, num_cols, itemsize=8):
    """Slices of consecutive rows holding at most `BLOCK` float64s' worth of bytes (>= 1 row).

    Blocks are sized in bytes, so a float32 block holds twice as many elements: half as many
    numpy calls for the same use of the cache.
    """
    step = max(1, BLOCK * 8 // itemsize // num_cols)
    for start in range(0, num_rows, step):
        yield slice(start, min(num_rows, start + step))


def column_chunks(num_cols):
    """Slices of at most `BLOCK` columns: one slice unless the rows are very long."""
    for start in range(0, num_cols, BLOCK):
        yield slice(start, min(num_cols, start + BLOCK))


def row_max(block):
    """The maximum of each row of a 2-d block (nan if the row has a nan)."""
    if block.shape[1] > SHORT:
        return np.maximum.reduce(block, axis=1)  # not np.max: its Python wrapper costs µs
    best = block[:, 0].copy()
    for j in range(1, block.shape[1]):  # short rows: one vectorised pass per column is faster
        np.maximum(best, block[:, j], out=best)
    return best


def row_argmax(block):
    """The maximum of each row and the column of its first occurrence (a nan counts as max)."""
    index = np.argmax(block, axis=1)
    return block[np.arange(block.shape[0]), index], index


def row_sum(block):
    """The sum of each row: pairwise summation (as np.sum) for long rows, error ~ log2(m) u."""
    if block.shape[1] > SHORT:
        return np.add.reduce(block, axis=1)  # np.sum without its Python wrapper
    return np.einsum("ij->i", block)  # short rows: einsum avoids np.sum's per-row overhead


def row_sum_fast(block):
    """The sum of each row with SIMD accumulators: 2-3x faster than pairwise for float32.

    Its worst-case error is the (m - 1) u of any summation order (typically a few u); used
    where the sum only normalises (softmax), not where its last bits are the answer.
    """
    return np.einsum("ij->i", block)


def row_dot(left, right):
    """The dot product of corresponding rows of two blocks of the same shape."""
    return np.einsum("ij,ij->i", left, right)  # not np.vecdot: it may call a threaded BLAS
