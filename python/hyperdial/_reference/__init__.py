"""Plain NumPy mirrors of the C++ numerics in ``cpp/``; the tests use them as independent
references.

Each module here re-implements one C++ unit the slow, obvious way. They are not part of the public
API and are not used by the samplers.
"""
