"""The method's own studies: questions about how bench measures, not about the styles.

`python -m lab perf|scaling|ab-rates`, from a checkout; not part of the installed package.
"""
