"""Writes HDF5 files with h5py in every layout it writes, for the reader's tests.

    python3 make_h5py.py OUT_DIR

Each file's datasets and their values are listed in OUT_DIR/expected.json:
{file: {dataset path: {"shape": [...], "values": [...] or "strings": [...]}}}.
"""
import json
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
expected = {}


def values(shape, dtype, k=1):
    n = int(np.prod(shape)) if shape else 1
    v = (np.arange(n, dtype=np.float64) * 0.37 * k - n / 5.0)
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        v = np.clip(np.round(v * 3), info.min, info.max)
    return v.astype(dtype).reshape(shape)


def record(name, f):
    exp = {}

    def visit(path, obj):
        if isinstance(obj, h5py.Dataset):
            a = obj[()]
            if obj.dtype.kind == "S":
                exp[path] = {"shape": list(obj.shape), "strings": [s.decode() for s in np.atleast_1d(a).ravel()]}
            else:
                exp[path] = {"shape": list(obj.shape), "values": np.asarray(a, dtype=np.float64).ravel().tolist()}

    f.visititems(visit)
    expected[name] = exp


def numeric(f):
    """Datasets of every element type and storage h5py makes."""
    t = f.create_group("types")
    t.create_dataset("f32", data=values((5, 7), "<f4"))
    t.create_dataset("f64", data=values((3, 2, 4), "<f8"))
    t.create_dataset("f32be", data=values((6,), ">f4"))
    t.create_dataset("scalar", data=np.float32(2.5))
    t.create_dataset("empty", shape=(0, 3), dtype="<f4")
    t.create_dataset("text", data=np.array([b"conv1", b"fc", b"a longer one"], dtype="S12"))
    ints = f.create_group("ints")
    for typ in ["i1", "u1", "<i2", ">i2", "<u2", "<i4", ">u4", "<i8"]:
        ints.create_dataset(typ.replace("<", "le").replace(">", "be"), data=values((4, 3), typ))
    c = f.create_group("chunks")
    c.create_dataset("chunked", data=values((5, 7), "<f4"), chunks=(2, 3))
    c.create_dataset("gzip", data=values((50, 9), "<f4"), chunks=(8, 4), compression="gzip", compression_opts=6)
    c.create_dataset("shuffle_gzip", data=values((33, 5), "<f8", 3), chunks=(10, 5), shuffle=True, compression="gzip")
    c.create_dataset("fletcher", data=values((17, 3), "<i4"), chunks=(4, 3), fletcher32=True)
    c.create_dataset("single_chunk", data=values((6, 4), "<f4", 2), chunks=(6, 4), compression="gzip")
    c.create_dataset("many_chunks", data=values((2100,), "<f4"), chunks=(2,))
    # Compact storage, and an early-allocated chunked dataset (an implicit index in
    # libver latest), through the low-level API.
    space = h5py.h5s.create_simple((3, 4))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    h5py.h5d.create(c.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl).write(
        h5py.h5s.ALL, h5py.h5s.ALL, values((3, 4), "<f4"))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((2, 2))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    h5py.h5d.create(c.id, b"early_chunks", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl).write(
        h5py.h5s.ALL, h5py.h5s.ALL, values((3, 4), "<f4", 5))
    g = f.create_group("nested/deeper")
    g.create_dataset("label", data=values((10, 1), "<f4"))


with h5py.File(os.path.join(out, "earliest.h5"), "w") as f:  # superblock 0
    numeric(f)
    f.create_dataset("resizable", data=values((7, 3), "<f4"), maxshape=(None, 3), chunks=(2, 3))
    many = f.create_group("many")
    for i in range(300):
        many.create_dataset("d%03d" % i, data=np.array([i], dtype="<f4"))
    record("earliest.h5", f)

with h5py.File(os.path.join(out, "v108.h5"), "w", libver=("v108", "v108")) as f:  # superblock 2
    numeric(f)
    record("v108.h5", f)

with h5py.File(os.path.join(out, "latest.h5"), "w", libver="latest") as f:  # superblock 3
    numeric(f)
    # More than 8 links: dense storage in a fractal heap, in a direct root block and
    # in an indirect one.
    for count, name in ((12, "dense"), (400, "denser")):
        g = f.create_group(name)
        for i in range(count):
            g.create_dataset("d%03d" % i, data=np.array([i], dtype="<f4"))
    record("latest.h5", f)

# Resizable datasets in libver latest: an extensible-array chunk index (index block,
# data blocks, super blocks), unlimited along the first or another dimension.
with h5py.File(os.path.join(out, "latest_resizable.h5"), "w", libver="latest") as f:
    f.create_dataset("rows", data=values((7, 3), "<f4"), maxshape=(None, 3), chunks=(2, 3))
    f.create_dataset("many", data=values((3000, 2), "<f4"), maxshape=(None, 2), chunks=(3, 2), compression="gzip")
    f.create_dataset("cols", data=values((4, 50), "<f8"), maxshape=(4, None), chunks=(3, 4))
    g = f.create_dataset("grown", data=values((5, 2), "<f4"), maxshape=(None, 2), chunks=(1, 2))
    g.resize((40, 2))
    g[20:25] = values((5, 2), "<f4", 4)
    record("latest_resizable.h5", f)

# What this reader refuses, with an error that says why.
with h5py.File(os.path.join(out, "lzf.h5"), "w") as f:
    f.create_dataset("data", data=values((7, 3), "<f4"), compression="lzf")
with h5py.File(os.path.join(out, "vlen.h5"), "w") as f:
    f.create_dataset("names", data=["a", "bc"], dtype=h5py.string_dtype())

# Caffe's HDF5 data: what examples/hdf5_classification writes.
with h5py.File(os.path.join(out, "caffe_data.h5"), "w") as f:
    f["data"] = values((10, 4), "<f4")
    f["label"] = np.arange(10, dtype="<f4") % 2
    record("caffe_data.h5", f)

with open(os.path.join(out, "expected.json"), "w") as fp:
    json.dump(expected, fp)
