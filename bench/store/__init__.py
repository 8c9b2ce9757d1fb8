"""The store: immutable records, the files that hold them (written whole), their environment."""
