"""The fictional demo LA and the synthetic pupils that benchmarks and tests build from."""
