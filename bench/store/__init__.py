"""The store: immutable records, the files that hold them, and the environment they ran in.

Files are written whole or not at all; readers of older schemas live in `schema`.
"""
