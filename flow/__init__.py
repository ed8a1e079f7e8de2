"""The top layer: the ``hadam-hw`` command line and the end-to-end flow (the demo).

Layers, top to bottom (imports point down only; ``lint-imports`` checks it):

- ``flow``: the CLI and the demo (train → export → generate → verify → estimate);
- ``sim``, ``estimate``: cocotb verification; synthesis, place and route, the analytic model;
- ``rtl_gen``, ``train``: Amaranth hardware and the Verilog writer; PyTorch training;
- ``hadam_hw``: the numpy kernel (configs, golden model, artifact, manifest, schedule, registries).
"""
