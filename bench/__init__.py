"""Benchmarks of the streaming spine on a real local stack (profile ``bench``); see ``python -m bench --help``.

Each benchmark is a module ``bench/bench_<name>.py`` runnable as ``python -m bench.bench_<name> --out FILE``;
``python -m bench`` (``make bench``) runs every one present, in order, and writes ``bench/results/summary.json``.
"""
