"""Studies beside the sweep: what makes training fast (`perf`, `kernels`) and what Ray costs
(`scaling`). Like the worker side, they run Keras in their own process.
"""
